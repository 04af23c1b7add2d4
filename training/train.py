"""Train a tagger (``--arch compact|seed|trunk``) on the feature store; evaluate; write curves and metrics.

Data: random 101-frame crops of the *train* split, class-balanced and augmented in the
mel-power domain (:mod:`training.augment`), drawn fresh for every batch (seeded per epoch
and step). Validation = fixed windows of the *val* split (pure, 0.5 s hop) plus a fixed,
seeded set of synthetic mixtures from val files. Test = the same from the *test* split.
The splits come from the manifest, which splits by recording / speaker / track group, so
no recording has windows in two splits.

The learning rate is halved when validation loss stalls (``--schedule plateau``, the default)
or follows a cosine decay over the planned ``--epochs`` (``--schedule cosine``).
Training stops early on validation loss (weights of the best epoch restored), or at
``--max-minutes``. With ``ema`` (default) the weights are an exponential moving average
(momentum 0.99) of the optimizer's steps; validation and the kept weights use the average,
which steadies the noisy validation loss of small batches of strongly augmented data.
Per-label decision thresholds are chosen on the validation set (maximum F1).

Outputs in ``--out`` (default ``runs/<arch>``): ``model.keras``, ``train_result.json``
(thresholds, metrics, timings), ``history.json``, ``curves.png``, ``confusion.png``,
``eval_sets.npz`` (val/test windows and labels, float16) and ``calib.npz`` (training
windows for int8 calibration).

    python -m training.train --arch compact [--data-dir data] [--epochs 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import sys
import time

import numpy as np

from stream_tagger.frontend import DEFAULT_PARAMS

from .metrics import (LABELS, choose_thresholds, confusion_pure, decisions_agree, f1_interval,  # noqa: F401 (re-exported)
                      plot_confusion, plot_curves, prf, threshold_array)

# evaluation windows of a split are drawn with seed = training seed + this offset
EVAL_SEED_OFFSET = {"val": 1, "test": 2}
SCHEDULES = ("cosine", "plateau")  # learning-rate schedules of train(schedule=...)


# ---------------------------------------------------------------- data sets

def pure_windows(sampler, seed: int, max_per_class: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fixed single-class windows of a split, label by label (seed ``seed + k`` for label k):
    ``(x (n, n_mels, frames) float16, y (n, 3) one-hot, file index into the store (n,))``."""
    xs, ys, fs = [], [], []
    for k, lab in enumerate(LABELS):
        x, files = sampler.fixed_windows(lab, max_total=max_per_class, seed=seed + k)
        if len(x):
            xs.append(x)
            y = np.zeros((len(x), 3), np.float32)
            y[:, k] = 1
            ys.append(y)
            fs.append(files)
    if not xs:
        return np.zeros((0, 64, 101), np.float16), np.zeros((0, 3), np.float32), np.zeros(0, int)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(fs)


def eval_set(sampler, n_mix: int, seed: int, max_per_class: int) -> dict:
    """Pure fixed windows (per label) + seeded synthetic mixtures, as float16 arrays."""
    from .augment import BatchSynth

    xp, yp, _ = pure_windows(sampler, seed, max_per_class)
    synth = BatchSynth(sampler)
    synth.cfg.p_pure = 0.0
    rng = np.random.default_rng(seed + 100)
    if n_mix and synth.mixes:
        xm, ym = synth.batch(n_mix, rng)
    else:
        xm, ym = np.zeros((0,) + xp.shape[1:], np.float32), np.zeros((0, 3), np.float32)
    return {"x_pure": xp.astype(np.float16), "y_pure": yp, "x_mix": xm.astype(np.float16), "y_mix": ym}


