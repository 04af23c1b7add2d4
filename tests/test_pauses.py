"""Pauses (stream_tagger/pauses.py): a silence shorter than --min-silence-s between two stretches of
the same label is that label, not silence; 0 gives the decisions' own output.

Real speech from the example recording (its test-split speech, 45-54 s). Two ways a short pause
becomes a silence segment without the rule: speech recorded 20 dB quieter, whose natural 0.47 s
gap between words falls below the silence level over two hops; and a model whose metadata
confirms silence after one hop (``min_on_s.silence`` 0.25 s), with 0.3 s of digital silence cut
into the speech."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
import soundfile as sf

from stream_tagger.cli import main
from stream_tagger.engine import Tagger, tag_file
from stream_tagger.events import Hop, Segment
from stream_tagger.gui.timeline import LabelTimeline
from stream_tagger.postprocess import DecisionParams
from stream_tagger.sources import FileSource, StdinSource

RATE = 16000
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "assets", "example.ogg")

# `stream-tagger tag assets/example.ogg` without the rule (--min-silence-s 0), class changes placed as today
# (the halfway crossing, 2026-12-07; the silences as before the rule existed, commit 5e6486f)
EXAMPLE_TAG_CSV = """start,end,label
0.000,3.000,silence
3.000,12.680,speech
11.980,36.740,music
20.010,27.820,speech
36.740,43.000,noise
43.000,45.000,silence
45.000,54.000,speech
54.000,56.500,silence
"""


def _spans(segs, label=None):
    return [(s.start_s, s.end_s, s.label) for s in segs if label is None or s.label == label]


@pytest.fixture(scope="module")
def speech(shipped_model):
    """The example's speech from 45 to 54 s, 16 kHz mono float32."""
    x, rate = sf.read(EXAMPLE, dtype="float32", always_2d=True)
    assert rate == RATE
    return x[45 * RATE: 54 * RATE].mean(axis=1)


@pytest.fixture(scope="module")
def quiet_speech(speech, tmp_path_factory):
    """That speech 20 dB quieter: its 0.47 s gap at 2.0 s reads as silence over two hops."""
    p = tmp_path_factory.mktemp("pauses") / "quiet_speech.wav"
    sf.write(p, speech * 10 ** (-20 / 20), RATE, subtype="FLOAT")
    return str(p)


@pytest.fixture(scope="module")
def one_hop_silence_model(shipped_model, tmp_path_factory):
    """The shipped network with metadata that confirms silence after one hop (0.25 s)."""
    d = tmp_path_factory.mktemp("model")
    shutil.copy(shipped_model, d / "model.tflite")
    with open(os.path.splitext(shipped_model)[0] + ".json", encoding="utf-8") as f:
        meta = json.load(f)
    meta["min_on_s"] = {"silence": 0.25}
    (d / "model.json").write_text(json.dumps(meta))
    return str(d / "model.tflite")


def _with_pause(speech, tmp_path, pause_s: float, at_s: float = 3.0, after=None) -> str:
    """``speech`` with ``pause_s`` of digital silence cut in at ``at_s`` (then ``after`` instead of
    the rest of the speech, if given)."""
    i = int(at_s * RATE)
    rest = speech[i:] if after is None else after
    p = tmp_path / f"pause_{pause_s:g}.wav"
    sf.write(p, np.concatenate([speech[:i], np.zeros(int(pause_s * RATE), np.float32), rest]), RATE, subtype="FLOAT")
    return str(p)


def test_a_natural_pause_under_half_a_second_inside_speech_is_speech(shipped_model, quiet_speech):
    old = tag_file(quiet_speech, model=shipped_model, min_silence_s=0)
    assert _spans(old) == [(0.0, 2.0, "speech"), (2.0, 2.47, "silence"), (2.47, 9.0, "speech")]
    assert _spans(tag_file(quiet_speech, model=shipped_model)) == [(0.0, 9.0, "speech")]  # the model's 0.5 s
    # a longer minimum bridges the same way; one below the pause keeps it
    assert _spans(tag_file(quiet_speech, model=shipped_model, min_silence_s=0.48)) == [(0.0, 9.0, "speech")]
    assert _spans(tag_file(quiet_speech, model=shipped_model, min_silence_s=0.47)) == _spans(old)


def test_a_03_s_pause_inside_speech_is_speech(one_hop_silence_model, speech, tmp_path):
    path = _with_pause(speech, tmp_path, 0.3)
    old = tag_file(path, model=one_hop_silence_model, min_silence_s=0)
    assert (3.0, 3.3, "silence") in _spans(old)  # without the rule: a silence inside the speech
    new = tag_file(path, model=one_hop_silence_model)
    assert _spans(new, "speech") == _spans(old, "speech") == [(0.0, 9.15, "speech")]
    assert _spans(new, "silence") == [(9.15, 9.3, "silence")]  # the stream's own quiet end stays


