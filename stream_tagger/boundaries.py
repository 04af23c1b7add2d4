"""Where one sounding class gives way to another: class-change boundaries placed by spectrum.

A silence edge is a level edge, and :func:`~stream_tagger.postprocess.refine_boundary` finds it
on the 10 ms level envelope. Between two sounding classes (speech to music, music to noise, a
crossfade, music starting under a voice) the level often does not move at all, and 1 s windows
every 0.25 s leave the change uncertain by about half a window. Two steps place it instead:

1. **Coarse**, from the windows' probabilities (:func:`window_crossing_sample`): the label's
   per-window probability crosses its threshold between two neighbouring windows; interpolated
   linearly between them, the crossing window holds about ``covered_s`` of the label (0.3 s,
   tuned on validation programmes), which places the change.
2. **Fine**, from the log-mel frames (:func:`shape_novelty`, :func:`place_change`): within
   ``radius_s`` of the coarse place, the frame boundary where the mean spectral *shape* (each
   frame's log-mel over its top 40 dB minus its own mean over the mels, so level changes alone
   do not count) of
   the ``half_s`` before differs most from that of the ``half_s`` after, less a small penalty
   per second away from the coarse place.

The analysis keeps the level's answer for a speech end on a level step where its windows fall
(``DecisionParams.change_keep_fall_step_labels``): a voice stopping over music that goes on drops
the level exactly where it stops (0.538 on the validation programmes without this exception, but
speech ends over a continuing bed 0.27-0.57 s off instead of 0-0.16 s).

Both steps read only what the analysis already holds when the boundary is decided (the window
probabilities up to the cell being decided, the frames up to the end of its window), so live,
replayed and file input give the same boundaries. Measured with ``benchmarks/bench_boundaries.py``
and on held-out programmes (``python -m training.heldout --programmes``): see the README.
"""

from __future__ import annotations

import numpy as np

# Tuned with ``python benchmarks/bench_class_changes.py --set ...`` on 16 validation programmes
# (class changes within 0.25 s; 0.333 with the level alone, 0.525 with these settings).
COVERED_S = 0.3
"""Seconds of a label the window where its probability crosses the threshold holds (0.2 s: 0.514,
0.4 s: 0.517)."""
HALF_S = 1.0
"""Seconds of frames compared on each side of a candidate boundary (0.75 s: 0.522, 1.25 s: 0.528)."""
RADIUS_S = 0.5
"""Seconds around the coarse place searched for the fine one (0.4 s: 0.520, 0.6 s: 0.528)."""
DISTANCE_PER_S = 0.5
"""Penalty per second away from the coarse place, in units of the search region's largest
novelty (0: 0.525, 1.0: 0.472)."""
MIN_SIDE = 0.25
"""A candidate needs at least this share of ``half_s`` of frames on each side."""
MIN_NOVELTY_DB = 2.0
"""Below this much change of spectral shape (dB RMS over the mels) the spectrum shows no change
(a sound only getting louder or softer: white noise stepping by 20 dB reaches 0.7-1.0 dB, while
the searches around class changes in validation programmes reach 3.5 dB or more in 95 % of cases), and the level's
answer stands (1 and 3 dB: the same 0.525)."""
_DB_PER_NEPER_POWER = 10.0 / np.log(10.0)  # natural-log mel power -> dB


