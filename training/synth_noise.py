"""Generated technical noise, as MUSAN's noise folder also has (all at 16 kHz, float32).

Kinds (``KINDS``): white, pink (1/f power), brown (1/f^2 power), hum (mains 50/60 Hz with
harmonics), static (band-limited radio hiss with crackles and fading), dtmf (key-press
tone sequences), dialtone (dial / busy / ringback tones of several countries), fan
(low-passed noise with a blade-pass tone and slow wobble), siren (wail, yelp or two-tone
emergency sirens over road noise, with Doppler-like drift), engine (a combustion engine's
firing harmonics at a drifting, now and then revving speed, with intake / exhaust noise).

Every file is drawn from its own ``numpy.random.default_rng(seed)``, so output is
deterministic for a given seed.
"""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

SAMPLE_RATE_HZ = 16000
KINDS = ("white", "pink", "brown", "hum", "static", "dtmf", "dialtone", "fan", "siren", "engine")

_DTMF_ROWS_HZ = (697.0, 770.0, 852.0, 941.0)
_DTMF_COLS_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
# (name, frequencies in Hz, on/off cadence in s or None for a continuous tone)
_CALL_TONES = (
    ("us-dial", (350.0, 440.0), None),
    ("eu-dial", (425.0,), None),
    ("uk-dial", (350.0, 450.0), None),
    ("us-busy", (480.0, 620.0), (0.5, 0.5)),
    ("eu-busy", (425.0,), (0.5, 0.5)),
    ("us-ringback", (440.0, 480.0), (2.0, 4.0)),
    ("eu-ringback", (425.0,), (1.0, 4.0)),
    ("uk-ringback", (400.0, 450.0), (0.4, 0.2)),
    ("reorder", (480.0, 620.0), (0.25, 0.25)),
)


def _shaped_noise(n: int, rng: np.random.Generator, exponent: float, rate_hz: int,
                  low_hz: float = 5.0) -> np.ndarray:
    """Gaussian noise whose power spectrum falls as 1/f**exponent above ``low_hz``."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / rate_hz)
    gain = np.maximum(f, low_hz) ** (-exponent / 2.0)
    gain[0] = 0.0
    out = np.fft.irfft(spec * gain, n)
    return out / (np.std(out) + 1e-12)


def _band_noise(n: int, rng: np.random.Generator, low_hz: float, high_hz: float, rate_hz: int,
                exponent: float = 0.0) -> np.ndarray:
    """Noise limited to [low_hz, high_hz] with soft edges and 1/f**exponent tilt."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / rate_hz)
    fl = np.maximum(f, 1.0)
    gain = fl ** (-exponent / 2.0)
    gain /= 1.0 + (low_hz / fl) ** 4          # 2nd-order-like high-pass edge
    gain /= 1.0 + (fl / high_hz) ** 4         # 2nd-order-like low-pass edge
    gain[0] = 0.0
    out = np.fft.irfft(spec * gain, n)
    return out / (np.std(out) + 1e-12)


def _slow_envelope(n: int, rng: np.random.Generator, rate_hz: int, depth: float,
                   max_hz: float = 0.5) -> np.ndarray:
    """1 + depth * (smooth random curve in [-1, 1]) varying at most ``max_hz``."""
    knots = max(4, int(n / rate_hz * max_hz * 2) + 2)
    curve = np.interp(np.linspace(0, knots - 1, n), np.arange(knots), rng.uniform(-1, 1, knots))
    return 1.0 + depth * curve


def _tone(freqs_hz, n: int, rate_hz: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / rate_hz
    return sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in freqs_hz)


def _white(n, rng, rate_hz):
    return rng.standard_normal(n)


def _pink(n, rng, rate_hz):
    return _shaped_noise(n, rng, 1.0, rate_hz)


def _brown(n, rng, rate_hz):
    return _shaped_noise(n, rng, 2.0, rate_hz, low_hz=rng.uniform(10.0, 30.0))