@pytest.mark.parametrize("model", ["shipped", "one_hop_silence"])
def test_a_08_s_pause_is_silence(model, shipped_model, one_hop_silence_model, speech, tmp_path):
    path = _with_pause(speech, tmp_path, 0.8)
    m = shipped_model if model == "shipped" else one_hop_silence_model
    segs = tag_file(path, model=m)
    assert _spans(segs)[:2] == [(0.0, 3.0, "speech"), (3.0, 3.8, "silence")] and _spans(segs)[2][:1] == (3.8,)
    assert segs == tag_file(path, model=m, min_silence_s=0)


@pytest.mark.parametrize("order", ["speech-music", "music-speech"])
def test_a_short_silence_between_different_labels_stays_silence(order, one_hop_silence_model, speech, tmp_path):
    x, _ = sf.read(EXAMPLE, dtype="float32", always_2d=True)
    music = x[29 * RATE: 33 * RATE].mean(axis=1)  # music alone in the example
    first, second = (speech[:4 * RATE], music) if order == "speech-music" else (music, speech[:4 * RATE])
    path = _with_pause(first, tmp_path, 0.4, at_s=4.0, after=second)
    segs = tag_file(path, model=one_hop_silence_model)
    silence = _spans(segs, "silence")
    assert len(silence) == 1 and silence[0][1] == 4.4 and 4.4 - silence[0][0] < 0.5, silence
    assert segs == tag_file(path, model=one_hop_silence_model, min_silence_s=0)


def test_a_label_on_one_side_only_still_ends_at_the_pause(one_hop_silence_model, speech, tmp_path):
    """Speech, 0.3 s of silence, 0.6 s of speech, then music: the speech goes on across the pause
    (without the rule, its first 3 s were lost: cut at the silence's end), the music starts after."""
    x, _ = sf.read(EXAMPLE, dtype="float32", always_2d=True)
    music = x[29 * RATE: 33 * RATE].mean(axis=1)
    path = _with_pause(speech[:int(3.6 * RATE)], tmp_path, 0.3, after=np.concatenate([speech[3 * RATE: int(3.6 * RATE)], music]))
    old = tag_file(path, model=one_hop_silence_model, min_silence_s=0)
    assert (3.0, 3.3, "silence") in _spans(old) and _spans(old, "speech")[0][0] == 3.3
    new = tag_file(path, model=one_hop_silence_model)
    assert _spans(new, "silence") == []
    assert _spans(new, "speech") == [(0.0, 3.9, "speech")]
    assert _spans(new, "music") == [(3.9, 7.9, "music")]


def test_min_silence_0_restores_the_old_output_byte_for_byte(shipped_model, capsys):
    assert main(["tag", EXAMPLE, "--model", shipped_model, "--min-silence-s", "0"]) == 0
    assert capsys.readouterr().out == EXAMPLE_TAG_CSV
    # the example has no pause under 0.5 s: the rule leaves it as it was
    assert main(["tag", EXAMPLE, "--model", shipped_model]) == 0
    assert capsys.readouterr().out == EXAMPLE_TAG_CSV


def test_min_silence_0_gives_the_old_headless_lines(shipped_model, quiet_speech, capsys):
    """Hop and segment lines, in their order: with 0 those the decisions alone give; with the
    rule the pause's hops show speech and no silence segment is written."""
    assert main(["replay", quiet_speech, "--headless", "--fast", "--model", shipped_model, "--min-silence-s", "0"]) == 0
    old = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert main(["replay", quiet_speech, "--headless", "--fast", "--model", shipped_model]) == 0
    new = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [ln for ln in old if ln["type"] == "segment" and ln["label"] == "silence"] == \
        [{"type": "segment", "label": "silence", "start": 2.0, "end": 2.47}]
    assert [ln for ln in new if ln["type"] == "segment"] == [{"type": "segment", "label": "speech", "start": 0.0, "end": 9.0}]
    old_hops = {h["index"]: h["labels"] for h in old if h["type"] == "hop"}
    new_hops = {h["index"]: h["labels"] for h in new if h["type"] == "hop"}
    assert old_hops[9] == ["silence"] and new_hops[9] == ["speech"]  # the hop 2.25-2.5 s
    assert {i: v for i, v in old_hops.items() if i != 9} == {i: v for i, v in new_hops.items() if i != 9}


def test_dead_air_shows_on_the_hops_once_it_has_lasted_min_silence(shipped_model, speech, tmp_path):
    path = _with_pause(speech, tmp_path, 2.0)  # 3.0 to 5.0 s
    # silence shows once it is known to last min_silence_s (its end could still be refined 20 ms back)
    for min_s, first_silent_hop_end in ((0.5, 3.75), (1.0, 4.25), (0, 3.5)):
        hops = [e for e in Tagger(shipped_model, min_silence_s=min_s).stream(FileSource(path)) if isinstance(e, Hop)]
        silent = [h.end_s for h in hops if "silence" in h.labels]
        assert silent and silent[0] == first_silent_hop_end, (min_s, silent)
        assert [h.labels for h in hops if 3.0 <= h.start_s and h.end_s <= first_silent_hop_end - 0.25] == \
            [frozenset({"speech"})] * int((first_silent_hop_end - 3.25) / 0.25)
    segs = tag_file(path, model=shipped_model, min_silence_s=1.0)
    assert (3.0, 5.0, "silence") in _spans(segs)


