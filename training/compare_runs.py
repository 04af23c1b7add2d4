"""How far apart two training runs came out: same weights, or by how much they differ.

    python -m training.compare_runs runs/a/compact runs/b/compact

Reads each run's ``float_probs.npz`` (the Keras model's probabilities on the validation and
test windows, which every run of the same data and seed evaluates identically) and
``train_result.json``; prints the largest probability difference, the share of test windows
whose decisions (each label against its own run's thresholds) agree, and each run's test F1.
Used to measure what still varies between runs of the same recipe (thread count, machine).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from .metrics import LABELS


def load(run_dir: str) -> tuple[dict, dict]:
    """``(probabilities by split, train_result)`` of a finished run; SystemExit with one line if missing."""
    try:
        with np.load(os.path.join(run_dir, "float_probs.npz")) as z:
            probs = {k: z[k] for k in z.files}
        with open(os.path.join(run_dir, "train_result.json"), encoding="utf-8") as f:
            result = json.load(f)
    except OSError as e:
        raise SystemExit(f"compare_runs: {run_dir}: not a finished training run ({e.strerror or e})") from None
    return probs, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs=2, metavar="RUN_DIR")
    a = ap.parse_args(argv)
    (pa, ra), (pb, rb) = (load(r) for r in a.runs)
    if {k: v.shape for k, v in pa.items()} != {k: v.shape for k, v in pb.items()}:
        raise SystemExit("compare_runs: the runs were evaluated on different windows")
    for k in ("seed", "epochs_run", "best_epoch", "stopped_by"):
        print(f"{k}: {ra.get(k)} / {rb.get(k)}")
    for split in sorted(pa):
        d = float(np.max(np.abs(pa[split] - pb[split]))) if pa[split].size else 0.0
        print(f"{split}: max |probability difference| {d:.2e}")
    pt_a = np.concatenate([pa["test_pure"], pa["test_mix"]])
    pt_b = np.concatenate([pb["test_pure"], pb["test_mix"]])
    # each run's decisions under its own thresholds
    da = np.stack([pt_a[:, i] >= ra["thresholds"][lab] for i, lab in enumerate(LABELS)], axis=1)
    db = np.stack([pt_b[:, i] >= rb["thresholds"][lab] for i, lab in enumerate(LABELS)], axis=1)
    agree = float(np.mean(np.all(da == db, axis=1))) if len(da) else 1.0
    print(f"test windows whose three decisions agree: {agree:.2%} of {len(da)}")
    print("thresholds: " + ", ".join(f"{lab} {ra['thresholds'][lab]:.3f}/{rb['thresholds'][lab]:.3f}" for lab in LABELS))
    print("test F1 (pure, float): " + ", ".join(
        f"{lab} {ra['test_float_pure'][lab]['f1']:.3f}/{rb['test_float_pure'][lab]['f1']:.3f}" for lab in LABELS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