def _tf_setup(threads: int, seed: int):
    """TensorFlow with ``threads`` intra-op threads (one inter-op), deterministic ops and every
    random generator seeded from ``seed``: the same data, seed and thread count on the same kind
    of machine give the same weights (the README's Training section says what still varies)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process
    import keras

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf, keras


def _features_fingerprint(feat_dir: str) -> str:
    """SHA-1 of the feature store's index (its files, splits, labels and frontend): a resumed fit
    must see the same data."""
    import hashlib

    with open(os.path.join(feat_dir, "index.json"), "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def predict_float(model, x: np.ndarray, batch: int = 256) -> np.ndarray:
    """Keras model probabilities for ``(n, n_mels, frames)`` windows."""
    if len(x) == 0:
        return np.zeros((0, 3), np.float32)
    out = []
    for i in range(0, len(x), batch):
        out.append(np.asarray(model(x[i:i + batch, ..., None].astype(np.float32), training=False)))
    return np.concatenate(out).astype(np.float32)


# ---------------------------------------------------------------- training

def train(arch: str = "compact", data_dir: str = "data", feat_dir: str | None = None, out_dir: str | None = None,
          epochs: int = 60, steps_per_epoch: int = 300, batch_size: int = 64, patience: int = 8,
          seed: int = 1234, max_minutes: float | None = None, threads: int = 2, lr: float | None = None,
          n_val_mix: int = 1500, max_eval_per_class: int = 3000, verbose: bool = True, ema: bool = True,
          augment: dict | None = None, schedule: str = "plateau", qat_epochs: int = 3, qat_lr: float = 3e-5,
          reuse_fit: bool = False, resume: bool = False) -> dict:
    """Train, choose thresholds on val, evaluate on test; returns the ``train_result.json`` dict.

    ``augment`` overrides fields of :class:`training.augment.AugmentConfig` for the training batches.
    ``schedule``: ``"plateau"`` (default) halves the learning rate when the validation loss
    stalls for 3 epochs; ``"cosine"`` decays it per step from ``lr`` to 1 % of it over
    ``epochs * steps_per_epoch`` steps (tried on the 79-package corpus: no gain on the test
    split, see ``training/results/exp_recipes.txt``).

    The length of training is a number of epochs of ``steps_per_epoch`` batches, cut short only
    by early stopping on the validation loss (``patience`` epochs): both deterministic, so the
    result does not depend on the machine's speed. ``max_minutes`` (default None: no limit) is a
    wall-clock limit for when time matters more than the model: a run it cuts short records
    ``stopped_by: "time limit"`` in its result (and the model's metadata), and the pipeline exits
    non-zero unless told to accept it.

    After every epoch the fit's whole state goes to ``out_dir/fit_checkpoint.npz``
    (:mod:`training.checkpoint`); ``resume`` continues a killed (or finished) fit from it, with the
    same result as a fit never stopped.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r} (choose from {SCHEDULES})")
    t_start = time.monotonic()
    tf, keras = _tf_setup(threads, seed)
    from .augment import AugmentConfig, BatchSynth, WindowSampler
    from .features import FeatureStore
    from .models import build_model, count_macs, macs_per_second

    feat_dir = feat_dir or os.path.join(data_dir, "features")
    out_dir = out_dir or os.path.join("runs", arch)
    os.makedirs(out_dir, exist_ok=True)
    store = FeatureStore(feat_dir)
    store.load_into_memory()
    params = store.params
    if params != DEFAULT_PARAMS:
        raise SystemExit(f"features were built with another frontend: {params.mismatches(DEFAULT_PARAMS.to_dict())}")
    tr, va, te = (WindowSampler(store, s) for s in ("train", "val", "test"))
    if len(tr.labels_present()) < 3:
        raise SystemExit(f"train split lacks classes: has {tr.labels_present()}")
    synth = BatchSynth(tr, AugmentConfig(**(augment or {})))

    rng = np.random.default_rng(seed)
    calib_x, calib_y = synth.batch(600, rng)
    norm_mean, norm_std = float(calib_x.mean()), float(calib_x.std() + 1e-6)
    # int8 calibration: augmented batches plus natural-level pure windows of the train split
    pure = [tr.fixed_windows(lab, hop_frames=100, max_per_file=2, max_total=200, seed=seed)[0] for lab in LABELS]
    calib_x = np.concatenate([calib_x] + [p.astype(np.float32) for p in pure])
    calib_x = calib_x[np.random.default_rng(seed).permutation(len(calib_x))]
    np.savez_compressed(os.path.join(out_dir, "calib.npz"), x=calib_x.astype(np.float16))

    val = eval_set(va, n_val_mix, seed + EVAL_SEED_OFFSET["val"], max_eval_per_class)
    test = eval_set(te, n_val_mix, seed + EVAL_SEED_OFFSET["test"], max_eval_per_class)
    np.savez(os.path.join(out_dir, "eval_sets.npz"), **{f"val_{k}": v for k, v in val.items()},
             **{f"test_{k}": v for k, v in test.items()})
    xv = np.concatenate([val["x_pure"], val["x_mix"]]).astype(np.float32)[..., None]
    yv = np.concatenate([val["y_pure"], val["y_mix"]])
    t_data = time.monotonic() - t_start
    if verbose:
        print(f"train: data ready in {t_data:.1f} s; val {len(val['y_pure'])} pure + {len(val['y_mix'])} mixed, "
              f"test {len(test['y_pure'])} pure + {len(test['y_mix'])} mixed windows", flush=True)

    model = build_model(arch, norm_mean=norm_mean, norm_std=norm_std)
    lr = lr or (2e-4 if arch == "seed" else 1e-3)
    rate = keras.optimizers.schedules.CosineDecay(lr, epochs * steps_per_epoch, alpha=0.01) \
        if schedule == "cosine" else lr
    model.compile(optimizer=keras.optimizers.Adam(rate, use_ema=ema, ema_momentum=0.99),
                  loss=keras.losses.BinaryCrossentropy(label_smoothing=0.02),
                  metrics=[keras.metrics.BinaryAccuracy(name="binary_accuracy"), keras.metrics.AUC(name="auc")])
    if verbose:
        print(f"train: arch={arch} params={model.count_params():,} MACs/window={count_macs(model):,} "
              f"MACs per second of audio={macs_per_second(model):,}", flush=True)

    class Batches(keras.utils.PyDataset):
        def __init__(self, first_epoch: int = 0):
            super().__init__(workers=1, use_multiprocessing=False)
            self.epoch = first_epoch

        def __len__(self):
            return steps_per_epoch

        def __getitem__(self, idx):
            r = np.random.default_rng((seed, self.epoch, idx))
            x, y = synth.batch(batch_size, r)
            return x[..., None], y

        def on_epoch_end(self):
            self.epoch += 1

    deadline = None if max_minutes is None else t_start + max_minutes * 60.0
    time_limited = []  # the epoch after which the wall-clock limit stopped training, if it did

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            el = time.monotonic() - t_start
            if verbose:
                print(f"train: epoch {epoch + 1}/{epochs} {time.monotonic() - self.t0:.0f} s "
                      f"loss={logs.get('loss', 0):.4f} val_loss={logs.get('val_loss', 0):.4f} "
                      f"val_auc={logs.get('val_auc', 0):.4f} lr={float(self.model.optimizer.learning_rate.numpy()):.2e} "
                      f"(elapsed {el / 60:.1f} min)", flush=True)
            if deadline is not None and epoch + 1 < epochs and time.monotonic() + (time.monotonic() - self.t0) > deadline:
                print(f"train: WARNING: the wall-clock limit of {max_minutes:g} min stops training after epoch "
                      f"{epoch + 1} of {epochs}: this model is not the recipe's", flush=True)
                time_limited.append(epoch + 1)
                self.model.stop_training = True

    class KeepBest(keras.callbacks.Callback):
        """Weights (EMA weights when ``ema``) of the epoch with the lowest validation loss."""

        best, weights = np.inf, None

        def on_epoch_end(self, epoch, logs=None):
            v = (logs or {}).get("val_loss", np.inf)
            if v < self.best:
                self.best, self.weights = v, self.model.get_weights()

    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=False)
    plateau = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=3e-5)] \
        if schedule == "plateau" else []
    keep = KeepBest()
    # with EMA, validation sees the averaged weights, and KeepBest records them (the swap
    # callback must run before it at epoch end)
    cbs = ([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if ema else []) + [keep, Progress(), early] + plateau
    t0 = time.monotonic()
    fitted_path = os.path.join(out_dir, "model_fitted.keras")
    if reuse_fit:
        if not os.path.exists(fitted_path):
            raise SystemExit(f"--reuse-fit: no fitted network at {fitted_path}")
        model = keras.models.load_model(fitted_path)
        with open(os.path.join(out_dir, "history.json"), encoding="utf-8") as f:
            history = json.load(f)
        fit_seconds, stopped_by = None, None  # as the run that made the fit recorded them
        if os.path.exists(os.path.join(out_dir, "fit.json")):
            with open(os.path.join(out_dir, "fit.json"), encoding="utf-8") as f:
                fit = json.load(f)
            fit_seconds, stopped_by = fit.get("fit_seconds"), fit.get("stopped_by")
        if verbose:
            print(f"train: reusing the fitted network {fitted_path}", flush=True)
    else:
        from .checkpoint import checkpoint_callbacks, checkpoint_path, load_checkpoint, restore_callbacks, \
            restore_random_state, restore_variables
        ck_path = checkpoint_path(out_dir)
        fit_config = {"arch": arch, "seed": seed, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size,
                      "patience": patience, "lr": lr, "schedule": schedule, "ema": ema, "threads": threads,
                      "augment": dataclasses.asdict(synth.cfg), "n_val_mix": n_val_mix,
                      "max_eval_per_class": max_eval_per_class, "features": _features_fingerprint(feat_dir),
                      "epochs": epochs if schedule == "cosine" else "any (plateau schedule)"}
        resumed = load_checkpoint(ck_path, fit_config) if resume else None
        for left in glob.glob(ck_path + ".*.tmp.npz"):
            os.remove(left)  # half-written by a fit killed while saving
        if resumed is None and os.path.exists(ck_path):
            # an earlier fit's: this one starts from scratch, but keeps it aside (a forgotten --resume
            # must not cost hours of training)
            kept = ck_path[:-len(".npz")] + ".previous.npz"
            os.replace(ck_path, kept)
            print(f"train: starting from scratch; the earlier fit's checkpoint is now {kept} "
                  f"(move it back and add --resume to continue that fit instead)", flush=True)
        first = 0
        if resumed is not None:
            first = resumed.epochs_done
            if first > epochs:
                raise SystemExit(f"--resume: the checkpoint has {first} epochs, more than --epochs {epochs}")
            restore_variables(model, resumed)
            if verbose:
                print(f"train: resuming after epoch {first} from {ck_path}", flush=True)
        take, saver = checkpoint_callbacks(keras, ck_path, fit_config, cbs, resumed)
        if resumed is not None and resumed.meta["stop_training"]:
            restore_callbacks(cbs, resumed)  # early stopping had ended that fit: nothing left to run
        else:
            if resumed is not None:
                restore_random_state(resumed)  # last, just before the fit draws the next epoch's order
            model.fit(Batches(first_epoch=first), validation_data=(xv, yv), epochs=epochs, initial_epoch=first,
                      verbose=0, callbacks=[take] + cbs + [saver])
        if keep.weights is not None:
            model.set_weights(keep.weights)
        history = saver.history
        model.save(fitted_path)
        with open(os.path.join(out_dir, "history.json"), "w", encoding="utf-8") as f:
            json.dump(history, f, indent=1)
        fit_seconds = round(time.monotonic() - t0 + (float(resumed.meta["fit_seconds"]) if resumed else 0.0), 1)
        n_run = len(history.get("loss", []))
        stopped_by = "time limit" if time_limited else ("early stopping" if n_run < epochs else "epochs")
        with open(os.path.join(out_dir, "fit.json"), "w", encoding="utf-8") as f:
            json.dump({"fit_seconds": fit_seconds, "stopped_by": stopped_by}, f)
    best_epoch = int(np.argmin(history["val_loss"])) + 1 if history.get("val_loss") else len(history.get("loss", []))
    qat = None
    if qat_epochs > 0 and arch in ("compact", "trunk"):
        from .qat import quant_aware_finetune
        # calibrated as the converter will: on calib.npz as saved (float16), batches of their own seeds
        keras.utils.set_random_seed(seed + 1000)  # the same fine-tuning after a whole run and after reuse_fit
        qat = quant_aware_finetune(model, calib_x.astype(np.float16).astype(np.float32), Batches(first_epoch=1000),
                                   (xv, yv), epochs=qat_epochs, lr=qat_lr, verbose=verbose,
                                   log=lambda m: print(m, flush=True))
    t_fit = time.monotonic() - t0
    model.save(os.path.join(out_dir, "model.keras"))

    pv = predict_float(model, xv[..., 0])
    thresholds = choose_thresholds(pv, yv)
    pt_pure = predict_float(model, test["x_pure"])
    pt_mix = predict_float(model, test["x_mix"])
    np.savez(os.path.join(out_dir, "float_probs.npz"), val=pv, test_pure=pt_pure, test_mix=pt_mix)
    yt_all = np.concatenate([test["y_pure"], test["y_mix"]])
    pt_all = np.concatenate([pt_pure, pt_mix])
    rows, cols, cm = confusion_pure(pt_pure, test["y_pure"], thresholds)
    result = {
        "arch": arch,
        "params": int(model.count_params()),
        "macs_per_window": count_macs(model),
        "macs_per_second": macs_per_second(model),  # at the 0.25 s hop; the trunk's once per step
        "norm_mean": norm_mean,
        "norm_std": norm_std,
        "seed": seed,
        "epochs_run": len(history.get("loss", [])),
        "best_epoch": best_epoch,
        "steps_per_epoch": steps_per_epoch,
        "batch_size": batch_size,
        "learning_rate": lr,
        "schedule": schedule,
        "quantisation_aware": qat,
        "augment": dataclasses.asdict(synth.cfg),
        "train_seconds": round(t_fit, 1),  # this run: the fit (unless reused) and the int8 fine-tuning
        "fit_seconds": fit_seconds,  # the fit alone, also when reused from an earlier run (None: not recorded)
        "fit_reused": bool(reuse_fit),
        "stopped_by": stopped_by,  # "epochs", "early stopping" or "time limit" (None: not recorded)
        "time_limit_minutes": max_minutes,
        "deterministic": True,  # TensorFlow op determinism, seeded data order, fixed threads
        "data_seconds": round(t_data, 1),
        "thresholds": thresholds,
        "val_float": prf(pv, yv, thresholds),
        "test_float_pure": prf(pt_pure, test["y_pure"], thresholds),
        "test_float_mix": prf(pt_mix, test["y_mix"], thresholds) if len(pt_mix) else {},
        "test_float_all": prf(pt_all, yt_all, thresholds),
        "confusion_pure": {"rows": rows, "cols": cols, "counts": cm.tolist()},
        "n_train_files": sum(1 for e in store.files if e.split == "train"),
        "n_val_windows": int(len(yv)),
        "n_test_windows": {"pure": int(len(test["y_pure"])), "mix": int(len(test["y_mix"]))},
    }
    with open(os.path.join(out_dir, "train_result.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    plot_curves(history, os.path.join(out_dir, "curves.png"), f"{arch}: training curves")
    plot_confusion(rows, cols, cm, os.path.join(out_dir, "confusion.png"), f"{arch} (float): pure test windows")
    if verbose:
        print(f"train: done in {t_fit / 60:.1f} min, {result['epochs_run']} epochs (best {best_epoch}); "
              f"thresholds {thresholds}", flush=True)
        for name in ("test_float_pure", "test_float_mix"):
            m = result[name]
            if m:
                print(f"train: {name}: " + ", ".join(f"{lab} F1={m[lab]['f1']:.3f}" for lab in LABELS), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="compact", choices=["compact", "seed", "trunk"])
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--features-dir", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--steps-per-epoch", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--patience", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="wall-clock limit (minutes); default none: training length is --epochs and early stopping")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--schedule", default="plateau", choices=SCHEDULES)
    ap.add_argument("--qat-epochs", type=int, default=3, help="quantisation-aware fine-tuning epochs (0: none)")
    ap.add_argument("--n-eval-mix", type=int, default=1500, help="synthetic mixtures in val and in test")
    ap.add_argument("--resume", action="store_true",
                    help="continue the fit in --out from its fit_checkpoint.npz (same result as an unstopped fit)")
    a = ap.parse_args(argv)
    train(a.arch, a.data_dir, a.features_dir, a.out, a.epochs, a.steps_per_epoch, a.batch_size, a.patience,
          a.seed, a.max_minutes, a.threads, schedule=a.schedule, resume=a.resume, qat_epochs=a.qat_epochs,
          n_val_mix=a.n_eval_mix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
