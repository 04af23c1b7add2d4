"""Generated noise for the corpus (training/synth_noise.py): finite, sized and at the level asked
for, deterministic, with each kind's spectral shape; written as files and listed as candidates."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from corpus_audio import RATE

from training import corpus, synth_noise


# ------------------------------------------------------------------------ generated noise
def _band_power(x: np.ndarray, lo_hz: float, hi_hz: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spec[(f >= lo_hz) & (f < hi_hz)].sum())


@pytest.mark.parametrize("kind", synth_noise.KINDS)
def test_generated_noise_is_finite_and_sized(kind):
    x = synth_noise.generate(kind, 3.0, seed=7, level_dbfs=-20.0)
    assert x.dtype == np.float32 and x.shape == (3 * RATE,)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 0.99
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    assert -26.0 < rms_dbfs <= -19.9                     # at the level asked for (peak limit may lower it)
    assert np.array_equal(x, synth_noise.generate(kind, 3.0, seed=7, level_dbfs=-20.0))   # deterministic
    assert not np.array_equal(x, synth_noise.generate(kind, 3.0, seed=8, level_dbfs=-20.0))


def test_generated_noise_spectral_shapes():
    def low_high_ratio(kind):
        x = synth_noise.generate(kind, 4.0, seed=3, level_dbfs=-20.0)
        return _band_power(x, 50, 500) / _band_power(x, 2000, 7500)
    white, pink, brown = low_high_ratio("white"), low_high_ratio("pink"), low_high_ratio("brown")
    assert white < 0.2 < 1.3 < pink < 3.0 < brown       # expected ~0.08 (flat), ~1.7 (ln 10 / ln 3.75), ~49
    hum = synth_noise.generate("hum", 4.0, seed=3)
    lines = sum(_band_power(hum, k * m - 3, k * m + 3) for m in (50, 60) for k in range(1, 8))
    assert lines / _band_power(hum, 0, 8000) > 0.5       # power sits on mains harmonics
    dtmf = synth_noise.generate("dtmf", 4.0, seed=3)
    keys = sum(_band_power(dtmf, f - 15, f + 15) for f in (697, 770, 852, 941, 1209, 1336, 1477, 1633))
    assert keys / _band_power(dtmf, 0, 8000) > 0.5
    fan = synth_noise.generate("fan", 4.0, seed=3)
    assert _band_power(fan, 0, 1000) > 5 * _band_power(fan, 3000, 8000)   # low-passed


def _peak_track_hz(x, frame=1024, hop=512):
    """Frequency (Hz) of the strongest FFT bin in each frame."""
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop] * np.hanning(frame)
    return np.argmax(np.abs(np.fft.rfft(frames, axis=1)), axis=1) * RATE / frame


def test_generated_sirens_sweep_and_engines_sit_low():
    for seed in range(6):
        siren = synth_noise.generate("siren", 6.0, seed=seed, level_dbfs=-20.0)
        f = _peak_track_hz(siren)
        assert 300 < np.median(f) < 2000 and np.ptp(np.percentile(f, [10, 90])) > 50   # a moving tone
        tonal = sum(_band_power(siren, k - 1, k + 1) for k in np.unique(np.round(f)))
        assert tonal > 0.05 * _band_power(siren, 0, 8000)
        engine = synth_noise.generate("engine", 6.0, seed=seed, level_dbfs=-20.0)
        assert _band_power(engine, 20, 1000) > 3 * _band_power(engine, 2000, 8000)


def test_write_generated_files(tmp_path):
    pairs = synth_noise.write_generated(str(tmp_path), total_s=40.0, seed=5, min_s=5.0, max_s=6.0)
    assert 7 <= len(pairs) <= 8 and {k for _, k in pairs} <= set(synth_noise.KINDS)
    for path, _ in pairs:
        info = sf.info(path)
        assert info.samplerate == 16000 and info.format == "FLAC" and 5.0 <= info.duration <= 6.0
    cands = corpus.generated_candidates(str(tmp_path / "data"), total_s=20.0)
    assert cands and all(c.label == "noise" and c.source == "generated" for c in cands)
    assert len({c.group for c in cands}) == len(cands)     # each file its own group
