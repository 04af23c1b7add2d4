"""The shipped model on real audio: the example recording (corpus test split) and its reference."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from stream_tagger.engine import Tagger, tag_file
from stream_tagger.events import Hop, Segment
from stream_tagger.labels import read_segments
from stream_tagger.sources import FileSource


@pytest.fixture(scope="module")
def example(shipped_model):
    path = os.path.join(os.path.dirname(shipped_model), "example.ogg")
    ref = os.path.join(os.path.dirname(shipped_model), "example.csv")
    if not (os.path.exists(path) and os.path.exists(ref)):
        pytest.skip("assets/example.ogg / example.csv not there")
    return path, read_segments(ref)


def test_replay_at_speed_1_equals_fast_tagging(shipped_model, example, tmp_path):
    # a 4 s excerpt with speech onset, replayed in real time, against the same file tagged at full speed
    data, rate = sf.read(example[0], dtype="float32", always_2d=True)
    clip = tmp_path / "clip.wav"
    sf.write(clip, data[int(1.5 * rate): int(5.5 * rate)], rate)
    tagger = Tagger(shipped_model)
    fast = list(tagger.stream(FileSource(str(clip))))
    live = list(tagger.stream(FileSource(str(clip), speed=1.0)))
    assert [(e.start_s, e.end_s, sorted(e.labels)) for e in fast if isinstance(e, Hop)] == \
        [(e.start_s, e.end_s, sorted(e.labels)) for e in live if isinstance(e, Hop)]
    assert [e for e in fast if isinstance(e, Segment)] == [e for e in live if isinstance(e, Segment)]
    assert any("speech" in e.labels for e in fast if isinstance(e, Hop))


def _edges(segs, label):
    """Starts and ends of merged spans of ``label``."""
    spans = sorted((s.start_s, s.end_s) for s in segs if s.label == label)
    merged = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1e-6:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [a for a, _ in merged], [b for _, b in merged]


def test_known_boundaries_within_100_ms(shipped_model, example):
    """Abrupt changes of the example (cuts into and out of silence) are found within 100 ms."""
    path, ref = example
    hyp = tag_file(path, model=shipped_model)
    ref_starts, ref_ends = _edges(ref, "silence")
    hyp_starts, hyp_ends = _edges(hyp, "silence")
    for t in ref_starts[1:]:  # the file's own start is trivially a start
        assert min(abs(np.array(hyp_starts) - t)) <= 0.1, (t, hyp_starts)
    for t in ref_ends:
        assert min(abs(np.array(hyp_ends) - t)) <= 0.1, (t, hyp_ends)
    # speech after silence starts where the silence ends, within 100 ms
    sp_starts, sp_ends = _edges(hyp, "speech")
    for t in (3.0, 45.0):
        assert min(abs(np.array(sp_starts) - t)) <= 0.1, (t, sp_starts)


def test_labels_agree_with_the_reference(shipped_model, example):
    path, ref = example
    hyp = tag_file(path, model=shipped_model)
    n = int(round(max(s.end_s for s in ref) * 100))

    def roll(segs, label):
        r = np.zeros(n, bool)
        for s in segs:
            if s.label == label:
                r[int(round(s.start_s * 100)):int(round(s.end_s * 100))] = True
        return r

    # 10 ms frame F1 per label; the minimums sit below what the model reaches here, far above
    # what a broken engine (shifted times, lost segments, swapped labels) would
    for label, minimum in (("speech", 0.9), ("music", 0.75), ("noise", 0.7), ("silence", 0.95)):
        a, b = roll(ref, label), roll(hyp, label)
        f1 = 2 * np.sum(a & b) / max(1, np.sum(a) + np.sum(b))
        assert f1 >= minimum, (label, f1)


def _cli(*args):
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_segments_of_the_example_never_touch(shipped_model, example, tmp_path):
    """What ``replay --fast --headless`` prints as it goes (segments in the order they close) and
    the file ``tag`` writes: one segment per contiguous run of a label, never two that touch (the
    mechanism: test_engine.py, test_label_reopening_at_its_refined_end_continues_the_segment);
    and the two commands, through their own writers, give the same segments."""
    lines = _cli("replay", example[0], "--fast", "--headless", "--format", "csv", "--model", shipped_model)
    streamed = [Segment(float(f[1]), float(f[2]), f[3]) for f in
                (line.split(",") for line in lines.splitlines()) if f[0] == "segment"]
    out = tmp_path / "example.csv"
    _cli("tag", example[0], "-o", str(out), "--model", shipped_model)
    tagged = read_segments(str(out))
    assert len(streamed) >= 6
    for segs in (streamed, tagged):
        for label in ("speech", "music", "noise", "silence"):
            spans = sorted((s.start_s, s.end_s) for s in segs if s.label == label)
            assert spans, label
            for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
                assert b0 > a1 + 1e-6, f"{label} segments {a0}-{a1} and {b0}-{b1} touch"
    assert sorted(streamed) == sorted(tagged)


@pytest.mark.parametrize("speech_s", [(45.0, 50.0), (46.5, 52.0), (3.0, 8.0), (6.0, 11.5)])
def test_speech_stopping_over_continuing_music_ends_where_it_stops(shipped_model, example, tmp_path, speech_s):
    """Speech of the example mixed 6 dB over its music, which goes on after the speech stops: the
    level envelope shows no edge there, and the speech segment used to end at the hop grid's late
    edge (0.47 to 0.97 s late on these); its windows' fall places it within 0.25 s."""
    x, rate = sf.read(example[0], dtype="float32")
    rms = lambda a: float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))  # noqa: E731
    speech = x[int(speech_s[0] * rate): int(speech_s[1] * rate)]
    music = np.tile(x[13 * rate: 20 * rate], 2)[: 10 * rate]  # the example's music alone (13-20 s)
    mix = music / rms(music) * 0.05
    start = int(2.4 * rate)
    mix[start: start + len(speech)] += speech / rms(speech) * 0.05 * 10 ** (6 / 20)
    path = tmp_path / "speech_over_music.wav"
    sf.write(path, mix, rate, subtype="FLOAT")
    true_end_s = 2.4 + len(speech) / rate  # the clip is cut in its speech: it stops at its last sample
    segs = tag_file(str(path), model=shipped_model)
    ends = [s.end_s for s in segs if s.label == "speech"]
    assert ends and min(abs(np.array(ends) - true_end_s)) <= 0.25, (true_end_s, segs)
