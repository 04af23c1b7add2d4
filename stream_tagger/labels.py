"""Segment label files: write and read csv, jsonl, Audacity label tracks and Praat TextGrids.

All times are seconds. Formats:

``csv``
    Header ``start,end,label``, one row per segment, times with 3 decimals (10 ms grid; more,
    up to 6, for a segment shorter than 1 ms, which only a stream shorter than 10 ms has).
``jsonl``
    One JSON object per line: ``{"start": 1.23, "end": 4.56, "label": "speech"}``.
``audacity``
    Audacity label track: ``start<TAB>end<TAB>label`` with 6 decimals (File > Import > Labels).
``textgrid``
    Praat TextGrid, long text format (``ooTextFile``), one IntervalTier per label (speech, music,
    noise, silence, then any other label), each tier covering ``xmin..xmax`` with empty-text
    intervals filling the gaps, as Praat requires.

Segments are written sorted by start, then by label in the order speech, music, noise, silence
(other labels after, alphabetically), then by end. Overlapping segments of different labels are
allowed in every format.

``read_segments`` detects the format from the content (TextGrid by its header, jsonl by ``{``,
delimited text by its first line: a header naming start/end/label columns — ``start,end,label``,
``onset,offset,event_label`` and similar — or headerless ``start,end,label`` rows, comma or tab
separated, which covers Audacity label tracks). Labels are returned as written (stripped of
surrounding white space); deciding what an unknown label means is the caller's business.
Malformed files raise :class:`LabelFileError` with one line naming the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from .errors import TaggerError
from .events import LABELS, Segment, span_decimals
from .outputs import write_file_atomic, write_text

FORMATS = ("csv", "jsonl", "audacity", "textgrid")
"""Output formats :func:`write_segments` knows, in the order the CLI offers them."""

_EXTENSIONS = {"csv": ".csv", "jsonl": ".jsonl", "audacity": ".txt", "textgrid": ".TextGrid"}

# Column names accepted in a header line (lower case), for each field.
_START_NAMES = ("start", "onset", "start_s", "start_time", "starttime", "begin", "event_onset",
                "tmin", "xmin", "from")
_END_NAMES = ("end", "offset", "end_s", "end_time", "endtime", "stop", "event_offset", "tmax",
              "xmax", "to")
_LABEL_NAMES = ("label", "event_label", "event", "class", "tag", "text", "name", "category")


class LabelFileError(TaggerError):
    """A label file that is missing, unreadable or malformed (message names file and line)."""


def extension_for(fmt: str) -> str:
    """File name extension (with dot) for a format in :data:`FORMATS`."""
    try:
        return _EXTENSIONS[fmt]
    except KeyError:
        raise ValueError(f"unknown label format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def format_for_path(path: str | os.PathLike) -> str | None:
    """The format a file name's extension suggests (``.csv``, ``.jsonl``, ``.txt``, ``.TextGrid``), else None."""
    suffix = Path(path).suffix.lower()
    for fmt, ext in _EXTENSIONS.items():
        if suffix == ext.lower():
            return fmt
    return None


def _label_rank(label: str) -> tuple[int, str]:
    return (LABELS.index(label), "") if label in LABELS else (len(LABELS), label)


def sort_segments(segments: Iterable[Segment]) -> list[Segment]:
    """Segments sorted by start, then label (speech, music, noise, silence, others), then end."""
    return sorted(segments, key=lambda s: (s.start_s, _label_rank(s.label), s.end_s))


# --------------------------------------------------------------------------------------- writing


