"""Quantisation-aware fine-tuning: a few last epochs in which the network hears its int8 rounding.

The shipped model is full-integer int8 (:mod:`training.convert`), and the conversion fails when
the int8 and float decisions agree on fewer than 99 % of test windows. Keeping one op at a time in
float (tf.lite QuantizationDebugger) showed where a network loses that agreement: the first
convolution. Its 3x3 filters, with batch normalisation folded in, cancel the large common level
of a normalised log-mel window, and int8-rounded weights no longer cancel it (one run on a larger
corpus: 97.5 % agreement, 99.3 % with conv1 alone in float; see
``training/results/exp_corpus96.txt``).

The fine-tuning therefore
* folds ``conv1`` + ``conv1_bn`` into one convolution, rounds its weights once to the converter's
  per-channel int8 grid and freezes them (float and int8 then compute the same conv1), and
* rounds every tensor the int8 graph quantises with a calibrated range (the normalised input, the
  ReLU6 outputs, the depthwise outputs, the global average, the dense layer) to the grid the
  converter calibrates on the same windows (:class:`FakeQuant`; straight-through gradients),
while the other weights train for a few epochs at a low learning rate. The weights then go back
into the plain network (conv1 unfolded so that it folds to the rounded kernel again), which is
what is saved, evaluated and converted.

The ``trunk`` network (``training/models.py``) fine-tunes the same way: its conv1 is a 'valid'
convolution after a frequency padding (the folded layer keeps that padding), and its head
(global average, dense layers) runs in float at runtime, so those outputs are not rounded.
"""

from __future__ import annotations

import numpy as np

from .convert import N_CALIB

# layer types whose output the int8 graph stores with its own calibrated range (pooling and
# concatenation reuse their input's range)
_QUANTISED_OUTPUTS = ("Rescaling", "ReLU", "DepthwiseConv2D", "GlobalAveragePooling2D")


def _fake_quant_layer():
    import keras
    from keras import ops

    class FakeQuant(keras.layers.Layer):
        """Rounds to an asymmetric 8-bit grid over ``[lo, hi]`` (zero exact), straight-through gradient."""

        def __init__(self, lo: float, hi: float, **kw):
            super().__init__(**kw)
            self.lo, self.hi = float(min(lo, 0.0)), float(max(hi, 0.0))
            self.scale = max(self.hi - self.lo, 1e-6) / 255.0
            self.zero = float(np.round(-self.lo / self.scale))

        def call(self, x):
            q = (ops.clip(ops.round(x / self.scale) + self.zero, 0.0, 255.0) - self.zero) * self.scale
            return x + ops.stop_gradient(q - x)

        def get_config(self):
            return {**super().get_config(), "lo": self.lo, "hi": self.hi}

    return FakeQuant


def _folded_conv_layer():
    import keras
    from keras import ops

    class FoldedQuantConv(keras.layers.Layer):
        """Conv2D (3x3, 'same') with BN folded in, its weights on the per-channel int8 grid
        (symmetric, max |w| / 127, as the converter does); frozen by :func:`fake_quant_clone`."""

        def __init__(self, kernel, bias, padding: str = "same", **kw):
            super().__init__(**kw)
            self.k0, self.b0 = np.asarray(kernel, np.float32), np.asarray(bias, np.float32)
            self.padding = padding  # the convolution's own: 'same' (compact), 'valid' after a pad (trunk)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=self.k0.shape, initializer=keras.initializers.Constant(self.k0),
                                          name="kernel")
            self.bias = self.add_weight(shape=self.b0.shape, initializer=keras.initializers.Constant(self.b0),
                                        name="bias")

        def call(self, x):
            s = ops.maximum(ops.max(ops.abs(self.kernel), axis=(0, 1, 2), keepdims=True), 1e-8) / 127.0
            w = self.kernel + ops.stop_gradient(ops.round(self.kernel / s) * s - self.kernel)
            return ops.conv(x, w, padding=self.padding) + self.bias

    return FoldedQuantConv


def fold_conv_bn(model, conv: str = "conv1", bn: str = "conv1_bn") -> tuple[np.ndarray, np.ndarray]:
    """``conv`` (no bias) followed by inference-mode ``bn`` as one kernel and bias."""
    w = model.get_layer(conv).get_weights()[0]
    bn_layer = model.get_layer(bn)
    g, b, mu, var = bn_layer.get_weights()
    k = g / np.sqrt(var + bn_layer.epsilon)
    return w * k, b - mu * k


def unfold_conv_bn(model, kernel: np.ndarray, bias: np.ndarray, conv: str = "conv1", bn: str = "conv1_bn") -> None:
    """Write a folded kernel and bias back as ``conv`` weights and a BN that folds to them."""
    bn_layer = model.get_layer(bn)
    _, _, mu, var = bn_layer.get_weights()
    gamma = np.sqrt(var + bn_layer.epsilon)          # so that gamma / sqrt(var + eps) == 1
    model.get_layer(conv).set_weights([kernel])
    bn_layer.set_weights([gamma, bias + mu, mu, var])


