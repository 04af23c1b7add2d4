"""The HTML page of ``stream-tagger report`` (:mod:`stream_tagger.report` reads the archive).

One self-contained file: inline CSS, inline SVG and one inline script, no fetches (its
Content-Security-Policy allows no source but the page's own script, by its SHA-256). Every text
from the inputs (file names, errors, titles) is HTML-escaped; the script only sorts the table
(and measures elements for tests, see below).

Sections: the counts (files per status, hours), totals per label (hours, share of the audio, files
with the label), histograms of the per-file shares of each label (10 % bins), the longest files,
the most failed files with the commonest errors, and a sortable table of the first files with a
timeline strip each (four rows: speech on top, silence at the bottom, as in the window), or bars
of the file's shares when its segments are unknown. Label colours are the window's
(:data:`stream_tagger.gui.colors.LABEL_RGB`).

The script also reads two query parameters: ``?sort=KEY[:asc|:desc]`` sorts the table on load
as clicks on the column's header would (keys: ``index``, ``file``, ``status``, ``duration_s``,
``speech``, ``music``, ``noise``, ``silence``, ``segments``), and ``?probe=SELECTOR`` writes the
page-pixel box ``x,y,width,height`` of each element matching the CSS selector into its
``data-rect`` attribute (tests read it with the DOM, then check a screenshot's pixels there).
"""

from __future__ import annotations

import base64
import hashlib
import os
from html import escape

from . import __version__
from .events import LABELS, Segment
from .gui.colors import label_hex
from .report import HISTOGRAM_BINS, Archive, FileRow

STRIP_UNITS = 1000
"""Horizontal resolution of a timeline strip (viewBox units across the file's duration)."""
STRIP_ROW_PX = 6
"""Row pitch of a strip in pixels (a row's bar is one pixel less, the gap shows the rows apart)."""
STRIP_WIDTH_PX = 300
ROW_BACKGROUND = "#f2f3f4"  # as the plot command's strip rows
STATUS_COLOURS = {"ok": "#1e8449", "failed": "#c0392b", "skipped": "#6c7a89"}

CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --bg: #ffffff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.sub { color: var(--muted); margin: 0 0 16px; overflow-wrap: anywhere; }
section { margin: 0 0 22px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card .big { font-size: 24px; font-weight: 600; }
.card .what { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 28px; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; text-align: left; vertical-align: middle; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px; vertical-align: -1px; }
.bar { height: 14px; background: var(--panel); border-radius: 3px; width: 260px; }
.bar > div { height: 100%; border-radius: 3px; }
.hists { display: flex; gap: 18px; flex-wrap: wrap; }
.hist figcaption { font-size: 13px; font-weight: 600; margin-bottom: 2px; }
figure { margin: 0; }
.name { display: inline-block; max-width: 30em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.err { color: #8a1f11; font-size: 12px; overflow-wrap: anywhere; }
.status { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; color: #fff; }
.none { color: var(--muted); }
.note { color: var(--muted); font-size: 12px; margin: 0 0 8px; }
table.sortable th[data-key] { cursor: pointer; user-select: none; }
table.sortable th[data-key]:hover { color: var(--ink); }
table.sortable th[aria-sort=ascending]::after { content: " \\25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \\25BC"; }
svg.strip { display: block; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; }
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("file-table");
  var heads = table ? Array.prototype.slice.call(table.tHead.rows[0].cells).filter(function (th) {
    return th.hasAttribute("data-key"); }) : [];
  function value(tr, i, numeric) {
    var v = tr.cells[i].getAttribute("data-v");
    if (numeric) { return v === "" || v === null ? null : parseFloat(v); }
    return v || "";
  }
  function sortBy(th) {
    var i = th.cellIndex, numeric = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, i, numeric), y = value(b, i, numeric), c;
      if (x === null || y === null) { return (x === null) - (y === null); }
      c = numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0);
      if (c === 0) { return parseInt(a.getAttribute("data-i"), 10) - parseInt(b.getAttribute("data-i"), 10); }
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  heads.forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); } });
  });
  var params = new URLSearchParams(location.search);
  var sort = params.get("sort");
  if (sort) {
    var parts = sort.split(":"), want = parts[1] === "desc" ? "descending" : "ascending";
    heads.forEach(function (th) {
      if (th.getAttribute("data-key") !== parts[0]) { return; }
      th.click();
      if (th.getAttribute("aria-sort") !== want) { th.click(); }
    });
  }
  var probe = params.get("probe");
  if (probe) {
    try {
      document.querySelectorAll(probe).forEach(function (el) {
        var r = el.getBoundingClientRect();
        el.setAttribute("data-rect", [r.left + scrollX, r.top + scrollY, r.width, r.height].map(function (v) {
          return v.toFixed(1); }).join(","));
      });
    } catch (e) { document.body.setAttribute("data-probe-error", String(e)); }
  }
})();
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"


