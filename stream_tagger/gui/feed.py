"""What the window reads: the engine's events and a snapshot of its state, thread-safely.

The engine's threads call :meth:`Feed.on_hop` / :meth:`Feed.on_segment` / :meth:`Feed.on_gap`, which only append to a
lock-free queue (``queue.SimpleQueue.put`` never blocks), so the GUI cannot slow the analysis
down. The GUI thread calls :meth:`Feed.drain` and :meth:`Feed.snapshot` from its timer.
"""

from __future__ import annotations

import dataclasses
import math
import queue
import threading
from dataclasses import dataclass

import numpy as np

from ..events import Gap, Hop, Segment


@dataclass(frozen=True)
class FeedSnapshot:
    """The engine's state at one moment, as the window shows it.

    ``stream_time_s``: stream seconds analysed so far (from sample counts).
    ``logmel``: recent frontend frames ``(n_mels, n)``, the last one being global frame
    ``logmel_end_frame - 1`` (frame k is centred on stream time ``k * frame_hop_s``).
    ``load``: processing time / stream time over the recent past (None before known).
    """

    stream_time_s: float
    sample_rate_hz: int
    source_description: str
    level_dbfs: float | None
    load: float | None
    dropped_samples: int
    logmel: np.ndarray | None
    logmel_end_frame: int
    running: bool


class Feed:
    """Base: the queue side. Subclasses bind it to the engine (see :meth:`start`)."""

    network_labels: tuple[str, ...] = ("speech", "music", "noise")
    n_mels: int = 64
    frame_hop_s: float = 0.01
    is_live: bool = False  # an input device (the window offers to switch it)
    is_network: bool = False  # a network stream

    def __init__(self):
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self.thresholds: dict[str, float] = {}
        self.silence_dbfs: float = -50.0
        self.source_description = ""

    # called from the engine's threads: must never block
    def on_hop(self, hop: Hop) -> None:
        self._events.put(hop)

    def on_segment(self, seg: Segment) -> None:
        self._events.put(seg)

    def on_gap(self, gap: Gap) -> None:
        self._events.put(gap)

    # called from the GUI thread
    def drain(self, max_events: int = 100000) -> list:
        out = []
        try:
            while len(out) < max_events:
                out.append(self._events.get_nowait())
        except queue.Empty:
            pass
        return out

    def alert_status(self) -> str:
        """The alert rules' state for the status bar (``ALERT rule, ...``, ``alerts ok``; empty: no rules)."""
        return ""

    def snapshot(self) -> FeedSnapshot:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_silence_dbfs(self, value_dbfs: float) -> None:
        self.silence_dbfs = float(value_dbfs)

    def input_devices(self) -> list[tuple[object, str]]:
        """``(device id, name)`` of the input devices (live streams only)."""
        return []

    def current_device(self):
        return None

    def switch_device(self, device) -> None:
        raise NotImplementedError("this source has no devices")

    def stop(self) -> None:
        """Stop the stream and join the engine's threads."""

    def error(self):
        """The error that ended the stream, if any (a TaggerError), else None."""
        return None

    @classmethod
    def start(cls, tagger, source, play: bool = False, duration_s: float | None = None,
              observer=None) -> "EngineFeed":
        """Start ``tagger`` on ``source`` and return the feed that follows it (``duration_s``:
        analyse only the source's first seconds, see :meth:`~stream_tagger.engine.Tagger.stream`).

        ``play``: replace a file source by :class:`~stream_tagger.gui.playback.PlayingFileSource`
        (the file is played to the default output, paced by the sound card). ``observer``: gets
        every event too (``observer.event(ev)``, on the run's thread; a monitor's alerts, metrics
        and as-run log) and gives :meth:`alert_status` (``observer.status_text()``)."""
        if play:
            from ..sources import FileSource
            from .playback import PlayingFileSource

            if not isinstance(source, FileSource):
                from ..errors import TaggerError

                raise TaggerError("--play needs an audio file (not standard input)")
            source = PlayingFileSource(source.path)
            source.open()
        feed = EngineFeed(tagger, source, duration_s=duration_s)
        feed.observer = observer
        feed.begin()
        return feed


