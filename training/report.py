"""Seed vs compact (vs trunk) on the same source-disjoint test split: a markdown table.

    python -m training.report [--data-dir data] [--compact assets/model.tflite] [--seed-model runs/seed/model.tflite]
                              [--trunk-model runs/trunk/model.tflite]

For each model it runs the int8 ``.tflite`` through the runtime's own
:class:`stream_tagger.model.TagModel` (LiteRT, no TensorFlow) on the test windows and prints
per-class precision / recall / F1 at window level (pure single-class windows, 1 s windows
at a 0.5 s hop) with a 95 % bootstrap interval over test recordings
(:func:`training.train.f1_interval`; needs the feature store), F1 on the seeded synthetic
mixtures, the float (Keras) F1 recorded at training time, parameters, .tflite size, and the
per-window latency with one thread (batch 1, median of repeated calls, frontend excluded). For a
shared-trunk model (``--arch trunk``, :mod:`stream_tagger.trunk`) the latency is what a window
costs when streaming at the 0.25 s hop (one trunk block and one head call), its size is both
files', and its multiply-accumulates are given per second of audio. The trunk row is shown
when ``runs/trunk/model.tflite`` (or ``--trunk-model``) exists.

Test windows are rebuilt from the feature store (``data/features``) exactly as training
built them (same seed); if ``runs/<arch>/eval_sets.npz`` exists it is used instead. Without
either, the metrics stored in the model's metadata are shown (marked "stored"). A model
that is not present at all (the 27 MB seed is not shipped) is shown from the row saved by
an earlier ``--save`` run in ``training/results/<arch>_report.json``, marked as stored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from stream_tagger.model import TagModel

from .metrics import LABELS, f1_interval, prf
from .train import EVAL_SEED_OFFSET


def latency_ms(model: TagModel, n: int = 300) -> float:
    """Median wall time (ms) of ``predict`` on one window, one thread; for a shared-trunk model,
    of what one window costs on a stream at the 0.25 s hop: one trunk block and the head."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 101)) - 6).astype(np.float32)
    if hasattr(model, "run_block"):
        states, fb = model.zero_states(), model.geometry["frames_per_block"]
        steps = model.window_steps(x)

        def call():
            nonlocal states
            _, states = model.run_block(x[:, :fb], states)
            model.pool_head(steps)
    else:
        def call():
            model.predict(x)
    for _ in range(20):
        call()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts) * 1e3)


def frontend_ms_per_window(hop_s: float = 0.25, seconds: float = 60.0) -> float:
    """Frontend cost (ms) per window for a file tagged at ``hop_s``: frames computed once per file."""
    from stream_tagger.frontend import signal_logmel

    x = (0.1 * np.random.default_rng(0).standard_normal(int(16000 * seconds))).astype(np.float32)
    signal_logmel(x[:16000])
    ts = []
    for _ in range(5):
        t = time.perf_counter()
        signal_logmel(x)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)) * 1e3 / (seconds / hop_s)


def split_windows(data_dir: str, runs_dir: str, seed: int = 1234, split: str = "test") -> tuple[dict | None, str]:
    """One test set for every model: the first of runs/compact, runs/seed ``eval_sets.npz``,
    else rebuilt from ``data/features`` as training builds it. Returns (windows, where).
    ``split="val"`` gives the validation windows instead (for choosing between models)."""
    for arch in ("compact", "seed"):
        p = os.path.join(runs_dir, arch, "eval_sets.npz")
        if os.path.exists(p):
            d = np.load(p)
            return {k[len(split) + 1:]: d[k] for k in d.files if k.startswith(split + "_")}, p
    feat = os.path.join(data_dir, "features", "index.json")
    if not os.path.exists(feat):
        return None, "stored"
    from .augment import WindowSampler
    from .features import FeatureStore
    from .train import eval_set

    store = FeatureStore(os.path.dirname(feat))
    return eval_set(WindowSampler(store, split), 1500, seed + EVAL_SEED_OFFSET[split], 3000), os.path.dirname(feat)


