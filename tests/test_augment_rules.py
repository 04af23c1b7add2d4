"""Issue 18's augmentation rules on a tiny generated corpus (no TensorFlow in this process):
telephone-band examples and speech over a music or noise bed 5..25 dB below the voice."""

import os
import sys

import numpy as np
import pytest

from stream_tagger.frontend import DEFAULT_PARAMS as P

sys.path.insert(0, os.path.dirname(__file__))
from synth_corpus import make_corpus  # noqa: E402

from training.augment import (  # noqa: E402
    AugmentConfig,
    BatchSynth,
    WindowSampler,
    fade_gain,
    level_db,
    mel_center_hz,
    requantise,
    telephone_gain,
    to_power,
)
from training.features import FeatureStore, build_features  # noqa: E402

FLOOR = np.log(P.log_offset)
# every other augmentation off, so that what is measured is the rule under test
PLAIN = dict(p_quiet=0.0, p_bandlimit_bg=0.0, p_bandlimit_speech=0.0, p_bandlimit_mix=0.0, p_highpass=0.0,
             p_tilt=0.0, p_mel_shift=0.0, p_mask=0.0, p_noise_on_noise=0.0, p_telephone=0.0, p_fade=0.0,
             p_requantise=0.0)


@pytest.fixture(scope="module")
def sampler(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("data"))
    make_corpus(d, (3, 1, 1), dur_s=3.0)
    build_features(d, progress=False)
    return WindowSampler(FeatureStore(os.path.join(d, "features")), "train")


def test_telephone_gain_passes_the_voice_band_only():
    g = 10 * np.log10(telephone_gain(300.0, 3400.0)[:, 0])
    fc = mel_center_hz()
    assert np.all(np.abs(g[(fc > 500) & (fc < 3000)]) < 1.0)        # the voice band passes
    assert np.all(g[fc > 4500] < -40.0)                              # highs gone
    assert np.all(g[fc < 150] < -10.0)                               # lows cut


def test_telephone_band_examples(sampler):
    cfg = AugmentConfig(**{**PLAIN, "p_telephone": 1.0})
    x, y = BatchSynth(sampler, cfg).batch(60, np.random.default_rng(1))
    hi = mel_center_hz() > 4500
    assert np.all(x[:, hi, :] < FLOOR + 0.5)                          # every example band-passed
    assert (y.sum(1) >= 1).all() and np.isfinite(x).all()
    x0, _ = BatchSynth(sampler, AugmentConfig(**PLAIN)).batch(60, np.random.default_rng(1))
    assert np.mean(x0[:, hi, :] > FLOOR + 0.5) > 0.2                  # without it the highs are there


@pytest.mark.parametrize("below_db, bed_on", [((5.0, 14.0), 1.0), ((16.0, 25.0), 0.0), ((5.0, 25.0), None)])
def test_speech_over_a_bed_keeps_speech_on(sampler, below_db, bed_on):
    """Speech + music mixtures with the music ``below_db`` under the voice: speech always on,
    music on within 15 dB of the voice and off further down."""
    cfg = AugmentConfig(**{**PLAIN, "p_pure": 0.0, "p_faint": 0.0, "p_speech_over_bed": 1.0,
                           "speech_over_bed_db": below_db, "mix_weights": (("speech", "music", 1.0),)})
    _, y = BatchSynth(sampler, cfg).batch(200, np.random.default_rng(2))
    assert y[:, 0].min() == 1.0 and y[:, 2].max() == 0.0
    if bed_on is None:
        assert 0.35 < y[:, 1].mean() < 0.65                          # 5..15 of 5..25 dB: about half
    else:
        assert set(np.unique(y[:, 1])) == {bed_on}


def test_default_mixtures_include_speech_over_beds(sampler):
    """With the default recipe, some speech + bed mixtures have the bed off (16..25 dB below the
    voice), which the old recipe never drew outside its 'faint' share (25..40 dB)."""
    cfg = AugmentConfig(**{**PLAIN, "p_pure": 0.0, "p_faint": 0.0, "mix_weights": (("speech", "noise", 1.0),)})
    _, y = BatchSynth(sampler, cfg).batch(300, np.random.default_rng(3))
    assert y[:, 0].all() and 0.03 < 1 - y[:, 2].mean() < 0.3