def _fmt_csv(x: float, decimals: int = 3) -> str:
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def _fmt_tg(x: float) -> str:
    """A TextGrid number: up to 6 decimals, trailing zeros dropped (``0``, ``2.5``, ``1.234567``)."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _tg_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _csv_text(segments: list[Segment], file: str | None = None, header: bool = True) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    first = [] if file is None else [file]
    if header:
        writer.writerow((["file"] if file is not None else []) + ["start", "end", "label"])
    for seg in segments:
        d = span_decimals(seg.start_s, seg.end_s)
        writer.writerow(first + [_fmt_csv(seg.start_s, d), _fmt_csv(seg.end_s, d), seg.label])
    return buf.getvalue()


def _jsonl_text(segments: list[Segment], file: str | None = None) -> str:
    first = {} if file is None else {"file": file}
    lines = [json.dumps({**first, "start": round(float(seg.start_s), 6), "end": round(float(seg.end_s), 6),
                         "label": seg.label}) for seg in segments]
    return "".join(line + "\n" for line in lines)


def _audacity_text(segments: list[Segment]) -> str:
    lines = []
    for seg in segments:
        label = seg.label.replace("\t", " ").replace("\n", " ")
        lines.append(f"{seg.start_s:.6f}\t{seg.end_s:.6f}\t{label}\n")
    return "".join(lines)


def _merge_intervals(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of (start, end) spans, sorted, touching spans kept apart only if separated by a gap."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _textgrid_text(segments: list[Segment], duration_s: float | None) -> str:
    last_end = max((seg.end_s for seg in segments), default=0.0)
    xmin = 0.0
    xmax = last_end if duration_s is None else max(float(duration_s), last_end)
    labels = list(LABELS) + sorted({seg.label for seg in segments} - set(LABELS))

    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "",
           f"xmin = {_fmt_tg(xmin)} ", f"xmax = {_fmt_tg(xmax)} ", "tiers? <exists> ",
           f"size = {len(labels)} ", "item []: "]
    for tier_index, label in enumerate(labels, start=1):
        spans = [(max(seg.start_s, xmin), seg.end_s) for seg in segments
                 if seg.label == label and seg.end_s > seg.start_s]
        intervals: list[tuple[float, float, str]] = []
        cursor = xmin
        for start, end in _merge_intervals(spans):
            if start > cursor:
                intervals.append((cursor, start, ""))
            intervals.append((start, end, label))
            cursor = end
        if xmax > cursor:
            intervals.append((cursor, xmax, ""))
        out += [f"    item [{tier_index}]:", '        class = "IntervalTier" ',
                f"        name = {_tg_string(label)} ", f"        xmin = {_fmt_tg(xmin)} ",
                f"        xmax = {_fmt_tg(xmax)} ", f"        intervals: size = {len(intervals)} "]
        for i, (start, end, text) in enumerate(intervals, start=1):
            out += [f"        intervals [{i}]:", f"            xmin = {_fmt_tg(start)} ",
                    f"            xmax = {_fmt_tg(end)} ", f"            text = {_tg_string(text)} "]
    return "\n".join(out) + "\n"


def format_segments(segments: Iterable[Segment], fmt: str, *, duration_s: float | None = None,
                    file: str | None = None, header: bool = True) -> str:
    """The text of a label file in ``fmt`` (one of :data:`FORMATS`).

    ``duration_s``: length of the audio in seconds; only the TextGrid uses it (its ``xmax``;
    without it, the last segment end). ``file``: csv and jsonl only, a first ``file`` column /
    key naming the audio file, for several files' labels in one stream; ``header``: csv's
    header line (off for the second file on).
    """
    ordered = sort_segments(segments)
    if file is not None and fmt not in ("csv", "jsonl"):
        raise ValueError(f"a file column exists in csv and jsonl only, not {fmt!r}")
    if fmt == "csv":
        return _csv_text(ordered, file, header)
    if fmt == "jsonl":
        return _jsonl_text(ordered, file)
    if fmt == "audacity":
        return _audacity_text(ordered)
    if fmt == "textgrid":
        return _textgrid_text(ordered, duration_s)
    raise ValueError(f"unknown label format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_segments(segments: Iterable[Segment], fmt: str, out: str | os.PathLike | TextIO, *,
                   duration_s: float | None = None, file: str | None = None, header: bool = True) -> None:
    """Write ``segments`` as a label file in ``fmt`` to ``out`` (a path, or an open text file such as stdout).

    ``duration_s``, ``file``, ``header``: see :func:`format_segments`.
    A path is written whole or not at all (:func:`~stream_tagger.outputs.write_file_atomic`: a
    previous file stays as it was if writing fails); a stream gets every byte or an OSError
    (:func:`~stream_tagger.outputs.write_text`). Raises :class:`LabelFileError` if the path cannot
    be written.
    """
    text = format_segments(segments, fmt, duration_s=duration_s, file=file, header=header)
    if hasattr(out, "write"):
        write_text(out, text)
        return
    try:
        write_file_atomic(out, text)  # type: ignore[arg-type]
    except OSError as exc:
        raise LabelFileError(f"cannot write label file {out}: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------------------- reading


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise LabelFileError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise LabelFileError(f"{where}: {what} {text!r} is not a finite number")
    return value


def _make_segment(start: float, end: float, label: str, where: str) -> Segment:
    if start < 0:
        raise LabelFileError(f"{where}: negative start time {start:g}")
    if end < start:
        raise LabelFileError(f"{where}: end {end:g} is before start {start:g}")
    return Segment(start, end, label.strip())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header_columns(fields: list[str]) -> tuple[int, int, int] | None:
    """Indices of the start, end and label columns if ``fields`` is a recognised header line."""
    names = [f.strip().lower().lstrip("#").strip() for f in fields]

    def find(candidates: tuple[str, ...]) -> int | None:
        for cand in candidates:
            if cand in names:
                return names.index(cand)
        return None

    start, end, label = find(_START_NAMES), find(_END_NAMES), find(_LABEL_NAMES)
    if start is None or end is None or label is None:
        return None
    return start, end, label


def _read_delimited(text: str, name: str) -> list[Segment]:
    lines = text.splitlines()
    first_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_index is None:
        return []
    first = lines[first_index]
    delimiter = "\t" if "\t" in first else ("," if "," in first else ";" if ";" in first else None)
    if delimiter is None:
        raise LabelFileError(f"{name}: line {first_index + 1}: not a label file (expected csv with "
                             "start,end,label, jsonl, an Audacity label track or a TextGrid)")
    if delimiter == "\t":
        # Tab-separated (Audacity, DCASE): a tab cannot occur inside a field, quotes are literal text.
        rows = [line.split("\t") for line in lines]
    else:
        rows = list(csv.reader(lines, delimiter=delimiter))
    columns = _header_columns(rows[first_index])
    body_start = first_index + 1
    if columns is None:
        head = [f.strip() for f in rows[first_index]]
        audacity_point = delimiter == "\t" and len(head) == 2 and _is_number(head[0])
        if not audacity_point and (len(head) < 3 or not (_is_number(head[0]) and _is_number(head[1]))):
            raise LabelFileError(
                f"{name}: line {first_index + 1}: expected a header naming start, end and label "
                f"columns or rows 'start{delimiter}end{delimiter}label', got {first.strip()[:60]!r}")
        columns = (0, 1, 2)
        body_start = first_index
    headerless = body_start == first_index
    start_col, end_col, label_col = columns
    needed = max(columns) + 1
    segments = []
    for line_index in range(body_start, len(rows)):
        fields = rows[line_index]
        if not fields or all(not f.strip() for f in fields):
            continue
        first_field = fields[0].strip()
        if first_field.startswith("#"):
            continue
        if delimiter == "\t" and first_field == "\\":
            continue  # Audacity spectral-selection line belonging to the previous label
        where = f"{name}: line {line_index + 1}"
        if len(fields) < needed:
            if headerless and delimiter == "\t" and len(fields) == 2:
                # Audacity: "t0<TAB>t1" (empty text) or "t0<TAB>text" (one-sided label, t1 = t0)
                fields = fields + [""] if _is_number(fields[1].strip()) else [fields[0], fields[0], fields[1]]
            else:
                raise LabelFileError(f"{where}: expected {needed} fields, got {len(fields)}")
        start = _number(fields[start_col].strip(), where, "start")
        end = _number(fields[end_col].strip(), where, "end")
        segments.append(_make_segment(start, end, fields[label_col], where))
    return segments


def _read_jsonl(text: str, name: str) -> list[Segment]:
    segments = []
    for line_index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        where = f"{name}: line {line_index + 1}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise LabelFileError(f"{where}: expected a JSON object with start, end and label")
        keys = {str(k).lower(): k for k in obj}

        def pick(candidates: tuple[str, ...], what: str):
            for cand in candidates:
                if cand in keys:
                    return obj[keys[cand]]
            raise LabelFileError(f"{where}: no {what!r} key")

        start, end = pick(_START_NAMES, "start"), pick(_END_NAMES, "end")
        label = pick(_LABEL_NAMES, "label")
        for value, what in ((start, "start"), (end, "end")):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise LabelFileError(f"{where}: {what} {value!r} is not a number")
        if not isinstance(label, str):
            raise LabelFileError(f"{where}: label {label!r} is not a string")
        segments.append(_make_segment(_number(str(start), where, "start"),
                                      _number(str(end), where, "end"), label, where))
    return segments


_TG_TOKEN = re.compile(r'"(?:[^"]|"")*"|<exists>|<absent>|\[[^\]\n]*\]|!.*|[-+]?(?:\d+\.?\d*|\.\d+)'
                       r'(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z_0-9?]*|\S')


def _textgrid_tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, value, line) tokens: kind 'str', 'num' or 'flag'; labels, brackets and comments dropped.

    Praat's text formats (long and short) are a stream of numbers, quoted strings (``""`` escapes a
    quote) and ``<exists>`` flags; the long format's ``xmin =`` and ``item [1]:`` are decoration.
    """
    tokens = []
    line = 1
    pos = 0
    for match in _TG_TOKEN.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        tok = match.group()
        if tok.startswith('"'):
            tokens.append(("str", tok[1:-1].replace('""', '"'), line))
        elif tok in ("<exists>", "<absent>"):
            tokens.append(("flag", tok, line))
        elif tok[0].isdigit() or tok[0] in "+-.":
            if _is_number(tok):
                tokens.append(("num", tok, line))
    return tokens


