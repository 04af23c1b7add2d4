"""Silence relative to the input's tracked noise floor (issue 20): the tracker, the decision rule,
the engine on hiss floors, quiet programmes, live/chunked against file runs, options and metadata."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from chunked_source import ChunkedSource

from stream_tagger.cli import main
from stream_tagger.engine import Tagger
from stream_tagger.errors import ModelError
from stream_tagger.events import Hop, Segment
from stream_tagger.level import FLOOR_BIN_DB, NoiseFloor
from stream_tagger.model import TagModel, check_metadata
from stream_tagger.postprocess import Decider, DecisionParams
from stream_tagger.sources import FileSource

RATE = 16000
LABELS3 = ["speech", "music", "noise"]


def _hiss(seconds: float, level_dbfs: float, seed: int = 0) -> np.ndarray:
    """Noise falling 3 dB per octave above 100 Hz (a tape or line hiss) at ``level_dbfs`` RMS."""
    n = int(seconds * RATE)
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spec *= np.maximum(np.fft.rfftfreq(n, 1 / RATE), 100.0) ** -0.5
    x = np.fft.irfft(spec, n)
    return (x / np.sqrt(np.mean(x ** 2)) * 10 ** (level_dbfs / 20)).astype(np.float32)


def _segments(events, label: str = "silence") -> list[tuple[float, float]]:
    return [(e.start_s, e.end_s) for e in events if isinstance(e, Segment) and e.label == label]


def _covered(spans, a: float, b: float) -> float:
    """Seconds of ``[a, b]`` that ``spans`` cover."""
    return sum(max(0.0, min(b, e) - max(a, s)) for s, e in spans)


# -- the tracker ---------------------------------------------------------------------------------

def test_floor_tracker_is_the_quiet_rank_of_its_window_and_chunking_invariant():
    rng = np.random.default_rng(1)
    levels = rng.uniform(-100.0, -10.0, 5000)
    one = NoiseFloor(window_blocks=1000, quiet_blocks=50, known_blocks=50, smooth_blocks=1)
    per_block = []
    for v in levels:
        one.push([v])
        per_block.append(one.floor_dbfs)
    assert per_block[48] is None and per_block[49] is not None  # known once 50 levels have come
    for i in (49, 700, 999, 1000, 2500, 4999):  # the 5th percentile of the last 1000, on the 0.5 dB grid
        window = np.round((levels[max(0, i - 999): i + 1] + 120) / FLOOR_BIN_DB) * FLOOR_BIN_DB - 120
        rank = int(np.ceil(0.05 * window.shape[0]))  # the 50th lowest once the window is full
        assert per_block[i] == pytest.approx(np.sort(window)[rank - 1]), i
    chunked, i = NoiseFloor(window_blocks=1000, quiet_blocks=50, known_blocks=50, smooth_blocks=1), 0
    while i < levels.shape[0]:
        n = int(rng.integers(1, 2500))  # chunks longer than the window too
        chunked.push(levels[i: i + n])
        i = min(i + n, levels.shape[0])
        assert chunked.floor_dbfs == per_block[i - 1], i


def test_floor_tracker_follows_a_new_floor_within_its_window():
    nf = NoiseFloor(window_blocks=6000, quiet_blocks=300, smooth_blocks=1)
    nf.push(np.full(6000, -60.0))
    nf.push(np.full(5700, -40.0))  # 57 s louder: the quietest 3 s of the last 60 s are still the old floor
    assert nf.floor_dbfs == -60.0
    nf.push(np.full(1, -40.0))
    assert nf.floor_dbfs == -40.0
    nf.push([-90.0] * 299 + [-20.0])  # a pause shorter than 3 s does not pull the floor down
    assert nf.floor_dbfs == -40.0
    assert nf._ring.shape == (6000,) and nf._hist.sum() == 6000  # bounded memory


# -- the decision rule ---------------------------------------------------------------------------

def test_floor_rule_needs_the_floor_and_no_speech_or_music():
    params = DecisionParams(silence_mode="floor", floor_margin_db=6.0, floor_max_dbfs=-35.0)
    d = Decider(params, LABELS3, 0.25)
    quiet = {"speech": False, "music": False}
    assert d.silent(-47.0, -50.0, {**quiet, "noise": True})  # hiss at the floor: the network calls it noise
    assert not d.silent(-47.0, -50.0, {**quiet, "music": True})  # a soft piece at the floor's level
    assert not Decider(params, LABELS3, 0.25).silent(-47.0, -50.0, {"speech": True})  # a whisper
    d = Decider(params, LABELS3, 0.25)
    assert not d.silent(-40.0, -50.0, quiet)  # 10 dB above the floor: a sound
    assert not d.silent(-47.0, None, quiet)  # floor not known yet: the absolute rule only
    assert d.silent(-55.0, None, {"music": True})  # below the silence level as ever, whatever is on
    d = Decider(params, LABELS3, 0.25)
    assert not d.silent(-33.0, -34.0, quiet)  # a floor louder than floor_max_dbfs is no silence
    d = Decider(params, LABELS3, 0.25)
    assert d.silent(-44.5, -50.0, quiet)  # on at floor + margin ...
    assert d.silent(-42.0, -50.0, quiet)  # ... held within the hysteresis (3 dB) ...
    assert not d.silent(-40.5, -50.0, quiet)  # ... and released above it
    absolute = Decider(DecisionParams(silence_mode="absolute"), LABELS3, 0.25)
    assert not absolute.silent(-47.0, -50.0, quiet)


def test_a_label_blocks_the_floor_only_when_every_window_holds_it_and_the_floor_is_no_noise():
    params = DecisionParams(thresholds={"speech": 0.5, "music": 0.5, "noise": 0.5}, hysteresis=0.1,
                            silence_mode="floor", floor_margin_db=6.0)
    d = Decider(params, LABELS3, 0.25)
    assert d.held({"speech": 0.46, "music": 0.44, "noise": 0.9}) == {"speech": True, "music": False, "noise": True}
    # a cell at the floor beside speech: the mean says speech, the window before it does not
    mean = {"speech": 0.6, "music": 0.02, "noise": 0.7}
    labels, _, _ = d.update(0, mean, -47.0, -50.0, window_min={"speech": 0.05, "music": 0.01, "noise": 0.6})
    assert "silence" in labels
    d = Decider(params, LABELS3, 0.25)
    labels, _, _ = d.update(0, mean, -47.0, -50.0, window_min={"speech": 0.55, "music": 0.01, "noise": 0.6})
    assert labels == {"speech"}  # a whisper at the floor: speech, and its hiss is no noise
    d = Decider(params, LABELS3, 0.25)
    labels, _, _ = d.update(0, mean, -30.0, -50.0, window_min={"speech": 0.55, "music": 0.01, "noise": 0.6})
    assert labels == {"speech", "noise"}  # above the floor the network's noise stands


# -- the engine ----------------------------------------------------------------------------------

def _floor_and_tone(level_dbfs: float) -> np.ndarray:
    """12 s of hiss at ``level_dbfs``; a 440 Hz tone at -20 dBFS rises over it from 6 to 8 s."""
    x = _hiss(12.0, level_dbfs)
    t = np.arange(2 * RATE) / RATE
    x[6 * RATE: 8 * RATE] += (10 ** (-17 / 20) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return x


@pytest.mark.parametrize("level_dbfs", [-60.0, -50.0, -45.0, -40.0])
def test_hiss_floors_become_silence_and_a_rising_sound_ends_it(shipped_model, tmp_path, level_dbfs):
    path = tmp_path / "hiss.wav"
    sf.write(path, _floor_and_tone(level_dbfs), RATE, subtype="FLOAT")
    floor = list(Tagger(shipped_model, silence_mode="floor").stream(FileSource(str(path))))
    sil = _segments(floor)
    # the floor is known after the first second: silence from then to the tone, and after it
    assert _covered(sil, 1.5, 5.9) == pytest.approx(4.4, abs=0.01), sil
    assert _covered(sil, 8.3, 12.0) == pytest.approx(3.7, abs=0.01), sil
    assert _covered(sil, 6.0, 8.0) == 0.0, sil  # the tone is no silence
    assert any(abs(e - 6.0) <= 0.1 for _, e in sil) and any(abs(s - 8.0) <= 0.1 for s, _ in sil), sil
    hops = [e for e in floor if isinstance(e, Hop)]
    assert all(h.floor_dbfs is None for h in hops if h.end_s < 0.9)
    known = [h.floor_dbfs for h in hops if h.start_s > 1.1]
    assert known and all(level_dbfs - 4.0 <= f <= level_dbfs + 1.0 for f in known), known
    absolute = _segments(Tagger(shipped_model, silence_mode="absolute").stream(FileSource(str(path))))
    if level_dbfs > -50.0:  # above the silence level, only the floor rule finds the silence
        assert absolute == []


def test_live_chunked_and_file_runs_give_the_same_floor_and_labels(shipped_model, tmp_path):
    x = np.concatenate([_floor_and_tone(-45.0), _hiss(8.0, -40.0, seed=3)])  # the floor rises at 12 s
    path = tmp_path / "floor.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    tagger = Tagger(shipped_model, silence_mode="floor")
    from_file = list(tagger.stream(FileSource(str(path))))
    assert len(_segments(from_file)) >= 2
    for seed in (1, 2):
        assert list(tagger.stream(ChunkedSource(x, 4000, seed=seed))) == from_file
    assert list(tagger.stream(FileSource(str(path), speed=8.0))) == from_file  # paced like live


def _example_part(start_s: float, end_s: float) -> np.ndarray:
    from stream_tagger.model import default_model_path
    from stream_tagger.audio_io import read_audio
    import os

    example = os.path.join(os.path.dirname(default_model_path()), "example.ogg")
    return read_audio(example)[int(start_s * RATE): int(end_s * RATE)]


@pytest.mark.parametrize("label, spans, level_dbfs, share", [
    ("music", [(12.5, 19.5), (29.0, 35.5)], -40.0, 0.85),  # the example's music, as a soft piece
    ("speech", [(3.0, 12.0), (45.0, 54.0)], -42.0, 0.9),  # its speech, as a whispered passage
])  # (their quietest moments, below -50 dBFS, are silence in either mode)
def test_a_quiet_programme_with_no_floor_is_not_taken_for_the_floor(shipped_model, tmp_path, label, spans,
                                                                    level_dbfs, share):
    x = np.concatenate([_example_part(a, b) for a, b in spans] * 3).astype(np.float64)
    x = (x / np.sqrt(np.mean(x ** 2)) * 10 ** (level_dbfs / 20)).astype(np.float32)
    path = tmp_path / "quiet.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    duration = x.shape[0] / RATE
    runs = {mode: list(Tagger(shipped_model, silence_mode=mode).stream(FileSource(str(path))))
            for mode in ("absolute", "floor")}
    hops = [e for e in runs["floor"] if isinstance(e, Hop)]
    assert max(h.floor_dbfs for h in hops if h.floor_dbfs is not None) <= level_dbfs  # the floor is the piece's
    floor_label = _covered(_segments(runs["floor"], label), 0, duration)
    assert floor_label >= _covered(_segments(runs["absolute"], label), 0, duration) - 1e-6  # nothing lost
    assert floor_label >= share * duration
    assert _covered(_segments(runs["floor"]), 0, duration) <= _covered(_segments(runs["absolute"]), 0, duration) + 1e-6


# -- options and metadata ------------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["tag", "x.wav", "--silence-mode", "relative"], "argument --silence-mode: invalid choice: 'relative'"),
    (["tag", "x.wav", "--floor-margin-db", "-1"], "floor margin must be between 0 and 40 dB"),
    (["replay", "x.wav", "--floor-margin-db", "41"], "floor margin must be between 0 and 40 dB"),
    (["live", "--floor-margin-db", "nan"], "floor margin must be between 0 and 40 dB"),
    (["replay", "x.wav", "--headless", "--floor-margin-db", "six"], "not a number: 'six'"),
    (["live", "--silence-mode"], "expected one argument"),
])
def test_bad_silence_options_exit_2_with_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"stream-tagger: error: {argv[0]}: "), err
    assert message in err, err


def test_silence_options_reach_the_decision_and_the_labels(shipped_model, tmp_path, capsys):
    path = tmp_path / "hiss.wav"
    sf.write(path, _floor_and_tone(-45.0), RATE, subtype="FLOAT")
    assert main(["tag", str(path), "--model", shipped_model, "--silence-mode", "absolute"]) == 0
    assert "silence" not in capsys.readouterr().out
    assert main(["tag", str(path), "--model", shipped_model, "--silence-mode", "floor", "--floor-margin-db", "6"]) == 0
    assert "silence" in capsys.readouterr().out
    assert main(["tag", str(path), "--model", shipped_model, "--silence-mode", "floor", "--floor-margin-db", "0",
                 "--silence-db", "-120"]) == 0  # hiss fluctuates above its own quiet 3 s: no margin, no silence
    assert "silence" not in capsys.readouterr().out
    t = Tagger(shipped_model, silence_mode="floor", floor_margin_db=9.5, silence_dbfs=-55.0)
    assert (t.decision.silence_mode, t.decision.floor_margin_db, t.decision.silence_dbfs) == ("floor", 9.5, -55.0)


def test_silence_settings_are_read_from_and_checked_in_the_metadata(shipped_model, tmp_path):
    meta = json.loads(open(shipped_model[:-len(".tflite")] + ".json", encoding="utf-8").read())
    check_metadata(meta)
    assert meta.get("silence_mode") in ("absolute", "floor")
    for key, bad in (("silence_mode", "relative"), ("floor_margin_db", 41), ("floor_margin_db", "6"),
                     ("floor_window_s", 0.5), ("floor_quiet_s", 0.0), ("floor_max_dbfs", 3.0)):
        with pytest.raises(ModelError, match=f"metadata '{key}' must be"):
            check_metadata({**meta, key: bad})
    with pytest.raises(ModelError, match="floor_quiet_s"):
        check_metadata({**meta, "floor_window_s": 10.0, "floor_quiet_s": 20.0})
    tflite = tmp_path / "m.tflite"
    shutil.copy(shipped_model, tflite)
    custom = {**meta, "silence_mode": "floor", "floor_margin_db": 4.0, "floor_window_s": 20.0, "floor_quiet_s": 1.0,
              "floor_max_dbfs": -30.0}
    (tmp_path / "m.json").write_text(json.dumps(custom), encoding="utf-8")
    d = DecisionParams.from_metadata(TagModel.load(str(tflite)).metadata)
    assert (d.silence_mode, d.floor_margin_db, d.floor_window_s, d.floor_quiet_s, d.floor_max_dbfs) == \
        ("floor", 4.0, 20.0, 1.0, -30.0)
    assert d.floor_blocks() == (2000, 100)
    d = DecisionParams.from_metadata(custom, silence_mode="absolute", floor_margin_db=8.0)
    assert (d.silence_mode, d.floor_margin_db) == ("absolute", 8.0)
