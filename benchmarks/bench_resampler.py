"""Cost of the streaming resampler (``resampler.StreamingResampler``) for usual and awkward rates.

For each source rate, a fresh child process builds a resampler to 16 kHz and streams
``--seconds`` of white noise through it in 20 ms chunks (as a live source delivers), then
prints: which method was used, the time to build it (s), the processing speed (x real time,
best of three runs), the peak memory it allocated (MB, numpy allocations seen by
``tracemalloc``: tables, buffers, temporaries and the output kept, 1.9 MB for 30 s; not the
input signal), the growth of the child's peak RSS over its state after the imports (MB), and
the largest difference from ``scipy.signal.resample_poly`` on the first 2 s (full scale 1).

    python benchmarks/bench_resampler.py [--rates 44100 48001 ...] [--seconds 30]

To compare with another version of the package, run it with that version first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_description, one_thread_env, peak_rss_mb  # noqa: E402

DEFAULT_RATES = (8000, 44100, 48000, 48001, 44056, 96001)


def _child(rate_hz: int, seconds: float) -> dict:
    import tracemalloc
    from fractions import Fraction

    import numpy as np
    import scipy.signal

    from stream_tagger.resampler import StreamingResampler

    x = (0.5 * np.random.default_rng(0).uniform(-1, 1, int(rate_hz * seconds))).astype(np.float32)
    chunk = max(1, int(rate_hz * 0.02))

    def stream():
        r = StreamingResampler(rate_hz)
        return r, [r.push(x[i:i + chunk]) for i in range(0, x.shape[0], chunk)] + [r.flush()]

    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    StreamingResampler(rate_hz)
    build_s = time.perf_counter() - t0
    tracemalloc.start()  # memory pass (tracemalloc slows numpy's allocations down: timed apart)
    r, parts = stream()
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss_mb = peak_rss_mb() - rss0
    run_s = float("inf")
    for _ in range(3):  # best of three: the machine may be shared
        t0 = time.perf_counter()
        stream()
        run_s = min(run_s, time.perf_counter() - t0)
    y = np.concatenate(parts)
    n = int(rate_hz * 2)
    f = Fraction(16000, rate_hz)
    ref = scipy.signal.resample_poly(x[:n].astype(np.float64), f.numerator, f.denominator)
    m = ref.shape[0] - 200  # the excerpt's own end differs (zeros after it there)
    return {"rate_hz": rate_hz, "ratio": f"{f.numerator}/{f.denominator}",
            "method": "exact" if getattr(r, "exact", True) else "interpolated",
            "build_s": build_s, "x_real_time": seconds / run_s, "peak_alloc_mb": peak_mb, "rss_growth_mb": rss_mb,
            "max_diff": float(np.max(np.abs(y[:m] - ref[:m])))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", type=int, nargs="+", default=list(DEFAULT_RATES), metavar="HZ")
    ap.add_argument("--seconds", type=float, default=30.0, help="audio streamed per rate (s)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.seconds)))
        return
    import stream_tagger

    print(f"Machine: {machine_description()}")
    print(f"Package: {os.path.dirname(stream_tagger.__file__)}; {args.seconds:g} s of noise per rate, 20 ms chunks")
    print(f"{'rate Hz':>8}  {'ratio':>12}  {'method':>12}  {'build s':>8}  {'x real time':>11}  "
          f"{'alloc MB':>8}  {'RSS+ MB':>7}  {'max diff':>8}")
    for rate in args.rates:
        out = subprocess.run([sys.executable, __file__, "--child", str(rate), "--seconds", str(args.seconds)],
                             capture_output=True, text=True, env=one_thread_env(), check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['rate_hz']:>8}  {r['ratio']:>12}  {r['method']:>12}  {r['build_s']:>8.3f}  "
              f"{r['x_real_time']:>11.0f}  {r['peak_alloc_mb']:>8.1f}  {r['rss_growth_mb']:>7.1f}  {r['max_diff']:>8.1e}")


if __name__ == "__main__":
    main()
