"""Seconds per training step (batch 64, random data) of each network, with TensorFlow's oneDNN
kernels on and off: the cost that sets how long ``python -m training.pipeline`` takes.

    python benchmarks/bench_train_step.py [--archs compact trunk] [--threads 2] [--steps 10]

Each setting runs in its own process (``TF_ENABLE_ONEDNN_OPTS`` is read when TensorFlow loads).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_ONE = r"""
import sys, time
import numpy as np
arch, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
from training.models import build_model
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 64, 101, 1)).astype("float32")
y = (rng.random((64, 3)) > 0.5).astype("float32")
m = build_model(arch)
m.compile(optimizer="adam", loss="binary_crossentropy")
m.train_on_batch(x, y); m.train_on_batch(x, y)
t = time.perf_counter()
for _ in range(steps):
    m.train_on_batch(x, y)
print(f"{(time.perf_counter() - t) / steps:.3f}")
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["compact", "trunk"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args(argv)
    print(f"$ python benchmarks/bench_train_step.py --archs {' '.join(a.archs)} --threads {a.threads} --steps {a.steps}")
    print(f"1-min load before: {os.getloadavg()[0]:.2f}")
    print("| network | oneDNN | s per step (batch 64) |")
    print("|---|---|---:|")
    for arch in a.archs:
        for onednn in ("1", "0"):
            env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, TF_CPP_MIN_LOG_LEVEL="3",
                       PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
            r = subprocess.run([sys.executable, "-c", _ONE, arch, str(a.threads), str(a.steps)], env=env,
                               capture_output=True, text=True, cwd=ROOT)
            cell = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else "failed"
            print(f"| {arch} | {'on' if onednn == '1' else 'off'} | {cell} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
