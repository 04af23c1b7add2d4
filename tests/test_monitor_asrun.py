"""As-run logs: one CSV per stream per UTC day, rotated at midnight UTC (clock injected), appended
and never rewritten, a full disk (/dev/full) reported on stderr while the analysis goes on."""

from __future__ import annotations

import calendar
import json
import os
import time

import pytest
import soundfile as sf
from conftest import RATE, tone_bursts
from monitor_helpers import run

from stream_tagger.engine import Tagger
from stream_tagger.events import Segment
from stream_tagger.monitor.asrun import HEADER, AsRunLog, day_of
from stream_tagger.monitor.observer import StreamObserver
from stream_tagger.sources import FileSource

MIDNIGHT = calendar.timegm((2024, 5, 2, 0, 0, 0))  # 2024-05-01 -> 2024-05-02, UTC


@pytest.fixture(scope="module")
def minute_wav(tmp_path_factory) -> str:
    """60 s: a tone for 2 s every 5 s, silence between."""
    p = tmp_path_factory.mktemp("asrun") / "minute.wav"
    sf.write(p, tone_bursts([(5 * i, 5 * i + 2) for i in range(12)], 60.0, freq_hz=300.0), RATE, subtype="PCM_16")
    return str(p)


def _rows(path) -> list[list[str]]:
    lines = open(path, encoding="utf-8").read().splitlines()
    assert lines[0] == HEADER
    assert HEADER not in lines[1:]
    return [ln.split(",") for ln in lines[1:]]


def _run(model, wav, root, clock) -> list[Segment]:
    tagger = Tagger(model)
    obs = StreamObserver("feed", asrun=AsRunLog(str(root), "feed"), clock=clock)
    src = FileSource(wav)
    obs.attach(tagger, src)
    segs = []
    for ev in tagger.stream(src):
        obs.event(ev)
        if isinstance(ev, Segment):
            segs.append(ev)
    obs.finish()
    return segs


def test_rotation_at_midnight_utc_with_an_injected_clock(engine_model, minute_wav, tmp_path):
    m0 = time.monotonic()

    def clock():  # the wall clock reads 23:59:40 UTC when the run starts
        return MIDNIGHT - 20.0 + (time.monotonic() - m0)

    segs = _run(engine_model, minute_wav, tmp_path, clock)
    folder = tmp_path / "feed"
    assert sorted(os.listdir(folder)) == ["2024-05-01.csv", "2024-05-02.csv"]
    day1, day2 = _rows(folder / "2024-05-01.csv"), _rows(folder / "2024-05-02.csv")
    assert day1 and day2
    assert all(r[1] <= "2024-05-02T00:00:00.000Z" and r[0] >= "2024-05-01T" for r in day1)
    assert all(r[0] >= "2024-05-02T00:00:00.000Z" for r in day2)
    # the rows are the segments, the one(s) running over midnight split there
    split = [r for r in day1 if r[1] == "2024-05-02T00:00:00.000Z"]
    assert split and len(split) == len([r for r in day2 if r[0] == "2024-05-02T00:00:00.000Z"])
    got = []
    for start_utc, end_utc, label, a, b, dur in day1 + day2:
        assert abs(float(b) - float(a) - float(dur)) < 0.0015
        joined = [i for i, (lab, _, end, end_utc0) in enumerate(got)
                  if lab == label and end == a and end_utc0 == start_utc == "2024-05-02T00:00:00.000Z"]
        if joined:
            got[joined[0]] = (label, got[joined[0]][1], b, end_utc)
        else:
            got.append((label, a, b, end_utc))
    want = [(s.label, f"{s.start_s:.3f}", f"{s.end_s:.3f}") for s in segs]
    assert sorted(g[:3] for g in got) == sorted(want)
    # a second run (a restart) appends: the first run's bytes stay as they were
    before = {p: open(folder / p, "rb").read() for p in os.listdir(folder)}
    m0 = time.monotonic()
    _run(engine_model, minute_wav, tmp_path, clock)
    for p, old in before.items():
        new = open(folder / p, "rb").read()
        assert len(new) > len(old) and new.startswith(old)
        _rows(folder / p)  # still one header


def test_full_disk_is_one_line_and_the_analysis_goes_on(engine_model, minute_wav, tmp_path):
    folder = tmp_path / "logs" / "minute"
    folder.mkdir(parents=True)
    now = time.time()
    for t in (now - 86400, now, now + 86400):
        os.symlink("/dev/full", folder / f"{day_of(t)}.csv")
    r = run("replay", minute_wav, "--headless", "--fast", "--model", engine_model, "--log-dir", tmp_path / "logs")
    assert r.returncode == 0, r.stderr
    segs = [json.loads(ln) for ln in r.stdout.splitlines() if '"segment"' in ln]
    assert len(segs) >= 24 and segs[-1]["end"] == 60.0  # every segment written to stdout
    warn = [ln for ln in r.stderr.splitlines() if "as-run log" in ln]
    assert len(warn) == 2, r.stderr  # the failure once, and what is left unwritten at the end
    assert "cannot write (No space left on device)" in warn[0] and "the analysis goes on" in warn[0]
    assert f"{len(segs)} rows could not be written" in warn[1]
    assert "0.00 s dropped" in r.stderr and "Traceback" not in r.stderr


def test_rows_kept_while_the_disk_is_full_are_written_when_it_has_room(tmp_path, capsys):
    t0 = MIDNIGHT + 3600.0
    log = AsRunLog(str(tmp_path), "feed")
    path = tmp_path / "feed" / "2024-05-02.csv"
    os.symlink("/dev/full", path)
    log.segment("speech", 0.0, 2.5, t0, t0 + 2.5)
    log.segment("music", 2.5, 4.0, t0 + 2.5, t0 + 4.0)
    assert log.pending_rows == 2
    err = capsys.readouterr().err
    assert err.count("cannot write (No space left on device)") == 1
    os.unlink(path)  # room again
    log.segment("silence", 4.0, 5.0, t0 + 4.0, t0 + 5.0)
    log.close()
    rows = _rows(path)
    assert [r[2:] for r in rows] == [["speech", "0.000", "2.500", "2.500"], ["music", "2.500", "4.000", "1.500"],
                                      ["silence", "4.000", "5.000", "1.000"]]
    assert rows[0][:2] == ["2024-05-02T01:00:00.000Z", "2024-05-02T01:00:02.500Z"]
    assert "as-run log" in capsys.readouterr().err  # writing again


def test_a_cut_last_row_is_ended_before_appending(tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "2024-05-02.csv").write_text(HEADER + "\n2024-05-02T00:00:00.000Z,2024-05-02T00:00:0")
    log = AsRunLog(str(tmp_path), "feed")
    log.segment("noise", 10.0, 11.0, MIDNIGHT + 10, MIDNIGHT + 11)
    log.close()
    lines = open(folder / "2024-05-02.csv").read().splitlines()
    assert lines[-1] == "2024-05-02T00:00:10.000Z,2024-05-02T00:00:11.000Z,noise,10.000,11.000,1.000"
    assert lines[-2] == "2024-05-02T00:00:00.000Z,2024-05-02T00:00:0"
