"""Reading audio files and bringing them to the frontend's format (mono float32, 16 kHz).

Resampling uses scipy's polyphase resampler; channels are averaged (downmix).
Non-finite samples are replaced by zeros so that nothing downstream sees NaN or inf.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import soundfile as sf

from .errors import AudioFileError

TARGET_RATE_HZ = 16000


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average channels: ``(n,)`` or ``(n, channels)`` -> ``(n,)`` float32."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]
    return audio


def sanitize(audio: np.ndarray) -> np.ndarray:
    """Replace NaN and +-inf by 0 (in place when possible); returns float32."""
    audio = np.asarray(audio, dtype=np.float32)
    bad = ~np.isfinite(audio)
    if bad.any():
        audio = audio.copy()
        audio[bad] = 0.0
    return audio


def resample(audio: np.ndarray, rate_hz: int, target_hz: int = TARGET_RATE_HZ) -> np.ndarray:
    """Polyphase resampling of mono float32 audio from ``rate_hz`` to ``target_hz``."""
    if int(rate_hz) == int(target_hz):
        return np.asarray(audio, dtype=np.float32)
    import scipy.signal  # noqa: PLC0415 - imported when needed: heavy, and the live runtime does not use it

    ratio = Fraction(int(target_hz), int(rate_hz))
    return scipy.signal.resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def describe_file(path: str) -> sf._SoundFileInfo:
    """soundfile's info for ``path``, or :class:`AudioFileError` with a one-line reason."""
    if not os.path.exists(path):
        raise AudioFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise AudioFileError(f"{path}: is a directory, not an audio file")
    if os.path.getsize(path) == 0:
        raise AudioFileError(f"{path}: file is empty")
    try:
        return sf.info(path)
    except Exception as e:  # soundfile raises LibsndfileError / RuntimeError
        raise AudioFileError(f"{path}: not a readable audio file ({_short(e)})") from None


def read_audio(path: str, target_hz: int = TARGET_RATE_HZ) -> np.ndarray:
    """Whole file as mono float32 at ``target_hz``; clear :class:`AudioFileError` on bad input."""
    info = describe_file(path)
    try:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as e:
        raise AudioFileError(f"{path}: cannot decode audio ({_short(e)})") from None
    if audio.shape[0] == 0 or info.frames == 0:
        raise AudioFileError(f"{path}: contains no audio samples")
    return sanitize(resample(to_mono(audio), rate, target_hz))


def _short(e: Exception) -> str:
    msg = str(e).strip().splitlines()
    return msg[-1] if msg else type(e).__name__
