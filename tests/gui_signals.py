"""A generated file with known segments for the GUI and plot tests.

Silence gaps are digital zeros (exactly silence by level with any model); the sounding parts
are a harmonic chord sequence ("music"), coloured noise ("noise") and a voiced, formant-filtered
glide with syllable gaps ("speech"), each at a clearly audible level (about -20 dBFS RMS).
"""

from __future__ import annotations

import numpy as np
import scipy.signal
import soundfile as sf

from stream_tagger.events import Segment

RATE_HZ = 16000

# (start_s, end_s, label) of the sounding parts; everything else is digital silence
LAYOUT = (
    (0.0, 4.0, "music"),
    (6.0, 10.0, "noise"),
    (12.0, 16.0, "speech"),
)
DURATION_S = 18.0


def _music(n, rng):
    out = np.zeros(n)
    pos = 0
    while pos < n:
        seg = int(rng.uniform(0.3, 0.5) * RATE_HZ)
        t = np.arange(seg) / RATE_HZ
        base = 110 * 2 ** (rng.integers(0, 24) / 12)
        for ratio in (1, 1.26, 1.5):
            for k in range(1, 7):
                out[pos:pos + seg] += (np.sin(2 * np.pi * base * ratio * k * t) * np.exp(-t * 3) / k)[: n - pos]
        pos += seg
    return out


def _noise(n, rng):
    b, a = scipy.signal.butter(2, 0.5, btype="low")
    return scipy.signal.lfilter(b, a, rng.standard_normal(n))


def _speech(n, rng):
    t = np.arange(n) / RATE_HZ
    f0 = 140 * (1 + 0.15 * np.sin(2 * np.pi * 1.3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE_HZ
    src = sum(np.sin(k * phase) / k for k in range(1, 40))
    out = np.zeros(n)
    for fc in (600, 1500, 2800):
        b, a = scipy.signal.iirpeak(fc, 4, fs=RATE_HZ)
        out += scipy.signal.lfilter(b, a, src)
    env = np.clip(np.sin(2 * np.pi * 4 * t), 0.05, None) ** 0.7
    return out * env


def known_segments() -> list[Segment]:
    """The truth: the sounding parts and the silences between and after them."""
    segs = [Segment(a, b, lab) for a, b, lab in LAYOUT]
    edges = [0.0] + [x for a, b, _ in LAYOUT for x in (a, b)] + [DURATION_S]
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a > 1e-9:
            segs.append(Segment(a, b, "silence"))
    return sorted(segs)


def make_known_file(path: str, seed: int = 1) -> list[Segment]:
    """Write the 18 s test file (16 kHz mono WAV) to ``path``; returns its known segments."""
    rng = np.random.default_rng(seed)
    x = np.zeros(int(DURATION_S * RATE_HZ))
    for a, b, lab in LAYOUT:
        i0, i1 = int(a * RATE_HZ), int(b * RATE_HZ)
        part = {"music": _music, "noise": _noise, "speech": _speech}[lab](i1 - i0, rng)
        part = part / (np.sqrt(np.mean(part**2)) + 1e-12) * 0.1  # -20 dBFS RMS
        fade = np.minimum(1.0, np.minimum(np.arange(i1 - i0), np.arange(i1 - i0)[::-1]) / 80.0)  # 5 ms
        x[i0:i1] = np.clip(part * fade, -0.99, 0.99)
    sf.write(path, x.astype(np.float32), RATE_HZ, subtype="FLOAT")
    return known_segments()