def _quantised_layer_names(model) -> list[str]:
    names = []
    for layer in model.layers:
        cls = type(layer).__name__
        if model.name == "trunk" and cls in ("GlobalAveragePooling2D", "Dense"):
            continue  # the trunk's head runs in float (training/trunk_export.py)
        if cls in _QUANTISED_OUTPUTS or (cls == "Dense" and layer.get_config().get("activation") == "relu"):
            names.append(layer.name)
    return names


def calibrated_ranges(model, calib_x: np.ndarray, batch: int = 100) -> dict[str, tuple[float, float]]:
    """Min / max of each quantised layer output over the converter's calibration windows
    (running over batches: the first layers' outputs of 1,200 windows would take gigabytes)."""
    import keras

    names = _quantised_layer_names(model)
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names])
    x = calib_x[:N_CALIB].astype(np.float32)
    x = x[..., None] if x.ndim == 3 else x
    lo = {n: np.inf for n in names}
    hi = {n: -np.inf for n in names}
    for i in range(0, len(x), batch):
        outs = probe(x[i:i + batch], training=False)
        for n, o in zip(names, outs):
            o = np.asarray(o)
            lo[n], hi[n] = min(lo[n], float(o.min())), max(hi[n], float(o.max()))
    return {n: (lo[n], hi[n]) for n in names}


def round_per_channel(kernel: np.ndarray) -> np.ndarray:
    """``kernel`` rounded to a symmetric int8 grid per output channel (last axis), as the converter does."""
    s = np.maximum(np.abs(kernel).reshape(-1, kernel.shape[-1]).max(0), 1e-8) / 127.0
    return (np.round(kernel / s) * s).astype(np.float32)


def fake_quant_clone(model, ranges: dict[str, tuple[float, float]], fold_first_conv: bool = False):
    """A copy of ``model`` (same weights) with a FakeQuant layer after each layer in ``ranges``;
    with ``fold_first_conv``, ``conv1`` + ``conv1_bn`` become one frozen :class:`FoldedQuantConv`
    whose folded weights are rounded once to the int8 grid."""
    import keras

    FakeQuant = _fake_quant_layer()
    folded = None
    if fold_first_conv:
        kernel, bias = fold_conv_bn(model)
        folded = (round_per_channel(kernel), bias)      # on the int8 grid: float and int8 conv1 agree

    def call_function(layer, *args, **kwargs):
        if folded is not None and layer.name == "conv1":
            conv = _folded_conv_layer()(*folded, padding=layer.padding, name="conv1_folded")
            conv.trainable = False
            out = conv(*args)
        elif folded is not None and layer.name == "conv1_bn":
            out = args[0]
        else:
            out = layer(*args, **kwargs)
        if layer.name in ranges:
            out = FakeQuant(*ranges[layer.name], name=f"{layer.name}_fq")(out)
        return out

    clone = keras.models.clone_model(model, call_function=call_function)
    if folded is None:
        clone.set_weights(model.get_weights())
    else:
        copy_weights(model, clone)
    return clone


def copy_weights(src, dst) -> None:
    """Weights of same-named layers from ``src`` to ``dst``."""
    names = {la.name for la in dst.layers}
    for la in src.layers:
        if la.weights and la.name in names:
            dst.get_layer(la.name).set_weights(la.get_weights())


def _val_loss(model, xv, yv) -> float:
    return float(model.evaluate(xv, yv, batch_size=256, verbose=0, return_dict=True)["loss"])


def quant_aware_finetune(model, calib_x: np.ndarray, batches, val_data, epochs: int = 3, lr: float = 3e-5,
                         label_smoothing: float = 0.02, verbose: bool = True, log=print) -> dict:
    """Fine-tune ``model`` in place for ``epochs`` with fake int8 rounding; returns a small log.

    ``batches``: a keras PyDataset of training batches; ``val_data``: ``(x, y)``. Plain Adam
    (no weight averaging: averaging the fine-tuned weights made the int8 rounding hurt more,
    not less); the weights of the fine-tuning epoch with the lowest validation loss under
    int8 rounding replace the model's weights.
    """
    import keras

    ranges = calibrated_ranges(model, calib_x)
    qmodel = fake_quant_clone(model, ranges, fold_first_conv=True)
    qmodel.compile(optimizer=keras.optimizers.Adam(lr),
                   loss=keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing))
    xv, yv = val_data
    start = _val_loss(qmodel, xv, yv)
    best, best_w, losses = np.inf, None, []
    for ep in range(epochs):
        qmodel.fit(batches, epochs=1, verbose=0)
        v = _val_loss(qmodel, xv, yv)
        losses.append(round(v, 5))
        if verbose:
            log(f"train: quantisation-aware epoch {ep + 1}/{epochs} val_loss (int8 rounding)={v:.4f} "
                f"(before: {start:.4f})")
        if v < best:
            best, best_w = v, qmodel.get_weights()
    qmodel.set_weights(best_w)
    copy_weights(qmodel, model)
    unfold_conv_bn(model, *qmodel.get_layer("conv1_folded").get_weights())
    return {"epochs": epochs, "learning_rate": lr, "val_loss_before": round(start, 5), "val_losses": losses,
            "kept_epoch": int(np.argmin(losses)) + 1, "n_quantised_tensors": len(ranges)}