def _read_textgrid(text: str, name: str) -> list[Segment]:
    tokens = _textgrid_tokens(text)
    pos = 0

    def take(kind: str, what: str) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise LabelFileError(f"{name}: truncated TextGrid (expected {what} at the end)")
        tok_kind, value, line = tokens[pos]
        if tok_kind != kind:
            raise LabelFileError(f"{name}: line {line}: malformed TextGrid (expected {what}, got {value!r})")
        pos += 1
        return value

    def take_number(what: str) -> float:
        line = tokens[pos][2] if pos < len(tokens) else 0
        return _number(take("num", what), f"{name}: line {line}", what)

    if take("str", "file type") != "ooTextFile" or take("str", "object class") != "TextGrid":
        raise LabelFileError(f"{name}: line 1: not a Praat TextGrid text file")
    take_number("xmin")
    take_number("xmax")
    if take("flag", "tiers? <exists>") != "<exists>":
        return []
    n_tiers = int(take_number("tier count"))
    segments = []
    for _ in range(n_tiers):
        tier_class = take("str", "tier class")
        tier_name = take("str", "tier name").strip()
        take_number("tier xmin")
        take_number("tier xmax")
        n_items = int(take_number("interval count"))
        for _ in range(n_items):
            line = tokens[pos][2] if pos < len(tokens) else 0
            where = f"{name}: line {line}"
            if tier_class == "IntervalTier":
                start = take_number("interval xmin")
                end = take_number("interval xmax")
                label = take("str", "interval text").strip()
                if not label:
                    continue
                # A tier named after one of our labels marks that label, whatever its text says.
                segments.append(_make_segment(start, end, tier_name if tier_name in LABELS else label, where))
            elif tier_class == "TextTier":
                take_number("point time")
                take("str", "point mark")  # points are not segments
            else:
                raise LabelFileError(f"{where}: unknown TextGrid tier class {tier_class!r}")
    return segments


