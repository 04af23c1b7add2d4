"""The run's records: the summary CSV (``--summary``) and the completion markers ``--resume``
reads.

Summary: one row per input, in input order, columns :data:`SUMMARY_COLUMNS`; seconds with 3
decimals (``*_s``: the seconds each label covers, overlapping labels each counted); status
``ok``, ``failed`` or ``skipped`` (done by an earlier run, its figures from that run);
``error``: the one-line message of a failed input. Written whole (temporary name, rename).

Completion marker: beside each label file ``DIR/x.csv``, a small JSON file
``DIR/.x.csv.done`` written (atomically) *after* the label file, holding the run key (the
model's ``tflite_sha256`` and every option that changes the output: hop, silence level,
refinement, format, long-file split length), the input's size and modification time (local files), the label file's
SHA-256 and the summary figures. ``--resume`` skips an input only when its marker exists,
matches all of these and the label file is still the one it describes; a run killed between
the two writes leaves a label file without marker, which is done again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os

from ..events import LABELS
from ..outputs import write_file_atomic

SUMMARY_COLUMNS = ("file", "status", "duration_s", "speech_s", "music_s", "noise_s", "silence_s", "segments", "error")
MARKER_VERSION = 1


def label_seconds(segments) -> dict[str, float]:
    """Seconds each label covers in ``segments`` (overlaps of different labels counted for each)."""
    out = {lab: 0.0 for lab in LABELS}
    for s in segments:
        out[s.label] = out.get(s.label, 0.0) + max(0.0, s.end_s - s.start_s)
    return out


def ok_row(spec: str, segments, duration_s: float, status: str = "ok") -> dict:
    secs = label_seconds(segments)
    row = {"file": spec, "status": status, "duration_s": f"{duration_s:.3f}", "segments": str(len(segments)),
           "error": ""}
    for lab in LABELS:
        row[f"{lab}_s"] = f"{secs.get(lab, 0.0):.3f}"
    return row


def failed_row(spec: str, error: str) -> dict:
    row = {c: "" for c in SUMMARY_COLUMNS}
    row.update(file=spec, status="failed", error=" ".join(str(error).split()))
    return row


def summary_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_summary(path: str, rows: list[dict]) -> None:
    """The summary CSV, whole or not at all; raises OSError."""
    write_file_atomic(path, summary_text(rows))


def run_key(model_sha256: str, settings, fmt: str, split_s: float = 3600.0) -> str:
    """What makes two runs' outputs the same: the model and the options that change them."""
    d = {"model": model_sha256, "hop_s": round(float(settings.hop_s), 6), "silence_dbfs": settings.silence_dbfs,
         "refine": bool(settings.refine), "format": fmt, "split_s": float(split_s), "version": MARKER_VERSION}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


def marker_path(output_path: str) -> str:
    folder, name = os.path.split(output_path)
    return os.path.join(folder, f".{name}.done")


def input_identity(location: str) -> dict:
    """Size and modification time of a local input (a changed file is tagged again); {} for URLs."""
    if "://" in location:
        return {}
    try:
        st = os.stat(location)
    except OSError:
        return {}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_marker(output_path: str, key: str, location: str, text: str, row: dict) -> None:
    """The completion marker of ``output_path`` (call after the label file is written); raises OSError."""
    d = {"key": key, "input": location, "identity": input_identity(location), "output_sha256": text_sha256(text),
         "row": {k: row[k] for k in SUMMARY_COLUMNS if k not in ("file", "status", "error")}}
    write_file_atomic(marker_path(output_path), json.dumps(d, sort_keys=True) + "\n")


def completed_row(output_path: str, key: str, spec: str, location: str) -> dict | None:
    """The summary row (status ``skipped``) of an input an earlier run completed with the same
    key, or None when it must be done (again)."""
    try:
        with open(marker_path(output_path), encoding="utf-8") as f:
            d = json.load(f)
        if d.get("key") != key or d.get("input") != location or d.get("identity") != input_identity(location):
            return None
        with open(output_path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != d.get("output_sha256"):
                return None
        row = {c: "" for c in SUMMARY_COLUMNS}
        row.update({k: str(v) for k, v in d["row"].items() if k in SUMMARY_COLUMNS})
        row.update(file=spec, status="skipped", error="")
        return row
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
