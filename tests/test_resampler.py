"""The streaming resampler to 16 kHz: chunking-invariant, as accurate as scipy's resample_poly,
exact output positions without drift, and bounded memory for awkward rate ratios."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from stream_tagger.resampler import StreamingResampler


@pytest.mark.parametrize("rate,exact", [(8000, True), (22050, True), (44100, True), (48000, True),
                                        (48001, False), (8001, False), (44056, False), (767999, False)])
def test_resampler_is_chunking_invariant_and_accurate(rate, exact):
    rng = np.random.default_rng(1)
    n = rate * 2 + 123
    t = np.arange(n) / rate
    x = (0.5 * np.sin(2 * np.pi * 1000 * t) + 0.01 * rng.standard_normal(n)).astype(np.float32)
    whole = StreamingResampler(rate)
    assert whole.exact == exact  # awkward ratios (16000/48001) take the interpolated method
    a = np.concatenate([whole.push(x), whole.flush()])
    pieces = StreamingResampler(rate)
    cuts = np.sort(rng.integers(0, n, 40))
    b = np.concatenate([pieces.push(c) for c in np.split(x, cuts)] + [pieces.flush()])
    np.testing.assert_array_equal(a, b)
    ones = StreamingResampler(rate)  # one sample at a time, then chunks of a prime length
    c = np.concatenate([ones.push(x[i:i + 1]) for i in range(3000)]
                       + [ones.push(x[i:i + 7919]) for i in range(3000, n, 7919)] + [ones.flush()])
    np.testing.assert_array_equal(a, c)
    ref = scipy.signal.resample_poly(x.astype(np.float64), *_ratio(rate))
    assert a.shape == ref.shape
    assert np.max(np.abs(a - ref)) < 1e-4
    noise = rng.uniform(-1, 1, n).astype(np.float32)  # full band: the interpolated filter's own error shows
    r = StreamingResampler(rate)
    d = np.concatenate([r.push(noise), r.flush()]) - scipy.signal.resample_poly(noise.astype(np.float64), *_ratio(rate))
    assert np.max(np.abs(d)) < 1e-4


def test_resampler_output_sits_at_exact_positions_without_drift():
    """A click a minute in comes out where resample_poly puts a click at the same fractional
    position (the pattern repeats every rate_in inputs = 16000 outputs), to about 1e-6."""
    rate = 44056  # 16000/44056 = 2000/5507: interpolated
    k0 = rate + 3217  # a click 1.07 s in ...
    k = k0 + 60 * rate  # ... and a minute later: the same position relative to the output grid
    x = np.zeros(2 * rate, np.float32)
    x[k0] = 1.0
    ref = scipy.signal.resample_poly(x.astype(np.float64), *_ratio(rate))
    r = StreamingResampler(rate)
    n_out = 0
    for _ in range(60):
        n_out += r.push(np.zeros(rate, np.float32)).shape[0]
    y = np.concatenate([r.push(x), r.flush()])
    shifted = y[60 * 16000 - n_out:]  # outputs from input position 60 * rate on
    assert shifted.shape == ref.shape
    peak = int(np.argmax(ref))
    assert int(np.argmax(shifted)) == peak == round(k0 * 16000 / rate)
    assert np.max(np.abs(shifted - ref)) < 1e-5


@pytest.mark.parametrize("rate", [48001, 96001, 767999])
def test_resampler_memory_does_not_grow_with_the_ratio_terms(rate):
    """The exact filter for 16000/96001 took 198 MB (48001 Hz: 99 MB); the interpolated one
    takes a few MB, set by rate_in / rate_out only."""
    import tracemalloc

    tracemalloc.start()
    r = StreamingResampler(rate)
    r.push(np.zeros(rate // 2, np.float32))
    r.flush()
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert peak_mb < 20, peak_mb


def _ratio(rate):
    from fractions import Fraction

    f = Fraction(16000, rate)
    return f.numerator, f.denominator
