"""The benchmark's peer adapters (benchmarks/peers.py) return sane segments on known audio."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

from stream_tagger.audio_io import read_audio
from stream_tagger.events import Segment

from conftest import BURSTS, BURSTS_TOTAL_S, silence_spans, tone_bursts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import peers  # noqa: E402

RATE = 16000
EXAMPLE = os.path.join(ROOT, "assets", "example.ogg")


def _has_silero() -> bool:
    try:
        peers.silero_model_path()
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


needs_silero = pytest.mark.skipif(not _has_silero(), reason="silero-vad (--no-deps) / onnxruntime not installed")
needs_webrtc = pytest.mark.skipif(importlib.util.find_spec("webrtcvad") is None, reason="webrtcvad-wheels not installed")


def _covered_s(segs: list[Segment], a: float, b: float) -> float:
    return sum(max(0.0, min(s.end_s, b) - max(s.start_s, a)) for s in segs)


def _silences() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"digital zero": np.zeros(5 * RATE, np.float32),
            "room tone -80 dBFS": (rng.standard_normal(5 * RATE) * 1e-4).astype(np.float32)}


@pytest.fixture(scope="module")
def speech_excerpt() -> np.ndarray:
    """3-12 s of the shipped example: test-split speech only (assets/example.csv)."""
    if not os.path.exists(EXAMPLE):
        pytest.skip("assets/example.ogg missing")
    return read_audio(EXAMPLE)[3 * RATE : 12 * RATE]


# ---------------------------------------------------------------------------------- silero


@needs_silero
def test_silero_finds_no_speech_in_silence():
    for name, x in _silences().items():
        peer = peers.SileroVad()
        assert peers.run_peer(peer, x) == [], name
        assert max(peer.probs) < 0.5, name
        assert len(peer.probs) == int(np.ceil(len(x) / 512))  # last partial chunk zero-padded, as silero does


@needs_silero
def test_silero_finds_speech_in_test_split_speech(speech_excerpt):
    segs = peers.silero_segments(speech_excerpt)
    dur = len(speech_excerpt) / RATE
    assert segs and all(s.label == "speech" for s in segs)
    assert _covered_s(segs, 0, dur) >= 0.8 * dur


@needs_silero
def test_silero_same_segments_however_the_stream_is_chunked(speech_excerpt):
    whole = peers.silero_segments(speech_excerpt)
    peer = peers.SileroVad()
    i, k, sizes = 0, 0, [1, 511, 777, 4000, 123, 16000]
    while i < len(speech_excerpt):
        n = sizes[k % len(sizes)]
        peer.push(speech_excerpt[i : i + n])
        i += n
        k += 1
    assert peer.segments() == whole
    assert peer.first_decision_t is not None


def test_silero_timestamps_follow_get_speech_timestamps():
    """Hand-worked with silero's rules: start at the first chunk >= 0.5, end at the first chunk
    < 0.35 once 100 ms (1600 samples) have passed, spans of <= 250 ms dropped, 30 ms padding."""
    p = np.zeros(60)
    p[10:31] = 0.9      # speech from chunk 10 (5120) ...
    p[20:22] = 0.1      # ... a 1024-sample dip is bridged (< 1600)
    p[31:33] = 0.4      # between the thresholds: still speech
    # from chunk 33 (16896) below 0.35 -> end 16896 once chunk 37 (18944 - 16896 >= 1600) is seen
    p[45:52] = 0.9      # 7 chunks = 3584 samples <= 4000: dropped
    spans = peers.silero_timestamps(p, 60 * 512)
    assert spans == [(5120 - 480, 16896 + 480)]
    q = np.zeros(24)
    q[12:] = 0.8        # speech running to the end of the audio: ends at its length (no pad past it)
    assert peers.silero_timestamps(q, 24 * 512 - 100) == [(12 * 512 - 480, 24 * 512 - 100)]


# ---------------------------------------------------------------------------------- webrtcvad


@needs_webrtc
@pytest.mark.parametrize("mode", [0, 3])
def test_webrtc_finds_no_speech_in_silence(mode):
    for name, x in _silences().items():
        peer = peers.WebRtcVad(mode)
        assert peers.run_peer(peer, x) == [], name
        assert len(peer.voiced) == len(x) // 480


@needs_webrtc
def test_webrtc_finds_speech_in_test_split_speech(speech_excerpt):
    segs = peers.webrtc_segments(speech_excerpt, 3)
    dur = len(speech_excerpt) / RATE
    assert _covered_s(segs, 0, dur) >= 0.8 * dur


@needs_webrtc
def test_webrtc_collector_is_py_webrtcvad_example():
    """300 ms ring: starts at the ring's first frame once all 10 are voiced, ends after the
    frame that makes 10 of the ring unvoiced (the example's >90 % rule)."""
    peer = peers.WebRtcVad(3)
    peer.voiced = [False] * 5 + [True] * 20 + [False] * 15
    assert peer.segments() == [Segment(0.15, 1.05, "speech")]
    peer.voiced = [False] * 5 + [True] * 9 + [False] * 10  # never 10 voiced in a row: no trigger
    assert peer.segments() == []
    peer.voiced = [True] * 12  # still speech at the end: ends with the audio
    assert peer.segments() == [Segment(0.0, 0.36, "speech")]


# ---------------------------------------------------------------------------------- level


def test_level_threshold_finds_the_silence_gaps_of_tone_bursts_exactly():
    x = tone_bursts(BURSTS, BURSTS_TOTAL_S)
    segs = peers.level_silence_segments(x, -50.0)
    assert [(s.start_s, s.end_s) for s in segs] == [(round(a, 3), round(b, 3))
                                                    for a, b in silence_spans(BURSTS, BURSTS_TOTAL_S)]
    assert all(s.label == "silence" for s in segs)
    # a noise floor under the threshold is still silence; one over it is not
    assert peers.level_silence_segments(tone_bursts(BURSTS, BURSTS_TOTAL_S, noise_dbfs=-70.0)) == segs
    assert peers.level_silence_segments(tone_bursts(BURSTS, BURSTS_TOTAL_S, noise_dbfs=-40.0)) == []


def test_level_threshold_drops_gaps_shorter_than_min():
    x = tone_bursts([(0.0, 1.0), (1.2, 2.0)], 2.0)  # a 200 ms gap, under 300 ms
    assert peers.level_silence_segments(x) == []
    assert peers.level_silence_segments(x, min_s=0.2) == [Segment(1.0, 1.2, "silence")]


def test_runs_to_segments_bridges_then_drops():
    on = np.array([1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1], bool)
    assert peers.runs_to_segments(on, 0.1, "speech", 0.0, 0.15) == [Segment(0.0, 0.6, "speech"),
                                                                    Segment(1.0, 1.1, "speech")]
    assert peers.runs_to_segments(on, 0.1, "speech", 0.2, 0.15) == [Segment(0.0, 0.6, "speech")]
    assert peers.runs_to_segments(np.zeros(5, bool), 0.1, "speech", 0.0, 0.0) == []
