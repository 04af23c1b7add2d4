"""Convert a trained Keras model to a full-integer (int8) TFLite model plus its metadata JSON.

* Full-integer quantisation: int8 weights and activations, int8 input and output tensors;
  the representative data are augmented *training* windows (``calib.npz`` from training).
* The .tflite holds the network after its input normalisation; the runtime applies that
  normalisation (metadata ``input_norm``) inside its input quantisation (see
  :func:`deployed_network`).
* Parity check: Keras (float) and the .tflite (run through the runtime's own
  :class:`stream_tagger.model.TagModel`, in a subprocess so no TensorFlow state touches the
  LiteRT interpreter) on the test split's windows (every 1 s window at a 0.5 s hop of the
  test recordings); conversion fails (exit 1, files removed) if the per-window decisions
  (all three labels at the chosen thresholds) agree on fewer than ``--min-agreement``
  (99 %) of them. The agreement on the synthetic test mixtures (speech over music or noise,
  made from test files: the hardest, most ambiguous windows) is recorded beside it.
* Metadata (``model.json`` beside ``model.tflite``): labels, frontend parameters,
  thresholds (from the validation split), ``silence_dbfs``, ``min_silence_s``, corpus summary, test metrics
  (float and int8), parity, version, and the .tflite's SHA-256 with the order of its labels
  (``tflite_sha256``, ``labels_sha256``: the runtime refuses a JSON written for another file).
  It must satisfy :func:`stream_tagger.model.check_metadata` and
  :func:`stream_tagger.model.check_model_file`.
* ``trunk`` runs (``training/models.py``): the .tflite is the int8 *stream trunk* and a second file,
  ``NAME.head.tflite`` (float32), holds the head; the metadata adds the geometry (``trunk``) and
  the head's SHA-256 (``head_sha256``); see :mod:`training.trunk_export`. The parity check runs
  the runtime's own streaming path (:class:`stream_tagger.trunk.TrunkModel`).
* ``--stamp MODEL.tflite`` adds those two fields to the JSON beside a model converted before
  they existed (only for a JSON known to belong to that file: the runtime cannot check it).

    python -m training.convert --run runs/compact [--out runs/compact/model.tflite]
    python -m training.convert --stamp runs/seed/model.tflite
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys

import numpy as np

from stream_tagger.frontend import DEFAULT_PARAMS
from stream_tagger.postprocess import DecisionParams
from stream_tagger.errors import ModelError
from stream_tagger.model import (METADATA_VERSION, check_metadata, check_model_file, file_identity, file_sha256,
                                 head_path_for, metadata_path_for, read_metadata)

from .metrics import LABELS, confusion_pure, decisions_agree, plot_confusion, prf

SILENCE_DBFS_DEFAULT = -50.0
MIN_SILENCE_S_DEFAULT = DecisionParams.DEFAULT_MIN_SILENCE_S  # pauses (stream_tagger.pauses), a decision setting
N_CALIB = 1200  # calibration windows the int8 converter takes from calib.npz (training.qat emulates it)


def deployed_network(model, norm_mean: float, norm_std: float, calib_x: np.ndarray):
    """The part of ``model`` the .tflite holds, and calibration windows for it.

    The Keras model starts with its fixed input normalisation (layer ``input_norm``,
    ``(x - norm_mean) / norm_std``). The .tflite starts after it: the runtime applies the
    normalisation (metadata ``input_norm``) folded into its input quantisation, which
    saves the int8 network two rounding steps (multiply, add) at full resolution.
    """
    import keras

    try:
        norm_out = model.get_layer("input_norm").output
    except ValueError:
        return model, calib_x, None
    net = keras.Model(norm_out, model.output, name=f"{model.name}_deployed")
    return net, (calib_x.astype(np.float32) - norm_mean) / norm_std, {"mean": norm_mean, "std": norm_std}


INPUT_NAME = "logmel"  # the .tflite's input tensor: serving_default_logmel:0


def to_tflite_int8(model, calib_x: np.ndarray, n_calib: int = N_CALIB) -> bytes:
    """Full-integer quantised TFLite flatbuffer (int8 in/out) of a Keras model.

    The input is exported under the fixed name :data:`INPUT_NAME`: left to Keras it would be
    ``keras_tensor_<n>``, with ``n`` counting the tensors the process built before, so the same
    weights converted after a longer run would give a file with other bytes."""
    import tensorflow as tf

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        saved = os.path.join(tmp, "saved_model")
        spec = tf.TensorSpec((None,) + tuple(model.input.shape[1:]), tf.float32, name=INPUT_NAME)
        model.export(saved, format="tf_saved_model", verbose=False, input_signature=[spec])
        conv = tf.lite.TFLiteConverter.from_saved_model(saved)
        return _quantize(conv, calib_x, n_calib)


def _quantize(conv, calib_x: np.ndarray, n_calib: int) -> bytes:
    import tensorflow as tf

    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    xs = calib_x[:n_calib].astype(np.float32)

    def rep():
        for i in range(len(xs)):
            yield [xs[i:i + 1, ..., None] if xs.ndim == 3 else xs[i:i + 1]]

    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def tflite_probs_subprocess(tflite_path: str, windows_npz: str, out_npz: str, threads: int = 2) -> None:
    """Run the .tflite on every array of ``windows_npz`` in a fresh process (TagModel); save probs."""
    cmd = [sys.executable, "-m", "training.convert", "_probs", tflite_path, windows_npz, out_npz, str(threads)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"running the .tflite failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")


def _probs_main(tflite_path: str, windows_npz: str, out_npz: str, threads: str) -> int:
    from stream_tagger.model import TagModel

    m = TagModel.load(tflite_path, threads=int(threads))
    data = np.load(windows_npz)
    out = {}
    for k in data.files:
        x = data[k].astype(np.float32)
        out[k] = np.concatenate([m.predict(x[i:i + 128]) for i in range(0, len(x), 128)]) if len(x) else \
            np.zeros((0, len(m.labels)), np.float32)
    np.savez(out_npz, **out)
    return 0


def corpus_summary(data_dir: str) -> dict:
    p = os.path.join(data_dir, "corpus", "summary.json")
    if os.path.exists(p):
        with open(p, encoding="utf-8") as f:
            return json.load(f)
    return {}


def convert_run(run_dir: str, data_dir: str = "data", out_path: str | None = None, min_agreement: float = 0.99,
                silence_dbfs: float = SILENCE_DBFS_DEFAULT, verbose: bool = True) -> dict:
    """Convert ``run_dir/model.keras``; parity-check; write ``.tflite`` + ``.json``. Returns the metadata."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    out_path = out_path or os.path.join(run_dir, "model.tflite")
    with open(os.path.join(run_dir, "train_result.json"), encoding="utf-8") as f:
        tr = json.load(f)
    model = keras.models.load_model(os.path.join(run_dir, "model.keras"))
    calib = np.load(os.path.join(run_dir, "calib.npz"))["x"]
    net, calib, norm = deployed_network(model, float(tr["norm_mean"]), float(tr["norm_std"]), calib)
    check_path = os.path.splitext(out_path)[0] + ".check.tflite"  # candidate until parity passes
    trunk = tr["arch"] == "trunk"
    if trunk:  # the stream trunk (int8) + its head (float32): training/trunk_export.py
        from .models import TRUNK
        from .trunk_export import to_tflite_trunk

        blob, head_blob = to_tflite_trunk(model, calib, n_calib_windows=N_CALIB)
        with open(head_path_for(check_path), "wb") as f:
            f.write(head_blob)
    else:
        blob = to_tflite_int8(net, calib)
    with open(check_path, "wb") as f:
        f.write(blob)

    ev = np.load(os.path.join(run_dir, "eval_sets.npz"))
    fp = np.load(os.path.join(run_dir, "float_probs.npz"))
    thresholds = tr["thresholds"]
    meta = {
        "version": METADATA_VERSION,
        "model_version": "stream-tagger-" + tr["arch"] + "-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d"),
        "arch": tr["arch"],
        "labels": list(LABELS),
        **file_identity(check_path, LABELS),  # the same bytes become out_path
        "frontend": DEFAULT_PARAMS.to_dict(),
        "thresholds": thresholds,
        "silence_dbfs": silence_dbfs,
        "min_silence_s": MIN_SILENCE_S_DEFAULT,
        "input": {"shape": [None, DEFAULT_PARAMS.n_mels, DEFAULT_PARAMS.frames_per_window, 1], "dtype": "int8",
                  "features": "log(mel_power + log_offset), stream_tagger.frontend"
                              + (", then (x - input_norm.mean) / input_norm.std" if norm else "")},
        "output": {"activation": "sigmoid", "multi_label": True},
        "params": tr["params"],
        "macs_per_window": tr["macs_per_window"],
        "macs_per_second": tr.get("macs_per_second"),
        "training": {**{k: tr[k] for k in ("seed", "epochs_run", "best_epoch", "steps_per_epoch", "batch_size",
                                           "train_seconds", "n_train_files")},
                     **{k: tr.get(k) for k in ("fit_seconds", "fit_reused", "stopped_by", "time_limit_minutes",
                                                 "deterministic")}},  # absent in runs made before
        "corpus": corpus_summary(data_dir),
    }
    if norm:
        meta["input_norm"] = norm
    if trunk:
        meta["trunk"] = dict(TRUNK)
        meta["head_sha256"] = file_sha256(head_path_for(check_path))
        meta["input"]["shape"] = [1, DEFAULT_PARAMS.n_mels, TRUNK["frames_per_block"], 1]
        meta["input"]["states"] = "state0..state4 <- next0..next4 of the block before (stream_tagger.trunk)"
        meta["head"] = {"file": os.path.basename(head_path_for(out_path)), "dtype": "float32",
                        "input": "average and maximum of the window's steps (stream_tagger.trunk)"}
    check_metadata(meta, DEFAULT_PARAMS, where="conversion")
    check_model_file(check_path, meta)
    with open(os.path.splitext(check_path)[0] + ".json", "w", encoding="utf-8") as f:
        json.dump(meta, f)
    wnpz = os.path.join(run_dir, "parity_windows.npz")
    pnpz = os.path.join(run_dir, "int8_probs.npz")
    np.savez(wnpz, test_pure=ev["test_x_pure"], test_mix=ev["test_x_mix"], val=np.concatenate(
        [ev["val_x_pure"], ev["val_x_mix"]]))
    try:
        tflite_probs_subprocess(check_path, wnpz, pnpz)
    except RuntimeError:
        _remove(check_path)
        raise
    q = np.load(pnpz)
    yt_pure, yt_mix = ev["test_y_pure"], ev["test_y_mix"]
    agree = decisions_agree(fp["test_pure"], q["test_pure"], thresholds)
    agree_mix = decisions_agree(fp["test_mix"], q["test_mix"], thresholds) if len(yt_mix) else 1.0
    both_f = np.concatenate([fp["test_pure"], fp["test_mix"]])
    both_q = np.concatenate([q["test_pure"], q["test_mix"]])
    agree_all = decisions_agree(both_f, both_q, thresholds)
    meta["parity"] = {"decision_agreement_test": round(agree, 5), "n_windows": int(len(yt_pure)),
                      "decision_agreement_test_mix": round(agree_mix, 5), "n_windows_mix": int(len(yt_mix)),
                      "decision_agreement_test_with_mix": round(agree_all, 5),
                      "max_abs_prob_diff": round(float(np.max(np.abs(both_f - both_q))) if len(both_f) else 0.0, 4),
                      "min_required": min_agreement,
                      "gate": "decision_agreement_test: the test split's windows (pure); mixtures reported beside"}
    meta["metrics"] = {
        "test_pure_float": tr["test_float_pure"],
        "test_pure_int8": prf(q["test_pure"], yt_pure, thresholds),
        "test_mix_float": tr.get("test_float_mix", {}),
        "test_mix_int8": prf(q["test_mix"], yt_mix, thresholds) if len(yt_mix) else {},
        "val_int8": prf(q["val"], np.concatenate([ev["val_y_pure"], ev["val_y_mix"]]), thresholds),
        "note": "window level (1 s windows, 0.5 s hop); pure = single-class windows without mixing; "
                "mix = seeded synthetic mixtures of test files (power-domain), see training/augment.py",
    }
    rows, cols, cm = confusion_pure(q["test_pure"], yt_pure, thresholds)
    meta["metrics"]["confusion_pure_int8"] = {"rows": rows, "cols": cols, "counts": cm.tolist()}
    plot_confusion(rows, cols, cm, os.path.join(run_dir, "confusion_int8.png"), f"{tr['arch']} (int8): pure test windows")
    if verbose:
        head_note = f" + head {len(head_blob) / 1024:.1f} KiB (float32)" if trunk else ""
        print(f"convert: {len(blob) / 1024:.1f} KiB{head_note}; decisions agree on {agree:.2%} of {len(yt_pure)} test windows "
              f"(synthetic mixtures {agree_mix:.2%} of {len(yt_mix)}; together {agree_all:.2%})", flush=True)
    if agree < min_agreement:
        _remove(check_path)
        raise SystemExit(f"convert: parity check failed: Keras and .tflite decisions agree on {agree:.2%} "
                         f"< {min_agreement:.0%} of test windows")
    os.replace(check_path, out_path)
    if trunk:
        os.replace(head_path_for(check_path), head_path_for(out_path))
    _remove(os.path.splitext(check_path)[0] + ".json")
    write_metadata(out_path, meta)
    return meta


