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
   do not count) of the ``half_s`` before differs most from that of the ``half_s`` after, less
   a small penalty per second away from the coarse place. Then each frame near it is measured
   by how far its shape has gone from the mean shape before that place to the mean shape after
   (0 to 1, averaged over ``HALFWAY_SMOOTH_S``), and the change is put where that reaches one
   half (:func:`halfway_crossing`): at a cut, the cut; in a crossfade, nearer its middle than
   the largest change, which a sound heard early in the fade (a voice fading in over music)
   pulls towards its own side.

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
HALFWAY_SMOOTH_S = 0.5
"""Seconds over which each frame's share of the way from the shape before to the shape after is
averaged before the place where it reaches one half is taken (0, the largest change alone: 0.579;
0.25 s: 0.579; 0.35 s: 0.579; 0.75 s: 0.585; 1.0 s: 0.582; 0.5 s: 0.587, and within 0.1 s 0.396
-> 0.432; taking the crossing again from where the first one lands, twice: 0.577, three times:
0.574)."""
HALFWAY_CUT_FRAMES = 5
HALFWAY_CUT_SHARE = 0.5
"""A cut is left where the largest change put it: when the mean share of the
``HALFWAY_CUT_FRAMES`` frames after it exceeds that of the ones before by at least
``HALFWAY_CUT_SHARE`` (validation programmes 0.587 -> 0.590; a cut from speech to music in
tests/test_pauses.py stays exact instead of moving 20 ms; 10 frames: 0.585, a share of 0.7: 0.585)."""
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


def _shapes(frames: np.ndarray, depth_db: float = 40.0) -> np.ndarray:
    """Each frame's spectral shape: its log-mel over its top ``depth_db`` (bands under it, empty
    bands at the log offset too, count as at it, so that a sound only getting louder keeps its
    shape) minus its own mean over the mels."""
    f = np.asarray(frames, dtype=np.float64)
    f = np.maximum(f, f.max(axis=0, keepdims=True) - depth_db / _DB_PER_NEPER_POWER)
    return f - f.mean(axis=0, keepdims=True)


def shape_novelty(frames: np.ndarray, half: int, min_side: int, depth_db: float = 40.0) -> np.ndarray:
    """Spectral-shape change at each frame boundary of ``frames`` (``(n_mels, n)`` log-mel).

    Entry ``j`` (``0 <= j <= n``) compares frames ``[j - half, j)`` with ``[j, j + half)``: the RMS
    over mels of the difference of their mean shapes (each frame's log-mel, bands more than
    ``depth_db`` under its loudest raised to that depth, minus its mean over the mels), in dB
    (the frames are natural-log mel powers). Near the ends fewer frames are compared, down to
    ``min_side`` on a side; boundaries with fewer are ``-inf``.
    """
    n = frames.shape[1]
    out = np.full(n + 1, -np.inf)
    if n < 2 * min_side:
        return out
    shape = _shapes(frames, depth_db)
    c = np.concatenate([np.zeros((shape.shape[0], 1)), np.cumsum(shape, axis=1)], axis=1)
    j = np.arange(min_side, n - min_side + 1)
    left = np.minimum(half, j)
    right = np.minimum(half, n - j)
    before = (c[:, j] - c[:, j - left]) / left
    after = (c[:, j + right] - c[:, j]) / right
    out[j] = _DB_PER_NEPER_POWER * np.sqrt(np.mean((after - before) ** 2, axis=0))
    return out


def place_change(frames: np.ndarray, first_frame: int, coarse_frame: int, radius: int, half: int,
                 distance_per_frame: float = DISTANCE_PER_S / 100, min_side: int | None = None,
                 min_novelty_db: float = MIN_NOVELTY_DB, halfway_smooth: int = 0) -> int | None:
    """The frame boundary within ``radius`` frames of ``coarse_frame`` where the spectral shape
    changes most (:func:`shape_novelty` less ``distance_per_frame`` times the search region's
    largest novelty per frame away), then, with ``halfway_smooth`` frames (> 0), moved to where
    the shape is half the way across that change (:func:`halfway_crossing`); None when no
    candidate has enough frames around it or the largest change is under ``min_novelty_db``.

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
    j = int(cand[int(np.argmax(score))])
    if halfway_smooth > 0:
        j = halfway_crossing(frames, first_frame, j, radius, half, halfway_smooth)
    return j


def halfway_crossing(frames: np.ndarray, first_frame: int, j: int, radius: int, half: int, smooth: int) -> int:
    """The frame boundary within about ``radius`` frames of ``j`` where the spectral shape has gone
    half the way from the mean shape of the ``half`` frames before ``j`` to that of the ``half``
    after: each frame's projection on the line between them (0 before, 1 after) averaged over
    ``smooth`` frames, and the upward crossing of one half nearest ``j`` (``j`` if there is none).

    A cut (see :data:`HALFWAY_CUT_SHARE`) stays at ``j``; in a crossfade, this is the place where
    the mixture sounds as much like what follows as like what went before, near its middle even
    when one sound is heard further into the fade than the other (a voice fading in over music).
    ``frames[:, i]`` is frame ``first_frame + i``; only frames from ``j - half`` to ``j + half``
    are read.
    """
    shape = _shapes(frames)
    i, n = j - first_frame, shape.shape[1]
    before = shape[:, max(0, i - half):i]
    after = shape[:, i:min(n, i + half)]
    if before.shape[1] == 0 or after.shape[1] == 0:
        return j
    a_mean, b_mean = before.mean(axis=1), after.mean(axis=1)
    d = b_mean - a_mean
    dd = float(d @ d)
    lo, hi = max(0, i - radius - smooth // 2), min(n, i + radius + smooth // 2, i + half)
    lo = max(lo, i - half)
    if dd <= 0 or hi - lo < smooth + 1:
        return j
    share = (d @ (shape[:, lo:hi] - a_mean[:, None])) / dd
    q = i - lo  # j's place in ``share``
    w = HALFWAY_CUT_FRAMES
    if q >= w and q + w <= share.shape[0] and share[q:q + w].mean() - share[q - w:q].mean() >= HALFWAY_CUT_SHARE:
        return j  # a cut: most of the way is made within a few frames of j
    c = np.concatenate([[0.0], np.cumsum(share)])
    mean = (c[smooth:] - c[:-smooth]) / smooth  # mean[q]: frames lo+q .. lo+q+smooth-1
    up = np.flatnonzero((mean[:-1] < 0.5) & (mean[1:] >= 0.5))
    if up.shape[0] == 0:
        return j
    places = first_frame + lo + up + 1 + (smooth - 1) / 2.0  # the boundary at the averaged span's middle
    return int(round(places[int(np.argmin(np.abs(places - j)))]))
