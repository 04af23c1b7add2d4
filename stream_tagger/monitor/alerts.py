"""Alert rules on one stream, and the notifications they send.

Rules (``--alert RULE``, repeatable; a feed's ``alerts`` list in ``monitor``'s config):

``LABEL>=SECONDS``
    fires once LABEL has been on for SECONDS of stream time (``silence>=10``: dead air); clears
    at the first hop without it.
``!LABEL>=SECONDS``
    fires once LABEL has been off for SECONDS of stream time (``!music>=300``, counted from the
    stream's start too); clears at the first hop with it.
``gap>=SECONDS``
    fires once the source has delivered no audio for SECONDS of wall-clock time, during the
    outage (a watchdog looks about every 0.1 s); clears when audio arrives again (for a network
    stream, with its ``gap`` event: at the gap's end). A ``gap`` event at least SECONDS long that
    the watchdog did not see (the process was held up) fires and clears at once. After a gap,
    label rules start counting again.

LABEL is one of :data:`~stream_tagger.events.LABELS`; SECONDS a positive number. Label rules
read the hop lines' labels (a label shows there its ``min_on`` after it begins, so an alert
fires up to that much later than SECONDS after the segment's back-dated start).

Each change is one line ``{"alert": RULE, "state": "firing"|"cleared", "utc": ..., "stream_s": ...}``;
``stream_s`` is the stream time (s) at which the rule's condition began to hold (firing) or
stopped holding (cleared), ``utc`` the wall-clock time of that moment (ISO 8601, ms, ``Z``).

:class:`Notifier` runs ``--on-alert CMD`` and posts to ``--webhook URL`` on threads of its own,
behind bounded queues, each attempt timed out and retried a bounded number of times, failures
logged on stderr: a hung command or a dead webhook never holds up the analysis.
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from ..events import LABELS

GAP = "gap"
GAP_EVENT_WAIT_S = 5.0  # a firing gap rule of a source that reports gaps waits this long for its gap event
_RULE_RE = re.compile(r"^\s*(!?)\s*([A-Za-z_]+)\s*>=\s*([0-9.eE+-]+)\s*$")
RULE_SYNTAX = "LABEL>=SECONDS, !LABEL>=SECONDS or gap>=SECONDS"


@dataclass(frozen=True)
class Rule:
    """One alert rule; ``text`` is its canonical spelling (the ``alert`` field of its lines)."""

    label: str
    seconds: float
    absent: bool = False

    @property
    def text(self) -> str:
        return f"{'!' if self.absent else ''}{self.label}>={self.seconds:g}"

    @property
    def is_gap(self) -> bool:
        return self.label == GAP


def parse_rule(text: str) -> Rule:
    """``silence>=10`` -> :class:`Rule`; ValueError with a one-line reason if it is not a rule."""
    m = _RULE_RE.match(str(text))
    if not m:
        raise ValueError(f"bad alert rule {text!r}: expected {RULE_SYNTAX}")
    neg, label, num = m.groups()
    label = label.lower()
    if label not in LABELS and label != GAP:
        raise ValueError(f"bad alert rule {text!r}: unknown label {label!r} (labels: {', '.join(LABELS)}; "
                         "or gap)")
    if neg and label == GAP:
        raise ValueError(f"bad alert rule {text!r}: '!gap' has no meaning (gap>=SECONDS fires on missing audio)")
    try:
        seconds = float(num)
    except ValueError:
        raise ValueError(f"bad alert rule {text!r}: {num!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"bad alert rule {text!r}: seconds must be a positive number")
    return Rule(label, seconds, bool(neg))


def parse_rules(texts) -> list[Rule]:
    """Rules from their texts, in order, each once (ValueError on the first bad one)."""
    out: list[Rule] = []
    for t in texts or ():
        r = parse_rule(t)
        if r not in out:
            out.append(r)
    return out


def utc_text(epoch_s: float) -> str:
    """Epoch seconds -> ``2024-05-01T12:00:00.123Z`` (ISO 8601, milliseconds, UTC)."""
    ms = int(math.floor(epoch_s * 1000.0 + 0.5))
    s, ms = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"


def parse_utc(text) -> float | None:
    """ISO 8601 text (``Z`` or an offset) -> epoch seconds; None if it is not one."""
    if not text:
        return None
    from datetime import datetime, timezone

    try:
        d = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


@dataclass(frozen=True)
class Change:
    """One alert changing state: ``state`` is ``"firing"`` or ``"cleared"``; ``utc_s`` epoch seconds."""

    rule: str
    state: str
    utc_s: float
    stream_s: float

    def record(self) -> dict:
        """The alert line's fields, in order."""
        return {"alert": self.rule, "state": self.state, "utc": utc_text(self.utc_s),
                "stream_s": round(self.stream_s, 3)}


