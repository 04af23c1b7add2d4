"""Segment edges at the places where rounding and refinement meet: the stream's first and last
samples, and silence beside a network label. Silence is decided by level, so these checks hold
for any model; the network's labels are only required not to contradict it."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from stream_tagger.engine import tag_file

RATE = 16000
NETWORK = ("speech", "music", "noise")


def _write(tmp_path, name: str, x: np.ndarray) -> str:
    path = str(tmp_path / name)
    sf.write(path, x.astype(np.float32), RATE, subtype="FLOAT")
    return path


def _noise(n: int, rms: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n) * rms


def _check_consistent(segments, duration_s: float) -> None:
    """Times within the stream, no empty segment, and no network label inside silence."""
    for s in segments:
        assert 0.0 <= s.start_s < s.end_s <= duration_s + 1e-12, s
    silences = [s for s in segments if s.label == "silence"]
    for s in segments:
        if s.label in NETWORK:
            for q in silences:
                overlap = min(s.end_s, q.end_s) - max(s.start_s, q.start_s)
                assert overlap <= 1e-9, (s, q)


def test_sound_then_silence_share_one_edge(engine_model, tmp_path):
    x = np.zeros(int(2.2 * RATE))
    x[: int(0.2 * RATE)] = _noise(int(0.2 * RATE), 0.1)
    segs = tag_file(_write(tmp_path, "tail.wav", x), model=engine_model)
    _check_consistent(segs, 2.2)
    silence = [s for s in segs if s.label == "silence"]
    assert [(s.start_s, s.end_s) for s in silence] == [(0.2, 2.2)]
    sound = [s for s in segs if s.label in NETWORK]
    assert sound and all(s.start_s == 0.0 and s.end_s == 0.2 for s in sound), sound


def test_short_burst_inside_silence_stays_inside_its_gap(engine_model, tmp_path):
    x = np.zeros(4 * RATE)
    a, b = int(2.1 * RATE), int(2.13 * RATE)
    x[a:b] = _noise(b - a, 0.3, seed=1)
    segs = tag_file(_write(tmp_path, "burst.wav", x), model=engine_model)
    _check_consistent(segs, 4.0)
    assert [(s.start_s, s.end_s) for s in segs if s.label == "silence"] == [(0.0, 2.1), (2.13, 4.0)]
    for s in segs:
        if s.label in NETWORK:
            assert 2.1 <= s.start_s and s.end_s <= 2.13, s


def test_click_at_the_first_sample_starts_at_zero(engine_model, tmp_path):
    x = np.zeros(4 * RATE)
    x[:48] = 0.5  # 3 ms
    segs = tag_file(_write(tmp_path, "click.wav", x), model=engine_model)
    _check_consistent(segs, 4.0)
    silence = [s for s in segs if s.label == "silence"]
    assert len(silence) == 1 and silence[0].start_s <= 0.03 and silence[0].end_s == 4.0
    for s in segs:
        if s.label in NETWORK:
            assert s.start_s == 0.0 and s.end_s <= silence[0].start_s, s


@pytest.mark.parametrize("n_samples", [40, 16_560, int(1.035 * RATE)])
def test_last_segment_ends_at_the_last_sample(engine_model, tmp_path, n_samples):
    """Off the 10 ms grid, the end is the stream's end, not the next 10 ms step or hop."""
    dur = n_samples / RATE
    segs = tag_file(_write(tmp_path, "odd.wav", _noise(n_samples, 0.1, seed=2)), model=engine_model)
    _check_consistent(segs, dur)
    assert segs and max(s.end_s for s in segs) == dur


@pytest.mark.parametrize("hop_s", [0.1, 0.25, 0.5])
@pytest.mark.parametrize("seconds", [0.05, 0.2, 0.4])
def test_a_silent_file_shorter_than_min_on_is_still_silence(engine_model, tmp_path, hop_s, seconds):
    path = _write(tmp_path, "zeros.wav", np.zeros(int(seconds * RATE)))
    segs = tag_file(path, model=engine_model, hop_s=hop_s)
    assert [(s.start_s, s.end_s, s.label) for s in segs] == [(0.0, seconds, "silence")]
