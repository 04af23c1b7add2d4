"""The log-mel frontend against independent computations, and its streaming form."""

import math

import numpy as np
import pytest

from stream_tagger.frontend import (
    DEFAULT_PARAMS as P,
    StreamingLogMel,
    mel_filterbank,
    signal_logmel,
    window_logmel,
)


def _test_signal(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / P.sample_rate_hz
    chirp = 0.3 * np.sin(2 * np.pi * (200 + 3000 * t) * t)
    return (chirp + 0.05 * rng.standard_normal(n)).astype(np.float32)


def test_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=P.sample_rate_hz, n_fft=P.n_fft, n_mels=P.n_mels, fmin=P.fmin_hz,
                              fmax=P.fmax_hz, htk=True, norm="slaney")
    np.testing.assert_allclose(mel_filterbank(P), ref, rtol=1e-5, atol=1e-8)


def test_window_matches_librosa_melspectrogram():
    librosa = pytest.importorskip("librosa")
    x = _test_signal(P.window_samples)
    # librosa's centred framing with zero padding is exactly our frame grid
    ref = librosa.feature.melspectrogram(y=x.astype(np.float64), sr=P.sample_rate_hz, n_fft=P.n_fft,
                                         win_length=P.frame_samples, hop_length=P.hop_samples,
                                         window="hann", center=True, pad_mode="constant", power=2.0,
                                         n_mels=P.n_mels, fmin=P.fmin_hz, fmax=P.fmax_hz, htk=True,
                                         norm="slaney")
    # librosa centres the 400-sample Hann inside a 512-sample frame centred on k*hop: the same
    # samples as our frame k, circularly shifted, so the power spectra are identical.
    padded = np.concatenate([np.zeros(200, np.float32), x, np.zeros(200, np.float32)])
    ours = window_logmel(padded)
    np.testing.assert_allclose(ours, np.log(ref + P.log_offset), atol=1e-3)


