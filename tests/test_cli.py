"""The command line: outputs, every error case (one line, non-zero exit, no traceback), signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import BURSTS, BURSTS_TOTAL_S, RATE, silence_spans, tone_bursts, write_json

from stream_tagger.cli import main
from stream_tagger.labels import read_segments


def _cli(*args, env=None, timeout=60, input=None):
    return subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, input=input)


def _one_error_line(stderr: str, *needles: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("stream-tagger: error: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------------------ tag
def test_tag_csv_to_stdout(engine_model, bursts_wav, capsys):
    assert main(["tag", bursts_wav, "--model", engine_model]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "start,end,label"
    rows = [r.split(",") for r in out[1:]]
    assert all(len(r) == 3 and len(r[0].split(".")[1]) == 3 for r in rows)
    starts = [float(r[0]) for r in rows]
    assert starts == sorted(starts)
    sil = [(float(a), float(b)) for a, b, lab in rows if lab == "silence"]
    assert sil == [(round(a, 2), round(b, 2)) for a, b in silence_spans(BURSTS, BURSTS_TOTAL_S)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "audacity", "textgrid"])
def test_tag_formats_round_trip(engine_model, bursts_wav, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert main(["tag", bursts_wav, "--model", engine_model, "--format", fmt, "-o", str(out)]) == 0
    segs = read_segments(str(out))
    sil = sorted((s.start_s, s.end_s) for s in segs if s.label == "silence")
    assert sil == [(round(a, 2), round(b, 2)) for a, b in silence_spans(BURSTS, BURSTS_TOTAL_S)]


def test_tag_out_dir_several_files_and_stdin(engine_model, bursts_wav, bursts_flac44, tmp_path, capsys):
    d = tmp_path / "labels"
    assert main(["tag", bursts_wav, bursts_flac44, "--model", engine_model, "--out-dir", str(d),
                 "--format", "audacity"]) == 0
    assert sorted(os.listdir(d)) == ["bursts.txt", "bursts44.txt"]
    a, b = read_segments(str(d / "bursts.txt")), read_segments(str(d / "bursts44.txt"))
    assert [s for s in a if s.label == "silence"] == [s for s in b if s.label == "silence"]
    with open(bursts_wav, "rb") as f:
        r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", "tag", "-", "--model", engine_model],
                           stdin=f, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stdout.splitlines() if "silence" in ln] == \
        [f"{s.start_s:.3f},{s.end_s:.3f},silence" for s in a if s.label == "silence"]


# ------------------------------------------------------------------------------------- headless
def test_replay_headless_jsonl_and_csv(engine_model, bursts_wav):
    r = _cli("replay", bursts_wav, "--headless", "--fast", "--model", engine_model)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(ln) for ln in r.stdout.splitlines()]
    hops = [ln for ln in lines if ln["type"] == "hop"]
    segs = [ln for ln in lines if ln["type"] == "segment"]
    assert len(hops) == 40 and hops[-1]["end"] == 10.0
    assert set(hops[0]) == {"type", "index", "start", "end", "labels", "probabilities", "level_dbfs",
                            "dropped_samples"}
    assert [(s["start"], s["end"]) for s in segs if s["label"] == "silence"] == \
        [(round(a, 2), round(b, 2)) for a, b in silence_spans(BURSTS, BURSTS_TOTAL_S)]
    assert "done:" in r.stderr
    r2 = _cli("replay", bursts_wav, "--headless", "--speed", "20", "--format", "csv", "--model", engine_model)
    assert r2.returncode == 0, r2.stderr
    rows = r2.stdout.splitlines()
    assert rows[0] == "type,start,end,labels,speech,music,noise,level_dbfs,dropped_samples"
    hop_rows = [x.split(",") for x in rows[1:] if x.startswith("hop,")]
    assert [(float(h[1]), float(h[2]), h[3]) for h in hop_rows] == \
        [(h["start"], h["end"], "+".join(h["labels"])) for h in hops]  # paced == fast


def test_sigterm_during_replay_exits_0_with_flushed_segments(engine_model, tmp_path):
    p = tmp_path / "long.wav"
    sf.write(p, tone_bursts([(0.0, 0.5)], 120.0), RATE)
    proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "replay", str(p), "--headless",
                             "--model", engine_model], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # first hop: the stream runs
    assert json.loads(first)["type"] == "hop"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    lines = [json.loads(ln) for ln in (first + out).splitlines()]
    last_hop = [ln for ln in lines if ln["type"] == "hop"][-1]
    segs = [ln for ln in lines if ln["type"] == "segment"]
    assert segs and segs[-1]["label"] == "silence" and segs[-1]["end"] == pytest.approx(last_hop["end"], abs=0.011)
    assert last_hop["end"] < 30
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------- errors
def _bad_files(tmp_path, bursts_wav):
    files = {}
    files["missing"] = str(tmp_path / "nope.wav")
    p = tmp_path / "text.wav"
    p.write_text("this is not audio\n" * 20)
    files["not_audio"] = str(p)
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    files["empty"] = str(p)
    data = open(bursts_wav, "rb").read()
    p = tmp_path / "truncated.wav"
    p.write_bytes(data[: len(data) // 2])
    files["truncated"] = str(p)
    p = tmp_path / "noframes.wav"
    sf.write(p, np.zeros(0, np.float32), RATE)
    files["no_samples"] = str(p)
    p = tmp_path / "bursts.flac"
    sf.write(p, sf.read(bursts_wav)[0], RATE)
    cut = tmp_path / "truncated.flac"
    d = p.read_bytes()
    cut.write_bytes(d[: len(d) // 2])
    files["truncated_flac"] = str(cut)
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    files["fifo"] = str(fifo)
    return files


@pytest.mark.parametrize("case,needle", [
    ("missing", "no such file"),
    ("not_audio", "not a readable audio file"),
    ("empty", "file is empty"),
    ("truncated", "truncated"),
    ("truncated_flac", "truncated"),
    ("no_samples", "no audio samples"),
    ("fifo", "not a regular file"),
])
def test_bad_files(engine_model, bursts_wav, tmp_path, capsys, case, needle):
    path = _bad_files(tmp_path, bursts_wav)[case]
    assert main(["tag", path, "--model", engine_model]) == 1
    cap = capsys.readouterr()
    line = _one_error_line(cap.err, needle, os.path.basename(path))
    assert line.count("\n") == 0
    assert "start,end,label" not in cap.out  # nothing half-written


def test_unsupported_format(engine_model, bursts_wav, tmp_path, capsys):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg not installed")
    m4a = tmp_path / "clip.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", bursts_wav, str(m4a)], check=True)
    assert main(["tag", str(m4a), "--model", engine_model]) == 1
    _one_error_line(capsys.readouterr().err, "clip.m4a", "Format not recognised")


def test_bad_file_among_several_is_reported_and_others_done(engine_model, bursts_wav, tmp_path, capsys):
    d = tmp_path / "out"
    assert main(["tag", str(tmp_path / "missing.ogg"), bursts_wav, "--model", engine_model,
                 "--out-dir", str(d)]) == 1
    _one_error_line(capsys.readouterr().err, "missing.ogg")
    assert os.listdir(d) == ["bursts.csv"]


def test_model_errors(engine_model, bursts_wav, tmp_path, capsys):
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"\x00garbage" * 100)
    meta = json.load(open(os.path.splitext(engine_model)[0] + ".json"))
    write_json(tmp_path / "corrupt.json", meta)
    assert main(["tag", bursts_wav, "--model", str(corrupt)]) == 1
    _one_error_line(capsys.readouterr().err, "corrupt.tflite", "not a valid TFLite model")

    mismatch = tmp_path / "mismatch.tflite"
    shutil.copy(engine_model, mismatch)
    bad = dict(meta, frontend=dict(meta["frontend"], n_mels=40))
    write_json(tmp_path / "mismatch.json", bad)
    assert main(["tag", bursts_wav, "--model", str(mismatch)]) == 1
    _one_error_line(capsys.readouterr().err, "mismatch.tflite", "n_mels")

    nometa = tmp_path / "nometa.tflite"
    shutil.copy(engine_model, nometa)
    assert main(["replay", bursts_wav, "--headless", "--model", str(nometa)]) == 1
    _one_error_line(capsys.readouterr().err, "nometa.json", "metadata not found")

    assert main(["tag", bursts_wav, "--model", str(tmp_path / "absent.tflite")]) == 1
    _one_error_line(capsys.readouterr().err, "absent.tflite", "not found")

    assert main(["tag", bursts_wav, "--model", str(tmp_path)]) == 1
    _one_error_line(capsys.readouterr().err, "is a directory, not a .tflite model")


def test_usage_errors_exit_2(bursts_wav, capsys):
    cases = [(["tag", bursts_wav, "--hop", "2"], "hop must be between 0.1 and 1.0 seconds"),
             (["tag", bursts_wav, "--hop", "x"], "not a number: 'x'"),
             (["tag"], "required"), (["frobnicate"], "invalid choice"),
             (["tag", bursts_wav, "--threads", "0"], "--threads: threads must be between 1 and 64"),
             (["tag", bursts_wav, "--threads", "1000000"], "--threads: threads must be between 1 and 64"),
             (["tag", bursts_wav, "--threads", "1.5"], "not an integer: '1.5'"),
             (["tag", bursts_wav, "--silence-db", "nan"], "silence level must be between -120 and 0 dBFS"),
             (["tag", bursts_wav, "--silence-db", "10"], "silence level must be between -120 and 0 dBFS"),
             (["replay", bursts_wav, "--speed", "-1"], "speed must be 0 (as fast as possible) or between 0.01"),
             (["replay", bursts_wav, "--speed", "1e-9"], "speed must be 0 (as fast as possible) or between 0.01"),
             (["replay", bursts_wav, "--speed", "inf"], "speed must be 0 (as fast as possible) or between 0.01"),
             (["replay", bursts_wav, "--headless", "--duration", "nan"], "duration must be a positive number"),
             (["replay", bursts_wav, "--headless", "--duration", "0"], "duration must be a positive number"),
             (["live", "--headless", "--duration", "-1"], "duration must be a positive number"),
             (["replay", bursts_wav, "--window-s", "0"], "window must be between 1 and 3600 seconds")]
    for argv, message in cases:
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert message in err, argv
        verb = "" if argv[0] == "frobnicate" else argv[0]
        assert len(err.splitlines()) == 1 and err.startswith("stream-tagger: error: " + (verb and f"{verb}: ")), err
        assert err.rstrip().endswith(f"(see {f'stream-tagger {verb}'.strip()} --help)"), err


def test_error_in_subprocess_has_no_traceback_and_no_tensorflow(engine_model, bursts_wav):
    r = _cli("tag", "/nonexistent/x.flac", "--model", engine_model)
    assert r.returncode == 1
    assert r.stderr.strip() == "stream-tagger: error: /nonexistent/x.flac: no such file"
    code = ("import sys; from stream_tagger.cli import main; rc = main(['tag', sys.argv[1], '--model', sys.argv[2]]);"
            "assert rc == 0; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported';"
            "print('OK')")
    r = subprocess.run([sys.executable, "-c", code, bursts_wav, engine_model], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("OK")


# -------------------------------------------------------------------------------------- devices
def test_device_errors(engine_model, pulse_env):
    r = _cli("devices", env=pulse_env)
    assert r.returncode == 0, r.stderr
    assert "pulse" in r.stdout
    r = _cli("live", "--headless", "--device", "no-such-device", "--model", engine_model, env=pulse_env)
    assert r.returncode == 1
    _one_error_line(r.stderr, "no input device matches 'no-such-device'")
    r = _cli("live", "--headless", "--device", "999", "--model", engine_model, env=pulse_env)
    assert r.returncode == 1
    _one_error_line(r.stderr, "no input device with index 999")
    r = _cli("live", "--headless", "--device", "pulse", "--device-rate", "700000", "--model", engine_model,
             env=pulse_env)
    assert r.returncode == 1
    _one_error_line(r.stderr, "refuses 700000 Hz")  # PulseAudio stops at 384 kHz
    r = _cli("live", "--headless", "--device", "pulse", "--device-rate", "5000000", "--model", engine_model,
             env=pulse_env)
    assert r.returncode == 1
    _one_error_line(r.stderr, "device 'pulse': sample rate 5000000 Hz is too high (at most 768000 Hz)")
    names = [ln.split(None, 3)[3] for ln in _cli("devices", env=pulse_env).stdout.splitlines()[1:]]
    if sum("e" in n.lower() for n in names) > 1:  # 'pulse' and 'default'
        r = _cli("live", "--headless", "--device", "e", "--model", engine_model, env=pulse_env)
        assert r.returncode == 1
        _one_error_line(r.stderr, "'e' matches", "give more of the name or the index")


def test_gui_missing_gives_one_line(engine_model, bursts_wav, tmp_path):
    # a Python where PyQt5 cannot be imported: the window command suggests --headless
    block = tmp_path / "block"
    block.mkdir()
    (block / "PyQt5.py").write_text("raise ImportError('blocked for the test', name='PyQt5')\n")
    env = dict(os.environ, PYTHONPATH=str(block) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = _cli("replay", bursts_wav, "--model", engine_model, env=env)
    assert r.returncode == 1
    _one_error_line(r.stderr, "--headless")


# ------------------------------------------------------------------------------------------ outputs
def test_out_dir_that_cannot_be_made_is_one_line(engine_model, bursts_wav, tmp_path, capsys):
    assert main(["tag", bursts_wav, "--model", engine_model, "--out-dir", bursts_wav]) == 1
    _one_error_line(capsys.readouterr().err, "--out-dir", "not a directory")
    assert main(["tag", bursts_wav, "--model", engine_model, "--out-dir", os.path.join(bursts_wav, "x")]) == 1
    _one_error_line(capsys.readouterr().err, "--out-dir", "cannot create")


def test_same_names_into_one_out_dir_are_refused_before_any_work(engine_model, bursts_wav, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    shutil.copy(bursts_wav, a / "x.wav")
    shutil.copy(bursts_wav, b / "x.wav")
    out = tmp_path / "out"
    assert main(["tag", str(a / "x.wav"), str(b / "x.wav"), "--model", engine_model, "--out-dir", str(out)]) == 1
    _one_error_line(capsys.readouterr().err, "would both be written to", "x.csv")
    assert not out.exists()


def test_output_format_follows_the_file_extension(engine_model, bursts_wav, tmp_path, capsys):
    tg = tmp_path / "labels.TextGrid"
    assert main(["tag", bursts_wav, "--model", engine_model, "-o", str(tg)]) == 0
    assert tg.read_text().startswith('File type = "ooTextFile"')
    forced = tmp_path / "labels.TextGrid2"
    assert main(["tag", bursts_wav, "--model", engine_model, "-o", str(forced), "--format", "jsonl"]) == 0
    assert json.loads(forced.read_text().splitlines()[0])["label"]


def test_raw_options_for_a_file_warn_and_change_nothing(engine_model, bursts_wav, capsys):
    assert main(["tag", bursts_wav, "--model", engine_model]) == 0
    plain = capsys.readouterr().out
    assert main(["tag", bursts_wav, "--model", engine_model, "--rate", "8000", "--channels", "2"]) == 0
    got = capsys.readouterr()
    assert got.out == plain
    assert "warning: --rate, --channels are for raw audio on standard input ('-') only" in got.err


def test_unwritable_standard_output_is_one_line(engine_model, bursts_wav):
    for cmd in (["tag", bursts_wav], ["replay", bursts_wav, "--headless", "--fast"]):
        with open("/dev/full", "w") as full:
            r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", *cmd, "--model", engine_model],
                               stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode == 1
        _one_error_line(r.stderr, "cannot write to standard output", "No space left on device")
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", "tag", bursts_wav, "--model", engine_model],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == 1
    _one_error_line(r.stderr, "standard output is closed")


@pytest.mark.parametrize("speed", ["--fast", "4"])
def test_duration_is_exact_in_samples_at_any_pace(engine_model, bursts_wav, speed):
    pace = ["--fast"] if speed == "--fast" else ["--speed", speed]
    r = _cli("replay", bursts_wav, "--headless", *pace, "--duration", "1.3", "--model", engine_model)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    hops = [e for e in events if e["type"] == "hop"]
    assert hops[-1]["end"] == 1.3 and [h["index"] for h in hops] == list(range(6))
    assert max(e["end"] for e in events if e["type"] == "segment") <= 1.3
    assert "done: 1.30 s of audio" in r.stderr


def test_play_where_it_cannot_sound_warns(engine_model, bursts_wav):
    r = _cli("replay", bursts_wav, "--headless", "--fast", "--play", "--model", engine_model)
    assert r.returncode == 0 and "warning: --play sounds the file beside the window only" in r.stderr


def test_several_files_on_stdout_get_a_file_column(engine_model, bursts_wav, bursts_flac44, capsys):
    assert main(["tag", bursts_wav, bursts_flac44, "--model", engine_model]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "file,start,end,label" and lines.count(lines[0]) == 1
    files = [ln.split(",")[0] for ln in lines[1:]]
    assert files[0] == bursts_wav and files[-1] == bursts_flac44 and set(files) == {bursts_wav, bursts_flac44}
    assert main(["tag", bursts_wav, bursts_flac44, "--model", engine_model, "--format", "jsonl"]) == 0
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert {r["file"] for r in rows} == {bursts_wav, bursts_flac44} and all(set(r) == {"file", "start", "end", "label"}
                                                                           for r in rows)
    assert main(["tag", bursts_wav, bursts_flac44, "--model", engine_model, "--format", "textgrid"]) == 2
    _one_error_line(capsys.readouterr().err, "tag: --format textgrid holds one file's labels", "--out-dir")