def test_music_fades_in_or_out_across_the_window(sampler):
    g = 10 * np.log10(fade_gain(101, 40.0)[0])
    assert g[0] == 0.0 and abs(g[-1] + 40.0) < 1e-3 and np.all(np.diff(g) < 0)
    assert np.allclose(fade_gain(101, 40.0, fade_out=False)[0], fade_gain(101, 40.0)[0][::-1])

    def end_to_end_db(p_fade):
        cfg = AugmentConfig(**{**PLAIN, "p_pure": 1.0, "class_balance": (0.0, 1.0, 0.0), "p_fade": p_fade})
        x, y = BatchSynth(sampler, cfg).batch(40, np.random.default_rng(4))
        assert (y[:, 1] == 1).all()                                   # still music
        p = to_power(x)
        return np.abs(level_db(p[:, :, :10]) - level_db(p[:, :, -10:]))

    assert np.all(end_to_end_db(1.0) > 10.0)                           # one end 20-50 dB under the other
    assert np.median(end_to_end_db(0.0)) < 6.0


def _voice_8k(seconds=3.0, rms_dbfs=-20.0):
    """A voice-like test signal at 8 kHz: 150 Hz harmonics falling 12 dB/octave, syllables at 4 Hz."""
    t = np.arange(int(8000 * seconds)) / 8000.0
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k**2 for k in range(1, 26))
    x *= 0.2 + 0.8 * np.sin(np.pi * 4 * t) ** 2
    return (x * 10 ** (rms_dbfs / 20) / np.sqrt(np.mean(x**2))).astype(np.float32)


@pytest.mark.parametrize("kind, snr_db", [("mulaw", 38.0), ("linear8", 20 * np.log10(0.1 / (1 / 128 / np.sqrt(12))))])
def test_requantise_matches_real_8_bit_audio(kind, snr_db):
    """The mel-power model of an 8-bit channel against the real thing: the same signal quantised
    in samples (mu-law, or 8-bit PCM at -20 dBFS: floor 32.9 dB under it), resampled to 16 kHz
    and run through the frontend. Per band, 0.2-3.6 kHz, the model matches the real
    channel on average (2.5 dB allowed; above 3.6 kHz the resampler's own roll-off takes over);
    without the noise the clean features miss it by more than 4 dB."""
    from scipy.signal import resample_poly

    from stream_tagger.frontend import signal_logmel

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
    from bench_silence_floor import mulaw_8bit  # the degraded-lines benchmark's telephone codec

    x = _voice_8k()
    real_8bit = mulaw_8bit(x) if kind == "mulaw" else np.round(x * 128) / 128
    feats = lambda a: to_power(signal_logmel(resample_poly(a, 2, 1).astype(np.float32))[:, 10:-10])  # noqa: E731
    real, clean = feats(real_8bit), feats(x)
    model = requantise(clean, kind, snr_db, 4000.0)
    band = (mel_center_hz() > 200) & (mel_center_hz() < 3600)
    db = lambda p: 10 * np.log10(p[band].mean(axis=1) + 1e-12)  # noqa: E731
    assert np.max(np.abs(db(model) - db(real))) < 2.5
    assert np.max(np.abs(db(clean) - db(real))) > 4.0    # the test can tell: clean is off by more
    assert np.all(10 * np.log10(model[mel_center_hz() > 4500].mean(axis=1) + 1e-12) < -60)  # nothing above 4 kHz


def test_requantised_examples_keep_their_labels(sampler):
    cfg = AugmentConfig(**{**PLAIN, "p_requantise": 1.0})
    x, y = BatchSynth(sampler, cfg).batch(40, np.random.default_rng(5))
    x0, y0 = BatchSynth(sampler, AugmentConfig(**{**PLAIN, "p_requantise": 0.0})).batch(40, np.random.default_rng(5))
    assert np.isfinite(x).all() and (y.sum(1) >= 1).all()
    assert not np.allclose(x, x0)