def write_metadata(model_path: str, meta: dict) -> None:
    """Write ``meta`` as the JSON beside ``model_path``, whole (temporary name, then rename)."""
    path = metadata_path_for(model_path)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def stamp(model_path: str) -> dict:
    """Add ``tflite_sha256`` and ``labels_sha256`` for ``model_path`` to the JSON beside it (a
    model converted before these fields existed); the JSON must otherwise fit the runtime.
    Returns the new metadata; :class:`~stream_tagger.errors.ModelError` if the JSON is unusable."""
    if not os.path.isfile(model_path):
        raise ModelError(f"{model_path}: model file not found")
    meta = read_metadata(model_path)
    check_metadata(meta, DEFAULT_PARAMS, where=metadata_path_for(model_path))
    fields = file_identity(model_path, meta["labels"])
    out = {}
    for k, v in meta.items():  # the fields follow "labels", as the conversion writes them
        if k not in fields:
            out[k] = v
        if k == "labels":
            out.update(fields)
    meta = out
    write_metadata(model_path, meta)
    return meta


def _remove(tflite_path: str) -> None:
    for p in (tflite_path, os.path.splitext(tflite_path)[0] + ".json", head_path_for(tflite_path)):
        if os.path.exists(p):
            os.remove(p)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_probs":
        return _probs_main(*argv[1:5])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--run", help="training run directory (runs/<arch>)")
    what.add_argument("--stamp", metavar="MODEL.tflite",
                      help="add the file's tflite_sha256 and labels_sha256 to the JSON beside it (older models)")
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--out", default=None)
    ap.add_argument("--min-agreement", type=float, default=0.99)
    ap.add_argument("--silence-dbfs", type=float, default=SILENCE_DBFS_DEFAULT)
    a = ap.parse_args(argv)
    if a.stamp:
        try:
            meta = stamp(a.stamp)
        except ModelError as e:
            print(f"convert: error: {e}", file=sys.stderr)
            return 1
        print(f"stamp: {metadata_path_for(a.stamp)}: tflite_sha256 {meta['tflite_sha256'][:12]}..., "
              f"labels {meta['labels']}")
        return 0
    convert_run(a.run, a.data_dir, a.out, a.min_agreement, a.silence_dbfs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
