"""Log-mel frontend shared by training and inference.

Everything that turns samples into the network's input lives here, so training and
the runtime cannot drift apart. The model metadata records :meth:`FrontendParams.to_dict`
and the runtime refuses a model whose recorded parameters differ.

Frame grid
----------
Frames are centred on a global grid: frame ``k`` of a stream is centred on sample
``k * hop_samples`` and covers samples ``[k*hop - win/2, k*hop + win/2)``; samples before
the start of the stream are zeros. A 1 s analysis window starting at sample
``s = m * hop_samples`` is frames ``m .. m + frames_per_window - 1`` (101 frames, the last
one centred on the window's end). Computing it therefore needs the window's 16 000
samples plus ``win/2`` = 200 samples of context on each side: 16 400 samples.

Because frames sit on one grid, a stream's features can be computed once per frame
(:class:`StreamingLogMel`) and any window is a slice of them, bit-identical to
:func:`window_logmel` on the same samples.

Units: sample rate in Hz, lengths in samples, features are natural-log mel power
(``log(mel_power + log_offset)``) with audio scaled to [-1, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import scipy.fft


@dataclass(frozen=True)
class FrontendParams:
    """Parameters of the log-mel frontend (fixed once; recorded in model metadata)."""

    sample_rate_hz: int = 16000
    frame_samples: int = 400  # 25 ms Hann window
    hop_samples: int = 160  # 10 ms hop
    n_fft: int = 512
    n_mels: int = 64
    fmin_hz: float = 50.0
    fmax_hz: float = 8000.0
    mel_scale: str = "htk"
    mel_norm: str = "slaney"
    log_offset: float = 1e-6
    window_s: float = 1.0
    frames_per_window: int = 101

    @property
    def window_samples(self) -> int:
        """Samples in one analysis window (16 000 for 1 s at 16 kHz)."""
        return int(round(self.window_s * self.sample_rate_hz))

    @property
    def context_samples(self) -> int:
        """Samples needed each side of a window for its edge frames (200)."""
        return self.frame_samples // 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FrontendParams":
        return cls(**d)

    def mismatches(self, other: dict) -> list[str]:
        """Names of the parameters in ``other`` that differ from ours (or are missing)."""
        mine = self.to_dict()
        out = []
        for k, v in mine.items():
            if k not in other:
                out.append(f"{k} missing")
            elif (isinstance(v, float) and not np.isclose(float(other[k]), v, rtol=1e-9, atol=0)) or (
                not isinstance(v, float) and other[k] != v
            ):
                out.append(f"{k}={other[k]!r} (runtime has {v!r})")
        for k in other:
            if k not in mine:
                out.append(f"{k} unknown")
        return out


DEFAULT_PARAMS = FrontendParams()


def _hz_to_mel_htk(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz_htk(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Triangular mel filters, shape ``(n_mels, n_fft // 2 + 1)``, float32.

    HTK mel scale, band edges ``fmin_hz .. fmax_hz``, each filter scaled to unit area
    ("slaney" normalisation: ``2 / (f_high - f_low)``).
    """
    if params.mel_scale != "htk" or params.mel_norm != "slaney":
        raise ValueError("only htk mel scale with slaney normalisation is implemented")
    n_bins = params.n_fft // 2 + 1
    fft_hz = np.linspace(0.0, params.sample_rate_hz / 2.0, n_bins)
    mel_pts = np.linspace(_hz_to_mel_htk(params.fmin_hz), _hz_to_mel_htk(params.fmax_hz), params.n_mels + 2)
    hz_pts = _mel_to_hz_htk(mel_pts)
    fdiff = np.diff(hz_pts)
    ramps = hz_pts[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (hz_pts[2:] - hz_pts[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=8)
def _analysis_window(params: FrontendParams) -> np.ndarray:
    # periodic Hann, identical to scipy.signal.get_window("hann", N, fftbins=True); computed with
    # numpy so the runtime does not import scipy.signal (0.8 s and 50 MB at start-up)
    n = params.frame_samples
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


def frames_logmel(padded: np.ndarray, n_frames: int, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Log-mel of ``n_frames`` frames whose first frame starts at ``padded[0]``.

    ``padded`` must hold at least ``(n_frames - 1) * hop + frame_samples`` samples.
    Returns float32 of shape ``(n_mels, n_frames)``.
    """
    hop, win = params.hop_samples, params.frame_samples
    x = np.ascontiguousarray(padded, dtype=np.float32)
    need = (n_frames - 1) * hop + win
    if n_frames <= 0:
        return np.zeros((params.n_mels, 0), np.float32)
    if x.shape[0] < need:
        raise ValueError(f"need {need} samples for {n_frames} frames, got {x.shape[0]}")
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, win), strides=(x.strides[0] * hop, x.strides[0]), writeable=False
    )
    spec = scipy.fft.rfft(frames * _analysis_window(params), n=params.n_fft, axis=1)
    power = spec.real * spec.real + spec.imag * spec.imag
    mel = mel_filterbank(params) @ power.T.astype(np.float32)
    return np.log(mel + np.float32(params.log_offset)).astype(np.float32)


def window_logmel(samples: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Features of one analysis window: shape ``(n_mels, frames_per_window)`` = (64, 101).

    ``samples`` holds the window plus its context: ``window_samples + 2 * context_samples``
    samples (16 400), i.e. from 200 samples before the window's start to 200 after its end.
    """
    need = params.window_samples + 2 * params.context_samples
    samples = np.asarray(samples, dtype=np.float32)
    if samples.shape[0] != need:
        raise ValueError(f"window_logmel needs {need} samples (window + context), got {samples.shape[0]}")
    return frames_logmel(samples, params.frames_per_window, params)


def signal_logmel(signal: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Features of every frame of a whole signal on the global frame grid.

    Frame ``k`` is centred on sample ``k * hop``; the signal is zero-padded by
    ``context_samples`` at both ends, so there are ``len(signal) // hop + 1`` frames.
    Window ``m`` (starting at sample ``m * hop``) is ``out[:, m : m + frames_per_window]``.
    """
    c = params.context_samples
    signal = np.asarray(signal, dtype=np.float32)
    padded = np.concatenate([np.zeros(c, np.float32), signal, np.zeros(c, np.float32)])
    n_frames = signal.shape[0] // params.hop_samples + 1
    out = np.empty((params.n_mels, n_frames), np.float32)
    step = 4096  # frames per chunk: bounded memory on long signals
    for k0 in range(0, n_frames, step):
        k1 = min(n_frames, k0 + step)
        out[:, k0:k1] = frames_logmel(padded[k0 * params.hop_samples :], k1 - k0, params)
    return out


def window_starts(n_samples: int, hop_samples: int, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Start samples of the complete windows in a signal of ``n_samples`` samples."""
    if n_samples < params.window_samples:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_samples - params.window_samples + 1, hop_samples, dtype=np.int64)


class StreamingLogMel:
    """Incremental log-mel over a stream: each call computes only the frames new audio completes.

    Push samples with :meth:`push`; :meth:`window` returns the features of the window
    starting at a given sample (a multiple of ``hop_samples``), identical to
    :func:`window_logmel` on the same samples. Memory is bounded: frames older than
    ``keep_frames`` are forgotten. Frames live in a buffer of ``2 * keep_frames`` columns
    that is compacted (the newest ``keep_frames`` moved to its front) only when full, so a
    push copies its new frames once instead of the whole cache.
    """

    def __init__(self, params: FrontendParams = DEFAULT_PARAMS, keep_frames: int = 1024):
        self.params = params
        self.keep_frames = max(keep_frames, params.frames_per_window)
        c = params.context_samples
        self._pending = np.zeros(c, np.float32)  # samples from the next frame's start onwards
        self._next_frame = 0  # index of the next frame to compute
        self._buf = np.zeros((params.n_mels, 2 * self.keep_frames), np.float32)
        self._used = 0  # columns of _buf holding frames [first_frame, next_frame)
        self._first_frame = 0
        self.samples_seen = 0

    def push(self, samples: np.ndarray) -> int:
        """Append mono float32 samples (16 kHz); returns how many new frames were computed."""
        p = self.params
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.samples_seen += samples.shape[0]
        self._pending = np.concatenate([self._pending, samples])
        avail = self._pending.shape[0]
        n_new = 0 if avail < p.frame_samples else (avail - p.frame_samples) // p.hop_samples + 1
        if n_new == 0:
            return 0
        new = frames_logmel(self._pending, n_new, p)
        self._pending = self._pending[n_new * p.hop_samples :].copy()
        self._next_frame += n_new
        if n_new >= self.keep_frames:  # more than the cache holds: keep the newest
            new = new[:, n_new - self.keep_frames:]
            self._first_frame += self._used + n_new - self.keep_frames
            self._used = 0
        elif self._used + n_new > self._buf.shape[1]:  # full: move the newest frames to the front
            keep = self.keep_frames - n_new
            self._buf[:, :keep] = self._buf[:, self._used - keep:self._used]
            self._first_frame += self._used - keep
            self._used = keep
        self._buf[:, self._used:self._used + new.shape[1]] = new
        self._used += new.shape[1]
        return n_new

    @property
    def _frames(self) -> np.ndarray:
        """Frames ``[first_frame, next_frame)`` (a view into the buffer)."""
        return self._buf[:, :self._used]

    @property
    def first_frame(self) -> int:
        """Index of the oldest frame still kept."""
        return self._first_frame

    @property
    def frames_available(self) -> int:
        """Index one past the last computed frame."""
        return self._next_frame

    def has_window(self, start_sample: int) -> bool:
        m = start_sample // self.params.hop_samples
        return m + self.params.frames_per_window <= self._next_frame

    def samples_until_window(self, start_sample: int) -> int:
        """Samples still to :meth:`push` before :meth:`has_window` is true for ``start_sample``
        (0 when it is): its last frame, centred on ``last * hop_samples``, needs the samples up to
        ``last * hop_samples + frame_samples - context_samples`` of the stream."""
        p = self.params
        last = start_sample // p.hop_samples + p.frames_per_window - 1
        return max(0, last * p.hop_samples + p.frame_samples - p.context_samples - self.samples_seen)

    def window(self, start_sample: int) -> np.ndarray:
        """Features ``(n_mels, frames_per_window)`` of the window starting at ``start_sample``
        (a view, valid until the next :meth:`push`)."""
        p = self.params
        if start_sample % p.hop_samples:
            raise ValueError("window start must be a multiple of hop_samples")
        m = start_sample // p.hop_samples
        if m < self._first_frame:
            raise ValueError(f"frames for window at sample {start_sample} were already dropped")
        if not self.has_window(start_sample):
            raise ValueError(f"window at sample {start_sample} is not complete yet")
        i = m - self._first_frame
        return self._frames[:, i : i + p.frames_per_window]

    def frames(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start .. stop - 1`` (indices on the run's frame grid), ``(n_mels, stop - start)``
        (a view, valid until the next :meth:`push`)."""
        if start < self._first_frame:
            raise ValueError(f"frame {start} was already dropped")
        if stop > self._next_frame:
            raise ValueError(f"frame {stop - 1} is not computed yet")
        i = start - self._first_frame
        return self._frames[:, i:i + (stop - start)]

    def recent_frames(self, n: int) -> np.ndarray:
        """The last ``n`` computed frames (fewer at stream start), for displays (a view, valid
        until the next :meth:`push`)."""
        return self._frames[:, -n:]
