"""How far the data goes: the float probabilities of several training runs, averaged.

    python -m training.ensemble runs/compact runs/seed [runs/...] [--data-dir data]

Each run directory holds the float (Keras) probabilities its training wrote on the fixed
val and test windows (``float_probs.npz``) and those windows' labels (``eval_sets.npz``);
the runs must share the windows (same features and seed), which is checked. For every run
and for the mean of all of them, thresholds are chosen on val (as training chooses them) and
window-level F1 on the pure test windows and on the test mixtures is printed, with the 95 %
bootstrap interval over test recordings (:func:`training.train.f1_interval`) when the
feature store is there to name the recordings.

An average of networks trained apart is a rough upper mark for what one more run of the same
recipe on the same data can reach; it is a diagnostic, not a model the runtime can load.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from .metrics import LABELS, choose_thresholds, f1_interval, prf


def load_run(run_dir: str) -> tuple[dict, dict]:
    """``(probabilities {"val", "test_pure", "test_mix"}, labels {"val", "test_pure", "test_mix"})``."""
    probs_p, sets_p = os.path.join(run_dir, "float_probs.npz"), os.path.join(run_dir, "eval_sets.npz")
    for p in (probs_p, sets_p):
        if not os.path.exists(p):
            raise SystemExit(f"ensemble: {p} not found (is {run_dir} a finished training run?)")
    d, e = np.load(probs_p), np.load(sets_p)
    probs = {k: d[k] for k in ("val", "test_pure", "test_mix")}
    labels = {"val": np.concatenate([e["val_y_pure"], e["val_y_mix"]]), "test_pure": e["test_y_pure"],
              "test_mix": e["test_y_mix"]}
    return probs, labels


def scores(probs: dict, labels: dict, groups: np.ndarray | None) -> dict:
    """Thresholds chosen on val; F1 on pure test windows (with interval) and on test mixtures."""
    thr = choose_thresholds(probs["val"], labels["val"])
    out = {"thresholds": thr, "val_macro_f1": prf(probs["val"], labels["val"], thr)["macro_f1"],
           "pure": prf(probs["test_pure"], labels["test_pure"], thr),
           "mix": prf(probs["test_mix"], labels["test_mix"], thr) if len(labels["test_mix"]) else {}}
    if groups is not None:
        out["pure_ci95"] = f1_interval(probs["test_pure"], labels["test_pure"], groups, thr)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="training run directories (runs/<name>)")
    ap.add_argument("--data-dir", default="data", help="for the recording groups of the test windows")
    a = ap.parse_args(argv)

    runs = [load_run(r) for r in a.runs]
    labels = runs[0][1]
    for r, (_, lab) in zip(a.runs, runs):
        if any(lab[k].shape != labels[k].shape or not np.array_equal(lab[k], labels[k]) for k in labels):
            raise SystemExit(f"ensemble: {r} was evaluated on other windows than {a.runs[0]}")
    from .report import split_groups

    groups = split_groups(a.data_dir, {"y_pure": labels["test_pure"]})
    rows = [(os.path.basename(os.path.normpath(r)), p) for r, (p, _) in zip(a.runs, runs)]
    if len(runs) > 1:
        rows.append((f"mean of {len(runs)}", {k: np.mean([p[k] for p, _ in runs], axis=0) for k in labels}))
    print("| run | val macro F1 | " + " | ".join(f"{lab} F1 (pure)" for lab in LABELS) + " | mix F1 s / m / n |")
    print("|---|---|" + "---|" * len(LABELS) + "---|")
    for name, probs in rows:
        s = scores(probs, labels, groups)
        cells = []
        for lab in LABELS:
            ci = s.get("pure_ci95", {}).get(lab)
            cells.append(f"{s['pure'][lab]['f1']:.3f}" + (f" ({ci[0]:.3f}–{ci[1]:.3f})" if ci else ""))
        mix = " / ".join(f"{s['mix'][lab]['f1']:.3f}" for lab in LABELS) if s["mix"] else "–"
        print(f"| {name} | {s['val_macro_f1']:.3f} | " + " | ".join(cells) + f" | {mix} |")
    print(f"\nFloat (Keras) probabilities; thresholds chosen on val per row; pure test windows: "
          f"{len(labels['test_pure'])}, mixtures: {len(labels['test_mix'])}; brackets: 95 % interval over "
          f"test recordings" + ("" if groups is not None else " (not shown: no matching feature store)") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
