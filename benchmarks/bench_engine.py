"""Engine benchmark: throughput, per-hop latency, memory and time to first label.

    python benchmarks/bench_engine.py [--file LONG.wav] [--minutes 20] [--paced-s 30] [--model PATH]

Without ``--file`` a long 16 kHz mono WAV is made in a temporary directory by tiling the shipped
``assets/example.ogg`` (real audio from the corpus test split), or synthetic tones/noise/silence
if it is absent. Prints:

* ``tag`` throughput with one thread, as a multiple of real time (in-process wall time of
  ``Tagger.segments``, file decoding included), and the same for the ``stream-tagger tag`` command
  as a whole process (start-up and model loading included);
* per-hop processing time at ``--speed 1``: from the moment the last sample a hop needs was
  written into the ring buffer to the moment the hop is emitted (median, 99th percentile, max);
* peak resident memory (``ru_maxrss`` of the child) of ``stream-tagger tag`` and of headless
  ``stream-tagger replay --speed 1``;
* time from process start to the first hop line of headless ``replay --speed 1``, and from
  stream start to the first hop inside the engine.

Aims (issue 3): >= 500x real time with one thread for ``tag``, p99 per-hop < 20 ms,
< 120 MB resident headless, first label within 1.5 s.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as the CLI does
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from stream_tagger.engine import Tagger  # noqa: E402
from stream_tagger.model import default_model_path  # noqa: E402
from stream_tagger.sources import FileSource  # noqa: E402

RATE = 16000


def make_long_file(path: str, minutes: float, rate: int = RATE) -> str:
    """A long file: the shipped example tiled, or synthetic tones / noise / silence."""
    n = int(minutes * 60 * rate)
    example = os.path.join(os.path.dirname(default_model_path()), "example.ogg")
    if os.path.exists(example):
        from stream_tagger.audio_io import read_audio

        x = read_audio(example, rate)
        what = f"assets/example.ogg tiled ({len(x) / RATE:.0f} s)"
        out = np.resize(x, n).astype(np.float32)
    else:
        rng = np.random.default_rng(0)
        out = np.zeros(n, np.float32)
        t = np.arange(rate * 10) / rate
        pieces = [0.3 * np.sin(2 * np.pi * 440 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2,
                  0.1 * rng.standard_normal(rate * 10), np.zeros(rate * 10)]
        for i in range(0, n, rate * 10):
            p = pieces[(i // (rate * 10)) % 3]
            out[i : i + rate * 10] = p[: n - i]
        what = "synthetic tones / noise / silence"
    sf.write(path, out, rate, subtype="PCM_16")
    print(f"long file: {path}: {minutes:g} min, {rate} Hz mono ({what})")
    return path


_PEAK_WRAPPER = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    s = open('/proc/self/status').read()\n"
    "    sys.stderr.write('VmHWM_KB ' + s.split('VmHWM:')[1].split()[0] + '\\n')\n"
    "atexit.register(_peak)\n"
    "from stream_tagger.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "sys.exit(rc)\n"
)


def run_cli(args: list[str], first_line: bool = False):
    """Run ``stream-tagger ARGS`` as a process; returns (wall_s, peak_rss_mb, first_line_s or None, exit).

    Peak RSS is the child's own VmHWM (``ru_maxrss`` of a forked child would include the parent's)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", _PEAK_WRAPPER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    t_first = None
    if first_line:
        line = proc.stdout.readline()
        if line:
            t_first = time.monotonic() - t0
    proc.stdout.read()
    err = proc.stderr.read()
    rc = proc.wait()
    wall = time.monotonic() - t0
    peak = [ln.split()[1] for ln in err.splitlines() if ln.startswith("VmHWM_KB ")]
    return wall, (int(peak[-1]) / 1024.0 if peak else float("nan")), t_first, rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", help="a long audio file (default: make one)")
    ap.add_argument("--minutes", type=float, default=20.0, help="length of the generated file (default 20)")
    ap.add_argument("--paced-s", type=float, default=30.0, help="seconds replayed at speed 1 (default 30)")
    ap.add_argument("--model", default=None, help="model (default: the shipped one)")
    ap.add_argument("--hop", type=float, default=0.25)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench_engine_")
    path = args.file or make_long_file(os.path.join(tmp, "long.wav"), args.minutes)
    info = sf.info(path)
    dur = info.frames / info.samplerate
    print(f"file: {dur:.1f} s, {info.samplerate} Hz, {info.channels} ch; model: {args.model or default_model_path()}")
    model_args = ["--model", args.model] if args.model else []

    # 1. throughput of tag, in process, one thread
    tagger = Tagger(args.model, hop_s=args.hop, threads=1)
    tagger.segments(FileSource(path))  # warm-up (page cache, allocations)
    t0 = time.perf_counter()
    segs = tagger.segments(FileSource(path))
    wall = time.perf_counter() - t0
    st = tagger.stats
    print(f"tag, in process, 1 thread: {dur / wall:7.0f}x real time ({wall:.2f} s wall for {dur:.0f} s; "
          f"analysis thread busy {st.processing_s:.2f} s; {st.windows} windows, {len(segs)} segments)")

    # 2. the tag command as a process: wall, peak memory
    w, rss, _, rc = run_cli(["tag", path] + model_args)
    print(f"stream-tagger tag (whole process): {dur / w:7.0f}x real time ({w:.2f} s), peak RSS {rss:.0f} MB, "
          f"exit {rc}")

    # 3. paced replay at speed 1, in process: per-hop latency, first hop
    tagger = Tagger(args.model, hop_s=args.hop, threads=1)
    src = FileSource(path, speed=1.0)
    timer_stop = None
    n_hops = 0
    for ev in tagger.stream(src):
        if hasattr(ev, "index"):
            n_hops += 1
            if ev.end_s >= args.paced_s and timer_stop is None:
                timer_stop = True
                tagger.stop()
    lat = np.array(tagger.stats.latencies_s) * 1e3
    if lat.size:
        print(f"replay --speed 1, per-hop processing ({lat.size} hops): median {np.median(lat):.2f} ms, "
              f"p99 {np.percentile(lat, 99):.2f} ms, max {lat.max():.2f} ms")
    print(f"first hop after stream start (in engine): {tagger.stats.first_hop_wall_s:.3f} s")

    # 4. headless replay as a process: time to first label line, peak memory
    w, rss, t_first, rc = run_cli(["replay", path, "--headless", "--speed", "1",
                                           "--duration", str(min(args.paced_s, 10.0))] + model_args, first_line=True)
    print(f"stream-tagger replay --headless --speed 1: first label line {t_first:.3f} s after process start, "
          f"peak RSS {rss:.0f} MB, exit {rc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
