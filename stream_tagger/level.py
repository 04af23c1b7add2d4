"""Level envelope: RMS of each 10 ms block in dBFS, on the frontend's 160-sample grid.

Block ``j`` covers 16 kHz samples ``[j*160, (j+1)*160)``. Each block's own mean is removed
before squaring (its variance), so a DC offset does not read as sound (this also discounts
content below about 50 Hz). dBFS here is ``10*log10(mean(x**2))``: a full-scale sine is -3 dBFS; digital silence
is floored at :data:`FLOOR_DBFS` (-120).

:class:`LevelMeter` gives the same values however the stream is chunked.
"""

from __future__ import annotations

import numpy as np

FLOOR_DBFS = -120.0
BLOCK_SAMPLES = 160  # 10 ms at 16 kHz
_FLOOR_POWER = 10.0 ** (FLOOR_DBFS / 10.0)


def power_to_dbfs(power) -> np.ndarray:
    """Mean square (full scale = 1) -> dBFS, floored at -120."""
    return 10.0 * np.log10(np.maximum(np.asarray(power, dtype=np.float64), _FLOOR_POWER))


class LevelMeter:
    """Streaming 10 ms level envelope. ``push(samples)`` -> power of each newly completed block.

    Returns mean-square power per block (float64); use :func:`power_to_dbfs` for dBFS.
    Powers (not dB) are returned so that longer spans can be averaged exactly.
    """

    def __init__(self, block_samples: int = BLOCK_SAMPLES):
        self.block_samples = int(block_samples)
        self._pending = np.zeros(0, np.float64)
        self.blocks_done = 0

    def push(self, samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        if x.shape[0] == 0:
            return np.zeros(0)
        buf = np.concatenate([self._pending, x]) if self._pending.shape[0] else x
        n = buf.shape[0] // self.block_samples
        blocks = buf[: n * self.block_samples].reshape(n, self.block_samples)
        self._pending = buf[n * self.block_samples :].copy()
        self.blocks_done += n
        return np.var(blocks, axis=1)

    def flush(self) -> np.ndarray:
        """Power of the final partial block (if any), over the samples it has."""
        if self._pending.shape[0] == 0:
            return np.zeros(0)
        p = np.array([np.var(self._pending)])
        self._pending = np.zeros(0)
        self.blocks_done += 1
        return p


def envelope_dbfs(signal: np.ndarray, block_samples: int = BLOCK_SAMPLES) -> np.ndarray:
    """Level envelope of a whole signal in dBFS (complete blocks plus a final partial one)."""
    m = LevelMeter(block_samples)
    return power_to_dbfs(np.concatenate([m.push(signal), m.flush()]))


FLOOR_BIN_DB = 0.5  # resolution of the floor tracker's histogram, dB
FLOOR_BINS = int(round(-FLOOR_DBFS / FLOOR_BIN_DB)) + 1  # bins for -120 .. 0 dBFS


class NoiseFloor:
    """Causal noise-floor tracker: the level the quietest ``quiet_blocks`` of the last
    ``window_blocks`` 10 ms steps stay at or below.

    ``push(levels_dbfs)`` adds 10 ms block levels (dBFS) in stream order. Each step's level is
    the mean power of its last ``smooth_blocks`` blocks (100 ms: a hiss or a rumble reads as
    steadily as the hop levels it is compared with); :attr:`floor_dbfs` is then the
    ``quiet_blocks``-th lowest of the most recent ``window_blocks`` of those (e.g. the level the
    quietest 3 s of the last 60 s reach: their 5th percentile); while fewer than
    ``window_blocks`` have come, the same share of those there are (the 5th percentile of the
    first 10 s); ``None`` until ``known_blocks`` levels have come (1 s). Levels are kept on a
    :data:`FLOOR_BIN_DB` grid from -120 to 0 dBFS (louder ones count as 0 dBFS). A steady hiss
    under a programme is reached in every pause, so it is the floor; a sound that goes on without
    pauses for most of the window becomes it. Memory is bounded and fixed: a ring of
    ``window_blocks`` bin indices and a histogram of :data:`FLOOR_BINS` counts. The value depends
    only on the levels pushed, so any chunking of the same stream gives the same floor after the
    same block.
    """

    def __init__(self, window_blocks: int = 6000, quiet_blocks: int = 300, known_blocks: int = 100,
                 smooth_blocks: int = 10):
        if not 1 <= quiet_blocks <= window_blocks or known_blocks < 1 or smooth_blocks < 1:
            raise ValueError("need 1 <= quiet_blocks <= window_blocks, known_blocks >= 1, smooth_blocks >= 1")
        self.smooth_blocks = int(smooth_blocks)
        self._recent = np.zeros(0)  # powers of the last smooth_blocks - 1 blocks
        self.window_blocks = int(window_blocks)
        self.quiet_blocks = int(quiet_blocks)
        self.known_blocks = min(int(known_blocks), self.window_blocks)
        self._ring = np.zeros(self.window_blocks, np.int16)
        self._hist = np.zeros(FLOOR_BINS, np.int64)
        self.blocks_seen = 0
        self._floor_bin: int | None = None

    def push(self, levels_dbfs) -> None:
        """Add 10 ms block levels (dBFS), oldest first."""
        v = np.asarray(levels_dbfs, dtype=np.float64).reshape(-1)
        if self.smooth_blocks > 1 and v.shape[0]:
            pw = np.concatenate([self._recent, 10.0 ** (np.nan_to_num(v, nan=FLOOR_DBFS) / 10.0)])
            c = np.concatenate([[0.0], np.cumsum(pw)])
            end = np.arange(self._recent.shape[0] + 1, pw.shape[0] + 1)  # each new block's end in pw
            start = np.maximum(0, end - self.smooth_blocks)
            v = power_to_dbfs((c[end] - c[start]) / (end - start))
            self._recent = pw[-(self.smooth_blocks - 1):].copy()
        if v.shape[0] > self.window_blocks:  # only the last window_blocks can still count
            self.blocks_seen += v.shape[0] - self.window_blocks
            v = v[-self.window_blocks:]
            self._hist[:] = 0
            fresh = np.ones(v.shape[0], bool)
        else:
            fresh = self.blocks_seen + np.arange(v.shape[0]) < self.window_blocks  # ring slot still empty
        if v.shape[0] == 0:
            return
        bins = np.clip(np.round((np.nan_to_num(v, nan=FLOOR_DBFS) - FLOOR_DBFS) / FLOOR_BIN_DB), 0,
                       FLOOR_BINS - 1).astype(np.int16)
        pos = (self.blocks_seen + np.arange(bins.shape[0])) % self.window_blocks
        np.subtract.at(self._hist, self._ring[pos[~fresh]], 1)  # the levels these replace
        self._ring[pos] = bins
        np.add.at(self._hist, bins, 1)
        self.blocks_seen += bins.shape[0]
        self._floor_bin = None

    @property
    def count(self) -> int:
        """Levels the floor is taken over now (at most ``window_blocks``)."""
        return min(self.blocks_seen, self.window_blocks)

    @property
    def floor_dbfs(self) -> float | None:
        if self.count < self.known_blocks:
            return None
        if self._floor_bin is None:
            rank = max(1, -(-self.count * self.quiet_blocks // self.window_blocks))  # ceil, in integers
            self._floor_bin = int(np.searchsorted(np.cumsum(self._hist), rank))
        return FLOOR_DBFS + self._floor_bin * FLOOR_BIN_DB
