"""The whole chain in one command: corpus -> features -> train + evaluate -> convert -> install.

    python -m training.pipeline [--arch compact|seed|trunk] [--data-dir data] [--from-tree MUSAN_DIR]

Stages (each prints its wall time; finished stages are skipped where their output is
up to date: the corpus builder skips what is built, features are keyed on the manifest):

1. corpus   ``python -m training.corpus build`` (manifest with source-disjoint splits)
2. features log-mel frames of every file, float16 shards (``data/features``)
3. train    training + evaluation on val/test (``runs/<arch>``)
4. convert  int8 TFLite + parity check + metadata (``runs/<arch>/model.tflite/.json``)
5. results  curves, confusion matrices and metrics copied to ``training/results/``
6. install  copy into ``assets/`` (compact and trunk -> ``model.*``, a trunk with its
            ``model.head.tflite``; seed -> ``model_seed.*``); on by default for compact,
            ``--install``/``--no-install`` to choose.

Peak memory (resident set of this process and of its children) is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _peak_rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return me, kids


class Stages:
    def __init__(self):
        self.times: dict[str, float] = {}
        self.t0 = time.monotonic()

    def run(self, name: str, fn, *a, **kw):
        print(f"== {name} ==", flush=True)
        t = time.monotonic()
        out = fn(*a, **kw)
        self.times[name] = round(time.monotonic() - t, 1)
        print(f"== {name}: {self.times[name]:.1f} s ==", flush=True)
        return out

    def summary(self) -> str:
        total = time.monotonic() - self.t0
        me, kids = _peak_rss_mb()
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in self.times.items())
        return f"pipeline: {parts}; total {total / 60:.1f} min; peak RSS {me:.0f} MB (children {kids:.0f} MB)"


def stage_corpus(data_dir: str, from_tree: str | None) -> None:
    cmd = [sys.executable, "-m", "training.corpus", "build", "--data-dir", os.path.join(data_dir, "corpus")]
    if from_tree:
        cmd += ["--from-tree", from_tree]
    manifest = os.path.join(data_dir, "corpus", "manifest.jsonl")
    if not os.path.exists(os.path.join(REPO, "training", "corpus.py")):
        if os.path.exists(manifest):
            print("corpus: training/corpus.py not found; using the existing manifest", flush=True)
            return
        raise SystemExit("corpus: training/corpus.py not found and no manifest at " + manifest)
    r = subprocess.run(cmd, cwd=REPO)
    if r.returncode != 0:
        raise SystemExit(f"corpus: building the corpus failed (exit {r.returncode})")


def copy_results(run_dir: str, arch: str, results_dir: str) -> None:
    os.makedirs(results_dir, exist_ok=True)
    for name in ("curves.png", "confusion.png", "confusion_int8.png"):
        src = os.path.join(run_dir, name)
        if os.path.exists(src):
            shutil.copy2(src, os.path.join(results_dir, f"{arch}_{name}"))
    with open(os.path.join(run_dir, "train_result.json"), encoding="utf-8") as f:
        tr = json.load(f)
    meta_p = os.path.join(run_dir, "model.json")
    meta = {}
    if os.path.exists(meta_p):
        with open(meta_p, encoding="utf-8") as f:
            meta = json.load(f)
    hist_p = os.path.join(run_dir, "history.json")
    with open(hist_p, encoding="utf-8") as f:
        history = json.load(f)
    out = {"train": tr, "history": history, "parity": meta.get("parity"), "metrics": meta.get("metrics"),
           "tflite_bytes": os.path.getsize(os.path.join(run_dir, "model.tflite"))
           if os.path.exists(os.path.join(run_dir, "model.tflite")) else None}
    with open(os.path.join(results_dir, f"{arch}_metrics.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


def install(run_dir: str, arch: str, assets_dir: str) -> None:
    """Copy the run's model into ``assets_dir`` (created if missing)."""
    stem = "model_seed" if arch == "seed" else "model"
    os.makedirs(assets_dir, exist_ok=True)
    exts = (".tflite", ".json") + ((".head.tflite",) if arch == "trunk" else ())
    for ext in exts:
        shutil.copy2(os.path.join(run_dir, "model" + ext), os.path.join(assets_dir, stem + ext))
    stale = os.path.join(assets_dir, stem + ".head.tflite")
    if arch != "trunk" and os.path.exists(stale):  # a trunk model's head, replaced by a window model
        os.remove(stale)
    print(f"install: {arch} -> {os.path.join(assets_dir, stem)}.tflite/.json", flush=True)


