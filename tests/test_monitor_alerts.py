"""Alerts on ``live``/``replay --headless`` (real processes): dead air fires and clears, the gap rule
fires during an outage of standard input, --on-alert and --webhook get every change, a hung webhook
and a hung command are timed out without slowing the analysis, bad rules exit 2 with one line."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import RATE, tone_bursts
from monitor_helpers import HangingServer, Lines, RecordingServer, alert_lines, popen, run

TONES = [(0.0, 2.0), (5.5, 8.0), (10.5, 12.0)]  # silence 2.0-5.5 (3.5 s) and 8.0-10.5 (2.5 s)


@pytest.fixture(scope="module")
def dead_air_wav(tmp_path_factory) -> str:
    p = tmp_path_factory.mktemp("alerts") / "dead_air.wav"
    sf.write(p, tone_bursts(TONES, 12.0, freq_hz=300.0, amp=0.3), RATE, subtype="PCM_16")
    return str(p)


def _records(stdout: str) -> list[dict]:
    return [json.loads(ln) for ln in stdout.splitlines() if ln.strip()]


def test_dead_air_fires_and_clears(engine_model, dead_air_wav):
    r = run("replay", dead_air_wav, "--headless", "--fast", "--model", engine_model,
            "--alert", "silence>=3", "--alert", "!silence>=1.5", "--alert", "silence >= 2")
    assert r.returncode == 0, r.stderr
    recs = _records(r.stdout)
    alerts = alert_lines(recs)
    for a in alerts:
        assert list(a) == ["alert", "state", "utc", "stream_s"]
        assert a["utc"].endswith("Z") and len(a["utc"]) == len("2024-05-01T12:00:00.123Z")
    by_rule = {}
    for a in alerts:
        by_rule.setdefault(a["alert"], []).append((a["state"], a["stream_s"]))
    assert set(by_rule) == {"silence>=3", "!silence>=1.5", "silence>=2"}  # canonical spellings
    # 3.5 s of silence fires silence>=3 once, 2.5 s does not
    (f, fired_s), (c, cleared_s) = by_rule["silence>=3"]
    assert (f, c) == ("firing", "cleared")
    assert 5.0 <= fired_s <= 5.6 and 5.5 <= cleared_s <= 6.0, by_rule
    # silence>=2 fires in both silences, 2 s after each began
    states = [s for s, _ in by_rule["silence>=2"]]
    assert states == ["firing", "cleared", "firing", "cleared"], by_rule
    sil = [(s["start"], s["end"]) for s in recs if s.get("type") == "segment" and s["label"] == "silence"]
    assert len(sil) == 2
    for (a, b), ((_, t_f), (_, t_c)) in zip(sil, zip(by_rule["silence>=2"][::2], by_rule["silence>=2"][1::2])):
        assert a + 2.0 <= t_f <= a + 2.6 and b <= t_c <= b + 0.5
    # !silence>=1.5: the tones last 2 s, 2.5 s and 1.5 s
    assert [s for s, _ in by_rule["!silence>=1.5"]].count("firing") >= 2
    # each line comes when its hop does: after the hop that reached it, before later hops
    hops_before = [i for i, rec in enumerate(recs) if rec.get("alert") == "silence>=3"]
    first_after = next(rec for rec in recs[hops_before[0]:] if rec.get("type") == "hop")
    assert first_after["start"] >= fired_s - 0.25


def test_gap_rule_fires_during_the_outage_and_runs_the_command(engine_model, tmp_path):
    """Standard input that stops delivering: gap>=1 fires while nothing comes (the watchdog), the
    --on-alert command gets the details, and the rule clears when audio flows again."""
    env_log = tmp_path / "env.txt"
    cmd = f"env | grep ^STREAM_TAGGER_ | sort >> {env_log}; echo --- >> {env_log}; echo noise-on-stdout"
    proc = popen("replay", "-", "--headless", "--model", engine_model, "--alert", "gap>=1",
                 "--on-alert", cmd, "--stream-name", "studio A", stdin=__import__("subprocess").PIPE)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    tone = (0.3 * np.sin(2 * np.pi * 300 * np.arange(int(1.5 * RATE)) / RATE) * 32767).astype("<i2").tobytes()
    try:
        proc.stdin.write(tone)
        proc.stdin.flush()
        fired = out.wait_for(lambda ln: '"firing"' in ln, 20)
        assert fired, (out.lines, err.lines)
        assert out.wait_for(lambda ln: '"cleared"' in ln, 0.01) is None  # nothing more was written yet
        proc.stdin.write(tone)
        proc.stdin.flush()
        cleared = out.wait_for(lambda ln: '"cleared"' in ln, 20)
        assert cleared, (out.lines, err.lines)
        proc.stdin.close()
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    out.join()
    err.join()
    assert proc.returncode == 0, err.lines
    f, c = json.loads(fired), json.loads(cleared)
    assert f["alert"] == c["alert"] == "gap>=1"
    assert f["stream_s"] == pytest.approx(1.5, abs=0.01) == c["stream_s"]  # where the audio stopped
    assert f["utc"] < c["utc"]
    for line in out.lines:
        assert line.startswith("{"), line  # the command's output went to stderr, not among the lines
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and open(env_log).read().count("---") < 2:
        time.sleep(0.1)
    blocks = [b.strip().splitlines() for b in open(env_log).read().split("---") if b.strip()]
    assert len(blocks) == 2
    envs = [dict(ln.split("=", 1) for ln in b) for b in blocks]
    assert [e["STREAM_TAGGER_STATE"] for e in envs] == ["firing", "cleared"]
    assert envs[0]["STREAM_TAGGER_ALERT"] == "gap>=1"
    assert envs[0]["STREAM_TAGGER_UTC"] == f["utc"] and envs[1]["STREAM_TAGGER_UTC"] == c["utc"]
    assert envs[0]["STREAM_TAGGER_STREAM"] == "studio-A"
    assert float(envs[0]["STREAM_TAGGER_STREAM_S"]) == f["stream_s"]
    assert any("noise-on-stdout" in ln for ln in err.lines)


def test_webhook_gets_each_change(engine_model, dead_air_wav):
    server = RecordingServer()
    try:
        r = run("replay", dead_air_wav, "--headless", "--fast", "--model", engine_model,
                "--alert", "silence>=2", "--webhook", server.url)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(server.posts) < 4:
            time.sleep(0.05)
    finally:
        server.close()
    assert r.returncode == 0, r.stderr
    alerts = alert_lines(_records(r.stdout))
    assert len(alerts) == 4
    posted = [(ct, json.loads(body)) for ct, body in server.posts]
    assert all(ct == "application/json" for ct, _ in posted)
    bodies = [b for _, b in posted]
    assert [{k: v for k, v in b.items() if k != "stream"} for b in bodies] == alerts
    assert all(b["stream"] == "dead_air" for b in bodies)


def test_hung_webhook_and_hung_command_do_not_slow_the_analysis(engine_model, dead_air_wav, tmp_path):
    """Replayed at 4x real time (a paced source drops audio if the analysis falls behind): every
    hop is there with nothing dropped or lost while the webhook never answers and the command
    never ends; both are timed out, retried and given up on, each on stderr."""
    hung = HangingServer()
    try:
        r = run("replay", dead_air_wav, "--headless", "--speed", "4", "--model", engine_model,
                "--alert", "silence>=1", "--alert", "!silence>=1", "--webhook", hung.url,
                "--on-alert", "sleep 60", "--notify-timeout", "0.5")
    finally:
        hung.close()
    assert r.returncode == 0, r.stderr
    recs = _records(r.stdout)
    hops = [x for x in recs if x.get("type") == "hop"]
    assert len(hops) == 48 and hops[-1]["end"] == 12.0
    assert all(b["index"] == a["index"] + 1 for a, b in zip(hops, hops[1:]))
    assert hops[-1]["dropped_samples"] == 0
    assert len(alert_lines(recs)) >= 6
    assert "0.00 s dropped, 0 events lost" in r.stderr
    assert hung.accepted >= 1
    first = alert_lines(recs)[0]
    for who in ("--webhook", "--on-alert"):
        assert (f"warning: {who}: '{first['alert']} firing' of dead_air: attempt 1 of 3 failed (timed out"
                in r.stderr), r.stderr
    assert "not sent at exit" in r.stderr
    assert "Traceback" not in r.stderr


def test_failing_command_is_retried_then_given_up(engine_model, dead_air_wav):
    r = run("replay", dead_air_wav, "--headless", "--fast", "--model", engine_model, "--alert", "silence>=3",
            "--on-alert", "exit 3", "--notify-timeout", "2")
    assert r.returncode == 0
    lines = [ln for ln in r.stderr.splitlines() if "--on-alert" in ln]
    assert any("attempt 1 of 3 failed (exit status 3)" in ln for ln in lines), r.stderr
    assert any("attempt 3 of 3 failed (exit status 3); giving up" in ln for ln in lines) or "not sent at exit" in r.stderr


@pytest.mark.parametrize("args, needle", [
    (["--alert", "silence>10"], "bad alert rule 'silence>10': expected LABEL>=SECONDS"),
    (["--alert", "loud>=3"], "unknown label 'loud'"),
    (["--alert", "!gap>=3"], "'!gap' has no meaning"),
    (["--alert", "silence>=0"], "seconds must be a positive number"),
    (["--webhook", "http://127.0.0.1:1/x"], "--webhook needs at least one --alert RULE"),
    (["--alert", "gap>=1", "--webhook", "ftp://x/y"], "not an http:// or https:// URL"),
    (["--alert", "gap>=1", "--format", "csv"], "use --format jsonl"),
])
def test_bad_monitoring_options_exit_2_with_one_line(dead_air_wav, args, needle):
    r = run("replay", dead_air_wav, "--headless", "--fast", *args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stream-tagger: error: replay: ") and needle in lines[0], r.stderr
    assert r.stdout == ""
