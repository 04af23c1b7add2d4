"""``stream-tagger monitor CONFIG.toml``: every feed of a config (:mod:`.config`) at once, headless.

One analysis worker (a :class:`~stream_tagger.engine.Tagger`) per feed, each on a thread of its
own with its consumer; one line stream on stdout, each JSON line beginning with its feed's name
(``{"stream": "radio1", "type": "segment", ...}``): closed segments, gaps and alert changes (every
hop too with ``--hops``); one metrics endpoint, one as-run log folder, one notifier.

A feed that fails (its file is missing, its device vanished, its network stream gave up) is
reported on stderr (``stream-tagger: error: monitor: feed 'studio': ...``) and the others go on; a
device feed is started again after 1 s, 2 s, 4 s ... up to ``restart_s`` (60 s). Ctrl-C or SIGTERM
stops every feed with its open segments flushed (exit 0). When every feed has ended by itself
(file feeds), the exit status is 1 if one of them failed, else 0. Config problems: one line
naming the place in the file, exit status 2, before any feed starts (``--check`` stops there).
"""

from __future__ import annotations

import signal
import sys
import threading
import time

from ..errors import TaggerError
from .alerts import log

STOP_WAIT_S = 20.0  # after Ctrl-C/SIGTERM: longest wait for the feeds to flush and end
LIVE_READ_S = 0.05  # each feed's live audio analysed 50 ms at a time: many feeds per core (Tagger.live_read_s)


def add_arguments(p) -> None:
    from .options import port_type

    p.epilog = ("exit status: 0 after Ctrl-C/SIGTERM (every feed's open segments flushed) or when every feed "
                "ended well; 1 when the feeds ended and one failed, or the metrics port, log folder or model "
                "cannot be used; 2 for a problem in the config (one line naming its place)")
    p.add_argument("config", metavar="CONFIG.toml", help="the feeds and settings (see README 'Monitoring')")
    p.add_argument("--check", action="store_true", help="check the config and exit (0: fine, 2: a problem)")
    p.add_argument("--hops", action="store_true", help="write every hop line too (default: segments, gaps, alerts)")
    p.add_argument("--metrics-port", type=port_type, default=None, metavar="PORT",
                   help="serve the metrics on PORT (overrides the config's metrics_port; 0: any free port)")
    p.add_argument("--log-dir", default=None, metavar="DIR", help="as-run logs folder (overrides the config's log_dir)")


def make_source(feed):
    """The source of a feed (not opened)."""
    if feed.kind == "file":
        from ..sources import FileSource

        return FileSource(feed.target, speed=feed.speed)
    if feed.kind == "device":
        from ..sources import MicSource

        return MicSource(feed.target, rate_hz=feed.device_rate)
    try:
        from ..sources.stream import StreamSource
    except ImportError as e:
        if getattr(e, "name", "") == "stream_tagger.sources.stream":
            raise TaggerError("url feeds need network stream support (stream_tagger.sources.stream), "
                              "which this installation lacks") from None
        raise TaggerError(f"url feeds are not available ({e}): pip install 'stream-tagger[monitor]'") from None
    extra = {} if feed.realtime else {"realtime": False}
    return StreamSource(feed.target, timeout_s=feed.timeout_s, max_retries=feed.max_retries, name=feed.name, **extra)


