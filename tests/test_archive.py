"""Archives (``tag`` with folders, globs, lists, URLs, ``--jobs``, ``--summary``, ``--resume``):
real worker processes, a real ``python -m http.server``, real signals, a real full tmpfs."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
from archive_corpus import (CLI, env, labels_only, last_line, make_archive, read_summary, run_cli, tree)

from stream_tagger.cli import main
from stream_tagger.outputs import TEMP_NAME

SUMMARY_HEADER = "file,status,duration_s,speech_s,music_s,noise_s,silence_s,segments,error"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    info = make_archive(str(root))
    info["root"] = str(root)
    return info


@pytest.fixture(scope="module")
def plain_labels(archive, engine_model, tmp_path_factory):
    """Each good file through the plain single-process ``tag`` (the engine's threaded path)."""
    out = tmp_path_factory.mktemp("plain")
    files = [os.path.join(archive["root"], g) for g in archive["good"]]
    assert main(["tag", *files, "--model", engine_model, "--out-dir", str(out)]) == 0
    return {name: data for name, data in tree(str(out)).items()}


@pytest.fixture(scope="module")
def jobs1(archive, engine_model, tmp_path_factory):
    d = tmp_path_factory.mktemp("jobs1")
    r = run_cli("tag", archive["root"], "--model", engine_model, "--out-dir", str(d / "out"), "--jobs", "1",
                "--summary", str(d / "summary.csv"))
    return r, str(d)


def _no_temp_files(folder: str) -> None:
    left = [k for k in tree(folder) if k.endswith(".tmp")]
    assert not left, left


# ------------------------------------------------------------------------------ outputs, summary
def test_folder_with_jobs_1_and_2_gives_the_same_bytes_as_plain_tag(archive, engine_model, jobs1, plain_labels,
                                                                   tmp_path):
    r1, d1 = jobs1
    assert r1.returncode == 1, r1.stderr  # the broken files fail, the run goes on
    assert "Traceback" not in r1.stderr
    assert last_line(r1.stderr).startswith(f"stream-tagger: {len(archive['good'])} ok, {len(archive['bad'])} failed, "
                                           "0 skipped")
    out1 = tree(os.path.join(d1, "out"))
    # the folder's tree is mirrored; each label file is what the plain command writes for that file
    assert sorted(labels_only(out1)) == sorted(os.path.splitext(g)[0] + ".csv" for g in archive["good"])
    for rel, data in labels_only(out1).items():
        assert data == plain_labels[os.path.basename(rel)], rel
    r2 = run_cli("tag", archive["root"], "--model", engine_model, "--out-dir", str(tmp_path / "out"), "--jobs", "2",
                 "--summary", str(tmp_path / "summary.csv"))
    assert r2.returncode == 1 and "Traceback" not in r2.stderr, r2.stderr
    assert tree(str(tmp_path / "out")) == out1  # byte for byte, completion markers included
    with open(os.path.join(d1, "summary.csv"), "rb") as a, open(tmp_path / "summary.csv", "rb") as b:
        assert a.read() == b.read()
    _no_temp_files(str(tmp_path / "out"))


def test_summary_has_one_row_per_input_with_figures_and_errors(archive, jobs1):
    _, d1 = jobs1
    with open(os.path.join(d1, "summary.csv"), encoding="utf-8") as f:
        assert f.readline().strip() == SUMMARY_HEADER
    rows = read_summary(os.path.join(d1, "summary.csv"))
    by_file = {os.path.relpath(r["file"], archive["root"]): r for r in rows}
    assert len(rows) == len(by_file) == len(archive["good"]) + len(archive["bad"])
    for rel in archive["good"]:
        r = by_file[rel]
        assert r["status"] == "ok" and r["error"] == ""
        dur = float(r["duration_s"])
        assert dur > 2 and len(r["duration_s"].split(".")[1]) == 3
        assert int(r["segments"]) >= 1
        assert 0 < float(r["silence_s"]) + float(r["speech_s"]) + float(r["music_s"]) + float(r["noise_s"])
        assert float(r["silence_s"]) <= dur + 1e-6
    for rel, needle in archive["bad"].items():
        r = by_file[rel]
        assert r["status"] == "failed" and needle in r["error"] and "\n" not in r["error"], r
        assert r["duration_s"] == "" and r["segments"] == ""


def test_globs_lists_and_stdout_in_input_order(archive, engine_model, jobs1, tmp_path):
    _, d1 = jobs1
    root = archive["root"]
    lst = tmp_path / "list.txt"
    lst.write_text(f"# a comment\n\n{root}/talk/b44.flac\n{root}/e8.wav\n")
    r = run_cli("tag", f"{root}/music/**/*.flac", "--from-list", "-", "--model", engine_model, "--jobs", "2",
                "--no-progress", input=lst.read_text())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "file,start,end,label" and lines.count(lines[0]) == 1
    files = list(dict.fromkeys(ln.split(",")[0] for ln in lines[1:]))
    assert files == [f"{root}/music/deep/f32.flac", f"{root}/talk/b44.flac", f"{root}/e8.wav"]
    ref = labels_only(tree(os.path.join(d1, "out")))
    for f in files:
        rel = os.path.splitext(os.path.relpath(f, root))[0] + ".csv"
        mine = [ln.split(",", 1)[1] for ln in lines[1:] if ln.startswith(f + ",")]
        assert mine == ref[rel].decode().splitlines()[1:]
    assert last_line(r.stderr).startswith("stream-tagger: 3 ok, 0 failed, 0 skipped")
    r = run_cli("tag", f"{root}/nothing/*.wav", "--model", engine_model, "--summary", str(tmp_path / "s.csv"))
    assert r.returncode == 1 and "no file matches" in r.stderr
    assert read_summary(str(tmp_path / "s.csv"))[0]["status"] == "failed"


def test_python_api_yields_each_file_as_it_finishes(archive, engine_model, jobs1):
    from stream_tagger.api import tag_files
    from stream_tagger.errors import AudioFileError
    from stream_tagger.labels import format_segments

    _, d1 = jobs1
    ref = labels_only(tree(os.path.join(d1, "out")))
    got = dict(tag_files([archive["root"]], jobs=2, model=engine_model))
    assert len(got) == len(archive["good"]) + len(archive["bad"])
    for spec, res in got.items():
        rel = os.path.relpath(spec, archive["root"])
        if rel in archive["bad"]:
            assert isinstance(res, AudioFileError) and archive["bad"][rel] in str(res)
        else:
            assert format_segments(res, "csv").encode() == ref[os.path.splitext(rel)[0] + ".csv"]
            assert res.duration_s > 2


# ------------------------------------------------------------------------------ resume, signals
def _wait_for(predicate, timeout_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _markers(folder: str) -> list[str]:
    return [k for k in tree(folder) if os.path.basename(k).startswith(".") and k.endswith(".done")]


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    info = make_archive(str(root), copies=3)
    shutil.rmtree(root / "broken")
    info["root"] = str(root)
    return info


def test_resume_after_sigkill_finishes_the_job_and_skips_what_was_done(big_archive, engine_model, jobs1, tmp_path):
    out = str(tmp_path / "out")
    args = ["tag", big_archive["root"], "--model", engine_model, "--out-dir", out, "--jobs", "2"]
    p = subprocess.Popen([*CLI, *args], env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for(lambda: len(_markers(out)) >= 2 or p.poll() is not None, what="two finished files")
    workers = psutil.Process(p.pid).children(recursive=True)
    p.kill()
    p.wait(10)
    done_before = _markers(out)
    assert 2 <= len(done_before) < len(big_archive["good"]), "the run should have been killed mid-way"
    gone, alive = psutil.wait_procs(workers, timeout=10)  # the workers end with their parent
    assert not alive, alive
    # SIGKILL mid-write leaves the writer's temporary file (never a half-written label file); one is
    # planted too, from a process that has ended, so that the resumed run always has one to remove
    left = [k for k in tree(out) if k.endswith(".tmp")]
    assert all(TEMP_NAME.match(os.path.basename(k)) for k in left), left
    dead = subprocess.Popen(["true"])
    dead.wait()
    os.makedirs(os.path.join(out, "talk"), exist_ok=True)
    with open(os.path.join(out, "talk", f".a1.csv.{dead.pid}.0123abcd.tmp"), "w") as f:
        f.write("start,end,label\n0.000,1.0")
    # every label file present is whole; the ones with a marker are skipped by --resume
    r = run_cli(*args, "--resume", "--summary", str(tmp_path / "s.csv"), "--no-progress")
    assert r.returncode == 0, r.stderr
    _no_temp_files(out)
    assert f"removed {len(left) + 1} temporary file(s) left by an interrupted run" in r.stderr
    rows = read_summary(str(tmp_path / "s.csv"))
    skipped = [r_ for r_ in rows if r_["status"] == "skipped"]
    assert len(skipped) == len(done_before) and len(rows) == len(big_archive["good"])
    assert all(r_["status"] in ("ok", "skipped") and r_["duration_s"] for r_ in rows)
    assert last_line(r.stderr).startswith(f"stream-tagger: {len(rows) - len(skipped)} ok, 0 failed, "
                                          f"{len(skipped)} skipped")
    # the result equals an uninterrupted run (the copies hold the same audio as the small archive)
    ref = labels_only(tree(os.path.join(jobs1[1], "out")))
    got = labels_only(tree(out))
    assert len(got) == len(big_archive["good"])
    for rel, data in got.items():
        assert data == ref[rel.split("/", 1)[1] if rel.startswith("copy") else rel], rel
    # other options: everything is done again
    r = run_cli(*args, "--resume", "--hop", "0.5", "--summary", str(tmp_path / "s2.csv"))
    assert r.returncode == 0 and all(r_["status"] == "ok" for r_ in read_summary(str(tmp_path / "s2.csv")))


def test_ctrl_c_keeps_finished_outputs_stops_workers_exits_130(big_archive, engine_model, tmp_path):
    out = str(tmp_path / "out")
    p = subprocess.Popen([*CLI, "tag", big_archive["root"], "--model", engine_model, "--out-dir", out, "--jobs", "2",
                          "--summary", str(tmp_path / "s.csv")], env=env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for(lambda: len(_markers(out)) >= 1 or p.poll() is not None, what="a finished file")
    workers = psutil.Process(p.pid).children(recursive=True)
    os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert "Traceback" not in err and err.rstrip().endswith("stream-tagger: interrupted"), err
    assert "not done" in err.splitlines()[-2]
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    _no_temp_files(out)
    rows = read_summary(str(tmp_path / "s.csv"))
    assert len(rows) == len(big_archive["good"])
    ok = [r for r in rows if r["status"] == "ok"]
    assert ok and all(r["error"] == "not tagged: the run was interrupted" for r in rows if r["status"] == "failed")
    assert len(_markers(out)) == len(ok)


def test_a_worker_process_killed_mid_run_has_its_files_done_again(big_archive, engine_model, jobs1, tmp_path):
    out = str(tmp_path / "out")
    p = subprocess.Popen([*CLI, "tag", big_archive["root"], "--model", engine_model, "--out-dir", out, "--jobs", "2",
                          "--summary", str(tmp_path / "s.csv")], env=env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: len(_markers(out)) >= 1 or p.poll() is not None, what="a finished file")
    assert p.poll() is None, "the run ended before a worker could be killed"
    workers = [c for c in psutil.Process(p.pid).children() if "resource_tracker" not in " ".join(c.cmdline())]
    assert workers, "no worker processes"
    workers[0].kill()  # mid-file: the pool breaks, the files it held go to a new pool
    _, err = p.communicate(timeout=120)
    rows = read_summary(str(tmp_path / "s.csv"))
    assert p.returncode == 0 and "Traceback" not in err, (err, rows)
    assert len(rows) == len(big_archive["good"]) and all(r["status"] == "ok" for r in rows), rows
    ref = labels_only(tree(os.path.join(jobs1[1], "out")))
    got = labels_only(tree(out))
    assert len(got) == len(rows)
    for rel, data in got.items():
        assert data == ref[rel.split("/", 1)[1] if rel.startswith("copy") else rel], rel
    _no_temp_files(out)


# ------------------------------------------------------------------------------ URLs
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def http_root(archive):
    port = _free_port()
    p = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                          archive["root"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def up():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False
        _wait_for(up, 20, "the HTTP server")
        yield f"http://127.0.0.1:{port}"
    finally:
        p.terminate()
        p.wait(10)


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    held = []

    def accept():
        while True:
            try:
                held.append(s.accept()[0])
            except OSError:
                return
    import threading

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    for c in held:
        c.close()


def test_urls_give_the_same_labels_and_a_404_is_one_failed_row(archive, engine_model, jobs1, http_root,
                                                                silent_server, tmp_path):
    pytest.importorskip("fsspec")
    _, d1 = jobs1
    ref = labels_only(tree(os.path.join(d1, "out")))
    urls = [f"{http_root}/{g}" for g in archive["good"]] + [f"{http_root}/missing.wav", f"{silent_server}/x.flac",
                                                           f"file://{archive['root']}/e8.wav"]
    r = run_cli("tag", "--from-list", "-", "--model", engine_model, "--out-dir", str(tmp_path / "out"), "--jobs", "2",
                "--summary", str(tmp_path / "s.csv"), input="\n".join(urls[:-1]) + "\n", timeout=180,
                extra_env={"STREAM_TAGGER_URL_TIMEOUT_S": "1"})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    got = labels_only(tree(str(tmp_path / "out")))
    for g in archive["good"]:
        name = os.path.splitext(os.path.basename(g))[0] + ".csv"
        assert got[name] == ref[os.path.splitext(g)[0] + ".csv"], g  # WAV/FLAC streamed, OGG/MP3 copied
    rows = {r_["file"]: r_ for r_ in read_summary(str(tmp_path / "s.csv"))}
    miss = rows[f"{http_root}/missing.wav"]
    assert miss["status"] == "failed" and "not found" in miss["error"]
    hung = rows[f"{silent_server}/x.flac"]
    assert hung["status"] == "failed" and "timed out" in hung["error"]
    assert last_line(r.stderr).startswith(f"stream-tagger: {len(archive['good'])} ok, 2 failed, 0 skipped")
    r = run_cli("tag", urls[-1], f"{http_root}/music/", "--model", engine_model, "--jobs", "1")
    assert r.returncode == 0, r.stderr
    files = list(dict.fromkeys(ln.split(",")[0] for ln in r.stdout.splitlines()[1:]))
    assert files == [urls[-1], f"{http_root}/music/c48.ogg", f"{http_root}/music/d22.mp3",
                     f"{http_root}/music/deep/f32.flac"]


# ------------------------------------------------------------------------------ outputs that fail
@pytest.fixture
def tmpfs(tmp_path):
    """mount(options) -> a real tmpfs folder; skipped where mounting is not permitted."""
    mounted = []

    def mount(options: str):
        d = tmp_path / f"disk{len(mounted)}"
        d.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(d)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounted.append(d)
        return d
    if not shutil.which("mount"):
        pytest.skip("no mount command")
    yield mount
    for d in mounted:
        subprocess.run(["umount", str(d)], check=False)


def test_unwritable_or_full_out_dir(archive, engine_model, tmpfs, tmp_path):
    ro = tmpfs("ro,size=64k")
    r = run_cli("tag", archive["root"], "--model", engine_model, "--out-dir", str(ro / "out"), "--jobs", "2")
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "--out-dir" in r.stderr, r.stderr
    full = tmpfs("size=16k")
    st = os.statvfs(full)
    (full / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize))
    r = run_cli("tag", archive["root"], "--model", engine_model, "--out-dir", str(full), "--jobs", "1",
                "--summary", str(tmp_path / "s.csv"))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    rows = read_summary(str(tmp_path / "s.csv"))
    good = [r_ for r_ in rows if os.path.relpath(r_["file"], archive["root"]) in archive["good"]]
    assert all(r_["status"] == "failed" and "No space left on device" in r_["error"] for r_ in good), good
    assert sorted(os.listdir(full)) == ["filler"] + (["music", "talk"] if os.path.isdir(full / "music") else [])
    assert not [k for k in tree(str(full)) if k != "filler"]  # nothing half-written
    assert last_line(r.stderr).startswith(f"stream-tagger: 0 ok, {len(rows)} failed")


def test_usage_errors(archive, engine_model, tmp_path):
    root = archive["root"]
    for args, needle in [(["--resume"], "--resume needs --out-dir"), (["-", "--jobs", "2"], "standard input"),
                         (["--jobs", "-1"], "jobs must be 0"), (["--dask", "tcp://x:1", "--jobs", "2"], "not both")]:
        r = run_cli("tag", root, *args, "--model", engine_model)
        assert r.returncode == 2 and needle in r.stderr and len(r.stderr.splitlines()) == 1, (args, r.stderr)
    r = run_cli("tag", "--from-list", str(tmp_path / "nope.txt"))
    assert r.returncode == 1 and r.stderr.strip() == f"stream-tagger: error: --from-list {tmp_path}/nope.txt: no such file"


def test_progress_shows_on_a_terminal_only(archive, engine_model, tmp_path):
    master, slave = pty.openpty()
    p = subprocess.Popen([*CLI, "tag", archive["root"] + "/talk", "--model", engine_model, "--out-dir",
                          str(tmp_path / "o"), "--jobs", "1"], env=env(), stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(60)
    os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert p.returncode == 0
    assert "/2 files" in shown and "h audio, " in shown and "x real time" in shown and "<" in shown, shown
    r = run_cli("tag", archive["root"] + "/talk", "--model", engine_model, "--out-dir", str(tmp_path / "o2"))
    assert "files" not in r.stderr.replace("stream-tagger:", "") or "/2" not in r.stderr
    assert r.stderr.count("\n") == 1


# ------------------------------------------------------------------------------ long files in pieces
def test_a_long_file_in_pieces_joins_to_what_tagging_it_whole_gives(engine_model, tmp_path):
    import numpy as np
    import soundfile as sf
    from conftest import tone_bursts

    from stream_tagger.api import tag_files
    from stream_tagger.archive.pieces import plan

    rate = 22050  # a cut must fall on a whole source frame and on the hop grid: 0.5 s steps here
    rng = np.random.default_rng(5)
    spans, t = [], 0.3
    while t < 146:
        d = rng.uniform(0.4, 3.0)
        spans.append((t, t + d))
        t += d + rng.uniform(0.3, 2.5)
    path = tmp_path / "long.wav"
    sf.write(path, tone_bursts(spans, 150.0, rate=rate, noise_dbfs=-65.0), rate, subtype="PCM_16")
    pieces = plan(str(path), 120.0, 4000)
    assert [p.keep_from_s for p in pieces] == [0.0, 75.0] and pieces[1].read_from == (75 - 30) * rate
    assert pieces[0].read_to == (75 + 30) * rate and pieces[1].read_to is None
    (_, whole), = tag_files([str(path)], jobs=1, model=engine_model, split_s=0)
    (_, joined), = tag_files([str(path)], jobs=2, model=engine_model, split_s=120)  # one piece per worker
    assert joined.duration_s == whole.duration_s == 150.0
    assert len(whole) > 60 and list(joined) == list(whole)  # here, exactly what the whole file gives
