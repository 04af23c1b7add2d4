"""``stream-tagger report``: reading summaries and label folders, bad input, and the page itself
in a real headless Chromium (its DOM after the scripts ran, sorting, a screenshot's colours, and
no request leaving the page)."""

from __future__ import annotations

import csv
import os
import random
import re
import subprocess
import sys

import pytest

import browser
from stream_tagger.cli import main
from stream_tagger.events import LABELS, Segment
from stream_tagger.gui.colors import nearest_label
from stream_tagger.labels import write_segments
from stream_tagger.report import SUMMARY_COLUMNS, LabelIndex, label_seconds, load_archive

EVIL = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">.wav"
FORMATS = ("csv", "jsonl", "audacity", "textgrid")
EXT = {"csv": ".csv", "jsonl": ".jsonl", "audacity": ".txt", "textgrid": ".TextGrid"}

needs_chromium = pytest.mark.skipif(browser.chromium_path() is None, reason=browser.SKIP_REASON)


def write_summary(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(SUMMARY_COLUMNS)
        w.writerows(rows)


def make_archive(folder, n_files: int = 30, seed: int = 7):
    """A summary of ``n_files`` inputs under ``folder/summary.csv`` and their label files under
    ``folder/labels`` (the four formats in turn); returns (summary path, labels dir, truth) where
    truth maps each file to (status, duration_s, segments or None)."""
    rng = random.Random(seed)
    labels_dir = folder / "labels"
    labels_dir.mkdir()
    rows, truth = [], {}
    for i in range(n_files):
        name = f"archive/tape_{i:03d}.flac"
        if i % 9 == 4:
            rows.append([name, "failed", "", "", "", "", "", "", f"cannot decode: frame {i} is corrupt"])
            truth[name] = ("failed", None, None)
            continue
        duration_s = round(rng.uniform(30, 3000), 3)
        segments, t = [], 0.0
        first = LABELS[i % 4]  # the first segment's label: the screenshot looks for it
        label = None
        while t < duration_s:
            label = first if t == 0 else rng.choice([lab for lab in LABELS if lab != label])
            end = round(min(duration_s, t + rng.uniform(duration_s / 12, duration_s / 4)), 2)
            if end - t < 0.5:
                break
            segments.append(Segment(t, end, label))
            t = end
        if i % 5 == 3:  # speech over music in part of the file: overlapping labels
            segments.append(Segment(0.0, round(duration_s / 3, 2), "music" if first != "music" else "speech"))
        if i != 7:  # tape_007 has no label file: its row shows bars of its shares
            write_segments(segments, FORMATS[i % 4], labels_dir / f"tape_{i:03d}{EXT[FORMATS[i % 4]]}",
                           duration_s=duration_s)
        secs = label_seconds(segments)
        status = "skipped" if i % 11 == 10 else "ok"
        rows.append([name, status, f"{duration_s:.3f}", *(f"{secs[lab]:.3f}" for lab in LABELS), len(segments), ""])
        truth[name] = (status, duration_s, segments)
    rows.append([EVIL, "ok", "12.000", "6.000", "0.000", "0.000", "6.000", "2", ""])
    truth[EVIL] = ("ok", 12.0, None)
    summary = folder / "summary.csv"
    write_summary(summary, rows)
    return summary, labels_dir, truth


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive")
    summary, labels_dir, truth = make_archive(folder)
    page = folder / "report.html"
    assert main(["report", str(summary), "--labels", str(labels_dir), "-o", str(page)]) == 0
    return folder, summary, labels_dir, truth, page


# ------------------------------------------------------------------------------------ reading


def test_totals_histograms_longest_and_failures(archive):
    _, summary, labels_dir, truth, _ = archive
    a = load_archive([str(summary)], str(labels_dir))
    done = {f: t for f, t in truth.items() if t[0] != "failed"}
    assert a.total_duration_s() == pytest.approx(sum(t[1] for t in done.values()), abs=1e-6)
    assert a.status_counts() == {s: sum(1 for t in truth.values() if t[0] == s) for s in ("ok", "failed", "skipped")}
    speech = [r.label_s["speech"] / r.duration_s for r in a.rows if r.counted]
    assert sum(a.histogram("speech")) == len(speech) == len(done)
    assert a.histogram("speech")[3] == sum(1 for s in speech if 0.3 <= s < 0.4)
    assert [r.file for r in a.longest(3)] == sorted(done, key=lambda f: -done[f][1])[:3]
    assert {r.file for r in a.most_failed()} == {f for f, t in truth.items() if t[0] == "failed"}
    # every shown file with a label file has its segments; tape_007 (no label file) and the failed ones not
    for r in a.rows:
        has_labels = r.status != "failed" and r.file.startswith("archive/") and not r.file.endswith("_007.flac")
        assert (r.strip is not None) == has_labels, r.file
        if has_labels:
            assert label_seconds(r.strip) == pytest.approx(label_seconds(truth[r.file][2]), abs=1e-6)


def test_a_resumed_run_counts_failures_over_both_summaries(tmp_path):
    first, second = tmp_path / "run1.csv", tmp_path / "run2.csv"
    write_summary(first, [["a.wav", "failed", "", "", "", "", "", "", "timed out"],
                          ["b.wav", "failed", "", "", "", "", "", "", "HTTP 404"],
                          ["c.wav", "ok", "10.000", "10.000", "0.000", "0.000", "0.000", "1", ""]])
    write_summary(second, [["a.wav", "ok", "20.000", "5.000", "15.000", "0.000", "0.000", "3", ""],
                           ["b.wav", "failed", "", "", "", "", "", "", "HTTP 404"],
                           ["c.wav", "skipped", "10.000", "10.000", "0.000", "0.000", "0.000", "1", ""]])
    a = load_archive([str(first), str(second)])
    assert [r.file for r in a.rows] == ["a.wav", "b.wav", "c.wav"]
    assert [(r.file, r.failures, r.status) for r in a.most_failed()] == [("b.wav", 2, "failed"), ("a.wav", 1, "ok")]
    assert a.total_duration_s() == 30.0 and a.label_totals_s()["music"] == 15.0
    assert [r.status for r in a.rows] == ["ok", "failed", "ok"]  # c.wav: done in the first run, skipped after
    assert a.error_reasons() == [("HTTP 404", 1)]


def test_a_folder_of_label_files_from_tag_out_dir(engine_model, bursts_wav, tmp_path):
    out = tmp_path / "out"
    assert main(["tag", bursts_wav, "--model", engine_model, "--out-dir", str(out), "--format", "textgrid"]) == 0
    for fmt in ("csv", "jsonl", "audacity"):
        write_segments([Segment(0.0, 4.0, "speech"), Segment(2.0, 6.0, "music")], fmt, out / f"made{EXT[fmt]}")
    (out / "broken.csv").write_text("start,end,label\n1.0,zero,speech\n")
    (out / ".hidden.csv.123.tmp").write_text("half written")
    a = load_archive([str(out)])
    rows = {r.file: r for r in a.rows}
    assert sorted(rows) == ["broken", "bursts", "made"]  # three formats of "made": the last read wins
    assert rows["broken"].status == "failed" and "line 2" in rows["broken"].error
    assert rows["made"].label_s["speech"] == 4.0 and rows["made"].label_s["music"] == 4.0
    bursts = rows["bursts"]
    assert bursts.status == "ok" and bursts.duration_s == pytest.approx(10.0)  # the TextGrid's xmax
    assert bursts.strip and bursts.label_s["silence"] > 0
    page = tmp_path / "r.html"
    assert main(["report", str(out), "-o", str(page)]) == 0
    text = page.read_text()
    assert text.count('<svg class="strip timeline"') == 2 + 2  # bursts and made: in the table and the longest
    assert "line 2" in text


def test_a_folder_with_its_summary_uses_both(archive, tmp_path):
    _, summary, labels_dir, truth, _ = archive
    folder = tmp_path / "out"
    folder.mkdir()
    for f in labels_dir.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "summary.csv").write_bytes(summary.read_bytes())
    a = load_archive([str(folder)])
    assert [r.file for r in a.rows] == list(truth)
    assert sum(1 for r in a.rows if r.strip is not None) == sum(1 for t in truth.values() if t[2]) - 1


