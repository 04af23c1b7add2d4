"""What the monitor asks of the engine: a live source's audio read tens of ms at a time
(``Tagger(live_read_s=...)``, ``RingBuffer.wait_available``) gives the same events, and
``Tagger.delivery()`` tells the watchdog how much audio has come and when."""

from __future__ import annotations

import threading
import time

import numpy as np

from stream_tagger.engine import Tagger
from stream_tagger.events import Hop, Segment
from stream_tagger.ring_buffer import RingBuffer
from stream_tagger.sources import FileSource


def test_wait_available_waits_for_a_batch_or_the_timeout_or_the_end():
    ring = RingBuffer(1000)
    ring.write(np.ones(10, np.float32))
    t0 = time.monotonic()
    ring.wait_available(50, 0.3)  # only 10 there: waits the timeout
    assert time.monotonic() - t0 >= 0.25 and ring.available() == 10

    def later():
        time.sleep(0.1)
        ring.write(np.ones(30, np.float32))
        time.sleep(0.1)
        ring.write(np.ones(30, np.float32))

    threading.Thread(target=later).start()
    ring.wait_available(50, 5)
    assert ring.available() == 70  # woke once 50 were there, not at the first 30
    ring.read(100)
    ring.write(np.ones(10, np.float32))
    time.sleep(0.05)
    t0 = time.monotonic()
    ring.wait_available(50, 5, max_age_s=0.2)  # the 10 waiting since 50 ms: at most 150 ms more
    assert 0.1 <= time.monotonic() - t0 < 1.0
    ring.read(100)
    ring.close()
    t0 = time.monotonic()
    ring.wait_available(50, 5)  # closed: no wait
    assert time.monotonic() - t0 < 1


def test_live_read_s_gives_the_same_events(engine_model, bursts_wav):
    def events(live_read_s):
        tagger = Tagger(engine_model, live_read_s=live_read_s)
        out = [(type(e).__name__, e.start_s, e.end_s, tuple(sorted(e.labels)) if isinstance(e, Hop) else e.label)
               for e in tagger.stream(FileSource(bursts_wav, speed=8.0)) if isinstance(e, (Hop, Segment))]
        delivered, last_s, rate, ended = tagger.delivery()
        assert delivered == 160000 and rate == 16000 and ended and last_s is not None
        return out, tagger.stats.dropped_samples

    (a, dropped_a), (b, dropped_b) = events(0.0), events(0.05)
    assert dropped_a == dropped_b == 0
    assert a == b and len(a) > 40


def _count_pushes(monkeypatch) -> list:
    """The sizes of the analysis' pushes (each one wake-up of the worker with audio)."""
    from stream_tagger import analysis

    calls: list = []
    push = analysis.Analysis.push
    monkeypatch.setattr(analysis.Analysis, "push", lambda self, x: calls.append(x.shape[0]) or push(self, x))
    return calls


def test_live_read_s_reads_a_hop_at_a_time(engine_model, bursts_wav, monkeypatch):
    """A paced 16 kHz source at twice real time: the worker wakes about once a hop (the next
    hop's last window complete), not every 50 ms of wall clock (2.5 times a hop here)."""
    calls = _count_pushes(monkeypatch)
    tagger = Tagger(engine_model, live_read_s=0.05)
    hops = sum(isinstance(e, Hop) for e in tagger.stream(FileSource(bursts_wav, speed=2.0)))
    assert hops == 40 and tagger.stats.dropped_samples == 0
    assert len(calls) <= 1.3 * hops + 3, (len(calls), hops)


def test_live_read_s_on_a_resampled_source_gives_the_same_events(engine_model, bursts_flac44, monkeypatch):
    """44.1 kHz: the source samples a hop needs include the resampler's look-ahead; same events
    as reading every block, and still about one wake-up a hop."""
    def events(live_read_s):
        tagger = Tagger(engine_model, live_read_s=live_read_s)
        return [(type(e).__name__, e.start_s, e.end_s, tuple(sorted(e.labels)) if isinstance(e, Hop) else e.label)
                for e in tagger.stream(FileSource(bursts_flac44, speed=4.0)) if isinstance(e, (Hop, Segment))]

    a = events(0.0)
    calls = _count_pushes(monkeypatch)
    b = events(0.05)
    hops = sum(e[0] == "Hop" for e in b)
    assert a == b and hops == 40
    assert len(calls) <= 1.5 * hops + 3, (len(calls), hops)
