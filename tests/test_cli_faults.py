"""The command line under faults: full disks, stalled readers, signals, and one error format for
every command. Real processes, real files and devices (a small tmpfs where mounting is allowed,
else a file-size limit, which fails writes the way a full disk does: a short write, then an error)."""

from __future__ import annotations

import json
import os
import pty
import resource
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pytest
import soundfile as sf
from conftest import RATE, tone_bursts

from stream_tagger.cli import main
from stream_tagger.labels import write_segments

CLI = [sys.executable, "-m", "stream_tagger.cli"]


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory) -> str:
    """600 s at 16 kHz: 0.6 s tone bursts every 1.2 s (a segment boundary every 0.6 s)."""
    p = tmp_path_factory.mktemp("long") / "long.wav"
    sf.write(p, tone_bursts([(i * 1.2, i * 1.2 + 0.6) for i in range(500)], 600.0), RATE, subtype="PCM_16")
    return str(p)


@pytest.fixture(scope="module")
def minute_wav(tmp_path_factory) -> str:
    """60 s like :func:`long_wav`: its TextGrid is about 12 kB."""
    p = tmp_path_factory.mktemp("minute") / "minute.wav"
    sf.write(p, tone_bursts([(i * 1.2, i * 1.2 + 0.6) for i in range(50)], 60.0), RATE, subtype="PCM_16")
    return str(p)


def _env(**extra) -> dict:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **extra)


def _file_size_limit(max_bytes: int):
    """preexec_fn: files grow to ``max_bytes`` at most (a write past it is cut short, the next one
    fails with EFBIG), as on a disk that fills up; SIGXFSZ ignored so the write returns the error."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return limit


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KiB tmpfs with 4 KiB left free; skipped where mounting is not permitted."""
    d = tmp_path / "disk"
    d.mkdir()
    if not shutil.which("mount"):
        pytest.skip("no mount command")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        st = os.statvfs(d)
        (d / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 4096))
        assert os.statvfs(d).f_bavail * st.f_frsize == 4096
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=False)


