"""The shared-trunk network (``--arch trunk``): its trunk runs once over the stream, and file,
replay and live input of any chunking give identical results; the streamed int8 path equals the
window model (Keras, float) on the hop-grid windows within int8 rounding; a trunk model is its
.tflite, its head and its JSON, and one of them missing or altered is refused in one line.

The model is tiny and untrained (width 4, random weights), made with TensorFlow in a
subprocess as the other test models are; its thresholds are the median probabilities of its
windows on the test audio, so that its labels change along the file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from chunked_source import ChunkedSource
from conftest import RATE, tone_bursts

from stream_tagger.events import Hop, Segment
from stream_tagger.frontend import DEFAULT_PARAMS as P, StreamingLogMel, signal_logmel

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# 13.37 s: tones, noise bursts and a chirp over silence and a quiet hiss (the end is off the hop grid)
TOTAL_S = 13.37


def _audio() -> np.ndarray:
    rng = np.random.default_rng(7)
    x = tone_bursts([(0.5, 2.2), (6.1, 7.0)], TOTAL_S, freq_hz=330.0, amp=0.2).astype(np.float64)
    n = x.shape[0]
    t = np.arange(n) / RATE
    for a, b, amp in ((2.9, 4.4, 0.3), (8.05, 9.6, 0.05), (11.0, 12.2, 0.15)):
        i, j = int(a * RATE), int(b * RATE)
        x[i:j] += amp * rng.standard_normal(j - i)
    i, j = int(4.8 * RATE), int(5.9 * RATE)
    x[i:j] += 0.2 * np.sin(2 * np.pi * (200 + 900 * (t[i:j] - 4.8)) * t[i:j])
    x += 10 ** (-65 / 20) * rng.standard_normal(n)
    return x.astype(np.float32)


_MAKE = r"""
import json, sys
import numpy as np, keras
from training.models import TRUNK, build_trunk
from training.trunk_export import to_tflite_trunk
from stream_tagger.frontend import DEFAULT_PARAMS, signal_logmel
from stream_tagger.model import file_identity, file_sha256, head_path_for
stem, audio = sys.argv[1], np.load(sys.argv[2])
keras.utils.set_random_seed(0)
feats = signal_logmel(audio)
starts = range(0, feats.shape[1] - 100, 25)  # the hop-grid windows (0.25 s hop)
win = np.stack([feats[:, f:f + 101] for f in starts]).astype(np.float32)
mean, std = float(win.mean()), float(win.std())
m = build_trunk(width=4, norm_mean=mean, norm_std=std)
for layer in m.layers:  # batch statistics of these windows, so that every layer is in range
    if type(layer).__name__ == "BatchNormalization":
        probe = keras.Model(m.input, layer.input)
        a = np.asarray(probe(win[..., None]))
        g, b, _, _ = layer.get_weights()
        layer.set_weights([g, b, a.mean(axis=(0, 1, 2)), a.var(axis=(0, 1, 2)) + 1e-3])
probs = np.asarray(m.predict(win[..., None], verbose=0))
trunk, head = to_tflite_trunk(m, (win - mean) / std, n_calib_windows=len(win))
open(stem + ".tflite", "wb").write(trunk)
open(head_path_for(stem + ".tflite"), "wb").write(head)
labels = ["speech", "music", "noise"]
meta = {"labels": labels, "frontend": DEFAULT_PARAMS.to_dict(), **file_identity(stem + ".tflite", labels),
        "thresholds": {lab: float(np.median(probs[:, i])) for i, lab in enumerate(labels)},
        "silence_dbfs": -50, "input_norm": {"mean": mean, "std": std}, "arch": "trunk", "trunk": dict(TRUNK),
        "head_sha256": file_sha256(head_path_for(stem + ".tflite"))}
