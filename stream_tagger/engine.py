"""The streaming engine: any source -> ring buffer -> worker thread -> event queue -> hops and segments.

Public API
----------
``Tagger(model=None, hop_s=0.25, threads=1, silence_dbfs=None, buffer_s=10.0, refine=True, min_silence_s=None,
       live_read_s=0.0, silence_mode=None, floor_margin_db=None)``
    ``model``: None (the shipped model), a path to a ``.tflite`` (metadata JSON beside it), or a
    loaded :class:`~stream_tagger.model.TagModel`. ``silence_dbfs`` and ``min_silence_s`` (the
    pause rule, below) override the model metadata's. Loading errors raise
    :class:`~stream_tagger.errors.ModelError` here, before any audio is opened.
``tagger.stream(source)`` -> iterator of events, in stream order:
    :class:`~stream_tagger.events.Hop` for every hop cell (``hop_s`` of stream time), and
    :class:`~stream_tagger.events.Segment` whenever a segment closes, with its refined
    boundaries. A source failing mid-stream (vanished device, truncated file) first yields
    everything decided so far, then raises its :class:`~stream_tagger.errors.TaggerError`.
    A network stream that lost audio yields a :class:`~stream_tagger.events.Gap` where the
    audio is missing (after the hops and segments before it). Live sources (device, network
    stream) stamp hops and segments with the UTC time of their start (``utc``).
``tagger.run(source, on_hop=None, on_segment=None, on_gap=None)`` -> :class:`RunStats`
    the same through callbacks (called on the caller's thread).
``tagger.stop()``
    from any thread or a signal handler: the source stops, buffered audio is analysed, open
    segments are closed and flushed, and ``stream``/``run`` return normally.
``tagger.delivery()`` -> ``(samples, last_s, rate_hz, ended)``
    source samples delivered so far and when the latest arrived (a watchdog's view, lock-free).
``tagger.snapshot()`` -> :class:`EngineSnapshot`
    for displays (GUI), safe to call from any thread at any rate; never blocks the audio
    callback or the worker for longer than a small copy. Holds: ``running``,
    ``source_description``, ``source_rate_hz`` (device/file rate) and ``sample_rate_hz``
    (16000, analysis rate), ``stream_time_s`` (analysed audio so far), ``level_dbfs`` (last
    10 ms block), ``level_envelope_dbfs`` (recent 10 ms levels, oldest first), ``floor_dbfs``
    (the input's tracked noise floor, see :attr:`Tagger.floor_dbfs`),
    ``logmel`` (``(n_mels, n_frames)`` recent log-mel frames, 10 ms apart, oldest first,
    the last one centred on ``logmel_end_s - 0.01``), ``load`` (processing time / audio
    time, recent average), ``dropped_samples`` (16 kHz samples lost to overruns),
    ``last_hop`` (latest :class:`Hop`).
``tag_file(path, model=None, hop_s=0.25, ...)`` -> list of :class:`Segment` sorted by start.
Sources: :mod:`stream_tagger.sources` (``FileSource``, ``MicSource``, ``StdinSource``, ``StreamSource``).

Timing, decisions, segment edges and pauses: :mod:`stream_tagger.analysis` (its module docstring).
"""

from __future__ import annotations

import dataclasses
import math
import queue
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from .audio_io import quiet_c_stderr
from .errors import TaggerError

from .analysis import BLOCK, RATE_HZ, Analysis
from .event_queue import END, EventQueue
from .events import LABELS, Gap, Hop, Segment
from .level import NoiseFloor, power_to_dbfs
from .postprocess import MIN_SILENCE_S_RANGE, DecisionParams
from .resampler import StreamingResampler, sanitize_block
from .ring_buffer import RingBuffer
from .run_state import LATENCY_WINDOW_HOPS, EngineSnapshot, RunStats  # noqa: F401  (public here too)

if TYPE_CHECKING:
    from .model import TagModel

HOP_MIN_S, HOP_MAX_S = 0.1, 1.0

