"""``stream-tagger report``: one self-contained HTML page about a tagged archive.

Usage::

    stream-tagger report SUMMARY.csv -o report.html [--labels DIR] [--rows N]
    stream-tagger report OUT_DIR -o report.html          # a folder of label files (tag --out-dir)

Sources (one or more; later rows for the same file replace earlier ones in the totals):

``SUMMARY.csv``
    The archive summary, columns exactly :data:`SUMMARY_COLUMNS` (any order, more columns are
    ignored): ``file,status,duration_s,speech_s,music_s,noise_s,silence_s,segments,error``;
    ``status`` is ``ok``, ``failed`` or ``skipped``; seconds are non-negative numbers, empty when
    unknown (a failed file). Several summaries (a run and its ``--resume``) are read in order: a
    file's failures are counted over all of them ("most failed"), its last row counts in the totals
    (but a ``skipped`` row after an ``ok`` one keeps the ``ok`` row and its figures).
a folder
    Summaries found in it (``*.csv`` files whose header is the summary's) are read as above, and the
    folder gives the label files. Without a summary, every label file in it (``.csv``, ``.jsonl``,
    ``.txt``, ``.TextGrid``, searched recursively; hidden files skipped) is one ``ok`` file, its
    seconds per label the union of its segments of that label and its duration the TextGrid's
    ``xmax`` or else the last segment's end (label files do not record the audio's length); a file
    that cannot be read is ``failed`` with the reason.

Timeline strips need segments: each shown file's label file is looked for in ``--labels DIR`` (or
the folder) as ``<name><ext>`` (what ``tag --out-dir`` writes: the input's name without its
extension, below the sub-folders it had in a folder given to ``tag``), under the longest trailing
part of the input's own folders that is there (``a/1991/x.flac``: ``1991/x.csv``, then ``x.csv``),
else the one label file of that name; a file without one gets bars of its shares.

Totals, shares and the histograms count files whose status is ``ok`` or ``skipped`` (done by an
earlier run) and whose duration is known. Shares are seconds of a label over the file's duration
(labels may overlap, so the four shares can add up to more than 100 %).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .errors import TaggerError
from .errors import report as report_error
from .events import LABELS, Segment

SUMMARY_COLUMNS = ("file", "status", "duration_s", "speech_s", "music_s", "noise_s", "silence_s", "segments", "error")
"""The archive summary's columns, in the order the archive writes them."""
STATUSES = ("ok", "failed", "skipped")
LABEL_EXTENSIONS = (".csv", ".jsonl", ".TextGrid", ".txt")
"""Label file extensions (:mod:`stream_tagger.labels`), in the order they are looked for."""
DEFAULT_ROWS = 300
"""Files in the sortable table, each with its timeline strip."""
HISTOGRAM_BINS = 10
"""Bins of the share histograms (10 % wide)."""


class ReportError(TaggerError):
    """A summary, folder or label file the report cannot use (one line)."""


@dataclass
class FileRow:
    """One input of the archive, as the report sees it. Times in seconds; None when unknown."""

    file: str
    status: str
    duration_s: float | None = None
    label_s: dict[str, float | None] = field(default_factory=dict)
    segments: int | None = None
    error: str = ""
    failures: int = 0  # rows with status failed for this file, over all sources
    label_path: str | None = None  # its label file, when found
    strip: list[Segment] | None = None  # its segments, read for the rows the table shows

    @property
    def counted(self) -> bool:
        """Whether the file counts in totals and histograms (done, with a known duration)."""
        return self.status in ("ok", "skipped") and self.duration_s is not None

    def share(self, label: str) -> float | None:
        """Seconds of ``label`` over the duration, 0..1 (None when either is unknown)."""
        seconds = self.label_s.get(label)
        if seconds is None or not self.duration_s:
            return None
        return min(1.0, max(0.0, seconds / self.duration_s))


