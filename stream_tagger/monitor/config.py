"""The ``monitor`` command's TOML config: settings for all feeds, then one ``[[feeds]]`` table per feed.

::

    metrics_port = 9108                  # Prometheus /metrics (0: any free port); none: no metrics
    log_dir = "/var/log/stream-tagger"   # as-run logs: <log_dir>/<feed>/<YYYY-MM-DD>.csv
    on_alert = "/usr/local/bin/page-me"  # run for each alert change (STREAM_TAGGER_* variables)
    webhook = "http://127.0.0.1:9000/hook"

    [[feeds]]
    name = "radio1"                      # letters, digits, . _ - ; unique
    url = "https://icecast.example.org/radio1.mp3"
    alerts = ["silence>=10", "!music>=300", "gap>=5"]

    [[feeds]]
    name = "studio"
    device = "USB"                       # index or name, as for `live --device`
    hop = 0.5
    silence_db = -55

Top-level keys: :data:`TOP_KEYS`; feed keys: :data:`FEED_KEYS`. Each feed has exactly one of
``url``, ``device`` or ``file`` (a file paced in real time, ``speed`` 1 by default: for trying a
config and for tests). Relative paths (``file``, ``log_dir``, ``model``) are taken from the
config file's folder. Every problem is a :class:`~stream_tagger.errors.UsageError` naming the
file and the place in it (``feeds[2] 'studio': unknown key 'hopp'``): exit status 2.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from ..errors import UsageError

TOP_KEYS = {
    "feeds": "the feeds, one [[feeds]] table each",
    "metrics_port": "Prometheus metrics port (0: any free port)",
    "metrics_host": "address the metrics are served on (default 0.0.0.0)",
    "log_dir": "as-run logs folder",
    "on_alert": "command run for each alert change",
    "webhook": "URL each alert change is POSTed to",
    "notify_timeout": "seconds a command or webhook request may take (default 10)",
    "hops": "true: write every hop line too (default false: segments, gaps, alerts)",
    "model": "TFLite model for every feed (default: the shipped model)",
    "restart_s": "longest wait before a failed device feed is restarted (default 60)",
}
FEED_KEYS = {
    "name": "the feed's name (metrics label, log folder, line tag)",
    "url": "a network stream (needs the monitor extra)",
    "device": "an input device index or name",
    "file": "an audio file, paced as if live (for trying a config)",
    "alerts": "alert rules, e.g. [\"silence>=10\", \"!music>=300\", \"gap>=5\"]",
    "hop": "hop in seconds, 0.1..1.0 (default 0.25)",
    "silence_db": "silence below this level in dBFS (default: the model's)",
    "device_rate": "capture rate of a device feed in Hz",
    "speed": "pace of a file feed (default 1; 0: as fast as possible)",
    "max_retries": "reconnections of a url feed before it gives up (default: forever)",
    "timeout_s": "seconds a url feed's read may take before it counts as stalled (default 10)",
    "realtime": "false: a url feed's recording served faster than real time is read whole, without drops",
}
SOURCE_KEYS = ("url", "device", "file")
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@dataclass
class FeedConfig:
    name: str
    kind: str  # "url", "device" or "file"
    target: object  # the URL, device (index or name) or file path
    alerts: list = field(default_factory=list)
    hop: float = 0.25
    silence_db: float | None = None
    device_rate: int | None = None
    speed: float | None = 1.0
    max_retries: int | None = None
    timeout_s: float = 10.0
    realtime: bool = True


@dataclass
class MonitorConfig:
    path: str
    feeds: list[FeedConfig]
    metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"
    log_dir: str | None = None
    on_alert: str | None = None
    webhook: str | None = None
    notify_timeout: float = 10.0
    hops: bool = False
    model: str | None = None
    restart_s: float = 60.0


class _Place:
    """Says where in the file a value is, for the one error line."""

    def __init__(self, path: str, where: str = ""):
        self.path, self.where = path, where

    def error(self, msg: str) -> UsageError:
        return UsageError(f"{self.path}: {self.where + ': ' if self.where else ''}{msg}")

    def number(self, d: dict, key: str, lo: float, hi: float, integer: bool = False):
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            raise self.error(f"{key} must be {'an integer' if integer else 'a number'}, not {v!r}")
        if not math.isfinite(v) or v < lo or v > hi:
            raise self.error(f"{key} must be between {lo:g} and {hi:g}, not {v!r}")
        return v

    def text(self, d: dict, key: str) -> str:
        v = d[key]
        if not isinstance(v, str) or not v.strip():
            raise self.error(f"{key} must be a non-empty string, not {v!r}")
        return v


def _unknown(place: _Place, d: dict, known: dict) -> None:
    for k in d:
        if k not in known:
            raise place.error(f"unknown key '{k}' (known: {', '.join(known)})")


def load(path: str) -> MonitorConfig:
    """Read and check ``path`` (UsageError on any problem, naming the place)."""
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a config file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: invalid TOML ({e})") from None
    return parse(data, path)


def _rel(base: str, p: str) -> str:
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, os.path.expanduser(p)))


def parse(data: dict, path: str = "config") -> MonitorConfig:
    """A parsed TOML document -> :class:`MonitorConfig` (UsageError on any problem)."""
    from ..postprocess import SILENCE_DBFS_RANGE
    from .alerts import parse_rule
    from .options import check_webhook

    base = os.path.dirname(os.path.abspath(path))
    top = _Place(path)
    _unknown(top, data, TOP_KEYS)
    cfg = MonitorConfig(path=path, feeds=[])
    if "metrics_port" in data:
        cfg.metrics_port = int(top.number(data, "metrics_port", 0, 65535, integer=True))
    if "metrics_host" in data:
        cfg.metrics_host = top.text(data, "metrics_host")
    if "log_dir" in data:
        cfg.log_dir = _rel(base, top.text(data, "log_dir"))
    if "on_alert" in data:
        cfg.on_alert = top.text(data, "on_alert")
    if "webhook" in data:
        cfg.webhook = check_webhook(top.text(data, "webhook"), f"{path}: webhook")
    if "notify_timeout" in data:
        cfg.notify_timeout = float(top.number(data, "notify_timeout", 0.1, 3600))
    if "hops" in data:
        if not isinstance(data["hops"], bool):
            raise top.error(f"hops must be true or false, not {data['hops']!r}")
        cfg.hops = data["hops"]
    if "model" in data:
        cfg.model = _rel(base, top.text(data, "model"))
    if "restart_s" in data:
        cfg.restart_s = float(top.number(data, "restart_s", 1, 3600))
    feeds = data.get("feeds")
    if feeds is None:
        raise top.error("no feeds: add a [[feeds]] table for each feed (name, and url, device or file)")
    if not isinstance(feeds, list) or not all(isinstance(f, dict) for f in feeds):
        raise top.error("feeds must be [[feeds]] tables")
    if not feeds:
        raise top.error("no feeds: add a [[feeds]] table for each feed")
    lo, hi = SILENCE_DBFS_RANGE
    seen: dict[str, int] = {}
    for i, d in enumerate(feeds):
        raw = d.get("name")
        place = _Place(path, f"feeds[{i}]" + (f" '{raw}'" if isinstance(raw, str) else ""))
        _unknown(place, d, FEED_KEYS)
        if "name" not in d:
            raise place.error("no name (name = \"...\": letters, digits, '.', '_', '-')")
        name = place.text(d, "name")
        if not set(name) <= NAME_CHARS or name in (".", "..") or len(name) > 100:
            raise place.error(f"name {name!r}: use letters, digits, '.', '_' and '-' only (up to 100)")
        if name in seen:
            raise place.error(f"duplicate name {name!r} (also feeds[{seen[name]}])")
        seen[name] = i
        given = [k for k in SOURCE_KEYS if k in d]
        if len(given) != 1:
            raise place.error("give exactly one of url, device or file" + (f" (not {', '.join(given)})" if given else ""))
        kind = given[0]
        if kind == "device":
            v = d["device"]
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise place.error(f"device must be an index or a name, not {v!r}")
            target: object = v
        else:
            target = place.text(d, kind)
            if kind == "file":
                target = _rel(base, target)
        feed = FeedConfig(name=name, kind=kind, target=target)
        alerts = d.get("alerts", [])
        if not isinstance(alerts, list):
            raise place.error(f"alerts must be a list of rules, like [\"silence>=10\"], not {alerts!r}")
        for j, rule in enumerate(alerts):
            try:
                r = parse_rule(rule) if isinstance(rule, str) else None
            except ValueError as e:
                raise _Place(path, f"{place.where}: alerts[{j}]").error(str(e)) from None
            if r is None:
                raise place.error(f"alerts[{j}] must be a string, not {rule!r}")
            if r not in feed.alerts:
                feed.alerts.append(r)
        if "hop" in d:
            feed.hop = float(place.number(d, "hop", 0.1, 1.0))
        if "silence_db" in d:
            feed.silence_db = float(place.number(d, "silence_db", lo, hi))
        only = {"device_rate": "device", "speed": "file", "max_retries": "url", "timeout_s": "url", "realtime": "url"}
        for key, for_kind in only.items():
            if key in d and kind != for_kind:
                raise place.error(f"{key} is for {for_kind} feeds, and this one is a {kind} feed")
        if "device_rate" in d:
            feed.device_rate = int(place.number(d, "device_rate", 1, 768000, integer=True))
        if "speed" in d:
            s = float(place.number(d, "speed", 0, 1000))
            feed.speed = s if s > 0 else None
        if "max_retries" in d:
            feed.max_retries = int(place.number(d, "max_retries", 0, 10**9, integer=True))
        if "timeout_s" in d:
            feed.timeout_s = float(place.number(d, "timeout_s", 0.1, 3600))
        if "realtime" in d:
            if not isinstance(d["realtime"], bool):
                raise place.error(f"realtime must be true or false, not {d['realtime']!r}")
            feed.realtime = d["realtime"]
        cfg.feeds.append(feed)
    return cfg
