"""Log-mel frames of every corpus file, stored once as float16 memory-mapped shards.

Features come from the runtime's own frontend (:func:`stream_tagger.frontend.signal_logmel`
over :func:`stream_tagger.audio_io.read_audio`), so training and inference cannot drift.

Layout of a feature directory (``data/features`` by default)::

    shard_000.f16, shard_001.f16, ...   raw float16, frame-major: (n_frames, n_mels)
    index.json                          one entry per file (see :class:`FileEntry`) + params

Frames are stored frame-major so that a 101-frame window is one contiguous slice. Each
file is processed on its own and appended to the current shard (a new shard starts past
``shard_frames``), so memory stays bounded by the longest file, never the corpus.

Files shorter than one window (many clips are under 1 s) are looped (tiled) in the
sample domain before the frontend until they hold ``min_window_s`` of audio, so each gives
at least one complete window; the entry records ``looped=True``.

Per frame we also store an ``active`` flag (frame energy within ``active_range_db`` of the
file's loud frames, and above an absolute floor): windows cut for training and evaluation
must be mostly active, so the near-silent lead-in of a speech prompt is not taught as
"speech" (silence is the runtime's business, decided by level).

Command line::

    python -m training.features build [--data-dir data] [--out data/features]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from stream_tagger.audio_io import read_audio
from stream_tagger.errors import AudioFileError, TaggerError
from stream_tagger.frontend import DEFAULT_PARAMS, FrontendParams, signal_logmel

FEATURE_VERSION = 2


class FeatureError(TaggerError):
    """The feature store cannot be built (one-line message for the user)."""


@dataclass
class FileEntry:
    """Where one file's frames live and what they are."""

    path: str  # relative to the data dir (as in the manifest)
    label: str  # speech | music | noise
    split: str  # train | val | test
    group: str  # recording / speaker / track group (split unit)
    source: str
    sample_rate_hz: int  # the file's original rate (band-limit information)
    shard: int
    offset: int  # first frame in the shard
    n_frames: int
    looped: bool
    active_offset: int  # first entry in active.u8 (same count as n_frames)


@functools.lru_cache(maxsize=4)
def _white_noise_power(params: FrontendParams) -> np.ndarray:
    """Mel power ``(n_mels, frames)`` float64 of 4 s of white noise of RMS 0.1 (seeded), the
    frontend's own, edge frames left out: what the white-noise calibrations below are read from."""
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(params.sample_rate_hz * 4)).astype(np.float32)
    f = signal_logmel(x, params)[:, 5:-5]
    return np.exp(f.astype(np.float64)) - params.log_offset


def mel_power_sum_at_rms1(params: FrontendParams = DEFAULT_PARAMS) -> float:
    """Sum over mel bands of mel power per frame for white noise of RMS 1.0 (empirical)."""
    return float(_white_noise_power(params).sum(0).mean() / 0.01)


