"""A tiny generated corpus (speech-like, music-like, noise) with a manifest, for training tests.

Not real audio, but each class has its own structure: "speech" is a voiced source with a
gliding pitch, moving formants and syllable-rate gaps (8 kHz originals, band-limited);
"music" holds chords of harmonic notes that change every 0.25-0.6 s (44.1 kHz); "noise" is
coloured broadband noise with slow level changes (16 / 44.1 kHz). The manifest follows
training/corpus.py's format and splits by group (one file = one group here).
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import scipy.signal
import soundfile as sf


def _speech(rng, dur_s, rate):
    n = int(dur_s * rate)
    t = np.arange(n) / rate
    f0 = rng.uniform(90, 220) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    src = sum(np.sin(k * phase) / k for k in range(1, 30) if k * f0.max() < rate / 2)
    out = np.zeros(n)
    for fc in (rng.uniform(300, 900), rng.uniform(900, 2500), rng.uniform(2400, 3400)):
        fc_t = fc * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(2, 6) * t + rng.uniform(0, 6)))
        b, a = scipy.signal.iirpeak(min(fc, rate / 2 * 0.9), 4, fs=rate)
        out += scipy.signal.lfilter(b, a, src) * (fc_t / fc)
    env = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 6)), 0, None) ** 0.7
    return 0.2 * out * env / (np.abs(out).max() + 1e-9)


def _music(rng, dur_s, rate):
    n = int(dur_s * rate)
    out = np.zeros(n)
    pos = 0
    while pos < n:
        seg = int(rng.uniform(0.25, 0.6) * rate)
        t = np.arange(seg) / rate
        base = 110 * 2 ** (rng.integers(0, 24) / 12)
        for ratio in (1, 1.26, 1.5):
            for k in range(1, 8):
                out[pos:pos + seg] += (np.sin(2 * np.pi * base * ratio * k * t) * np.exp(-t * rng.uniform(1, 6)) / k)[:n - pos]
        pos += seg
    return 0.15 * out / (np.abs(out).max() + 1e-9)


def _noise(rng, dur_s, rate):
    n = int(dur_s * rate)
    x = rng.standard_normal(n)
    b, a = scipy.signal.butter(2, rng.uniform(0.05, 0.9), btype="low")
    x = scipy.signal.lfilter(b, a, x)
    env = 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.2, 1) * np.arange(n) / rate)
    return 0.1 * x * env / (np.abs(x).max() + 1e-9)


GENERATORS = {"speech": (_speech, (8000,)), "music": (_music, (44100,)), "noise": (_noise, (16000, 44100))}


def make_corpus(data_dir: str, files_per_class_split=(3, 1, 1), dur_s: float = 2.0, seed: int = 0) -> str:
    """Write ``data_dir/corpus/{audio, manifest.jsonl, summary.json}``; returns the manifest path."""
    rng = np.random.default_rng(seed)
    corpus = os.path.join(data_dir, "corpus")
    lines = []
    for label, (gen, rates) in GENERATORS.items():
        for split, count in zip(("train", "val", "test"), files_per_class_split):
            for k in range(count):
                rate = int(rates[k % len(rates)])
                d = dur_s if k % 3 else 0.6 * dur_s if label != "speech" else 0.4  # include a short clip
                x = gen(rng, d, rate).astype(np.float32)
                rel = os.path.join("audio", label, f"{label}_{split}_{k}.wav")  # relative to the manifest
                path = os.path.join(corpus, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                sf.write(path, x, rate)
                with open(path, "rb") as f:
                    sha1 = hashlib.sha1(f.read()).hexdigest()
                lines.append({"path": rel, "label": label, "source": f"synth-{label}", "group": f"{label}-{split}-{k}",
                              "license": "CC0-1.0", "copyright_file": "", "duration_s": round(len(x) / rate, 3),
                              "sample_rate_hz": rate, "channels": 1, "sha1": sha1, "split": split})
    man = os.path.join(corpus, "manifest.jsonl")
    with open(man, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    with open(os.path.join(corpus, "summary.json"), "w", encoding="utf-8") as f:
        json.dump({"files": len(lines), "generated": True}, f)
    return man


def make_feature_corpus(data_dir: str) -> str:
    """The training tests' tiny corpus (3 train, 1 val, 1 test files per class of 3 s) with its
    feature store built; -> ``data_dir``."""
    from training.features import build_features

    make_corpus(data_dir, (3, 1, 1), dur_s=3.0)
    build_features(data_dir, progress=False)
    return data_dir
