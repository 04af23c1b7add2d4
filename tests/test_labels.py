"""Label files: exact text, round trips in every format, format detection, clear errors.

The TextGrid is also checked with praatio, an independent Praat TextGrid parser and writer.
"""

import io
import json

import pytest

from stream_tagger.errors import TaggerError
from stream_tagger.events import Segment
from stream_tagger.labels import (
    FORMATS,
    LabelFileError,
    extension_for,
    format_for_path,
    format_segments,
    read_segments,
    sort_segments,
    write_segments,
)

# Overlaps (music inside speech, noise across a speech boundary), a gap, unsorted on purpose.
SEGMENTS = [
    Segment(3.5, 4.25, "speech"),
    Segment(1.0, 2.0, "music"),
    Segment(0.5, 3.0, "speech"),
    Segment(0.0, 0.5, "silence"),
    Segment(2.5, 3.75, "noise"),
    Segment(0.5, 1.5, "noise"),
]


def _as_tuples(segments):
    return sorted((round(s.start_s, 6), round(s.end_s, 6), s.label) for s in segments)


def test_csv_exact_text():
    text = format_segments(SEGMENTS[:4], "csv")
    assert text == ("start,end,label\n"
                    "0.000,0.500,silence\n"
                    "0.500,3.000,speech\n"
                    "1.000,2.000,music\n"
                    "3.500,4.250,speech\n")


def test_times_to_their_precision_and_no_negative_zero():
    """csv: 3 decimals, a start a hair below 0 is "0.000" (not "-0.000"); jsonl: 6 decimals."""
    segs = [Segment(-0.0001, 1.2345678, "speech"), Segment(0.5, 4.5, "music")]
    assert format_segments(segs, "csv") == "start,end,label\n0.000,1.235,speech\n0.500,4.500,music\n"
    assert format_segments(segs, "jsonl") == ('{"start": -0.0001, "end": 1.234568, "label": "speech"}\n'
                                              '{"start": 0.5, "end": 4.5, "label": "music"}\n')


def test_per_hop_lines_exact_text():
    """The headless lines of :mod:`stream_tagger.outputs` (documented there), labels in label order."""
    from stream_tagger.events import Hop
    from stream_tagger.outputs import CSV_HEADER, hop_csv, hop_json, segment_csv, segment_json

    hop = Hop(index=5, start_s=1.25, end_s=1.5, probabilities={"speech": 0.93456, "music": 0.5, "noise": 0.0},
              level_dbfs=-23.456, labels=frozenset({"music", "speech"}), dropped_samples=160)
    assert CSV_HEADER == "type,start,end,labels,speech,music,noise,level_dbfs,dropped_samples"
    assert hop_csv(hop) == "hop,1.250,1.500,speech+music,0.9346,0.5000,0.0000,-23.46,160"
    assert hop_json(hop) == ('{"type": "hop", "index": 5, "start": 1.25, "end": 1.5, "labels": ["speech", "music"], '
                             '"probabilities": {"speech": 0.9346, "music": 0.5, "noise": 0.0}, "level_dbfs": -23.46, '
                             '"dropped_samples": 160}')
    seg = Segment(0.5, 4.5, "music")
    assert segment_csv(seg) == "segment,0.500,4.500,music,,,,,"
    assert segment_json(seg) == '{"type": "segment", "label": "music", "start": 0.5, "end": 4.5}'
    from stream_tagger.outputs import LineWriter

    for fmt, lines in (("csv", [CSV_HEADER, hop_csv(hop), segment_csv(seg), hop_csv(hop)]),
                       ("jsonl", [hop_json(hop), segment_json(seg), hop_json(hop)])):
        out = io.StringIO()
        writer = LineWriter(fmt, out)
        for ev in (hop, seg, hop):
            writer.event(ev)
        assert out.getvalue() == "".join(line + "\n" for line in lines), fmt  # one header, one line per event


def test_sort_order_breaks_ties_by_label_order():
    segs = [Segment(1.0, 2.0, "silence"), Segment(1.0, 2.0, "noise"), Segment(1.0, 3.0, "music"),
            Segment(1.0, 2.0, "speech"), Segment(1.0, 2.0, "applause"), Segment(0.0, 1.0, "zzz")]
    assert [s.label for s in sort_segments(segs)] == ["zzz", "speech", "music", "noise", "silence",
                                                      "applause"]


