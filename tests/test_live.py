"""Live capture through a real PulseAudio null sink: paplay a known file into the sink, capture its
monitor with ``stream-tagger live --headless``, stop with SIGINT, check labels and timing."""

from __future__ import annotations

import calendar
import json
import os
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import start_pulse, stop_pulse, tone_bursts

from stream_tagger.engine import tag_file

PLAY_RATE = 48000
TONES = [(0.0, 1.5), (2.5, 3.5)]  # tone spans in the played file; silence between and after
PLAY_TOTAL_S = 4.5


def _read_line(proc, timeout_s):
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    return proc.stdout.readline() if ready else ""


def _live_capture(pulse_env, model, wav):
    """Run live, wait for its first hop (callbacks arrive), play ``wav``, SIGINT; -> (lines, stderr, rc)."""
    proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "live", "--headless", "--device", "pulse",
                             "--model", model], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=pulse_env, bufsize=1)
    try:
        first = _read_line(proc, 15.0)  # the first callback can take 1-2 s, the first hop 1 s more
        assert first, f"no hop from the live stream: {proc.stderr.read() if proc.poll() is not None else ''}"
        subprocess.run(["paplay", "--device=tagnull", wav], env=pulse_env, check=True, timeout=30)
        time.sleep(1.6)  # let the last window pass the end of the played audio
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(ln) for ln in (first + out).splitlines() if ln.strip()]
    return lines, err, proc.returncode


def test_live_capture_through_pulseaudio(pulse_env, engine_model, tmp_path):
    wav = tmp_path / "tones.wav"
    sf.write(wav, tone_bursts(TONES, PLAY_TOTAL_S, rate=PLAY_RATE, amp=0.3), PLAY_RATE)
    t_before = time.time()
    lines, err, rc = _live_capture(pulse_env, engine_model, str(wav))
    t_after = time.time()
    assert rc == 0, err
    assert "Traceback" not in err
    hops = [ln for ln in lines if ln["type"] == "hop"]
    segs = [ln for ln in lines if ln["type"] == "segment"]
    # hops are contiguous on the sample grid from capture start
    for a, b in zip(hops, hops[1:]):
        assert b["index"] == a["index"] + 1 and a["end"] == b["start"]
    assert hops[-1]["dropped_samples"] == 0
    # the played tones appear as the two loud stretches, shifted by where capture began
    sil = [(s["start"], s["end"]) for s in segs if s["label"] == "silence"]
    assert len(sil) == 3, segs
    offset = sil[0][1]  # first tone starts when the silence before it ends
    assert offset > 0.5
    expected = [(offset + 1.5, offset + 2.5), (offset + 3.5, None)]
    assert abs(sil[1][0] - expected[0][0]) <= 0.03 and abs(sil[1][1] - expected[0][1]) <= 0.03
    assert abs(sil[2][0] - expected[1][0]) <= 0.03
    # the last silence is flushed at SIGINT, ending with the last hop
    assert sil[2][1] == pytest.approx(hops[-1]["end"], abs=0.011)
    loud = [h for h in hops if offset + 0.3 <= h["start"] and h["end"] <= offset + 1.2]
    assert loud and all(abs(h["level_dbfs"] - (-13.5)) < 1.5 for h in loud)
    assert all("silence" not in h["labels"] for h in loud)
    # a device's lines carry the UTC time of their start, from the capture times of its blocks
    utc = [calendar.timegm(time.strptime(ln["utc"][:19], "%Y-%m-%dT%H:%M:%S")) + int(ln["utc"][20:23]) / 1000
           for ln in hops]
    assert all(len(ln["utc"]) == 24 and ln["utc"].endswith("Z") for ln in lines)
    assert t_before <= utc[0] and utc[-1] <= t_after
    assert all(abs((b - a) - 0.25) < 0.05 for a, b in zip(utc, utc[1:]))