def stage_features(data_dir: str) -> str:
    """Build (or reuse) ``<data_dir>/features``; its one-line error is the exit message (no traceback)."""
    from stream_tagger.errors import TaggerError

    from .features import build_features
    try:
        return build_features(data_dir)
    except TaggerError as e:
        raise SystemExit(f"features: {e}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="compact", choices=["compact", "seed", "trunk"])
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--from-tree", default=None, help="a MUSAN-like tree with music/ noise/ speech/ folders")
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--results-dir", default=os.path.join("training", "results"))
    ap.add_argument("--assets-dir", default="assets")
    inst = ap.add_mutually_exclusive_group()
    inst.add_argument("--install", dest="install", action="store_true", default=None)
    inst.add_argument("--no-install", dest="install", action="store_false")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--steps-per-epoch", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="wall-clock limit on the fit (minutes; default: none, the fit's length is --epochs and "
                         "early stopping, whatever the machine's speed); a fit it cuts short makes the command "
                         "exit 3 without installing, unless --accept-time-limit")
    ap.add_argument("--accept-time-limit", action="store_true",
                    help="a fit cut short by --max-minutes is installed and the command exits 0")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    ap.add_argument("--n-eval-mix", type=int, default=1500, help="synthetic mixtures in val and in test")
    ap.add_argument("--min-agreement", type=float, default=0.99,
                    help="conversion parity gate: Keras/int8 decision agreement on test windows (default 0.99)")
    ap.add_argument("--skip-corpus", action="store_true", help="use the existing manifest as it is")
    ap.add_argument("--reuse-fit", action="store_true",
                    help="skip the long fit: start from <runs-dir>/<arch>/model_fitted.keras, which a run writes "
                         "before its quantisation-aware fine-tuning, and redo fine-tuning, evaluation and conversion")
    ap.add_argument("--resume", action="store_true",
                    help="continue a killed (or shorter) fit from <runs-dir>/<arch>/fit_checkpoint.npz, written "
                         "after every epoch: the same model as a fit never stopped; refused for another data "
                         "set, seed or recipe")
    ap.add_argument("--reuse-features", action="store_true",
                    help="use data/features as built, even if the manifest changed since (same split for both archs)")
    a = ap.parse_args(argv)
    if a.resume and a.reuse_fit:
        ap.error("--resume continues the fit, --reuse-fit skips it: choose one")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    # compact: at most 46 epochs (early stopping on validation loss, patience 8), the recipe of the
    # shipped model; no wall-clock limit unless --max-minutes
    defaults = {"compact": dict(epochs=46, steps_per_epoch=300, batch_size=64, max_minutes=None),
                "seed": dict(epochs=30, steps_per_epoch=300, batch_size=64, max_minutes=None),
                "trunk": dict(epochs=46, steps_per_epoch=300, batch_size=64, max_minutes=None)}[a.arch]
    for k in defaults:
        if getattr(a, k) is not None:
            defaults[k] = getattr(a, k)
    run_dir = os.path.join(a.runs_dir, a.arch)
    st = Stages()
    if not a.skip_corpus:
        st.run("corpus", stage_corpus, a.data_dir, a.from_tree)
    feat_dir = os.path.join(a.data_dir, "features")
    if not (a.reuse_features and os.path.exists(os.path.join(feat_dir, "index.json"))):
        feat_dir = st.run("features", stage_features, a.data_dir)
    from .train import train

    result = st.run("train+evaluate", train, a.arch, a.data_dir, feat_dir, run_dir, seed=a.seed, n_val_mix=a.n_eval_mix, threads=a.threads,
           reuse_fit=a.reuse_fit, resume=a.resume, **defaults)
    from .convert import convert_run

    st.run("convert", convert_run, run_dir, a.data_dir, min_agreement=a.min_agreement)
    st.run("results", copy_results, run_dir, a.arch, a.results_dir)
    cut_short = result.get("stopped_by") == "time limit"
    do_install = a.install if a.install is not None else a.arch == "compact"
    if do_install and not (cut_short and not a.accept_time_limit):
        st.run("install", install, run_dir, a.arch, a.assets_dir)
    print(st.summary(), flush=True)
    with open(os.path.join(run_dir, "pipeline.json"), "w", encoding="utf-8") as f:
        me, kids = _peak_rss_mb()
        json.dump({"stage_seconds": st.times, "peak_rss_mb": me, "peak_rss_children_mb": kids,
                   "stopped_by": result.get("stopped_by")}, f, indent=1)
    if cut_short:
        print(f"pipeline: WARNING: the fit was cut short by --max-minutes {a.max_minutes:g} after "
              f"{result['epochs_run']} of {defaults['epochs']} epochs; the model (in {run_dir}, its metadata says "
              f"stopped_by: time limit) is weaker than the recipe's"
              + ("" if a.accept_time_limit else "; not installed (--accept-time-limit installs it)"),
              file=sys.stderr, flush=True)
        return 0 if a.accept_time_limit else 3
    return 0


def cli(argv: list[str] | None = None) -> int:
    """:func:`main` with every failure as one line on stderr (exit 1), not a traceback."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("pipeline: interrupted (a fit goes on from its last finished epoch: the same command with --resume)",
              file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - one line for the user; the stage that failed is the last '==' line
        msg = str(e).strip().splitlines()
        print(f"pipeline: error: {type(e).__name__}: {msg[-1] if msg else ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(cli())
