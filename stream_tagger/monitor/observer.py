"""What the monitor does with one stream: alert lines and notifications, figures for the metrics,
the as-run log. :class:`StreamObserver` is fed the stream's events on the thread that consumes
them (never the analysis worker, which only queues events), and a :class:`Watchdog` thread looks
at every stream's deliveries for the ``gap`` rules.
"""

from __future__ import annotations

import json
import re
import threading
import time

from ..events import LABELS, Hop, Segment
from ..outputs import write_text
from .alerts import AlertBook, Change, log, parse_utc

WATCH_PERIOD_S = 0.1
UTC_REANCHOR_S = 1.0  # a source that falls this far behind the wall clock (a stall) gets a new anchor


def stream_name(text: str) -> str:
    """A stream's name as a folder name and metric label: letters, digits, ``._-`` (others become ``-``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.") or "stream"
    return name[:100]


def default_stream_name(source) -> str:
    """A source's own name (a network stream's), else its file's stem, ``stdin`` or its device's name."""
    name = getattr(source, "name", None)
    if name:
        return stream_name(name)
    path = getattr(source, "path", None)
    if path:
        import os

        return stream_name(os.path.splitext(os.path.basename(path))[0])
    desc = getattr(source, "description", "") or "stream"
    return "stdin" if desc == "standard input" else stream_name(desc)


def gap_type():
    """:class:`stream_tagger.events.Gap` when the events know gaps (network streams), else None."""
    from .. import events

    return getattr(events, "Gap", None)


class LineOut:
    """Standard output shared by the threads writing lines (the consumer, the watchdog, other
    feeds'): each line is written whole under one lock. ``stream``: a name added as the first
    field of every JSON line (``monitor``'s many feeds)."""

    def __init__(self, out, stream: str | None = None, lock: threading.Lock | None = None):
        self.out = out
        self.stream = stream
        self.lock = lock or threading.Lock()
        self._prefix = '{"stream": ' + json.dumps(stream) + ", " if stream else None

    def write(self, text: str) -> None:
        if self.out is None:  # standard output closed (the window's runs)
            return
        if self._prefix:
            text = "".join(self._prefix + ln[1:] if ln.startswith("{") else ln for ln in text.splitlines(True))
        with self.lock:
            write_text(self.out, text)

    def flush(self) -> None:
        pass

    def line(self, record: dict) -> bool:
        """Write one JSON line; False if standard output is gone."""
        try:
            self.write(json.dumps(record) + "\n")
            return True
        except (OSError, ValueError):
            return False


class UtcMap:
    """Stream seconds -> wall-clock epoch seconds, for events that carry no ``utc`` of their own
    (files, standard input): anchored on when the first samples were delivered, re-anchored where
    the wall clock has run over :data:`UTC_REANCHOR_S` ahead of the sample count (a stall). A
    source faster than real time (``replay --speed 10``) keeps its anchor: its times run at its
    own pace from its start, and never go backwards."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._points: list[tuple[float, float]] = []  # (stream s from, wall - stream offset)
        self._last_pos = 0.0

    def reset(self) -> None:
        self._points.clear()
        self._last_pos = 0.0

    def update(self, samples: int, last_s: float | None, rate_hz: int) -> None:
        if last_s is None or rate_hz <= 0 or samples <= 0:
            return
        pos = samples / rate_hz
        off = self.clock() - (time.monotonic() - last_s) - pos
        if not self._points:
            self._points.append((0.0, off))
        elif off - self._points[-1][1] > UTC_REANCHOR_S:
            self._points.append((self._last_pos, off))
            del self._points[:-1000]
        self._last_pos = pos

    def __call__(self, stream_s: float) -> float:
        pts = self._points
        if not pts:
            return self.clock()
        off = pts[0][1]
        for start, o in reversed(pts):
            if start <= stream_s:
                off = o
                break
        return stream_s + off


class Figures:
    """A stream's running totals for the metrics (written by its consumer thread, read by scrapes)."""

    def __init__(self):
        self.label_seconds = {lab: 0.0 for lab in LABELS}
        self.labels_on: frozenset = frozenset()
        self.level_dbfs: float | None = None
        self.dropped_before = 0  # 16 kHz samples dropped in earlier runs of the feed
        self.dropped_samples = 0
        self.audio_s = 0.0
        self.processing_before = 0.0  # analysis seconds of earlier runs
        self.lost_before = 0
        self.reconnects_before = 0
        self.hops = 0
        self.segments = 0
        self.gaps = 0
        self.gap_seconds = 0.0
        self.restarts = 0
        self.up = False


class StreamObserver:
    """One stream's monitoring (see module docstring).

    ``name``: the stream's name (metric label, as-run folder, ``STREAM_TAGGER_STREAM``);
    ``rules``: :class:`~stream_tagger.monitor.alerts.Rule` list; ``out``: a :class:`LineOut` for
    the alert lines (None: no lines); ``notifier``: a :class:`~stream_tagger.monitor.alerts.Notifier`
    or None; ``asrun``: an :class:`~stream_tagger.monitor.asrun.AsRunLog` or None; ``clock``:
    wall-clock epoch seconds (injectable for tests); ``notify_stream``: name the stream in
    notifications (many feeds)."""

    def __init__(self, name: str, rules=(), out: LineOut | None = None, notifier=None, asrun=None,
                 clock=time.time, notify_stream: bool = True):
        self.name = name
        self.out = out
        self.notifier = notifier
        self.asrun = asrun
        self.clock = clock
        self.notify_stream = notify_stream
        self.figures = Figures()
        self.book = AlertBook(rules, self._on_change)
        self.utc_of = UtcMap(clock)
        self.tagger = None
        self.source = None
        self.changes: list[Change] = []  # the latest changes (for the window's status), bounded
        self._watching = False
        self._between_runs = False  # a failed run is over, the next has not begun
        self._seen: tuple = (0, None, 0)  # (samples, monotonic s of the latest, rate Hz) the watchdog saw
        self._attached_s = time.monotonic()
        self._gap = gap_type()

    # -- runs ------------------------------------------------------------------------------
    def attach(self, tagger, source) -> None:
        """A run of ``tagger`` on ``source`` is starting (the first, or a restarted feed's)."""
        f = self.figures
        if self.tagger is not None:  # a restart: the previous run's totals carry over
            f.dropped_before += f.dropped_samples
            f.dropped_samples = 0
            f.processing_before += self.tagger.stats.processing_s
            f.lost_before += self.tagger.stats.lost_events
            f.reconnects_before += int(getattr(self.source, "reconnects", 0) or 0)
            f.restarts += 1
        self.tagger, self.source = tagger, source
        self.book.reset()
        self.utc_of.reset()
        self._attached_s = time.monotonic()
        f.up = True
        self._between_runs = False
        self._watching = True

    def finish(self, failed: bool = False) -> None:
        """The run has ended (its open segments are flushed). After a clean end (a file's), no
        more gap checks; after a failure (a vanished device, a stream that gave up) the gap rules
        go on counting from the last audio, until a new run delivers again."""
        self.figures.up = False
        if failed:
            self._between_runs = self._watching = True
        else:
            self._watching = False
        if self.asrun is not None:
            self.asrun.close()

    # -- events (consumer thread) ------------------------------------------------------------
    def event(self, ev) -> None:
        if self.tagger is not None:
            d = self.tagger.delivery()
            self.utc_of.update(d[0], d[1], d[2])
        if isinstance(ev, Hop):
            self._hop(ev)
        elif isinstance(ev, Segment):
            self._segment(ev)
        elif self._gap is not None and isinstance(ev, self._gap):
            self._on_gap(ev)

    def _utc(self, ev, stream_s: float) -> float:
        """Wall-clock epoch s of stream time ``stream_s`` within event ``ev`` (its own ``utc`` when it has one)."""
        t = parse_utc(getattr(ev, "utc", None))
        if t is not None:
            return t + (stream_s - ev.start_s)
        return self.utc_of(stream_s)

    def _hop(self, hop: Hop) -> None:
        f = self.figures
        dt = hop.end_s - hop.start_s
        for lab in hop.labels:
            if lab in f.label_seconds:
                f.label_seconds[lab] += dt
        f.audio_s += dt
        f.labels_on = frozenset(hop.labels)
        f.level_dbfs = float(hop.level_dbfs)
        f.dropped_samples = int(hop.dropped_samples)
        f.hops += 1
        if self.book.rules:
            self.book.hop(hop, lambda s: self._utc(hop, s))

    def _segment(self, seg: Segment) -> None:
        self.figures.segments += 1
        if self.asrun is not None:
            a = self._utc(seg, seg.start_s)
            self.asrun.segment(seg.label, seg.start_s, seg.end_s, a, a + (seg.end_s - seg.start_s))

    def _on_gap(self, gap) -> None:
        f = self.figures
        seconds = float(getattr(gap, "seconds", 0.0) or 0.0)
        f.gaps += 1
        f.gap_seconds += seconds
        a, b = parse_utc(getattr(gap, "start_utc", None)), parse_utc(getattr(gap, "end_utc", None))
        b = b if b is not None else self.clock()
        a = a if a is not None else b - seconds
        start_s = float(getattr(gap, "start_s", 0.0) or 0.0)
        end_s = float(getattr(gap, "end_s", start_s) or start_s)
        self.book.gap(seconds, a, b, start_s, end_s)
        if self.asrun is not None:
            self.asrun.gap(seconds, a, b, start_s, end_s)

    # -- the watchdog's thread ---------------------------------------------------------------
    def watch(self) -> None:
        """Gap rules: how long since the source last delivered audio (wall clock)."""
        tagger = self.tagger
        if not self._watching or not any(r.is_gap for r in self.book.rules):
            return
        now = time.monotonic()
        if self._between_runs or tagger is None:  # the feed failed: no audio since what the last run delivered
            samples, last_s, rate = self._seen
            self.book.idle(max(0.0, now - (last_s or self._attached_s)), self.clock(), samples, rate)
            return
        samples, last_s, rate, ended = tagger.delivery()[:4]
        if ended:
            return
        self._seen = (samples, last_s, rate)
        idle = now - (last_s if last_s is not None else self._attached_s)
        if not self._watching or self._between_runs:  # the run ended meanwhile
            return
        self.book.idle(max(0.0, idle), self.clock(), samples, rate, gap_events=hasattr(self.source, "gaps"))

    # -- alert changes (under the book's lock) -------------------------------------------------
    def _on_change(self, change: Change) -> None:
        self.changes = (self.changes + [change])[-20:]
        record = change.record()
        if self.out is not None:
            self.out.line(record)
        if self.notifier is not None:
            self.notifier.notify(record, self.name if self.notify_stream else None)

    def status_text(self) -> str:
        """One line for a window's status bar: the firing alerts, or ``alerts ok``."""
        firing = self.book.firing_now()
        if not self.book.rules:
            return ""
        return ("ALERT " + ", ".join(firing)) if firing else "alerts ok"


class Watchdog:
    """One thread calling :meth:`StreamObserver.watch` on every observer, every :data:`WATCH_PERIOD_S`."""

    def __init__(self, observers, period_s: float = WATCH_PERIOD_S):
        self.observers = list(observers)
        self.period_s = float(period_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="Watchdog", daemon=True)

    def start(self) -> "Watchdog":
        if any(r.is_gap for o in self.observers for r in o.book.rules):
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            for o in self.observers:
                try:
                    o.watch()
                except Exception as e:  # noqa: BLE001 - a watchdog never dies of one stream
                    log(f"warning: watchdog: {o.name}: {e}")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