@dataclass
class Archive:
    """The rows of all sources, merged by file (first appearance keeps its place)."""

    sources: list[str]
    rows: list[FileRow]

    def status_counts(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.rows)
        return {s: counts.get(s, 0) for s in STATUSES}

    def total_duration_s(self) -> float:
        return sum(r.duration_s for r in self.rows if r.counted)

    def label_totals_s(self) -> dict[str, float]:
        """Seconds of each label summed over the counted files."""
        return {lab: sum(r.label_s.get(lab) or 0.0 for r in self.rows if r.counted) for lab in LABELS}

    def files_with(self, label: str) -> int:
        return sum(1 for r in self.rows if r.counted and (r.label_s.get(label) or 0.0) > 0)

    def histogram(self, label: str, bins: int = HISTOGRAM_BINS) -> list[int]:
        """Counted files per share bin of ``label`` (bin k: k/bins <= share < (k+1)/bins, 100 % in the last)."""
        counts = [0] * bins
        for r in self.rows:
            share = r.share(label) if r.counted else None
            if share is not None:
                counts[min(bins - 1, int(share * bins))] += 1
        return counts

    def longest(self, n: int = 10) -> list[FileRow]:
        known = [r for r in self.rows if r.duration_s is not None]
        return sorted(known, key=lambda r: (-r.duration_s, r.file))[:n]

    def most_failed(self, n: int = 20) -> list[FileRow]:
        """Files that failed at least once, most failures first, then those failing now."""
        failed = [r for r in self.rows if r.failures]
        return sorted(failed, key=lambda r: (-r.failures, r.status != "failed", r.file))[:n]

    def error_reasons(self, n: int = 10) -> list[tuple[str, int]]:
        """The most common errors of the files failing now, with their counts."""
        return Counter(r.error or "(no message)" for r in self.rows if r.status == "failed").most_common(n)


# ------------------------------------------------------------------------------------ reading


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file or folder") from None
    except OSError as e:
        raise ReportError(f"{path}: cannot read {what} ({e.strerror or e})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a UTF-8 text file (expected {what})") from None


def _header_of(text: str) -> list[str]:
    first = text.splitlines()[0] if text.strip() else ""
    return [c.strip() for c in next(csv.reader([first]), [])]


def is_summary_header(columns: list[str]) -> bool:
    return set(SUMMARY_COLUMNS) <= set(columns)