def test_label_files_are_found_below_the_inputs_sub_folders(tmp_path):
    labels = tmp_path / "labels"
    for rel in ("1991/tape.csv", "1992/tape.jsonl", "1992/tape.csv", "solo.TextGrid", "deep/er/only.txt"):
        (labels / rel).parent.mkdir(parents=True, exist_ok=True)
        (labels / rel).write_text("")
    index = LabelIndex(str(labels))
    found = {f: index.find(f) for f in ("/data/archive/1991/tape.flac", "archive/1992/tape.mp3", "1993/tape.wav",
                                        "https://host/x/solo.ogg", "s3://bucket/a/only.flac", "file:///r/1991/tape.flac")}
    assert {f: p and os.path.relpath(p, labels) for f, p in found.items()} == {
        "/data/archive/1991/tape.flac": "1991/tape.csv", "archive/1992/tape.mp3": "1992/tape.csv",
        "1993/tape.wav": None,  # two folders hold a tape: which one is unknown
        "https://host/x/solo.ogg": "solo.TextGrid", "s3://bucket/a/only.flac": "deep/er/only.txt",
        "file:///r/1991/tape.flac": "1991/tape.csv"}


def test_rows_limits_the_table(archive, tmp_path):
    _, summary, labels_dir, truth, _ = archive
    page = tmp_path / "r.html"
    assert main(["report", str(summary), "--labels", str(labels_dir), "--rows", "5", "-o", str(page)]) == 0
    text = page.read_text()
    assert text.count('<tr data-i="') == 5
    assert f"The first 5 of {len(truth)} files" in text