def test_jsonl_and_audacity_exact_text():
    segs = [Segment(0.0, 1.23, "speech"), Segment(0.5, 4.56, "music")]
    assert format_segments(segs, "jsonl") == ('{"start": 0.0, "end": 1.23, "label": "speech"}\n'
                                              '{"start": 0.5, "end": 4.56, "label": "music"}\n')
    assert format_segments(segs, "audacity") == ("0.000000\t1.230000\tspeech\n"
                                                 "0.500000\t4.560000\tmusic\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_file(tmp_path, fmt):
    path = tmp_path / f"labels{extension_for(fmt)}"
    write_segments(SEGMENTS, fmt, path, duration_s=6.0)
    assert format_for_path(path) == fmt
    assert _as_tuples(read_segments(path)) == _as_tuples(SEGMENTS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_text_stream(tmp_path, fmt):
    buf = io.StringIO()
    write_segments(SEGMENTS, fmt, buf)
    path = tmp_path / "from_stdout"
    path.write_text(buf.getvalue())
    assert _as_tuples(read_segments(path)) == _as_tuples(SEGMENTS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_segment_list_round_trips(tmp_path, fmt):
    path = tmp_path / f"empty{extension_for(fmt)}"
    write_segments([], fmt, path, duration_s=3.0)
    assert read_segments(path) == []


def test_unknown_labels_kept_and_read_sorted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("start,end,label\n2,3,Applause\n0,1,speech\n")
    assert read_segments(path) == [Segment(0.0, 1.0, "speech"), Segment(2.0, 3.0, "Applause")]


def _hand_parse_textgrid_long(text):
    """Minimal independent reader for the long format: {tier name: [(xmin, xmax, text)]}."""
    tiers, current, pending = {}, None, {}
    in_intervals = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("name ="):
            current = line.split("=", 1)[1].strip().strip('"')
            tiers[current] = []
            in_intervals = False
        elif line.startswith("intervals ["):
            in_intervals = True
            pending = {}
        elif in_intervals and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            pending[key] = value
            if key == "text":
                tiers[current].append((float(pending["xmin"]), float(pending["xmax"]), value.strip('"')))
    return tiers


def test_textgrid_tiers_are_contiguous_with_gaps_filled():
    text = format_segments(SEGMENTS, "textgrid", duration_s=6.0)
    assert text.startswith('File type = "ooTextFile"\nObject class = "TextGrid"\n')
    tiers = _hand_parse_textgrid_long(text)
    assert list(tiers) == ["speech", "music", "noise", "silence"]
    assert tiers["speech"] == [(0.0, 0.5, ""), (0.5, 3.0, "speech"), (3.0, 3.5, ""),
                               (3.5, 4.25, "speech"), (4.25, 6.0, "")]
    assert tiers["music"] == [(0.0, 1.0, ""), (1.0, 2.0, "music"), (2.0, 6.0, "")]
    assert tiers["noise"] == [(0.0, 0.5, ""), (0.5, 1.5, "noise"), (1.5, 2.5, ""),
                              (2.5, 3.75, "noise"), (3.75, 6.0, "")]
    assert tiers["silence"] == [(0.0, 0.5, "silence"), (0.5, 6.0, "")]
    for intervals in tiers.values():
        assert intervals[0][0] == 0.0 and intervals[-1][1] == 6.0
        assert all(a[1] == b[0] for a, b in zip(intervals, intervals[1:]))


def test_textgrid_xmax_defaults_to_last_end_and_merges_overlapping_same_label():
    segs = [Segment(1.0, 2.0, "speech"), Segment(1.5, 2.5, "speech"), Segment(2.5, 3.0, "speech")]
    tiers = _hand_parse_textgrid_long(format_segments(segs, "textgrid"))
    assert tiers["speech"] == [(0.0, 1.0, ""), (1.0, 3.0, "speech")]
    assert tiers["noise"] == [(0.0, 3.0, "")]


def test_textgrid_parsed_by_praatio(tmp_path):
    textgrid = pytest.importorskip("praatio.textgrid")
    path = tmp_path / "t.TextGrid"
    write_segments(SEGMENTS, "textgrid", path, duration_s=6.0)
    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=True)
    assert tg.tierNames == ("speech", "music", "noise", "silence")
    assert (tg.minTimestamp, tg.maxTimestamp) == (0.0, 6.0)
    speech = [(e.start, e.end, e.label) for e in tg.getTier("speech").entries]
    assert speech == [(0.0, 0.5, ""), (0.5, 3.0, "speech"), (3.0, 3.5, ""), (3.5, 4.25, "speech"),
                      (4.25, 6.0, "")]
    labelled = [Segment(e.start, e.end, e.label) for name in tg.tierNames
                for e in tg.getTier(name).entries if e.label]
    assert _as_tuples(labelled) == _as_tuples(SEGMENTS)


@pytest.mark.parametrize("fmt", ["long_textgrid", "short_textgrid"])
def test_reads_textgrid_written_by_praatio(tmp_path, fmt):
    textgrid = pytest.importorskip("praatio.textgrid")
    tg = textgrid.Textgrid()
    tg.addTier(textgrid.IntervalTier("speech", [(0.5, 3.0, "speech"), (3.5, 4.25, "speech")], 0, 6))
    tg.addTier(textgrid.IntervalTier("events", [(1.0, 2.0, "music"), (2.5, 3.75, 'say "hi"')], 0, 6))
    tg.addTier(textgrid.PointTier("points", [(1.0, "click")], 0, 6))
    path = tmp_path / "p.TextGrid"
    tg.save(str(path), format=fmt, includeBlankSpaces=True)
    assert _as_tuples(read_segments(path)) == _as_tuples([
        Segment(0.5, 3.0, "speech"), Segment(3.5, 4.25, "speech"), Segment(1.0, 2.0, "music"),
        Segment(2.5, 3.75, 'say "hi"')])


@pytest.mark.parametrize("text", [
    "start,end,label\n0.5,1.5,speech\n",
    "0.5,1.5,speech\n",                                    # headerless csv
    "onset,offset,event_label\n0.5,1.5,speech\n",          # DCASE-style names
    "onset\toffset\tevent_label\n0.5\t1.5\tspeech\n",      # DCASE tab-separated
    "filename\tonset\toffset\tevent_label\na.wav\t0.5\t1.5\tspeech\n",
    "0.500000\t1.500000\tspeech\n\\\t100.0\t2000.0\n",     # Audacity with a spectral line
    '{"start": 0.5, "end": 1.5, "label": "speech"}\n',
    '{"onset": 0.5, "offset": 1.5, "event_label": "speech"}\n\n',
    "\ufeffStart,End,Label\r\n0.5,1.5,speech\r\n",         # BOM, capitals, CRLF
])
def test_format_detection_and_variants(tmp_path, text):
    path = tmp_path / "in.lab"
    path.write_text(text, encoding="utf-8", newline="")
    assert read_segments(path) == [Segment(0.5, 1.5, "speech")]


def test_audacity_label_without_text_point_label_and_one_sided_label(tmp_path):
    # as Audacity's ImportLabelStruct reads them: tab-delimited, a second field that is not a
    # number is the text of a one-sided label, quotes and spaces are part of the text
    path = tmp_path / "a.txt"
    path.write_text('1.000000\t2.000000\t\n3.000000\t3.000000\tclick\n4.5\tsay "hi" there\n'
                    "5.0\t6.0\n")
    assert read_segments(path) == [Segment(1.0, 2.0, ""), Segment(3.0, 3.0, "click"),
                                   Segment(4.5, 4.5, 'say "hi" there'), Segment(5.0, 6.0, "")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_label_text_round_trips(tmp_path, fmt):
    segs = [Segment(0.0, 1.0, 'say "hi", then go'), Segment(1.0, 2.0, "música")]
    path = tmp_path / f"odd{extension_for(fmt)}"
    write_segments(segs, fmt, path)
    assert _as_tuples(read_segments(path)) == _as_tuples(segs)


def test_empty_file_is_no_segments(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    assert read_segments(path) == []


@pytest.mark.parametrize("text, fragment", [
    ("start,end,label\n0.5,abc,speech\n", "line 2: end 'abc' is not a number"),
    ("start,end,label\n2.0,1.0,speech\n", "line 2: end 1 is before start 2"),
    ("start,end,label\n-1,1.0,speech\n", "line 2: negative start"),
    ("start,end,label\n0.5,nan,speech\n", "line 2: end 'nan' is not a finite number"),
    ("start,end,label\n0.5,1.0\n", "line 2: expected 3 fields, got 2"),
    ("hello world\n", "line 1: not a label file"),
    ("a,b,c\n1,2,3\n", "line 1: expected a header"),
    ('{"start": 0.5, "end": 1.5, "label": "speech"}\n{"start": 1\n', "line 2: invalid JSON"),
    ('{"start": 0.5, "label": "speech"}\n', "line 1: no 'end' key"),
    ('{"start": 0.5, "end": 1.5, "label": 3}\n', "line 1: label 3 is not a string"),
    ('[1, 2]\n', "line 1: expected a JSON object"),
    ('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 2\ntiers? <exists>\n'
     'size = 1\nitem []:\n  item [1]:\n    class = "IntervalTier"\n    name = "speech"\n    xmin = 0\n'
     '    xmax = 2\n    intervals: size = 2\n    intervals [1]:\n      xmin = 0\n      xmax = 1\n'
     '      text = ""\n', "truncated TextGrid"),
    ('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 2\ntiers? <exists>\n'
     'size = 1\nitem []:\n  item [1]:\n    class = "IntervalTier"\n    name = "speech"\n    xmin = 0\n'
     '    xmax = 2\n    intervals: size = 1\n    intervals [1]:\n      xmin = "zero"\n', "line 16"),
])
def test_malformed_files_give_one_line_errors(tmp_path, text, fragment):
    path = tmp_path / "bad.lab"
    path.write_text(text)
    with pytest.raises(LabelFileError) as info:
        read_segments(path)
    message = str(info.value)
    assert isinstance(info.value, TaggerError)
    assert "\n" not in message
    assert str(path) in message
    assert fragment in message


def test_missing_binary_and_directory_inputs(tmp_path):
    with pytest.raises(LabelFileError, match="label file not found"):
        read_segments(tmp_path / "nope.csv")
    with pytest.raises(LabelFileError, match="is a directory"):
        read_segments(tmp_path)
    binary = tmp_path / "x.wav"
    binary.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt \xff\xfe\x00")
    with pytest.raises(LabelFileError, match="binary"):
        read_segments(binary)


def test_unwritable_path_and_unknown_format(tmp_path):
    with pytest.raises(LabelFileError, match="cannot write label file"):
        write_segments(SEGMENTS, "csv", tmp_path / "no" / "such" / "dir.csv")
    with pytest.raises(ValueError, match="unknown label format"):
        format_segments(SEGMENTS, "xml")
    with pytest.raises(ValueError):
        extension_for("xml")
    assert [extension_for(f) for f in FORMATS] == [".csv", ".jsonl", ".txt", ".TextGrid"]
    assert format_for_path("a.textgrid") == "textgrid" and format_for_path("a.wav") is None


def test_jsonl_lines_are_json_objects():
    for line in format_segments(SEGMENTS, "jsonl").splitlines():
        obj = json.loads(line)
        assert set(obj) == {"start", "end", "label"}


PRAAT_SCRIPT = """\
form Check
    sentence In
    sentence OutLong
    sentence OutShort
endform
Read from file: in$
n = Get number of tiers
xmax = Get end time
writeInfoLine: "xmax ", xmax
for t to n
    name$ = Get tier name: t
    k = Get number of intervals: t
    appendInfo: name$
    for i to k
        a = Get start time of interval: t, i
        b = Get end time of interval: t, i
        lab$ = Get label of interval: t, i
        appendInfo: "|", a, ",", b, ",", lab$
    endfor
    appendInfoLine: ""
endfor
Save as text file: outLong$
Save as short text file: outShort$
"""


def test_textgrid_read_and_rewritten_by_praat(tmp_path):
    """Praat itself (Debian package ``praat``) reads our TextGrid; its own save is byte-identical."""
    import shutil
    import subprocess

    praat = shutil.which("praat")
    if praat is None:
        pytest.skip("praat (Debian package) is not installed")
    segs = SEGMENTS + [Segment(1.0, 2.0, 'say "hi"')]
    ours = tmp_path / "ours.TextGrid"
    write_segments(segs, "textgrid", ours, duration_s=6.0)
    script = tmp_path / "check.praat"
    script.write_text(PRAAT_SCRIPT)
    long_path, short_path = tmp_path / "praat_long.TextGrid", tmp_path / "praat_short.TextGrid"
    proc = subprocess.run([praat, "--run", str(script), str(ours), str(long_path), str(short_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "xmax 6",
        "speech|0,0.5,|0.5,3,speech|3,3.5,|3.5,4.25,speech|4.25,6,",
        "music|0,1,|1,2,music|2,6,",
        "noise|0,0.5,|0.5,1.5,noise|1.5,2.5,|2.5,3.75,noise|3.75,6,",
        "silence|0,0.5,silence|0.5,6,",
        'say "hi"|0,1,|1,2,say "hi"|2,6,',
    ]
    assert long_path.read_text() == ours.read_text()
    assert _as_tuples(read_segments(short_path)) == _as_tuples(segs)