def read_segments(path: str | os.PathLike) -> list[Segment]:
    """Read a label file in any format :func:`write_segments` writes (auto-detected, see module doc).

    Returns the segments sorted as :func:`sort_segments` does. An empty file gives ``[]``.
    Raises :class:`LabelFileError` (one line naming the file, and the line where it applies).
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise LabelFileError(f"label file not found: {name}") from None
    except IsADirectoryError:
        raise LabelFileError(f"label file is a directory: {name}") from None
    except OSError as exc:
        raise LabelFileError(f"cannot read label file {name}: {exc.strerror or exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise LabelFileError(f"{name}: not a text file (bad UTF-16)") from None
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            if b"\x00" in raw[:4096]:
                raise LabelFileError(f"{name}: not a label file (binary data)") from None
            text = raw.decode("latin-1")
    if "\x00" in text:
        raise LabelFileError(f"{name}: not a label file (binary data)")
    stripped = text.lstrip()
    if not stripped:
        return []
    first_line = stripped.splitlines()[0]
    if "ooTextFile" in first_line or stripped.startswith("File type"):
        segments = _read_textgrid(text, name)
    elif stripped.startswith(("{", "[")):
        segments = _read_jsonl(text, name)
    else:
        segments = _read_delimited(text, name)
    return sort_segments(segments)
