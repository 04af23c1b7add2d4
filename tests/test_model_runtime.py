"""The shipped model (assets/model.tflite + model.json) in the runtime, and clear errors for
models whose files or metadata do not fit."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from stream_tagger.errors import ModelError
from stream_tagger.frontend import DEFAULT_PARAMS as P, signal_logmel
from stream_tagger.model import TagModel, check_metadata, default_model_path, metadata_path_for


@pytest.fixture(scope="module")
def shipped():
    path = default_model_path()
    assert os.path.exists(path), "assets/model.tflite is not shipped"
    return path


def _window(seed=0, scale=0.1):
    x = (scale * np.random.default_rng(seed).standard_normal(P.window_samples + 4000)).astype(np.float32)
    return signal_logmel(x)[:, :P.frames_per_window]


def test_shipped_model_loads_and_predicts(shipped):
    m = TagModel.load(threads=1)
    check_metadata(m.metadata)
    assert m.labels == ["speech", "music", "noise"]
    assert all(0.0 < t < 1.0 for t in m.thresholds.values())
    assert m.silence_dbfs < -30
    meta = m.metadata
    assert meta["frontend"] == P.to_dict()
    assert meta["arch"] == "compact" and meta["params"] <= 250_000
    # the agreement the conversion required (99 % by default) is recorded, and was met
    assert meta["parity"]["decision_agreement_test"] >= meta["parity"]["min_required"] >= 0.99
    # int8 decisions stay close to the float model's on the test split: F1 within 1 point per label
    for lab in m.labels:
        assert abs(meta["metrics"]["test_pure_int8"][lab]["f1"] - meta["metrics"]["test_pure_float"][lab]["f1"]) <= 0.01
    p = m.predict(_window())
    assert p.shape == (3,) and np.all((p >= 0) & (p <= 1))
    batch = np.stack([_window(s) for s in range(4)])
    pb = m.predict(batch)
    assert pb.shape == (4, 3)
    np.testing.assert_allclose(pb[0], p, atol=1e-6)  # batch and single agree


def test_shipped_model_separates_tone_music_from_white_noise(shipped):
    """Crude sanity check on signals made here: steady white noise is noise (not music or
    speech), and a chord of harmonic tones changing every 0.4 s is music (not noise or speech)."""
    m = TagModel.load(threads=1)
    noise = _window(1, 0.05)
    t = np.arange(P.window_samples + 4000) / P.sample_rate_hz
    x = np.zeros_like(t)
    for k, base in enumerate((220.0, 262.0, 330.0, 196.0)):
        seg = (t >= 0.4 * k) & (t < 0.4 * (k + 1) + 0.2)
        for ratio in (1.0, 1.26, 1.5):
            for h in range(1, 6):
                x += seg * np.sin(2 * np.pi * base * ratio * h * t) * np.exp(-3 * (t - 0.4 * k).clip(0)) / h
    tones = signal_logmel((0.05 * x / np.abs(x).max()).astype(np.float32))[:, :P.frames_per_window]
    pn, pt = m.predict(noise), m.predict(tones)
    thr = m.thresholds
    assert pn[2] >= thr["noise"] and pn[1] < thr["music"] and pn[0] < thr["speech"], pn
    assert pt[1] >= thr["music"] and pt[2] < thr["noise"] and pt[0] < thr["speech"], pt


@pytest.fixture()
def copy_of_shipped(shipped, tmp_path):
    dst = tmp_path / "m.tflite"
    shutil.copy(shipped, dst)
    shutil.copy(metadata_path_for(shipped), tmp_path / "m.json")
    return dst


def test_frontend_mismatch_is_refused_naming_the_parameter(copy_of_shipped):
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    meta["frontend"]["n_mels"] = 40
    meta_p.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="n_mels=40"):
        TagModel.load(str(copy_of_shipped))


def test_missing_metadata_is_refused(copy_of_shipped):
    os.remove(copy_of_shipped.with_suffix(".json"))
    with pytest.raises(ModelError, match="metadata not found"):
        TagModel.load(str(copy_of_shipped))


def test_corrupt_model_bytes_are_refused(copy_of_shipped):
    data = copy_of_shipped.read_bytes()
    copy_of_shipped.write_bytes(b"not a flatbuffer" + data[:200])
    with pytest.raises(ModelError, match="not a valid TFLite model"):
        TagModel.load(str(copy_of_shipped))


def test_missing_threshold_is_refused(copy_of_shipped):
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    del meta["thresholds"]["noise"]
    meta_p.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="no threshold"):
        TagModel.load(str(copy_of_shipped))


def _cli_tag(model_path, tmp_path):
    """``stream-tagger tag`` of 3 s of noise with ``model_path``: (exit status, stderr lines)."""
    import soundfile as sf

    wav = tmp_path / "noise.wav"
    sf.write(wav, 0.1 * np.random.default_rng(0).standard_normal(48000), 16000)
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", "tag", str(wav), "--model", str(model_path)],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, [line for line in r.stderr.splitlines() if not line.startswith("INFO:")]


def test_shipped_metadata_names_its_tflite_by_sha256(shipped):
    meta = json.loads(open(metadata_path_for(shipped)).read())
    assert meta["tflite_sha256"] == hashlib.sha256(open(shipped, "rb").read()).hexdigest()


def test_swapped_labels_in_a_copy_of_the_json_are_refused_in_one_line(copy_of_shipped, tmp_path):
    """Before: a JSON naming the outputs music, speech, noise was taken at its word, and speech
    was reported as music."""
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    meta["labels"] = ["music", "speech", "noise"]
    meta_p.write_text(json.dumps(meta))
    status, err = _cli_tag(copy_of_shipped, tmp_path)
    assert status == 1
    assert err == [f"stream-tagger: error: {meta_p}: labels ['music', 'speech', 'noise'] are not those m.tflite "
                   f"was converted with, in that order (labels_sha256 does not match)"]


def test_a_changed_byte_in_the_tflite_is_refused(copy_of_shipped, tmp_path):
    data = bytearray(copy_of_shipped.read_bytes())
    data[len(data) // 2] ^= 1  # inside the weights: the interpreter still loads the file
    copy_of_shipped.write_bytes(bytes(data))
    status, err = _cli_tag(copy_of_shipped, tmp_path)
    assert status == 1 and len(err) == 1, err
    assert err[0].startswith(f"stream-tagger: error: {copy_of_shipped.with_suffix('.json')}: written for another "
                             f"file than m.tflite (tflite_sha256 ")


def test_json_of_another_model_beside_the_file_is_refused(copy_of_shipped, fixed_batch_models):
    shutil.copy(metadata_path_for(fixed_batch_models["slice"]), copy_of_shipped.with_suffix(".json"))
    with pytest.raises(ModelError, match="written for another file than m.tflite"):
        TagModel.load(str(copy_of_shipped))


def test_metadata_without_the_hash_is_refused_until_stamped(copy_of_shipped):
    """Older metadata (before ``tflite_sha256``) cannot be checked: refused, naming the command
    that stamps a JSON known to belong to its file; once stamped it loads."""
    from training.convert import main as convert_main

    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    old = {k: v for k, v in meta.items() if k not in ("tflite_sha256", "labels_sha256")}
    meta_p.write_text(json.dumps(old))
    with pytest.raises(ModelError) as e:
        TagModel.load(str(copy_of_shipped))
    assert str(e.value) == (f"{meta_p}: metadata lacks 'tflite_sha256', so nothing shows it belongs to m.tflite "
                            f"(convert the model again, or if it does: python -m training.convert --stamp "
                            f"{copy_of_shipped})")
    assert convert_main(["--stamp", str(copy_of_shipped)]) == 0
    assert json.loads(meta_p.read_text()) == meta  # the same fields and values as the conversion wrote
    assert TagModel.load(str(copy_of_shipped)).labels == ["speech", "music", "noise"]


def test_malformed_hash_is_refused(copy_of_shipped):
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    meta["tflite_sha256"] = meta["tflite_sha256"][:40]  # a SHA-1's length
    meta_p.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="'tflite_sha256' must be 64 lowercase hex digits"):
        TagModel.load(str(copy_of_shipped))


def test_input_norm_from_metadata_is_applied_before_the_network(copy_of_shipped):
    """The shipped .tflite starts after the input normalisation; the runtime applies
    ``(x - mean) / std`` from the metadata. A copy told the features are already normalised
    must give the same probabilities on pre-normalised features."""
    shipped = TagModel.load(str(copy_of_shipped))
    mean, std = shipped.norm_mean, shipped.norm_std
    assert "input_norm" in shipped.metadata and std > 0 and mean < 0  # log-mel features are mostly negative
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    meta["input_norm"] = {"mean": 0.0, "std": 1.0}
    meta_p.write_text(json.dumps(meta))
    identity = TagModel.load(str(copy_of_shipped))
    x = np.stack([_window(s, scale) for s, scale in ((1, 0.3), (2, 0.01), (3, 0.1))])
    p_raw = shipped.predict(x)
    np.testing.assert_allclose(identity.predict((x - mean) / std), p_raw, atol=0.02)
    assert np.abs(identity.predict(x) - p_raw).max() > 0.05  # without it, the network sees other inputs


def test_malformed_input_norm_is_refused(copy_of_shipped):
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    meta["input_norm"] = {"mean": -8.0, "std": 0.0}
    meta_p.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="input_norm"):
        TagModel.load(str(copy_of_shipped))


def _edit(meta, key, value):
    """``meta[key] = value``, with ``key`` a dotted path (``"thresholds.noise"``); value
    ``_DELETE`` removes it."""
    *parents, last = key.split(".")
    for k in parents:
        meta = meta[k]
    if value is _DELETE:
        meta.pop(last, None)
    else:
        meta[last] = value


_DELETE = object()

# (dotted key, bad value, what the one-line message must say)
BAD_METADATA = [
    ("silence_dbfs", None, "'silence_dbfs' must be a level in [-120, 0] dBFS, not None"),
    ("silence_dbfs", "loud", "'silence_dbfs' must be a level in [-120, 0] dBFS, not 'loud'"),
    ("silence_dbfs", 10, "'silence_dbfs' must be a level"),
    ("silence_dbfs", -500.0, "'silence_dbfs' must be a level"),
    ("silence_dbfs", float("nan"), "'silence_dbfs' must be a level"),
    ("silence_dbfs", True, "'silence_dbfs' must be a level"),
    ("thresholds.music", "high", "threshold for 'music' must be a probability in [0, 1], not 'high'"),
    ("thresholds.noise", 5, "threshold for 'noise' must be a probability in [0, 1], not 5"),
    ("thresholds.speech", -0.1, "threshold for 'speech' must be a probability"),
    ("thresholds.speech", None, "threshold for 'speech' must be a probability"),
    ("thresholds.speech", float("inf"), "threshold for 'speech' must be a probability"),
    ("thresholds", [0.5, 0.5, 0.5], "'thresholds' must be an object"),
    ("thresholds.silence", 0.5, "thresholds for ['silence'], which are not in labels"),
    ("thresholds.speach", 0.5, "thresholds for ['speach'], which are not in labels"),
    ("labels", ["speech", "speech", "noise"], "not distinct (['speech'] repeated)"),
    ("labels", "speech", "not a subset"),
    ("labels", 3, "not a subset"),
    ("labels", [], "not a subset"),
    ("version", 9, "metadata version 9 is newer than this stream-tagger understands (1): upgrade stream-tagger"),
    ("version", "1", "'version' must be a positive integer"),
    ("version", 0, "'version' must be a positive integer"),
    ("hysteresis", "wide", "'hysteresis' must be a probability width in [0, 1]"),
    ("hysteresis", -0.1, "'hysteresis' must be a probability width"),
    ("hysteresis", 2, "'hysteresis' must be a probability width"),
    ("silence_hysteresis_db", -3, "'silence_hysteresis_db' must be a finite number of dB >= 0"),
    ("silence_hysteresis_db", float("inf"), "'silence_hysteresis_db' must be a finite number"),
    ("min_on_s", {"speech": -1}, "'min_on_s' for 'speech' must be a finite number of seconds >= 0"),
    ("min_on_s", {"speech": "long"}, "'min_on_s' for 'speech' must be a finite number of seconds"),
    ("min_off_s", [0.5], "'min_off_s' must be an object"),
    ("min_off_s", {"shouting": 0.5}, "'min_off_s' names 'shouting', which is not in labels"),
    ("min_silence_s", -0.5, "'min_silence_s' must be a number of seconds in [0, 60], not -0.5"),
    ("min_silence_s", 61, "'min_silence_s' must be a number of seconds in [0, 60], not 61"),
    ("min_silence_s", "0.5", "'min_silence_s' must be a number of seconds in [0, 60], not '0.5'"),
    ("min_silence_s", True, "'min_silence_s' must be a number of seconds"),
    ("min_silence_s", None, "'min_silence_s' must be a number of seconds"),
    ("min_silence_s", float("nan"), "'min_silence_s' must be a number of seconds"),
]


@pytest.mark.parametrize("key,value,message", BAD_METADATA,
                         ids=[f"{k}={v!r}" for k, v, _ in BAD_METADATA])
def test_bad_metadata_is_refused_in_one_line_naming_the_problem(copy_of_shipped, key, value, message):
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    _edit(meta, key, value)
    meta_p.write_text(json.dumps(meta))
    with pytest.raises(ModelError) as e:
        TagModel.load(str(copy_of_shipped))
    text = str(e.value)
    assert message in text and "\n" not in text and text.startswith(str(copy_of_shipped) + ": ")
    with pytest.raises(ModelError):  # the same rules for metadata checked directly (training/convert.py)
        check_metadata(meta)


@pytest.mark.parametrize("key,value", [
    ("version", _DELETE),  # metadata written before "version" existed (and tests/conftest.py's tiny model)
    ("version", 1),
    ("silence_dbfs", _DELETE),
    ("silence_dbfs", -120),
    ("silence_dbfs", 0),
    ("thresholds.speech", 0),
    ("thresholds.noise", 1),
    ("hysteresis", 0),
    ("silence_hysteresis_db", 6.0),
    ("min_on_s", {"speech": 0.5, "silence": 1}),
    ("min_off_s", {}),
    ("min_silence_s", _DELETE),  # metadata written before the pause rule: its default, 0.5 s
    ("min_silence_s", 0),
    ("min_silence_s", 60),
])
def test_good_metadata_edges_are_accepted(copy_of_shipped, key, value):
    meta_p = copy_of_shipped.with_suffix(".json")
    meta = json.loads(meta_p.read_text())
    _edit(meta, key, value)
    meta_p.write_text(json.dumps(meta))
    TagModel.load(str(copy_of_shipped))


def test_metadata_of_a_label_subset_needs_thresholds_for_those_labels_only(copy_of_shipped):
    meta = json.loads(copy_of_shipped.with_suffix(".json").read_text())
    meta["labels"] = ["speech", "music"]
    with pytest.raises(ModelError, match=r"thresholds for \['noise'\], which are not in labels \['speech', 'music'\]"):
        check_metadata(meta)
    del meta["thresholds"]["noise"]
    check_metadata(meta)


# Tiny float networks whose output batch does not follow the input batch: "reshape" ends in a
# fixed reshape to [1, 3] (resizing the input to more than one window fails at allocation),
# "slice" keeps only the batch's first row (resizing works, the output stays [1, 3]); and one whose
# output does follow but only shows it after an invoke, "flatten" (a flatten + dense, as the seed
# network has: its output reports batch 1 until it has run). Built with
# TensorFlow in a subprocess: TensorFlow must not be imported beside the TFLite interpreter.
_FIXED_BATCH_SCRIPT = r"""
import json, sys
import tensorflow as tf, keras
from stream_tagger.frontend import FrontendParams
from stream_tagger.model import file_identity