class AlertBook:
    """The rules of one stream and their states. :meth:`hop` (label rules) runs on the thread
    consuming the stream's events, :meth:`idle` (gap rules) on the watchdog's; a lock keeps
    their changes in order. ``on_change(Change)`` is called, under that lock, for each change."""

    def __init__(self, rules, on_change):
        self.rules = list(rules)
        self._on_change = on_change
        self._lock = threading.Lock()
        self.firing: dict[str, bool] = {r.text: False for r in self.rules}
        self._since: dict[str, float | None] = {}  # label rule -> stream s its condition began to hold
        self._resumed: dict[str, float] = {}  # firing gap rule -> UTC s the watchdog first saw audio again

    def reset(self) -> None:
        """A new run of the stream (a restarted feed): label conditions start again at its time 0."""
        with self._lock:
            for r in self.rules:
                if not r.is_gap:
                    self._since.pop(r.text, None)
                elif self.firing[r.text]:
                    self._since[r.text] = 0  # the new run's samples count from 0: its first clears

    def _change(self, rule: Rule, firing: bool, utc_s: float, stream_s: float) -> None:
        self.firing[rule.text] = firing
        self._on_change(Change(rule.text, "firing" if firing else "cleared", utc_s, stream_s))

    def hop(self, hop, utc_of) -> None:
        """Update the label rules with ``hop``; ``utc_of(stream_s)`` -> epoch seconds."""
        with self._lock:
            for r in self.rules:
                if r.is_gap:
                    continue
                holds = (r.label in hop.labels) != r.absent
                since = self._since.get(r.text)
                if not holds:
                    self._since[r.text] = None
                    if self.firing[r.text]:
                        self._change(r, False, utc_of(hop.start_s), hop.start_s)
                    continue
                if since is None:
                    since = self._since[r.text] = hop.start_s
                if not self.firing[r.text] and hop.end_s - since >= r.seconds - 1e-9:
                    at = since + r.seconds
                    self._change(r, True, utc_of(at), at)

    def idle(self, idle_s: float, now_utc_s: float, samples: int, rate_hz: int, gap_events: bool = False) -> None:
        """The watchdog's view: the latest audio arrived ``idle_s`` wall-clock seconds ago, with
        ``samples`` delivered so far at ``rate_hz``. A gap rule fires once ``idle_s`` reaches its
        seconds, at the stream time where the audio stopped. It clears when more samples have
        arrived; ``gap_events``: the source reports its gaps (a network stream), whose ``gap``
        event clears it with the gap's own end, unless none comes within :data:`GAP_EVENT_WAIT_S`."""
        with self._lock:
            for r in self.rules:
                if not r.is_gap:
                    continue
                at_fire = self._since.get(r.text)
                if not self.firing[r.text] and idle_s >= r.seconds:
                    self._since[r.text] = samples
                    self._resumed.pop(r.text, None)
                    self._change(r, True, now_utc_s - idle_s + r.seconds, samples / rate_hz if rate_hz else 0.0)
                elif self.firing[r.text] and at_fire is not None and samples > at_fire:
                    first_seen = self._resumed.setdefault(r.text, now_utc_s)
                    if gap_events and now_utc_s - first_seen < GAP_EVENT_WAIT_S:
                        continue  # its gap event will tell where the audio came back
                    self._since[r.text] = None
                    self._resumed.pop(r.text, None)
                    self._change(r, False, first_seen - idle_s, at_fire / rate_hz if rate_hz else 0.0)

    def gap(self, seconds: float, start_utc_s: float | None, end_utc_s: float | None, start_s: float,
            end_s: float) -> None:
        """A gap the source reported once it was over (audio missing from ``start_utc_s`` to
        ``end_utc_s``, stream time ``start_s`` to ``end_s``): a firing gap rule clears at its end;
        one the watchdog did not fire (the process was held up) fires and clears now. Label rules
        start counting again after it (nothing is known of the labels in a gap)."""
        end = end_utc_s if end_utc_s is not None else time.time()
        start = start_utc_s if start_utc_s is not None else end - seconds
        with self._lock:
            for r in self.rules:
                if not r.is_gap:
                    self._since.pop(r.text, None)
                elif self.firing[r.text]:
                    self._since[r.text] = None
                    self._resumed.pop(r.text, None)
                    self._change(r, False, end, end_s)
                elif seconds >= r.seconds:
                    self._change(r, True, start + r.seconds, start_s)
                    self._change(r, False, end, end_s)

    def firing_now(self) -> list[str]:
        return [k for k, v in self.firing.items() if v]


