"""Network streams (``live --url``, :class:`StreamSource`) against a real HTTP server on 127.0.0.1
that streams audio in real time and is stalled, stopped and restarted by the tests; and the
pieces under them: ring-buffer holes, the samples' wall clock, gap and ``utc`` lines."""

from __future__ import annotations

import calendar
import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import BURSTS, BURSTS_TOTAL_S, tone_bursts
from stream_server import RadioServer

from stream_tagger.events import Gap, Hop, Segment
from stream_tagger.outputs import LineWriter
from stream_tagger.ring_buffer import RingBuffer
from stream_tagger.sources.clock import SampleClock

av = pytest.importorskip("av", reason="the monitor extra (PyAV) is not installed")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TONES = [(0.0, 1.0), (2.0, 3.0)]  # the radio's 4 s loop: tone, silence, tone, silence


def _epoch(iso: str) -> float:
    assert ISO_MS.match(iso), iso
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) + int(iso[20:23]) / 1000


def _mp3(x: np.ndarray, rate: int) -> tuple[bytes, float]:
    """MP3 bytes of ``x`` and the seconds of audio they decode to (the server's pace)."""
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="MP3")
    data = buf.getvalue()
    with av.open(io.BytesIO(data)) as c:
        n = sum(f.samples for f in c.decode(audio=0))
    return data, n / rate


@pytest.fixture(scope="module")
def radio():
    """A server with a looping 4 s MP3 'radio' (44.1 kHz stereo) and some bad mounts."""
    x = tone_bursts(TONES, 4.0, rate=44100, amp=0.3)
    data, dur = _mp3(np.stack([x, x], axis=1), 44100)
    srv = RadioServer()
    srv.add_stream("/radio.mp3", data, dur, loop=True)
    srv.add_page("/page.html", 200, b"<!doctype html><html><body>" + b"<p>not audio</p>" * 200 + b"</body></html>",
                 "text/html")
    srv.add_page("/bad.wav", 200, _wav_unknown_codec(), "audio/wav")
    yield srv
    srv.close()


def _wav_unknown_codec() -> bytes:
    """A WAV whose format tag (0x9999) names no codec FFmpeg decodes."""
    import struct

    data = bytes(32000)
    fmt = struct.pack("<HHIIHH", 0x9999, 1, 16000, 32000, 2, 16)
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt "
            + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)


# ---------------------------------------------------------------------------------------------
# the pieces: ring-buffer holes, the wall clock, the lines
# ---------------------------------------------------------------------------------------------
def test_ring_buffer_holes_skip_positions_take_no_room_and_hand_over_their_tag():
    r = RingBuffer(10)
    r.write(np.arange(4, dtype=np.float32))
    r.skip(1000, "gap")  # far more than the capacity: no room taken, no sample dropped
    r.write(np.arange(4, 10, dtype=np.float32))
    assert r.available() == 10 and r.dropped_samples == 0
    start, x = r.read(100)
    assert start == 0 and list(x) == [0, 1, 2, 3]  # a read stops at the hole
    assert r.take_skipped() == []
    start, x = r.read(100)
    assert start == 1004 and list(x) == [4, 5, 6, 7, 8, 9]
    assert r.take_skipped() == ["gap"]
    # an overrun drops the oldest samples across a hole; the hole's tag is still handed over
    r.write(np.full(6, 1, np.float32))
    r.skip(50, "g2")
    r.write(np.full(8, 2, np.float32))
    assert r.dropped_samples == 4
    start, x = r.read(100)
    assert start == 1010 + 4 and list(x) == [1, 1]
    start, x = r.read(100)
    assert start == 1016 + 50 and list(x) == [2] * 8 and r.take_skipped() == ["g2"]
    # a mark (0 samples) at the end is passed when the reader catches up, even closed
    r.skip(0, "mark")
    r.close()
    assert r.read(10) is None and r.take_skipped() == ["mark"]