class FixedBatch(keras.layers.Layer):
    def __init__(self, mode, **kw):
        super().__init__(**kw)
        self.mode = mode

    def call(self, x):
        return tf.reshape(x, [1, 3]) if self.mode == "reshape" else x[:1]

keras.utils.set_random_seed(0)
inp = keras.Input((64, 101, 1))
x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inp)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dense(3, activation="sigmoid")(x)
for mode in ("reshape", "slice"):
    stem = sys.argv[1] + "/" + mode
    m = keras.Model(inp, FixedBatch(mode)(x))
    open(stem + ".tflite", "wb").write(tf.lite.TFLiteConverter.from_keras_model(m).convert())
    json.dump({"labels": ["speech", "music", "noise"], "frontend": FrontendParams().to_dict(),
               **file_identity(stem + ".tflite", ["speech", "music", "noise"]),
               "thresholds": {"speech": 0.5, "music": 0.5, "noise": 0.5}, "silence_dbfs": -50},
              open(stem + ".json", "w"))
y = keras.layers.Flatten()(keras.layers.MaxPooling2D(4)(keras.layers.Conv2D(2, 3, strides=2)(inp)))
m = keras.Model(inp, keras.layers.Dense(3, activation="sigmoid")(y))
open(sys.argv[1] + "/flatten.tflite", "wb").write(tf.lite.TFLiteConverter.from_keras_model(m).convert())
json.dump({"labels": ["speech", "music", "noise"], "frontend": FrontendParams().to_dict(),
           **file_identity(sys.argv[1] + "/flatten.tflite", ["speech", "music", "noise"]),
           "thresholds": {"speech": 0.5, "music": 0.5, "noise": 0.5}, "silence_dbfs": -50},
          open(sys.argv[1] + "/flatten.json", "w"))
