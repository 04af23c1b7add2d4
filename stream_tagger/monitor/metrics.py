"""Prometheus metrics on ``/metrics`` (``--metrics-port PORT``), through prometheus-client.

Every metric has a ``stream`` label (the stream's or feed's name); base units (seconds, samples,
ratios); counters end in ``_total``. Figures are read at scrape time from what each stream's
consumer thread keeps (:class:`~stream_tagger.monitor.observer.Figures`), so the analysis does no
extra work per scrape. Counters go on across a feed's restarts.

=========================================================  ======  =====================================
metric                                                     type    meaning
=========================================================  ======  =====================================
``stream_tagger_label_seconds_total{stream,label}``        counter stream seconds each label was on (hops)
``stream_tagger_label_on{stream,label}``                   gauge   1 while the label is on (latest hop)
``stream_tagger_level_dbfs{stream}``                       gauge   latest hop's RMS level, dBFS
``stream_tagger_audio_seconds_total{stream}``              counter stream seconds analysed (hops)
``stream_tagger_analysis_seconds_total{stream}``           counter processing time spent on them
``stream_tagger_processing_load_ratio{stream}``            gauge   analysis time / audio time, recent
``stream_tagger_dropped_samples_total{stream}``            counter 16 kHz samples dropped (analysis behind)
``stream_tagger_lost_events_total{stream}``                counter hops/segments lost (output not read)
``stream_tagger_reconnects_total{stream}``                 counter network stream reconnections
``stream_tagger_gaps_total{stream}``                       counter gaps (audio missing) reported
``stream_tagger_gap_seconds_total{stream}``                counter wall-clock seconds of those gaps
``stream_tagger_restarts_total{stream}``                   counter feed restarts after a failure
``stream_tagger_alert_firing{stream,alert}``               gauge   1 while the rule fires
``stream_tagger_hop_latency_seconds{stream,quantile}``     gauge   audio-in to hop-out, 0.5/0.99, last 240 hops
``stream_tagger_up{stream}``                               gauge   1 while the stream is being analysed
=========================================================  ======  =====================================
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import TaggerError
from .alerts import log

EXTRA_HINT = "pip install 'stream-tagger[monitor]'"
LATENCY_RECENT_HOPS = 240  # hop latency quantiles over the latest 240 hops (a minute at the 0.25 s hop)


def prometheus_client():
    """The prometheus_client module, or a one-line TaggerError naming the ``monitor`` extra."""
    try:
        import prometheus_client as pc  # noqa: PLC0415
        import prometheus_client.core  # noqa: F401, PLC0415
    except ImportError:
        raise TaggerError(f"--metrics-port needs the prometheus-client package: {EXTRA_HINT}") from None
    return pc


class MonitorCollector:
    """A prometheus-client collector over a list of observers (which may grow)."""

    def __init__(self, observers):
        self.observers = observers
        self._lock = threading.Lock()
        self._before: dict[str, float] = {}

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        S, SL = ["stream"], ["stream", "label"]
        fam = {
            "label_s": CounterMetricFamily("stream_tagger_label_seconds", "Stream seconds each label was on", labels=SL),
            "on": GaugeMetricFamily("stream_tagger_label_on", "1 while the label is on (latest hop)", labels=SL),
            "level": GaugeMetricFamily("stream_tagger_level_dbfs", "Latest hop's RMS level in dBFS", labels=S),
            "audio": CounterMetricFamily("stream_tagger_audio_seconds", "Stream seconds analysed", labels=S),
            "analysis": CounterMetricFamily("stream_tagger_analysis_seconds", "Processing time spent analysing",
                                            labels=S),
            "load": GaugeMetricFamily("stream_tagger_processing_load_ratio",
                                      "Analysis time / audio time over the recent past", labels=S),
            "dropped": CounterMetricFamily("stream_tagger_dropped_samples",
                                           "16 kHz samples dropped because the analysis fell behind", labels=S),
            "lost": CounterMetricFamily("stream_tagger_lost_events", "Hops and segments lost (output not read)",
                                        labels=S),
            "reconnects": CounterMetricFamily("stream_tagger_reconnects", "Network stream reconnections", labels=S),
            "gaps": CounterMetricFamily("stream_tagger_gaps", "Gaps (audio missing) reported", labels=S),
            "gap_s": CounterMetricFamily("stream_tagger_gap_seconds", "Wall-clock seconds of audio missing",
                                         labels=S),
            "restarts": CounterMetricFamily("stream_tagger_restarts", "Feed restarts after a failure", labels=S),
            "alert": GaugeMetricFamily("stream_tagger_alert_firing", "1 while the alert rule fires",
                                       labels=["stream", "alert"]),
            "latency": GaugeMetricFamily("stream_tagger_hop_latency_seconds",
                                         "Seconds from the audio's arrival to its hop, recent quantiles",
                                         labels=["stream", "quantile"]),
            "up": GaugeMetricFamily("stream_tagger_up", "1 while the stream is being analysed", labels=S),
        }
        for o in list(self.observers):
            try:
                self._add(fam, o)
            except Exception as e:  # noqa: BLE001 - one stream's trouble never breaks the scrape
                log(f"warning: metrics: {o.name}: {e}")
        yield from fam.values()

    @staticmethod
    def _add(fam: dict, o) -> None:
        f, name, tagger = o.figures, o.name, o.tagger
        for lab, secs in list(f.label_seconds.items()):
            fam["label_s"].add_metric([name, lab], secs)
            fam["on"].add_metric([name, lab], 1.0 if lab in f.labels_on else 0.0)
        if f.level_dbfs is not None:
            fam["level"].add_metric([name], f.level_dbfs)
        fam["audio"].add_metric([name], f.audio_s)
        processing = f.processing_before
        lost = f.lost_before
        if tagger is not None:
            st = tagger.stats
            processing += st.processing_s
            lost += st.lost_events
            fam["load"].add_metric([name], float(tagger.snapshot().load))
            lat = _latencies(st.latencies_s)[-LATENCY_RECENT_HOPS:]
            if lat.size:
                for q in (0.5, 0.99):
                    fam["latency"].add_metric([name, f"{q:g}"], float(np.quantile(lat, q)))
        fam["analysis"].add_metric([name], processing)
        fam["lost"].add_metric([name], lost)
        fam["dropped"].add_metric([name], f.dropped_before + f.dropped_samples)
        rec = getattr(o.source, "reconnects", None)
        fam["reconnects"].add_metric([name], f.reconnects_before + (int(rec) if rec is not None else 0))
        fam["gaps"].add_metric([name], f.gaps)
        fam["gap_s"].add_metric([name], f.gap_seconds)
        fam["restarts"].add_metric([name], f.restarts)
        for rule, firing in list(o.book.firing.items()):
            fam["alert"].add_metric([name, rule], 1.0 if firing else 0.0)
        fam["up"].add_metric([name], 1.0 if f.up else 0.0)


def _latencies(d) -> np.ndarray:
    for _ in range(3):
        try:
            return np.asarray(list(d), dtype=np.float64)
        except RuntimeError:  # the deque grew while being copied
            continue
    return np.zeros(0)


class MetricsServer:
    """``/metrics`` served on ``host:port`` (port 0: any free port, see :attr:`port`) from a thread."""

    def __init__(self, observers, port: int, host: str = "0.0.0.0"):
        pc = prometheus_client()
        from prometheus_client import CollectorRegistry

        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(MonitorCollector(observers))
        try:
            self._server, self._thread = pc.start_http_server(int(port), addr=host, registry=self.registry)
        except OSError as e:
            raise TaggerError(f"--metrics-port {port}: cannot listen on {host or '*'} ({e.strerror or e})") from None
        self.host = host
        self.port = int(self._server.server_port)

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        try:
            self._server.shutdown()
            self._server.server_close()
        except Exception:
            pass
