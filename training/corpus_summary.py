"""A built corpus's summary (hours, files and groups per label and split, by source and by
original sample rate, what was skipped and missing) printed as a table, and the outputs
``<data-dir>/manifest.jsonl`` and ``<data-dir>/summary.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict

from .corpus_rules_common import RENDERED_DIR
from .corpus_splits import LABELS, SPLITS, SPLIT_RULE


MANIFEST_NAME = "manifest.jsonl"
SUMMARY_NAME = "summary.json"
MIN_SHARE_WARN = 0.04               # warn if a label's val/test share of hours is below this


def summarize(rows: list[dict], skipped: dict, missing: list[str], build_s: float, mode: str,
              split_rule: str = SPLIT_RULE) -> dict:
    hours = {lab: {sp: 0.0 for sp in SPLITS} for lab in LABELS}
    files = {lab: {sp: 0 for sp in SPLITS} for lab in LABELS}
    groups = {lab: {sp: set() for sp in SPLITS} for lab in LABELS}
    by_rate = {lab: defaultdict(float) for lab in LABELS}
    by_source = defaultdict(lambda: defaultdict(float))
    generated_s = rendered_s = 0.0
    for r in rows:
        lab, sp, d = r["label"], r["split"], r["duration_s"]
        hours[lab][sp] += d / 3600
        files[lab][sp] += 1
        groups[lab][sp].add(r["group"])
        rate = r["sample_rate_hz"]
        bucket = "<=8k" if rate <= 8000 else "<=11.025k" if rate <= 11025 else "<=16k" if rate <= 16000 \
            else "<=22.05k" if rate <= 22050 else ">22.05k"
        by_rate[lab][bucket] += d / 3600
        by_source[r["source"]][lab] += d / 3600
        if r["source"] == "generated":
            generated_s += d
        if f"/{RENDERED_DIR}/" in r["path"]:
            rendered_s += d
    noise_s = sum(hours["noise"].values()) * 3600
    music_s = sum(hours["music"].values()) * 3600
    total_s = sum(sum(h.values()) for h in hours.values()) * 3600
    rnd = lambda x: round(x, 3)  # noqa: E731
    return {
        "mode": mode,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "split_rule": split_rule,
        "hours": {lab: {sp: rnd(v) for sp, v in d.items()} | {"all": rnd(sum(d.values()))}
                  for lab, d in hours.items()},
        "files": {lab: d | {"all": sum(d.values())} for lab, d in files.items()},
        "groups": {lab: {sp: len(s) for sp, s in d.items()} for lab, d in groups.items()},
        "total_hours": rnd(total_s / 3600),
        "total_files": len(rows),
        "generated_noise_hours": rnd(generated_s / 3600),
        "generated_share_of_noise": rnd(generated_s / noise_s) if noise_s else 0.0,
        "generated_share_of_total": rnd(generated_s / total_s) if total_s else 0.0,
        "rendered_midi_hours": rnd(rendered_s / 3600),
        "rendered_share_of_music": rnd(rendered_s / music_s) if music_s else 0.0,
        "hours_by_original_rate": {lab: {k: rnd(v) for k, v in sorted(d.items())} for lab, d in by_rate.items()},
        "hours_by_source": {s: {lab: rnd(v) for lab, v in d.items()} for s, d in sorted(by_source.items())},
        "skipped": {s: dict(c) for s, c in sorted(skipped.items()) if any(c.values())},
        "missing_packages": missing,
        "build_seconds": round(build_s, 1),
    }


def print_summary(summary: dict, out=None) -> None:
    out = out or sys.stdout
    print(f"corpus ({summary['mode']}): {summary['total_files']} files, {summary['total_hours']:.2f} h",
          file=out)
    print(f"{'hours':<8}" + "".join(f"{sp:>9}" for sp in (*SPLITS, "all")), file=out)
    for lab in LABELS:
        h = summary["hours"][lab]
        print(f"{lab:<8}" + "".join(f"{h[sp]:>9.2f}" for sp in (*SPLITS, "all")), file=out)
    print(f"{'files':<8}" + "".join(f"{sp:>9}" for sp in (*SPLITS, "all")), file=out)
    for lab in LABELS:
        n = summary["files"][lab]
        print(f"{lab:<8}" + "".join(f"{n[sp]:>9}" for sp in (*SPLITS, "all")), file=out)
    print(f"generated noise: {summary['generated_noise_hours']:.2f} h = "
          f"{100 * summary['generated_share_of_noise']:.1f}% of noise, "
          f"{100 * summary['generated_share_of_total']:.1f}% of all audio", file=out)
    if summary.get("rendered_midi_hours"):
        print(f"music rendered from MIDI: {summary['rendered_midi_hours']:.2f} h = "
              f"{100 * summary['rendered_share_of_music']:.1f}% of music", file=out)
    for src, c in summary["skipped"].items():
        print(f"skipped in {src}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if v), file=out)
    for name in summary["missing_packages"]:
        print(f"missing package: {name}", file=out)
    for lab in LABELS if summary["split_rule"] == SPLIT_RULE else ():   # one split by design: nothing to warn
        total = summary["hours"][lab]["all"]
        for sp in ("val", "test"):
            if total > 0 and summary["hours"][lab][sp] / total < MIN_SHARE_WARN:
                print(f"warning: {lab} has only {summary['hours'][lab][sp]:.2f} h of {total:.2f} h in {sp}",
                      file=out)
    print(f"build time: {summary['build_seconds']:.0f} s", file=out)


def write_outputs(rows: list[dict], summary: dict, data_dir: str) -> str:
    rows = sorted(rows, key=lambda r: r["path"])
    manifest = os.path.join(data_dir, MANIFEST_NAME)
    tmp = manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, manifest)
    with open(os.path.join(data_dir, SUMMARY_NAME), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    return manifest