def test_sample_clock_dates_a_burst_back_from_its_arrival_and_spans_start_after_their_gap():
    rate = 1000
    c = SampleClock(rate)
    assert c.utc_at(0) is None
    # 3 s of audio arrive at once at t=100 (a server's burst), then 0.1 s every 0.1 s
    for end in range(100, 3001, 100):
        c.observe(end, 100.0)
    for k in range(1, 20):
        c.observe(3000 + 100 * k, 100.0 + 0.1 * k + 0.02 * (k % 3))  # up to 40 ms late
    assert c.utc_at(3000) == pytest.approx(100.0, abs=0.005)  # the burst's end is its arrival
    assert c.utc_at(0) == pytest.approx(97.0, abs=0.005)
    # after a gap: a new span, never dated before the time given
    c.start_span(10000, not_before_s=110.0)
    c.observe(10500, 109.0)  # would put position 10000 at 108.5
    assert c.utc_at(10000) == pytest.approx(110.0)
    assert c.utc_at(3000) == pytest.approx(100.0, abs=0.005)  # the old span keeps its reckoning


def test_gap_and_utc_lines_in_json_and_csv():
    hop = Hop(3, 0.75, 1.0, {"speech": 0.1, "music": 0.8, "noise": 0.1}, -20.0, frozenset({"music"}), 0,
              utc="2025-03-01T12:00:00.750Z")
    seg = Segment(0.5, 2.0, "music", utc="2025-03-01T12:00:00.500Z")
    gap = Gap("2025-03-01T12:00:02.000Z", "2025-03-01T12:00:04.500Z", 2.5, 2.0, 4.5)
    out = io.StringIO()
    w = LineWriter("jsonl", out=out, utc=True)
    for ev in (hop, seg, gap):
        w.event(ev)
    h, s, g = (json.loads(line) for line in out.getvalue().splitlines())
    assert h["utc"] == hop.utc and s["utc"] == seg.utc
    assert g == {"gap": {"start_utc": gap.start_utc, "end_utc": gap.end_utc, "seconds": 2.5, "start": 2.0,
                         "end": 4.5}}
    out = io.StringIO()
    w = LineWriter("csv", out=out, utc=True)
    for ev in (hop, seg, gap):
        w.event(ev)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(",dropped_samples,utc")
    assert all(len(line.split(",")) == 10 for line in lines)
    assert lines[1].endswith(",0," + hop.utc) and lines[2].endswith("," + seg.utc)
    assert lines[3] == f"gap,2.000,4.500,,,,,,,{gap.start_utc}/{gap.end_utc}"
    # events without a wall clock (files): no utc key, the CSV header of before
    out = io.StringIO()
    w = LineWriter("jsonl", out=out)
    w.event(Hop(0, 0.0, 0.25, {}, -20.0, frozenset()))
    assert "utc" not in json.loads(out.getvalue())


# ---------------------------------------------------------------------------------------------
# a stream's labels are its file's
# ---------------------------------------------------------------------------------------------
def test_a_stream_over_http_gives_its_files_labels(engine_model, tmp_path):
    from stream_tagger.engine import Tagger
    from stream_tagger.errors import StreamError
    from stream_tagger.sources import FileSource, StreamSource

    rate = 44100
    x = tone_bursts(BURSTS, BURSTS_TOTAL_S, rate=rate, noise_dbfs=-70.0)
    path = tmp_path / "bursts.wav"
    sf.write(path, np.stack([x, 0.8 * x], axis=1), rate, subtype="PCM_16")
    srv = RadioServer()
    try:
        srv.add_stream("/bursts.wav", path.read_bytes(), BURSTS_TOTAL_S, content_type="audio/wav", speed=20.0)
        tagger = Tagger(engine_model)
        want = list(tagger.stream(FileSource(str(path))))
        got = []
        src = StreamSource(srv.url("/bursts.wav"), timeout_s=2.0, max_retries=0, realtime=False,
                           on_status=lambda msg: None)
        with pytest.raises(StreamError, match="gave up after 0 reconnection attempts"):
            for ev in tagger.stream(src):  # the server closes at the end of the file: no retries
                got.append(ev)
    finally:
        srv.close()
    assert src.sample_rate_hz == rate and src.channels == 2
    got_hops = [e for e in got if isinstance(e, Hop)]
    want_hops = [e for e in want if isinstance(e, Hop)]
    assert [(h.index, h.start_s, h.end_s, h.labels, h.probabilities, h.level_dbfs) for h in got_hops] == \
           [(h.index, h.start_s, h.end_s, h.labels, h.probabilities, h.level_dbfs) for h in want_hops]
    assert [e for e in got if isinstance(e, Segment)] == [e for e in want if isinstance(e, Segment)]
    assert all(h.utc is not None for h in got_hops) and all(h.utc is None for h in want_hops)


