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