# ------------------------------------------------------------------------------------ bad input


def _error(capsys, argv) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stream-tagger: error: report: "), err
    return lines[0]


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"),
    ("", "empty file"),
    ("start,end,label\n0,1,speech\n", "no column file, status, duration_s"),
    (",".join(SUMMARY_COLUMNS) + "\n", "no rows"),
    (",".join(SUMMARY_COLUMNS) + "\na.wav,done,1,1,0,0,0,1,\n", "line 2: status 'done'"),
    (",".join(SUMMARY_COLUMNS) + "\na.wav,ok,1,x,0,0,0,1,\n", "line 2: speech_s 'x' is not a number"),
    (",".join(SUMMARY_COLUMNS) + "\na.wav,ok,1,-1,0,0,0,1,\n", "line 2: speech_s '-1' is not a non-negative"),
    (b"\xff\xfe\x00bin", "not a UTF-8 text file"),
])
def test_bad_summary_is_one_line_and_leaves_the_page(tmp_path, capsys, content, needle):
    summary = tmp_path / "summary.csv"
    if isinstance(content, bytes):
        summary.write_bytes(content)
    elif content is not None:
        summary.write_text(content)
    page = tmp_path / "report.html"
    page.write_text("the previous page")
    assert needle in _error(capsys, ["report", str(summary), "-o", str(page)])
    assert page.read_text() == "the previous page"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bad_folders_and_outputs(archive, tmp_path, capsys):
    _, summary, _, _, _ = archive
    (tmp_path / "empty").mkdir()
    assert "no archive summary and no label files" in _error(capsys, ["report", str(tmp_path / "empty"), "-o", "x.html"])
    assert "--labels" in _error(capsys, ["report", str(summary), "--labels", str(tmp_path / "nope"), "-o", "x.html"])
    assert "cannot write" in _error(capsys, ["report", str(summary), "-o", str(tmp_path / "no" / "r.html")])