"""


@pytest.fixture(scope="module")
def fixed_batch_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("fixed_batch")
    try:
        r = subprocess.run([sys.executable, "-c", _FIXED_BATCH_SCRIPT, str(d)], capture_output=True, text=True,
                           timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("building the tiny fixed-batch models took over 120 s")
    if r.returncode != 0:
        pytest.skip(f"cannot build tiny models with TensorFlow: {r.stderr.strip().splitlines()[-1:]}")
    return {mode: str(d / (mode + ".tflite")) for mode in ("reshape", "slice", "flatten")}


@pytest.mark.parametrize("mode", ["reshape", "slice"])
def test_network_whose_output_batch_does_not_follow_runs_window_by_window(fixed_batch_models, mode):
    m = TagModel.load(fixed_batch_models[mode])
    windows = [_window(s, scale) for s, scale in ((0, 0.3), (1, 0.01), (2, 0.1), (3, 1.0), (4, 0.03))]
    singles = np.stack([m.predict(w) for w in windows])
    assert singles.shape == (5, 3) and np.abs(singles - singles[0]).max() > 1e-4  # windows differ
    for n in (5, 2, 5):  # again after the fallback is remembered
        batch = m.predict(np.stack(windows[:n]))
        assert batch.shape == (n, 3)
        np.testing.assert_allclose(batch, singles[:n], atol=1e-6)
    assert m.predict(windows[0]).shape == (3,)


def test_network_with_a_dynamic_flatten_runs_batches_in_one_invoke(fixed_batch_models):
    m = TagModel.load(fixed_batch_models["flatten"])
    windows = np.stack([_window(s, scale) for s, scale in ((0, 0.3), (1, 0.01), (2, 0.1))])
    singles = np.stack([m.predict(w) for w in windows])
    np.testing.assert_allclose(m.predict(windows), singles, atol=1e-6)
    assert not m._one_by_one  # a batch is one invoke (the seed network ran 2x slower window by window)