def _error_line(stderr: str, *needles: str) -> str:
    lines = [ln for ln in stderr.splitlines() if not ln.startswith("import time:")]
    errors = [ln for ln in lines if ln.startswith("stream-tagger: error: ")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    for n in needles:
        assert n in errors[0], errors[0]
    return errors[0]


# ------------------------------------------------------------------ 9: every write to stdout is checked
@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize("command", ["tag", "replay"])
def test_stdout_on_a_filling_disk_is_an_error_not_a_cut_output(engine_model, minute_wav, tmp_path, unbuffered,
                                                                command):
    """Standard output is a file that can take 4096 bytes more: the rest must not vanish with exit 0."""
    args = (["tag", minute_wav, "--format", "textgrid"] if command == "tag"
            else ["replay", minute_wav, "--headless", "--fast"])
    out = tmp_path / "out"
    with open(out, "w") as f:
        r = subprocess.run([*CLI, *args, "--model", engine_model], stdout=f, stderr=subprocess.PIPE, text=True,
                           timeout=120, env=_env(PYTHONUNBUFFERED=unbuffered), preexec_fn=_file_size_limit(4096))
    assert out.stat().st_size == 4096  # the disk took what it could
    assert r.returncode == 1, r.stderr
    _error_line(r.stderr, "cannot write to standard output", "File too large")


@pytest.mark.parametrize("command", ["tag", "replay"])
def test_stdout_on_a_real_full_tmpfs_is_an_error(engine_model, minute_wav, small_disk, command):
    args = (["tag", minute_wav, "--format", "textgrid"] if command == "tag"
            else ["replay", minute_wav, "--headless", "--fast"])
    with open(small_disk / "out", "w") as f:
        r = subprocess.run([*CLI, *args, "--model", engine_model], stdout=f, stderr=subprocess.PIPE, text=True,
                           timeout=120, env=_env(PYTHONUNBUFFERED="1"))
    assert r.returncode == 1, r.stderr
    _error_line(r.stderr, "cannot write to standard output", "No space left on device")


# ------------------------------------------------------------------ 10: output files whole or not at all
def _previous(path) -> str:
    text = "start,end,label\n0.000,1.000,speech\n"
    path.write_text(text)
    return text


def test_tag_o_on_a_filling_disk_keeps_the_previous_file(engine_model, minute_wav, tmp_path):
    d = tmp_path / "labels"
    d.mkdir()
    out = d / "minute.TextGrid"
    before = _previous(out)
    r = subprocess.run([*CLI, "tag", minute_wav, "-o", str(out), "--model", engine_model], capture_output=True,
                       text=True, timeout=120, env=_env(), preexec_fn=_file_size_limit(4096))
    assert r.returncode == 1
    _error_line(r.stderr, "cannot write label file", str(out))
    assert out.read_text() == before
    assert os.listdir(d) == ["minute.TextGrid"]  # no temporary file left beside it


def test_out_dir_on_a_real_full_tmpfs_keeps_the_previous_file(engine_model, minute_wav, small_disk):
    out = small_disk / "minute.TextGrid"
    before = _previous(out)
    r = subprocess.run([*CLI, "tag", minute_wav, "--out-dir", str(small_disk), "--format", "textgrid",
                        "--model", engine_model], capture_output=True, text=True, timeout=120, env=_env())
    assert r.returncode == 1
    _error_line(r.stderr, "cannot write label file", "No space left on device")
    assert out.read_text() == before
    assert sorted(os.listdir(small_disk)) == ["filler", "minute.TextGrid"]


def test_tag_o_replaces_a_file_whole_and_writes_through_devices(engine_model, bursts_wav, tmp_path):
    out = tmp_path / "x.csv"
    _previous(out)
    os.chmod(out, 0o640)
    assert main(["tag", bursts_wav, "-o", str(out), "--model", engine_model]) == 0
    assert out.read_text().count("silence") == 4 and (out.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["x.csv"]
    # not a regular file: written directly, never renamed over
    r = subprocess.run([*CLI, "tag", bursts_wav, "-o", "/dev/stdout", "--format", "csv", "--model", engine_model],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == out.read_text() and os.path.exists("/dev/stdout")


# ------------------------------------------------------------------ 11: a stalled reader
def _rss_mb(proc) -> float:
    return psutil.Process(proc.pid).memory_info().rss / 1e6


def _wait_until_idle(proc, limit_s: float = 90.0) -> None:
    """Wait until ``proc`` uses no CPU (less than 20 ms in 0.5 s): it has done all it can
    without its reader."""
    ps = psutil.Process(proc.pid)
    used = sum(ps.cpu_times()[:2])
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(ps.cpu_times()[:2])
        if now - used < 0.02:
            return
        used = now
    raise AssertionError(f"still busy after {limit_s:g} s")


def _start_stalled(engine_model, wav, *pace):
    """``replay --headless`` into a pipe that is read for one line, then not at all."""
    proc = subprocess.Popen([*CLI, "replay", wav, "--headless", *pace, "--hop", "0.1", "--model", engine_model],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
                            bufsize=0)  # unbuffered: readline() keeps nothing back from communicate()
    return proc, proc.stdout.readline()


def test_fast_replay_waits_for_a_stalled_reader(engine_model, long_wav):
    """``replay --fast`` into a pipe nobody reads: the analysis waits for it, so memory stays flat
    (before, it went on analysing into an unbounded queue, about 0.7 MB more a second until the
    whole file was queued), and every line comes afterwards, whole and in order."""
    proc, first = _start_stalled(engine_model, long_wav, "--fast")
    try:
        time.sleep(1.0)  # the queue and the pipe fill up
        rss0 = _rss_mb(proc)
        _wait_until_idle(proc)
        time.sleep(1.0)
        growth_mb = _rss_mb(proc) - rss0
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    # unbounded (the bug), the whole file's 7,000 events were queued, about 0.7 MB more a second
    # for the several seconds the analysis of 600 s takes; bounded, only
    # what the bounded queue and the pipe still took after the first second (under 1 MB on an idle
    # machine, about 1 MB when the machine is so loaded that they had not filled in that second)
    assert growth_mb < 2.0, f"memory grew by {growth_mb:.1f} MB while the reader stalled"
    events = [json.loads(line) for line in (first + out).decode().splitlines()]
    hops = [e for e in events if e["type"] == "hop"]
    assert [h["index"] for h in hops] == list(range(6000))
    ends = [e["end"] for e in events if e["type"] == "segment"]
    assert len(ends) > 900 and ends == sorted(ends)
    assert "6000 hops" in err.decode() and "0 events lost" in err.decode()


def test_sigterm_with_a_stalled_reader_still_ends_cleanly(engine_model, long_wav):
    """Stopped while the analysis waits for the reader: once it reads, the lines end where the
    stream stopped, whole and in order, with the open segments flushed; exit 0."""
    proc, first = _start_stalled(engine_model, long_wav, "--fast")
    try:
        _wait_until_idle(proc)
        proc.send_signal(signal.SIGTERM)
        _wait_until_idle(proc)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    events = [json.loads(line) for line in (first + out).decode().splitlines()]
    hops = [e for e in events if e["type"] == "hop"]
    assert [h["index"] for h in hops] == list(range(len(hops))) and 10 < len(hops) < 6000
    assert max(e["end"] for e in events if e["type"] == "segment") == hops[-1]["end"]


def test_paced_replay_counts_what_a_stalled_reader_lost(engine_model, long_wav):
    """Paced (live-like, 100 times real time): the analysis never waits for stdout; events that
    find the queue full are lost and counted, in a warning and the 'done' line; what is written
    stays whole lines in order."""
    proc, first = _start_stalled(engine_model, long_wav, "--speed", "100")
    try:
        _wait_until_idle(proc)  # the 6 s replay is over: all it could keep waits for the reader
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err.decode()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in (first + out).decode().splitlines()]
    done = [ln for ln in err.splitlines() if "done:" in ln][0]
    hops, segments, lost = (int(done.split(f" {word}")[0].rsplit(" ", 1)[1])
                            for word in ("hops", "segments", "events lost"))
    assert lost > 0 and "events lost so far (standard output was not read in time)" in err
    assert len(events) + lost == hops + segments
    indices = [e["index"] for e in events if e["type"] == "hop"]
    assert indices == sorted(indices)


# ------------------------------------------------------------------ 13: SIGINT and SIGTERM alike
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("command", ["tag", "evaluate"])
def test_a_signal_during_the_start_up_imports_is_one_line(engine_model, bursts_wav, tmp_path, sig, command):
    """The signal arrives while numpy is being imported (``-X importtime`` tells when)."""
    out = tmp_path / "out.csv"
    ref = tmp_path / "ref.csv"
    write_segments([], "csv", ref)
    args = (["tag", bursts_wav, "-o", str(out)] if command == "tag" else ["evaluate", "-r", str(ref), bursts_wav])
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "stream_tagger.cli", *args, "--model",
                             engine_model], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.split("|")[-1].strip().startswith("numpy"):
            proc.send_signal(sig)
            break
    out_text, err = proc.communicate(timeout=60)
    err = "".join(seen) + err
    assert proc.returncode == 128 + sig, err[-2000:]
    assert [ln for ln in err.splitlines() if not ln.startswith("import time:")] == ["stream-tagger: interrupted"]
    assert not out.exists() and out_text == ""


def _read_pty(fd: int, until: bytes | None = None) -> bytes:
    got = b""
    while until is None or until not in got:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        got += chunk
    return got


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_tag_o_leaves_the_previous_file(engine_model, long_wav, tmp_path, sig):
    """Interrupted while tagging (its progress bar on a terminal is showing): one line, exit
    128 + signal, the previous -o file as it was, no temporary file."""
    d = tmp_path / "labels"
    d.mkdir()
    out = d / "long.csv"
    before = _previous(out)
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, "tag", long_wav, "-o", str(out), "--model", engine_model],
                            stdout=subprocess.PIPE, stderr=slave, env=_env())
    os.close(slave)
    try:
        shown = _read_pty(master, until=b"%")  # the progress bar: tagging is under way
        proc.send_signal(sig)
        proc.wait(timeout=60)
        shown += _read_pty(master)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    text = shown.decode(errors="replace")
    assert proc.returncode == 128 + sig, text
    assert "stream-tagger: interrupted" in text and "Traceback" not in text
    assert out.read_text() == before and os.listdir(d) == ["long.csv"]