def _hum(n, rng, rate_hz):
    mains_hz = float(rng.choice([50.0, 60.0])) * rng.uniform(0.995, 1.005)
    t = np.arange(n) / rate_hz
    out = np.zeros(n)
    buzz = rng.uniform(0.1, 1.0)          # how much of the odd-harmonic "buzz" there is
    for k in range(1, int(4000 // mains_hz)):
        amp = (1.0 / k) * (buzz if k % 2 else buzz * 0.3) if k > 1 else 1.0
        amp *= rng.uniform(0.3, 1.0)
        out += amp * np.sin(2 * np.pi * k * mains_hz * t + rng.uniform(0, 2 * np.pi))
    out /= np.std(out) + 1e-12
    out += rng.uniform(0.01, 0.2) * _pink(n, rng, rate_hz)
    return out


def _static(n, rng, rate_hz):
    low, high = rng.uniform(100, 500), rng.uniform(2500, 7500)
    out = _band_noise(n, rng, low, high, rate_hz, exponent=rng.uniform(0.0, 0.8))
    out *= np.clip(_slow_envelope(n, rng, rate_hz, rng.uniform(0.2, 0.8), max_hz=2.0), 0.05, None)
    crackles = rng.random(n) < rng.uniform(2, 60) / rate_hz
    clicks = np.zeros(n)
    clicks[crackles] = rng.uniform(-1, 1, crackles.sum()) * rng.uniform(3, 10)
    decay = np.exp(-np.arange(int(0.004 * rate_hz)) / (0.0008 * rate_hz))
    out += np.convolve(clicks, decay, mode="same")
    if rng.random() < 0.4:                # heterodyne whistle drifting in pitch
        f = rng.uniform(600, 3000) + np.cumsum(rng.normal(0, 0.05, n))
        out += rng.uniform(0.05, 0.4) * np.sin(2 * np.pi * np.cumsum(f) / rate_hz)
    return out


def _dtmf(n, rng, rate_hz):
    out = np.zeros(n)
    pos = int(rng.uniform(0.0, 0.5) * rate_hz)
    while pos < n:
        on = int(rng.uniform(0.05, 0.25) * rate_hz)
        off = int(rng.uniform(0.05, 0.6) * rate_hz)
        if rng.random() < 0.1:
            off += int(rng.uniform(0.5, 2.0) * rate_hz)
        seg = min(on, n - pos)
        freqs = (_DTMF_ROWS_HZ[rng.integers(4)], _DTMF_COLS_HZ[rng.integers(4)])
        ramp = np.minimum(1.0, np.minimum(np.arange(seg), np.arange(seg)[::-1]) / (0.003 * rate_hz) + 1e-3)
        out[pos:pos + seg] += _tone(freqs, seg, rate_hz, rng) * ramp
        pos += on + off
    out += rng.uniform(0.003, 0.05) * _band_noise(n, rng, 300, 3400, rate_hz)
    return out


def _dialtone(n, rng, rate_hz):
    _, freqs, cadence = _CALL_TONES[rng.integers(len(_CALL_TONES))]
    freqs = [f * rng.uniform(0.99, 1.01) for f in freqs]
    out = _tone(freqs, n, rate_hz, rng)
    if cadence is not None:
        on_s, off_s = cadence
        t = (np.arange(n) / rate_hz + rng.uniform(0, on_s + off_s)) % (on_s + off_s)
        out *= t < on_s
    if rng.random() < 0.5:                # telephone-line distortion
        out = np.tanh(out * rng.uniform(1.0, 3.0))
    out += rng.uniform(0.003, 0.05) * _band_noise(n, rng, 300, 3400, rate_hz)
    return out


def _fan(n, rng, rate_hz):
    cutoff = rng.uniform(250, 3000)
    out = _band_noise(n, rng, rng.uniform(20, 80), cutoff, rate_hz, exponent=rng.uniform(0.0, 1.0))
    blade_hz = rng.uniform(60, 300)
    t = np.arange(n) / rate_hz
    drift = 1.0 + 0.01 * np.cumsum(rng.normal(0, 1, n)) / np.sqrt(n)
    phase = 2 * np.pi * blade_hz * np.cumsum(drift) / rate_hz
    tonal = sum(rng.uniform(0.05, 0.5) / k * np.sin(k * phase) for k in range(1, 5))
    out += tonal + rng.uniform(0.0, 0.3) * np.sin(2 * np.pi * rng.uniform(20, 50) * t)
    return out * _slow_envelope(n, rng, rate_hz, rng.uniform(0.02, 0.2), max_hz=1.0)


def _siren(n, rng, rate_hz):
    t = np.arange(n) / rate_hz
    style = rng.integers(3)
    if style == 0:      # wail: slow sweep up and down
        lo, hi = rng.uniform(500, 800), rng.uniform(1100, 1700)
        period = rng.uniform(2.0, 6.0)
        f = lo + (hi - lo) * 0.5 * (1 - np.cos(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi)))
    elif style == 1:    # yelp: fast saw-like sweeps
        lo, hi = rng.uniform(500, 800), rng.uniform(1200, 1800)
        period = rng.uniform(0.15, 0.4)
        f = lo + (hi - lo) * ((t / period + rng.uniform(0, 1)) % 1.0)
    else:               # two-tone (hi-lo)
        lo = rng.uniform(400, 700)
        hi = lo * rng.uniform(1.2, 1.5)
        half = rng.uniform(0.4, 0.8)
        f = np.where(((t + rng.uniform(0, 2 * half)) // half) % 2 == 0, lo, hi)
    f = f * (1.0 + rng.uniform(-0.03, 0.03) * np.linspace(-1, 1, n))   # Doppler-like drift
    phase = 2 * np.pi * np.cumsum(f) / rate_hz
    out = np.zeros(n)
    bright = rng.uniform(0.5, 1.5)
    for k in range(1, 16, 2):                                          # horn-like odd harmonics
        out += np.where(k * f < 0.45 * rate_hz, k ** -bright, 0.0) * np.sin(k * phase)
    out *= np.clip(_slow_envelope(n, rng, rate_hz, rng.uniform(0.1, 0.6), max_hz=0.3), 0.05, None)
    out += rng.uniform(0.05, 0.6) * _band_noise(n, rng, 30, rng.uniform(800, 4000), rate_hz, exponent=1.0)
    return out


def _engine(n, rng, rate_hz):
    t = np.arange(n) / rate_hz
    idle_hz = rng.uniform(25, 120)                                     # firing frequency
    speed = _slow_envelope(n, rng, rate_hz, rng.uniform(0.02, 0.15), max_hz=0.5)
    if rng.random() < 0.5:                                             # a rev: up and back down
        c, w = rng.uniform(0.2, 0.8) * t[-1], rng.uniform(0.5, 3.0)
        speed = speed + rng.uniform(0.5, 2.5) * np.exp(-0.5 * ((t - c) / w) ** 2)
    phase = 2 * np.pi * idle_hz * np.cumsum(speed) / rate_hz
    out = np.zeros(n)
    tilt = rng.uniform(0.5, 1.5)
    for k in range(1, 40):
        if k * idle_hz * 3.5 >= 0.45 * rate_hz:
            break
        out += rng.uniform(0.3, 1.0) / k ** tilt * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    out /= np.std(out) + 1e-12
    rough = 1.0 + rng.uniform(0.1, 0.6) * np.sin(phase / 2)            # uneven cylinders
    noise = _band_noise(n, rng, 40, rng.uniform(1000, 5000), rate_hz, exponent=rng.uniform(0.5, 1.5))
    return out * rough + rng.uniform(0.1, 0.8) * noise * (0.5 + 0.5 * np.abs(np.sin(phase / 2)))


_GENERATORS = {
    "white": _white, "pink": _pink, "brown": _brown, "hum": _hum,
    "static": _static, "dtmf": _dtmf, "dialtone": _dialtone, "fan": _fan,
    "siren": _siren, "engine": _engine,
}


def generate(kind: str, duration_s: float, seed: int, sample_rate_hz: int = SAMPLE_RATE_HZ,
             level_dbfs: float | None = None) -> np.ndarray:
    """``duration_s`` of noise ``kind`` as float32 mono at ``sample_rate_hz``.

    ``level_dbfs`` is the RMS level (dB re full scale); None draws it from [-35, -12] dBFS.
    Peaks are kept below 0.99.
    """
    if kind not in _GENERATORS:
        raise ValueError(f"unknown noise kind {kind!r}; known: {', '.join(KINDS)}")
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sample_rate_hz))
    audio = _GENERATORS[kind](n, rng, sample_rate_hz).astype(np.float64)
    if level_dbfs is None:
        level_dbfs = rng.uniform(-35.0, -12.0)
    rms = np.sqrt(np.mean(audio ** 2)) + 1e-12
    audio *= 10.0 ** (level_dbfs / 20.0) / rms
    peak = np.max(np.abs(audio))
    if peak > 0.99:
        audio *= 0.99 / peak
    return np.nan_to_num(audio).astype(np.float32)


def write_generated(out_dir: str, total_s: float = 3000.0, seed: int = 20240601,
                    min_s: float = 5.0, max_s: float = 30.0) -> list[tuple[str, str]]:
    """Write about ``total_s`` seconds of generated noise as 16 kHz FLAC files into ``out_dir``.

    Kinds are cycled so each gets the same share; each file has its own seed and random
    duration in [min_s, max_s]. Returns (path, kind) pairs. Existing identical files are
    rewritten (cheap, deterministic).
    """
    os.makedirs(out_dir, exist_ok=True)
    plan_rng = np.random.default_rng(seed)
    written, done_s, i = [], 0.0, 0
    while done_s < total_s:
        kind = KINDS[i % len(KINDS)]
        duration_s = float(np.round(plan_rng.uniform(min_s, max_s), 2))
        file_seed = seed * 1000 + i
        path = os.path.join(out_dir, f"{kind}-{i:04d}.flac")
        audio = generate(kind, duration_s, file_seed)
        sf.write(path, audio, SAMPLE_RATE_HZ, subtype="PCM_16")
        written.append((path, kind))
        done_s += duration_s
        i += 1
    return written
