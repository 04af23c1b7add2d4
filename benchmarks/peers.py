"""The tools a user would pick instead, run the way their own docs run them, as segment lists.

- ``silero``: silero-vad's bundled ONNX model (``silero_vad/data/silero_vad.onnx``, the file its
  ``load_silero_vad(onnx=True)`` loads) through onnxruntime on one thread: 512-sample chunks at
  16 kHz with the 64-sample context its ``OnnxWrapper`` keeps, the last partial chunk zero-padded;
  probabilities turned into speech segments by a port of its ``get_speech_timestamps`` with the
  defaults (threshold 0.5, exit under 0.35 for 100 ms, speech of 250 ms or less dropped, 30 ms
  padding). Installed with ``pip install silero-vad --no-deps``: its ``__init__`` imports torch,
  so only the package's data folder is located, never imported.
- ``webrtc``: webrtcvad (``webrtcvad-wheels``) on 30 ms frames of 16-bit PCM, segments by the
  ``vad_collector`` of py-webrtcvad's ``example.py`` (300 ms ring: speech starts at the ring's
  first frame once more than 90 % of it is voiced, ends after a frame that leaves more than
  90 % of the ring unvoiced); aggressiveness 0-3 (mode).
- ``level``: a plain level threshold: silence where the 10 ms level (the engine's own
  :class:`~stream_tagger.level.LevelMeter`: RMS of the mean-removed block, dBFS) is under
  ``threshold_dbfs`` (-50, the engine's default) for at least 300 ms.

Every peer is streaming: ``push(block)`` takes mono float32 at 16 kHz in blocks of any size and
returns how many frame decisions it made; ``segments()`` after the last block gives
``list[Segment]`` (times in seconds). ``first_decision_t`` is the ``time.monotonic()`` of the
first frame decision (for time-to-first-output). The ``*_segments(audio)`` helpers run a whole
array at once.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import time

import numpy as np

from stream_tagger.events import Segment

RATE_HZ = 16000


def runs_to_segments(active: np.ndarray, frame_s: float, label: str, min_on_s: float,
                     min_gap_s: float) -> list[Segment]:
    """Contiguous True runs of a per-frame mask as segments (seconds); gaps shorter than
    ``min_gap_s`` bridged, then runs shorter than ``min_on_s`` dropped."""
    active = np.asarray(active, bool)
    if not active.any():
        return []
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs: list[list[int]] = []
    for s, e in zip(starts, ends):
        if runs and (s - runs[-1][1]) * frame_s < min_gap_s - 1e-9:
            runs[-1][1] = e
        else:
            runs.append([s, e])
    return [Segment(round(float(s) * frame_s, 3), round(float(e) * frame_s, 3), label)
            for s, e in runs if (e - s) * frame_s >= min_on_s - 1e-9]


class Peer:
    """Frames a 16 kHz stream into ``frame_samples`` frames and decides each (subclasses)."""

    name = "peer"
    labels: tuple[str, ...] = ()
    frame_samples = 160

    def __init__(self):
        self._pending = np.zeros(0, np.float32)
        self.n_samples = 0
        self.n_frames = 0
        self.first_decision_t: float | None = None

    def push(self, block: np.ndarray) -> int:
        """Add mono float32 16 kHz samples; returns the number of new frame decisions."""
        x = np.asarray(block, np.float32).reshape(-1)
        self.n_samples += len(x)
        if len(self._pending):
            x = np.concatenate([self._pending, x])
        n = len(x) // self.frame_samples
        self._pending = x[n * self.frame_samples :]
        if n == 0:
            return 0
        frames = x[: n * self.frame_samples].reshape(n, self.frame_samples)
        if self.first_decision_t is None:
            self._decide(frames[:1])
            self.first_decision_t = time.monotonic()
            if n > 1:
                self._decide(frames[1:])
        else:
            self._decide(frames)
        self.n_frames += n
        return n

    def _decide(self, frames: np.ndarray) -> None:
        raise NotImplementedError

    def segments(self) -> list[Segment]:
        raise NotImplementedError


def silero_model_path() -> str:
    """Path of silero-vad's bundled ``silero_vad.onnx``, found without importing the package."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("silero-vad is not installed (pip install silero-vad --no-deps)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "silero_vad.onnx")
    if not os.path.exists(path):
        raise ImportError(f"silero-vad's ONNX model is missing: {path}")
    return path


