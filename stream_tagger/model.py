"""The TFLite tagging model and its metadata, for the runtime (no TensorFlow here).

A model is two files side by side: ``NAME.tflite`` and ``NAME.json``. The JSON holds
``labels`` (network outputs, e.g. speech/music/noise), ``frontend`` (the
:class:`~stream_tagger.frontend.FrontendParams` it was trained with), ``thresholds``
(per-label decision thresholds on probabilities, chosen on the validation split),
``silence_dbfs`` (default silence level), ``input_norm`` (optional ``{"mean", "std"}``:
the network expects ``(logmel - mean) / std``; applied here, folded into the input
quantisation, so the int8 network has no separate normalisation ops to round twice),
optional decision settings (``hysteresis``, ``min_on_s``, ``min_off_s``,
``silence_hysteresis_db``, ``min_silence_s``, ``silence_mode`` and the noise floor's ``floor_margin_db``,
``floor_window_s``, ``floor_quiet_s``, ``floor_max_dbfs``, see :class:`~stream_tagger.postprocess.DecisionParams`;
they are not covered by the SHA-256 fields below, so a decision setting can be added or tuned in
the JSON without a new .tflite), ``version``
(metadata format, at most :data:`METADATA_VERSION`), ``tflite_sha256`` and ``labels_sha256``
(which file the metadata was written for, and in which order its outputs are labelled: see
:func:`check_model_file`) and descriptive fields (corpus, metrics).
:meth:`TagModel.load` refuses a model whose metadata does not fit the runtime
(:func:`check_metadata`) or does not belong to its .tflite (:func:`check_model_file`), with a
one-line :class:`~stream_tagger.errors.ModelError`.

Input tensor: ``(batch, n_mels, frames_per_window, 1)`` log-mel features (float32, or
int8 with the tensor's quantisation). Output: ``(batch, n_labels)`` sigmoid
probabilities (float32 or int8, dequantised here). A network whose output batch does not
follow its input batch (or that cannot be resized) is run one window at a time.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
from importlib import resources

import numpy as np

from .errors import ModelError
from .frontend import DEFAULT_PARAMS, FrontendParams
from .postprocess import FLOOR_MARGIN_DB_RANGE, MIN_SILENCE_S_RANGE, SILENCE, SILENCE_DBFS_RANGE, SILENCE_MODES

METADATA_VERSION = 1  # newest metadata format this runtime reads; ``version`` above it is refused
NETWORK_LABELS = ("speech", "music", "noise")


def default_model_path() -> str:
    """Path of the model shipped in the package (``assets/model.tflite``)."""
    return str(resources.files("stream_tagger.assets").joinpath("model.tflite"))


def metadata_path_for(model_path: str) -> str:
    return os.path.splitext(model_path)[0] + ".json"


def model_identity(model_path: str, meta: dict | None = None) -> str:
    """Which model a result came from, for saved pictures and logs:
    ``"model.tflite sha1 7c556ef3 (stream-tagger-compact-20261125)"`` (the first 8 hex digits
    of the file's SHA-1, then the metadata's ``model_version`` when it has one)."""
    with open(model_path, "rb") as f:
        digest = hashlib.sha1(f.read()).hexdigest()[:8]
    version = (meta or {}).get("model_version")
    return f"{os.path.basename(model_path)} sha1 {digest}" + (f" ({version})" if version else "")


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, hex (what ``sha256sum`` prints)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def labels_sha256(tflite_sha256: str, labels) -> str:
    """SHA-256 (hex) of ``"<tflite_sha256>:speech,music,noise"``: ties the order of the labels
    to the .tflite whose outputs they name."""
    return hashlib.sha256(f"{tflite_sha256}:{','.join(labels)}".encode()).hexdigest()


def head_path_for(model_path: str) -> str:
    """The second file of a shared-trunk model (:mod:`stream_tagger.trunk`): ``NAME.head.tflite``."""
    return os.path.splitext(model_path)[0] + ".head.tflite"


def file_identity(model_path: str, labels) -> dict:
    """The metadata fields that tie a JSON to ``model_path``'s bytes and to its label order:
    ``{"tflite_sha256": ..., "labels_sha256": ...}`` (written by the conversion)."""
    digest = file_sha256(model_path)
    return {"tflite_sha256": digest, "labels_sha256": labels_sha256(digest, labels)}


def check_model_file(model_path: str, meta: dict) -> None:
    """Raise :class:`ModelError` (one line) unless ``meta`` was written for ``model_path``.

    ``tflite_sha256`` must be the file's SHA-256 (a JSON copied from another model, or a .tflite
    changed after its conversion, is refused) and ``labels_sha256`` must match it and the
    ``labels`` in their order (a JSON whose labels were reordered would report speech as music).
    Metadata without the fields (written before they existed) is refused too: nothing would show
    that it belongs to this file; ``python -m training.convert --stamp MODEL.tflite`` adds them
    to a JSON known to belong to its .tflite.
    """
    meta_path = metadata_path_for(model_path)
    name = os.path.basename(model_path)
    for key in ("tflite_sha256", "labels_sha256"):
        v = meta.get(key)
        if v is None:
            raise ModelError(f"{meta_path}: metadata lacks '{key}', so nothing shows it belongs to {name} "
                             f"(convert the model again, or if it does: python -m training.convert --stamp {model_path})")
        if not (isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)):
            raise ModelError(f"{meta_path}: metadata '{key}' must be 64 lowercase hex digits, not {_show(v)}")
    actual = file_sha256(model_path)
    if meta["tflite_sha256"] != actual:
        raise ModelError(f"{meta_path}: written for another file than {name} (tflite_sha256 "
                         f"{meta['tflite_sha256'][:12]}..., the file's is {actual[:12]}...): "
                         f"use the JSON converted with this .tflite")
    if meta["labels_sha256"] != labels_sha256(actual, meta["labels"]):
        raise ModelError(f"{meta_path}: labels {list(meta['labels'])} are not those {name} was converted with, "
                         f"in that order (labels_sha256 does not match)")
    if "trunk" in meta:  # a shared-trunk model's second file, its head
        head = head_path_for(model_path)
        v = meta.get("head_sha256")
        if not (isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)):
            raise ModelError(f"{meta_path}: metadata 'head_sha256' must be 64 lowercase hex digits, not {_show(v)}")
        if not os.path.isfile(head):
            raise ModelError(f"{head}: the model's head file is missing (a trunk model is {name}, "
                             f"{os.path.basename(head)} and {os.path.basename(meta_path)}, side by side)")
        if file_sha256(head) != v:
            raise ModelError(f"{meta_path}: written for another head file than {os.path.basename(head)} "
                             f"(head_sha256 does not match): use the files converted together")


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


def _open_interpreter(path: str, threads: int):
    """A TFLite interpreter with tensors allocated; ModelError (one line) if the file is no model."""
    Interpreter = _interpreter_class()
    try:
        interp = Interpreter(model_path=path, num_threads=max(1, int(threads)))
        interp.allocate_tensors()
    except Exception as e:
        msg = str(e).strip().splitlines()
        raise ModelError(f"{path}: not a valid TFLite model ({msg[-1] if msg else type(e).__name__})") from None
    return interp


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


def _is_number(v) -> bool:
    """A finite number (JSON's ``true``/``false`` are not numbers here; NumPy scalars are)."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _show(v) -> str:
    """``repr`` of a metadata value, cut to one short line for an error message."""
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def check_metadata(meta: dict, params: FrontendParams = DEFAULT_PARAMS, where: str = "model") -> None:
    """Raise :class:`ModelError` (one line, naming the field) unless ``meta`` fits this runtime.

    Rules: ``version`` (optional; absent means 1) an integer no newer than
    :data:`METADATA_VERSION`; ``labels`` a non-empty list of distinct network labels;
    ``frontend`` equal to ``params``; ``thresholds`` an object with a probability in [0, 1] for
    every label and no other keys; optional ``silence_dbfs`` a level in -120..0 dBFS
    (:data:`SILENCE_DBFS_RANGE`); optional ``hysteresis`` a probability width in [0, 1],
    ``silence_hysteresis_db`` a finite level difference >= 0 dB, ``min_silence_s`` a pause length
    in :data:`~stream_tagger.postprocess.MIN_SILENCE_S_RANGE` seconds, ``min_on_s`` / ``min_off_s``
    objects of durations >= 0 s per label (or ``"silence"``); optional ``silence_mode`` one of
    :data:`SILENCE_MODES`, ``floor_margin_db`` within :data:`FLOOR_MARGIN_DB_RANGE`,
    ``floor_window_s`` 1..3600 s, ``floor_quiet_s`` 0.01 s .. ``floor_window_s``,
    ``floor_max_dbfs`` a level in -120..0 dBFS; optional ``input_norm`` see
    :func:`input_norm`. These are the fields :class:`TagModel` and
    :meth:`~stream_tagger.postprocess.DecisionParams.from_metadata` read.
    """
    version = meta.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelError(f"{where}: metadata 'version' must be a positive integer, not {_show(version)}")
    if version > METADATA_VERSION:
        raise ModelError(f"{where}: metadata version {version} is newer than this stream-tagger understands "
                         f"({METADATA_VERSION}): upgrade stream-tagger")
    for key in ("labels", "frontend", "thresholds"):
        if key not in meta:
            raise ModelError(f"{where}: metadata lacks '{key}'")
    labels = meta["labels"]
    if not isinstance(labels, (list, tuple)) or not labels or any(lab not in NETWORK_LABELS for lab in labels):
        raise ModelError(f"{where}: labels {_show(labels)} are not a subset of {list(NETWORK_LABELS)}")
    dup = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dup:
        raise ModelError(f"{where}: labels {list(labels)} are not distinct ({dup} repeated)")
    if not isinstance(meta["frontend"], dict):
        raise ModelError(f"{where}: metadata 'frontend' must be an object")
    bad = params.mismatches(meta["frontend"])
    if bad:
        raise ModelError(f"{where}: frontend does not match the runtime: " + "; ".join(bad[:4]))
    thresholds = meta["thresholds"]
    if not isinstance(thresholds, dict):
        raise ModelError(f"{where}: metadata 'thresholds' must be an object {{label: probability}}")
    missing = [lab for lab in labels if lab not in thresholds]
    if missing:
        raise ModelError(f"{where}: metadata has no threshold for {missing}")
    extra = [k for k in thresholds if k not in labels]
    if extra:
        raise ModelError(f"{where}: metadata has thresholds for {_show(extra)}, which are not in labels {list(labels)}")
    for lab in labels:
        v = thresholds[lab]
        if not (_is_number(v) and 0.0 <= v <= 1.0):
            raise ModelError(f"{where}: threshold for '{lab}' must be a probability in [0, 1], not {_show(v)}")
    lo, hi = SILENCE_DBFS_RANGE
    checks = (("silence_dbfs", lo, hi, f"a level in [{lo:g}, {hi:g}] dBFS"),
              ("hysteresis", 0.0, 1.0, "a probability width in [0, 1]"),
              ("silence_hysteresis_db", 0.0, math.inf, "a finite number of dB >= 0"),
              ("min_silence_s", *MIN_SILENCE_S_RANGE, "a number of seconds in [{:g}, {:g}]".format(*MIN_SILENCE_S_RANGE)),
              ("floor_margin_db", *FLOOR_MARGIN_DB_RANGE, "a level difference in [{:g}, {:g}] dB".format(*FLOOR_MARGIN_DB_RANGE)),
              ("floor_window_s", 1.0, 3600.0, "a duration in [1, 3600] s"),
              ("floor_quiet_s", 0.01, float(meta.get("floor_window_s", 60.0)) if _is_number(meta.get("floor_window_s", 60.0))
               else 3600.0, "a duration from 0.01 s up to floor_window_s"),
              ("floor_max_dbfs", lo, hi, f"a level in [{lo:g}, {hi:g}] dBFS"))
    for key, lo, hi, what in checks:
        v = meta.get(key)
        if key in meta and not (_is_number(v) and lo <= v <= hi):
            raise ModelError(f"{where}: metadata '{key}' must be {what}, not {_show(v)}")
    mode = meta.get("silence_mode")
    if "silence_mode" in meta and mode not in SILENCE_MODES:
        raise ModelError(f"{where}: metadata 'silence_mode' must be one of {list(SILENCE_MODES)}, not {_show(mode)}")
    for key in ("min_on_s", "min_off_s"):
        durations = meta.get(key, {})
        if not isinstance(durations, dict):
            raise ModelError(f"{where}: metadata '{key}' must be an object {{label: seconds}}, not {_show(durations)}")
        for lab, v in durations.items():
            if lab not in labels and lab != SILENCE:
                raise ModelError(f"{where}: metadata '{key}' names {_show(lab)}, which is not in labels {list(labels)} "
                                 f"nor '{SILENCE}'")
            if not (_is_number(v) and v >= 0):
                raise ModelError(f"{where}: metadata '{key}' for '{lab}' must be a finite number of seconds >= 0, "
                                 f"not {_show(v)}")
    input_norm(meta, where)
    if "trunk" in meta:
        from .trunk import check_trunk_metadata  # noqa: PLC0415 - trunk imports this module

        check_trunk_metadata(meta, params.frames_per_window, where)


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
        self._one_by_one = False  # set once a batch shows the output batch does not follow the input
        expect = (params.n_mels, params.frames_per_window)
        if tuple(int(v) for v in self._in["shape"][1:3]) != expect:
            raise ModelError(f"{model_path}: input shape {[int(v) for v in self._in['shape']]} does not fit "
                             f"features {list(expect)}")
        if int(self._out["shape"][-1]) != len(self.labels):
            raise ModelError(f"{model_path}: {int(self._out['shape'][-1])} outputs but {len(self.labels)} labels")

    @classmethod
    def load(cls, model_path: str | None = None, threads: int = 1, params: FrontendParams = DEFAULT_PARAMS) -> "TagModel":
        """Load ``model_path`` (default: the shipped model) and check its metadata."""
        model_path = model_path or default_model_path()
        if not os.path.exists(model_path):
            raise ModelError(f"{model_path}: model file not found")
        if os.path.isdir(model_path):
            raise ModelError(f"{model_path}: is a directory, not a .tflite model")
        meta = read_metadata(model_path)
        check_metadata(meta, params, where=model_path)
        interp = _open_interpreter(model_path, threads)
        if "trunk" in meta:  # a shared-trunk model: its head is the second file
            from .trunk import TrunkModel  # noqa: PLC0415 - trunk imports this module

            check_model_file(model_path, meta)  # both files, before the head is opened
            head = _open_interpreter(head_path_for(model_path), 1)
            return TrunkModel(model_path, meta, interp, head, params)
        check_model_file(model_path, meta)  # after the interpreter: a broken file is named as such
        return cls(model_path, meta, interp, params)

    @property
    def identity(self) -> str:
        """See :func:`model_identity`."""
        return model_identity(self.path, self.metadata)

    @property
    def input_quantized(self) -> bool:
        return self._in["dtype"] != np.float32

    def _set_batch(self, n: int) -> bool:
        """Resize the input to ``n`` windows. False (and resized back to 1) when resizing fails
        (e.g. a fixed reshape inside). Whether the output follows shows only after an invoke: a
        network with a dynamic reshape (``seed``'s flatten) reports batch 1 until it has run."""
        if n != self._batch:
            shape = list(self._in["shape"])
            shape[0] = n
            try:
                self._interp.resize_tensor_input(self._in["index"], shape)
                self._interp.allocate_tensors()
            except Exception:  # noqa: BLE001 - the interpreter raises RuntimeError or ValueError
                if n == 1:
                    raise
                self._batch = -1  # the input tensor is resized already: force the way back
                self._set_batch(1)
                return False
            self._in = self._interp.get_input_details()[0]
            self._out = self._interp.get_output_details()[0]
            self._batch = n
        return True

    def _run(self, x: np.ndarray) -> np.ndarray:
        """One invoke on features ``(batch, n_mels, frames)``; raw rows ``(rows, n_labels)`` float32."""
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
        return y.astype(np.float32).reshape(-1, len(self.labels))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Probabilities ``(batch, n_labels)`` float32 (0..1) for log-mel features
        ``(batch, n_mels, frames)`` or a single window ``(n_mels, frames)`` (then returns
        ``(n_labels,)``). A batch runs in one invoke, or window by window for a network whose
        output batch does not follow its input (found on the first batch, then remembered)."""
        single = features.ndim == 2
        x = features[None] if single else features
        n = len(x)
        if n == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        if n > 1 and not self._one_by_one:
            if self._set_batch(n):
                y = self._run(x)
                if len(y) == n:
                    return y
            self._one_by_one = True
        self._set_batch(1)
        y = np.concatenate([self._run(x[i : i + 1]) for i in range(n)])
        if len(y) != n:
            raise ModelError(f"{self.path}: the network gives {len(y) // n} rows of outputs per window, not 1")
        return y[0] if single else y