def split_groups(data_dir: str, ev: dict | None, seed: int = 1234, split: str = "test") -> np.ndarray | None:
    """Recording / speaker / track group of each pure ``split`` window in ``ev`` (rebuilt from the
    feature store with training's seed), or None if the store is missing or does not match."""
    feat = os.path.join(data_dir, "features", "index.json")
    if ev is None or not os.path.exists(feat):
        return None
    from .augment import WindowSampler
    from .features import FeatureStore
    from .train import pure_windows

    store = FeatureStore(os.path.dirname(feat))
    _, y, files = pure_windows(WindowSampler(store, split), seed + EVAL_SEED_OFFSET[split], 3000)
    if y.shape != ev["y_pure"].shape or not np.array_equal(y, ev["y_pure"]):
        return None
    return np.array([store.files[i].group for i in files])


def predict_all(model: TagModel, x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return np.zeros((0, 3), np.float32)
    return np.concatenate([model.predict(x[i:i + 128].astype(np.float32)) for i in range(0, len(x), 128)])


def evaluate(path: str, arch: str, ev: dict | None, where: str, groups: np.ndarray | None = None,
             split: str = "test") -> dict | None:
    if not os.path.exists(path):
        return None
    from stream_tagger.model import head_path_for

    m = TagModel.load(path, threads=1)
    meta = m.metadata
    size = os.path.getsize(path) + (os.path.getsize(head_path_for(path)) if "trunk" in meta else 0)
    row = {"arch": arch, "path": path, "params": meta.get("params"), "tflite_kib": size / 1024,
           "latency_ms": latency_ms(m), "thresholds": m.thresholds, "macs": meta.get("macs_per_window"),
           "macs_per_second": meta.get("macs_per_second")}
    stored = meta.get("metrics", {})
    row["float_pure"] = stored.get("test_pure_float", {}) if split == "test" else {}   # stored for test only
    row["parity"] = meta.get("parity", {})
    if ev is None:
        row["int8_pure"] = stored.get("test_pure_int8", {})
        row["int8_mix"] = stored.get("test_mix_int8", {})
        row["source"] = "stored"
    else:
        probs = predict_all(m, ev["x_pure"])
        row["int8_pure"] = prf(probs, ev["y_pure"], m.thresholds)
        if groups is not None:
            row["int8_pure_f1_ci95"] = f1_interval(probs, ev["y_pure"], groups, m.thresholds)
            row["n_groups"] = {lab: len(set(groups[ev["y_pure"][:, k] >= 0.5])) for k, lab in enumerate(LABELS)}
        row["int8_mix"] = prf(predict_all(m, ev["x_mix"]), ev["y_mix"], m.thresholds) if len(ev["y_mix"]) else {}
        row["source"] = "measured on " + where
        row["n_pure"] = int(len(ev["y_pure"]))
        row["n_mix"] = int(len(ev["y_mix"]))
    return row


def markdown(rows: list[dict], frontend_ms: float) -> str:
    head = ("| model | class | precision | recall | F1 (int8) | 95 % interval | F1 (float) | mix F1 (int8) | params "
            "| .tflite KiB | ms/window (1 thread) |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        for k, lab in enumerate(LABELS):
            ip, fp, mx = r["int8_pure"].get(lab, {}), r["float_pure"].get(lab, {}), r["int8_mix"].get(lab, {})
            first = k == 0
            ci = r.get("int8_pure_f1_ci95", {}).get(lab)
            ci_s = f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else "–"
            lines.append(
                f"| {r['arch'] if first else ''} | {lab} | {ip.get('precision', float('nan')):.3f} | "
                f"{ip.get('recall', float('nan')):.3f} | {ip.get('f1', float('nan')):.3f} | {ci_s} | "
                f"{fp.get('f1', float('nan')):.3f} | {mx.get('f1', float('nan')):.3f} | "
                f"{(format(r['params'], ',') if first and r['params'] else '')} | "
                f"{format(r['tflite_kib'], '.0f') if first else ''} | {format(r['latency_ms'], '.3f') if first else ''} |")
    notes = [
        "",
        "Window level: 1 s windows; pure = single-class test windows (0.5 s hop, mostly active frames), "
        "mix = seeded synthetic mixtures of test files (both labels on when within 15 dB).",
        "95 % interval: int8 F1 on pure windows, bootstrap over recordings (1,000 resamples of the test "
        "recording / speaker / track groups within each class; windows of one recording are not independent).",
        f"Latency: TagModel.predict on one window, batch 1, num_threads=1, median"
        + ("" if all(r.get("arch") != "trunk" for r in rows) else
           " (trunk: one trunk block and the head, what a window costs when streaming at the 0.25 s hop)")
        + "; the frontend adds "
        f"{frontend_ms:.3f} ms per window at a 0.25 s hop (frames computed once per file).",
    ]
    for r in rows:
        par = r.get("parity") or {}
        notes.append(f"{r['arch']}: {r['source']} on {r.get('n_pure', '?')} pure + {r.get('n_mix', '?')} mixed windows; "
                     f"thresholds {r['thresholds']}; Keras/int8 decision agreement {par.get('decision_agreement_test', '?')} "
                     f"(mixtures {par.get('decision_agreement_test_mix', '?')}); " +
                     (f"MACs per second of audio {r['macs_per_second']:,} (trunk once per step; .tflite KiB: "
                      f"stream trunk + head)" if r.get("arch") == "trunk" and r.get("macs_per_second")
                      else f"MACs/window {r.get('macs')}") +
                     (f"; test groups per class {r['n_groups']}" if r.get("n_groups") else ""))
    return "\n".join(lines + notes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--compact", default=None, help="compact .tflite (default: runs/compact, else assets/model.tflite)")
    ap.add_argument("--seed-model", default=None, help="seed .tflite (default: runs/seed, else assets/model_seed.tflite)")
    ap.add_argument("--trunk-model", default=None, help="shared-trunk .tflite (default: runs/trunk/model.tflite if there)")
    ap.add_argument("--results-dir", default=os.path.join("training", "results"))
    ap.add_argument("--split", choices=("test", "val"), default="test",
                    help="windows to measure on: the test split (default) or the validation split (to choose models)")
    ap.add_argument("--save", action="store_true",
                    help="store each measured row in <results-dir>/<arch>_report.json (shown when a model is absent)")
    a = ap.parse_args(argv)

    def pick(explicit, *cands):
        if explicit:
            return explicit
        return next((c for c in cands if os.path.exists(c)), cands[0])

    paths = {"compact": pick(a.compact, os.path.join(a.runs_dir, "compact", "model.tflite"), "assets/model.tflite"),
             "seed": pick(a.seed_model, os.path.join(a.runs_dir, "seed", "model.tflite"), "assets/model_seed.tflite")}
    trunk = a.trunk_model or os.path.join(a.runs_dir, "trunk", "model.tflite")
    if a.trunk_model or os.path.exists(trunk) or os.path.exists(os.path.join(a.results_dir, "trunk_report.json")):
        paths["trunk"] = trunk
    rows = []
    ev, where = split_windows(a.data_dir, a.runs_dir, split=a.split)
    groups = split_groups(a.data_dir, ev, split=a.split)
    if a.split != "test":
        where += f" ({a.split} split: the table's 'test' means {a.split})"
    for arch, path in paths.items():
        r = evaluate(path, arch, ev, where, groups, a.split)
        stored = os.path.join(a.results_dir, f"{arch}_report.json")
        if r is None and os.path.exists(stored):
            with open(stored, encoding="utf-8") as f:
                r = json.load(f)
            r["source"] = f"stored in {stored} ({path} not present; measured {r.get('measured_utc', '?')})"
        if r is None:
            print(f"report: {arch}: {path} not found (train it: python -m training.pipeline --arch {arch})",
                  file=sys.stderr)
            continue
        if a.save and not r["source"].startswith("stored"):
            r["measured_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with open(stored, "w", encoding="utf-8") as f:
                json.dump(r, f, indent=1)
        rows.append(r)
    if not rows:
        return 1
    print(markdown(rows, frontend_ms_per_window()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
