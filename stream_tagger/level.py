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
