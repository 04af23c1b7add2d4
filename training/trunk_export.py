"""Export of a trained ``trunk`` network (:mod:`training.models`) for the streaming runtime.

The window model that trains is not what runs: the runtime (:mod:`stream_tagger.trunk`) runs
the trunk once over the stream and pools its steps per window. Conversion therefore writes two
files from the window model's weights:

* ``NAME.tflite``: the *stream trunk*, full-integer int8. Inputs: ``frames`` (1, 64, 25, 1), the
  normalised log-mel frames of one 0.25 s block (frames ``25k .. 25k+24`` of the run), and the
  states ``state0`` .. ``state4``: the last 2 time columns of the input of each time-3
  convolution (``state0`` (1, 64, 2, 1): the 2 frames before the block; ``state1`` .. ``state4``:
  the 2 steps before the block at the input of each separable block). Outputs: ``steps``
  (1, 4, 5, C): the trunk's last activation at the block's 5 steps, and ``next0`` ..
  ``next4``, the states for the next block. The states are slices of the concatenations
  (state, new columns) the convolutions read, and int8 concatenation keeps one scale for its
  inputs and its output, so a state passes from one block to the next without rounding (the
  runtime checks the scales and requantises if a converter ever made them differ).
* ``NAME.head.tflite``: the head, float32: input ``pooled`` (1, 2C), a window's global average
  and global max of ``steps`` over its 11 steps and 4 frequency bands, then dense 64 (ReLU) and
  dense 3 (sigmoid), the window model's own layers.

Calibration: the converter's representative data are the stream inputs met when the float
stream network runs over the calibration windows (each window from a fresh, zero state, block
by block: 4 blocks per window; the conversion takes the same 1,200 windows as compact's, so
4,800 block inputs).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from .models import TRUNK, trunk_block, trunk_conv1, trunk_pool1

N_BANDS_IN = 64
STATE_NAMES = tuple(f"state{k}" for k in range(5))
NEXT_NAMES = tuple(f"next{k}" for k in range(5))


def trunk_widths_of(model) -> tuple[int, ...]:
    """conv1's and the four blocks' output channels in a trained window model."""
    return tuple(int(model.get_layer(n).filters) for n in ("conv1", "ds1_pw", "ds2_pw", "ds3_pw", "ds4_pw"))


def stream_network(model):
    """The stream trunk (after the input normalisation) with ``model``'s weights: inputs
    ``[frames] + states``, outputs ``[steps] + next states`` (see the module docstring)."""
    import keras
    from keras import layers

    w = trunk_widths_of(model)
    fb, st = TRUNK["frames_per_block"], TRUNK["state_steps"]
    steps_per_block = fb // TRUNK["frames_per_step"]
    frames = keras.Input((N_BANDS_IN, fb, 1), name="frames")
    states = [keras.Input((N_BANDS_IN, st, 1), name="state0")]
    x = layers.Concatenate(axis=2, name="cat0")([states[0], frames])
    nexts = [layers.Cropping2D(((0, 0), (fb, 0)), name="next0")(x)]
    x = trunk_pool1(trunk_conv1(x, w[0]))
    bands, ch = N_BANDS_IN // 2, w[0]
    for k in range(4):
        s = keras.Input((bands, st, ch), name=f"state{k + 1}")
        states.append(s)
        c = layers.Concatenate(axis=2, name=f"cat{k + 1}")([s, x])
        nexts.append(layers.Cropping2D(((0, 0), (steps_per_block, 0)), name=f"next{k + 1}")(c))
        x = trunk_block(c, w[k + 1], f"ds{k + 1}", pool=k < 3)
        bands, ch = (bands // 2 if k < 3 else bands), w[k + 1]
    net = keras.Model([frames] + states, [x] + nexts, name="trunk_stream")
    for layer in net.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return net


def head_network(model):
    """The window model's head: ``pooled`` (2C: average then max) -> dense 64 -> dense 3 sigmoid."""
    import keras
    from keras import layers

    n = int(model.get_layer("dense64").kernel.shape[0])
    inp = keras.Input((n,), name="pooled")
    x = layers.Dense(64, activation="relu", name="dense64")(inp)
    out = layers.Dense(int(model.get_layer("probs").kernel.shape[1]), activation="sigmoid", name="probs")(x)
    head = keras.Model(inp, out, name="trunk_head")
    for name in ("dense64", "probs"):
        head.get_layer(name).set_weights(model.get_layer(name).get_weights())
    return head


def zero_states(net, batch: int) -> list[np.ndarray]:
    return [np.zeros((batch,) + tuple(s.shape[1:]), np.float32) for s in net.inputs[1:]]


def stream_inputs(net, windows: np.ndarray) -> list[list[np.ndarray]]:
    """The stream trunk's inputs ``[frames] + states`` for each block of ``windows``
    (normalised, ``(n, 64, 101[, 1])``), each window from a zero state: 4 blocks per window."""
    x = windows[..., None] if windows.ndim == 3 else windows
    fb = TRUNK["frames_per_block"]
    states = zero_states(net, len(x))
    out = []
    for b in range(x.shape[2] // fb):
        ins = [x[:, :, b * fb:(b + 1) * fb].astype(np.float32)] + states
        out.append(ins)
        res = net.predict(ins, batch_size=256, verbose=0)
        states = [np.asarray(r, np.float32) for r in res[1:]]
    return out


def _export(net, names_in: tuple[str, ...], names_out: tuple[str, ...], tmp: str):
    """A SavedModel of ``net`` with a signature of named inputs and outputs (fixed names: the
    same weights give the same bytes)."""
    import tensorflow as tf

    import keras

    specs = [tf.TensorSpec((1,) + tuple(t.shape[1:]), tf.float32, name=n) for n, t in zip(names_in, net.inputs)]

    def serve(*args):
        outs = net(list(args) if len(args) > 1 else args[0], training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        return {n: o for n, o in zip(names_out, outs)}

    archive = keras.export.ExportArchive()
    archive.track(net)
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=specs)
    path = os.path.join(tmp, "saved")
    archive.write_out(path, verbose=False)
    return path


def to_tflite_trunk(model, norm_calib_x: np.ndarray, n_calib_windows: int = 300) -> tuple[bytes, bytes]:
    """``(stream trunk int8 .tflite bytes, head float32 .tflite bytes)`` of a trained ``trunk``
    window model; ``norm_calib_x``: calibration windows after the input normalisation."""
    import tensorflow as tf

    net = stream_network(model)
    names_in = ("frames",) + STATE_NAMES
    blocks = stream_inputs(net, norm_calib_x[:n_calib_windows])
    samples = [[b[j][i:i + 1] for j in range(len(names_in))] for i in range(len(blocks[0][0])) for b in blocks]

    def rep():
        for s in samples:
            yield dict(zip(names_in, s))

    with tempfile.TemporaryDirectory() as tmp:
        saved = _export(net, names_in, ("steps",) + NEXT_NAMES, tmp)
        conv = tf.lite.TFLiteConverter.from_saved_model(saved)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = rep
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        trunk = conv.convert()
    with tempfile.TemporaryDirectory() as tmp:
        saved = _export(head_network(model), ("pooled",), ("probs",), tmp)
        head = tf.lite.TFLiteConverter.from_saved_model(saved).convert()
    return trunk, head

