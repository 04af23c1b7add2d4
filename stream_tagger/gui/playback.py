"""``replay FILE --play``: a file source paced by the sound card, so display and sound stay in step.

:class:`PlayingFileSource` follows the engine's source protocol (``open``, ``start(ring)``,
``stop``, ``check``, ``sample_rate_hz``, ``description``, ``live``, ``duration_s``). A reader
thread decodes the file into a short queue of blocks ahead of time; the output device's
callback takes the next block, plays it and writes the same samples into the analysis ring
buffer (non-blocking). The analysis therefore receives each sample when it is played: the
sound card's clock paces the stream, and the window, which follows the stream time, shows what
is heard (plus the analysis latency of one window).
"""

from __future__ import annotations

import collections
import os
import threading

import numpy as np
import soundfile as sf

from ..audio_io import describe_file
from ..errors import AudioFileError, DeviceError, TaggerError
from ..sources import close_stream, sounddevice_module


class PlayingFileSource:
    """Play ``path`` to the default output device while feeding it to the analysis."""

    live = True
    block_s = 0.02
    ahead_s = 1.0  # decoded audio kept ready for the callback

    def __init__(self, path: str, device=None):
        self.path = str(path)
        self.device = device
        self.description = os.path.basename(self.path) + " (playing)"
        self.sample_rate_hz = 0
        self.duration_s: float | None = None
        self.frames = 0
        self.played_samples = 0  # samples handed to the sound card so far
        self.underruns = 0  # callbacks that found no decoded audio ready
        self._blocks: collections.deque = collections.deque()
        self._queued = 0
        self._reader_done = threading.Event()
        self._stop = threading.Event()
        self._ring = None
        self._stream = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._out_channels = 1
        self._pending = np.zeros(0, np.float32)

    def open(self) -> None:
        info = describe_file(self.path)
        if info.frames <= 0 or info.samplerate <= 0:
            raise AudioFileError(f"{self.path}: contains no audio samples")
        self.sample_rate_hz = int(info.samplerate)
        self.frames = int(info.frames)
        self.duration_s = self.frames / self.sample_rate_hz
        sd = sounddevice_module()
        try:
            dev = sd.query_devices(self.device, "output")
        except Exception:
            raise DeviceError("--play: no audio output device found") from None
        self._out_channels = 2 if int(dev["max_output_channels"]) >= 2 else 1
        try:
            sd.check_output_settings(device=self.device, channels=self._out_channels,
                                     samplerate=self.sample_rate_hz, dtype="float32")
        except Exception as e:
            raise DeviceError(f"--play: output device '{dev['name']}' refuses {self.sample_rate_hz} Hz ({e})") from None

    # -- reader thread: decode ahead of the callback --
    def _read(self) -> None:
        rate = self.sample_rate_hz
        block = max(256, int(rate * 0.1))
        try:
            with sf.SoundFile(self.path) as f:
                while not self._stop.is_set():
                    if self._queued > self.ahead_s * rate:
                        self._stop.wait(0.01)
                        continue
                    data = f.read(block, dtype="float32", always_2d=True)
                    if data.shape[0] == 0:
                        break
                    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
                    mono = np.clip(np.nan_to_num(mono), -1.0, 1.0).astype(np.float32)
                    self._blocks.append(mono)
                    self._queued += mono.shape[0]
        except Exception as e:
            self._error = AudioFileError(f"{self.path}: cannot read audio ({e})")
        finally:
            self._reader_done.set()

    # -- audio thread: play and publish, never wait --
    def _callback(self, outdata, frames, time_info, status) -> None:
        out = np.zeros(frames, np.float32)
        n = 0
        pending = self._pending
        while n < frames:
            if pending.shape[0] == 0:
                try:
                    pending = self._blocks.popleft()
                except IndexError:
                    break
            take = min(frames - n, pending.shape[0])
            out[n : n + take] = pending[:take]
            pending = pending[take:]
            n += take
        self._pending = pending
        self._queued -= n
        outdata[:] = out[:, None]
        if n:
            self._ring.write(out[:n])
            self.played_samples += n
        if n < frames:
            if self._reader_done.is_set() and not self._blocks:
                raise sounddevice_module().CallbackStop
            self.underruns += 1

    def _finished(self) -> None:
        if self._ring is not None:
            self._ring.close(self._error)

    def start(self, ring) -> None:
        if not self.sample_rate_hz:
            self.open()
        self._ring = ring
        self._thread = threading.Thread(target=self._read, name="PlayingFileSource", daemon=True)
        self._thread.start()
        # let the reader get ahead before the sound card starts asking
        for _ in range(200):
            if self._queued >= min(self.frames, int(0.2 * self.sample_rate_hz)) or self._reader_done.is_set():
                break
            self._stop.wait(0.005)
        sd = sounddevice_module()
        try:
            self._stream = sd.OutputStream(
                device=self.device, channels=self._out_channels, samplerate=self.sample_rate_hz, dtype="float32",
                blocksize=int(self.sample_rate_hz * self.block_s), callback=self._callback,
                finished_callback=self._finished,
            )
            self._stream.start()
        except Exception as e:
            self._stop.set()
            raise DeviceError(f"--play: cannot open the output device ({e})") from None

    def stop(self) -> None:
        self._stop.set()
        s, self._stream = self._stream, None
        close_stream(s)
        if self._ring is not None:
            self._ring.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def check(self) -> None:
        if self._error is not None and isinstance(self._error, TaggerError):
            raise self._error
