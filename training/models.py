"""The networks behind one switch: ``seed`` (the original), ``compact`` (the default) and
``trunk`` (a shared convolutional trunk, each frame computed once at runtime).

All take ``(batch, n_mels=64, frames=101, 1)`` log-mel features and output 3 independent
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
* ``trunk``: the same kind of layers, but every convolution is *causal in time* (frequency
  'same' by zero padding on the frequency axis only, time 'valid': the output at frame ``t``
  sees frames ``t-2 .. t``) and the time pooling groups are aligned to the global frame grid, so
  that the trunk can run once over a stream (:mod:`stream_tagger.trunk`) and a window's decision
  pools what it already computed. Layout (batch, freq, time, channels):
  conv 3x3/``width`` + BN + ReLU6 at every 10 ms frame; max pooling 2 (freq) x 5 (time) over the
  frames ``5p .. 5p+4`` (one *step* ``p`` per 50 ms, so a 0.25 s hop is 5 steps); four
  depthwise-separable blocks (linear depthwise 3x3 with bias, causal in time, then pointwise +
  BN + ReLU6; frequency pooling 2 after each but the last; widths ``2w, 4w, 8w, 10w``) at every
  step. The window model (training) sees the 101 frames of a window starting at frame ``f0``
  (``f0`` a multiple of 5 at runtime): conv1 outputs exist for frames ``f0+2 ..``, the complete
  pooling groups are steps ``f0/5 + 1 .. f0/5 + 19`` (frames ``f0+5 .. f0+99``), each causal block
  takes 2 steps off the start, leaving the 11 steps ``f0/5 + 9 .. f0/5 + 19`` (:data:`TRUNK`)
  whose whole support (frames ``f0+3 .. f0+99``) lies in the window; global average + global
  max pooling over their (frequency, step) cells, dense 64 + dropout, dense 3 sigmoid: the head.
  At width 32: 174,435 parameters; 18.47 M multiply-accumulates per second of audio
  (:func:`macs_per_second`; ``python -m training.models`` prints it), 0.31 of compact's 59.31 M
  (4 windows of 14.83 M per second). The last block has 10w channels, not compact's 12w: at 12w
  the trunk would be 19.8 M per second, just over a third of compact's.
"""

from __future__ import annotations

import keras
from keras import layers

N_OUTPUTS = 3
ARCHES = ("compact", "seed", "trunk")
HOP_S = 0.25  # the runtime's default hop: windows per second of audio = 1 / HOP_S

# geometry of the trunk (see the module docstring); the converter writes it into the metadata
TRUNK = {"frames_per_step": 5, "frames_per_block": 25, "first_step": 9, "steps_per_window": 11,
         "state_steps": 2}
_TRUNK_CROP = (3, 1)  # conv1 outputs (frames f0+2 .. f0+100) cropped to frames f0+5 .. f0+99


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


def _pooled_head(x, dropout: float):
    """Global average + global max pooling, dense 64 + dropout, dense 3 sigmoid: the head of the
    compact and the trunk network (the trunk's stream export reads these layer names)."""
    avg = layers.GlobalAveragePooling2D(name="gap")(x)
    mx = layers.GlobalMaxPooling2D(name="gmp")(x)
    x = layers.Concatenate(name="pool_cat")([avg, mx])
    x = layers.Dense(64, activation="relu", name="dense64")(x)
    x = layers.Dropout(dropout, name="drop")(x)
    return layers.Dense(N_OUTPUTS, activation="sigmoid", name="probs")(x)


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
    out = _pooled_head(x, dropout)
    return keras.Model(inp, out, name="compact")


def trunk_widths(width: int = 32) -> tuple[int, ...]:
    """Channels of the trunk's conv1 and its four separable blocks."""
    return (width, width * 2, width * 4, width * 8, width * 10)


def _causal(x, name: str):
    """Zero padding on the frequency axis only (the convolution after it is 'same' in frequency,
    'valid' in time)."""
    return layers.ZeroPadding2D(((1, 1), (0, 0)), name=f"{name}_pad")(x)


