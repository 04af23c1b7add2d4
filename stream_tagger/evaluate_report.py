"""The ``stream-tagger evaluate`` report as plain text: markdown-style tables of the report dict
that :meth:`stream_tagger.evaluate.Scorer.report` returns (definitions in :mod:`stream_tagger.evaluate`;
times in seconds)."""

from __future__ import annotations


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]


def format_report(report: dict) -> str:
    """The report as plain-text (markdown-style) tables."""
    out = [f"Frame-level scores ({report['frame_s'] * 1000:g} ms frames, {report['pairs']} pair(s), "
           f"{report['duration_s']:.2f} s)", ""]
    rows = []
    for label, entry in report["labels"].items():
        rows.append([label, _fmt(entry["precision"]), _fmt(entry["recall"]), _fmt(entry["f1"]),
                     f"{entry['reference_s']:.2f}", f"{entry['predicted_s']:.2f}"])
    m = report["macro"]
    rows.append(["macro average", _fmt(m["precision"]), _fmt(m["recall"]), _fmt(m["f1"]), "", ""])
    s = report["speech_vs_nonspeech"]
    rows.append(["speech vs non-speech", _fmt(s["precision"]), _fmt(s["recall"]), _fmt(s["f1"]), "", ""])
    out += _table(["label", "precision", "recall", "F1", "reference s", "predicted s"], rows)
    out.append(f"speech vs non-speech: non-speech F1 {_fmt(s['nonspeech_f1'])}, "
               f"frame accuracy {_fmt(s['accuracy'])}")

    conf = report["confusion"]
    out += ["", "Confusion over frames with a single reference label (seconds; rows = reference, "
                "columns = prediction)", ""]
    rows = [[label] + [f"{conf['rows'][label][c] * conf['frame_s']:.2f}" for c in conf["columns"]]
            for label in conf["rows"]]
    out += _table(["reference \\ predicted"] + conf["columns"], rows)

    b = report["boundary"]
    out += ["", f"Boundary error: {b['definition']}", ""]
    within = b["within_s"]
    out += _table(["changes", "misses", "median s", "p90 s"] + [f"within {t} s" for t in within],
                  [[str(b["changes"]), f"{b['misses']} ({_fmt(b['miss_share'])})", _fmt(b["median_s"]),
                    _fmt(b["p90_s"])] + [_fmt(v) for v in within.values()]])
    by_label = [f"{label}: {v['changes']} changes, {v['misses']} misses, median {_fmt(v['median_s'])} s"
                for label, v in b["by_label"].items() if v["changes"]]
    if by_label:
        out.append("by label: " + "; ".join(by_label))
    by_kind = [f"{kind}s: {v['changes']} changes, {v['misses']} misses, median {_fmt(v['median_s'])} s, "
               f"within {'/'.join(v['within_s'])} s {'/'.join(_fmt(x) for x in v['within_s'].values())}"
               for kind, v in b.get("by_kind", {}).items() if v["changes"]]
    if by_kind:
        out.append("by kind: " + "; ".join(by_kind))
    if report["ignored_labels"]:
        ignored = ", ".join(f"{k!r} ({v})" for k, v in report["ignored_labels"].items())
        out += ["", f"Ignored segments with unknown labels: {ignored}"]
    return "\n".join(out) + "\n"
