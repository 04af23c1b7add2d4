"""The corpus by origin: hours per class and split with and without issue 18's sources, and a
table of those sources (licence, class, hours), as written in ``docs/data-sources.md``.

    python -m training.data_sources [--manifest data/corpus/manifest.jsonl] [--save]
    python -m training.data_sources --speech-share [--model assets/model.tflite]

``--save`` writes ``training/results/data_sources.md`` (the tables that ``docs/data-sources.md`` shows).
``--speech-share`` runs a model (default: the shipped one, at its thresholds) over the new
sources' noise files in 1 s windows every 0.5 s and prints per source how many windows it calls
speech, noise and music: how much of the new noise is the kind the model mistakes for speech.

"Before" is the same manifest restricted to the sources of :data:`training.corpus_sources.SOURCES`
and the generated noise (the corpus before issue 18: the split rule assigns a file's split from
its group alone, so those files keep their splits); "after" is the whole manifest. Real noise is
noise from any source but the generated one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict

from .corpus_sources import SOURCES
from .corpus_sources_extra import EXTRA_DEBIAN_SOURCES, REGISTRY_SOURCES
from .corpus_sources_noise import NOISE_DEBIAN_SOURCES
from .features import read_manifest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAVED = os.path.join("training", "results", "data_sources.md")
LABELS = ("speech", "music", "noise")
SPLITS = ("train", "val", "test")
OLD_SOURCES = frozenset({f"debian:{n}" for s in SOURCES for n in s.names} | {"generated"})
NEW_SOURCES = frozenset({f"debian:{n}" for s in EXTRA_DEBIAN_SOURCES + NOISE_DEBIAN_SOURCES for n in s.names}
                        | {f"{s.registry}:{s.name}" for s in REGISTRY_SOURCES})


def tally(rows: list[dict]) -> dict:
    """Hours per label and split, real-noise hours and distinct sources per label."""
    hours = {lab: {sp: 0.0 for sp in SPLITS} for lab in LABELS}
    sources = {lab: set() for lab in LABELS}
    real_noise_h, real_noise_sources = 0.0, set()
    for r in rows:
        h = float(r["duration_s"]) / 3600
        hours[r["label"]][r["split"]] += h
        sources[r["label"]].add(r["source"])
        if r["label"] == "noise" and r["source"] != "generated":
            real_noise_h += h
            real_noise_sources.add(r["source"])
    return {"hours": hours, "sources": {lab: len(s) for lab, s in sources.items()},
            "real_noise_h": real_noise_h, "real_noise_sources": len(real_noise_sources)}


def per_source(rows: list[dict]) -> dict:
    """Per manifest source: ``{"license": set, "hours": {label: h}, "files": n}``."""
    per: dict = defaultdict(lambda: {"license": set(), "hours": defaultdict(float), "files": 0})
    for r in rows:
        e = per[r["source"]]
        e["license"].add(r["license"])
        e["hours"][r["label"]] += float(r["duration_s"]) / 3600
        e["files"] += 1
    return per


def markdown(rows: list[dict]) -> str:
    before = tally([r for r in rows if r["source"] in OLD_SOURCES])
    after = tally(rows)
    lines = ["| class | before: train / val / test / all (h) | after: train / val / test / all (h) | "
             "sources before → after |", "|---|---|---|---|"]
    for lab in LABELS:
        cells = []
        for t in (before, after):
            h = t["hours"][lab]
            cells.append(" / ".join(f"{h[sp]:.2f}" for sp in SPLITS) + f" / **{sum(h.values()):.2f}**")
        lines.append(f"| {lab} | {cells[0]} | {cells[1]} | {before['sources'][lab]} → {after['sources'][lab]} |")
    lines += ["", f"Real noise (all but the generated): {before['real_noise_h']:.2f} h from "
                  f"{before['real_noise_sources']} sources before, {after['real_noise_h']:.2f} h from "
                  f"{after['real_noise_sources']} sources after "
                  f"({after['real_noise_h'] / max(before['real_noise_h'], 1e-9):.2f}×).", ""]
    per = per_source([r for r in rows if r["source"] in NEW_SOURCES])
    lines += ["| source | licence | class: hours | files |", "|---|---|---|---:|"]
    for src in sorted(per, key=lambda s: (-sum(per[s]["hours"].values()), s)):
        e = per[src]
        classes = ", ".join(f"{lab} {e['hours'][lab]:.3f}" for lab in LABELS if lab in e["hours"])
        lines.append(f"| {src} | {'; '.join(sorted(e['license']))} | {classes} | {e['files']} |")
    missing = sorted(NEW_SOURCES - set(per))
    if missing:
        lines += ["", "Listed but not in this manifest: " + ", ".join(missing) + "."]
    return "\n".join(lines)


def speech_share(rows: list[dict], data_dir: str, model_path: str | None = None) -> str:
    """Per new source, the share of its noise windows on which a model says speech / noise / music."""
    import numpy as np

    from stream_tagger.audio_io import read_audio
    from stream_tagger.frontend import DEFAULT_PARAMS, signal_logmel
    from stream_tagger.model import TagModel

    model = TagModel.load(model_path, threads=1)
    thr = np.array([model.thresholds[lab] for lab in LABELS], np.float32)
    win, floor = DEFAULT_PARAMS.frames_per_window, np.log(DEFAULT_PARAMS.log_offset)
    counts: dict[str, np.ndarray] = {}
    for r in rows:
        if r["source"] not in NEW_SOURCES or r["label"] != "noise":
            continue
        f = signal_logmel(read_audio(os.path.join(data_dir, r["path"])))        # (n_mels, frames)
        if f.shape[1] < win:
            f = np.pad(f, ((0, 0), (0, win - f.shape[1])), constant_values=floor)
        x = np.stack([f[:, o:o + win] for o in range(0, f.shape[1] - win + 1, win // 2)]).astype(np.float32)
        on = model.predict(x) >= thr
        counts[r["source"]] = counts.get(r["source"], np.zeros(4, int)) + np.r_[len(x), on.sum(0)]
    total = sum(counts.values(), np.zeros(4, int))
    lines = [f"{os.path.basename(model.path)} on the noise of issue 18's sources: {total[0]} windows, "
             + ", ".join(f"{lab} on {100 * total[k + 1] / max(total[0], 1):.1f} %" for k, lab in enumerate(LABELS)),
             "", "| source | windows | speech on | noise on | music on |", "|---|---:|---:|---:|---:|"]
    for src, c in sorted(counts.items(), key=lambda kv: (-kv[1][1] / kv[1][0], kv[0])):
        lines.append(f"| {src} | {c[0]} | " + " | ".join(f"{100 * c[k] / c[0]:.1f} %" for k in (1, 3, 2)) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", default=os.path.join("data", "corpus", "manifest.jsonl"))
    ap.add_argument("--save", action="store_true", help=f"write {SAVED}")
    ap.add_argument("--speech-share", action="store_true",
                    help="run a model over the new sources' noise files (see the module doc)")
    ap.add_argument("--model", default=None, help="with --speech-share: an int8 .tflite (default: the shipped one)")
    a = ap.parse_args(argv)
    if not os.path.isfile(a.manifest):
        print(f"data_sources: {a.manifest}: no such manifest (build it: python -m training.corpus build)",
              file=sys.stderr)
        return 2
    if a.speech_share:
        print(speech_share(read_manifest(a.manifest), os.path.dirname(os.path.abspath(a.manifest)), a.model))
        return 0
    text = markdown(read_manifest(a.manifest))
    print(text)
    if a.save:
        with open(os.path.join(REPO, SAVED), "w", encoding="utf-8") as f:
            f.write(f"# python -m training.data_sources (manifest: {a.manifest})\n\n{text}\n")
        print(f"data_sources: wrote {SAVED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
