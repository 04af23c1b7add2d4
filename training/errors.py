"""Which recordings a model gets wrong: per-file error counts on a split's pure windows.

    python -m training.errors [--model assets/model.tflite] [--split test] [--top 12] [--data-dir data]

The windows are the ones training evaluates on (:func:`training.train.pure_windows`, the same
seeds as ``eval_sets.npz``): single-class windows at a 0.5 s hop, at most 20 per file. The
int8 ``.tflite`` runs through the runtime's :class:`stream_tagger.model.TagModel` at its own
thresholds. A window is *wrong* if any of its three decisions is (the true label missed, or
another label on). For each label it prints the windows, the wrong ones, window-level F1,
and the files with the most wrong windows with what was predicted there.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys

import numpy as np

from stream_tagger.errors import TaggerError
from stream_tagger.model import TagModel

from .metrics import LABELS, prf, threshold_array
from .train import EVAL_SEED_OFFSET, pure_windows


def _label_set(pred_row: np.ndarray) -> str:
    return "+".join(lab for lab, on in zip(LABELS, pred_row) if on) or "none"


def file_errors(model: TagModel, store, split: str = "test", seed: int = 1234,
                max_per_class: int = 3000) -> dict:
    """Per label: ``{"windows", "wrong", "f1", "files": [(path, source, wrong, n, {label set: count})]}``
    (files sorted by wrong windows, most first)."""
    from .augment import WindowSampler

    x, y, files = pure_windows(WindowSampler(store, split), seed + EVAL_SEED_OFFSET[split], max_per_class)
    probs = np.concatenate([model.predict(x[i:i + 256].astype(np.float32)) for i in range(0, len(x), 256)]) \
        if len(x) else np.zeros((0, 3), np.float32)
    thr = threshold_array(model.thresholds)
    pred = probs >= thr
    truth = y >= 0.5
    wrong = ~np.all(pred == truth, axis=1)
    f1 = prf(probs, y, model.thresholds)
    out = {}
    for k, lab in enumerate(LABELS):
        sel = truth[:, k]
        per: dict[int, list] = {}
        for f, w, p in zip(files[sel], wrong[sel], pred[sel]):
            e = per.setdefault(int(f), [0, 0, collections.Counter()])
            e[0] += 1
            if w:
                e[1] += 1
                e[2][_label_set(p)] += 1
        rows = [(store.files[f].path, store.files[f].source, w, n, dict(c)) for f, (n, w, c) in per.items()]
        rows.sort(key=lambda r: (-r[2], r[0]))
        out[lab] = {"windows": int(sel.sum()), "wrong": int(wrong[sel].sum()), "f1": f1[lab]["f1"], "files": rows}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="int8 .tflite (default: the shipped model)")
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--split", default="test", choices=sorted(EVAL_SEED_OFFSET))
    ap.add_argument("--top", type=int, default=12, help="files listed per label (default 12)")
    ap.add_argument("--seed", type=int, default=1234, help="the training seed (default 1234)")
    a = ap.parse_args(argv)
    feat = os.path.join(a.data_dir, "features")
    if not os.path.exists(os.path.join(feat, "index.json")):
        print(f"errors: no feature store in {feat} (build it: python -m training.pipeline)", file=sys.stderr)
        return 2
    try:
        model = TagModel.load(a.model, threads=1)
    except TaggerError as e:
        print(f"errors: {e}", file=sys.stderr)
        return 2
    from .features import FeatureStore

    res = file_errors(model, FeatureStore(feat), a.split, a.seed)
    print(f"{model.path}, {a.split} split, pure windows, thresholds {model.thresholds}")
    for lab in LABELS:
        r = res[lab]
        print(f"{lab}: {r['windows']} windows from {len(r['files'])} files, {r['wrong']} wrong, F1 {r['f1']:.3f}")
        for path, source, w, n, c in r["files"][:a.top]:
            if w == 0:
                break
            got = ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda t: -t[1]))
            print(f"  {w:3d}/{n:<3d} {source}  {path}  ({got})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
