"""Where class changes land: the engine's boundary settings on programmes with known changes.

    python benchmarks/bench_class_changes.py [--data-dir data] [--split val] [--programmes 16]
                                             [--seed 77] [--model PATH] [--set KEY=VALUE,...] ...

Builds ``--programmes`` broadcast-like programmes of 120 s (:mod:`training.programmes`: speech,
music, noise and silence in sequence, speech over music, hard cuts and crossfades, the reference
on the sample of a cut or at the middle of a crossfade) from the corpus's ``--split`` (tune on
``val``; ``python -m training.heldout --programmes`` measures on held-out sources), tags each with
the engine under each setting, and prints one row per setting: the share of *class changes*
(a sounding label on both sides: speech to music, a crossfade, music starting under a voice)
found within 0.1 / 0.25 / 0.5 s, misses (nothing within 1 s), the median error of the others, and
frame F1 per label (:class:`stream_tagger.evaluate.Scorer`, 10 ms frames, pooled).

Rows: ``level only`` (``class_change_by_spectrum=False``: the level-envelope search and the
windows' fall, as before :mod:`stream_tagger.boundaries`), ``default`` (the settings in
:class:`stream_tagger.postprocess.DecisionParams`), and one per ``--set`` (fields of
``DecisionParams``, comma-separated, e.g. ``--set change_half_s=0.75,change_radius_s=0.4``;
a ``*_labels`` field takes labels joined by ``+``, empty for none).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from stream_tagger.engine import Tagger  # noqa: E402
from stream_tagger.evaluate import Scorer, boundary_changes  # noqa: E402
from stream_tagger.labels import read_segments  # noqa: E402
from stream_tagger.sources import FileSource  # noqa: E402

LABELS = ("speech", "music", "noise", "silence")


def parse_setting(text: str) -> dict:
    """``KEY=VALUE,...`` -> DecisionParams overrides (numbers, True/False, ``+``-joined labels)."""
    out: dict = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key.endswith("_labels"):
            out[key] = tuple(v for v in value.split("+") if v)
        elif value in ("True", "False"):
            out[key] = value == "True"
        else:
            out[key] = float(value)
    return out


def measure(pairs: list[tuple[str, str]], model: str | None, overrides: dict) -> dict:
    """Tag every ``(reference, audio)`` pair with ``overrides`` applied; pooled scores."""
    scorer, errors = Scorer(), []
    for ref_path, wav in pairs:
        tagger = Tagger(model)
        for key, value in overrides.items():
            if not hasattr(tagger.decision, key):
                raise SystemExit(f"bench_class_changes: error: no decision setting {key!r}")
            setattr(tagger.decision, key, value)
        source = FileSource(wav)
        hyp = tagger.segments(source)
        ref = read_segments(ref_path)
        duration_s = max(s.end_s for s in ref)
        scorer.add(ref, hyp, duration_s)
        for changes in boundary_changes(ref, hyp, duration_s).values():
            errors += [e for e, kind in changes if kind == "class change"]
    rep = scorer.report()
    found = np.array([e for e in errors if e is not None])
    n = len(errors)
    return {"changes": n, "misses": n - found.size,
            "within": {t: float(np.sum(found <= t + 1e-9)) / n if n else float("nan") for t in (0.1, 0.25, 0.5)},
            "median_s": float(np.median(found)) if found.size else float("nan"),
            "f1": {lab: rep["labels"][lab]["f1"] for lab in LABELS}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(HERE), "data"),
                    help="data folder with corpus/manifest.jsonl (python -m training.corpus build)")
    ap.add_argument("--split", default="val", choices=("val", "test"))
    ap.add_argument("--programmes", type=int, default=16)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--model", default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE,...", help="one more row (repeatable)")
    ap.add_argument("--save-dir", default=None, help="keep the programmes here")
    a = ap.parse_args(argv)
    from training.programmes import pools_from_manifest, write_programmes

    manifest = os.path.join(a.data_dir, "corpus", "manifest.jsonl")
    if not os.path.isfile(manifest):
        print(f"bench_class_changes: error: {manifest}: no corpus (python -m training.corpus build)", file=sys.stderr)
        return 1
    pools = pools_from_manifest(manifest, split=a.split)
    out_dir = a.save_dir or tempfile.mkdtemp(prefix="bench_class_changes_")
    pairs = write_programmes(pools, out_dir, a.programmes, seed=a.seed)
    print(f"{a.programmes} programmes of 120 s from the {a.split} split of {manifest} (seed {a.seed}); files in {out_dir}")
    rows = [("level only", {"class_change_by_spectrum": False}), ("default", {})]
    rows += [(s, parse_setting(s)) for s in a.set]
    print(f"{'setting':44s} changes  miss  <=0.1  <=0.25  <=0.5  median |  speech  music  noise  silence F1")
    for name, overrides in rows:
        r = measure(pairs, a.model, overrides)
        w, f1 = r["within"], r["f1"]
        print(f"{name:44s} {r['changes']:7d} {r['misses']:5d} {w[0.1]:6.3f} {w[0.25]:7.3f} {w[0.5]:6.3f} "
              f"{r['median_s']:7.3f} | {f1['speech']:7.3f} {f1['music']:6.3f} {f1['noise']:6.3f} {f1['silence']:8.3f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
