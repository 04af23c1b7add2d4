"""Reading audio files and bringing them to the frontend's format (mono float32, 16 kHz).

Resampling uses scipy's polyphase resampler (the streaming resampler's bounded method for
awkward ratios); channels are averaged (downmix). Non-finite samples (NaN, +-inf) count as zeros,
before the downmix and the resampling, so that nothing downstream sees NaN or inf.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from fractions import Fraction

import numpy as np
import soundfile as sf

from .errors import AudioFileError, TaggerError, short_reason

TARGET_RATE_HZ = 16000
EXACT_MAX_TERM = 1024  # resample exactly (rational polyphase) when both terms of out/in are at most this
MIN_RATE_HZ = 1000  # lowest source sample rate the sources accept (Hz)
MAX_RATE_HZ = 768000  # highest one (Hz): the fastest rate audio interfaces and files use


def check_rate(rate_hz: int, what: str, error: type[TaggerError] = AudioFileError) -> None:
    """``error`` (one line) if ``rate_hz`` (Hz) is outside :data:`MIN_RATE_HZ`..:data:`MAX_RATE_HZ`;
    ``what`` names the input (a file, standard input, a device)."""
    if int(rate_hz) < MIN_RATE_HZ:
        raise error(f"{what}: sample rate {int(rate_hz)} Hz is too low (at least {MIN_RATE_HZ} Hz needed)")
    if int(rate_hz) > MAX_RATE_HZ:
        raise error(f"{what}: sample rate {int(rate_hz)} Hz is too high (at most {MAX_RATE_HZ} Hz)")


_quiet_lock = threading.Lock()
_quiet_users = 0
_saved_stderr_fd = -1


@contextlib.contextmanager
def quiet_c_stderr(enabled: bool = True):
    """Point file descriptor 2 at /dev/null meanwhile (``enabled``), to hide what native code
    prints there: libmpg123 (MP3 decoding inside libsndfile), whose notes and warnings would
    precede our one-line error, and TFLite's INFO line when it loads a model.

    Process-wide: stderr output of other threads in that time is lost too, so wrap single
    libsndfile calls only. Concurrent and nested uses are counted; the last one restores fd 2.
    Without a usable fd 2 or /dev/null, nothing is redirected.
    """
    global _quiet_users, _saved_stderr_fd
    if not enabled:
        yield
        return
    with _quiet_lock:
        if _quiet_users == 0:
            try:
                if sys.stderr is not None:
                    sys.stderr.flush()
            except (OSError, ValueError):
                pass
            try:
                saved = os.dup(2)
            except OSError:
                saved = -1
            if saved >= 0:
                try:
                    null = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(null, 2)
                    os.close(null)
                except OSError:
                    os.close(saved)
                    saved = -1
            _saved_stderr_fd = saved
        _quiet_users += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_users -= 1
            if _quiet_users == 0 and _saved_stderr_fd >= 0:
                os.dup2(_saved_stderr_fd, 2)
                os.close(_saved_stderr_fd)
                _saved_stderr_fd = -1


def maybe_mpeg(path: str) -> bool:
    """True if libsndfile may hand ``path`` to libmpg123: an MP3-like name or an ID3 tag / MPEG
    frame sync at its start."""
    if os.path.splitext(path)[1].lower() in (".mp3", ".mp2", ".mp1", ".mpga", ".mpeg"):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(3)
    except OSError:
        return False
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average channels: ``(n,)`` or ``(n, channels)`` -> ``(n,)`` float32. With several channels,
    a non-finite sample counts as zero in the average (one bad channel does not void the others)."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        if audio.shape[1] > 1:
            audio = sanitize(audio)
        if audio.shape[1] == 2:  # the common case: much faster than mean(axis=1), bit-identical to it
            audio = (audio[:, 0] + audio[:, 1]) * np.float32(0.5)
        else:
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
    """Polyphase resampling of mono float32 audio from ``rate_hz`` to ``target_hz`` (Hz).

    scipy's exact rational filter when the ratio's terms are small (44.1 kHz: 160/441); for an
    awkward ratio (48001 Hz: 16000/48001), whose exact filter would take memory in proportion to
    its terms, the bounded interpolated filter of :class:`~stream_tagger.resampler.StreamingResampler`."""
    if int(rate_hz) == int(target_hz):
        return np.asarray(audio, dtype=np.float32)
    ratio = Fraction(int(target_hz), int(rate_hz))
    if max(ratio.numerator, ratio.denominator) > EXACT_MAX_TERM:
        from .resampler import StreamingResampler  # noqa: PLC0415 - resampler builds on this module

        r = StreamingResampler(int(rate_hz), int(target_hz))
        return np.concatenate([r.push(audio), r.flush()])
    import scipy.signal  # noqa: PLC0415 - imported when needed: heavy, and the live runtime does not use it

    return scipy.signal.resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def describe_file(path: str) -> sf._SoundFileInfo:
    """soundfile's info for ``path``, or :class:`AudioFileError` with a one-line reason."""
    if not os.path.exists(path):
        raise AudioFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise AudioFileError(f"{path}: is a directory, not an audio file")
    if not os.path.isfile(path):
        raise AudioFileError(f"{path}: not a regular file (a pipe or a device); give '-' to read standard input")
    if os.path.getsize(path) == 0:
        raise AudioFileError(f"{path}: file is empty")
    try:
        with quiet_c_stderr(maybe_mpeg(path)):
            return sf.info(path)
    except Exception as e:  # soundfile raises LibsndfileError / RuntimeError
        reason = short_reason(e)
        if "does not exist" in reason:  # libsndfile's words when its MP3 probe fails on an existing file
            reason = "Format not recognised."
        raise AudioFileError(f"{path}: not a readable audio file ({reason})") from None


def read_audio(path: str, target_hz: int = TARGET_RATE_HZ) -> np.ndarray:
    """Whole file as mono float32 at ``target_hz``; clear :class:`AudioFileError` on bad input."""
    info = describe_file(path)
    try:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as e:
        raise AudioFileError(f"{path}: cannot decode audio ({short_reason(e)})") from None
    if audio.shape[0] == 0 or info.frames == 0:
        raise AudioFileError(f"{path}: contains no audio samples")
    check_rate(rate, path)
    return resample(sanitize(to_mono(audio)), rate, target_hz)
