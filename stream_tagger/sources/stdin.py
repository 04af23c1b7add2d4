"""Raw PCM or a WAV stream on standard input (``-``)."""

from __future__ import annotations

import struct
import sys
import threading

import numpy as np

from ..audio_io import check_rate, to_mono
from ..errors import AudioFileError, TaggerError, short_reason
from . import formats
from .reader import ReaderThreadSource

RAW_FORMATS = {"s16": "<i2", "s32": "<i4", "f32": "<f4", "f64": "<f8", "u8": "u1", "s24": None}


class StdinSource(ReaderThreadSource):
    """Raw PCM or a WAV stream on standard input (``-``), e.g. piped from sox, ffmpeg or arecord.

    A WAV header (``RIFF``, also ``RF64``/``BW64``) is recognised and parsed (PCM of 1 to 32 bits
    in 1 to 4 bytes, float 32/64; a header whose frame size does not fit its samples is refused).
    A data size that is a streaming placeholder (0, 0xFFFFFFFF, about 2 GiB as arecord and sox
    write) means: read until end of input; any other size is read exactly, and
    an input ending before it is reported as truncated. Otherwise the input is raw, described by
    ``rate_hz`` (Hz), ``channels`` and ``sample_format`` (s16, s24, s32, f32, u8; little-endian);
    an incomplete last sample frame is ignored. Other containers (FLAC, Ogg, MP3, AIFF, ...) and
    text are refused: their file path must be given instead. Input without a single sample
    frame is an error. Read as fast as it arrives, without drops.
    """

    live = False

    def __init__(self, rate_hz: int = 16000, channels: int = 1, sample_format: str = "s16", stream=None):
        if sample_format not in RAW_FORMATS:
            raise TaggerError(f"unknown raw sample format '{sample_format}' (use one of {', '.join(RAW_FORMATS)})")
        self.sample_rate_hz = int(rate_hz)
        self.channels = int(channels)
        self.sample_format = sample_format
        self._stream = stream
        self.description = "standard input"
        self.duration_s = None
        self._stop = threading.Event()
        self._head = b""
        self._ring = None
        self._thread = None
        self._bytes_per_sample = 2
        self._data_bytes: int | None = None  # WAV data size declared in the header, None if unknown
        self._opened = False

    def _in(self):
        if self._stream is not None:
            return self._stream
        if sys.stdin is None:  # started with file descriptor 0 closed
            raise AudioFileError("standard input is closed")
        return sys.stdin.buffer

    def _read_exact(self, n: int) -> bytes:
        f = self._in()
        out = b""
        try:
            while len(out) < n:
                chunk = f.read(n - len(out))
                if not chunk:
                    break
                out += chunk
        except OSError as e:
            raise AudioFileError(f"standard input: read failed ({e.strerror or short_reason(e)})") from None
        return out

    def open(self) -> None:
        if self._opened:
            return
        self._opened = True
        f = self._in()
        if self._stream is None and f.isatty():
            raise AudioFileError("standard input is a terminal: pipe WAV or raw PCM audio into it, or give a file path")
        head = self._read_exact(12)
        if not head:
            raise AudioFileError("standard input: contains no audio samples")
        if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
            self._parse_wav(rf64=head[:4] != b"RIFF")
            self.description = "standard input (WAV)"
        else:
            if len(head) == 12:  # enough to tell text and containers; more for an MPEG frame sync
                head += self._read_exact(4096 - 12 if head[0] == 0xFF else 64 - 12)
            kind = formats.sniff(head, text_check=self.sample_format != "u8")
            if kind:
                raise AudioFileError(f"standard input: looks like {kind} data, but it takes only WAV or raw PCM "
                                     "(give the file path instead)")
            self._head = head
            self._bytes_per_sample = 3 if self.sample_format == "s24" else np.dtype(RAW_FORMATS[self.sample_format]).itemsize
            self.description = f"standard input (raw {self.sample_format} {self.sample_rate_hz} Hz x{self.channels})"
        if self.sample_rate_hz <= 0 or self.channels <= 0:
            raise AudioFileError("standard input: bad sample rate or channel count")
        check_rate(self.sample_rate_hz, "standard input")

    def _parse_wav(self, rf64: bool = False) -> None:
        fmt = None
        size64 = None
        while True:
            hdr = self._read_exact(8)
            if len(hdr) < 8:
                raise AudioFileError("standard input: WAV stream ends before its data chunk")
            cid, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if cid == b"data":
                break
            body = self._read_exact(size + (size & 1))
            if cid == b"fmt ":
                if len(body) < 16:
                    raise AudioFileError("standard input: WAV fmt chunk too short")
                fmt = formats.parse_wav_fmt(body)
            elif cid == b"ds64" and rf64 and len(body) >= 16:
                size64 = struct.unpack("<Q", body[8:16])[0]
        if fmt is None:
            raise AudioFileError("standard input: WAV stream has no fmt chunk")
        tag, ch, rate, block_align, bits = fmt
        problem = formats.wav_fmt_problem(tag, ch, block_align, bits)
        if problem:
            raise AudioFileError(f"standard input: {problem}")
        width = (bits + 7) // 8  # PCM of 1 to 32 bits in whole bytes, left-justified (12 bits read as 16)
        table = {(1, 1): "u8", (1, 2): "s16", (1, 3): "s24", (1, 4): "s32", (3, 4): "f32", (3, 8): "f64"}
        if (tag, width) not in table:
            raise AudioFileError(f"standard input: unsupported WAV encoding (format {tag}, {bits} bits)")
        self.sample_format = table[(tag, width)]
        self.sample_rate_hz, self.channels = int(rate), int(ch)
        self._bytes_per_sample = width
        if rf64 and size == 0xFFFFFFFF:
            self._data_bytes = size64 if size64 not in (None, 0, 0xFFFFFFFFFFFFFFFF) else None
        else:
            self._data_bytes = None if formats.unknown_size(size) else size

    def _decode(self, raw: bytes) -> np.ndarray:
        if self.sample_format == "s24":
            b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
            v = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16))
            v = np.where(v >= 1 << 23, v - (1 << 24), v)
            x = v.astype(np.float32) / float(1 << 23)
        else:
            dt = np.dtype(RAW_FORMATS[self.sample_format])
            v = np.frombuffer(raw, dt)
            if self.sample_format == "u8":
                x = (v.astype(np.float32) - 128.0) / 128.0
            elif dt.kind == "i":
                x = v.astype(np.float32) / float(2 ** (8 * dt.itemsize - 1))
            else:
                x = v.astype(np.float32)
        return to_mono(x.reshape(-1, self.channels))

    _thread_name = "StdinSource"

    def _run(self) -> None:
        ring = self._ring
        err = None
        frame_bytes = self._bytes_per_sample * self.channels
        pending = self._head
        left = self._data_bytes  # bytes of declared WAV data still to come (None: until end of input)
        got = 0  # bytes taken
        try:
            f = self._in()
            reader = getattr(f, "read1", f.read)
            while not self._stop.is_set():
                chunk = reader(65536) if left is None or got + len(pending) < left else b""
                if not chunk:
                    break
                pending += chunk
                if left is not None:
                    pending = pending[: left - got]  # chunks after the data chunk are not audio
                usable = len(pending) - len(pending) % frame_bytes
                if usable:
                    if not ring.write_blocking(self._decode(pending[:usable])):
                        break
                    got += usable
                    pending = pending[usable:]
            if not self._stop.is_set():
                if left is not None:
                    pending = pending[: left - got]
                usable = len(pending) - len(pending) % frame_bytes
                if usable:
                    ring.write_blocking(self._decode(pending[:usable]))
                    got += usable
                rate_bytes = self.sample_rate_hz * frame_bytes
                if got == 0:
                    raise AudioFileError("standard input: contains no audio samples")
                if left is not None and got + len(pending) < left:
                    raise AudioFileError(f"standard input: WAV stream is truncated (read {got / rate_bytes:.2f} s of "
                                         f"{left / rate_bytes:.2f} s, its data chunk declares {left} bytes)")
        except TaggerError as e:
            err = e
        except Exception as e:
            err = AudioFileError(f"standard input: read failed ({short_reason(e)})")
        finally:
            ring.close(err)


