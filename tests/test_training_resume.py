"""A fit killed part-way (SIGKILL, as a session's end does it) and resumed with ``--resume`` ends
exactly where a fit never stopped ends: the same history, the same raw and averaged weights and
optimizer state after the last epoch, the same outputs; a finished shorter fit extended by
``--resume --epochs N`` is the N-epoch fit; a checkpoint of another configuration is refused in
one line. Real training processes on a tiny generated corpus (TensorFlow is not imported here)."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from synth_corpus import make_feature_corpus  # noqa: E402

from training.checkpoint import CHECKPOINT_NAME  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPOCHS = 4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_feature_corpus(str(tmp_path_factory.mktemp("data")))


def _cmd(corpus, out, *extra):
    return [sys.executable, "-m", "training.train", "--arch", "compact", "--data-dir", corpus, "--out", out,
            "--steps-per-epoch", "5", "--batch-size", "16", "--qat-epochs", "0", "--n-eval-mix", "100", *extra]


def _run(corpus, out, *extra):
    r = subprocess.run(_cmd(corpus, out, *extra), cwd=REPO, capture_output=True, text=True,
                       timeout=900)  # a hang guard only
    return r


def _epochs_done(path):
    try:
        with np.load(path) as z:
            return json.loads(str(z["meta"]))["epochs_done"]
    except (OSError, ValueError, KeyError):
        return None  # not there yet, or being renamed into place


def _state(out):
    """Everything in a run's checkpoint but its timings, and the run's history and float outputs."""
    with np.load(os.path.join(out, CHECKPOINT_NAME)) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {k: z[k] for k in z.files if k != "meta"}
    for k in ("fit_seconds", "saved_utc"):
        meta.pop(k)
    with np.load(os.path.join(out, "float_probs.npz")) as z:
        probs = {k: z[k] for k in z.files}
    return meta, arrays, json.load(open(os.path.join(out, "history.json"))), probs


def _same(a, b):
    meta_a, arr_a, hist_a, probs_a = a
    meta_b, arr_b, hist_b, probs_b = b
    assert hist_a == hist_b and len(hist_a["loss"]) == EPOCHS
    assert meta_a == meta_b
    assert sorted(arr_a) == sorted(arr_b) and len(arr_a) > 100
    different = [k for k in arr_a if not np.array_equal(arr_a[k], arr_b[k])]
    assert not different, different
    assert all(np.array_equal(probs_a[k], probs_b[k]) for k in probs_a)


def test_killed_and_extended_fits_resume_to_the_uninterrupted_result(corpus, tmp_path):
    whole = str(tmp_path / "whole")
    os.makedirs(whole)
    with open(os.path.join(whole, CHECKPOINT_NAME), "wb") as f:
        f.write(b"an earlier fit's checkpoint")
    r = _run(corpus, whole, "--epochs", str(EPOCHS))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "resuming" not in r.stdout and "starting from scratch" in r.stdout
    with open(os.path.join(whole, "fit_checkpoint.previous.npz"), "rb") as f:  # kept aside, not lost
        assert f.read() == b"an earlier fit's checkpoint"

    # a shorter fit that finished (its last epoch puts the averaged weights in for good) ...
    part = str(tmp_path / "part")
    r = _run(corpus, part, "--epochs", "2")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    ck = os.path.join(part, CHECKPOINT_NAME)
    assert _epochs_done(ck) == 2
    # ... a checkpoint is not resumed by a fit of another configuration
    r = _run(corpus, part, "--epochs", str(EPOCHS), "--resume", "--seed", "99")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("--resume: ") and "made by another fit: seed 1234 there, 99 now" in last
    assert _epochs_done(ck) == 2

    # ... extended, and killed with SIGKILL as soon as its third epoch is saved ...
    p = subprocess.Popen(_cmd(corpus, part, "--epochs", str(EPOCHS), "--resume"), cwd=REPO,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900  # a hang guard only
    while _epochs_done(ck) != 3 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL  # killed, not finished
    assert _epochs_done(ck) == 3
    # ... and resumed: the same as the fit never stopped
    r = _run(corpus, part, "--epochs", str(EPOCHS), "--resume")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "resuming after epoch 3" in r.stdout
    assert [ln.split()[2] for ln in r.stdout.splitlines() if ln.startswith("train: epoch ")] == [f"{EPOCHS}/{EPOCHS}"]
    assert not [f for f in os.listdir(part) if f.endswith(".tmp.npz")]
    _same(_state(whole), _state(part))


def test_resume_without_a_checkpoint_is_one_line(corpus, tmp_path):
    r = _run(corpus, str(tmp_path / "none"), "--epochs", "1", "--resume")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("--resume: no checkpoint at ") and CHECKPOINT_NAME in last
