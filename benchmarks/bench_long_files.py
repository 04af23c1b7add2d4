"""Long files in pieces (``tag --split-s``): the joined labels against tagging each file whole,
and the wall time of one long file with two workers, whole and in pieces.

    python benchmarks/bench_long_files.py [--files 2] [--minutes 60] [--split-s 600]

The long files (cached in ``data/bench/long/``) are 16 kHz WAV and 44.1 kHz stereo FLAC,
made by joining the files of the mixed archive of ``bench_archive.py`` (made first if missing)
from different starting points. Each file is tagged whole (``--split-s 0 --jobs 1``) and in
pieces (``--split-s S --jobs 2``; S smaller than the default 3600 gives more cuts to measure).
Printed per file: cuts, segments whole / joined, whether the label files are byte-identical,
and the share of 10 ms frames on which a label differs, with the largest boundary shift.
Results go to ``benchmarks/results/long_files.txt``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as the CLI does
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from bench_archive import CACHE as ARCHIVE, make_archive  # noqa: E402
from common import load_average_1min, machine_description  # noqa: E402

LONG = os.path.join(REPO, "data", "bench", "long")


def make_long_files(n: int, minutes: float) -> list[str]:
    from scipy.signal import resample_poly

    from stream_tagger.audio_io import read_audio

    os.makedirs(LONG, exist_ok=True)
    files = make_archive(ARCHIVE, 200, 2.2)
    out = []
    for i in range(n):
        path = os.path.join(LONG, f"long{i}_{minutes:g}min." + ("wav" if i % 2 == 0 else "flac"))
        out.append(path)
        if os.path.exists(path):
            continue
        need = int(minutes * 60 * 16000)
        parts, total, k = [], 0, i * 37
        while total < need:
            x = read_audio(files[k % len(files)], 16000)
            parts.append(x)
            total += x.shape[0]
            k += 1
        x = np.concatenate(parts)[:need]
        tmp = path + ".part"
        if i % 2 == 0:
            sf.write(tmp, x, 16000, subtype="PCM_16", format="WAV")
        else:
            y = resample_poly(x, 441, 160).astype(np.float32)
            sf.write(tmp, np.stack([y, 0.9 * y], axis=1), 44100, format="FLAC")
        os.replace(tmp, path)
    return out


def run(args: list[str]) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args, "--no-progress"], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    return time.perf_counter() - t0


def frames(path: str, duration_s: float) -> dict[str, np.ndarray]:
    from stream_tagger.labels import read_segments

    n = int(np.ceil(duration_s * 100))
    out = {}
    for s in read_segments(path):
        m = out.setdefault(s.label, np.zeros(n, bool))
        m[int(round(s.start_s * 100)):int(round(s.end_s * 100))] = True
    return out


def largest_shift_s(a: str, b: str) -> float:
    """The largest distance from a segment edge in ``b`` to the nearest same-label edge in ``a``."""
    from stream_tagger.labels import read_segments

    sa, sb = read_segments(a), read_segments(b)
    worst = 0.0
    for s in sb:
        edges = [e for t in sa if t.label == s.label for e in (t.start_s, t.end_s)]
        for e in (s.start_s, s.end_s):
            worst = max(worst, min((abs(e - x) for x in edges), default=float("inf")))
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--split-s", type=float, default=600.0)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "long_files.txt"))
    a = ap.parse_args()
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    files = make_long_files(a.files, a.minutes)
    say(f"# long files in pieces: {machine_description()}")
    say(f"{len(files)} files of {a.minutes:g} min ({', '.join(os.path.basename(f) for f in files)}), "
        f"pieces of {a.split_s:g} s with 30 s margins")
    say()
    say("| file | cuts | segments whole / joined | identical | label frames differing | largest edge shift s "
        "| wall whole --jobs 1 s | wall pieces --jobs 2 s | load |")
    say("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    d = tempfile.mkdtemp(prefix="bench-long-")
    for f in files:
        dur = sf.info(f).duration
        whole, joined = os.path.join(d, "whole.csv"), os.path.join(d, "joined.csv")
        load = load_average_1min()
        t_whole = run(["tag", f, "-o", whole, "--split-s", "0", "--jobs", "1"])
        t_split = run(["tag", f, "-o", joined, "--split-s", str(a.split_s), "--jobs", "2"])
        fa, fb = frames(whole, dur), frames(joined, dur)
        n = int(np.ceil(dur * 100))
        differ = sum(int(np.sum(fa.get(k, np.zeros(n, bool)) != fb.get(k, np.zeros(n, bool)))) for k in set(fa) | set(fb))
        total = n * len(set(fa) | set(fb))
        with open(whole, "rb") as x, open(joined, "rb") as y:
            same = x.read() == y.read()
        n_whole = sum(1 for _ in open(whole)) - 1
        n_joined = sum(1 for _ in open(joined)) - 1
        cuts = int(np.ceil(dur / a.split_s)) - 1
        say(f"| {os.path.basename(f)} | {cuts} | {n_whole} / {n_joined} | {'yes' if same else 'no'} | "
            f"{differ} of {total} ({differ / total * 100:.4f} %) | {max(largest_shift_s(whole, joined), largest_shift_s(joined, whole)):.2f} "
            f"| {t_whole:.1f} | {t_split:.1f} | {load:.1f} |")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"written: {os.path.relpath(a.out, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