def window_crossing_sample(window_probs: dict[int, float], near_sample: int, rising: bool, threshold: float,
                           hop_samples: int, window_samples: int, last_window: int,
                           covered_s: float = COVERED_S, rate_hz: int = 16000) -> int | None:
    """Where a label starts (``rising``) or stops, from its window probabilities, in samples of the run.

    ``window_probs[m]``: the label's probability in window ``m`` (covering samples
    ``[m * hop, m * hop + window)``); only windows up to ``last_window`` are read (those the
    analysis has computed when it decides). Among the threshold crossings between neighbouring
    windows (upwards for a start, downwards for an end) the one whose place lies nearest
    ``near_sample`` is taken; None when no crossing lies within 1 s of it. A start lies
    ``covered_s`` before the end of the (interpolated) crossing window, an end ``covered_s``
    after its start.
    """
    covered = covered_s * rate_hz
    best = None
    for m in sorted(window_probs):
        if m + 1 > last_window or m + 1 not in window_probs:
            continue
        p0, p1 = float(window_probs[m]), float(window_probs[m + 1])
        if (p0 < threshold <= p1) if rising else (p0 >= threshold > p1):
            x = (m + (threshold - p0) / (p1 - p0)) * hop_samples  # interpolated crossing window's start
            t = x + window_samples - covered if rising else x + covered
            if abs(t - near_sample) <= rate_hz and (best is None or abs(t - near_sample) < abs(best - near_sample)):
                best = t
    return None if best is None else int(round(best))


def shape_novelty(frames: np.ndarray, half: int, min_side: int, depth_db: float = 40.0) -> np.ndarray:
    """Spectral-shape change at each frame boundary of ``frames`` (``(n_mels, n)`` log-mel).

    Entry ``j`` (``0 <= j <= n``) compares frames ``[j - half, j)`` with ``[j, j + half)``: the RMS
    over mels of the difference of their mean shapes (each frame's log-mel, bands more than
    ``depth_db`` under its loudest raised to that depth, minus its mean over the mels), in dB
    (the frames are natural-log mel powers). Near the ends fewer frames are compared, down to
    ``min_side`` on a side; boundaries with fewer are ``-inf``.
    """
    f = np.asarray(frames, dtype=np.float64)
    n = f.shape[1]
    out = np.full(n + 1, -np.inf)
    if n < 2 * min_side:
        return out
    # each frame's top ``depth_db``: bands under it (empty bands at the log offset) count as at
    # it, so that a sound only getting louder keeps its shape
    f = np.maximum(f, f.max(axis=0, keepdims=True) - depth_db / _DB_PER_NEPER_POWER)
    shape = f - f.mean(axis=0, keepdims=True)
    c = np.concatenate([np.zeros((f.shape[0], 1)), np.cumsum(shape, axis=1)], axis=1)
    j = np.arange(min_side, n - min_side + 1)
    left = np.minimum(half, j)
    right = np.minimum(half, n - j)
    before = (c[:, j] - c[:, j - left]) / left
    after = (c[:, j + right] - c[:, j]) / right
    out[j] = _DB_PER_NEPER_POWER * np.sqrt(np.mean((after - before) ** 2, axis=0))
    return out


def place_change(frames: np.ndarray, first_frame: int, coarse_frame: int, radius: int, half: int,
                 distance_per_frame: float = DISTANCE_PER_S / 100, min_side: int | None = None,
                 min_novelty_db: float = MIN_NOVELTY_DB) -> int | None:
    """The frame boundary within ``radius`` frames of ``coarse_frame`` where the spectral shape
    changes most (:func:`shape_novelty` less ``distance_per_frame`` times the search region's
    largest novelty per frame away); None when no candidate has enough frames around it or the
    largest change is under ``min_novelty_db``.

    ``frames[:, i]`` is frame ``first_frame + i``; frame indices are on the run's 10 ms grid.
    """
    n = frames.shape[1]
    if min_side is None:
        min_side = max(1, int(round(half * MIN_SIDE)))
    lo, hi = max(coarse_frame - radius, first_frame), min(coarse_frame + radius, first_frame + n)
    if hi < lo:
        return None
    a = max(first_frame, lo - half)
    b = min(first_frame + n, hi + half)
    nov = shape_novelty(frames[:, a - first_frame:b - first_frame], half, min_side)
    cand = np.arange(lo, hi + 1)
    s = nov[cand - a]
    ok = np.isfinite(s)
    if not ok.any():
        return None
    top = float(s[ok].max())
    if top < min_novelty_db:
        return None
    score = np.where(ok, s - distance_per_frame * max(top, 1e-9) * np.abs(cand - coarse_frame), -np.inf)
    return int(cand[int(np.argmax(score))])
