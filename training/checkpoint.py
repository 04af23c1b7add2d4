"""Resumable fits: the whole state of a Keras fit after each epoch, written whole, and its return.

A fit that was killed (a session's end, a reboot, Ctrl-C) goes on with ``resume`` from its last
finished epoch and ends with the same weights, history and decisions as a fit that was never
stopped: the batches are seeded per (seed, epoch, batch), TensorFlow's ops are deterministic, and
the checkpoint holds everything else that carries from one epoch to the next —

- the model's variables, including the dropout layers' seed-generator states;
- the optimizer's variables: Adam's moments, the EMA averages, the iteration count, the rate;
- the callbacks' counters: early stopping and the plateau rule (``wait``, ``best``...), the
  best epoch's weights (``KeepBest``), and which weights the EMA swap left in the model;
- Python's and NumPy's global random states (Keras draws each epoch's batch order from Python's);
- the per-epoch history, the fit's seconds so far, and the configuration the fit was started with.

A checkpoint refuses to resume a fit with another configuration (data, seed, batch, recipe): one
line naming the fields that differ. With the plateau schedule the number of epochs is not part of
it, so a finished run can also be extended (``--epochs 30`` then ``--resume --epochs 46`` is the
46-epoch run). The file is ``fit_checkpoint.npz`` in the run's folder, about three times the
model's float32 size.
"""

from __future__ import annotations

import json
import os
import random
import time

import numpy as np

CHECKPOINT_NAME = "fit_checkpoint.npz"

# callback class name -> the attributes that carry state from one epoch to the next (the EMA swap's
# flag is not among them: the variables are taken while the model holds its raw weights)
CALLBACK_STATE = {
    "EarlyStopping": ("wait", "best", "stopped_epoch", "best_epoch"),
    "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
    "KeepBest": ("best",),
}


class CheckpointError(SystemExit):
    """A checkpoint that cannot be resumed (missing, another configuration, another network)."""


class Checkpoint:
    """A loaded checkpoint: ``meta`` (JSON-able) and the arrays of the model, optimizer and best weights."""

    def __init__(self, meta: dict, model_vars: list, optimizer_vars: list, best_weights: list | None,
                 numpy_keys: np.ndarray):
        self.meta, self.model_vars, self.optimizer_vars, self.best_weights = \
            meta, model_vars, optimizer_vars, best_weights
        self.numpy_keys = numpy_keys  # NumPy's global generator state (the rest is in meta["random"])

    @property
    def epochs_done(self) -> int:
        return int(self.meta["epochs_done"])


def checkpoint_path(out_dir: str) -> str:
    return os.path.join(out_dir, CHECKPOINT_NAME)


def _json_safe(v):
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return {"float": repr(v)}  # inf / -inf / nan, which JSON proper has no word for
    return v


def _from_json(v):
    return float(v["float"]) if isinstance(v, dict) and "float" in v else v


def _short(value, width: int = 60) -> str:
    r = repr(value)
    return r if len(r) <= width else r[:width - 3] + "..."


def snapshot_variables(model) -> tuple[list, list, dict]:
    """The model's and the optimizer's variables as arrays (taken at an epoch's end before the EMA
    swap, so the model holds its raw weights and the optimizer their averages), and the global
    random generators' states (Keras shuffles the order of each epoch's batches with Python's)."""
    version, mt, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return ([np.array(v) for v in model.variables], [np.array(v) for v in model.optimizer.variables],
            {"python": [version, list(mt), gauss], "numpy": [kind, pos, has_gauss, cached], "numpy_keys": keys})


def restore_random_state(ck: "Checkpoint") -> None:
    """The global random generators as they were when the checkpoint's epoch ended."""
    version, mt, gauss = ck.meta["random"]["python"]
    random.setstate((version, tuple(mt), gauss))
    kind, pos, has_gauss, cached = ck.meta["random"]["numpy"]
    np.random.set_state((kind, ck.numpy_keys, pos, has_gauss, cached))