class FeedRunner:
    """One feed: its tagger and source, run on a thread of its own until it ends or is stopped."""

    def __init__(self, feed, cfg, observer, out):
        self.feed, self.cfg, self.observer, self.out = feed, cfg, observer, out
        self.tagger = None
        self.failed: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"Feed-{feed.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """From any thread or a signal handler: the running analysis flushes its open segments and ends."""
        self._stop.set()
        t = self.tagger
        if t is not None:
            t.stop()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _say(self, msg: str) -> None:
        log(f"feed '{self.feed.name}': {msg}")

    def _run(self) -> None:
        wait_s = 1.0
        while not self._stop.is_set():
            try:
                self._once()
                if self.feed.kind == "file" or self._stop.is_set():
                    return
                raise TaggerError("the source ended")
            except TaggerError as e:
                self.observer.finish(failed=True)  # also when it failed to start: gap rules count on
                self.failed = str(e)
                sys.stderr.write(f"stream-tagger: error: monitor: feed '{self.feed.name}': {e}\n")
                sys.stderr.flush()
            except Exception as e:  # noqa: BLE001 - one feed's failure never ends the others
                self.observer.finish(failed=True)
                self.failed = f"{type(e).__name__}: {e}"
                sys.stderr.write(f"stream-tagger: error: monitor: feed '{self.feed.name}': internal error "
                                 f"({self.failed})\n")
                sys.stderr.flush()
            if self.feed.kind != "device":
                return
            self._say(f"restarting in {wait_s:g} s")
            if self._stop.wait(wait_s):
                return
            wait_s = min(wait_s * 2, self.cfg.restart_s)

    def _once(self) -> None:
        from ..engine import Tagger
        from ..outputs import LineWriter

        feed = self.feed
        if self.tagger is None:
            self.tagger = Tagger(self.cfg.model, hop_s=feed.hop, silence_dbfs=feed.silence_db, live_read_s=LIVE_READ_S)
        tagger = self.tagger
        source = make_source(feed)
        source.open()
        writer = LineWriter("jsonl", out=self.out)
        self.observer.attach(tagger, source)
        hops = self.cfg.hops
        try:
            if self._stop.is_set():
                return
            announced = False
            for ev in tagger.stream(source):
                self.observer.event(ev)
                if hops or type(ev).__name__ != "Hop":
                    writer.event(ev)
                if not announced:
                    announced = True
                    self._say(f"source: {source.description} ({source.sample_rate_hz} Hz), hop {tagger.hop_s:g} s")
                if self._stop.is_set():
                    tagger.stop()
        except BaseException:
            self.observer.finish(failed=True)  # gap rules keep counting while the feed is down
            raise
        else:
            self.observer.finish(failed=feed.kind != "file" and not self._stop.is_set())
        finally:
            join = getattr(source, "join", None)
            if join is not None:
                join(5)

    def summary(self) -> str:
        f, t = self.observer.figures, self.tagger
        lat = ""
        if t is not None and t.stats.latencies_s:
            import numpy as np

            lat = f", hop latency p99 {float(np.quantile(np.asarray(t.stats.latencies_s), 0.99)):.3f} s"
        dropped = (f.dropped_before + f.dropped_samples) / 16000
        lost = f.lost_before + (t.stats.lost_events if t is not None else 0)
        return (f"{f.audio_s:.2f} s of audio, {f.hops} hops, {f.segments} segments, {dropped:.2f} s dropped, "
                f"{lost} events lost{lat}" + (f", restarted {f.restarts} times" if f.restarts else ""))


def run(args) -> int:
    from ..commands.common import stdout
    from . import config
    from .alerts import Notifier
    from .asrun import AsRunLog, make_log_dir
    from .observer import LineOut, StreamObserver, Watchdog

    cfg = config.load(args.config)
    if args.metrics_port is not None:
        cfg.metrics_port = args.metrics_port
    if args.log_dir:
        cfg.log_dir = args.log_dir
    if args.hops:
        cfg.hops = True
    if args.check:
        log(f"{args.config}: {len(cfg.feeds)} feed{'s' if len(cfg.feeds) != 1 else ''} "
            f"({', '.join(f.name for f in cfg.feeds)}), fine")
        return 0
    out = stdout()
    lock = threading.Lock()
    observers: list = []
    metrics = None
    if cfg.metrics_port is not None:
        from .metrics import MetricsServer

        metrics = MetricsServer(observers, cfg.metrics_port, cfg.metrics_host)
    if cfg.log_dir:
        make_log_dir(cfg.log_dir)
    notifier = Notifier(cfg.on_alert, cfg.webhook, timeout_s=cfg.notify_timeout) if (cfg.on_alert or cfg.webhook) \
        else None
    from ..engine import Tagger

    runners = []
    for feed in cfg.feeds:  # each feed's own interpreter, loaded here: a bad model is one line before any starts
        line_out = LineOut(out, stream=feed.name, lock=lock)
        asrun = AsRunLog(cfg.log_dir, feed.name) if cfg.log_dir else None
        obs = StreamObserver(feed.name, feed.alerts, out=line_out, notifier=notifier, asrun=asrun)
        observers.append(obs)
        runner = FeedRunner(feed, cfg, obs, line_out)
        runner.tagger = Tagger(cfg.model, hop_s=feed.hop, silence_dbfs=feed.silence_db, live_read_s=LIVE_READ_S)
        runners.append(runner)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()
        for r in runners:
            r.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    watchdog = Watchdog(observers).start()
    if metrics is not None:
        log(f"metrics on {metrics.url}")
    try:
        for r in runners:
            r.start()
        _wait(runners, stopping)
    finally:
        for sig, h in previous.items():
            signal.signal(sig, h)
        watchdog.stop()
        if notifier is not None:
            notifier.close()
        if metrics is not None:
            metrics.close()
    for r in runners:
        log(f"feed '{r.feed.name}': done: {r.summary()}")
    if stopping.is_set():
        return 0
    return 1 if any(r.failed for r in runners) else 0


def _wait(runners, stopping: threading.Event) -> None:
    """Until every feed has ended; after a stop, up to :data:`STOP_WAIT_S` (stops repeated, as a
    stop that came while a feed was starting finds no analysis to stop)."""
    deadline = None
    while any(r.alive for r in runners):
        if stopping.is_set():
            if deadline is None:
                deadline = time.monotonic() + STOP_WAIT_S
            for r in runners:
                r.stop()
            if time.monotonic() > deadline:
                stuck = [r.feed.name for r in runners if r.alive]
                log(f"warning: feeds {', '.join(stuck)} did not stop within {STOP_WAIT_S:g} s")
                return
        for r in runners:
            r.join(0.1)
