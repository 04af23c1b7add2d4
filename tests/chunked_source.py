"""A live source for tests: given samples written into the engine's ring in chunks of a fixed
size, as a capture would, so that tests can check that any chunking gives the same results."""

from __future__ import annotations

import threading

import numpy as np

RATE = 16000


class ChunkedSource:
    """Samples (16 kHz mono float32) written into the ring in chunks of ``chunk`` samples (live);
    with ``seed``, in chunks of a random size from 1 to ``chunk - 1`` samples."""

    live = True
    description = "chunks"

    def __init__(self, x: np.ndarray, chunk: int, seed: int | None = None):
        self.x, self.chunk, self.seed = x, chunk, seed
        self.sample_rate_hz = RATE
        self._ring = None

    def open(self):
        pass

    def start(self, ring):
        self._ring = ring
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        rng, i = np.random.default_rng(self.seed), 0
        while i < self.x.shape[0]:
            n = self.chunk if self.seed is None else int(rng.integers(1, self.chunk))
            self._ring.write_blocking(self.x[i:i + n])
            i += n
        self._ring.close()

    def stop(self):
        if self._ring is not None:
            self._ring.close()

    def check(self):
        pass
