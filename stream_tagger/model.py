"""The TFLite tagging model and its metadata, for the runtime (no TensorFlow here).

A model is two files side by side: ``NAME.tflite`` and ``NAME.json``. The JSON holds
``labels`` (network outputs, e.g. speech/music/noise), ``frontend`` (the
:class:`~stream_tagger.frontend.FrontendParams` it was trained with), ``thresholds``
(per-label decision thresholds on probabilities, chosen on the validation split),
``silence_dbfs`` (default silence level), ``input_norm`` (optional ``{"mean", "std"}``:
the network expects ``(logmel - mean) / std``; applied here, folded into the input
quantisation, so the int8 network has no separate normalisation ops to round twice),
and descriptive fields (corpus, metrics, version). :meth:`TagModel.load` refuses a model
whose metadata does not match the runtime's frontend, with a one-line
:class:`~stream_tagger.errors.ModelError`.

Input tensor: ``(batch, n_mels, frames_per_window, 1)`` log-mel features (float32, or
int8 with the tensor's quantisation). Output: ``(batch, n_labels)`` sigmoid
probabilities (float32 or int8, dequantised here).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources

import numpy as np

from .errors import ModelError
from .frontend import DEFAULT_PARAMS, FrontendParams

METADATA_VERSION = 1
NETWORK_LABELS = ("speech", "music", "noise")


def default_model_path() -> str:
    """Path of the model shipped in the package (``assets/model.tflite``)."""
    return str(resources.files("stream_tagger.assets").joinpath("model.tflite"))


def metadata_path_for(model_path: str) -> str:
    return os.path.splitext(model_path)[0] + ".json"


def model_identity(model_path: str, meta: dict | None = None) -> str:
    """Which model a result came from, for saved pictures and logs:
    ``"model.tflite sha1 93bd159c (stream-tagger-compact-20261125)"`` (the first 8 hex digits
    of the file's SHA-1, then the metadata's ``model_version`` when it has one)."""
    with open(model_path, "rb") as f:
        digest = hashlib.sha1(f.read()).hexdigest()[:8]
    version = (meta or {}).get("model_version")
    return f"{os.path.basename(model_path)} sha1 {digest}" + (f" ({version})" if version else "")


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter  # type: ignore
        except ImportError:
            raise ModelError(
                "no TFLite interpreter installed: pip install ai-edge-litert"
            ) from None
    return Interpreter


def read_metadata(model_path: str) -> dict:
    """Metadata JSON beside ``model_path``; :class:`ModelError` if missing or unreadable."""
    meta_path = metadata_path_for(model_path)
    if not os.path.exists(meta_path):
        raise ModelError(f"{meta_path}: model metadata not found (expected beside {os.path.basename(model_path)})")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise ModelError(f"{meta_path}: model metadata is not valid JSON ({e})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{meta_path}: model metadata must be a JSON object")
    return meta


def check_metadata(meta: dict, params: FrontendParams = DEFAULT_PARAMS, where: str = "model") -> None:
    """Raise :class:`ModelError` unless ``meta`` fits this runtime's frontend and labels."""
    for key in ("labels", "frontend", "thresholds"):
        if key not in meta:
            raise ModelError(f"{where}: metadata lacks '{key}'")
    labels = list(meta["labels"])
    if not labels or any(lab not in NETWORK_LABELS for lab in labels):
        raise ModelError(f"{where}: labels {labels} are not a subset of {list(NETWORK_LABELS)}")
    if not isinstance(meta["frontend"], dict):
        raise ModelError(f"{where}: metadata 'frontend' must be an object")
    bad = params.mismatches(meta["frontend"])
    if bad:
        raise ModelError(f"{where}: frontend does not match the runtime: " + "; ".join(bad[:4]))
    missing = [lab for lab in labels if lab not in meta["thresholds"]]
    if missing:
        raise ModelError(f"{where}: metadata has no threshold for {missing}")
    input_norm(meta, where)