def _seconds(text: str, where: str, column: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ReportError(f"{where}: {column} {text[:40]!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise ReportError(f"{where}: {column} {text[:40]!r} is not a non-negative number of seconds")
    return value


def read_summary(path: str) -> list[FileRow]:
    """The rows of an archive summary CSV, in file order; raises :class:`ReportError` (one line
    naming the file and line) for a missing, empty or malformed file."""
    text = _read_text(path, "a summary CSV")
    if not text.strip():
        raise ReportError(f"{path}: empty file (expected a summary CSV with columns {','.join(SUMMARY_COLUMNS)})")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [c.strip() for c in next(reader)]
    except csv.Error as e:
        raise ReportError(f"{path}: line 1: not a CSV file ({e})") from None
    missing = [c for c in SUMMARY_COLUMNS if c not in header]
    if missing:
        raise ReportError(f"{path}: not an archive summary: no column {', '.join(missing)} "
                          f"(expected {','.join(SUMMARY_COLUMNS)})")
    col = {c: header.index(c) for c in SUMMARY_COLUMNS}
    rows = []
    try:
        for fields in reader:
            where = f"{path}: line {reader.line_num}"
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < len(header):
                fields = fields + [""] * (len(header) - len(fields))
            get = {c: fields[i] for c, i in col.items()}
            status = get["status"].strip()
            if status not in STATUSES:
                raise ReportError(f"{where}: status {status[:40]!r} is not one of {', '.join(STATUSES)}")
            if not get["file"].strip():
                raise ReportError(f"{where}: empty file name")
            segments = get["segments"].strip()
            if segments and not segments.isdigit():
                raise ReportError(f"{where}: segments {segments[:40]!r} is not a count")
            rows.append(FileRow(
                file=get["file"].strip(), status=status, duration_s=_seconds(get["duration_s"], where, "duration_s"),
                label_s={lab: _seconds(get[f"{lab}_s"], where, f"{lab}_s") for lab in LABELS},
                segments=int(segments) if segments else None, error=" ".join(get["error"].split()),
                failures=int(status == "failed")))
    except csv.Error as e:
        raise ReportError(f"{path}: line {reader.line_num}: malformed CSV ({e})") from None
    if not rows:
        raise ReportError(f"{path}: the summary has no rows")
    return rows


_XMAX = re.compile(r"^\s*xmax\s*=\s*([0-9.eE+-]+)", re.M)


def _textgrid_xmax(path: str) -> float | None:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            m = _XMAX.search(f.read(4096))
        return float(m.group(1)) if m else None
    except (OSError, ValueError):
        return None


def label_seconds(segments: list[Segment]) -> dict[str, float]:
    """Per label, the seconds covered by its segments (their union: overlaps count once)."""
    out = {}
    for lab in LABELS:
        total, end = 0.0, -math.inf
        for s in sorted((s for s in segments if s.label == lab), key=lambda s: s.start_s):
            if s.end_s > end:
                total += s.end_s - max(s.start_s, end)
                end = s.end_s
        out[lab] = total
    return out


def row_from_label_file(path: str, name: str) -> FileRow:
    """A folder's label file as a row named ``name`` (``failed`` with the reason if unreadable)."""
    from .labels import read_segments

    try:
        segments = read_segments(path)
    except TaggerError as e:
        return FileRow(name, "failed", error=str(e), failures=1, label_path=path)
    duration_s = _textgrid_xmax(path) if path.endswith(".TextGrid") else None
    last_end = max((s.end_s for s in segments), default=0.0)
    return FileRow(name, "ok", duration_s=max(duration_s or 0.0, last_end), label_s=label_seconds(segments),
                   segments=len(segments), label_path=path, strip=segments)


def label_files(folder: str) -> list[str]:
    """Label files under ``folder`` (relative paths, sorted; hidden files and folders skipped)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith(LABEL_EXTENSIONS):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def _summaries_in(folder: str, names: list[str]) -> list[str]:
    out = []
    for rel in names:
        if os.sep not in rel and rel.endswith(".csv"):
            path = os.path.join(folder, rel)
            try:
                with open(path, encoding="utf-8-sig", errors="replace") as f:
                    header = _header_of(f.readline())
            except OSError:
                continue
            if is_summary_header(header):
                out.append(rel)
    return out


class LabelIndex:
    """Finds an input's label file in a folder (see the module doc)."""

    def __init__(self, folder: str, names: list[str] | None = None):
        self.folder = folder
        self.names = set(label_files(folder) if names is None else names)
        self.by_stem: dict[str, list[str]] = {}
        for rel in sorted(self.names):
            stem = os.path.splitext(os.path.basename(rel))[0]
            self.by_stem.setdefault(stem, []).append(rel)

    def find(self, file: str) -> str | None:
        """The label file of the input ``file`` (a path or URL), or None."""
        parts = urlsplit(file)
        local = unquote(parts.path) if parts.scheme and len(parts.scheme) > 1 else file
        local = local.replace("\\", "/").rstrip("/")
        stem = os.path.splitext(os.path.basename(local))[0]
        if not stem:
            return None
        dirs = [d for d in os.path.dirname(local).split("/") if d not in ("", ".", "..")]
        for k in range(len(dirs), -1, -1):  # the longest trailing part of the input's folders first
            for ext in LABEL_EXTENSIONS:
                rel = os.path.join(*dirs[len(dirs) - k:], stem + ext)
                if rel in self.names:
                    return os.path.join(self.folder, rel)
        candidates = self.by_stem.get(stem, [])
        if len({os.path.dirname(c) for c in candidates}) == 1:  # one folder holds it: unambiguous
            best = min(candidates, key=lambda c: LABEL_EXTENSIONS.index(os.path.splitext(c)[1]))
            return os.path.join(self.folder, best)
        return None


def merge_rows(groups: list[list[FileRow]]) -> list[FileRow]:
    """Rows of several sources by file: the last row counts, failures add up, first place kept;
    a ``skipped`` row after an ``ok`` one (a resumed run passing a finished file by) keeps the ok row."""
    merged: dict[str, FileRow] = {}
    for rows in groups:
        for row in rows:
            before = merged.get(row.file)
            if before is not None:
                if row.status == "skipped" and before.status == "ok":
                    before.failures += row.failures
                    continue
                row.failures += before.failures
                row.label_path = row.label_path or before.label_path
            merged[row.file] = row
    return list(merged.values())


def load_archive(sources: list[str], labels_dir: str | None = None, rows_shown: int = DEFAULT_ROWS) -> Archive:
    """Read ``sources`` (summaries and folders), find the label files of the first ``rows_shown``
    files and read their segments. Raises :class:`ReportError`."""
    groups: list[list[FileRow]] = []
    index = None
    if labels_dir is not None:
        if not os.path.isdir(labels_dir):
            raise ReportError(f"--labels {labels_dir}: no such folder")
        index = LabelIndex(labels_dir)
    for source in sources:
        if os.path.isdir(source):
            names = label_files(source)
            summaries = _summaries_in(source, names)
            if summaries:
                groups += [read_summary(os.path.join(source, s)) for s in summaries]
                index = index or LabelIndex(source, [n for n in names if n not in summaries])
            elif names:
                groups.append([row_from_label_file(os.path.join(source, n), os.path.splitext(n)[0]) for n in names])
            else:
                raise ReportError(f"{source}: no archive summary and no label files "
                                  f"({', '.join(LABEL_EXTENSIONS)}) in this folder")
        else:
            groups.append(read_summary(source))
    rows = merge_rows(groups)
    for row in rows[rows_shown:]:
        row.strip = None  # only the table's rows draw a timeline
    for row in rows[:rows_shown]:
        if row.strip is None and index is not None and row.status != "failed":
            row.label_path = row.label_path or index.find(row.file)
            if row.label_path:
                row.strip = _strip_segments(row.label_path)
    return Archive(list(sources), rows)


def _strip_segments(path: str) -> list[Segment] | None:
    from .labels import read_segments

    try:
        return read_segments(path)
    except TaggerError:
        return None  # the row keeps its bars of shares


# ------------------------------------------------------------------------------------ the command


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``report`` options, on its sub-command parser."""
    p.description = ("Write one self-contained HTML page about a tagged archive: totals per label, the "
                     "shares over files, the longest and the most failed files, and a sortable table of "
                     "the first files with a timeline strip each.")
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="archive summary CSV (file,status,duration_s,speech_s,music_s,noise_s,silence_s,"
                        "segments,error) or a folder of label files (tag --out-dir); several: later rows "
                        "replace earlier ones, failures add up")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML page to write")
    p.add_argument("--labels", metavar="DIR", default=None,
                   help="folder of the files' label files (tag --out-dir), for timeline strips")
    p.add_argument("--rows", type=_rows, default=DEFAULT_ROWS, metavar="N",
                   help=f"files in the sortable table, each with its timeline strip (default {DEFAULT_ROWS})")
    p.add_argument("--title", default=None, help="the page's title (default: the sources' names)")


def _rows(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= n <= 100000:
        raise argparse.ArgumentTypeError("rows must be between 1 and 100000")
    return n


def run(args: argparse.Namespace) -> int:
    """Write the page; one line ``stream-tagger: error: report: ...`` and status 1 on bad input."""
    from .commands.common import info
    from .outputs import write_file_atomic
    from .report_page import render_page

    try:
        archive = load_archive(list(args.sources), args.labels, args.rows)
        page = render_page(archive, title=args.title, rows_shown=args.rows)
        try:
            write_file_atomic(args.output, page)
        except OSError as e:
            raise ReportError(f"-o {args.output}: cannot write ({e.strerror or e})") from None
    except TaggerError as e:
        return report_error(f"report: {e}")
    hours = archive.total_duration_s() / 3600
    info(f"wrote {args.output} ({len(archive.rows)} files, {hours:.2f} hours of audio)")
    return 0