def silero_timestamps(probs, audio_length_samples: int, threshold: float = 0.5,
                      min_speech_duration_ms: int = 250, min_silence_duration_ms: int = 100,
                      speech_pad_ms: int = 30, window_samples: int = 512) -> list[tuple[int, int]]:
    """silero-vad's ``get_speech_timestamps_from_probs`` with ``max_speech_duration_s=inf``
    (its default): ``(start, end)`` speech spans in samples."""
    neg_threshold = max(threshold - 0.15, 0.01)
    min_speech = RATE_HZ * min_speech_duration_ms / 1000
    min_silence = RATE_HZ * min_silence_duration_ms / 1000
    pad = RATE_HZ * speech_pad_ms / 1000
    triggered, temp_end, start = False, 0, 0
    spans: list[list[int]] = []
    for i, p in enumerate(probs):
        cur = window_samples * i
        if p >= threshold and temp_end:
            temp_end = 0
        if p >= threshold and not triggered:
            triggered, start = True, cur
            continue
        if p < neg_threshold and triggered:
            if not temp_end:
                temp_end = cur
            if cur - temp_end < min_silence:
                continue
            if temp_end - start > min_speech:
                spans.append([start, temp_end])
            triggered, temp_end = False, 0
    if triggered and audio_length_samples - start > min_speech:
        spans.append([start, audio_length_samples])
    for i, s in enumerate(spans):
        if i == 0:
            s[0] = int(max(0, s[0] - pad))
        if i != len(spans) - 1:
            gap = spans[i + 1][0] - s[1]
            if gap < 2 * pad:
                s[1] += int(gap // 2)
                spans[i + 1][0] = int(max(0, spans[i + 1][0] - gap // 2))
            else:
                s[1] = int(min(audio_length_samples, s[1] + pad))
                spans[i + 1][0] = int(max(0, spans[i + 1][0] - pad))
        else:
            s[1] = int(min(audio_length_samples, s[1] + pad))
    return [(a, b) for a, b in spans]


class SileroVad(Peer):
    """silero-vad's ONNX model on one onnxruntime thread (speech only)."""

    name = "silero-vad"
    labels = ("speech",)
    frame_samples = 512
    context_samples = 64

    def __init__(self, threshold: float = 0.5):
        super().__init__()
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(silero_model_path(), sess_options=opts,
                                                    providers=["CPUExecutionProvider"])
        self.threshold = float(threshold)
        self._state = np.zeros((2, 1, 128), np.float32)
        self._context = np.zeros((1, self.context_samples), np.float32)
        self._sr = np.array(RATE_HZ, dtype=np.int64)
        self.probs: list[float] = []

    def _decide(self, frames: np.ndarray) -> None:
        run, ctx, state, sr = self.session.run, self._context, self._state, self._sr
        for row in frames:
            x = np.concatenate([ctx, row[None, :]], axis=1)
            p, state = run(None, {"input": x, "state": state, "sr": sr})
            ctx = x[:, -self.context_samples :]
            self.probs.append(float(p[0, 0]))
        self._context, self._state = ctx, state

    def segments(self) -> list[Segment]:
        if len(self._pending):  # silero pads the last partial chunk with zeros
            tail = np.zeros(self.frame_samples, np.float32)
            tail[: len(self._pending)] = self._pending
            self._pending = np.zeros(0, np.float32)
            self._decide(tail[None, :])
            self.n_frames += 1
        spans = silero_timestamps(self.probs, self.n_samples, self.threshold)
        return [Segment(round(a / RATE_HZ, 3), round(b / RATE_HZ, 3), "speech") for a, b in spans]


class WebRtcVad(Peer):
    """webrtcvad on 30 ms frames, py-webrtcvad ``example.py``'s collector (speech only)."""

    labels = ("speech",)
    frame_samples = 480
    padding_frames = 10  # 300 ms ring

    def __init__(self, mode: int = 3):
        super().__init__()
        import webrtcvad

        self.mode = int(mode)
        self.name = f"webrtcvad mode {self.mode}"
        self.vad = webrtcvad.Vad(self.mode)
        self.voiced: list[bool] = []

    def _decide(self, frames: np.ndarray) -> None:
        pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
        is_speech = self.vad.is_speech
        self.voiced.extend(is_speech(row.tobytes(), RATE_HZ) for row in pcm)

    def segments(self) -> list[Segment]:
        frame_s = self.frame_samples / RATE_HZ
        ring: collections.deque = collections.deque(maxlen=self.padding_frames)
        triggered, start, segs = False, 0, []
        for i, v in enumerate(self.voiced):
            ring.append((i, v))
            if not triggered:
                if sum(s for _, s in ring) > 0.9 * ring.maxlen:
                    triggered, start = True, ring[0][0]
                    ring.clear()
            elif sum(not s for _, s in ring) > 0.9 * ring.maxlen:
                segs.append(Segment(round(start * frame_s, 3), round((i + 1) * frame_s, 3), "speech"))
                triggered = False
                ring.clear()
        if triggered:
            segs.append(Segment(round(start * frame_s, 3), round(len(self.voiced) * frame_s, 3), "speech"))
        return segs


class LevelThreshold(Peer):
    """Silence where the 10 ms level stays under ``threshold_dbfs`` for ``min_s`` (silence only)."""

    labels = ("silence",)
    frame_samples = 160

    def __init__(self, threshold_dbfs: float = -50.0, min_s: float = 0.3):
        super().__init__()
        from stream_tagger.level import LevelMeter, power_to_dbfs

        self.threshold_dbfs = float(threshold_dbfs)
        self.min_s = float(min_s)
        self.name = f"level < {self.threshold_dbfs:g} dBFS"
        self._meter = LevelMeter(self.frame_samples)
        self._to_dbfs = power_to_dbfs
        self.levels_dbfs: list[np.ndarray] = []

    def _decide(self, frames: np.ndarray) -> None:
        self.levels_dbfs.append(self._to_dbfs(self._meter.push(frames.reshape(-1))))

    def segments(self) -> list[Segment]:
        level = np.concatenate(self.levels_dbfs) if self.levels_dbfs else np.zeros(0)
        return runs_to_segments(level < self.threshold_dbfs, self.frame_samples / RATE_HZ, "silence", self.min_s, 0.0)


PEERS = {"silero": SileroVad, "webrtc": WebRtcVad, "level": LevelThreshold}
"""Peer name -> class (constructor keyword arguments: see each class)."""


def run_peer(peer: Peer, audio: np.ndarray, block_samples: int = RATE_HZ) -> list[Segment]:
    """Push a whole 16 kHz mono array through ``peer`` in blocks; its segments."""
    for i in range(0, len(audio), block_samples):
        peer.push(audio[i : i + block_samples])
    return peer.segments()


def silero_segments(audio: np.ndarray, threshold: float = 0.5) -> list[Segment]:
    return run_peer(SileroVad(threshold), audio)


def webrtc_segments(audio: np.ndarray, mode: int = 3) -> list[Segment]:
    return run_peer(WebRtcVad(mode), audio)


def level_silence_segments(audio: np.ndarray, threshold_dbfs: float = -50.0, min_s: float = 0.3) -> list[Segment]:
    return run_peer(LevelThreshold(threshold_dbfs, min_s), audio)
