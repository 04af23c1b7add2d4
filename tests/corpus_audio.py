"""Test audio for the corpus builder's tests (tests/test_corpus*.py): a tone, and a file written
with its folders."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

RATE = 16000


def _tone(seconds: float, rate: int = RATE, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def _write(path, audio, rate=RATE, **kw):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, audio, rate, **kw)
    return path
