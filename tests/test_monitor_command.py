"""``stream-tagger monitor CONFIG.toml``: config errors name their place (exit 2), feeds run side by
side with their lines tagged, a failing feed leaves the others running, SIGTERM stops every feed
with its open segments flushed to stdout and to the as-run logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
import soundfile as sf
from conftest import RATE, tone_bursts
from monitor_helpers import Lines, popen, run

from stream_tagger.cli import main


@pytest.fixture(scope="module")
def minute_wav(tmp_path_factory) -> str:
    """60 s: a tone for 2 s every 5 s, silence between."""
    p = tmp_path_factory.mktemp("monitor") / "minute.wav"
    sf.write(p, tone_bursts([(5 * i, 5 * i + 2) for i in range(12)], 60.0, freq_hz=300.0), RATE, subtype="PCM_16")
    return str(p)


GOOD = """
[[feeds]]
name = "a"
file = "a.wav"
alerts = ["silence>=10"]

[[feeds]]
name = "b"
file = "b.wav"
"""


@pytest.mark.parametrize("text, place", [
    ("metrics_prot = 9100\n" + GOOD, "unknown key 'metrics_prot' (known: feeds, metrics_port"),
    (GOOD + "hopp = 0.5\n", "feeds[1] 'b': unknown key 'hopp' (known: name, url, device, file"),
    (GOOD.replace('name = "b"', 'name = "a"'), "feeds[1] 'a': duplicate name 'a' (also feeds[0])"),
    (GOOD.replace('["silence>=10"]', '["silence>=10", "music>5"]'),
     "feeds[0] 'a': alerts[1]: bad alert rule 'music>5': expected LABEL>=SECONDS"),
    (GOOD.replace('["silence>=10"]', '["speach>=5"]'), "feeds[0] 'a': alerts[0]: bad alert rule 'speach>=5': unknown label"),
    (GOOD.replace('file = "b.wav"', ''), "feeds[1] 'b': give exactly one of url, device or file"),
    (GOOD.replace('file = "b.wav"', 'file = "b.wav"\ndevice = 3'), "feeds[1] 'b': give exactly one of url, device or "
                                                                   "file (not device, file)"),
    (GOOD.replace('file = "b.wav"', 'url = "http://x/y"\nspeed = 2'), "feeds[1] 'b': speed is for file feeds"),
    (GOOD + "hop = \"fast\"\n", "feeds[1] 'b': hop must be a number, not 'fast'"),
    (GOOD + "hop = 2\n", "feeds[1] 'b': hop must be between 0.1 and 1"),
    (GOOD.replace('name = "b"', 'name = "b/c"'), "feeds[1] 'b/c': name 'b/c': use letters, digits"),
    ("metrics_port = 70000\n" + GOOD, "metrics_port must be between 0 and 65535"),
    ("webhook = \"mailto:x\"\n" + GOOD, "webhook 'mailto:x': not an http:// or https:// URL"),
    ("log_dir = \"x\"", "no feeds: add a [[feeds]] table"),
    ("[[feeds]\nname = 1", "invalid TOML (Expected ']]' at the end of an array declaration (at line 1, column 8))"),
])
def test_config_errors_name_the_place_exit_2(tmp_path, capsys, text, place):
    cfg = tmp_path / "radio.toml"
    cfg.write_text(text)
    rc = main(["monitor", str(cfg)])
    err = capsys.readouterr()
    assert rc == 2, err
    lines = err.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"stream-tagger: error: monitor: {cfg}: ") and place in lines[0], lines[0]
    assert err.out == ""


def test_missing_config_and_check(tmp_path, minute_wav):
    r = run("monitor", tmp_path / "none.toml")
    assert r.returncode == 2 and r.stderr.strip().endswith("none.toml: no such file (see stream-tagger monitor --help)")
    cfg = tmp_path / "ok.toml"
    cfg.write_text(GOOD)
    r = run("monitor", cfg, "--check")
    assert r.returncode == 0 and r.stderr.strip() == f"stream-tagger: {cfg}: 2 feeds (a, b), fine"


def test_feeds_side_by_side_a_failing_one_does_not_stop_the_others(engine_model, minute_wav, tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text(f"""
model = "{engine_model}"
log_dir = "logs"

[[feeds]]
name = "one"
file = "{minute_wav}"
speed = 0
alerts = ["silence>=2.5"]

[[feeds]]
name = "gone"
file = "missing.wav"

[[feeds]]
name = "net"
url = "http://127.0.0.1:1/stream"
max_retries = 0
timeout_s = 1