json.dump(meta, open(stem + ".json", "w"))
np.save(stem + "_keras.npy", probs)
"""


@pytest.fixture(scope="module")
def trunk_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("trunk")
    wav = d / "mix.wav"
    x = _audio()
    sf.write(wav, x, RATE, subtype="FLOAT")
    np.save(d / "audio.npy", x)
    stem = str(d / "model")
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "3"}
    r = subprocess.run([sys.executable, "-c", _MAKE, stem, str(d / "audio.npy")], capture_output=True, text=True,
                       env=env, cwd=REPO)
    if r.returncode != 0 and "No module named 'tensorflow'" in r.stderr:
        pytest.skip("TensorFlow is not installed: no trunk model can be made")
    assert r.returncode == 0, r.stderr[-3000:]
    return {"model": stem + ".tflite", "wav": str(wav), "audio": x, "keras": np.load(stem + "_keras.npy")}


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_the_streamed_trunk_equals_the_window_model_on_the_hop_grid(trunk_model):
    from stream_tagger.model import TagModel
    from stream_tagger.trunk import TrunkModel

    m = TagModel.load(trunk_model["model"])
    assert isinstance(m, TrunkModel)
    x = trunk_model["audio"]
    feats = signal_logmel(x)
    starts = list(range(0, feats.shape[1] - 100, 25))
    windowed = m.predict(np.stack([feats[:, f:f + 101] for f in starts]))
    # int8 rounding of the trunk against the float window model: well under the probabilities' spread
    keras_probs = trunk_model["keras"]
    assert np.max(np.abs(windowed - keras_probs)) < 0.05, np.max(np.abs(windowed - keras_probs))
    assert np.std(keras_probs, axis=0).min() > 0.01  # the windows do differ
    for chunk in (1, 333, 4000, 16000):  # the trunk over the stream, fed in chunks
        front = StreamingLogMel(P, keep_frames=512)
        stream = m.stream(front, 25)
        got, nxt = [], 0
        for i in range(0, x.shape[0], chunk):
            front.push(x[i:i + chunk])
            ready = [f for f in starts[nxt:] if front.frames_available >= f + 101]
            if ready:
                got.append(stream.window_probs(ready))
                nxt += len(ready)
        front.push(np.zeros(P.context_samples, np.float32))
        got.append(stream.window_probs(starts[nxt:]))
        got = np.concatenate(got)
        np.testing.assert_array_equal(got, windowed)  # the same integers: exactly equal
        assert stream.blocks_run == starts[-1] // 25 + 4  # each block of frames through the trunk once


def _events(lines):
    hops = [(h["start"], h["end"], sorted(h["labels"]), h["probabilities"]) for h in lines if h["type"] == "hop"]
    segs = [(s["start"], s["end"], s["label"]) for s in lines if s["type"] == "segment"]
    return hops, segs


def test_file_replay_and_live_chunks_give_identical_results(trunk_model, tmp_path):
    from stream_tagger.engine import Tagger
    from stream_tagger.sources import FileSource

    model, wav, x = trunk_model["model"], trunk_model["wav"], trunk_model["audio"]
    r = _cli("replay", wav, "--headless", "--fast", "--model", model)
    assert r.returncode == 0, r.stderr
    hops, segs = _events([json.loads(ln) for ln in r.stdout.splitlines()])
    assert len(hops) == 54 and hops[-1][1] == TOTAL_S
    assert len({tuple(h[2]) for h in hops}) >= 3, hops  # the labels change along the file
    out = tmp_path / "tag.jsonl"
    r = _cli("tag", wav, "--model", model, "-o", str(out))
    assert r.returncode == 0, r.stderr
    with open(out, encoding="utf-8") as f:
        tagged = [json.loads(ln) for ln in f]
    assert sorted((s["start"], s["end"], s["label"]) for s in tagged) == sorted(segs)  # tag: in order of start
    assert len(segs) >= 4

    def as_lines(events):
        lines = []
        for e in events:
            if isinstance(e, Hop):
                lines.append({"type": "hop", "start": e.start_s, "end": e.end_s, "labels": list(e.labels),
                              "probabilities": e.probabilities})
            elif isinstance(e, Segment):
                lines.append({"type": "segment", "start": e.start_s, "end": e.end_s, "label": e.label})
        return _events(lines)

    tagger = Tagger(model)
    assert as_lines(tagger.stream(FileSource(wav))) == (hops, segs)
    for chunk in (1, 333, 4000, 16000):
        got = as_lines(tagger.stream(ChunkedSource(x, chunk)))
        assert got == (hops, segs), chunk


def _copy_model(src: str, dst_dir) -> str:
    from stream_tagger.model import head_path_for, metadata_path_for

    dst = os.path.join(str(dst_dir), "copy.tflite")
    shutil.copy(src, dst)
    shutil.copy(head_path_for(src), head_path_for(dst))
    shutil.copy(metadata_path_for(src), metadata_path_for(dst))
    return dst


def _one_line(r, *needles):
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stream-tagger: error: "), r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_a_trunk_model_with_its_head_missing_or_altered_is_refused_in_one_line(trunk_model, tmp_path):
    from stream_tagger.model import head_path_for, metadata_path_for

    model = _copy_model(trunk_model["model"], tmp_path)
    head = head_path_for(model)
    assert _cli("tag", trunk_model["wav"], "--model", model, "-o", str(tmp_path / "ok.csv")).returncode == 0
    os.rename(head, head + ".away")
    _one_line(_cli("tag", trunk_model["wav"], "--model", model), "copy.head.tflite", "missing")
    with open(head + ".away", "rb") as f:
        data = bytearray(f.read())
    data[-5] ^= 0x01  # one bit of a weight
    with open(head, "wb") as f:
        f.write(data)
    _one_line(_cli("replay", trunk_model["wav"], "--headless", "--fast", "--model", model), "head_sha256")
    shutil.copy(head + ".away", head)
    with open(metadata_path_for(model), encoding="utf-8") as f:
        meta = json.load(f)
    del meta["head_sha256"]
    with open(metadata_path_for(model), "w", encoding="utf-8") as f:
        json.dump(meta, f)
    _one_line(_cli("tag", trunk_model["wav"], "--model", model), "head_sha256")


@pytest.mark.parametrize("hop_s", [0.5, 0.33])
def test_other_hops_give_identical_file_and_live_results(trunk_model, hop_s):
    """A hop of whole blocks (0.5 s) pools the cached steps; another (0.33 s) runs the trunk per
    window over the window's own frames: either way file and chunked live input agree."""
    from stream_tagger.engine import Tagger
    from stream_tagger.sources import FileSource

    tagger = Tagger(trunk_model["model"], hop_s=hop_s)
    from_file = list(tagger.stream(FileSource(trunk_model["wav"])))
    assert len([e for e in from_file if isinstance(e, Hop)]) == -(-int(TOTAL_S * RATE) // tagger.hop_samples)
    assert list(tagger.stream(ChunkedSource(trunk_model["audio"], 333))) == from_file


def test_an_archive_run_knows_a_trunk_model_by_both_its_files(trunk_model):
    """Archive records are keyed on the model's identity: for a trunk model, its head's SHA-256
    is part of it (another head, other results)."""
    from stream_tagger.archive.worker import TagSettings, cached_tagger

    tagger = cached_tagger(TagSettings(model=trunk_model["model"]))
    meta = tagger.model.metadata
    assert tagger.model_sha256 == f"{meta['tflite_sha256']}+{meta['head_sha256']}"


def test_a_trunk_geometry_that_does_not_fit_the_window_is_refused_in_one_line(trunk_model, tmp_path):
    from stream_tagger.model import metadata_path_for

    model = _copy_model(trunk_model["model"], tmp_path)
    with open(metadata_path_for(model), encoding="utf-8") as f:
        meta = json.load(f)
    meta["trunk"]["first_step"] = 15  # steps 15..25 would need frames past the window's 101
    with open(metadata_path_for(model), "w", encoding="utf-8") as f:
        json.dump(meta, f)
    _one_line(_cli("tag", trunk_model["wav"], "--model", model), "trunk", "window")
