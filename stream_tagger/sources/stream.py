"""A network stream read through PyAV (FFmpeg): Icecast/Shoutcast HTTP (MP3, AAC, Ogg), HLS
``.m3u8``, RTSP, a file URL; with reconnection and gaps.

The stream's audio is decoded and mixed to mono exactly as a file's (same sample conversion,
same :func:`~stream_tagger.audio_io.to_mono`) and delivered at the rate of its first
connection; the engine resamples it to 16 kHz as it does a file's. So a stream gives the
labels its file gives. A stream whose rate changes later is resampled to that first rate
(:class:`~stream_tagger.resampler.StreamingResampler`); a change of channels is mixed down.

Faults: every read waits at most ``timeout_s`` (a stalled server cannot freeze the analysis).
A stream that stalls, ends or fails is reconnected with back-off (:data:`BACKOFF_FIRST_S`,
doubling up to :data:`BACKOFF_MAX_S`), forever or until ``max_retries`` attempts in a row
have failed; each step is one line on stderr. The wall-clock time without audio is marked in
the ring buffer as a :class:`~stream_tagger.events.Gap` (stream time skips it, the analysis is
not glued across it). A file URL (``file:`` or a path) ends at its end.

Opening a URL, its errors in words and decoding are in :mod:`.stream_connect`.
"""

from __future__ import annotations

import math
import sys
import threading
import time

import numpy as np

from ..audio_io import check_rate, to_mono
from ..errors import PROG, StreamError, TaggerError, short_reason
from ..events import Gap, utc_iso
from ..resampler import StreamingResampler
from .clock import SampleClock
from .stream_connect import Connection, connect, display_url, frame_to_array, is_file_url

BACKOFF_FIRST_S = 0.5
"""Wait before the first reconnection attempt, seconds; it doubles with each failed attempt..."""
BACKOFF_MAX_S = 15.0
"""...up to this many seconds."""
REALTIME_LEAD_S = 5.0
"""A stream delivering faster than real time (a static file served over HTTP) is read at real
time once it is this many seconds ahead of the wall clock (a server's start-up burst passes)."""
STOP_GAP_S = 2.0
"""A stream stopped this long after its last audio arrived was stalled: a gap up to the stop."""
OUTAGE = "outage"
"""The mark put in the ring buffer where audio stopped (the engine ends its run there at once,
without waiting for the gap's end)."""


