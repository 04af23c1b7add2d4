"""``tag --dask``: a real Dask scheduler and two real workers, separate processes on 127.0.0.1.
The outputs equal ``--jobs``'s byte for byte; a worker killed mid-run loses nothing and
duplicates nothing; an unreachable scheduler is one line; a scheduler lost mid-run keeps the
finished outputs and ``--resume`` completes the job."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest
from archive_corpus import CLI, env, labels_only, last_line, make_archive, read_summary, run_cli, tree

pytest.importorskip("distributed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args) -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "dask")
    return [exe, *args] if os.path.exists(exe) else [sys.executable, "-m", "dask", *args]


def _wait_for(predicate, timeout_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Cluster:
    """A scheduler and workers, each its own process (``dask scheduler``, ``dask worker``)."""

    def __init__(self, folder):
        self.folder = folder
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler = None
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, name: str, *args) -> subprocess.Popen:
        log = open(os.path.join(self.folder, f"{name}.log"), "ab")
        return subprocess.Popen(_dask(*args), env=env(), stdout=log, stderr=log, start_new_session=True)

    def start_scheduler(self) -> None:
        self.scheduler = self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                     "--no-dashboard")

    def start_worker(self) -> subprocess.Popen:
        w = self._spawn(f"worker{len(self.workers)}", "worker", self.address, "--nthreads", "1", "--no-nanny",
                        "--no-dashboard", "--memory-limit", "0", "--name", f"w{len(self.workers)}")
        self.workers.append(w)
        return w

    def wait_workers(self, n: int) -> None:
        import distributed

        with distributed.Client(self.address, timeout=60) as c:
            c.wait_for_workers(n, timeout=90)

    def stop(self) -> None:
        for p in [*self.workers, self.scheduler]:
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("cluster")))
    try:
        c.start_scheduler()
        c.start_worker()
        c.start_worker()
        c.wait_workers(2)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def archive(tmp_path_factory, engine_model):
    """The small archive and its outputs with --jobs 1 (the reference)."""
    root = tmp_path_factory.mktemp("archive")
    info = make_archive(str(root), copies=4)
    info["root"] = str(root)
    d = tmp_path_factory.mktemp("jobs1")
    r = run_cli("tag", str(root), "--model", engine_model, "--out-dir", str(d / "out"), "--jobs", "1",
                "--summary", str(d / "summary.csv"))
    assert r.returncode == 1, r.stderr  # the broken files
    info["ref"], info["ref_summary"] = tree(str(d / "out")), str(d / "summary.csv")
    return info


def _markers(folder: str) -> int:
    """Finished-file markers below ``folder``, by name only: polled while the run writes, so files
    are never opened (a temporary file can be renamed between listing and opening)."""
    return sum(1 for _, _, files in os.walk(folder) for name in files if name.endswith(".done"))


def test_dask_outputs_equal_jobs_outputs_byte_for_byte(cluster, archive, engine_model, tmp_path):
    r = run_cli("tag", archive["root"], "--model", engine_model, "--out-dir", str(tmp_path / "out"),
                "--dask", cluster.address, "--summary", str(tmp_path / "s.csv"))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert tree(str(tmp_path / "out")) == archive["ref"]
    with open(archive["ref_summary"], "rb") as a, open(tmp_path / "s.csv", "rb") as b:
        assert a.read() == b.read()
    n_good, n_bad = len(archive["good"]), len(archive["bad"])
    assert last_line(r.stderr).startswith(f"stream-tagger: {n_good} ok, {n_bad} failed, 0 skipped")


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(cluster, archive, engine_model, tmp_path):
    out = str(tmp_path / "out")
    p = subprocess.Popen([*CLI, "tag", archive["root"], "--model", engine_model, "--out-dir", out,
                          "--dask", cluster.address, "--summary", str(tmp_path / "s.csv")], env=env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _markers(out) >= 1 or p.poll() is not None, what="a finished file")
    assert p.poll() is None, "the run ended before a worker could be killed"
    cluster.workers[0].kill()  # mid-run: its task (and any it held) goes to the other worker
    cluster.workers[0].wait(10)
    _, err = p.communicate(timeout=180)
    assert p.returncode == 1 and "Traceback" not in err, err  # 1: the broken files
    rows = read_summary(str(tmp_path / "s.csv"))
    files = [os.path.relpath(r["file"], archive["root"]) for r in rows]
    assert sorted(files) == sorted(archive["good"] + list(archive["bad"]))  # every input exactly once
    assert all(r["status"] == "ok" for r in rows if os.path.relpath(r["file"], archive["root"]) in archive["good"])
    assert tree(out) == archive["ref"]  # nothing lost, nothing half-written, nothing else
    n_good, n_bad = len(archive["good"]), len(archive["bad"])
    assert last_line(err).startswith(f"stream-tagger: {n_good} ok, {n_bad} failed, 0 skipped")


def test_unreachable_scheduler_is_one_line_before_any_work(archive, engine_model, tmp_path):
    addr = f"tcp://127.0.0.1:{_free_port()}"
    r = subprocess.run([*CLI, "tag", archive["root"], "--model", engine_model, "--out-dir", str(tmp_path / "out"),
                        "--dask", addr], env=env(STREAM_TAGGER_DASK_TIMEOUT_S="2"), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert re.fullmatch(rf"stream-tagger: error: --dask {addr}: cannot reach the Dask scheduler \(.*\)\n", r.stderr)
    assert not (tmp_path / "out").exists()


def test_scheduler_lost_mid_run_keeps_outputs_and_resume_finishes(cluster, archive, engine_model, tmp_path):
    out = str(tmp_path / "out")
    args = ["tag", archive["root"], "--model", engine_model, "--out-dir", out, "--dask", cluster.address,
            "--summary", str(tmp_path / "s.csv")]
    p = subprocess.Popen([*CLI, *args], env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _markers(out) >= 1 or p.poll() is not None, what="a finished file")
    cluster.scheduler.kill()
    _, err = p.communicate(timeout=120)
    assert p.returncode == 1 and "Traceback" not in err, err
    errors = [ln for ln in err.splitlines() if ln.startswith("stream-tagger: error: --dask")]
    assert len(errors) == 1 and "lost the Dask scheduler" in errors[0] and "--resume" in errors[0], err
    done = _markers(out)
    assert "not done" in last_line(err)
    rows = read_summary(str(tmp_path / "s.csv"))
    assert sum(r["status"] == "ok" for r in rows) == done
    assert not [k for k in tree(out) if k.endswith(".tmp")]
    # a new scheduler on the same address, a new worker: --resume does the rest
    for w in cluster.workers:
        if w.poll() is None:
            w.kill()
            w.wait(10)
    cluster.workers.clear()
    cluster.start_scheduler()
    cluster.start_worker()
    cluster.wait_workers(1)
    r = run_cli(*args, "--resume", timeout=180)
    assert r.returncode == 1, r.stderr  # the broken files
    rows = read_summary(str(tmp_path / "s.csv"))
    assert sum(r_["status"] == "skipped" for r_ in rows) == done
    assert tree(out) == archive["ref"]
