"""The shipped model (assets/model.tflite + model.json) in the runtime, and clear errors for
models whose files or metadata do not fit."""

import json
import os
import shutil

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
    """Crude sanity check on signals made here: steady white noise is not called music,
    and a chord of harmonic tones changing every 0.4 s is not called noise."""
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
    assert pn[2] >= thr["noise"] and pn[1] < thr["music"]
    assert pt[2] < thr["noise"]


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