def input_norm(meta: dict, where: str = "model") -> tuple[float, float]:
    """``(mean, std)`` of the metadata's ``input_norm`` (``(0, 1)`` when absent); ModelError if malformed."""
    norm = meta.get("input_norm")
    if norm is None:
        return 0.0, 1.0
    try:
        mean, std = float(norm["mean"]), float(norm["std"])
    except (TypeError, KeyError, ValueError):
        raise ModelError(f"{where}: metadata 'input_norm' must be {{\"mean\": number, \"std\": number}}") from None
    if not (np.isfinite(mean) and np.isfinite(std) and std > 0):
        raise ModelError(f"{where}: metadata 'input_norm' needs a finite mean and a positive std")
    return mean, std


class TagModel:
    """A loaded TFLite tagger. ``predict(features)`` -> probabilities per label.

    Not thread-safe: use one instance per thread (the engine's worker owns one).
    """

    def __init__(self, model_path: str, meta: dict, interpreter, params: FrontendParams):
        self.path = model_path
        self.metadata = meta
        self.params = params
        self.labels: list[str] = list(meta["labels"])
        self.thresholds: dict[str, float] = {k: float(v) for k, v in meta["thresholds"].items()}
        self.silence_dbfs: float = float(meta.get("silence_dbfs", -50.0))
        self.norm_mean, self.norm_std = input_norm(meta, model_path)
        self._interp = interpreter
        self._in = interpreter.get_input_details()[0]
        self._out = interpreter.get_output_details()[0]
        self._batch = int(self._in["shape"][0])
        expect = (params.n_mels, params.frames_per_window)
        if tuple(int(v) for v in self._in["shape"][1:3]) != expect:
            raise ModelError(f"{model_path}: input shape {list(self._in['shape'])} does not fit features {expect}")
        if int(self._out["shape"][-1]) != len(self.labels):
            raise ModelError(f"{model_path}: {int(self._out['shape'][-1])} outputs but {len(self.labels)} labels")

    @classmethod
    def load(cls, model_path: str | None = None, threads: int = 1, params: FrontendParams = DEFAULT_PARAMS) -> "TagModel":
        """Load ``model_path`` (default: the shipped model) and check its metadata."""
        model_path = model_path or default_model_path()
        if not os.path.exists(model_path):
            raise ModelError(f"{model_path}: model file not found")
        meta = read_metadata(model_path)
        check_metadata(meta, params, where=model_path)
        Interpreter = _interpreter_class()
        try:
            interp = Interpreter(model_path=model_path, num_threads=max(1, int(threads)))
            interp.allocate_tensors()
        except Exception as e:
            msg = str(e).strip().splitlines()
            raise ModelError(f"{model_path}: not a valid TFLite model ({msg[-1] if msg else type(e).__name__})") from None
        return cls(model_path, meta, interp, params)

    @property
    def identity(self) -> str:
        """See :func:`model_identity`."""
        return model_identity(self.path, self.metadata)

    @property
    def input_quantized(self) -> bool:
        return self._in["dtype"] != np.float32

    def _set_batch(self, n: int) -> None:
        if n != self._batch:
            shape = list(self._in["shape"])
            shape[0] = n
            self._interp.resize_tensor_input(self._in["index"], shape)
            self._interp.allocate_tensors()
            self._in = self._interp.get_input_details()[0]
            self._out = self._interp.get_output_details()[0]
            self._batch = n

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Probabilities ``(batch, n_labels)`` float32 for features ``(batch, n_mels, frames)``
        or a single window ``(n_mels, frames)`` (then returns ``(n_labels,)``)."""
        single = features.ndim == 2
        x = features[None] if single else features
        self._set_batch(x.shape[0])
        x = x[..., None]
        if self.input_quantized:
            # (x - mean) / std, then x / scale + zero: one affine map, one rounding
            scale, zero = self._in["quantization"]
            gain = 1.0 / (self.norm_std * scale)
            info = np.iinfo(self._in["dtype"])
            x = np.clip(np.round(x * gain + (zero - self.norm_mean * gain)), info.min, info.max).astype(self._in["dtype"])
        else:
            x = ((x - self.norm_mean) / self.norm_std).astype(np.float32)
        self._interp.set_tensor(self._in["index"], x)
        self._interp.invoke()
        y = self._interp.get_tensor(self._out["index"])
        if self._out["dtype"] != np.float32:
            scale, zero = self._out["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        y = y.astype(np.float32)
        return y[0] if single else y
