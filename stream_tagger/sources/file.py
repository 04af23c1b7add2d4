"""A file read through soundfile (WAV, FLAC, OGG, MP3, ...), as fast as possible or paced."""

from __future__ import annotations

import os
import threading
import time

import soundfile as sf

from ..audio_io import check_rate, describe_file, quiet_c_stderr, to_mono
from ..errors import AudioFileError, TaggerError, short_reason
from . import formats
from .reader import ReaderThreadSource


class FileSource(ReaderThreadSource):
    """An audio file read through soundfile (WAV, FLAC, OGG, MP3, ...), any rate and channels.

    ``speed=None`` (or 0): as fast as the analysis takes it (no drops, back-pressure).
    ``speed=1.0``: paced like live audio (``2.0`` twice as fast, ...); a lagging analysis
    then drops audio like a live source would.
    """

    live_block_s = 0.02

    def __init__(self, path: str, speed: float | None = None):
        self.path = str(path)
        self.speed = float(speed) if speed else None
        self.live = self.speed is not None
        self.description = os.path.basename(self.path)
        self.sample_rate_hz = 0
        self.channels = 0
        self.duration_s: float | None = None
        self.frames = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._read_lock = threading.Lock()  # held around each (possibly stderr-silenced) decoder call
        self._ring = None
        self._opened = False

    def open(self) -> None:
        if self._opened:
            return
        info = describe_file(self.path)
        if info.frames <= 0 or info.samplerate <= 0:
            raise AudioFileError(f"{self.path}: contains no audio samples")
        check_rate(info.samplerate, self.path)
        self.sample_rate_hz = int(info.samplerate)
        self.channels = int(info.channels)
        self.frames = int(info.frames)
        self.duration_s = self.frames / self.sample_rate_hz
        self._mpeg = (info.format or "").upper() in ("MPEG", "MP3")
        # an MP3's frame count is exact only with a Xing/Info/VBRI tag, else estimated from its size
        self._check_format = not self._mpeg or formats.mp3_has_frame_count(self.path)
        self._mp3_frames_samples = self._check_mp3_frames() if not self._check_format else None
        formats.check_riff_complete(self.path)
        formats.check_ogg_complete(self.path)
        self._opened = True

    def _check_mp3_frames(self) -> tuple[int, int]:
        """An MP3 without a frame count: its frame headers tell a cut last frame (an error now),
        and how many samples its frames hold, (samples, samples a frame) to check the decoder's
        length against (libsndfile estimates it from the first frame's bit rate)."""
        try:
            frames, samples, cut = formats.mp3_walk(self.path)
        except OSError as e:
            raise AudioFileError(f"{self.path}: cannot read ({e.strerror or e})") from None
        if cut:
            raise AudioFileError(f"{self.path}: file is truncated ({cut})")
        return frames * samples, samples

    _thread_name = "FileSource"

    def start(self, ring) -> None:
        if not self._opened:
            self.open()
        super().start(ring)

    def stop(self) -> None:
        self._stop.set()
        with self._read_lock:  # a decoder call in flight ends (and fd 2 is back) before we return
            pass
        super().stop()

    def _open_soundfile(self):
        """The decoder (a ``soundfile.SoundFile``); a subclass may open something other than a path."""
        with quiet_c_stderr(self._mpeg):
            return sf.SoundFile(self.path)

    def blocks(self, block_frames: int | None = None, stop=None, start_frame: int = 0, end_frame: int | None = None):
        """Mono float32 blocks of the whole file, at its own rate (``block_frames`` frames each, the
        last one shorter; default one second), read in the calling thread; raises
        :class:`AudioFileError` for a file that turns out truncated or corrupt (after the blocks
        read so far). ``stop``: a :class:`threading.Event` that ends the reading early.
        ``start_frame`` .. ``end_frame``: only these frames (a piece of a long file; a seek, exact
        in WAV and FLAC), checked to be all there."""
        if not self._opened:
            self.open()
        rate = self.sample_rate_hz
        block = int(block_frames or rate)
        total = 0
        piece = start_frame > 0 or end_frame is not None
        f = self._open_soundfile()
        with f:
            if start_frame > 0:
                f.seek(int(start_frame))
            while stop is None or not stop.is_set():
                want = block if end_frame is None else min(block, int(end_frame) - int(start_frame) - total)
                if want <= 0:
                    break
                with self._read_lock:
                    if stop is not None and stop.is_set():
                        break
                    try:
                        with quiet_c_stderr(self._mpeg):  # libmpg123 complains on stderr about cut frames
                            data = f.read(want, dtype="float32", always_2d=True)
                    except Exception as e:  # decoding error in the middle of the file
                        raise AudioFileError(f"{self.path}: cannot decode audio after {total / rate:.2f} s "
                                             f"(truncated or corrupt: {short_reason(e)})") from None
                if data.shape[0] == 0:
                    break
                mono = to_mono(data)
                total += mono.shape[0]
                yield mono
        if stop is not None and stop.is_set():
            return
        if piece:
            expected = (self.frames if end_frame is None else int(end_frame)) - int(start_frame)
            if total < expected:
                raise AudioFileError(f"{self.path}: file is truncated (read {total} of the {expected} frames "
                                     f"from frame {start_frame})")
            return
        slack = 2 * 1152 if self._mpeg else 0  # an MP3's tagged count may differ by a frame or so
        if self._check_format and total < self.frames - slack:
            raise AudioFileError(f"{self.path}: file is truncated (read {total / rate:.2f} s of "
                                 f"{self.frames / rate:.2f} s, {total} of {self.frames} frames)")
        held = self._mp3_frames_samples  # an untagged MP3 that the decoder stopped reading early
        if held and total < held[0] - 2 * held[1]:
            raise AudioFileError(f"{self.path}: the decoder read only {total / rate:.2f} s of the "
                                 f"{held[0] / rate:.2f} s its MPEG frames hold (a variable-rate MP3 without a "
                                 "frame-count tag: Xing, Info or VBRI); convert it to WAV or FLAC first")
        if total == 0:
            raise AudioFileError(f"{self.path}: contains no audio samples")

    def _run(self) -> None:
        ring = self._ring
        err: BaseException | None = None
        try:
            rate = self.sample_rate_hz
            block = int(rate * (self.live_block_s * self.speed if self.live else 1.0))
            block = max(256, min(block, rate))
            t0 = time.monotonic()
            total = 0
            for mono in self.blocks(block, stop=self._stop):
                total += mono.shape[0]
                if self.live:
                    due = t0 + total / rate / self.speed
                    delay = due - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        break
                    ring.write(mono)
                elif not ring.write_blocking(mono):
                    break
        except TaggerError as e:
            err = e
        except Exception as e:
            err = AudioFileError(f"{self.path}: cannot read audio ({short_reason(e)})")
        finally:
            ring.close(err)