class Tagger:
    """Turns an audio source into labelled hops and segments (see module docstring)."""

    def __init__(self, model: "TagModel | str | None" = None, hop_s: float = 0.25, threads: int = 1,
                 silence_dbfs: float | None = None, buffer_s: float = 10.0, refine: bool = True,
                 max_batch: int = 64, refine_radius_s: float | None = None, defer_load: bool = False,
                 min_silence_s: float | None = None, live_read_s: float = 0.0,
                 silence_mode: str | None = None, floor_margin_db: float | None = None):
        hop_s = float(hop_s)
        if not (HOP_MIN_S - 1e-9 <= hop_s <= HOP_MAX_S + 1e-9):
            raise TaggerError(f"hop {hop_s} s is out of range ({HOP_MIN_S} to {HOP_MAX_S} s)")
        self.hop_samples = int(round(hop_s * RATE_HZ / BLOCK)) * BLOCK
        self.hop_s = self.hop_samples / RATE_HZ
        self._model_spec = model
        self._threads = int(threads)
        self._silence_dbfs = silence_dbfs
        if min_silence_s is not None:
            lo, hi = MIN_SILENCE_S_RANGE
            if not (math.isfinite(float(min_silence_s)) and lo <= float(min_silence_s) <= hi):
                raise TaggerError(f"min silence {min_silence_s} s is out of range ({lo:g} to {hi:g} s)")
        self._min_silence_s = min_silence_s
        self._silence_mode = silence_mode
        self._floor_margin_db = floor_margin_db
        self._refine = bool(refine)
        self._refine_radius_s = refine_radius_s
        self._model = None
        if not defer_load:
            self.load_model()
        self.env_keep_blocks = 6000  # 60 s of level envelope for boundary refinement
        self.buffer_s = float(buffer_s)
        # > 0: a live source's audio is read a hop at a time: the worker wakes when the next hop's
        # last window is complete (the source samples it needs, resampler look-ahead included),
        # or at the latest once the oldest unread sample has waited a hop plus live_read_s
        # seconds; before the run's first hop, live_read_s seconds at a time. 0: every block as
        # it comes, for the least latency. Devices and streams write 20-100 ms blocks, and a
        # wake-up per block costs more than their analysis: one per hop is what many feeds on
        # one core need (stream-tagger monitor), at no cost in hop latency on 16 kHz sources (up
        # to the resampler's 20 ms block more on others)
        self.live_read_s = max(0.0, float(live_read_s))
        self.max_batch = int(max_batch)
        self.labels = LABELS
        self._stop = threading.Event()
        self._source = None
        self._lock = threading.Lock()
        self._snap = EngineSnapshot()
        self._spec_frames = 600  # frames kept for the display (6 s)
        self._spec = np.zeros((64, 0), np.float32)
        self._env_db_recent = np.zeros(0)
        self._noise_floor: NoiseFloor | None = None
        self._stats = RunStats()
        self._dropped16 = 0
        self._events: EventQueue | None = None  # the running stream's (stream_tagger.event_queue)
        self._ring: RingBuffer | None = None
        self._t_start = 0.0
        self._last_hop: Hop | None = None
        self._resampler: StreamingResampler | None = None
        self._finishing = False
        self._src_base = self._src_base16 = self._src_end = 0
        self._clock = None  # the live source's SampleClock: hops and segments get their UTC time

    def load_model(self) -> None:
        """Load the model now (done by the constructor unless ``defer_load``; then by :meth:`stream`
        once the source runs, so that capture and model loading overlap)."""
        if self._model is not None:
            return
        from .model import TagModel  # noqa: PLC0415 - deferred: imports the frontend (scipy.fft) and TFLite

        model = self._model_spec
        if isinstance(model, TagModel):
            loaded = model
        else:
            with quiet_c_stderr():  # TFLite prints an INFO line when it applies XNNPACK
                loaded = TagModel.load(model, threads=self._threads)
        self._params = loaded.params
        decision = DecisionParams.from_metadata(loaded.metadata, self._silence_dbfs, self._min_silence_s,
                                                self._silence_mode, self._floor_margin_db)
        decision.refine = self._refine
        if self._refine_radius_s is not None:
            decision.refine_radius_s = float(self._refine_radius_s)
        r = decision.refine_radius_s if decision.refine_radius_s is not None else self._params.window_s / 2
        self.refine_radius_blocks = int(round(r * RATE_HZ / BLOCK))
        self._decision = decision
        self._model = loaded

    @property
    def params(self):
        """The model's :class:`~stream_tagger.frontend.FrontendParams`."""
        self.load_model()
        return self._params

    @property
    def decision(self) -> DecisionParams:
        """Decision settings (thresholds, silence level, ...). ``decision.silence_dbfs`` may be
        changed while running: the decider reads it at every hop."""
        self.load_model()
        return self._decision

    @property
    def floor_dbfs(self) -> float | None:
        """The running stream's tracked noise floor in dBFS (the level its quietest
        ``floor_quiet_s`` of the last ``floor_window_s`` stay at or below, as of the latest decided
        hop; see :class:`~stream_tagger.level.NoiseFloor`), the floor ``floor`` mode decides
        silence against; None before the first hop and the floor's first seconds. The ``silence``
        label is the one definition of silence: alerts on it follow the mode and margin in force."""
        with self._lock:
            return self._snap.floor_dbfs

    @property
    def model(self) -> "TagModel":
        """The loaded :class:`~stream_tagger.model.TagModel` (loads it if deferred)."""
        self.load_model()
        return self._model

    # -- public ----------------------------------------------------------------------------
    def stream(self, source, duration_s: float | None = None):
        """Iterate over :class:`Hop` and :class:`Segment` events of ``source`` (see module doc).
        ``duration_s``: analyse only the source's first ``duration_s`` seconds (counted in its
        samples, so the end is exact at any pace), then end as at the end of the source."""
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise TaggerError(f"duration must be a positive number of seconds, not {duration_s:g}")
        source.open()
        self._stop.clear()
        self._stats = RunStats()
        self._dropped16 = 0
        self._last_hop = None
        self._noise_floor = None  # made once the decision settings are known (after the model loads)
        rate = int(source.sample_rate_hz)
        cap = max(int(self.buffer_s * rate), 4096)
        ring = RingBuffer(cap)
        self._ring = ring
        self._source = source
        self._events = events = EventQueue(bool(getattr(source, "live", False)))
        with self._lock:
            self._snap = EngineSnapshot(running=True, source_description=source.description, source_rate_hz=rate)
            self._spec = np.zeros((64, 0), np.float32)
            self._env_db_recent = np.zeros(0)
        self._t_start = time.monotonic()
        source.start(ring)  # capture / pacing begins; audio waits in the ring while we load
        self._clock = getattr(source, "clock", None)
        try:
            self.load_model()
        except BaseException:
            source.stop()
            raise
        d = self.decision
        self._noise_floor = NoiseFloor(*d.floor_blocks(BLOCK / RATE_HZ))
        limit = None if duration_s is None else max(1, int(round(duration_s * rate)))
        worker = threading.Thread(target=self._work, args=(source, ring, events, limit), name="TaggerWorker",
                                  daemon=True)
        worker.start()
        try:
            while True:
                try:
                    ev = events.get(0.1)
                except queue.Empty:
                    continue
                if ev is END:
                    break
                if isinstance(ev, BaseException):
                    raise ev
                yield ev
        finally:
            events.consumer_gone.set()  # a worker waiting for room in the queue gives up
            self._stop.set()
            source.stop()
            worker.join(timeout=10)
            with self._lock:
                self._snap.running = False

    def run(self, source, on_hop=None, on_segment=None, duration_s: float | None = None, on_gap=None) -> RunStats:
        """Run ``source`` to its end (or :meth:`stop`, or ``duration_s`` seconds of it), calling
        back per event; returns stats."""
        for ev in self.stream(source, duration_s=duration_s):
            if isinstance(ev, Hop):
                if on_hop is not None:
                    on_hop(ev)
            elif isinstance(ev, Segment):
                if on_segment is not None:
                    on_segment(ev)
            elif on_gap is not None:
                on_gap(ev)
        return self._stats

    def stop(self) -> None:
        """Stop the running stream (thread- and signal-safe); pending segments are flushed."""
        self._stop.set()
        src = self._source
        if src is not None:
            src.stop()

    @property
    def stats(self) -> RunStats:
        return self._stats

    def delivery(self) -> tuple[int, float | None, int, bool]:
        """``(samples, last_s, rate_hz, ended)`` of the current run: source samples delivered so
        far, the monotonic time (s) of the latest delivery (None before the first), the source's
        rate (Hz) and whether the source has ended. Cheap and lock-free, from any thread (a
        watchdog telling a stream that has stopped delivering audio); ``(0, None, 0, False)``
        before the first run."""
        ring, source = self._ring, self._source
        if ring is None or source is None:
            return 0, None, 0, False
        return ring.written, ring.last_write_s, int(getattr(source, "sample_rate_hz", 0) or 0), ring.closed

    def snapshot(self) -> EngineSnapshot:
        """A copy of the engine's display state (see module docstring)."""
        with self._lock:
            s = self._snap
            return EngineSnapshot(
                running=s.running, source_description=s.source_description, source_rate_hz=s.source_rate_hz,
                sample_rate_hz=RATE_HZ, stream_time_s=s.stream_time_s, level_dbfs=s.level_dbfs,
                level_envelope_dbfs=self._env_db_recent.copy(), floor_dbfs=s.floor_dbfs, logmel=self._spec.copy(),
                logmel_end_s=s.logmel_end_s, load=s.load, dropped_samples=self._dropped16,
                last_hop=self._last_hop, error=s.error,
            )

    def segments(self, source, on_progress=None) -> list[Segment]:
        """All segments of ``source``, sorted by start (then label order)."""
        segs = []
        for ev in self.stream(source):
            if isinstance(ev, Segment):
                segs.append(ev)
            elif on_progress is not None and isinstance(ev, Hop):
                on_progress(ev)
        order = {lab: i for i, lab in enumerate(LABELS)}
        return sorted(segs, key=lambda s: (s.start_s, order.get(s.label, 9), s.end_s))

    # -- worker ----------------------------------------------------------------------------
    def _end_run(self, an: Analysis, end_sample: int, rate: int, ring: RingBuffer) -> None:
        """End the run ``an`` at source sample ``end_sample`` (audio dropped or missing after it)."""
        self._finishing = True
        an.finish(end_sample / rate)
        self._finishing = False
        self._stats.audio_s = an.end_s if an.end_s is not None else 0.0
        self._dropped16 = int(round(ring.dropped_samples * RATE_HZ / rate))

    def _gaps(self, marks: list) -> None:
        """Deliver the gaps among the marks the source put in the ring (holes the reader passed)."""
        for gap in marks:
            if isinstance(gap, Gap):
                self._stats.gaps += 1
                self._stats.gap_s += gap.seconds
                self._deliver(gap)

    def _on_hop(self, hop: Hop, window_end_sample: int) -> None:
        st = self._stats
        st.hops += 1
        now = time.monotonic()
        if st.first_hop_wall_s is None:
            st.first_hop_wall_s = now - self._t_start
        if self._ring is not None and self._resampler is not None and not self._finishing:
            r = self._resampler
            crit = math.ceil((window_end_sample + self.params.context_samples - self._src_base16)
                             * r.rate_in_hz / RATE_HZ) + self._src_base
            if not r.passthrough:
                crit += r.pad + r.block_in
            ta = self._ring.time_available(min(crit, self._src_end))
            if ta is not None:
                st.latencies_s.append(now - ta)
        if self._clock is not None:
            hop = dataclasses.replace(hop, utc=self._clock.iso_at_s(hop.start_s))
        self._last_hop = hop
        with self._lock:
            self._snap.floor_dbfs = hop.floor_dbfs
        self._deliver(hop)

    def _on_segment(self, seg: Segment) -> None:
        self._stats.segments += 1
        if self._clock is not None:
            seg = dataclasses.replace(seg, utc=self._clock.iso_at_s(seg.start_s))
        self._deliver(seg)

    def _deliver(self, ev) -> None:
        """Queue an event for the consumer (:meth:`EventQueue.deliver`; one lost is counted in
        ``lost_events``)."""
        if not self._events.deliver(ev):
            self._stats.lost_events += 1

    def _publish(self, an: Analysis, new_frames: int, block_pow: np.ndarray) -> None:
        """Update the display state (worker thread; short lock)."""
        with self._lock:
            if new_frames:
                fr = an.front.recent_frames(min(new_frames, self._spec_frames))
                self._spec = np.concatenate([self._spec, fr], axis=1)[:, -self._spec_frames :]
            if block_pow.shape[0]:
                db = power_to_dbfs(block_pow)
                self._env_db_recent = np.concatenate([self._env_db_recent, db])[-self._spec_frames :]
                self._snap.level_dbfs = float(db[-1])
            self._snap.stream_time_s = (an.base + an.n) / RATE_HZ
            self._snap.logmel_end_s = (an.base + an.front.frames_available * BLOCK) / RATE_HZ

    def _source_samples_for(self, samples16: int, rate: int) -> int:
        """Source samples (at ``rate`` Hz) still to read for ``samples16`` more 16 kHz samples to
        reach the analysis: the rate ratio rounded up, plus the resampler's block and look-ahead."""
        n = -(-samples16 * rate // RATE_HZ)
        r = self._resampler
        if r is not None and not r.passthrough:
            n += r.block_in + r.pad
        return max(1, n)

    def _new_analysis(self, base: int) -> Analysis:
        """An :class:`Analysis` of a run starting at 16 kHz sample ``base``, wired to this tagger."""
        def count_windows(n: int) -> None:
            self._stats.windows += n

        with self._lock:  # the display's recent frames are those of this run (none across a gap)
            self._spec = np.zeros((self._spec.shape[0], 0), np.float32)

        return Analysis(self._model, self.params, self.decision, self.hop_samples, base, max_batch=self.max_batch,
                        refine_radius_blocks=self.refine_radius_blocks, env_keep_blocks=self.env_keep_blocks,
                        on_hop=self._on_hop, on_segment=self._on_segment, on_windows=count_windows,
                        publish=self._publish, dropped_samples=lambda: self._dropped16,
                        noise_floor=self._noise_floor)

    def _work(self, source, ring: RingBuffer, events: EventQueue, limit: int | None = None) -> None:
        """The analysis loop (worker thread); ``limit``: source samples to analyse at most."""
        rate = int(source.sample_rate_hz)
        self._resampler = None
        self._finishing = False
        an = None
        err: BaseException | None = None
        expected = 0  # next source sample we expect from the ring
        self._src_base = 0  # source sample where the current resampler started
        self._src_base16 = 0  # its 16 kHz position
        self._src_end = 0
        skip16 = 0  # 16 kHz samples to skip to align the run on the hop grid
        load_audio = load_proc = 0.0
        least = max(1, int(rate * self.live_read_s)) if source.live else 1  # see live_read_s
        # a read: 2 s of a file, 0.1 s of a live source, or (live_read_s) a hop and a batch
        chunk = max(1024, int(rate * (2.0 if not source.live else 0.1 if least == 1 else
                                      self.hop_s + 2 * self.live_read_s)))
        last_check = time.monotonic()
        try:
            while True:
                if least > 1:  # live_read_s: the live source's audio a hop at a time
                    if an is None:
                        ring.wait_available(least, 0.5, max_age_s=self.live_read_s)
                    else:
                        ring.wait_available(self._source_samples_for(an.samples_to_next_window(), rate), 0.5,
                                            max_age_s=self.hop_s + self.live_read_s)
                got = ring.read(chunk, timeout_s=0.5)
                now = time.monotonic()
                if now - last_check > 0.5:
                    last_check = now
                    source.check()
                if got is None:
                    break
                start, x = got
                marks = ring.take_skipped()
                if marks:  # the source marked missing audio: the run ends at its last sample
                    if an is not None:
                        self._end_run(an, expected, rate, ring)
                        an = None
                    self._gaps(marks)
                if limit is not None:
                    if start >= limit:
                        break
                    x = x[: limit - start]
                if x.shape[0] == 0:
                    continue
                t0 = time.perf_counter()
                if start != expected or an is None:
                    if an is not None:  # audio was dropped: end this run, restart after the gap
                        self._end_run(an, expected, rate, ring)
                    pos16 = math.ceil(start * RATE_HZ / rate)
                    base = -(-pos16 // self.hop_samples) * self.hop_samples
                    skip16 = base - pos16 if start > 0 else 0
                    if start == 0:
                        base = 0
                    self._resampler = StreamingResampler(rate, RATE_HZ)
                    self._src_base, self._src_base16 = start, base - skip16
                    an = self._new_analysis(base)
                expected = start + x.shape[0]
                self._src_end = expected
                y = self._resampler.push(sanitize_block(x))
                if skip16 and y.shape[0]:
                    cut = min(skip16, y.shape[0])
                    y, skip16 = y[cut:], skip16 - cut
                an.push(y)
                dt = time.perf_counter() - t0
                self._stats.processing_s += dt
                load_audio = 0.9 * load_audio + 0.1 * (x.shape[0] / rate)
                load_proc = 0.9 * load_proc + 0.1 * dt
                with self._lock:
                    self._snap.load = load_proc / load_audio if load_audio > 0 else 0.0
                if ring.dropped_samples and int(round(ring.dropped_samples * RATE_HZ / rate)) != self._dropped16:
                    self._dropped16 = int(round(ring.dropped_samples * RATE_HZ / rate))
                if limit is not None and expected >= limit:
                    break
        except TaggerError as e:
            err = e
        except BaseException as e:  # noqa: BLE001 - reported to the consumer, never lost
            err = e
        try:
            if an is not None:
                t0 = time.perf_counter()
                self._finishing = True
                y = self._resampler.flush()
                if skip16 and y.shape[0]:
                    y = y[min(skip16, y.shape[0]):]
                an.push(y)
                an.finish(self._src_end / rate)
                self._stats.processing_s += time.perf_counter() - t0
                self._stats.audio_s = an.end_s if an.end_s is not None else 0.0
            self._gaps(ring.take_skipped())  # a source that gave up or was stopped in a gap
            if ring.error is not None and err is None:
                err = ring.error
            self._stats.dropped_samples = self._dropped16
        except BaseException as e:  # noqa: BLE001
            err = err or e
        if err is not None:
            with self._lock:
                self._snap.error = str(err)
            events.put_waiting(err)
        events.put_waiting(END)


def tag_file(path: str, model: "TagModel | str | None" = None, hop_s: float = 0.25, threads: int = 1,
             silence_dbfs: float | None = None, refine: bool = True, on_progress=None,
             min_silence_s: float | None = None, silence_mode: str | None = None,
             floor_margin_db: float | None = None) -> list[Segment]:
    """Segments of a whole file, analysed as fast as possible (the ``tag`` command)."""
    from .sources import FileSource

    tagger = Tagger(model, hop_s=hop_s, threads=threads, silence_dbfs=silence_dbfs, refine=refine,
                    min_silence_s=min_silence_s, silence_mode=silence_mode, floor_margin_db=floor_margin_db)
    return tagger.segments(FileSource(path), on_progress=on_progress)