[[feeds]]
name = "two"
file = "{minute_wav}"
speed = 0
hop = 0.5
""")
    r = run("monitor", cfg)
    assert r.returncode == 1, r.stderr  # every feed ended, and some failed
    recs = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert all(list(x)[0] == "stream" for x in recs)  # every line begins with its feed's name
    by = {name: [x for x in recs if x["stream"] == name] for name in ("one", "two")}
    for name in ("one", "two"):
        segs = [x for x in by[name] if x.get("type") == "segment"]
        assert len(segs) == 24 and max(s["end"] for s in segs) == 60.0
        assert not any(x.get("type") == "hop" for x in by[name])  # segments, gaps and alerts only
    # each 3 s silence fires silence>=2.5; the last one still holds when the file ends
    assert [x["state"] for x in by["one"] if "alert" in x] == ["firing", "cleared"] * 11 + ["firing"]
    assert not any("alert" in x for x in by["two"])
    errs = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert any(ln.startswith("stream-tagger: error: monitor: feed 'gone': ") and "missing.wav" in ln for ln in errs)
    assert any(ln.startswith("stream-tagger: error: monitor: feed 'net': ") for ln in errs), r.stderr
    assert len(errs) == 2 and "Traceback" not in r.stderr
    assert sorted(os.listdir(tmp_path / "logs")) == ["gone", "net", "one", "two"]


def test_sigterm_stops_every_feed_with_open_segments_flushed(engine_model, minute_wav, tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text(f"""
model = "{engine_model}"
log_dir = "{tmp_path / 'logs'}"
hops = true

[[feeds]]
name = "one"
file = "{minute_wav}"
speed = 2

[[feeds]]
name = "two"
file = "{minute_wav}"
speed = 2
""")
    proc = popen("monitor", cfg)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        for name in ("one", "two"):  # both feeds under way: a segment closed in each
            assert out.wait_for(lambda ln: ln.startswith(f'{{"stream": "{name}", "type": "segment"'), 30), err.lines
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    out.join()
    err.join()
    assert proc.returncode == 0, err.lines
    recs = out.json()
    for name in ("one", "two"):
        mine = [x for x in recs if x["stream"] == name]
        hops = [x for x in mine if x.get("type") == "hop"]
        segs = [x for x in mine if x.get("type") == "segment"]
        assert hops and hops[-1]["end"] < 60.0  # stopped before the end
        # the open segment was flushed: the segments reach the last hop's end
        assert max(s["end"] for s in segs) == pytest.approx(hops[-1]["end"], abs=0.011)
        # and the as-run log holds the same segments
        (day,) = os.listdir(tmp_path / "logs" / name)
        rows = open(tmp_path / "logs" / name / day).read().splitlines()[1:]
        logged = sorted((r.split(",")[2], float(r.split(",")[3]), float(r.split(",")[4])) for r in rows)
        assert logged == sorted((s["label"], s["start"], s["end"]) for s in segs)
        assert any(ln.startswith(f"stream-tagger: feed '{name}': done: ") for ln in err.lines)
    assert not any("error" in ln or "Traceback" in ln for ln in err.lines), err.lines


def test_monitor_help_lists_its_options():
    r = run("monitor", "--help")
    assert r.returncode == 0
    for opt in ("--check", "--hops", "--metrics-port", "--log-dir"):
        assert opt in r.stdout


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_config_is_valid_and_the_unit_verifies(tmp_path):
    import re
    import shutil

    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    block = re.search(r"A config with a network stream and a sound card:\n\n```toml\n(.*?)```", readme, re.S).group(1)
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(block)
    r = run("monitor", "--check", cfg)
    assert r.returncode == 0 and r.stderr.strip().endswith("2 feeds (radio1, studio), fine"), r.stderr
    unit = open(os.path.join(REPO, "docs", "stream-tagger-monitor.service")).read()
    for line in ("Restart=on-failure", "RestartPreventExitStatus=2", "StandardOutput=journal",
                 "ExecStart=/opt/stream-tagger/.venv/bin/stream-tagger monitor /etc/stream-tagger/monitor.toml"):
        assert line in unit.splitlines()
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    exe = tmp_path / "stream-tagger"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    (tmp_path / "stream-tagger-monitor.service").write_text(unit.replace("/opt/stream-tagger/.venv/bin/stream-tagger",
                                                                         str(exe)))
    r = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "stream-tagger-monitor.service")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "stream-tagger-monitor.service" not in r.stderr, r.stderr


def test_a_device_feed_that_fails_is_restarted_and_its_gap_rule_fires_meanwhile(engine_model, tmp_path):
    cfg = tmp_path / "dev.toml"
    cfg.write_text(f'model = "{engine_model}"\n\n[[feeds]]\nname = "studio"\ndevice = "no-such-device-xyz"\n'
                   'alerts = ["gap>=1.5"]\n')
    proc = popen("monitor", cfg)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        fired = out.wait_for(lambda ln: '"gap>=1.5", "state": "firing"' in ln, 30)
        assert fired, (out.lines, err.lines)
        assert err.wait_for(lambda ln: "restarting in 2 s" in ln, 30), err.lines
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    err.join()
    assert proc.returncode == 0
    assert json.loads(fired)["stream"] == "studio"
    fails = [ln for ln in err.lines if ln.startswith("stream-tagger: error: monitor: feed 'studio': ")]
    assert len(fails) >= 2  # tried again after 1 s
    assert any("restarting in 1 s" in ln for ln in err.lines)