def white_noise_mel_power(params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Mean mel power per band ``(n_mels,)`` float32 of white noise of RMS 1.0 (empirical, the
    same measurement as :func:`mel_power_sum_at_rms1`): how a flat noise floor spreads over the
    mel bands."""
    return (_white_noise_power(params).mean(1) / 0.01).astype(np.float32)


def frame_level_dbfs(logmel: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Approximate RMS level (dBFS, white-noise calibrated) of each frame of ``(n_mels, n)`` features."""
    p = np.maximum(np.exp(logmel.astype(np.float32)) - params.log_offset, 0.0).sum(axis=0)
    return 10.0 * np.log10(p / mel_power_sum_at_rms1(params) + 1e-12)


def active_frames(logmel: np.ndarray, params: FrontendParams = DEFAULT_PARAMS,
                  active_range_db: float = 35.0, floor_dbfs: float = -70.0) -> np.ndarray:
    """Boolean per frame: level within ``active_range_db`` of the file's 95th percentile and above ``floor_dbfs``."""
    lev = frame_level_dbfs(logmel, params)
    ref = np.percentile(lev, 95) if lev.size else 0.0
    return (lev > ref - active_range_db) & (lev > floor_dbfs)


def loop_to_length(audio: np.ndarray, n_samples: int) -> np.ndarray:
    """Tile ``audio`` until it holds at least ``n_samples`` samples (used for clips under a window)."""
    if audio.shape[0] >= n_samples or audio.shape[0] == 0:
        return audio
    reps = int(np.ceil(n_samples / audio.shape[0]))
    return np.tile(audio, reps)[:n_samples]


class FeatureWriter:
    """Appends per-file frames to float16 shards; bounded memory (one file at a time)."""

    def __init__(self, out_dir: str, params: FrontendParams = DEFAULT_PARAMS, shard_frames: int = 2_000_000):
        self.out_dir = out_dir
        self.params = params
        self.shard_frames = shard_frames
        os.makedirs(out_dir, exist_ok=True)
        self.entries: list[FileEntry] = []
        self.shard = 0
        self.shard_fill = 0
        self.active_fill = 0
        self._fh = open(self._shard_path(0), "wb")
        self._active = open(os.path.join(out_dir, "active.u8"), "wb")

    def _shard_path(self, k: int) -> str:
        return os.path.join(self.out_dir, f"shard_{k:03d}.f16")

    def add(self, rec: dict, logmel: np.ndarray, looped: bool) -> FileEntry:
        frames = np.ascontiguousarray(logmel.T.astype(np.float16))  # (n, n_mels)
        logmel = logmel.astype(np.float32)
        if self.shard_fill and self.shard_fill + frames.shape[0] > self.shard_frames:
            self._fh.close()
            self.shard += 1
            self.shard_fill = 0
            self._fh = open(self._shard_path(self.shard), "wb")
        self._fh.write(frames.tobytes())
        act = active_frames(logmel, self.params).astype(np.uint8)
        self._active.write(act.tobytes())
        e = FileEntry(
            path=rec["path"], label=rec["label"], split=rec["split"], group=str(rec.get("group", rec["path"])),
            source=str(rec.get("source", "")), sample_rate_hz=int(rec.get("sample_rate_hz", self.params.sample_rate_hz)),
            shard=self.shard, offset=self.shard_fill, n_frames=int(frames.shape[0]), looped=looped,
            active_offset=self.active_fill,
        )
        self.shard_fill += frames.shape[0]
        self.active_fill += act.shape[0]
        self.entries.append(e)
        return e

    def close(self, manifest_sha1: str = "") -> None:
        self._fh.close()
        self._active.close()
        index = {
            "version": FEATURE_VERSION,
            "frontend": self.params.to_dict(),
            "n_mels": self.params.n_mels,
            "dtype": "float16",
            "layout": "frame-major (n_frames, n_mels)",
            "n_shards": self.shard + 1,
            "manifest_sha1": manifest_sha1,
            "files": [asdict(e) for e in self.entries],
        }
        tmp = os.path.join(self.out_dir, "index.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(index, f)
        os.replace(tmp, os.path.join(self.out_dir, "index.json"))


def read_manifest(path: str) -> list[dict]:
    """Manifest lines (JSON objects) of ``data/corpus/manifest.jsonl``."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def resolve_path(rel: str, manifest: str, data_dir: str) -> str:
    """A manifest path: relative to the manifest's folder (``data/corpus``), else to ``data_dir``."""
    if os.path.isabs(rel):
        return rel
    p = os.path.join(os.path.dirname(os.path.abspath(manifest)), rel)
    return p if os.path.exists(p) else os.path.join(data_dir, rel)


def _file_sha1(path: str) -> str:
    import hashlib

    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_features(data_dir: str, out_dir: str | None = None, manifest: str | None = None,
                   params: FrontendParams = DEFAULT_PARAMS, min_window_s: float = 1.2,
                   force: bool = False, progress: bool = True, jobs: int = 2,
                   max_skip_share: float = 0.01) -> str:
    """Compute frames for every manifest file into ``out_dir``; skipped if already built for this manifest.

    Returns ``out_dir``. Unreadable files are skipped with a warning line on stderr.
    ``jobs`` processes decode and compute in parallel; results are written in manifest order.
    More than ``max_skip_share`` unreadable files is an error (a corpus being rebuilt under us).
    """
    manifest = manifest or os.path.join(data_dir, "corpus", "manifest.jsonl")
    out_dir = out_dir or os.path.join(data_dir, "features")
    if not os.path.isfile(manifest):
        raise FeatureError(f"{manifest}: no corpus manifest (build it first: python -m training.corpus build)")
    msha = _file_sha1(manifest)
    idx_path = os.path.join(out_dir, "index.json")
    if not force and os.path.exists(idx_path):
        with open(idx_path, encoding="utf-8") as f:
            old = json.load(f)
        if old.get("manifest_sha1") == msha and old.get("version") == FEATURE_VERSION and old.get("frontend") == params.to_dict():
            if progress:
                print(f"features: up to date in {out_dir} ({len(old['files'])} files)", flush=True)
            return out_dir
    recs = read_manifest(manifest)
    writer = FeatureWriter(out_dir, params)
    t0 = time.monotonic()
    total_s = 0.0
    jobs_in = ((resolve_path(rec["path"], manifest, data_dir), params, min_window_s) for rec in recs)
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(jobs)
        results = pool.map(_file_features, jobs_in, chunksize=8)
    else:
        pool = None
        results = map(_file_features, jobs_in)
    try:
        for i, (rec, (logmel, looped, err)) in enumerate(zip(recs, results)):
            if err:
                print(f"features: skipping {err}", file=sys.stderr)
                continue
            total_s += (logmel.shape[1] - 1) * params.hop_samples / params.sample_rate_hz
            writer.add(rec, logmel, looped)
            if progress and (i % 2000 == 0 or i == len(recs) - 1):
                el = time.monotonic() - t0
                print(f"features: {i + 1}/{len(recs)} files, {total_s / 3600:.2f} h audio, {el:.0f} s", flush=True)
    finally:
        if pool is not None:
            pool.shutdown()
    skipped = len(recs) - len(writer.entries)
    if skipped > max_skip_share * len(recs):
        writer.close("incomplete")  # index written but keyed so the next run rebuilds
        raise FeatureError(f"{skipped} of {len(recs)} manifest files could not be read "
                         f"(is the corpus being rebuilt?); not training on a partial corpus")
    writer.close(msha)
    return out_dir


def _file_features(job) -> tuple:
    """(logmel (n_mels, n_frames) float32, looped, error message or None) of one file."""
    path, params, min_window_s = job
    try:
        audio = read_audio(path, params.sample_rate_hz)
    except AudioFileError as e:
        return None, False, str(e)
    min_samples = int(round(min_window_s * params.sample_rate_hz))
    looped = audio.shape[0] < min_samples
    audio = loop_to_length(audio, min_samples)
    return signal_logmel(audio, params).astype(np.float16), looped, None


class FeatureStore:
    """Read-only view of a feature directory: per-file frames as memory-mapped float16."""

    def __init__(self, feat_dir: str):
        with open(os.path.join(feat_dir, "index.json"), encoding="utf-8") as f:
            self.index = json.load(f)
        self.params = FrontendParams.from_dict(self.index["frontend"])
        n_mels = self.params.n_mels
        self.shards = []
        for k in range(self.index["n_shards"]):
            p = os.path.join(feat_dir, f"shard_{k:03d}.f16")
            n = os.path.getsize(p) // (2 * n_mels)
            self.shards.append(np.memmap(p, dtype=np.float16, mode="r", shape=(n, n_mels)) if n else
                               np.zeros((0, n_mels), np.float16))
        act_path = os.path.join(feat_dir, "active.u8")
        self.active = np.fromfile(act_path, dtype=np.uint8).astype(bool)
        self.files = [FileEntry(**e) for e in self.index["files"]]

    def frames(self, i: int) -> np.ndarray:
        """Frames of file ``i``: ``(n_frames, n_mels)`` float16 (memory-mapped)."""
        e = self.files[i]
        return self.shards[e.shard][e.offset:e.offset + e.n_frames]

    def active_of(self, i: int) -> np.ndarray:
        e = self.files[i]
        return self.active[e.active_offset:e.active_offset + e.n_frames]

    def load_into_memory(self) -> None:
        """Replace the memory maps by in-memory copies (fast random access for training)."""
        self.shards = [np.asarray(s) for s in self.shards]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["build"])
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--out", default=None)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    try:
        build_features(a.data_dir, a.out, force=a.force)
    except TaggerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
