"""Per-hop lines for headless ``live`` / ``replay``: JSON lines (default) or CSV, flushed at once.

JSON lines, one object per line::

    {"type": "hop", "index": 4, "start": 1.0, "end": 1.25, "labels": ["speech"],
     "probabilities": {"speech": 0.93, "music": 0.02, "noise": 0.05}, "level_dbfs": -23.4,
     "dropped_samples": 0}
    {"type": "segment", "label": "speech", "start": 0.98, "end": 3.41}

CSV: a header, then one row per hop or closed segment::

    type,start,end,labels,speech,music,noise,level_dbfs,dropped_samples
    hop,1.000,1.250,speech,0.9300,0.0200,0.0500,-23.40,0
    segment,0.980,3.410,speech,,,,,

Times are stream seconds (from sample counts), 3 decimals (more, up to 6, for a span shorter
than 1 ms: a stream shorter than 10 ms); ``labels`` in CSV are joined with ``+``.
``dropped_samples``: 16 kHz samples lost so far because the analysis fell behind.
"""

from __future__ import annotations

import json
import sys

from .events import LABELS, Hop, Segment, span_decimals

NETWORK_LABELS = ("speech", "music", "noise")
CSV_HEADER = "type,start,end,labels," + ",".join(NETWORK_LABELS) + ",level_dbfs,dropped_samples"


def _sorted_labels(labels) -> list[str]:
    return [lab for lab in LABELS if lab in labels]


def hop_json(hop: Hop) -> str:
    d = span_decimals(hop.start_s, hop.end_s)
    return json.dumps({
        "type": "hop", "index": hop.index, "start": round(hop.start_s, d), "end": round(hop.end_s, d),
        "labels": _sorted_labels(hop.labels),
        "probabilities": {k: round(float(v), 4) for k, v in hop.probabilities.items()},
        "level_dbfs": round(float(hop.level_dbfs), 2), "dropped_samples": int(hop.dropped_samples),
    })


def segment_json(seg: Segment) -> str:
    d = span_decimals(seg.start_s, seg.end_s)
    return json.dumps({"type": "segment", "label": seg.label, "start": round(seg.start_s, d),
                       "end": round(seg.end_s, d)})


def hop_csv(hop: Hop) -> str:
    probs = ",".join(f"{float(hop.probabilities.get(k, 0.0)):.4f}" for k in NETWORK_LABELS)
    d = span_decimals(hop.start_s, hop.end_s)
    return (f"hop,{hop.start_s:.{d}f},{hop.end_s:.{d}f},{'+'.join(_sorted_labels(hop.labels))},{probs},"
            f"{float(hop.level_dbfs):.2f},{int(hop.dropped_samples)}")


def segment_csv(seg: Segment) -> str:
    d = span_decimals(seg.start_s, seg.end_s)
    return f"segment,{seg.start_s:.{d}f},{seg.end_s:.{d}f},{seg.label}," + "," * (len(NETWORK_LABELS) + 1)


class LineWriter:
    """Writes events as lines to ``out`` (stdout by default), flushing after each line.

    A closed output (e.g. ``| head``) stops writing quietly: :attr:`broken` becomes True. Any
    other write error (a full disk) also stops writing, with its reason in :attr:`error`.
    """

    def __init__(self, fmt: str = "jsonl", out=None):
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"unknown line format {fmt!r}")
        self.fmt = fmt
        self.out = out if out is not None else sys.stdout
        self.broken = False
        self.error: str | None = None
        self._header_done = fmt != "csv"

    def _line(self, text: str) -> None:
        if self.broken:
            return
        try:
            if not self._header_done:
                self.out.write(CSV_HEADER + "\n")
                self._header_done = True
            self.out.write(text + "\n")
            self.out.flush()
        except (BrokenPipeError, ValueError):
            self.broken = True
        except OSError as e:
            self.broken = True
            self.error = e.strerror or str(e)

    def hop(self, hop: Hop) -> None:
        self._line(hop_json(hop) if self.fmt == "jsonl" else hop_csv(hop))

    def segment(self, seg: Segment) -> None:
        self._line(segment_json(seg) if self.fmt == "jsonl" else segment_csv(seg))

    def event(self, ev) -> None:
        if isinstance(ev, Hop):
            self.hop(ev)
        elif isinstance(ev, Segment):
            self.segment(ev)
