"""``monitor`` on a network stream (needs stream_tagger.sources.stream and the monitor extra): a
real HTTP radio server on 127.0.0.1 goes down and comes back; the gap rule fires during the
outage and clears at the gap's end, the gap is in the lines, the as-run log and the metrics."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.request

import pytest
from monitor_helpers import Lines, popen

pytest.importorskip("stream_tagger.sources.stream")
pytest.importorskip("av")
pytest.importorskip("prometheus_client")
stream_server = pytest.importorskip("stream_server")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("radio") / "radio.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", os.path.join(REPO, "assets", "example.ogg"),
                    "-t", "20", "-c:a", "libmp3lame", "-b:a", "64k", str(out)], check=True)
    return out.read_bytes()


def test_a_stream_that_goes_down_fires_the_gap_rule_and_is_logged(engine_model, mp3_bytes, tmp_path):
    server = stream_server.RadioServer()
    server.add_stream("/radio.mp3", mp3_bytes, duration_s=20.0, loop=True)
    cfg = tmp_path / "net.toml"
    cfg.write_text(f'model = "{engine_model}"\nlog_dir = "logs"\nmetrics_port = 0\nmetrics_host = "127.0.0.1"\n\n'
                   f'[[feeds]]\nname = "net"\nurl = "{server.url("/radio.mp3")}"\ntimeout_s = 2\n'
                   'alerts = ["gap>=1.5"]\n')
    proc = popen("monitor", cfg)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        assert out.wait_for(lambda ln: '"segment"' in ln, 30), err.lines  # audio flows
        server.stop()
        fired = out.wait_for(lambda ln: '"state": "firing"' in ln, 30)  # during the outage
        assert fired, (out.lines, err.lines)
        server.start()
        cleared = out.wait_for(lambda ln: '"state": "cleared"' in ln, 30)
        assert cleared, (out.lines, err.lines)
        url = re.search(r"(http://\S+/metrics)", err.wait_for(lambda ln: "metrics on" in ln, 5)).group(1)
        text = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10).read().decode()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()
    out.join()
    assert proc.returncode == 0, err.lines
    recs = out.json()
    gaps = [r["gap"] for r in recs if "gap" in r]
    assert len(gaps) == 1 and gaps[0]["seconds"] >= 1.5
    f, c = json.loads(fired), json.loads(cleared)
    assert f["stream_s"] == gaps[0]["start"] and c["stream_s"] == gaps[0]["end"] and c["utc"] == gaps[0]["end_utc"]
    assert 'stream_tagger_reconnects_total{stream="net"} 1.0' in text
    assert 'stream_tagger_gaps_total{stream="net"} 1.0' in text
    (day,) = os.listdir(tmp_path / "logs" / "net")
    rows = open(tmp_path / "logs" / "net" / day).read().splitlines()
    gap_rows = [r.split(",") for r in rows if ",gap," in r]
    assert len(gap_rows) == 1
    assert gap_rows[0][:2] == [gaps[0]["start_utc"], gaps[0]["end_utc"]]
    assert float(gap_rows[0][5]) == pytest.approx(gaps[0]["seconds"], abs=0.001)
