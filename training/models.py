"""The two networks behind one switch: ``seed`` (the original) and ``compact`` (the default).

Both take ``(batch, n_mels=64, frames=101, 1)`` log-mel features and output 3 independent
sigmoid probabilities (speech, music, noise). Both start with a fixed affine input
normalisation ``(x - mean) / std`` (scalars from the training data, not trained); the
.tflite holds the network after it, and the runtime applies it within its int8 input
quantisation (metadata ``input_norm``, see :mod:`training.convert`).

* ``seed``: faithful reproduction of the original network: 3 conv layers (32/64/128 filters,
  3x3, 'same' padding, ReLU) each followed by 2x2 max pooling, dropout, flatten, dense 2048
  and 1024 (ReLU, dropout), dense 3 sigmoid: 27,361,795 parameters on a 64x101x1 input.
* ``compact``: conv 3x3/32 + BN + ReLU6 + 2x2 pool, three depthwise-separable blocks (64/128/256
  channels; linear depthwise conv, then pointwise + BN + ReLU6: bounded and int8-friendly; 2x2
  pooling after each) and a fourth (384 channels) on the 4x6 map, global average + global max
  pooling, dense 64 + dropout, dense 3 sigmoid: 199,267 parameters, ~14.8 M multiply-accumulates
  per window. (Width 16, a quarter of the multiply-accumulates, 64 k parameters, scored 0.5–2.4
  F1 points lower and agreed with its int8 conversion on 98.4 % of test windows, under the gate.)
"""

from __future__ import annotations

import keras
from keras import layers

N_OUTPUTS = 3
ARCHES = ("compact", "seed")


def _input_and_norm(input_shape, norm_mean: float, norm_std: float):
    inp = keras.Input(shape=input_shape, name="logmel")
    x = layers.Rescaling(1.0 / norm_std, offset=-norm_mean / norm_std, name="input_norm")(inp)
    return inp, x


def build_seed(input_shape=(64, 101, 1), norm_mean: float = 0.0, norm_std: float = 1.0,
               dropout: float = 0.5) -> keras.Model:
    """The original network (27.36 M parameters)."""
    inp, x = _input_and_norm(input_shape, norm_mean, norm_std)
    for k, filters in enumerate((32, 64, 128)):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{k + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{k + 1}")(x)
    x = layers.Dropout(dropout * 0.5, name="drop_conv")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(2048, activation="relu", name="dense2048")(x)
    x = layers.Dropout(dropout, name="drop1")(x)
    x = layers.Dense(1024, activation="relu", name="dense1024")(x)
    x = layers.Dropout(dropout, name="drop2")(x)
    out = layers.Dense(N_OUTPUTS, activation="sigmoid", name="probs")(x)
    return keras.Model(inp, out, name="seed")


def _ds_block(x, filters: int, name: str, pool: bool):
    # quantisation-friendly separable block (Sheng et al. 2018): the depthwise conv is linear,
    # with a bias and no BN / ReLU, so folding BN does not blow up its per-channel int8 range
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=True, name=f"{name}_dw")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_pw_relu")(x)
    if pool:
        x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    return x


def build_compact(input_shape=(64, 101, 1), norm_mean: float = 0.0, norm_std: float = 1.0,
                  dropout: float = 0.3, width: int = 32) -> keras.Model:
    """The compact network (default): well under 250 k parameters."""
    inp, x = _input_and_norm(input_shape, norm_mean, norm_std)
    x = layers.Conv2D(width, 3, padding="same", use_bias=False, name="conv1")(x)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    x = layers.MaxPooling2D(2, name="conv1_pool")(x)
    x = _ds_block(x, width * 2, "ds1", pool=True)
    x = _ds_block(x, width * 4, "ds2", pool=True)
    x = _ds_block(x, width * 8, "ds3", pool=True)
    x = _ds_block(x, width * 12, "ds4", pool=False)
    avg = layers.GlobalAveragePooling2D(name="gap")(x)
    mx = layers.GlobalMaxPooling2D(name="gmp")(x)
    x = layers.Concatenate(name="pool_cat")([avg, mx])
    x = layers.Dense(64, activation="relu", name="dense64")(x)
    x = layers.Dropout(dropout, name="drop")(x)
    out = layers.Dense(N_OUTPUTS, activation="sigmoid", name="probs")(x)
    return keras.Model(inp, out, name="compact")


def build_model(arch: str, **kw) -> keras.Model:
    if arch == "seed":
        return build_seed(**kw)
    if arch == "compact":
        return build_compact(**kw)
    raise ValueError(f"unknown arch {arch!r} (choose from {ARCHES})")


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates per window of conv / depthwise / dense layers (batch 1)."""
    total = 0
    for layer in model.layers:
        cls = type(layer).__name__
        if cls in ("Conv2D", "DepthwiseConv2D"):
            out_shape = layer.output.shape
            h, w, c_out = out_shape[1], out_shape[2], out_shape[3]
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1]
            if cls == "Conv2D":
                total += h * w * c_out * kh * kw * c_in
            else:
                total += h * w * c_in * kh * kw
        elif cls == "Dense":
            total += int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return int(total)
