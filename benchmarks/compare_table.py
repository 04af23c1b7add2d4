"""The tables of ``benchmarks/bench_compare.py``: one row per tool (scores, speed, memory, first
output, the model file) and where a peer beats the engine."""

from __future__ import annotations

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fmt(v, digits=3):
    """``v`` with ``digits`` decimals, ``-`` for None."""
    return "-" if v is None else f"{v:.{digits}f}"


def row_for(spec: str, model: str | None, out: dict | None, report: dict | None) -> dict:
    shown = None
    if model:
        shown = os.path.relpath(model, ROOT) if os.path.abspath(model).startswith(ROOT + os.sep) else model
    row = {"tool": spec, "model": shown}
    if model:
        import hashlib

        with open(model, "rb") as f:
            blob = f.read()
        row.update(model_sha1=hashlib.sha1(blob).hexdigest(), model_bytes=len(blob))
        from stream_tagger.model import head_path_for

        json_path = os.path.splitext(model)[0] + ".json"
        if os.path.exists(head_path_for(model)) and os.path.exists(json_path):
            with open(json_path, encoding="utf-8") as f:
                if "trunk" in json.load(f):  # a shared-trunk model: its head file counts too
                    row["model_bytes"] += os.path.getsize(head_path_for(model))
    if out is None or "error" in out:
        row["error"] = "n/a (model not found)" if out is None else out["error"]
        return row
    labels = out["labels"]
    per = report["labels"]
    row.update(
        speech_f1=report["speech_vs_nonspeech"]["f1"] if "speech" in labels else None,
        speech_precision=per["speech"]["precision"] if "speech" in labels else None,
        speech_recall=per["speech"]["recall"] if "speech" in labels else None,
        music_f1=per["music"]["f1"] if "music" in labels else None,
        noise_f1=per["noise"]["f1"] if "noise" in labels else None,
        silence_f1=per["silence"]["f1"] if "silence" in labels else None,
        macro_f1=report["macro"]["f1"] if len(labels) == 4 else None,
        realtime_x=out["audio_s_file"] * len(out["warm_passes_s"]) / sum(out["warm_passes_s"]),
        cold_realtime_x=out["audio_s_file"] / out["cold_pass_s"],
        peak_rss_mb=out["peak_rss_mb"],
        first_output_s=out["first_output_s"],
        n_segments=len(out["segments"]),
    )
    return row


def table(rows: list[dict]) -> list[str]:
    head = ["tool", "speech F1 (P / R)", "music F1", "noise F1", "silence F1", "macro F1",
            "x real time", "peak RSS MB", "first output s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for r in rows:
        name = r["tool"] + (f" (`{r['model']}`, {r['model_bytes'] / 1e3:.0f} kB, sha1 {r['model_sha1'][:8]})"
                            if r.get("model") else "")
        if "error" in r:
            lines.append(f"| {name} | " + " | ".join([r["error"]] + ["n/a"] * (len(head) - 2)) + " |")
            continue
        sp = "-" if r["speech_f1"] is None else (f"{r['speech_f1']:.3f} ({fmt(r['speech_precision'], 2)} / "
                                                  f"{fmt(r['speech_recall'], 2)})")
        lines.append(f"| {name} | {sp} | {fmt(r['music_f1'])} | {fmt(r['noise_f1'])} | {fmt(r['silence_f1'])} | "
                     f"{fmt(r['macro_f1'])} | {r['realtime_x']:.0f} | {r['peak_rss_mb']:.0f} | "
                     f"{fmt(r['first_output_s'], 2)} |")
    return lines


_METRICS = (("speech_f1", "speech F1", True, "{:.3f}"), ("silence_f1", "silence F1", True, "{:.3f}"),
            ("realtime_x", "x real time", True, "{:.0f}x"), ("peak_rss_mb", "peak RSS", False, "{:.0f} MB"),
            ("first_output_s", "first output", False, "{:.2f} s"))


def peer_wins(rows: list[dict]) -> list[str]:
    """Where a peer beats the shipped (compact) engine, else the seed engine: one line per win."""
    ok = [r for r in rows if "error" not in r]
    engine = next((r for r in ok if r["tool"] == "engine:compact"), None) or \
        next((r for r in ok if r["tool"].startswith("engine")), None)
    if engine is None:
        return ["no engine result to compare with"]
    lines = []
    for r in ok:
        if r["tool"].startswith("engine"):
            continue
        wins = []
        for key, name, higher, fmt in _METRICS:
            a, b = r.get(key), engine.get(key)
            if a is None or b is None:
                continue
            if (a > b) if higher else (a < b):
                wins.append(f"{name} {fmt.format(a)} vs {fmt.format(b)}")
        if wins:
            lines.append(f"- {r['tool']} beats {engine['tool']} on " + "; ".join(wins))
    return lines or [f"- no peer beats {engine['tool']} on any measured figure"]
