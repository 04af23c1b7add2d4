"""Writing results: per-hop lines for headless ``live`` / ``replay``, checked writes to standard
output (:func:`write_text`) and whole files (:func:`write_file_atomic`).

Per-hop lines: JSON lines (default) or CSV, flushed at once.

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

Live sources (an input device, a network stream) add the wall-clock UTC time of each hop's and
segment's start, ISO 8601 with milliseconds: ``"utc": "2025-03-01T12:00:00.250Z"`` in JSON, a
last column ``utc`` in CSV (files, replays and standard input have neither). Where a network
stream delivered no audio, a gap line::

    {"gap": {"start_utc": "2025-03-01T12:00:03.120Z", "end_utc": "2025-03-01T12:00:05.870Z",
     "seconds": 2.75, "start": 3.12, "end": 5.87}}
    gap,3.120,5.870,,,,,,,2025-03-01T12:00:03.120Z/2025-03-01T12:00:05.870Z

(``start``/``end``: where the gap lies in stream time, which skips the missing time; in CSV the
``utc`` column of a gap row holds the ISO 8601 interval ``START/END``.)
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import select
import stat
import sys

from .events import LABELS, Gap, Hop, Segment, span_decimals

NETWORK_LABELS = ("speech", "music", "noise")
CSV_HEADER = "type,start,end,labels," + ",".join(NETWORK_LABELS) + ",level_dbfs,dropped_samples"
CSV_HEADER_UTC = CSV_HEADER + ",utc"


def _sorted_labels(labels) -> list[str]:
    return [lab for lab in LABELS if lab in labels]


def hop_json(hop: Hop) -> str:
    d = span_decimals(hop.start_s, hop.end_s)
    obj = {
        "type": "hop", "index": hop.index, "start": round(hop.start_s, d), "end": round(hop.end_s, d),
        "labels": _sorted_labels(hop.labels),
        "probabilities": {k: round(float(v), 4) for k, v in hop.probabilities.items()},
        "level_dbfs": round(float(hop.level_dbfs), 2), "dropped_samples": int(hop.dropped_samples),
    }
    if hop.utc is not None:
        obj["utc"] = hop.utc
    return json.dumps(obj)


def segment_json(seg: Segment) -> str:
    d = span_decimals(seg.start_s, seg.end_s)
    obj = {"type": "segment", "label": seg.label, "start": round(seg.start_s, d), "end": round(seg.end_s, d)}
    if seg.utc is not None:
        obj["utc"] = seg.utc
    return json.dumps(obj)


def gap_json(gap: Gap) -> str:
    return json.dumps({"gap": {"start_utc": gap.start_utc, "end_utc": gap.end_utc, "seconds": round(gap.seconds, 3),
                               "start": round(gap.start_s, 3), "end": round(gap.end_s, 3)}})


def hop_csv(hop: Hop, utc: bool = False) -> str:
    probs = ",".join(f"{float(hop.probabilities.get(k, 0.0)):.4f}" for k in NETWORK_LABELS)
    d = span_decimals(hop.start_s, hop.end_s)
    return (f"hop,{hop.start_s:.{d}f},{hop.end_s:.{d}f},{'+'.join(_sorted_labels(hop.labels))},{probs},"
            f"{float(hop.level_dbfs):.2f},{int(hop.dropped_samples)}" + (f",{hop.utc or ''}" if utc else ""))


def segment_csv(seg: Segment, utc: bool = False) -> str:
    d = span_decimals(seg.start_s, seg.end_s)
    return (f"segment,{seg.start_s:.{d}f},{seg.end_s:.{d}f},{seg.label}," + "," * (len(NETWORK_LABELS) + 1)
            + (f",{seg.utc or ''}" if utc else ""))


def gap_csv(gap: Gap) -> str:
    """A gap row (of the CSV with the ``utc`` column): stream span, ``utc`` = ``START/END``."""
    return (f"gap,{gap.start_s:.3f},{gap.end_s:.3f}," + "," * (len(NETWORK_LABELS) + 2)
            + f",{gap.start_utc}/{gap.end_utc}")


def _write_fd(fd: int, data: bytes) -> None:
    """Write all of ``data`` to file descriptor ``fd`` (a short write goes on with the rest, a
    non-blocking descriptor is waited for); raises OSError."""
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        if n <= 0:
            raise OSError(errno.EIO, "nothing was written")
        view = view[n:]


def write_text(out, text: str) -> None:
    """Write ``text`` to the text stream ``out`` (such as ``sys.stdout``) whole, or raise OSError.

    A stream on a file descriptor gets the encoded bytes through ``os.write`` until every byte is
    written: Python's io layers can drop the rest of a short write (a disk that fills up) without an
    error, buffered or not (``PYTHONUNBUFFERED=1``). Other streams: ``write`` then ``flush``.
    """
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation: StringIO, captured output
        out.write(text)
        out.flush()
        return
    out.flush()  # whatever the stream holds goes first
    _write_fd(fd, text.encode(getattr(out, "encoding", None) or "utf-8", getattr(out, "errors", None) or "strict"))


def write_file_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``path`` whole or not at all; raises OSError.

    The text goes to a temporary file beside ``path`` (same folder: the rename is atomic), is
    flushed to the disk (fsync) and renamed over ``path``. On any failure or interruption the
    temporary file is removed and a previous ``path`` is left as it was. An existing ``path``
    keeps its permission bits; one that is not a regular file (``/dev/stdout``, a FIFO) is written
    directly. A symbolic link is followed (its target is replaced).
    """
    path = os.fspath(path)
    data = text.encode("utf-8")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            _write_fd(fd, data)
        finally:
            os.close(fd)
        return
    target = os.path.realpath(path) if os.path.islink(path) else path
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = -1
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if st is not None and stat.S_ISREG(st.st_mode):
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
        _write_fd(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")
"""The temporary names :func:`write_file_atomic` writes under: ``.NAME.PID.HEX8.tmp``."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: someone else's live process
        return True
    return True


def remove_stale_temps(folder: str | os.PathLike) -> int:
    """Remove, under ``folder`` (recursively), the temporary files that :func:`write_file_atomic`
    left when its process was killed mid-write (``SIGKILL`` cannot be caught): names matching
    :data:`TEMP_NAME` whose writing process no longer runs. A live process's temporary files
    are left alone. Returns how many were removed."""
    removed = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            m = TEMP_NAME.match(f)
            if m is None or int(m["pid"]) == os.getpid() or _pid_alive(int(m["pid"])):
                continue
            try:
                os.unlink(os.path.join(root, f))
                removed += 1
            except FileNotFoundError:
                pass
    return removed


class LineWriter:
    """Writes events as lines to ``out`` (stdout by default), flushing after each line.

    ``utc``: the source is live (device, network stream): CSV gets the ``utc`` column (JSON
    lines carry ``utc`` whenever the event has it).
    A closed output (e.g. ``| head``) stops writing quietly: :attr:`broken` becomes True. Any
    other write error (a full disk) also stops writing, with its reason in :attr:`error`.
    """

    def __init__(self, fmt: str = "jsonl", out=None, utc: bool = False):
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"unknown line format {fmt!r}")
        self.fmt = fmt
        self.utc = bool(utc)
        self.out = out if out is not None else sys.stdout
        self.broken = False
        self.error: str | None = None
        self._header_done = fmt != "csv"

    def _line(self, text: str) -> None:
        if self.broken:
            return
        try:
            if not self._header_done:
                text = (CSV_HEADER_UTC if self.utc else CSV_HEADER) + "\n" + text
                self._header_done = True
            write_text(self.out, text + "\n")
        except (BrokenPipeError, ValueError):
            self.broken = True
        except OSError as e:
            self.broken = True
            self.error = e.strerror or str(e)

    def hop(self, hop: Hop) -> None:
        self._line(hop_json(hop) if self.fmt == "jsonl" else hop_csv(hop, self.utc))

    def segment(self, seg: Segment) -> None:
        self._line(segment_json(seg) if self.fmt == "jsonl" else segment_csv(seg, self.utc))

    def gap(self, gap: Gap) -> None:
        self._line(gap_json(gap) if self.fmt == "jsonl" else gap_csv(gap))

    def event(self, ev) -> None:
        if isinstance(ev, Hop):
            self.hop(ev)
        elif isinstance(ev, Segment):
            self.segment(ev)
        elif isinstance(ev, Gap):
            self.gap(ev)
