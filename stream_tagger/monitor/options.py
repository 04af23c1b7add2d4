"""The monitoring options of ``live`` and ``replay`` (``--alert``, ``--on-alert``, ``--webhook``,
``--metrics-port``, ``--log-dir``, ...) and the one-stream monitor they set up around a run."""

from __future__ import annotations

import argparse
import time
import urllib.parse

from ..errors import UsageError

NOTIFY_TIMEOUT_S = 10.0


def rule_type(text: str):
    """argparse type of ``--alert``: a :class:`~stream_tagger.monitor.alerts.Rule`."""
    from .alerts import parse_rule

    try:
        return parse_rule(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def port_type(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError("port must be between 0 (any free port) and 65535")
    return v


def seconds_type(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.1 <= v <= 3600:
        raise argparse.ArgumentTypeError("timeout must be between 0.1 and 3600 seconds")
    return v


def check_webhook(url: str, where: str = "--webhook") -> str:
    """An http(s) URL with a host, else UsageError."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise UsageError(f"{where} {url!r}: not an http:// or https:// URL")
    return url


def add_monitor_options(p: argparse.ArgumentParser) -> None:
    """The ``monitoring`` option group (``live``, ``replay``)."""
    g = p.add_argument_group("monitoring (alerts, metrics, as-run logs; see README 'Monitoring')")
    g.add_argument("--alert", type=rule_type, action="append", default=[], metavar="RULE",
                   help="alert rule, repeatable: LABEL>=SECONDS (silence>=10: dead air), !LABEL>=SECONDS "
                        "(!music>=300), gap>=SECONDS (no audio delivered); a JSON line on stdout when it "
                        "fires and when it clears")
    g.add_argument("--on-alert", metavar="CMD", default=None,
                   help="shell command run for each alert change, with STREAM_TAGGER_ALERT, _STATE, _UTC, "
                        "_STREAM (stream name), _STREAM_S in its environment")
    g.add_argument("--webhook", metavar="URL", default=None, help="POST each alert change's JSON line to URL")
    g.add_argument("--notify-timeout", type=seconds_type, default=NOTIFY_TIMEOUT_S, metavar="S",
                   help=f"seconds an --on-alert command or --webhook request may take (default {NOTIFY_TIMEOUT_S:g}; "
                        "3 attempts)")
    g.add_argument("--metrics-port", type=port_type, default=None, metavar="PORT",
                   help="serve Prometheus metrics on http://HOST:PORT/metrics (0: any free port; needs the "
                        "monitor extra)")
    g.add_argument("--metrics-host", default="0.0.0.0", metavar="HOST",
                   help="address the metrics are served on (default 0.0.0.0: every interface)")
    g.add_argument("--log-dir", metavar="DIR", default=None,
                   help="as-run log: closed segments appended to DIR/<stream>/<YYYY-MM-DD>.csv (UTC days)")
    g.add_argument("--stream-name", metavar="NAME", default=None,
                   help="the stream's name in metrics, the as-run log folder and notifications (default: "
                        "from the source: file name, device name, stdin)")


def wanted(args) -> bool:
    return bool(getattr(args, "alert", None) or getattr(args, "on_alert", None) or getattr(args, "webhook", None)
                or getattr(args, "metrics_port", None) is not None or getattr(args, "log_dir", None))


def check_args(args) -> None:
    """Options that do not go together: UsageError (exit 2)."""
    if not wanted(args):
        return
    if (args.on_alert or args.webhook) and not args.alert:
        raise UsageError(f"{'--on-alert' if args.on_alert else '--webhook'} needs at least one --alert RULE")
    if args.webhook:
        check_webhook(args.webhook)
    if args.alert and getattr(args, "headless", False) and getattr(args, "format", "jsonl") != "jsonl":
        raise UsageError("--alert writes JSON lines among the hop lines: use --format jsonl")


class OneStream:
    """The monitor of one ``live``/``replay`` run: start it before the run, feed it every event,
    close it after (see :class:`~stream_tagger.monitor.observer.StreamObserver`)."""

    def __init__(self, args, tagger, source, out, clock=time.time):
        from .asrun import AsRunLog, make_log_dir
        from .alerts import Notifier
        from .metrics import MetricsServer
        from .observer import LineOut, StreamObserver, Watchdog, default_stream_name, stream_name

        check_args(args)
        name = stream_name(args.stream_name) if args.stream_name else default_stream_name(source)
        self.name = name
        self.out = LineOut(out)
        self._observers: list = []
        self.metrics = None
        if args.metrics_port is not None:
            self.metrics = MetricsServer(self._observers, args.metrics_port, args.metrics_host)
        asrun = None
        if args.log_dir:
            make_log_dir(args.log_dir)
            asrun = AsRunLog(args.log_dir, name)
        self.notifier = Notifier(args.on_alert, args.webhook, timeout_s=args.notify_timeout) \
            if (args.on_alert or args.webhook) else None
        self.observer = StreamObserver(name, args.alert, out=self.out, notifier=self.notifier, asrun=asrun,
                                       clock=clock)
        self._observers.append(self.observer)
        self.observer.attach(tagger, source)
        self.watchdog = Watchdog([self.observer]).start()
        if self.metrics is not None:
            from .alerts import log

            log(f"metrics on {self.metrics.url}")

    def event(self, ev) -> None:
        self.observer.event(ev)

    def status_text(self) -> str:
        return self.observer.status_text()

    def close(self) -> None:
        """After the run (its open segments flushed): stop watching, close the log, send what is queued."""
        self.watchdog.stop()
        self.observer.finish()
        if self.notifier is not None:
            self.notifier.close()
        if self.metrics is not None:
            self.metrics.close()


def start(args, tagger, source, out):
    """The :class:`OneStream` monitor when a monitoring option is given, else None."""
    if not wanted(args):
        return None
    return OneStream(args, tagger, source, out)
