"""A small generated archive for the archive tests: short files in mixed formats, rates and
channel counts in nested folders, plus broken ones (empty, corrupt, truncated, not audio)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import soundfile as sf
from conftest import tone_bursts

# name, rate Hz, channels, soundfile format, subtype, seconds, tone spans (s), noise dBFS
GOOD = [
    ("talk/a16.wav", 16000, 1, "WAV", "PCM_16", 5.0, [(0.5, 2.0), (3.0, 4.2)], -60.0),
    ("talk/b44.flac", 44100, 2, "FLAC", "PCM_16", 6.0, [(1.0, 3.5)], -70.0),
    ("music/c48.ogg", 48000, 2, "OGG", "VORBIS", 4.0, [(0.2, 3.0)], -55.0),
    ("music/d22.mp3", 22050, 1, "MP3", "MPEG_LAYER_III", 5.0, [(1.5, 4.5)], -50.0),
    ("e8.wav", 8000, 1, "WAV", "PCM_16", 3.0, [(0.0, 1.2)], None),
    ("music/deep/f32.flac", 32000, 1, "FLAC", "PCM_24", 4.5, [(2.0, 4.0)], -65.0),
]
BAD = {"broken/empty.wav": "file is empty", "broken/corrupt.flac": "not a readable audio file",
       "broken/cut.wav": "truncated", "broken/notes.mp3": "not a readable audio file"}
CLI = [sys.executable, "-m", "stream_tagger.cli"]


def write_audio(path: str, rate: int, channels: int, fmt: str, subtype: str, seconds: float, spans, noise,
                seed: int = 0) -> None:
    x = tone_bursts(spans, seconds, rate=rate, freq_hz=330.0 + 50 * seed, noise_dbfs=noise, seed=seed)
    if channels == 2:
        x = np.stack([x, 0.7 * x], axis=1)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with sf.SoundFile(path, "w", rate, channels, format=fmt, subtype=subtype) as f:
        for i in range(0, x.shape[0], rate):  # in blocks: libsndfile's Vorbis encoder crashes on big writes
            f.write(x[i:i + rate])


def make_archive(root: str, copies: int = 1) -> dict:
    """Write the archive under ``root`` (``copies`` > 1: the good files again in ``copyN/``
    folders). Returns {"good": [relative paths], "bad": {relative path: expected message}}."""
    good = []
    for c in range(copies):
        prefix = "" if c == 0 else f"copy{c}/"
        for i, (name, rate, ch, fmt, sub, secs, spans, noise) in enumerate(GOOD):
            write_audio(os.path.join(root, prefix + name), rate, ch, fmt, sub, secs, spans, noise, seed=i)
            good.append(prefix + name)
    b = os.path.join(root, "broken")
    os.makedirs(b, exist_ok=True)
    open(os.path.join(b, "empty.wav"), "wb").close()
    with open(os.path.join(b, "corrupt.flac"), "wb") as f:
        f.write(b"fLaC" + bytes(np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8)))
    with open(os.path.join(root, GOOD[0][0]), "rb") as f:
        data = f.read()
    with open(os.path.join(b, "cut.wav"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(b, "notes.mp3"), "w") as f:
        f.write("these are notes, not audio\n" * 20)
    return {"good": good, "bad": dict(BAD)}


def env(**extra) -> dict:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **extra)
    e["PYTHONPATH"] = root + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def run_cli(*args, timeout: float = 120, input: str | None = None, extra_env: dict | None = None,
            **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env(**(extra_env or {})),
                          input=input, **kw)


def tree(folder: str) -> dict[str, bytes]:
    """Relative path -> bytes of every file below ``folder``."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = f.read()
    return out


def labels_only(t: dict[str, bytes]) -> dict[str, bytes]:
    """The label files of :func:`tree` (no completion markers)."""
    return {k: v for k, v in t.items() if not os.path.basename(k).startswith(".")}


def read_summary(path: str) -> list[dict]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def last_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else ""