def test_live_labels_match_file_tagging(pulse_env, shipped_model, tmp_path):
    """Real audio: the labels captured live equal the file's own labels, shifted by the capture offset."""
    example = os.path.join(os.path.dirname(shipped_model), "example.ogg")
    if not os.path.exists(example):
        pytest.skip("assets/example.ogg not there yet")
    data, rate = sf.read(example, dtype="float32", always_2d=True)
    clip = data[: int(8 * rate)].mean(axis=1)
    # a 0.5 s beep and 1 s of silence first: the beep's onset marks where the file begins in the capture
    marker = tone_bursts([(0.0, 0.5)], 1.5, rate=rate, amp=0.3)
    path = str(tmp_path / "played.wav")
    sf.write(path, np.concatenate([marker, clip]), rate)
    ref = tag_file(path, model=shipped_model)
    lines, err, rc = _live_capture(pulse_env, shipped_model, path)
    assert rc == 0, err
    segs = [ln for ln in lines if ln["type"] == "segment"]
    offset = next(s["end"] for s in segs if s["label"] == "silence")  # capture silence ends at the beep
    n = int(9.5 * 100)
    live = {lab: np.zeros(n, bool) for lab in ("speech", "music", "noise", "silence")}
    filed = {lab: np.zeros(n, bool) for lab in live}
    for s in segs:
        a, b = int(round((s["start"] - offset) * 100)), int(round((s["end"] - offset) * 100))
        live[s["label"]][max(0, a):max(0, b)] = True
    for s in ref:
        filed[s.label][int(round(s.start_s * 100)):int(round(s.end_s * 100))] = True
    assert any(filed[lab][150:].any() for lab in ("speech", "music", "noise"))
    # compare from the clip on (1.5 s): earlier, the file's windows begin at its start while the
    # capture's see the silence before it; the hop grids differ by the capture offset anyway
    for lab in live:
        agree = float(np.mean(live[lab][150:] == filed[lab][150:]))
        assert agree >= 0.95, (lab, agree)


def test_vanished_device_ends_with_one_line_after_flushing(engine_model, tmp_path):
    """The sound server dies while capturing: decided hops and the open segment are flushed,
    then one error line and exit status 1."""
    proc_pa, env = start_pulse(tmp_path)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "live", "--headless", "--device",
                                 "pulse", "--model", engine_model], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, bufsize=1)
        first = _read_line(proc, 15.0)
        assert first, "no hop from the live stream"
        time.sleep(0.5)
    finally:
        stop_pulse(proc_pa)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    lines = [json.loads(ln) for ln in (first + out).splitlines() if ln.strip()]
    hops = [ln for ln in lines if ln["type"] == "hop"]
    segs = [ln for ln in lines if ln["type"] == "segment"]
    assert segs and segs[-1]["label"] == "silence"
    assert segs[-1]["end"] == pytest.approx(hops[-1]["end"], abs=0.011)
    errors = [ln for ln in err.splitlines() if ln.startswith("stream-tagger: error: ")]
    assert len(errors) == 1 and "pulse" in errors[0] and ("disconnected" in errors[0] or "vanished" in errors[0])
    assert "Traceback" not in err


def test_a_stopped_process_is_not_a_vanished_device(pulse_env, engine_model):
    """SIGSTOP for 6 s (over the 5 s no-audio limit) and SIGCONT: the sound server kept the audio,
    the capture goes on, and --duration ends the run normally."""
    proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "live", "--headless", "--device", "pulse",
                             "--model", engine_model, "--duration", "9"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=pulse_env, bufsize=1)
    try:
        first = _read_line(proc, 15.0)
        assert first, "no hop from the live stream"
        proc.send_signal(signal.SIGSTOP)
        time.sleep(6.0)
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "vanished" not in err and "Traceback" not in err
    hops = [json.loads(ln) for ln in (first + out).splitlines() if ln.strip() and '"hop"' in ln]
    assert hops[-1]["end"] == 9.0


def test_readme_monitor_source_recipe_tags_what_the_machine_plays(engine_model, tmp_path):
    """The README's PulseAudio/PipeWire recipe: ``PULSE_SOURCE=<default sink>.monitor`` with the
    ``pulse`` device captures what is played, even when the default source is another input."""
    import re

    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8").read()
    m = re.search(r'^(PULSE_SOURCE="\$\(pactl get-default-sink\)\.monitor" stream-tagger live --device pulse)',
                  readme, re.M)
    assert m, "README lacks the monitor-source recipe"
    proc_pa, env = start_pulse(tmp_path)
    try:
        # the default source is a different (silent) sink's monitor: only PULSE_SOURCE reaches tagnull
        subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=quiet"], env=env, check=True,
                       capture_output=True)
        subprocess.run(["pactl", "set-default-source", "quiet.monitor"], env=env, check=True)
        wav = tmp_path / "tones.wav"
        sf.write(wav, tone_bursts([(0.0, 3.0)], 3.0, rate=PLAY_RATE, amp=0.3), PLAY_RATE)
        cmd = m.group(1).replace("stream-tagger", f"{sys.executable} -m stream_tagger.cli")
        cmd += f" --headless --model {engine_model} --duration 6"
        proc = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, bufsize=1)
        try:
            first = _read_line(proc, 15.0)
            assert first, proc.stderr.read() if proc.poll() is not None else "no hop"
            subprocess.run(["paplay", "--device=tagnull", str(wav)], env=env, check=True, timeout=30)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        hops = [json.loads(ln) for ln in (first + out).splitlines() if ln.strip()]
        loud = [h for h in hops if h.get("type") == "hop" and h["level_dbfs"] > -30]
        assert len(loud) >= 4, f"the played tone was not captured: levels {[h.get('level_dbfs') for h in hops]}"
    finally:
        stop_pulse(proc_pa)
