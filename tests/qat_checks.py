"""Checks of the quantisation-aware fine-tuning (training/qat.py), run by tests/test_qat.py in a
process of their own: TensorFlow and LiteRT loaded in one process crash when it exits.

    python tests/qat_checks.py NAME    # runs the check function NAME; exit 0 when it passes
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from training.convert import deployed_network, to_tflite_int8  # noqa: E402
from training.qat import _fake_quant_layer, calibrated_ranges, fake_quant_clone  # noqa: E402


def check_fake_quant_rounds_to_an_int8_grid_and_passes_gradients_through():
    FakeQuant = _fake_quant_layer()
    fq = FakeQuant(-1.12, 3.6)
    x = tf.constant(np.linspace(-3.0, 7.0, 2001, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fq(x)
    grad = tape.gradient(y, x).numpy()
    y = y.numpy()
    codes = y / fq.scale + fq.zero
    assert np.allclose(codes, np.round(codes), atol=1e-3)          # on the grid
    assert codes.min() >= -1e-3 and codes.max() <= 255 + 1e-3       # 256 levels
    assert np.unique(np.round(codes)).size > 200
    inside = (x.numpy() >= -1.12) & (x.numpy() <= 3.6)
    assert np.max(np.abs(y[inside] - x.numpy()[inside])) <= fq.scale / 2 + 1e-6
    assert y[0] == pytest.approx(-fq.zero * fq.scale) and y[-1] == pytest.approx((255 - fq.zero) * fq.scale)
    assert np.all(grad == 1.0)                                       # straight-through
    assert float(fq(tf.constant([0.0]))[0]) == 0.0                   # zero is exact


def _tiny_model(seed=3):
    keras.utils.set_random_seed(seed)
    from keras import layers
    inp = keras.Input((16, 12, 1))
    x = layers.Rescaling(0.5, offset=-1.0, name="input_norm")(inp)
    x = layers.Conv2D(8, 3, padding="same", use_bias=False, name="conv1")(x)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    x = layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = layers.Conv2D(16, 1, name="pw")(x)
    x = layers.ReLU(6.0, name="pw_relu")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(8, activation="relu", name="dense8")(x)
    out = layers.Dense(3, activation="sigmoid", name="probs")(x)
    model = keras.Model(inp, out)
    # larger weights than the initialiser's, so that int8 rounding moves the outputs visibly, and
    # a smaller output layer, so that the probabilities stay away from 0 and 1
    w = model.get_weights()
    model.set_weights([v * (0.05 if v.shape == (8, 3) else 2.0) if v.ndim > 1 else v for v in w])
    return model


def check_fake_quant_uses_the_grids_the_int8_converter_chooses():
    """Each FakeQuant layer rounds to the scale and zero point that the converter gives the
    matching int8 tensor (same calibration windows), so the fine-tuning hears the shipped rounding."""
    # TensorFlow's own interpreter: LiteRT loaded beside TensorFlow in one process crashes at exit
    Interpreter = tf.lite.Interpreter

    model = _tiny_model()
    calib = np.random.default_rng(0).normal(1.0, 1.5, (300, 16, 12)).astype(np.float32)
    ranges = calibrated_ranges(model, calib)
    assert set(ranges) == {"input_norm", "conv1_relu", "dw", "pw_relu", "gap", "dense8"}
    clone = fake_quant_clone(model, ranges)
    fqs = {la.name[:-3]: la for la in clone.layers if type(la).__name__ == "FakeQuant"}
    assert set(fqs) == set(ranges)
    for a, b in zip(model.get_weights(), clone.get_weights()):
        assert np.array_equal(a, b)
    x = calib[:20, ..., None]
    assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)

    net, calib_n, _ = deployed_network(model, 2.0, 2.0, calib)          # (x - 2) / 2 == 0.5 x - 1
    it = Interpreter(model_content=to_tflite_int8(net, calib_n, n_calib=300))
    acts = [d for d in it.get_tensor_details() if d["quantization"][0] > 0 and d["shape"][0] == 1]
    for name, fq in fqs.items():
        if name == "input_norm":
            t = it.get_input_details()[0]                  # the int8 input is the normalised window
        else:
            t = next(d for d in acts if f"/{name}_1/" in d["name"] and f"/{name}_1/" in d["name"].split(";")[0])
        scale, zero = t["quantization"]
        assert fq.scale == pytest.approx(scale, rel=2e-3), name
        assert abs((fq.zero - 128) - zero) <= 1, name      # uint8 codes 0..255 <-> int8 -128..127


def check_first_conv_folds_rounds_once_and_unfolds_back():
    """conv1 + BN folded into one kernel, rounded to the int8 grid and frozen; written back into
    the plain network, it folds to the same rounded kernel (what the converter will quantise)."""
    from training.qat import fold_conv_bn, round_per_channel, unfold_conv_bn

    model = _tiny_model()
    bn = model.get_layer("conv1_bn")
    g, b, mu, var = bn.get_weights()
    bn.set_weights([g * 1.7, b + 0.3, mu + 0.2, var * 2.5])          # a BN that is not the identity
    x = np.random.default_rng(1).normal(1.0, 1.5, (16, 16, 12, 1)).astype(np.float32)
    before = model.predict(x, verbose=0)
    kernel, bias = fold_conv_bn(model)
    unfold_conv_bn(model, kernel, bias)
    assert np.allclose(model.predict(x, verbose=0), before, atol=1e-5)

    q = round_per_channel(kernel)
    steps = np.abs(kernel).reshape(-1, kernel.shape[-1]).max(0) / 127.0
    assert np.allclose(q / steps, np.round(q / steps), atol=1e-3)    # on each channel's int8 grid
    assert np.max(np.abs(q - kernel) / steps) <= 0.5 + 1e-4

    clone = fake_quant_clone(model, {}, fold_first_conv=True)
    folded = clone.get_layer("conv1_folded")
    assert not folded.trainable and "conv1_bn" not in [la.name for la in clone.layers]
    assert np.allclose(folded.get_weights()[0], q)
    unfold_conv_bn(model, *folded.get_weights())
    assert np.allclose(fold_conv_bn(model)[0], q, atol=1e-6)


if __name__ == "__main__":
    globals()[sys.argv[1]]()
    print("ok", sys.argv[1])
