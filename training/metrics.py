"""Window-level metrics of a run: decisions at thresholds, precision/recall/F1 with bootstrap
intervals over recordings, threshold choice, agreement between two models, confusion tables and
their pictures (numpy; matplotlib only for the pictures). Used by training, conversion, the
held-out scorer and the reports alike, and by nothing that needs TensorFlow."""

from __future__ import annotations

import numpy as np

LABELS = ("speech", "music", "noise")


def threshold_array(thresholds) -> np.ndarray:
    """Thresholds in label order, from a ``{label: p}`` dict or a sequence."""
    return np.asarray([thresholds[lab] if isinstance(thresholds, dict) else thresholds[k]
                       for k, lab in enumerate(LABELS)], np.float32)


def prf(probs: np.ndarray, y: np.ndarray, thresholds) -> dict:
    """Per-label precision, recall, F1 (window level) at ``thresholds``; plus macro F1."""
    out = {}
    pred = probs >= threshold_array(thresholds)[None, :]
    truth = y >= 0.5
    for k, lab in enumerate(LABELS):
        tp = int(np.sum(pred[:, k] & truth[:, k]))
        fp = int(np.sum(pred[:, k] & ~truth[:, k]))
        fn = int(np.sum(~pred[:, k] & truth[:, k]))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[lab] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                    "support": int(truth[:, k].sum()), "n": int(len(y))}
    out["macro_f1"] = round(float(np.mean([out[lab]["f1"] for lab in LABELS])), 4)
    return out


def f1_interval(probs: np.ndarray, y: np.ndarray, groups: np.ndarray, thresholds, n_boot: int = 1000,
                seed: int = 0, level: float = 0.95) -> dict:
    """Per-label F1 interval (``level``, percentile) over a bootstrap of *recordings*.

    Windows of one recording are not independent, so resampling windows would understate the
    spread. Each resample draws, within each true class of the pure windows, as many groups
    (``groups[i]``: the recording / speaker / track group of window ``i``) as that class has,
    with replacement, and keeps all their windows. Returns ``{label: (low, high)}``.
    """
    pred = probs >= threshold_array(thresholds)[None, :]
    truth = y >= 0.5
    cls = np.argmax(y, axis=1)
    # per (class, group): counts of tp / fp / fn for every label, summed over its windows
    keys = sorted(set(zip(cls.tolist(), [str(g) for g in groups])))
    index = {k: i for i, k in enumerate(keys)}
    row = np.array([index[(c, str(g))] for c, g in zip(cls.tolist(), groups)])
    counts = np.zeros((len(keys), len(LABELS), 3))  # group, label, (tp, fp, fn)
    for j, t in enumerate(((truth & pred), (~truth & pred), (truth & ~pred))):
        np.add.at(counts[:, :, j], row, t.astype(float))
    by_class = [np.array([i for i, k in enumerate(keys) if k[0] == c]) for c in range(len(LABELS))]
    rng = np.random.default_rng(seed)
    f1s = np.zeros((n_boot, len(LABELS)))
    for b in range(n_boot):
        tot = np.zeros((len(LABELS), 3))
        for members in by_class:
            if len(members):
                tot += counts[rng.choice(members, len(members), replace=True)].sum(axis=0)
        tp, fp, fn = tot[:, 0], tot[:, 1], tot[:, 2]
        f1s[b] = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)
    a = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(f1s, [a, 100.0 - a], axis=0)
    return {lab: (round(float(lo[k]), 4), round(float(hi[k]), 4)) for k, lab in enumerate(LABELS)}


def choose_thresholds(probs: np.ndarray, y: np.ndarray) -> dict:
    """Per-label threshold in 0.05..0.95 maximising F1 (ties: closest to 0.5)."""
    thr = {}
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3)
    for k, lab in enumerate(LABELS):
        truth = y[:, k] >= 0.5
        best, best_f = 0.5, -1.0
        for t in sorted(grid, key=lambda t: abs(t - 0.5)):
            pred = probs[:, k] >= t
            tp = np.sum(pred & truth)
            f = 2 * tp / max(1, pred.sum() + truth.sum())
            if f > best_f + 1e-9:
                best, best_f = float(t), f
        thr[lab] = best
    return thr


def decisions_agree(p1: np.ndarray, p2: np.ndarray, thresholds: dict) -> float:
    """Share of windows whose three decisions (prob >= threshold) are identical."""
    thr = threshold_array(thresholds)
    return float(np.mean(np.all((p1 >= thr) == (p2 >= thr), axis=1)))


def confusion_pure(probs: np.ndarray, y: np.ndarray, thresholds: dict) -> tuple[list[str], list[str], np.ndarray]:
    """Rows: true class of pure windows; columns: the predicted label set."""
    pred = probs >= threshold_array(thresholds)
    cols = ["none", "speech", "music", "noise", "speech+music", "speech+noise", "music+noise", "all"]
    keys = {(): 0, (0,): 1, (1,): 2, (2,): 3, (0, 1): 4, (0, 2): 5, (1, 2): 6, (0, 1, 2): 7}
    m = np.zeros((3, len(cols)), int)
    for pr, t in zip(pred, y):
        if t.sum() != 1:
            continue
        m[int(np.argmax(t)), keys[tuple(np.flatnonzero(pr))]] += 1
    return list(LABELS), cols, m


# ---------------------------------------------------------------- plots

def plot_curves(history: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for key in ("loss", "val_loss"):
        if key in history:
            axes[0].plot(range(1, len(history[key]) + 1), history[key], label=key)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("binary cross-entropy")
    axes[0].legend()
    for key in ("auc", "val_auc", "binary_accuracy", "val_binary_accuracy"):
        if key in history:
            axes[1].plot(range(1, len(history[key]) + 1), history[key], label=key)
    axes[1].set_xlabel("epoch")
    axes[1].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_confusion(rows, cols, m: np.ndarray, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.4))
    frac = m / np.maximum(1, m.sum(axis=1, keepdims=True))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, f"{m[i, j]}\n{frac[i, j]:.1%}", ha="center", va="center", fontsize=7,
                    color="white" if frac[i, j] > 0.6 else "black")
    ax.set_xlabel("predicted label set")
    ax.set_ylabel("true class (pure test windows)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