def hms(seconds: float | None) -> str:
    """``h:mm:ss`` (``m:ss`` under an hour); ``–`` when unknown."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def hours(seconds: float) -> str:
    h = seconds / 3600
    return f"{h:,.1f}" if h >= 100 else f"{h:,.2f}"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def _status(status: str) -> str:
    return f'<span class="status status-{status}" style="background:{STATUS_COLOURS[status]}">{status}</span>'


def _swatch(label: str) -> str:
    return f'<span class="swatch" style="background:{label_hex(label)}"></span>'


# ------------------------------------------------------------------------------------ strips


def _spans_units(segments: list[Segment], label: str, duration_s: float) -> list[tuple[int, int]]:
    """A label's segments in strip units, rounded to whole units and merged (at least one unit wide)."""
    scale = STRIP_UNITS / duration_s
    spans: list[list[int]] = []
    for s in sorted((s for s in segments if s.label == label and s.end_s > s.start_s), key=lambda s: s.start_s):
        a = max(0, min(STRIP_UNITS - 1, int(s.start_s * scale)))
        b = max(a + 1, min(STRIP_UNITS, int(round(s.end_s * scale))))
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return [(a, b) for a, b in spans]


def strip_svg(row: FileRow, width_px: int = STRIP_WIDTH_PX) -> str:
    """The file's four-row strip: its timeline when its segments are known (one path per label,
    a horizontal stroke ``M{start} {y}H{end}`` per span, in strip units), else bars of its shares."""
    h = STRIP_ROW_PX
    parts = []
    timeline = row.strip is not None and row.status != "failed"
    duration_s = row.duration_s or max((s.end_s for s in row.strip or []), default=0.0)
    if timeline and duration_s <= 0:
        timeline = False
    for k, lab in enumerate(LABELS):
        y = k * h
        parts.append(f'<rect x="0" y="{y}" width="{STRIP_UNITS}" height="{h - 1}" fill="{ROW_BACKGROUND}"/>')
        colour = label_hex(lab)
        if timeline:
            spans = _spans_units(row.strip, lab, duration_s)
            if spans:
                d = "".join(f"M{a} {y + (h - 1) / 2:g}H{b}" for a, b in spans)
                parts.append(f'<path class="lane {lab}" d="{d}" stroke="{colour}" stroke-width="{h - 1}"/>')
        else:
            share = row.share(lab)
            if share:
                width = max(1, round(share * STRIP_UNITS))
                parts.append(f'<rect class="share {lab}" x="0" y="{y + 1}" width="{width}" height="{h - 3}" fill="{colour}"/>')
    kind = "timeline" if timeline else "shares"
    tip = (f"timeline of {hms(duration_s)}: speech, music, noise, silence rows" if timeline
           else "shares of the file's duration (no label file found)" if row.status != "failed" else "failed")
    return (f'<svg class="strip {kind}" width="{width_px}" height="{len(LABELS) * h}" '
            f'viewBox="0 0 {STRIP_UNITS} {len(LABELS) * h}" preserveAspectRatio="none" shape-rendering="crispEdges" '
            f'role="img"><title>{escape(tip)}</title>{"".join(parts)}</svg>')


# ------------------------------------------------------------------------------------ sections


def _overview(archive: Archive) -> str:
    counts = archive.status_counts()
    total = archive.total_duration_s()
    segments = sum(r.segments or 0 for r in archive.rows if r.counted)
    by_status = " · ".join(f'<span style="color:{STATUS_COLOURS[s]}">{counts[s]:,} {s}</span>' for s in counts)
    cards = [(f"{len(archive.rows):,}", "files", by_status), (hours(total), "hours of audio", hms(total)),
             (f"{segments:,}", "segments", f"{segments / (total / 3600):,.0f} per hour" if total else "")]
    return ('<section id="overview" class="cards">' + "".join(
        f'<div class="card"><div class="what">{what}</div><div class="big">{big}</div><div>{more}</div></div>'
        for big, what, more in cards) + "</section>")


