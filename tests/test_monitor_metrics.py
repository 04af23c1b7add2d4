"""Prometheus metrics: a real process serving /metrics, scraped with urllib and read with
prometheus-client's own text parser; the figures move as the stream goes on."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request

import pytest
import soundfile as sf
from conftest import RATE, tone_bursts
from monitor_helpers import Lines, env, free_port, popen, run

pytest.importorskip("prometheus_client")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


@pytest.fixture(scope="module")
def minute_wav(tmp_path_factory) -> str:
    """60 s: a tone for 2 s every 5 s, silence between."""
    p = tmp_path_factory.mktemp("metrics") / "minute.wav"
    sf.write(p, tone_bursts([(5 * i, 5 * i + 2) for i in range(12)], 60.0, freq_hz=300.0), RATE, subtype="PCM_16")
    return str(p)


def scrape(url: str) -> tuple[str, dict]:
    """(content type, {(name, labels tuple): value}) of one scrape."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        ctype = resp.headers.get("Content-Type", "")
        text = resp.read().decode()
    values = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return ctype, values


def test_metrics_endpoint_figures_move(engine_model, minute_wav):
    proc = popen("replay", minute_wav, "--headless", "--speed", "4", "--model", engine_model, "--metrics-port", "0",
                 "--metrics-host", "127.0.0.1", "--alert", "silence>=2.5", "--stream-name", "studio")
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        line = err.wait_for(lambda ln: "metrics on http" in ln, 30)
        assert line, err.lines
        url = re.search(r"(http://\S+/metrics)", line).group(1)
        assert out.wait_for(lambda ln: '"hop"' in ln, 30)
        ctype, first = scrape(url)
        assert ctype.startswith("text/plain")
        assert out.wait_for(lambda ln: '"alert": "silence>=2.5", "state": "firing"' in ln, 30), out.lines
        _, second = scrape(url)
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.lines
    def v(values, name, **labels):
        return values[(name, tuple(sorted({"stream": "studio", **labels}.items())))]

    # counters end in _total and grow; base units (seconds, samples)
    assert v(second, "stream_tagger_audio_seconds_total") > v(first, "stream_tagger_audio_seconds_total") > 0
    assert v(second, "stream_tagger_label_seconds_total", label="silence") > \
        v(first, "stream_tagger_label_seconds_total", label="silence")
    total_labels = sum(v(second, "stream_tagger_label_seconds_total", label=lab)
                       for lab in ("speech", "music", "noise", "silence"))
    assert total_labels >= v(second, "stream_tagger_audio_seconds_total") * 0.99
    assert v(second, "stream_tagger_analysis_seconds_total") > v(first, "stream_tagger_analysis_seconds_total")
    assert 0 < v(second, "stream_tagger_processing_load_ratio") < 1
    assert v(second, "stream_tagger_dropped_samples_total") == 0
    assert v(second, "stream_tagger_reconnects_total") == 0
    assert v(second, "stream_tagger_up") == 1
    # the alert was firing at the second scrape (its line came first), not at the first
    assert v(first, "stream_tagger_alert_firing", alert="silence>=2.5") == 0
    assert v(second, "stream_tagger_alert_firing", alert="silence>=2.5") == 1
    assert v(second, "stream_tagger_label_on", label="silence") == 1
    assert v(second, "stream_tagger_level_dbfs") <= -100
    assert 0 < v(second, "stream_tagger_hop_latency_seconds", quantile="0.99") < 5
    ours = [k for k in second if k[0].startswith("stream_tagger_")]
    assert len(ours) >= 20 and all(("stream", "studio") in labels for _, labels in ours)
    # the Grafana dashboard asks for metrics the endpoint serves
    import json
    import pathlib

    dash = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json").read_text()
    json.loads(dash)
    asked = set(re.findall(r"stream_tagger_[a-z_]+", dash))
    assert len(asked) >= 10 and asked <= {name for name, _ in second}, asked - {name for name, _ in second}


def test_metrics_without_prometheus_client_is_one_line(minute_wav):
    code = ("import sys; sys.modules['prometheus_client'] = None; from stream_tagger.cli import main; "
            f"sys.exit(main(['replay', {minute_wav!r}, '--headless', '--fast', '--metrics-port', '0']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env())
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "stream-tagger: error: --metrics-port needs the prometheus-client package: pip install 'stream-tagger[monitor]'"]
    assert r.stdout == ""


def test_metrics_port_in_use_is_one_line(minute_wav):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", free_port()))
    s.listen(1)
    try:
        port = s.getsockname()[1]
        r = run("replay", minute_wav, "--headless", "--fast", "--metrics-port", port, "--metrics-host", "127.0.0.1",
                timeout=60)
    finally:
        s.close()
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"--metrics-port {port}: cannot listen on 127.0.0.1" in lines[0], r.stderr