# ---------------------------------------------------------------------------------------------
# the command line: bad URLs
# ---------------------------------------------------------------------------------------------
def _cli(args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.parametrize("url, needle", [
    ("http://no-such-host.invalid/radio.mp3", "cannot resolve host 'no-such-host.invalid'"),
    ("http://127.0.0.1:{closed}/radio.mp3", "connection refused"),
    ("{radio}/missing.mp3", "404"),
    ("{radio}/page.html", "serves text/html, not audio"),
    ("{radio}/bad.wav", "FFmpeg has no decoder for its audio codec"),
])
def test_a_url_that_gives_no_audio_is_one_line_and_exit_1(radio, engine_model, url, needle):
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens there once closed
    url = url.format(closed=closed, radio=radio.url("").rstrip("/"))
    r = _cli(["live", "--headless", "--url", url, "--timeout", "3", "--model", engine_model])
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stream-tagger: error: {url}: "), r.stderr
    assert needle in lines[0]
    assert r.stdout == ""


def test_without_pyav_url_names_the_monitor_extra(engine_model):
    code = ("import sys; sys.modules['av'] = None; from stream_tagger.cli import main; "
            f"sys.exit(main(['live', '--headless', '--url', 'http://127.0.0.1:9/x', '--model', {engine_model!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip() == ("stream-tagger: error: network streams (--url) need PyAV, in the 'monitor' extra: "
                                "pip install 'stream-tagger[monitor]'")


def test_url_options_that_do_not_fit_are_usage_errors():
    r = _cli(["live", "--headless", "--url", "http://127.0.0.1:9/x", "--device", "0"])
    assert r.returncode == 2 and "--device and --device-rate are for input devices" in r.stderr
    r = _cli(["live", "--headless", "--max-retries", "3"])
    assert r.returncode == 2 and "--timeout and --max-retries are for a network stream (--url)" in r.stderr
    r = _cli(["live", "--headless", "--url", "http://127.0.0.1:9/x", "--timeout", "0"])
    assert r.returncode == 2 and "timeout must be between 0.1 and 3600 seconds" in r.stderr


# ---------------------------------------------------------------------------------------------
# the command line: a live stream that stalls, drops, changes, is stopped
# ---------------------------------------------------------------------------------------------
class Live:
    """``stream-tagger live --headless --url URL ...`` as a process; its lines as they come."""

    def __init__(self, url, *args, model):
        self.proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "live", "--headless", "--url", url,
                                      "--model", model, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.out: list[dict] = []
        self.err: list[str] = []
        self._q: queue.Queue = queue.Queue()
        self._readers = [threading.Thread(target=self._read, args=(f, kind), daemon=True)
                         for f, kind in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for t in self._readers:
            t.start()

    def _read(self, f, kind):
        for line in f:
            self._q.put((kind, line))

    def _drain(self, block_s=0.0):
        try:
            kind, line = self._q.get(timeout=block_s) if block_s else self._q.get_nowait()
        except queue.Empty:
            return
        (self.out.append(json.loads(line)) if kind == "out" else self.err.append(line.rstrip("\n")))

    def wait_for(self, what, timeout_s=30.0):
        """Wait until ``what(self)`` is true (the lines so far), or fail saying what came."""
        deadline = time.monotonic() + timeout_s
        while not what(self):
            if time.monotonic() > deadline or (self.proc.poll() is not None and self._q.empty()):
                self.proc.kill()
                raise AssertionError(f"timed out waiting; stderr: {self.err}; last lines: {self.out[-3:]}")
            self._drain(0.05)
        return True

    def end(self, sig=None, timeout_s=30.0) -> int:
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout_s)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        for t in self._readers:
            t.join(5)
        while not self._q.empty():
            self._drain()
        return rc

    # what came
    def hops(self):
        return [x for x in self.out if x.get("type") == "hop"]

    def gaps(self):
        return [x["gap"] for x in self.out if "gap" in x]

    def said(self, text):
        return any(text in line for line in self.err)


def _check_utc(lines):
    """Every hop and segment has its UTC start; within one connection the hops' UTC times are as
    far apart as their stream times (the clock settles on the earliest arrivals in its first
    seconds: a step may be shorter by up to a network chunk and an MP3 frame)."""
    for x in lines:
        if x.get("type") in ("hop", "segment"):
            _epoch(x["utc"])
    hops = [x for x in lines if x.get("type") == "hop"]
    first = hops[0]
    for a, b in zip(hops, hops[1:]):
        if b["index"] != a["index"] + 1:
            first = b
            continue
        assert _epoch(b["utc"]) - _epoch(a["utc"]) == pytest.approx(b["start"] - a["start"], abs=0.12)
        assert _epoch(b["utc"]) - _epoch(first["utc"]) == pytest.approx(b["start"] - first["start"], abs=0.2)


def _check_gap(live, gap):
    """A gap line's fields agree; the analysis stopped at its start and went on after its end."""
    assert gap["seconds"] == pytest.approx(_epoch(gap["end_utc"]) - _epoch(gap["start_utc"]), abs=0.002)
    assert gap["end"] - gap["start"] == pytest.approx(gap["seconds"], abs=0.002)  # stream time skips it
    i = next(k for k, x in enumerate(live.out) if "gap" in x)
    before = [x for x in live.out[:i] if x.get("type") in ("hop", "segment")]
    after = [x for x in live.out[i + 1:] if x.get("type") == "hop"]
    assert before and after
    assert max(x["end"] for x in before) <= gap["start"] + 1e-6  # nothing glued across it
    assert min(x["start"] for x in after) >= gap["end"] - 1e-6
    assert _epoch(after[0]["utc"]) >= _epoch(gap["end_utc"]) - 0.001
    assert after[0]["index"] > [x for x in before if x.get("type") == "hop"][-1]["index"] + 1


def test_a_stalled_stream_times_out_reconnects_and_writes_its_gap(radio, engine_model):
    live = Live(radio.url("/radio.mp3"), "--timeout", "1", model=engine_model)
    live.wait_for(lambda lv: len(lv.hops()) >= 2)
    radio.stall()  # the connection stays open, silent
    live.wait_for(lambda lv: lv.gaps() and lv.hops()[-1]["start"] > lv.gaps()[0]["end"] + 1.0)
    rc = live.end(signal.SIGINT)
    assert rc == 0, live.err
    assert live.said("stalled (no data for 1 s); reconnecting") and live.said("reconnected; no audio for")
    assert not live.said("Traceback") and not live.said("error")
    gap, = live.gaps()
    assert gap["seconds"] >= 1.0  # at least the timeout went by without audio
    _check_gap(live, gap)
    _check_utc(live.out)
    assert live.said("1 gap (")  # in the closing summary


def test_a_server_restart_is_a_gap_then_audio_again(radio, engine_model):
    live = Live(radio.url("/radio.mp3"), "--timeout", "2", model=engine_model)
    live.wait_for(lambda lv: len(lv.hops()) >= 2)
    radio.stop()
    live.wait_for(lambda lv: lv.said("reconnection attempt 1 failed: connection refused"))
    time.sleep(1.0)  # down for a while
    radio.start()
    live.wait_for(lambda lv: lv.gaps() and lv.hops()[-1]["start"] > lv.gaps()[0]["end"] + 1.0)
    rc = live.end(signal.SIGINT)
    assert rc == 0, live.err
    assert live.said("connection lost") and live.said("reconnected; no audio for")
    gap, = live.gaps()
    assert gap["seconds"] >= 1.0
    _check_gap(live, gap)
    _check_utc(live.out)


def test_a_change_of_rate_and_channels_mid_stream_goes_on_without_a_gap(engine_model):
    a = tone_bursts([(0.0, 1.0)], 2.0, rate=44100, amp=0.3)  # 44.1 kHz stereo: tone at 0..1 s
    b = tone_bursts([(0.3, 1.0)], 2.0, rate=22050, amp=0.3)  # then 22.05 kHz mono: tone at 2.3..3 s
    (data_a, dur_a), (data_b, dur_b) = _mp3(np.stack([a, a], axis=1), 44100), _mp3(b, 22050)
    srv = RadioServer()
    srv.add_stream("/ab.mp3", data_a + data_b, dur_a + dur_b, loop=True)
    try:
        live = Live(srv.url("/ab.mp3"), "--timeout", "2", model=engine_model)
        live.wait_for(lambda lv: lv.hops() and lv.hops()[-1]["end"] >= 5.0)
        rc = live.end(signal.SIGINT)
    finally:
        srv.close()
    assert rc == 0, live.err
    assert live.said("stream format changed to 22050 Hz, 1 channel")
    assert live.gaps() == [] and not live.said("reconnect")
    hops = live.hops()
    for x, y in zip(hops, hops[1:]):  # one run: contiguous hops
        assert y["index"] == x["index"] + 1 and y["start"] == x["end"]
    # the 22.05 kHz part is analysed at its place in stream time (converted to the first rate)
    loud = [s for s in live.out if s.get("type") == "segment" and s["label"] != "silence"]
    assert any(abs(s["start"] - (dur_a + 0.3)) < 0.2 and abs(s["end"] - (dur_a + 1.0)) < 0.2 for s in loud), loud


def test_max_retries_used_up_is_one_error_line_exit_1_and_a_gap(radio, engine_model):
    srv = RadioServer()
    srv.add_stream("/radio.mp3", *_radio_bytes(radio), loop=True)
    try:
        live = Live(srv.url("/radio.mp3"), "--timeout", "2", "--max-retries", "2", model=engine_model)
        live.wait_for(lambda lv: len(lv.hops()) >= 2)
        srv.stop()
        rc = live.end(timeout_s=30)
    finally:
        srv.close()
    assert rc == 1
    errors = [line for line in live.err if line.startswith("stream-tagger: error:")]
    assert errors == [f"stream-tagger: error: {srv.url('/radio.mp3')}: gave up after 2 reconnection attempts "
                      "(connection refused (is the server running?))"], live.err
    assert live.said("reconnection attempt 1 of 2 failed") and live.said("reconnection attempt 2 of 2 failed")
    assert not live.said("Traceback")
    gap, = live.gaps()  # the audio missing from the drop to giving up
    assert gap["seconds"] > 1.0  # two back-off waits at least (0.5 s and 1 s)
    _check_utc(live.out)


def _radio_bytes(radio):
    route = radio._routes["/radio.mp3"]
    return route["data"], len(route["data"]) / route["rate"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_stall_ends_cleanly_with_the_gap_so_far(radio, engine_model, sig):
    srv = RadioServer()
    srv.add_stream("/radio.mp3", *_radio_bytes(radio), loop=True)
    try:
        live = Live(srv.url("/radio.mp3"), "--timeout", "60", model=engine_model)
        live.wait_for(lambda lv: len(lv.hops()) >= 2)
        srv.stall()
        time.sleep(2.5)  # longer than STOP_GAP_S: stalled, though far from the timeout
        rc = live.end(sig, timeout_s=20)  # a read that never returns does not hold the exit
    finally:
        srv.close()
    assert rc == 0, live.err
    assert live.said("done:") and not live.said("Traceback") and not live.said("error")
    gap, = live.gaps()
    assert gap["seconds"] >= 2.0
    assert live.out[-1] == {"gap": gap}  # after every segment of the audio before it
    _check_utc(live.out)