def _label_totals(archive: Archive) -> str:
    total = archive.total_duration_s()
    totals = archive.label_totals_s()
    rows = []
    for lab in LABELS:
        share = totals[lab] / total if total else 0.0
        rows.append(
            f'<tr class="total-{lab}"><td>{_swatch(lab)}{lab}</td><td class="num">{hours(totals[lab])}</td>'
            f'<td class="num">{percent(share)}</td><td><div class="bar"><div class="fill {lab}" '
            f'style="width:{min(100.0, share * 100):.2f}%;background:{label_hex(lab)}"></div></div></td>'
            f'<td class="num">{archive.files_with(lab):,}</td></tr>')
    return ('<section id="labels"><h2>Labels</h2><table class="totals"><thead><tr><th>label</th>'
            '<th class="num">hours</th><th class="num">share</th><th>share of all audio</th>'
            '<th class="num">files with it</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
            '<p class="note">Labels can overlap (speech over music), so the shares can add up to more than 100 %.</p>'
            "</section>")


def histogram_svg(label: str, counts: list[int]) -> str:
    """Files per share bin of ``label`` as bars, 0 % to 100 % left to right."""
    width, height, left, bottom, top = 250, 130, 8, 20, 14
    plot_w, plot_h = width - 2 * left, height - bottom - top
    peak = max(counts) or 1
    bw = plot_w / len(counts)
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#8c959f"/>']
    for k, n in enumerate(counts):
        bh = plot_h * n / peak
        x = left + k * bw
        lo, hi = k * 100 // len(counts), (k + 1) * 100 // len(counts)
        parts.append(f'<rect class="bin {label}" data-bin="{k}" data-files="{n}" x="{x + 1:.1f}" y="{top + plot_h - bh:.1f}" '
                     f'width="{bw - 2:.1f}" height="{bh:.1f}" fill="{label_hex(label)}"><title>{n} files with '
                     f'{lo}–{hi} % {label}</title></rect>')
        if n:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + plot_h - bh - 3:.1f}" font-size="10" '
                         f'text-anchor="middle" fill="#57606a">{n}</text>')
    for frac, anchor in ((0, "start"), (0.5, "middle"), (1, "end")):
        parts.append(f'<text x="{left + plot_w * frac:.1f}" y="{height - 5}" font-size="10" text-anchor="{anchor}" '
                     f'fill="#57606a">{int(frac * 100)} %</text>')
    return (f'<figure class="hist" id="hist-{label}"><figcaption>{_swatch(label)}{label} share</figcaption>'
            f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">{"".join(parts)}</svg></figure>')


def _histograms(archive: Archive) -> str:
    n = sum(1 for r in archive.rows if r.counted and r.duration_s)
    return (f'<section id="shares"><h2>Shares over files</h2><p class="note">Files by the share of their duration '
            f'that each label covers ({n:,} files, {100 // HISTOGRAM_BINS} % bins).</p><div class="hists">'
            + "".join(histogram_svg(lab, archive.histogram(lab)) for lab in LABELS) + "</div></section>")


def _name(file: str) -> str:
    return f'<span class="name" title="{escape(file)}">{escape(file)}</span>'


def _longest(archive: Archive) -> str:
    rows = archive.longest(10)
    if not rows:
        return '<section id="longest"><h2>Longest files</h2><p class="none">No durations known.</p></section>'
    body = "".join(f'<tr><td>{_name(r.file)}</td><td class="num">{hms(r.duration_s)}</td><td>{_status(r.status)}</td>'
                   f"<td>{strip_svg(r, 180)}</td></tr>" for r in rows)
    return ('<section id="longest"><h2>Longest files</h2><table><thead><tr><th>file</th><th class="num">duration</th>'
            "<th>status</th><th>timeline or shares</th></tr></thead><tbody>" + body + "</tbody></table></section>")


def _failed(archive: Archive) -> str:
    rows = archive.most_failed(15)
    if not rows:
        return '<section id="failed"><h2>Most failed files</h2><p class="none">No file failed.</p></section>'
    failing = archive.status_counts()["failed"]
    body = "".join(f'<tr><td>{_name(r.file)}<div class="err">{escape(r.error) if r.status == "failed" else ""}</div></td>'
                   f'<td class="num">{r.failures}</td><td>{_status(r.status)}</td></tr>' for r in rows)
    reasons = "".join(f'<tr><td class="num">{n:,}</td><td class="err">{escape(reason)}</td></tr>'
                      for reason, n in archive.error_reasons(8))
    return ('<section id="failed"><h2>Most failed files</h2>'
            f'<p class="note">{failing:,} files failing now; failures are counted over all the summaries given.</p>'
            '<table><thead><tr><th>file and error</th><th class="num">failures</th><th>now</th></tr></thead><tbody>'
            + body + "</tbody></table>"
            + (f'<h2 style="margin-top:16px">Commonest errors</h2><table><thead><tr><th class="num">files</th><th>error</th>'
               f"</tr></thead><tbody>{reasons}</tbody></table>" if reasons else "") + "</section>")


FILE_COLUMNS = (("index", "#", "num"), ("file", "file", "text"), ("status", "status", "text"),
                ("duration_s", "duration", "num"), ("speech", "speech", "num"), ("music", "music", "num"),
                ("noise", "noise", "num"), ("silence", "silence", "num"), ("segments", "segments", "num"))


def _file_row(i: int, r: FileRow) -> str:
    cells = [f'<td class="num" data-v="{i}">{i}</td>', f'<td data-v="{escape(r.file.lower())}">{_name(r.file)}</td>',
             f'<td data-v="{r.status}">{_status(r.status)}</td>',
             f'<td class="num" data-v="{_num(r.duration_s)}">{hms(r.duration_s)}</td>']
    for lab in LABELS:
        share = r.share(lab) if r.status != "failed" else None
        cells.append(f'<td class="num" data-v="{_num(share)}">{percent(share)}</td>')
    cells.append(f'<td class="num" data-v="{"" if r.segments is None else r.segments}">'
                 f'{"–" if r.segments is None else f"{r.segments:,}"}</td>')
    cells.append(f"<td>{strip_svg(r)}</td>")
    return f'<tr data-i="{i}" data-file="{escape(r.file)}">' + "".join(cells) + "</tr>"


def _files(archive: Archive, rows_shown: int) -> str:
    shown = archive.rows[:rows_shown]
    more = len(archive.rows) - len(shown)
    heads = "".join(f'<th data-key="{key}" data-type="{kind}"{" class=num" if kind == "num" else ""}>{name}</th>'
                    for key, name, kind in FILE_COLUMNS) + "<th>timeline</th>"
    timelines = sum(1 for r in shown if r.strip is not None)
    note = (f"The first {len(shown):,} of {len(archive.rows):,} files (--rows N shows more). " if more
            else f"All {len(shown):,} files. ")
    note += (f"{timelines:,} with a timeline (speech on top, silence at the bottom); the others show bars of "
             "their shares. Click a column's header to sort.")
    return (f'<section id="files"><h2>Files</h2><p class="note">{escape(note)}</p><table id="file-table" class="sortable">'
            f"<thead><tr>{heads}</tr></thead><tbody>"
            + "".join(_file_row(i, r) for i, r in enumerate(shown, start=1)) + "</tbody></table></section>")


def render_page(archive: Archive, title: str | None = None, rows_shown: int = 300) -> str:
    """The whole HTML page (text)."""
    heading = title or "Archive report: " + ", ".join(os.path.basename(os.path.normpath(s)) or s for s in archive.sources)
    sources = ", ".join(archive.sources)
    return "".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(heading)}</title><style>{CSS}</style></head><body>",
        f'<header><h1>{escape(heading)}</h1><p class="sub">from {escape(sources)}</p></header>',
        _overview(archive), _label_totals(archive), _histograms(archive),
        f'<div class="grid">{_longest(archive)}{_failed(archive)}</div>',
        _files(archive, rows_shown),
        f"<footer>stream-tagger {escape(__version__)} report · label colours as in the live window</footer>",
        f"<script>{SCRIPT}</script></body></html>\n",
    ])
