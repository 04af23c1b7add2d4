"""The ring buffer between a source and the analysis: overruns drop the oldest audio and keep
positions, blocking writes wait for room, and each sample's write time is known."""

from __future__ import annotations

import threading

import numpy as np

from stream_tagger.ring_buffer import RingBuffer


def test_ring_buffer_drops_oldest_and_keeps_positions():
    rb = RingBuffer(100)
    rb.write(np.arange(60, dtype=np.float32))
    rb.write(np.arange(60, 120, dtype=np.float32))  # 20 oldest samples overwritten
    assert rb.dropped_samples == 20
    start, x = rb.read(1000)
    assert start == 20
    np.testing.assert_array_equal(x, np.arange(20, 120, dtype=np.float32))
    rb.write(np.arange(120, 130, dtype=np.float32))
    start, x = rb.read(5)
    assert start == 120 and x.tolist() == [120, 121, 122, 123, 124]
    rb.close()
    assert rb.read(100)[0] == 125
    assert rb.read(100) is None


def test_ring_buffer_drops_exactly_what_does_not_fit():
    """Filled to exactly its capacity nothing is dropped; one sample more drops one; a single
    write larger than the ring keeps its newest ``capacity`` samples."""
    rb = RingBuffer(100)
    assert rb.write(np.arange(40, dtype=np.float32)) == 0
    assert rb.write(np.arange(40, 100, dtype=np.float32)) == 0  # 100 unread: full, nothing lost
    assert rb.dropped_samples == 0 and rb.available() == 100
    assert rb.write(np.array([100], np.float32)) == 1
    assert rb.dropped_samples == 1
    start, x = rb.read(1000)
    assert start == 1 and x.tolist() == list(range(1, 101))
    assert rb.write(np.arange(101, 351, dtype=np.float32)) == 150  # 250 samples into 100
    assert rb.dropped_samples == 151
    start, x = rb.read(1000)
    assert start == 251 and x.tolist() == list(range(251, 351))
    assert rb.write(np.arange(351, 451, dtype=np.float32)) == 0 and rb.read(1000)[0] == 351


def test_ring_buffer_blocking_write_never_drops():
    rb = RingBuffer(64)
    data = np.arange(10_000, dtype=np.float32)
    got = []

    def reader():
        while (r := rb.read(50)) is not None:
            got.append(r[1])

    th = threading.Thread(target=reader)
    th.start()
    assert rb.write_blocking(data)
    rb.close()
    th.join(5)
    np.testing.assert_array_equal(np.concatenate(got), data)
    assert rb.dropped_samples == 0


def test_ring_buffer_blocking_write_waits_for_room_without_overwriting():
    """Without a reader, a blocking write stores what fits (the free room, not the capacity) and
    then waits: with a timeout it gives up, and the unread audio is intact."""
    rb = RingBuffer(10)
    assert rb.write_blocking(np.arange(8, dtype=np.float32))
    assert rb.read(5)[0] == 0  # 3 unread, room for 7
    assert rb.write_blocking(np.arange(8, 16, dtype=np.float32), timeout_s=0.2) is False
    start, x = rb.read(100)
    assert start == 5 and x.tolist() == list(range(5, 15)) and rb.dropped_samples == 0


def test_ring_buffer_knows_when_each_sample_was_written():
    """``time_available(p)``: the monotonic time of the write that brought sample ``p - 1``."""
    import time

    rb = RingBuffer(100)
    t0 = time.monotonic()
    rb.write(np.zeros(10, np.float32))
    time.sleep(0.002)  # two writes at distinct times
    t1 = time.monotonic()
    rb.write_blocking(np.zeros(10, np.float32))
    assert t0 <= rb.time_available(1) == rb.time_available(10) < t1
    assert t1 <= rb.time_available(11) == rb.time_available(20)
    assert rb.time_available(21) is None