# ------------------------------------------------------------------ 17: one error format, every verb
def test_every_command_reports_errors_in_one_format(engine_model, bursts_wav, tmp_path):
    """Bad input: ``stream-tagger: error: ...``, exit 1. Usage: ``stream-tagger: error: VERB: ...
    (see stream-tagger VERB --help)``, exit 2."""
    missing = str(tmp_path / "missing.wav")
    ok = tmp_path / "ok.csv"
    write_segments([], "csv", ok)
    no_display = {k: v for k, v in _env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    usage = {
        "tag": ["tag", bursts_wav, "--hop", "9"],
        "live": ["live", "--headless", "--duration", "-1"],
        "replay": ["replay", bursts_wav, "--speed", "-1"],
        "devices": ["devices", "--bogus"],
        "evaluate": ["evaluate", "-r", str(ok)],
        "plot": ["plot", bursts_wav, "--duration", "0"],
    }
    bad_input = [
        (["tag", missing], "no such file"),
        (["live", "--headless", "--device", "no-such-device"], "no"),
        (["replay", missing, "--headless"], "no such file"),
        (["replay", bursts_wav], "no display"),
        (["evaluate", "-r", str(tmp_path / "missing.csv"), "-p", str(ok)], "not found"),
        (["plot", missing], "no such file"),
    ]
    for verb, argv in usage.items():
        r = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=120, env=_env())
        assert r.returncode == 2, (argv, r.stderr)
        line = _error_line(r.stderr, f"stream-tagger: error: {verb}: ", f"(see stream-tagger {verb} --help)")
        assert r.stderr == line + "\n"
    for argv, needle in bad_input:
        r = subprocess.run([*CLI, *argv, "--model", engine_model], capture_output=True, text=True, timeout=120,
                           env=no_display)
        assert r.returncode == 1, (argv, r.stderr)
        assert r.stderr == _error_line(r.stderr, needle) + "\n", argv
    # devices: none found, or a list that cannot be written: exit 1 either way
    with open("/dev/full", "w") as full:
        r = subprocess.run([*CLI, "devices"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, env=_env())
    assert r.returncode == 1 and r.stderr == _error_line(r.stderr) + "\n"


# ------------------------------------------------------------------ 18: the output's extension
def test_unknown_output_extension_is_a_usage_error(engine_model, bursts_wav, tmp_path, capsys):
    out = tmp_path / "labels.xyz"
    assert main(["tag", bursts_wav, "-o", str(out), "--model", engine_model]) == 2
    _error_line(capsys.readouterr().err, "tag: -o ", "labels.xyz", "give --format", "(see stream-tagger tag --help)")
    assert not out.exists()
    assert main(["tag", bursts_wav, "-o", str(out), "--format", "csv", "--model", engine_model]) == 0
    assert out.read_text().startswith("start,end,label\n")