def log(message: str) -> None:
    """A warning line on stderr (never raises)."""
    try:
        sys.stderr.write(f"stream-tagger: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


class _Channel:
    """One way of sending notifications (a command or a webhook) on a thread of its own, behind a
    queue of at most ``queue_size`` waiting notifications (more are dropped and logged)."""

    what = "notification"

    def __init__(self, timeout_s: float, attempts: int, queue_size: int, backoff_s: float = 1.0):
        self.timeout_s = float(timeout_s)
        self.attempts = int(attempts)
        self.backoff_s = float(backoff_s)
        self._q: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self.sent = self.failed = self.dropped = 0
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name=f"Notify-{self.what}", daemon=True)
        self._thread.start()

    def put(self, record: dict, stream: str | None) -> None:
        try:
            self._q.put_nowait((record, stream))
        except queue.Full:
            self.dropped += 1
            log(f"warning: {self.what}: {self._q.maxsize} notifications are waiting; "
                f"'{record['alert']} {record['state']}' dropped")

    def _loop(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            record, stream = item
            self._busy = True
            try:
                self._deliver(record, stream)
            finally:
                self._busy = False
                self._q.task_done()

    def _deliver(self, record: dict, stream: str | None) -> None:
        what = f"'{record['alert']} {record['state']}'" + (f" of {stream}" if stream else "")
        for attempt in range(1, self.attempts + 1):
            if self._stop.is_set():
                return
            try:
                self.send(record, stream)
                self.sent += 1
                return
            except Exception as e:  # noqa: BLE001 - every failure is logged, none escapes
                last = attempt == self.attempts
                log(f"warning: {self.what}: {what}: attempt {attempt} of {self.attempts} failed ({_reason(e)})"
                    + ("; giving up" if last else ""))
                if last:
                    self.failed += 1
                    return
            if self._stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                return

    def send(self, record: dict, stream: str | None) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def pending(self) -> int:
        return self._q.qsize() + (1 if self._busy else 0)

    def close(self, wait_s: float) -> int:
        """Wait up to ``wait_s`` s for the queued notifications, then stop; returns how many were not sent."""
        deadline = time.monotonic() + max(0.0, wait_s)
        while self.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        left = self.pending()
        self._stop.set()
        try:
            self._q.put_nowait(None)
        except queue.Full:
            pass
        return left


def _reason(e: BaseException) -> str:
    import urllib.error

    if isinstance(e, subprocess.TimeoutExpired):
        return f"timed out after {e.timeout:g} s"
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        e = e.reason if isinstance(e.reason, BaseException) else e
    if isinstance(e, TimeoutError) or "timed out" in str(e):
        return "timed out"
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


class CommandChannel(_Channel):
    """``--on-alert CMD``: run by the shell with ``STREAM_TAGGER_ALERT``, ``_STATE``, ``_UTC``,
    ``_STREAM`` (the stream's name), ``_STREAM_S`` in its environment; its output goes to stderr
    (stdout holds the lines). A command still running after the timeout is killed (its process group)."""

    what = "--on-alert"

    def __init__(self, command: str, **kw):
        self.command = command
        super().__init__(**kw)

    def send(self, record: dict, stream: str | None) -> None:
        env = dict(os.environ, STREAM_TAGGER_ALERT=record["alert"], STREAM_TAGGER_STATE=record["state"],
                   STREAM_TAGGER_UTC=record["utc"], STREAM_TAGGER_STREAM=stream or "",
                   STREAM_TAGGER_STREAM_S=f"{record['stream_s']:g}")
        proc = subprocess.Popen(self.command, shell=True, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr,
                                start_new_session=True)
        try:
            rc = proc.wait(self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise
        if rc != 0:
            raise RuntimeError(f"exit status {rc}" if rc > 0 else f"killed by signal {-rc}")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


class WebhookChannel(_Channel):
    """``--webhook URL``: the alert's JSON line POSTed as ``application/json`` (with ``stream``
    naming the stream); any answer but 2xx, a refused connection or a timeout is a failure."""

    what = "--webhook"

    def __init__(self, url: str, **kw):
        self.url = url
        super().__init__(**kw)

    def send(self, record: dict, stream: str | None) -> None:
        import urllib.request

        body = dict(stream=stream, **record) if stream else record
        req = urllib.request.Request(self.url, data=(json.dumps(body) + "\n").encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "stream-tagger"})
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            resp.read(65536)
            if not 200 <= resp.status < 300:
                raise RuntimeError(f"HTTP {resp.status}")


NOTIFY_ATTEMPTS = 3
NOTIFY_QUEUE = 100


class Notifier:
    """The notifications of every stream of a process: ``notify(record, stream)`` never waits."""

    def __init__(self, command: str | None = None, webhook: str | None = None, timeout_s: float = 10.0,
                 attempts: int = NOTIFY_ATTEMPTS, queue_size: int = NOTIFY_QUEUE):
        kw = dict(timeout_s=timeout_s, attempts=attempts, queue_size=queue_size)
        self.timeout_s = float(timeout_s)
        self.channels: list[_Channel] = []
        if command:
            self.channels.append(CommandChannel(command, **kw))
        if webhook:
            self.channels.append(WebhookChannel(webhook, **kw))

    def notify(self, record: dict, stream: str | None = None) -> None:
        for c in self.channels:
            c.put(record, stream)

    def close(self, wait_s: float | None = None) -> None:
        """At exit: up to ``wait_s`` (default: one timeout) for what is queued; says what is left."""
        wait_s = self.timeout_s if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s
        for c in self.channels:
            left = c.close(max(0.0, deadline - time.monotonic()))
            if left:
                log(f"warning: {c.what}: {left} notification{'s' if left != 1 else ''} not sent at exit")