def _events(tagger, source):
    return [e for e in tagger.stream(source)]


def test_file_paced_and_chunked_stdin_input_give_identical_results(shipped_model, quiet_speech):
    tagger = Tagger(shipped_model)
    fast = _events(tagger, FileSource(quiet_speech))
    assert [e for e in fast if isinstance(e, Segment)] == [Segment(0.0, 9.0, "speech")]
    paced = _events(tagger, FileSource(quiet_speech, speed=8.0))  # live pacing: 20 ms blocks, 0.1 s reads
    assert paced == fast
    # raw s16 on a pipe, written in odd-sized chunks: the samples are the file's (16-bit)
    x = np.round(sf.read(quiet_speech, dtype="float32")[0] * 32767).astype("<i2")
    pcm = x.tobytes()
    r, w = os.pipe()

    def write():
        with os.fdopen(w, "wb", buffering=0) as f:
            for i in range(0, len(pcm), 2 * 997):
                f.write(pcm[i:i + 2 * 997])

    t = threading.Thread(target=write)
    t.start()
    with os.fdopen(r, "rb", buffering=0) as f:
        piped = _events(tagger, StdinSource(rate_hz=RATE, channels=1, sample_format="s16", stream=f))
    t.join()
    int16 = os.path.splitext(quiet_speech)[0] + "_s16.wav"
    sf.write(int16, x, RATE, subtype="PCM_16")
    assert piped == _events(tagger, FileSource(int16))
    assert [e for e in piped if isinstance(e, Segment)] == [Segment(0.0, 9.0, "speech")]


@pytest.mark.parametrize("value", ["-0.1", "61", "nan", "inf", "half"])
@pytest.mark.parametrize("verb", ["tag", "replay", "evaluate"])
def test_bad_min_silence_values_exit_2_in_one_line(verb, value, quiet_speech):
    args = {"tag": ["tag", quiet_speech], "replay": ["replay", quiet_speech, "--headless", "--fast"],
            "evaluate": ["evaluate", "--reference", os.path.join(REPO, "assets", "example.csv"), quiet_speech]}[verb]
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args, f"--min-silence-s={value}"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stream-tagger: error: {verb}: argument --min-silence-s"), r.stderr
    assert "Traceback" not in r.stderr


def test_the_api_refuses_an_out_of_range_min_silence(shipped_model):
    from stream_tagger.errors import TaggerError

    for bad in (-1, 61, float("nan")):
        with pytest.raises(TaggerError, match="min silence"):
            Tagger(shipped_model, min_silence_s=bad)


def test_the_setting_comes_from_the_metadata_and_the_option_overrides_it(shipped_model, quiet_speech, tmp_path):
    with open(os.path.join(REPO, "assets", "model.json"), encoding="utf-8") as f:
        assert json.load(f)["min_silence_s"] == 0.5  # stored with the other decision settings
    assert DecisionParams.from_metadata({"thresholds": {}}).min_silence_s == 0.5  # older metadata: the default
    shutil.copy(shipped_model, tmp_path / "m.tflite")
    with open(os.path.splitext(shipped_model)[0] + ".json", encoding="utf-8") as f:
        meta = json.load(f)
    meta.pop("min_silence_s", None)
    (tmp_path / "m.json").write_text(json.dumps(meta))
    assert Tagger(str(tmp_path / "m.tflite")).decision.min_silence_s == 0.5
    meta["min_silence_s"] = 0  # the same .tflite: a decision setting needs no new network
    (tmp_path / "m.json").write_text(json.dumps(meta))
    model = str(tmp_path / "m.tflite")
    assert _spans(tag_file(quiet_speech, model=model), "silence") == [(2.0, 2.47, "silence")]
    assert _spans(tag_file(quiet_speech, model=model, min_silence_s=0.5), "silence") == []
    # the metadata still has to belong to its .tflite
    meta["tflite_sha256"] = "0" * 64
    (tmp_path / "m.json").write_text(json.dumps(meta))
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", "tag", quiet_speech, "--model", model],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "written for another file" in r.stderr and r.stderr.count("\n") == 1


def test_the_window_drops_provisional_silence_inside_a_final_segment():
    tl = LabelTimeline(keep_s=None)
    for i in range(12):  # a hop showed silence at 1.0-1.25 s; the speech segment spans it
        tl.add_hop(Hop(i, i * 0.25, (i + 1) * 0.25, {"speech": 0.9}, -20.0,
                       frozenset({"silence"} if i == 4 else {"speech"})))
    tl.add_segment(Segment(0.0, 2.3, "speech"))
    assert tl.intervals("silence") == []
    assert tl.intervals("speech") == [(0.0, 2.3, True)]
