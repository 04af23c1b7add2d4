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


def test_a_stream_beginning_with_sound_starts_at_zero_despite_a_step_just_after(engine_model, tmp_path):
    """A run that begins with sound starts its labels at its first sample, even with a level step
    within the refinement radius after it (where a step search alone would put the start)."""
    x = _noise(3 * RATE, 0.2)
    x[: int(0.3 * RATE)] *= 0.1  # -34 dBFS (above the silence level) for 0.3 s, then 20 dB louder
    segs = tag_file(_write(tmp_path, "step.wav", x), model=engine_model)
    _check_consistent(segs, 3.0)
    assert not [s for s in segs if s.label == "silence"], segs
    sound = [s for s in segs if s.label in NETWORK]
    assert sound and min(s.start_s for s in sound) == 0.0, sound


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


def _spans_of(text: str, fmt: str) -> list[tuple[float, float]]:
    """(start, end) of every row/interval a label file or headless output in ``fmt`` holds, as printed."""
    import json

    if fmt in ("csv", "lines-csv"):
        rows = [ln.split(",") for ln in text.splitlines()[1:]]
        return [(float(r[1]), float(r[2])) if fmt == "lines-csv" else (float(r[0]), float(r[1])) for r in rows]
    if fmt in ("jsonl", "lines-jsonl"):
        return [(json.loads(ln)["start"], json.loads(ln)["end"]) for ln in text.splitlines()]
    if fmt == "audacity":
        return [(float(ln.split("\t")[0]), float(ln.split("\t")[1])) for ln in text.splitlines()]
    lines = [ln.strip() for ln in text.splitlines()]  # textgrid intervals carrying a label
    return [(float(lines[i - 2].split("=")[1]), float(lines[i - 1].split("=")[1]))
            for i, ln in enumerate(lines) if ln.startswith("text = ") and ln != 'text = ""']


@pytest.mark.parametrize("rate", [16000, 44100])
@pytest.mark.parametrize("n_samples", [1, 2, 80, 159, 161])
def test_a_stream_shorter_than_a_frame_ends_at_its_true_length_in_every_format(engine_model, tmp_path, rate,
                                                                                n_samples):
    """No format ever prints a zero-length segment or hop; the last end is the source's own length
    (to the format's precision: 1 ms for csv and headless lines, 1 us for the others)."""
    import io

    from stream_tagger.labels import FORMATS, format_segments
    from stream_tagger.outputs import LineWriter
    from stream_tagger.sources import FileSource
    from stream_tagger.engine import Tagger

    path = str(tmp_path / "short.wav")
    sf.write(path, _noise(n_samples, 0.1, seed=3).astype(np.float32), rate, subtype="FLOAT")
    true_s = n_samples / rate
    segs = tag_file(path, model=engine_model)
    assert segs and all(s.end_s > s.start_s for s in segs), segs
    assert max(s.end_s for s in segs) == pytest.approx(true_s, abs=1e-12), segs
    for fmt in FORMATS:
        text = format_segments(segs, fmt, duration_s=true_s)
        spans = _spans_of(text, fmt)
        assert spans and all(b > a for a, b in spans), (fmt, text)
        assert max(b for _, b in spans) == pytest.approx(true_s, abs=5e-4 if fmt == "csv" else 1e-6), (fmt, text)
    events = list(Tagger(engine_model).stream(FileSource(path)))
    for fmt in ("jsonl", "csv"):
        out = io.StringIO()
        writer = LineWriter(fmt, out)
        for ev in events:
            writer.event(ev)
        spans = _spans_of(out.getvalue(), "lines-" + fmt)
        assert len(spans) == len(events) and all(b > a for a, b in spans), (fmt, out.getvalue())
        assert max(b for _, b in spans) == pytest.approx(true_s, abs=5e-4), (fmt, out.getvalue())


@pytest.mark.parametrize("onset_s", [1.97, 1.98, 1.99])
def test_a_quiet_onset_just_before_a_hop_boundary_ends_the_silence_there(engine_model, tmp_path, onset_s):
    """Noise at -40 dBFS from 1.97-1.99 s after digital silence: the cell 1.75-2.0 s stays below
    -50 dBFS on average (silent), so the silence ends on the hop grid at 2.0 s first; its edge is
    searched from 20 ms before that boundary and lands on the onset itself."""
    x = np.zeros(4 * RATE)
    i = int(round(onset_s * RATE))
    x[i:] = _noise(4 * RATE - i, 10 ** (-40 / 20))
    segs = tag_file(_write(tmp_path, "onset.wav", x), model=engine_model)
    _check_consistent(segs, 4.0)
    assert [(s.start_s, s.end_s) for s in segs if s.label == "silence"] == [(0.0, onset_s)]
    sound = [s for s in segs if s.label in NETWORK]
    assert sound and all(s.start_s == onset_s for s in sound), sound


def test_a_tail_above_the_silence_level_is_not_silence(engine_model, tmp_path):
    """Noise at -20 dBFS to 2.0 s, a tail at -45 dBFS (above the -50 dBFS silence level) to 2.3 s,
    then -62 dBFS, in level mode: the cell 2.25-2.5 s is silent on average, and the silence starts
    at 2.3 s, where the level drops below its level, inside that cell (the bug the planted-bug
    check found: the drop was searched only up to 20 ms into the first silent cell, and the
    silence began at 2.0 s). In floor mode the tail is the quietest 5 % of the 2.3 s heard so far,
    so it is the tracked floor and silent from 2.0 s, as that mode means."""
    x = np.concatenate([_noise(2 * RATE, 0.1, 0), _noise(int(0.3 * RATE), 10 ** (-45 / 20), 1),
                        _noise(int(1.7 * RATE), 10 ** (-62 / 20), 2)])
    path = _write(tmp_path, "tail.wav", x)
    segs = tag_file(path, model=engine_model, silence_mode="level")
    _check_consistent(segs, 4.0)
    assert [(s.start_s, s.end_s) for s in segs if s.label == "silence"] == [(2.3, 4.0)]
    floor = tag_file(path, model=engine_model, silence_mode="floor")
    assert [(s.start_s, s.end_s) for s in floor if s.label == "silence"] == [(2.0, 4.0)]