def _mel_filterbank_from_the_formula():
    """The filterbank written out from its definition, independently of ``mel_filterbank``: HTK mel
    ``m = 2595 log10(1 + f / 700)``; ``n_mels + 2`` points equally spaced in mel from ``fmin`` to
    ``fmax`` give each filter its lower edge, centre and upper edge in Hz; the filter is a triangle
    over the FFT bin frequencies ``k * sr / n_fft``, 0 at the edges and ``2 / (upper - lower)`` at
    the centre (unit area: "slaney" normalisation)."""
    sr, n_fft = P.sample_rate_hz, P.n_fft

    def mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    lo_mel, hi_mel = mel(P.fmin_hz), mel(P.fmax_hz)
    edges = [hz(lo_mel + i * (hi_mel - lo_mel) / (P.n_mels + 1)) for i in range(P.n_mels + 2)]
    fb = np.zeros((P.n_mels, n_fft // 2 + 1))
    for i in range(P.n_mels):
        lower, centre, upper = edges[i], edges[i + 1], edges[i + 2]
        peak = 2.0 / (upper - lower)
        for k in range(n_fft // 2 + 1):
            f = k * sr / n_fft
            if lower < f <= centre:
                fb[i, k] = peak * (f - lower) / (centre - lower)
            elif centre < f < upper:
                fb[i, k] = peak * (upper - f) / (upper - centre)
    return fb


def test_filterbank_matches_the_mel_formula():
    """The module's filterbank against the one written out here (no librosa needed): same
    triangles, same edges, same unit-area scaling."""
    ref = _mel_filterbank_from_the_formula()
    np.testing.assert_allclose(mel_filterbank(P), ref, rtol=1e-5, atol=1e-9)
    # unit area in Hz: the sum over the bins (spacing sr / n_fft) samples each triangle at a few
    # points, so one filter's area is 1 within 10 %, and their mean within 1 %
    area = ref.sum(axis=1) * P.sample_rate_hz / P.n_fft
    assert np.all(np.abs(area - 1.0) < 0.1) and abs(area.mean() - 1.0) < 0.01, area


def test_window_matches_direct_dft():
    x = _test_signal(P.window_samples + 2 * P.context_samples, seed=3)
    ours = window_logmel(x)
    assert ours.shape == (64, 101)
    n = np.arange(P.frame_samples)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / P.frame_samples)  # periodic Hann
    k = np.arange(P.n_fft // 2 + 1)
    dft = np.exp(-2j * np.pi * np.outer(k, n) / P.n_fft)  # zero-padded to n_fft
    fb = _mel_filterbank_from_the_formula()  # not the module's own mel_filterbank
    for frame in (0, 37, 100):
        seg = x[frame * P.hop_samples: frame * P.hop_samples + P.frame_samples].astype(np.float64)
        power = np.abs(dft @ (seg * hann)) ** 2
        ref = np.log(fb @ power + P.log_offset)
        np.testing.assert_allclose(ours[:, frame], ref, atol=2e-4, rtol=1e-4)


def test_signal_logmel_windows_equal_window_form():
    x = _test_signal(3 * P.sample_rate_hz, seed=1)
    feats = signal_logmel(x)
    assert feats.shape[1] == x.shape[0] // P.hop_samples + 1
    padded = np.concatenate([np.zeros(200, np.float32), x, np.zeros(200, np.float32)])
    for start in (0, 4000, 16000, 32000):
        win = window_logmel(padded[start: start + 16400])
        np.testing.assert_allclose(feats[:, start // 160: start // 160 + 101], win, atol=1e-5)


@pytest.mark.parametrize("chunk", [1, 160, 441, 4000, 7919])
def test_streaming_equals_whole_window(chunk):
    x = _test_signal(int(2.6 * P.sample_rate_hz), seed=2)
    padded = np.concatenate([np.zeros(200, np.float32), x, np.zeros(200, np.float32)])
    s = StreamingLogMel(P, keep_frames=400)
    computed = 0
    for i in range(0, x.shape[0], chunk):
        computed += s.push(x[i:i + chunk])
    assert computed == s.frames_available
    # each frame computed exactly once: frames whose right edge is inside the pushed audio
    assert computed == (x.shape[0] + 200 - 400) // 160 + 1
    for start in range(0, x.shape[0] - 16000 - 200 + 1, 4000):
        assert s.has_window(start)
        np.testing.assert_allclose(s.window(start), window_logmel(padded[start:start + 16400]), atol=1e-5)


@pytest.mark.parametrize("chunks", [[1600], [3000, 7919, 160], [20000, 441]])
def test_streaming_keeps_equal_windows_across_cache_compaction(chunks):
    """A small cache (101 frames, buffer 202) is compacted many times over 6 s, and a push
    larger than the cache keeps only its newest frames; every window read right after it
    completes still equals the whole-window form."""
    x = _test_signal(int(6.0 * P.sample_rate_hz), seed=5)
    padded = np.concatenate([np.zeros(200, np.float32), x])
    s = StreamingLogMel(P, keep_frames=P.frames_per_window)
    i, k, checked = 0, 0, 0
    while i < x.shape[0]:
        n = chunks[k % len(chunks)]
        s.push(x[i:i + n])
        i, k = i + n, k + 1
        last = (s.frames_available - P.frames_per_window) * P.hop_samples  # newest complete window
        if last >= 0:
            np.testing.assert_allclose(s.window(last), window_logmel(padded[last:last + 16400]), atol=1e-5)
            checked += 1
    assert checked >= 5
    with pytest.raises(ValueError, match="dropped"):
        s.window(0)


@pytest.mark.parametrize("start", [0, 4000, 8000, 1120])
def test_samples_until_window_is_exactly_what_completes_it(start):
    """The engine reads a live source a hop at a time by this count: one sample short, the
    window is not there; that sample, and it is."""
    f = StreamingLogMel(P)
    need = f.samples_until_window(start)
    assert need == start + (P.frames_per_window - 1) * P.hop_samples + P.frame_samples // 2  # 16200 for window 0
    f.push(np.full(need - 1, 0.1, np.float32))
    assert not f.has_window(start) and f.samples_until_window(start) == 1
    f.push(np.zeros(1, np.float32))
    assert f.has_window(start) and f.samples_until_window(start) == 0