def save_checkpoint(path: str, model, snapshot: tuple[list, list, dict], callbacks: list, history: dict, config: dict,
                    fit_seconds: float) -> None:
    """Write the fit's state after an epoch, whole: a temporary name, then a rename."""
    model_vars, optimizer_vars, rng = snapshot
    states = {}
    best_weights = None
    for cb in callbacks:
        name = type(cb).__name__
        if name in CALLBACK_STATE:
            states[name] = {a: _json_safe(getattr(cb, a)) for a in CALLBACK_STATE[name]}
        if name == "KeepBest" and cb.weights is not None:
            best_weights = cb.weights
    meta = {"config": json.loads(json.dumps(config)), "epochs_done": len(history.get("loss", [])), "history": history,
            "callbacks": states, "learning_rate": float(np.asarray(model.optimizer.learning_rate)),
            "stop_training": bool(getattr(model, "stop_training", False)), "fit_seconds": round(fit_seconds, 1),
            "random": {"python": rng["python"], "numpy": rng["numpy"]},
            "n_model_vars": len(model_vars), "n_optimizer_vars": len(optimizer_vars),
            "saved_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    arrays = {f"m{i}": a for i, a in enumerate(model_vars)}
    arrays["numpy_keys"] = rng["numpy_keys"]
    arrays.update({f"o{i}": a for i, a in enumerate(optimizer_vars)})
    if best_weights is not None:
        arrays.update({f"k{i}": np.asarray(w) for i, w in enumerate(best_weights)})
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(tmp, path)


def load_checkpoint(path: str, config: dict) -> Checkpoint:
    """The checkpoint at ``path`` if it was made by a fit with this ``config``; else :class:`CheckpointError`."""
    if not os.path.exists(path):
        raise CheckpointError(f"--resume: no checkpoint at {path} (a fit writes it after its first epoch)")
    try:
        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
            model_vars = [z[f"m{i}"] for i in range(meta["n_model_vars"])]
            optimizer_vars = [z[f"o{i}"] for i in range(meta["n_optimizer_vars"])]
            k = sorted((int(n[1:]) for n in z.files if n.startswith("k")))
            best = [z[f"k{i}"] for i in k] if k else None
            numpy_keys = z["numpy_keys"]
    except (OSError, ValueError, KeyError) as e:
        raise CheckpointError(f"--resume: {path} is not a readable checkpoint ({e})") from None
    config = json.loads(json.dumps(config))  # as stored: tuples become lists
    differ = sorted(k for k in set(config) | set(meta["config"]) if config.get(k) != meta["config"].get(k))
    if differ:
        raise CheckpointError(f"--resume: {path} was made by another fit: "
                              + "; ".join(f"{k} {_short(meta['config'].get(k))} there, {_short(config.get(k))} now"
                                          for k in differ))
    return Checkpoint(meta, model_vars, optimizer_vars, best, numpy_keys)


def restore_variables(model, ck: Checkpoint) -> None:
    """Put the checkpoint's model and optimizer variables back (before ``fit``)."""
    opt = model.optimizer
    if not opt.built:
        opt.build(model.trainable_variables)
    if len(model.variables) != len(ck.model_vars) or len(opt.variables) != len(ck.optimizer_vars):
        raise CheckpointError(f"--resume: the checkpoint holds another network ({len(ck.model_vars)} model and "
                              f"{len(ck.optimizer_vars)} optimizer variables; this one has {len(model.variables)} "
                              f"and {len(opt.variables)})")
    for v, a in zip(model.variables, ck.model_vars):
        if tuple(v.shape) != a.shape:
            raise CheckpointError(f"--resume: the checkpoint holds another network (variable {v.path}: "
                                  f"{a.shape}, here {tuple(v.shape)})")
        v.assign(a)
    for v, a in zip(opt.variables, ck.optimizer_vars):
        v.assign(a)
    opt.learning_rate = ck.meta["learning_rate"]


def restore_callbacks(callbacks: list, ck: Checkpoint) -> None:
    """Put the callbacks' counters back (after their ``on_train_begin`` reset them)."""
    for cb in callbacks:
        name = type(cb).__name__
        for attr, value in ck.meta["callbacks"].get(name, {}).items():
            setattr(cb, attr, _from_json(value))
        if name == "KeepBest":
            cb.weights = ck.best_weights


def checkpoint_callbacks(keras, path: str, config: dict, callbacks: list, resumed: Checkpoint | None):
    """Two callbacks for ``fit``: the first goes before ``callbacks`` (it takes the variables at an
    epoch's end, before the EMA swap puts the averages in the model and, at a fit's last epoch,
    overwrites the raw weights for good), the second after them (it restores ``resumed``'s
    callback counters when the fit begins, after their own reset, and writes the whole state after
    every epoch). The second's ``history`` holds every epoch's logs, the resumed ones included."""

    class TakeVariables(keras.callbacks.Callback):
        snapshot = None

        def on_epoch_end(self, epoch, logs=None):
            TakeVariables.snapshot = snapshot_variables(self.model)

    class WriteCheckpoint(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = {k: list(v) for k, v in resumed.meta["history"].items()} if resumed else {}
            self.seconds = float(resumed.meta["fit_seconds"]) if resumed else 0.0

        def on_train_begin(self, logs=None):
            if resumed is not None:
                restore_callbacks(callbacks, resumed)
            self.t0 = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            for k, v in (logs or {}).items():
                self.history.setdefault(k, []).append(float(v))
            now = time.monotonic()
            self.seconds += now - self.t0
            self.t0 = now
            save_checkpoint(path, self.model, TakeVariables.snapshot, callbacks, self.history, config, self.seconds)

    return TakeVariables(), WriteCheckpoint()