def _status_to_stderr(message: str) -> None:
    try:
        sys.stderr.write(f"{PROG}: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


class StreamSource:
    """A network stream (any URL FFmpeg opens) as a live source; see the module docstring.

    ``url``: the stream (``http://...``, ``https://...m3u8``, ``rtsp://...``, ``file:...``).
    ``timeout_s``: longest wait for a connection or a read, seconds (a stall is noticed then).
    ``max_retries``: reconnection attempts in a row before giving up (None: forever; 0: none).
    ``name``: how messages and the window name the stream (default: the URL without password).
    ``realtime``: True (live): samples that the analysis cannot take in time are dropped and
    counted, as for a device; False: read as fast as the analysis takes it (no drops), for
    recorded streams served fast. ``on_status``: called with each one-line status message
    (stall, reconnection attempts, format changes); default: written to stderr.

    Read-only state for monitoring: :attr:`connected`, :attr:`reconnects` (successful ones),
    :attr:`gaps`, :attr:`outage_since_utc` (UTC seconds since when no audio has arrived, None
    while it flows), :attr:`clock` (UTC time of sample positions). One run per instance.
    """

    def __init__(self, url: str, timeout_s: float = 10.0, max_retries: int | None = None, name: str | None = None,
                 *, realtime: bool = True, on_status=None):
        timeout_s = float(timeout_s)
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise StreamError(f"timeout must be a positive number of seconds, not {timeout_s:g}")
        if max_retries is not None and int(max_retries) < 0:
            raise StreamError("max retries must be 0 or more")
        self.url = str(url)
        self.timeout_s = timeout_s
        self.max_retries = None if max_retries is None else int(max_retries)
        self.name = name or display_url(self.url)
        self.description = self.name
        self.realtime = bool(realtime)
        self.live = self.realtime
        self.duration_s = None
        self.sample_rate_hz = 0
        self.channels = 0
        self.codec = ""
        self.clock: SampleClock | None = None
        self.connected = False
        self.reconnects = 0
        self.gaps = 0
        self.outage_since_utc: float | None = None
        self._status = on_status or _status_to_stderr
        self._is_file = is_file_url(self.url)
        self._stop = threading.Event()
        self._lock = threading.RLock()  # outage state: the reader thread and stop() (a signal handler may nest)
        self._ring = None
        self._thread: threading.Thread | None = None
        self._opened = False
        self._conn: Connection | None = None  # the open connection
        self._conv: StreamingResampler | None = None  # stream rate -> first rate, after a rate change
        self._conv_rate = 0
        self._format: tuple[int, int] | None = None  # (rate, channels) of the frames last seen
        self._last_arrival = 0.0  # monotonic s of the last block written
        self._conn_t0 = 0.0  # monotonic s of a connection's first audio (pacing)
        self._conn_samples = 0

    # -- the source protocol -----------------------------------------------------------------
    def open(self) -> None:
        """Connect and decode the first audio (the rate and channels are then known); a URL that
        does not resolve, refuses, fails (HTTP 404, ...), is not audio or has no decoder raises a
        one-line :class:`StreamError`."""
        if self._opened:
            return
        conn = self._connect()
        try:
            rate, channels = conn.first_format(REALTIME_LEAD_S)
            check_rate(rate, self.name, StreamError)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self.sample_rate_hz = self._conv_rate = rate
        self.channels = channels
        self._format = (rate, channels)
        self.codec = conn.codec_name
        self.description = f"{self.name} ({self.codec}, {channels} ch)"
        self._opened = True

    def start(self, ring) -> None:
        if not self._opened:
            self.open()
        self._ring = ring
        self.clock = SampleClock(self.sample_rate_hz)
        self._thread = threading.Thread(target=self._run, name="StreamSource", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop (any thread, a signal handler). A stream stopped while reconnecting, or after no
        audio for :data:`STOP_GAP_S` (or ``timeout_s`` if shorter), gets its gap up to now. A read
        in progress ends by itself within ``timeout_s``."""
        self._stop.set()
        with self._lock:
            stalled = self._last_arrival and time.monotonic() - self._last_arrival > min(STOP_GAP_S, self.timeout_s)
            if self.outage_since_utc is None and stalled and self.clock is not None and self._ring is not None:
                self.outage_since_utc = self.clock.utc_at(self._ring.written)
            self._close_gap(time.time())
        if self._ring is not None:
            self._ring.close()
        if self._thread is None and self._conn is not None:  # opened, never started: the reader closes it otherwise
            self._conn.close()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait until the reader thread has ended, at most ``timeout_s`` (default 2 s, so that a
        stop during a stalled read is not held up by the read timeout), after :meth:`stop`: a
        thread still inside FFmpeg when the interpreter shuts down can crash it (seen: SIGSEGV
        after the run's last line, once in five runs of a stream whose rate changed)."""
        if self._thread is not None:
            self._thread.join(2.0 if timeout_s is None else timeout_s)

    def check(self) -> None:
        """Nothing to poll: failures arrive through the ring buffer."""

    # -- connecting ----------------------------------------------------------------------------
    def _connect(self) -> Connection:
        return connect(self.url, self.name, self.timeout_s)

    # -- reading -----------------------------------------------------------------------------
    def _run(self) -> None:
        err: BaseException | None = None
        try:
            attempts = 0
            while not self._stop.is_set():
                self.connected = True
                reason = self._pump(self._conn)
                self.connected = False
                self._conn.close()
                if self._stop.is_set() or (self._is_file and reason == "ended"):
                    break
                with self._lock:
                    if self.outage_since_utc is None:
                        self.outage_since_utc = self.clock.utc_at(self._ring.written) or time.time()
                        self._ring.skip(0, OUTAGE)  # the analysis closes its segments at the last audio
                if self._delivered_since_connect:
                    attempts = 0
                conn, attempts = self._reconnect(reason, attempts)
                if conn is None:
                    break
                self._conn = conn
        except TaggerError as e:
            err = e
        except Exception as e:  # noqa: BLE001 - one line, never a traceback
            err = StreamError(f"{self.name}: {short_reason(e)}")
        finally:
            if self._conn is not None:
                self._conn.close()
            with self._lock:
                self._close_gap(time.time())
            self._ring.close(err)

    _delivered_since_connect = False

    def _reconnect(self, reason: str, attempts: int):
        """Reconnect with back-off; returns (connection or None if stopped, attempts so far).
        Raises :class:`StreamError` when ``max_retries`` attempts in a row have failed."""
        self._status(f"{self.name}: {reason}; reconnecting")
        while not self._stop.is_set():
            if self.max_retries is not None and attempts >= self.max_retries:
                raise StreamError(f"{self.name}: gave up after {attempts} reconnection attempt"
                                  f"{'s' * (attempts != 1)} ({reason})")
            delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** attempts)
            if self._stop.wait(delay):
                return None, attempts
            attempts += 1
            try:
                conn = self._connect()
                try:
                    conn.first_format(REALTIME_LEAD_S)
                except BaseException:
                    conn.close()
                    raise
                return conn, attempts
            except TaggerError as e:
                reason = str(e).removeprefix(f"{self.name}: ")
                nxt = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** attempts)
                more = "" if self.max_retries is None else f" of {self.max_retries}"
                self._status(f"{self.name}: reconnection attempt {attempts}{more} failed: {reason}"
                             + (f"; next in {nxt:g} s" if self.max_retries is None or attempts < self.max_retries else ""))
        return None, attempts

    def _pump(self, conn: Connection) -> str:
        """Deliver a connection's audio until it ends, stalls or fails; returns why it stopped."""
        self._delivered_since_connect = False
        self._conn_samples = 0
        try:
            for frame, t_arrival in conn.frames():
                if self._stop.is_set():
                    return "stopped"
                self._deliver(frame, t_arrival)
            return "ended"
        except conn.av.error.ExitError:
            return f"stalled (no data for {self.timeout_s:g} s)"
        except conn.av.error.FFmpegError as e:
            why = (getattr(e, "strerror", None) or short_reason(e)).strip()
            return f"connection lost ({why[:1].lower() + why[1:]})"
        except StreamError as e:  # undecodable from some point on: a new connection may do better
            return str(e).removeprefix(f"{self.name}: ")
        finally:
            self._flush_conv()

    def _deliver(self, frame, t_arrival: float) -> None:
        """One decoded frame: mono, at the first rate, into the ring (closing a gap first)."""
        x = to_mono(frame_to_array(frame))
        rate, channels = int(frame.sample_rate), max(1, len(frame.layout.channels))
        if (rate, channels) != self._format:
            self._format = (rate, channels)
            self._status(f"{self.name}: stream format changed to {rate} Hz, {channels} channel{'s' * (channels > 1)}")
        if rate != self._conv_rate:
            self._flush_conv()
            self._conv_rate = rate
            self._conv = StreamingResampler(rate, self.sample_rate_hz) if rate != self.sample_rate_hz else None
        self._write(self._conv.push(x) if self._conv is not None else x, t_arrival)

    def _flush_conv(self) -> None:
        if self._conv is not None:
            y = self._conv.flush()
            self._conv = None
            self._conv_rate = self.sample_rate_hz
            self._write(y, time.time())

    def _write(self, y: np.ndarray, t_arrival: float) -> None:
        if y.shape[0] == 0 or self._ring.closed:
            return
        ring = self._ring
        if not self._delivered_since_connect:
            self._delivered_since_connect = True
            missing = None
            with self._lock:
                if self.outage_since_utc is not None:  # the new audio begins its burst's length before its end
                    missing = self._close_gap(self._conn.live_edge_s - self._conn.buffered_s)
                    self.reconnects += 1
            if missing is not None:
                self._status(f"{self.name}: reconnected; no audio for {missing:.1f} s (gap)")
            self._conn_t0 = time.monotonic()
        if self.realtime:
            ring.write(y)
        elif not ring.write_blocking(y):
            return
        self._last_arrival = time.monotonic()
        self.clock.observe(ring.written, t_arrival)
        self._conn_samples += y.shape[0]
        if self.realtime:  # a stream faster than real time (a static file) is read at real time
            ahead = self._conn_samples / self.sample_rate_hz - (time.monotonic() - self._conn_t0)
            if ahead > REALTIME_LEAD_S:
                self._stop.wait(ahead - REALTIME_LEAD_S)

    def _close_gap(self, end_utc_s: float) -> float:
        """End the outage at ``end_utc_s`` (UTC s): a :class:`Gap` into the ring, stream time
        skipping it. Lock held. Returns the seconds without audio."""
        start = self.outage_since_utc
        if start is None or self._ring is None:
            return 0.0
        self.outage_since_utc = None
        seconds = max(0.0, end_utc_s - start)
        n = int(round(seconds * self.sample_rate_hz))
        if n > 0:
            pos = self._ring.written
            rate = self.sample_rate_hz
            self.gaps += 1
            self._ring.skip(n, Gap(utc_iso(start), utc_iso(end_utc_s), round(seconds, 3), pos / rate, (pos + n) / rate))
            self.clock.start_span(pos + n, not_before_s=end_utc_s)  # no audio dated inside its gap
        return seconds
