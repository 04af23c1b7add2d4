"""Debian packages for the corpus: fetch ``.deb`` files with ``apt-get download`` (cached in
``data/debs/``) and read a file's licence from its package's copyright file (DEP-5).

Extracting a fetched package (``dpkg -x``, unpacking, MIDI rendering, pruning) is
:func:`training.corpus.extract_package`.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from typing import Optional

from .corpus_rules_common import Source


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------- licenses
def _dep5_paragraphs(text: str) -> list[dict[str, str]]:
    paragraphs, current, key = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, key = {}, None
        elif line[0] in " \t" and key is not None:
            current[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            current[key] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def _dep5_match_score(pattern: str, rel_path: str) -> Optional[int]:
    """How specifically a DEP-5 ``Files:`` pattern (source-tree path) matches an installed path.

    Installed paths differ from source paths in their leading folders, so the pattern's
    trailing components are compared (at least two of them, or one without wildcards).
    Returns the number of literal characters of the matching tail, or None for no match.
    """
    if pattern == "*":
        return 0
    comps = pattern.strip("/").split("/")
    for k in range(len(comps)):
        tail = "/".join(comps[k:])
        if k > 0 and len(comps) - k < 2 and any(c in tail for c in "*?["):
            break
        if fnmatch.fnmatchcase(rel_path, tail) or fnmatch.fnmatchcase(rel_path, "*/" + tail):
            return sum(1 for c in tail if c not in "*?[]")
    return None


def license_for(copyright_text: str, rel_path: str) -> str:
    """Short license name for ``rel_path`` from a Debian copyright file, or 'see copyright'.

    Machine-readable (DEP-5) files: the most specific matching ``Files:`` pattern wins, the
    later paragraph on ties (``debian/*`` paragraphs ignored). Free-form files: 'see copyright'.
    """
    if not copyright_text.lstrip().lower().startswith("format:"):
        return "see copyright"
    best_score, found = -1, None
    for para in _dep5_paragraphs(copyright_text):
        if "files" not in para or "license" not in para:
            continue
        patterns = para["files"].split()
        if all(p.startswith("debian/") for p in patterns):
            continue
        scores = [sc for sc in (_dep5_match_score(p, rel_path) for p in patterns) if sc is not None]
        name = para["license"].splitlines()[0].strip()
        if scores and name and max(scores) >= best_score:
            best_score, found = max(scores), name
    return found or "see copyright"


# ------------------------------------------------------------------------------- download
def _run(cmd: list[str], cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _cached_deb(debs_dir: str, name: str) -> Optional[str]:
    if not os.path.isdir(debs_dir):
        return None
    hits = sorted(f for f in os.listdir(debs_dir) if f.startswith(name + "_") and f.endswith(".deb"))
    return os.path.join(debs_dir, hits[-1]) if hits else None


def _apt_has(name: str) -> bool:
    out = _run(["apt-cache", "policy", name])
    for line in out.stdout.splitlines():
        if line.strip().startswith("Candidate:"):
            return line.split(":", 1)[1].strip() not in ("", "(none)")
    return False


def _apt_download(names: list[str], debs_dir: str) -> list[str]:
    """``apt-get download`` several packages at once; returns the names that failed."""
    if not names:
        return []
    if _run(["apt-get", "download", *names], cwd=debs_dir).returncode == 0:
        return []
    _log("corpus: apt-get download failed; running apt-get update and retrying")
    _run(["apt-get", "update", "-qq"])
    if _run(["apt-get", "download", *names], cwd=debs_dir).returncode == 0:
        return []
    failed = []
    for name in names:                     # find the culprits one by one
        if _run(["apt-get", "download", name], cwd=debs_dir).returncode != 0:
            failed.append(name)
    return failed


def fetch_packages(sources: tuple[Source, ...], debs_dir: str) -> tuple[dict[Source, str], list[str]]:
    """Resolve each source to a cached or downloaded ``.deb``; returns ({source: deb}, missing)."""
    os.makedirs(debs_dir, exist_ok=True)
    chosen: dict[Source, str] = {}
    to_fetch: dict[Source, str] = {}
    missing: list[str] = []
    apt_updated = False
    for src in sources:
        cached = next((d for d in (_cached_deb(debs_dir, n) for n in src.names) if d), None)
        if cached:
            chosen[src] = cached
            continue
        name = next((n for n in src.names if _apt_has(n)), None)
        if name is None and not apt_updated:
            _run(["apt-get", "update", "-qq"])
            apt_updated = True
            name = next((n for n in src.names if _apt_has(n)), None)
        if name is None:
            missing.append(" | ".join(src.names))
        else:
            to_fetch[src] = name
    if to_fetch:
        _log(f"corpus: downloading {len(to_fetch)} packages into {debs_dir}")
        failed = set(_apt_download(sorted(set(to_fetch.values())), debs_dir))
        for src, name in to_fetch.items():
            deb = _cached_deb(debs_dir, name)
            if name in failed or deb is None:
                missing.append(name)
            else:
                chosen[src] = deb
    return chosen, missing