def test_cli_process_exit_statuses(archive, tmp_path):
    _, summary, _, _, _ = archive
    run = [sys.executable, "-m", "stream_tagger.cli", "report"]
    r = subprocess.run(run + [str(tmp_path / "missing.csv"), "-o", str(tmp_path / "r.html")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"stream-tagger: error: report: {tmp_path / 'missing.csv'}: no such file or folder"
    r = subprocess.run(run + [str(summary)], capture_output=True, text=True, timeout=60)  # no -o: usage
    assert r.returncode == 2 and "-o/--output" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(run + [str(summary), "-o", str(tmp_path / "r.html")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and (tmp_path / "r.html").exists(), r.stderr


def test_page_is_self_contained_and_escapes_names(archive):
    text = archive[4].read_text(encoding="utf-8")
    assert text.count("<script") == 1 and "<img" not in text
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in text
    for needle in ("http://", "https://", "@import", "url("):
        assert needle not in text, needle
    elements = list(browser.parse_html(text).iter())  # no element that loads anything
    assert not [e.tag for e in elements if e.tag in ("link", "iframe", "object", "embed", "img", "image", "use")]
    assert not [e.attrs for e in elements if {"src", "href", "srcset", "action", "xlink:href"} & set(e.attrs)]
    assert "default-src 'none'" in text


# ------------------------------------------------------------------------------------ in Chromium


def _file_rows(dom) -> list:
    return dom.by_id("file-table").find("tbody").find_all("tr")


PROBED = ".totals .fill, .hist rect.bin, #file-table tbody tr:nth-child(-n+4) svg.strip"
"""Elements whose page boxes the DOM carries for the screenshot test (``?probe=``)."""


@pytest.fixture(scope="module")
def dom(archive):
    """The report page's DOM in Chromium after its script ran, with the boxes of :data:`PROBED`."""
    if browser.chromium_path() is None:
        pytest.skip(browser.SKIP_REASON)
    return browser.dump_dom(archive[4], browser.probe_query(PROBED))


@needs_chromium
def test_page_in_chromium(archive, dom):
    _, summary, labels_dir, truth, page = archive
    a = load_archive([str(summary)], str(labels_dir))
    assert dom.find("title").text == "Archive report: summary.csv"  # the evil name's script did not run
    assert len(dom.find_all("script")) == 1 and not dom.find_all("img")
    rows = _file_rows(dom)
    assert [r.get("data-file") for r in rows] == list(truth)
    assert EVIL in [r.find("span", cls="name").text for r in rows]
    for label in LABELS:  # the totals' bars and the histograms are the archive's
        share = a.label_totals_s()[label] / a.total_duration_s()
        fill = dom.find("div", **{"class": f"fill {label}"})
        assert fill.get("style").startswith(f"width:{share * 100:.2f}%")
        bins = dom.by_id(f"hist-{label}").find_all("rect", cls="bin")
        assert [int(b.get("data-files")) for b in bins] == a.histogram(label)
    longest = dom.by_id("longest").find("tbody").find_all("tr")
    assert [r.find("span", cls="name").text for r in longest] == [r.file for r in a.longest(10)]
    failed = dom.by_id("failed").find("tbody").find_all("tr")
    assert {r.find("span", cls="name").text for r in failed} == {f for f, t in truth.items() if t[0] == "failed"}
    strips = {r.get("data-file"): r.find("svg", cls="strip") for r in rows}
    for name, (status, duration_s, segments) in truth.items():
        kind = "timeline" if segments and not name.endswith("_007.flac") else "shares"
        assert kind in strips[name].classes, name
        if kind == "timeline":  # a path per label, a stroke "M{start} {y}H{end}" per span, 1000 units across
            first = min(segments, key=lambda s: (s.start_s, LABELS.index(s.label)))
            assert strips[name].find("path", cls=first.label).get("d").startswith("M0 ")
            for label, seconds in label_seconds(segments).items():
                lanes = strips[name].find_all("path", cls=label)
                spans = [tuple(map(float, m)) for m in re.findall(r"M(\d+) [\d.]+H(\d+)", lanes[0].get("d"))] if lanes else []
                assert sum(b - a for a, b in spans) == pytest.approx(seconds / duration_s * 1000, abs=len(spans) + 1)


@needs_chromium
@pytest.mark.parametrize("query, key", [  # empty cells (a failed file's) last in either direction, ties by #
    ("sort=duration_s:desc", lambda i, r: (r.duration_s is None, -(r.duration_s or 0), i)),
    ("sort=file", lambda i, r: (False, r.file.lower(), i)),
    ("sort=speech:asc", lambda i, r: (r.status == "failed", float(f"{r.share('speech') or 0:.6g}"), i)),
])
def test_sorting_the_table_in_chromium(archive, query, key):
    _, summary, labels_dir, truth, page = archive
    a = load_archive([str(summary)], str(labels_dir))
    expected = [str(i) for i, r in sorted(enumerate(a.rows, start=1), key=lambda ir: key(*ir))]
    dom = browser.dump_dom(page, query)
    assert [r.get("data-i") for r in _file_rows(dom)] == expected
    column, _, direction = query[len("sort="):].partition(":")
    th = dom.by_id("file-table").find("th", data_key=column)
    assert th.get("aria-sort") == ("descending" if direction == "desc" else "ascending")


@needs_chromium
def test_screenshot_shows_the_label_colours_where_the_dom_puts_them(archive, dom, tmp_path):
    _, _, _, truth, page = archive
    shot = browser.screenshot(page, tmp_path / "shot.png")
    assert shot.size == browser.WINDOW

    def colour_at(x, y):
        return nearest_label(shot.getpixel((int(x), int(y))), max_distance=12)

    for label in LABELS:
        x, y, w, h = dom.find("div", **{"class": f"fill {label}"}).rect()
        assert w > 4 and colour_at(x + w / 2, y + h / 2) == label
        tallest = max(dom.by_id(f"hist-{label}").find_all("rect", cls="bin"), key=lambda b: int(b.get("data-files")))
        x, y, w, h = tallest.rect()
        assert h > 10 and colour_at(x + w / 2, y + h / 2) == label
    for row in _file_rows(dom)[:4]:  # each strip starts with its file's first label, in its row
        status, duration_s, segments = truth[row.get("data-file")]
        if not segments:
            continue
        first = min(segments, key=lambda s: (s.start_s, LABELS.index(s.label)))
        x, y, w, h = row.find("svg", cls="strip").rect()
        row_y = y + (LABELS.index(first.label) + 0.4) * h / len(LABELS)
        assert colour_at(x + 2, row_y) == first.label


@needs_chromium
def test_the_page_requests_nothing(archive, tmp_path):
    page = archive[4]
    assert browser.page_requests(page, tmp_path / "net.json", "sort=file") == []
    control = tmp_path / "control.html"  # the check sees a page's requests
    control.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    assert browser.page_requests(control, tmp_path / "net2.json") == ["http://127.0.0.1:9/x.png"]
