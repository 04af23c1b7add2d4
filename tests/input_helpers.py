"""Helpers for the bad-input tests (tests/test_sources_input.py, tests/test_mp3_ogg_input.py):
test signals, a source read straight into a ring buffer (no model), and the ``stream-tagger``
command with its one-line error."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import soundfile as sf

from stream_tagger.ring_buffer import RingBuffer
from stream_tagger.sources import StdinSource

RATE = 16000


def _tone(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _wav_bytes(x: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


def _drain(source) -> tuple[np.ndarray, BaseException | None]:
    """Open ``source``, run it into a ring buffer to its end: (samples, the error it closed with)."""
    source.open()
    ring = RingBuffer(1 << 20)
    source.start(ring)
    parts = []
    while True:
        got = ring.read(1 << 16, timeout_s=10)
        if got is None:
            break
        parts.append(got[1])
    source.join(10)
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), ring.error


def _stdin(data: bytes, **kw) -> tuple[np.ndarray, BaseException | None]:
    return _drain(StdinSource(stream=io.BytesIO(data), **kw))


def _cli(*args, stdin=None, input=None):
    return subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args], stdin=stdin, input=input,
                          capture_output=True, timeout=120)


def _one_error_line(r, *needles: str) -> str:
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode != 0, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stream-tagger: error: "), err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]
