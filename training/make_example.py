"""Build the shipped example recording from the corpus's *test* split only.

    python -m training.make_example [--data-dir data/corpus] [--out-dir assets] [--seed 7]

Writes ``example.ogg`` (about 60 s, 16 kHz mono Ogg Vorbis), ``example.csv`` (reference
labels in the ``tag`` csv format: ``start,end,label``) and ``example_ATTRIBUTION.md``
(every source file used, its package and licence).

The timeline holds all four classes, a stretch of speech over music, abrupt cuts and
2 s crossfades (speech to music, music to noise). The reference boundary of a crossfade
is its middle (both parts 6 dB down). Silence is near-silent room tone (-80 dBFS white
noise), silence by level but not digital zero.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import soundfile as sf

from stream_tagger.audio_io import read_audio
from stream_tagger.events import Segment
from stream_tagger.labels import write_segments

from .features import read_manifest

RATE_HZ = 16000


def _load_manifest(data_dir: str) -> list[dict]:
    path = os.path.join(data_dir, "manifest.jsonl")
    if not os.path.exists(path):
        sys.exit(f"make_example: {path} not found: build the corpus first (python -m training.corpus build)")
    return read_manifest(path)


def _rms_dbfs(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)


def _active_stretch(x: np.ndarray, min_s: float, max_s: float, rng) -> np.ndarray | None:
    """The loudest part of ``x`` of up to ``max_s`` seconds, trimmed of leading/trailing quiet."""
    hop = RATE_HZ // 100
    n = len(x) // hop
    if n == 0:
        return None
    env = 10 * np.log10(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(env > env.max() - 35)
    if len(loud) == 0:
        return None
    x = x[loud[0] * hop : (loud[-1] + 1) * hop]
    if len(x) < min_s * RATE_HZ:
        return None
    if len(x) > max_s * RATE_HZ:
        start = rng.integers(0, len(x) - int(max_s * RATE_HZ))
        x = x[start : start + int(max_s * RATE_HZ)]
    return x


def _normalise(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x * 10 ** ((dbfs - _rms_dbfs(x)) / 20)).astype(np.float32)


def _pick(entries, label, min_s, max_s, total_s, rng, used, exclude_generated=True):
    """Concatenate stretches of different test-split files of ``label`` until ``total_s``."""
    pool = [e for e in entries if e["label"] == label and e["split"] == "test"
            and not (exclude_generated and e["source"] == "generated") and e["path"] not in used]
    if not pool:
        raise SystemExit(f"make_example: no test-split {label} files in the corpus")
    order = rng.permutation(len(pool))
    pieces, got = [], 0.0
    for i in order:
        e = pool[i]
        if e["duration_s"] < min_s:
            continue
        x = read_audio(os.path.join(DATA_DIR, e["path"]))
        x = _active_stretch(x, min_s, min(max_s, total_s - got + 0.5), rng)
        if x is None:
            continue
        pieces.append(_normalise(x, -23.0))
        used[e["path"]] = e
        got += len(x) / RATE_HZ
        if got >= total_s:
            break
    if got < total_s * 0.8:
        raise SystemExit(f"make_example: only {got:.1f} s of test-split {label} found")
    return np.concatenate(pieces)[: int(total_s * RATE_HZ)]


def _fade(n: int, rising: bool) -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    return ramp if rising else ramp[::-1]


DATA_DIR = "data/corpus"


def build(data_dir: str, out_dir: str, seed: int) -> tuple[np.ndarray, list[Segment], dict]:
    global DATA_DIR
    DATA_DIR = data_dir
    rng = np.random.default_rng(seed)
    entries = _load_manifest(data_dir)
    used: dict[str, dict] = {}
    speech_a = _pick(entries, "speech", 2.0, 6.0, 10.0, rng, used)
    music_a = _pick(entries, "music", 20.0, 30.0, 26.0, rng, used)
    noise_a = _pick(entries, "noise", 1.0, 8.0, 8.0, rng, used)
    speech_b = _pick(entries, "speech", 2.0, 6.0, 17.0, rng, used)

    # Timeline (seconds): clips laid onto a bed of room tone; crossfades are linear over 2 s and
    # their reference boundary is the crossfade's middle (both parts at -6 dB).
    xfade_s = 2.0
    total_s = 56.5
    audio = (10 ** (-80 / 20) * rng.standard_normal(int(total_s * RATE_HZ))).astype(np.float32)
    segs: list[Segment] = []

    def lay(x: np.ndarray, at_s: float, fade_in: bool = False, fade_out: bool = False, gain_db: float = 0.0):
        x = x * np.float32(10 ** (gain_db / 20))
        n = int(xfade_s * RATE_HZ)
        if fade_in:
            x[:n] *= _fade(n, True)
        if fade_out:
            x[-n:] *= _fade(n, False)
        i = int(round(at_s * RATE_HZ))
        audio[i : i + len(x)] += x[: len(audio) - i]

    sa = speech_a[: int(10 * RATE_HZ)]
    lay(sa.copy(), 3.0, fade_out=True)  # abrupt start at 3.0, fades out 11..13 -> boundary 12.0
    segs.append(Segment(0.0, 3.0, "silence"))
    segs.append(Segment(3.0, 12.0, "speech"))
    music = music_a[: int(26 * RATE_HZ)].copy()
    over = speech_b[: 8 * RATE_HZ]
    duck = slice(int(9 * RATE_HZ), int(9 * RATE_HZ) + len(over))
    music[duck] *= np.float32(10 ** (-10 / 20))
    music[duck] += over  # speech over music, music 10 dB down under it
    lay(music, 11.0, fade_in=True, fade_out=True)  # 11..37: boundary in 12.0, out 36.0
    segs.append(Segment(12.0, 36.0, "music"))
    segs.append(Segment(20.0, 28.0, "speech"))
    lay(noise_a[: int(8 * RATE_HZ)].copy(), 35.0, fade_in=True)  # 35..43 crossfade with music: boundary 36.0
    segs.append(Segment(36.0, 43.0, "noise"))
    segs.append(Segment(43.0, 45.0, "silence"))  # abrupt end of noise
    rest = speech_b[8 * RATE_HZ : 8 * RATE_HZ + int(9 * RATE_HZ)]
    lay(rest, 45.0)  # abrupt start; abrupt end
    segs.append(Segment(45.0, round(45.0 + len(rest) / RATE_HZ, 3), "speech"))
    segs.append(Segment(round(45.0 + len(rest) / RATE_HZ, 3), total_s, "silence"))

    audio = np.clip(audio, -1.0, 1.0)
    segs.sort()
    return audio, segs, used


def write_attribution(path: str, used: dict, data_dir: str) -> None:
    lines = [
        "# Attribution for example.ogg",
        "",
        "Built by `python -m training.make_example` from the corpus's test split only",
        "(never used for training). Each source file, its Debian package and licence;",
        "the package's full copyright file is in the Debian package of that name.",
        "",
        "| file | source | label | licence |",
        "| --- | --- | --- | --- |",
    ]
    for p, e in used.items():
        lines.append(f"| `{os.path.basename(p)}` | {e['source']} | {e['label']} | {e.get('license', 'see copyright')} |")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="data/corpus")
    ap.add_argument("--out-dir", default="assets")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    audio, segs, used = build(args.data_dir, args.out_dir, args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    sf.write(os.path.join(args.out_dir, "example.ogg"), audio, RATE_HZ, format="OGG", subtype="VORBIS")
    write_segments(segs, "csv", os.path.join(args.out_dir, "example.csv"))
    write_attribution(os.path.join(args.out_dir, "example_ATTRIBUTION.md"), used, args.data_dir)
    print(f"example: {len(audio) / RATE_HZ:.1f} s, {len(segs)} reference segments, {len(used)} source files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