class EngineFeed(Feed):
    """A feed bound to :class:`stream_tagger.engine.Tagger`.

    ``tagger.run(source, on_hop, on_segment)`` runs in a thread of its own ("TaggerRun"); the
    engine's worker and the source's thread (or audio callback) are below it. :meth:`stop` calls
    ``tagger.stop()`` (open segments are flushed into the queue) and joins that thread, which
    returns only after the engine has joined its worker.

    Live input can be switched to another device: the current run is stopped and a new one
    started; its stream time continues where the previous one ended (``time_offset_s``).
    """

    def __init__(self, tagger, source, duration_s: float | None = None):
        super().__init__()
        self.tagger = tagger
        self.source = source
        self.duration_s = duration_s  # seconds of the source to analyse (None: all of it)
        self.network_labels = tuple(tagger.model.labels)
        self.n_mels = int(tagger.params.n_mels)
        self.frame_hop_s = tagger.params.hop_samples / tagger.params.sample_rate_hz
        self.thresholds = {k: float(v) for k, v in tagger.decision.thresholds.items()}
        self.silence_dbfs = float(tagger.decision.silence_dbfs)
        self.source_description = getattr(source, "description", "")
        from ..sources import MicSource, StreamSource

        self.is_live = isinstance(source, MicSource)
        self.is_network = isinstance(source, StreamSource)
        self.time_offset_s = 0.0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    # -- running ---------------------------------------------------------------------------
    def begin(self) -> None:
        """Start the analysis thread."""
        self._error = None
        self._thread = threading.Thread(target=self._run, name="TaggerRun", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.tagger.run(self.source, on_hop=self.on_hop, on_segment=self.on_segment, duration_s=self.duration_s,
                            on_gap=self.on_gap)
        except BaseException as e:  # noqa: BLE001 - shown by the window, reported at exit
            self._error = e

    observer = None

    def alert_status(self) -> str:
        return self.observer.status_text() if self.observer is not None else ""

    def on_hop(self, hop: Hop) -> None:
        if self.observer is not None:
            self.observer.event(hop)
        if self.time_offset_s:
            off = self.time_offset_s
            hop = dataclasses.replace(hop, start_s=hop.start_s + off, end_s=hop.end_s + off,
                                      index=hop.index + int(round(off / (hop.end_s - hop.start_s or 1))))
        self._events.put(hop)

    def on_gap(self, gap) -> None:
        """A network stream's gap (when the engine reports gaps): to the observer, then the window."""
        if self.observer is not None:
            self.observer.event(gap)
        self._events.put(gap)

    def on_segment(self, seg: Segment) -> None:
        if self.observer is not None:
            self.observer.event(seg)
        if self.time_offset_s:
            seg = Segment(round(seg.start_s + self.time_offset_s, 2), round(seg.end_s + self.time_offset_s, 2), seg.label)
        self._events.put(seg)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def threads_alive(self) -> list[str]:
        """Names of the engine-side threads still running (for tests of a clean shutdown)."""
        names = ("TaggerRun", "TaggerWorker", "FileSource", "StdinSource", "PlayingFileSource")
        return [t.name for t in threading.enumerate() if t.name in names and t.is_alive()]

    def snapshot(self) -> FeedSnapshot:
        s = self.tagger.snapshot()
        hop = self.frame_hop_s
        off = self.time_offset_s
        return FeedSnapshot(
            stream_time_s=s.stream_time_s + off,
            sample_rate_hz=int(s.source_rate_hz or s.sample_rate_hz),
            source_description=s.source_description or self.source_description,
            level_dbfs=s.level_dbfs if s.stream_time_s > 0 else None,
            load=s.load if s.stream_time_s > 0 else None,
            dropped_samples=int(s.dropped_samples) + self._dropped_before,
            logmel=s.logmel,
            logmel_end_frame=int(round((s.logmel_end_s + off) / hop)),
            running=self.running,
        )

    _dropped_before = 0

    def set_silence_dbfs(self, value_dbfs: float) -> None:
        """Live: the engine's decider reads ``decision.silence_dbfs`` at every hop."""
        self.silence_dbfs = float(value_dbfs)
        self.tagger.decision.silence_dbfs = float(value_dbfs)

    def stop(self, timeout_s: float = 15.0) -> None:
        self.tagger.stop()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout_s)
        # the engine stops its source but does not wait for a reader thread of the source's own
        join = getattr(self.source, "join", None)
        if join is not None:
            join(timeout_s)

    def error(self):
        return self._error

    # -- live devices ----------------------------------------------------------------------
    def input_devices(self) -> list[tuple[object, str]]:
        if not self.is_live:
            return []
        from ..sources import list_input_devices

        try:
            return [(d["index"], f"{d['name']} ({d['hostapi']})") for d in list_input_devices()]
        except Exception:
            return []

    def current_device(self):
        info = getattr(self.source, "device_info", None)
        return info["index"] if info else None

    def switch_device(self, device) -> None:
        """Stop the current run and continue the stream from ``device`` (raises DeviceError,
        keeping the current device running, if it cannot be opened)."""
        from ..sources import MicSource

        new = MicSource(device)
        new.open()  # raises DeviceError before anything is stopped
        snap = self.tagger.snapshot()
        self.stop()
        self._dropped_before += int(snap.dropped_samples)
        hop_s = self.tagger.hop_s
        # continue on the hop grid after the old run's end
        self.time_offset_s += math.ceil(snap.stream_time_s / hop_s) * hop_s
        self.source = new
        self.source_description = new.description
        self.begin()