def trunk_conv1(x, width: int):
    """conv1 + BN + ReLU6 (causal in time); shared by the window and the stream network."""
    x = layers.Conv2D(width, 3, padding="valid", use_bias=False, name="conv1")(_causal(x, "conv1"))
    x = layers.BatchNormalization(name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def trunk_pool1(x):
    return layers.MaxPooling2D((2, TRUNK["frames_per_step"]), name="conv1_pool")(x)


def trunk_block(x, filters: int, name: str, pool: bool):
    """A causal separable block (see :func:`_ds_block`); shared by the window and the stream network."""
    x = layers.DepthwiseConv2D(3, padding="valid", use_bias=True, name=f"{name}_dw")(_causal(x, name))
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_pw_relu")(x)
    if pool:
        x = layers.MaxPooling2D((2, 1), name=f"{name}_pool")(x)
    return x


def build_trunk(input_shape=(64, 101, 1), norm_mean: float = 0.0, norm_std: float = 1.0,
                dropout: float = 0.3, width: int = 32) -> keras.Model:
    """The window model of the shared-trunk network (what trains; see the module docstring)."""
    if input_shape[1] != 101:
        raise ValueError("the trunk's window model is built for 101-frame windows")
    w = trunk_widths(width)
    inp, x = _input_and_norm(input_shape, norm_mean, norm_std)
    x = trunk_conv1(x, w[0])
    x = layers.Cropping2D(((0, 0), _TRUNK_CROP), name="conv1_crop")(x)
    x = trunk_pool1(x)
    for k in range(4):
        x = trunk_block(x, w[k + 1], f"ds{k + 1}", pool=k < 3)
    out = _pooled_head(x, dropout)
    return keras.Model(inp, out, name="trunk")


def build_model(arch: str, **kw) -> keras.Model:
    if arch == "seed":
        return build_seed(**kw)
    if arch == "compact":
        return build_compact(**kw)
    if arch == "trunk":
        return build_trunk(**kw)
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


def macs_per_second(model: keras.Model, hop_s: float = HOP_S) -> int:
    """Multiply-accumulates per second of audio at the runtime's hop ``hop_s``.

    A window network (``seed``, ``compact``) computes each window whole: :func:`count_macs`
    per window, ``1 / hop_s`` windows per second. The ``trunk`` network computes its trunk once
    per step (20 steps per second, whatever the hop) and only its head per window: the trunk's
    convolutions counted per step (their MACs in the window model divided by the steps each
    layer's output covers there), the dense layers per window."""
    if model.name != "trunk":
        return int(round(count_macs(model) / hop_s))
    steps_per_s = 100.0 / TRUNK["frames_per_step"]  # 10 ms frames
    total = 0.0
    for layer in model.layers:
        cls = type(layer).__name__
        if cls in ("Conv2D", "DepthwiseConv2D"):
            h, t, c_out = layer.output.shape[1:4]
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1]
            per_col = h * c_out * kh * kw * c_in if cls == "Conv2D" else h * c_in * kh * kw
            # conv1 runs per frame (5 per step), the blocks per step
            total += per_col * (100.0 if layer.name == "conv1" else steps_per_s)
        elif cls == "Dense":
            total += int(layer.kernel.shape[0]) * int(layer.kernel.shape[1]) / hop_s
    return int(round(total))


def main(argv: list[str] | None = None) -> int:
    """Print parameters and MACs per window and per second of audio for each arch."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--arch", action="append", choices=ARCHES, help="default: compact and trunk")
    a = ap.parse_args(argv)
    ref = None
    for arch in a.arch or ["compact", "trunk"]:
        m = build_model(arch)
        per_s = macs_per_second(m)
        ref = per_s if arch == "compact" else ref
        ratio = f" ({per_s / ref:.2f} of compact)" if ref and arch != "compact" else ""
        print(f"{arch}: {m.count_params():,} parameters, {count_macs(m) / 1e6:.2f} M MACs per window model call, "
              f"{per_s / 1e6:.2f} M MACs per second of audio at a {HOP_S:g} s hop{ratio}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
