"""Shared fixtures: the shipped model, an engine model, generated audio with known boundaries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from stream_tagger.model import default_model_path

RATE = 16000


@pytest.fixture(scope="session")
def shipped_model() -> str:
    """Path of the shipped model; tests that assert real labels use it."""
    path = default_model_path()
    if not os.path.exists(path):
        pytest.skip("assets/model.tflite is not there yet (the trained model has not landed)")
    return path


_TINY_MODEL_SCRIPT = r"""
import json, sys
import tensorflow as tf, keras
from stream_tagger.frontend import FrontendParams
from stream_tagger.model import file_identity
keras.utils.set_random_seed(0)
inp = keras.Input((64, 101, 1))
x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inp)
x = keras.layers.GlobalAveragePooling2D()(x)
out = keras.layers.Dense(3, activation="sigmoid")(x)
m = keras.Model(inp, out)
open(sys.argv[1] + ".tflite", "wb").write(tf.lite.TFLiteConverter.from_keras_model(m).convert())
json.dump({"labels": ["speech", "music", "noise"], "frontend": FrontendParams().to_dict(),
           **file_identity(sys.argv[1] + ".tflite", ["speech", "music", "noise"]),
           "thresholds": {"speech": 0.5, "music": 0.5, "noise": 0.5}, "silence_dbfs": -50},
          open(sys.argv[1] + ".json", "w"))
"""


@pytest.fixture(scope="session")
def engine_model(tmp_path_factory) -> str:
    """A model for engine mechanics (timing, silence, errors): the shipped one when present,
    else a tiny untrained model converted with TensorFlow in a subprocess (skip if no TF)."""
    path = default_model_path()
    if os.path.exists(path):
        return path
    d = tmp_path_factory.mktemp("tiny_model")
    stem = str(d / "model")
    r = subprocess.run([sys.executable, "-c", _TINY_MODEL_SCRIPT, stem], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"no shipped model and cannot build a tiny one: {r.stderr.strip().splitlines()[-1:]}")
    return stem + ".tflite"


def tone_bursts(spans_s, total_s: float, rate: int = RATE, freq_hz: float = 440.0, amp: float = 0.3,
                noise_dbfs: float | None = None, seed: int = 0) -> np.ndarray:
    """A tone at ``freq_hz`` during each ``(start_s, end_s)`` span, silence elsewhere
    (digital silence, or white noise at ``noise_dbfs``)."""
    n = int(round(total_s * rate))
    t = np.arange(n) / rate
    x = np.zeros(n, np.float64)
    if noise_dbfs is not None:
        x += np.random.default_rng(seed).standard_normal(n) * 10 ** (noise_dbfs / 20)
    for a, b in spans_s:
        i, j = int(round(a * rate)), int(round(b * rate))
        x[i:j] += amp * np.sin(2 * np.pi * freq_hz * t[i:j])
    return x.astype(np.float32)


BURSTS = [(1.0, 3.0), (4.5, 6.2), (7.33, 9.0)]
BURSTS_TOTAL_S = 10.0


@pytest.fixture(scope="session")
def bursts_wav(tmp_path_factory) -> str:
    """10 s at 16 kHz: tone bursts at :data:`BURSTS`, digital silence between."""
    p = tmp_path_factory.mktemp("audio") / "bursts.wav"
    sf.write(p, tone_bursts(BURSTS, BURSTS_TOTAL_S), RATE)
    return str(p)


@pytest.fixture(scope="session")
def bursts_flac44(tmp_path_factory) -> str:
    """The same bursts at 44.1 kHz stereo FLAC, quiet noise floor (-70 dBFS) in the gaps."""
    rate = 44100
    x = tone_bursts(BURSTS, BURSTS_TOTAL_S, rate=rate, noise_dbfs=-70.0)
    p = tmp_path_factory.mktemp("audio") / "bursts44.flac"
    sf.write(p, np.stack([x, 0.8 * x], axis=1), rate)
    return str(p)


def silence_spans(spans, total_s):
    """Complement of ``spans`` in ``[0, total_s]``."""
    out, t = [], 0.0
    for a, b in spans:
        if a > t:
            out.append((t, a))
        t = b
    if t < total_s:
        out.append((t, total_s))
    return out


def write_json(path, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (even if killed), so a
    private sound server never outlives an interrupted test run (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:
        pass


def start_pulse(d):
    """Start a private PulseAudio server in directory ``d`` with a null sink ``tagnull`` whose
    monitor is the default source. Returns ``(process, client_env)``; skips if unavailable."""
    import shutil
    import time

    if not shutil.which("pulseaudio") or not shutil.which("paplay"):
        pytest.skip("pulseaudio / paplay not installed (apt-get install pulseaudio pulseaudio-utils)")
    sock = os.path.join(str(d), "native")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update(XDG_RUNTIME_DIR=str(d), HOME=str(d))
    with open(os.path.join(str(d), "pulseaudio.log"), "wb") as log:
        proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "-L", f"module-native-protocol-unix socket={sock} auth-anonymous=1",
             "-L", "module-null-sink sink_name=tagnull rate=48000", "-L", "module-always-sink"],
            env=env, stdout=log, stderr=log, preexec_fn=_die_with_parent)
    client = dict(env, PULSE_SERVER=f"unix:{sock}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.skip("pulseaudio exited at start: "
                        + open(os.path.join(str(d), "pulseaudio.log"), errors="replace").read()[-300:])
        if subprocess.run(["pactl", "info"], env=client, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.skip("pulseaudio did not come up within 15 s")
    subprocess.run(["pactl", "set-default-source", "tagnull.monitor"], env=client, check=True)
    subprocess.run(["pactl", "set-default-sink", "tagnull"], env=client, check=True)
    return proc, client


def stop_pulse(proc) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="session")
def pulse_env(tmp_path_factory):
    """Environment (for subprocesses) pointing libpulse / the ALSA pulse plugin at a private
    PulseAudio server with a null sink (see :func:`start_pulse`)."""
    proc, client = start_pulse(tmp_path_factory.mktemp("pulse"))
    yield client
    stop_pulse(proc)
