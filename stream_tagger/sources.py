"""Audio sources: files (paced or as fast as possible), live input devices, standard input.

Every source delivers mono float32 audio *at its own sample rate* into a
:class:`~stream_tagger.ring_buffer.RingBuffer`; the engine's worker thread resamples it to
16 kHz with :class:`StreamingResampler`, whose output depends only on the samples, never on
how they were chunked. So a file gives bit-identical analysis whether read as fast as
possible, replayed paced, or captured.

Source protocol (duck-typed):

* ``open()`` -- validate and prepare; raises :class:`~stream_tagger.errors.TaggerError` with
  a one-line message (missing file, not audio, unknown device, refused rate, ...).
* ``start(ring)`` -- begin delivering into ``ring`` (a producer thread or an audio callback);
  the source closes the ring at the end of its audio (with an error if it failed).
* ``stop()`` -- stop delivering (from any thread); closes the ring.
* ``check()`` -- raise if the source has failed (e.g. the device vanished); called by the worker.
* attributes: ``sample_rate_hz`` (rate of the delivered audio), ``description`` (device name
  or file name), ``live`` (True when overruns drop audio instead of waiting),
  ``duration_s`` (total length if known, else None).
"""

from __future__ import annotations

import os
import struct
import sys
import threading
import time
from fractions import Fraction

import numpy as np
import soundfile as sf

from .audio_io import EXACT_MAX_TERM, check_rate, describe_file, quiet_c_stderr, to_mono
from .errors import AudioFileError, DeviceError, TaggerError

TARGET_RATE_HZ = 16000


# ---------------------------------------------------------------------------------------------
# resampling
# ---------------------------------------------------------------------------------------------
KAISER_BETA = 5.0  # the anti-aliasing filter's Kaiser window, as scipy.signal.resample_poly's
ZERO_CROSSINGS = 10  # the filter's half length in zero crossings of the narrower band
INTERP_PHASES = 512  # awkward ratios: filter phases tabulated per zero crossing (linear interpolation between)


def _lowpass_taps(up: int, down: int) -> tuple[np.ndarray, int]:
    """The anti-aliasing filter ``scipy.signal.resample_poly`` designs (Kaiser beta 5, 10 zero
    crossings each side of the narrower band), scaled by ``up``. Returns (taps, half_length)."""
    max_rate = max(up, down)
    half = ZERO_CROSSINGS * max_rate
    n = np.arange(-half, half + 1, dtype=np.float64)
    fc = 1.0 / max_rate
    h = fc * np.sinc(fc * n) * np.kaiser(2 * half + 1, KAISER_BETA)
    return h / h.sum() * up, half


def _interp_table(rate_in_hz: int, rate_out_hz: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The same filter as :func:`_lowpass_taps` as a function of continuous time, tabulated at
    ``phases`` + 1 fractional positions per input sample (:data:`INTERP_PHASES` per zero
    crossing of the filter). Row ``p`` holds the taps for an output at input position
    ``i + p / phases`` applied to inputs ``i - reach .. i + reach``. Returns (taps
    (phases + 1, 2 * reach + 1) float32, row differences float32, reach in input samples,
    phases): about 20 * INTERP_PHASES values whatever the ratio. Scaled so that a row's taps
    sum to 1 on average (unit gain at DC)."""
    band = min(1.0, rate_out_hz / rate_in_hz)  # narrower band's edge in input Nyquists
    half_s = ZERO_CROSSINGS / band  # filter half length in input samples
    reach = int(np.ceil(half_s))
    phases = int(np.ceil(INTERP_PHASES * band))  # a zero crossing is 1 / band input samples
    tau = np.arange(phases + 1)[:, None] / phases - np.arange(-reach, reach + 1)[None, :]  # output - input position
    v = np.clip(tau / half_s, -1.0, 1.0)
    window = np.i0(KAISER_BETA * np.sqrt(1.0 - v * v)) / np.i0(KAISER_BETA)
    h = np.where(np.abs(tau) <= half_s, band * np.sinc(band * tau) * window, 0.0)
    h /= h[:-1].sum() / phases
    return h.astype(np.float32), np.diff(h, axis=0).astype(np.float32), reach, phases


class StreamingResampler:
    """Polyphase resampling of a mono stream (numpy only), identical whatever the input chunking.

    Output sample ``n`` sits at input position ``n * rate_in / rate_out``; before the stream's
    first sample and after its last (at :meth:`flush`) the input is zeros. Outputs come in fixed
    blocks (about 20 ms) aligned on absolute positions, every block computed with the same
    shapes: hence bit-identical results for any chunking. Two methods, with the same filter
    (Kaiser beta 5, 10 zero crossings each side of the narrower band):

    * exact (``exact``; both terms of the reduced ratio ``up/down`` at most
      :data:`~stream_tagger.audio_io.EXACT_MAX_TERM`: 44.1 kHz is 160/441, 48 kHz 1/3, 8 kHz 2/1):
      ``scipy.signal.resample_poly``'s filter and zero-phase alignment (outputs agree to about
      1e-7). The outputs of one "super-cycle" (``S_out`` outputs from ``S_in`` inputs, the
      pattern of filter phases repeats after it) are split into groups of 16 rows; each group
      is a small dense matrix applied to a strided view of the input, so whole blocks are one
      batched matmul. Its tables and its block grow with the terms (48001 Hz: 16000/48001).
    * interpolated (other ratios): the filter tabulated at :data:`INTERP_PHASES` positions per
      zero crossing (:func:`_interp_table`), linearly interpolated at each output's exact
      fractional position (integer arithmetic, no drift). Memory and time per sample depend on
      ``rate_in / rate_out`` only; outputs agree with ``resample_poly``'s to about 1e-5.

    Latency: one block plus the filter's half length (about 25 ms).
    """

    ROWS = 16

    def __init__(self, rate_in_hz: int, rate_out_hz: int = TARGET_RATE_HZ, block_s: float = 0.02):
        self.rate_in_hz = int(rate_in_hz)
        self.rate_out_hz = int(rate_out_hz)
        ratio = Fraction(self.rate_out_hz, self.rate_in_hz)
        self.up, self.down = up, down = ratio.numerator, ratio.denominator
        self.passthrough = up == 1 and down == 1
        self.exact = max(up, down) <= EXACT_MAX_TERM
        self.samples_in = 0
        self._next_block = 0
        if self.passthrough:
            self.pad = 0
            self.block_in = 1
            return
        if not self.exact:
            self._init_interpolated(block_s)
            return
        h, half = _lowpass_taps(up, down)
        cycles = max(1, -(-self.ROWS // up))  # filter cycles per super-cycle
        self.s_out, self.s_in = cycles * up, cycles * down
        self._groups = []
        for r0 in range(0, self.s_out, self.ROWS):
            rows = np.arange(r0, min(r0 + self.ROWS, self.s_out))
            lo = (int(rows[0]) * down - half + up - 1) // up  # first input index any row needs
            hi = (int(rows[-1]) * down + half) // up  # last one
            w = np.arange(lo, hi + 1)
            m = rows[:, None] * down - w[None, :] * up
            mat = np.where(np.abs(m) <= half, h[np.clip(m + half, 0, 2 * half)], 0.0)
            self._groups.append((int(rows[0]), int(rows[-1]) + 1, lo, hi, np.ascontiguousarray(mat.T, np.float32)))
        self._lo = min(g[2] for g in self._groups)
        self._hi = max(g[3] for g in self._groups)
        self._cycles_per_block = max(1, int(round(block_s * self.rate_out_hz / self.s_out)))
        self.block_in = self._cycles_per_block * self.s_in
        self.block_out = self._cycles_per_block * self.s_out
        self.pad = self._hi  # look-ahead in input samples beyond a block's last super-cycle start
        self._buf = np.zeros(-self._lo, np.float32)  # zeros before the stream's start
        self._buf_start = self._lo  # absolute input position of _buf[0]

    def _init_interpolated(self, block_s: float) -> None:
        self._table, self._slope, self._reach, self._phases = _interp_table(self.rate_in_hz, self.rate_out_hz)
        self._offsets = np.arange(-self._reach, self._reach + 1)
        self.block_out = max(16, int(round(block_s * self.rate_out_hz)))
        self.block_in = -(-self.block_out * self.rate_in_hz // self.rate_out_hz)  # input samples a block spans
        self.pad = self._reach + 1  # look-ahead in input samples beyond a block's last output
        self._buf = np.zeros(self._reach, np.float32)  # zeros before the stream's start
        self._buf_start = -self._reach

    def push(self, x: np.ndarray) -> np.ndarray:
        """Feed input samples; returns the output samples now complete (possibly none)."""
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        self.samples_in += x.shape[0]
        if self.passthrough:
            return x
        if x.shape[0]:
            self._buf = np.concatenate([self._buf, x])
        end_in = self._buf_start + self._buf.shape[0]
        if self.exact:  # block b is ready when input up to (b+1)*block_in - s_in + hi exists
            ready = (end_in - 1 - self._hi + self.s_in) // self.block_in
        else:  # output n is ready when input up to floor(n * rate_in / rate_out) + reach exists
            last = end_in - 1 - self._reach  # the last input position an output may sit at (floored)
            n_ready = ((last + 1) * self.rate_out_hz - 1) // self.rate_in_hz + 1 if last >= 0 else 0
            ready = n_ready // self.block_out
        return self._compute(max(0, ready - self._next_block))

    def flush(self) -> np.ndarray:
        """End of stream: the remaining output (input padded with zeros)."""
        if self.passthrough:
            return np.zeros(0, np.float32)
        total_out = -(-self.samples_in * self.up // self.down)
        n_blocks = max(0, -(-total_out // self.block_out) - self._next_block)
        if self.exact:
            need = (self._next_block + n_blocks) * self.block_in + self._hi + 1
        else:
            end_out = (self._next_block + n_blocks) * self.block_out
            need = end_out * self.rate_in_hz // self.rate_out_hz + self._reach + 1
        end_in = self._buf_start + self._buf.shape[0]
        if need > end_in:
            self._buf = np.concatenate([self._buf, np.zeros(need - end_in, np.float32)])
        out_start = self._next_block * self.block_out
        y = self._compute(n_blocks)
        return y[: max(0, total_out - out_start)]

    def _compute(self, n_blocks: int) -> np.ndarray:
        if n_blocks <= 0:
            return np.zeros(0, np.float32)
        if not self.exact:
            return self._compute_interpolated(n_blocks)
        c, s_in = self._cycles_per_block, self.s_in
        y = np.empty((n_blocks, c, self.s_out), np.float32)
        base = self._next_block * self.block_in - self._buf_start  # buffer index of block start
        st = self._buf.strides[0]
        for r0, r1, lo, hi, mat_t in self._groups:
            view = np.lib.stride_tricks.as_strided(self._buf[base + lo :], shape=(n_blocks, c, hi - lo + 1),
                                                   strides=(self.block_in * st, s_in * st, st), writeable=False)
            y[:, :, r0:r1] = np.matmul(view, mat_t)
        self._next_block += n_blocks
        keep_from = self._next_block * self.block_in + self._lo - self._buf_start
        self._buf = self._buf[keep_from:]
        self._buf_start = self._next_block * self.block_in + self._lo
        return y.reshape(-1)

    def _compute_interpolated(self, n_blocks: int) -> np.ndarray:
        """Blocks one at a time (same shapes every time): output n from the inputs around
        position n * rate_in / rate_out, with taps interpolated between the two nearest phases."""
        b_out, r_in, r_out = self.block_out, self.rate_in_hz, self.rate_out_hz
        y = np.empty((n_blocks, b_out), np.float32)
        for k in range(n_blocks):
            n = (self._next_block + k) * b_out + np.arange(b_out, dtype=np.int64)
            pos, rem = np.divmod(n * r_in, r_out)  # integer input position and remainder (exact)
            phase, frac = np.divmod(rem * self._phases, r_out)
            x = self._buf[(pos - self._buf_start)[:, None] + self._offsets]
            a = (frac / r_out).astype(np.float32)
            y[k] = np.einsum("ij,ij->i", x, self._table[phase]) + a * np.einsum("ij,ij->i", x, self._slope[phase])
        self._next_block += n_blocks
        first = (self._next_block * b_out * r_in) // r_out - self._reach  # the next block's first input
        self._buf = self._buf[first - self._buf_start:]
        self._buf_start = first
        return y.reshape(-1)


def sanitize_block(x: np.ndarray) -> np.ndarray:
    """Non-finite samples (NaN, +-inf) -> 0, the others clipped to [-1, 1] (full scale); float32."""
    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(x, -1.0, 1.0)


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------
class _ReaderThreadSource:
    """Common part of the sources read by a thread of their own (file, stdin): the thread is
    started on :meth:`start` and writes into the ring buffer until the end or :meth:`stop`."""

    _thread_name = "Source"

    def start(self, ring) -> None:
        self._ring = ring
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ring is not None:
            self._ring.close()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait up to ``timeout_s`` seconds for the reader thread to end (after :meth:`stop` or the end)."""
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout_s)

    def check(self) -> None:
        """Nothing to poll: a reader's failures arrive through the ring buffer."""


class FileSource(_ReaderThreadSource):
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
        self._check_format = not self._mpeg or _mp3_has_frame_count(self.path)
        self._mp3_frames_samples = self._check_mp3_frames() if not self._check_format else None
        _check_riff_complete(self.path)
        _check_ogg_complete(self.path)
        self._opened = True

    def _check_mp3_frames(self) -> tuple[int, int]:
        """An MP3 without a frame count: its frame headers tell a cut last frame (an error now),
        and how many samples its frames hold, (samples, samples a frame) to check the decoder's
        length against (libsndfile estimates it from the first frame's bit rate)."""
        try:
            frames, samples, cut = _mp3_walk(self.path)
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

    def _run(self) -> None:
        ring = self._ring
        err: BaseException | None = None
        total = 0
        try:
            rate = self.sample_rate_hz
            block = int(rate * (self.live_block_s * self.speed if self.live else 1.0))
            block = max(256, min(block, rate))
            t0 = time.monotonic()
            with quiet_c_stderr(self._mpeg):
                f = sf.SoundFile(self.path)
            with f:
                while not self._stop.is_set():
                    with self._read_lock:
                        if self._stop.is_set():
                            break
                        try:
                            with quiet_c_stderr(self._mpeg):  # libmpg123 complains on stderr about cut frames
                                data = f.read(block, dtype="float32", always_2d=True)
                        except Exception as e:  # decoding error in the middle of the file
                            raise AudioFileError(f"{self.path}: cannot decode audio after {total / rate:.2f} s "
                                                 f"(truncated or corrupt: {_short(e)})") from None
                    if data.shape[0] == 0:
                        break
                    mono = to_mono(data)
                    total += mono.shape[0]
                    if self.live:
                        due = t0 + total / rate / self.speed
                        delay = due - time.monotonic()
                        if delay > 0 and self._stop.wait(delay):
                            break
                        ring.write(mono)
                    elif not ring.write_blocking(mono):
                        break
            slack = 2 * 1152 if self._mpeg else 0  # an MP3's tagged count may differ by a frame or so
            if not self._stop.is_set() and self._check_format and total < self.frames - slack:
                raise AudioFileError(f"{self.path}: file is truncated (read {total / rate:.2f} s of "
                                     f"{self.frames / rate:.2f} s, {total} of {self.frames} frames)")
            held = self._mp3_frames_samples  # an untagged MP3 that the decoder stopped reading early
            if not self._stop.is_set() and held and total < held[0] - 2 * held[1]:
                raise AudioFileError(f"{self.path}: the decoder read only {total / rate:.2f} s of the "
                                     f"{held[0] / rate:.2f} s its MPEG frames hold (a variable-rate MP3 without a "
                                     "frame-count tag: Xing, Info or VBRI); convert it to WAV or FLAC first")
            if not self._stop.is_set() and total == 0:
                raise AudioFileError(f"{self.path}: contains no audio samples")
        except TaggerError as e:
            err = e
        except Exception as e:
            err = AudioFileError(f"{self.path}: cannot read audio ({_short(e)})")
        finally:
            ring.close(err)


def _unknown_size(n: int) -> bool:
    """True for a WAV data size that is a streaming placeholder, not a length: 0, 0xFFFFFFFF
    (ffmpeg, RF64), or about 2 GiB (arecord writes ~0x7FFFFFFF, sox 0x7FFFF000)."""
    return n == 0 or n >= 0x7FFF0000


def _mp3_first_frame(f) -> int:
    """Byte offset of the first MPEG Layer III frame of the open file ``f`` (after an ID3v2 tag,
    within 4 KiB), -1 if none is found."""
    f.seek(0)
    head = f.read(10)
    pos = 0
    if head[:3] == b"ID3" and len(head) == 10:  # skip an ID3v2 tag (syncsafe size)
        n = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        pos = 10 + n + (10 if head[5] & 0x10 else 0)
    f.seek(pos)
    data = f.read(4096)
    i = data.find(b"\xff")
    while 0 <= i and _mp3_frame_len(data[i:i + 4]) == 0:
        i = data.find(b"\xff", i + 1)
    return -1 if i < 0 else pos + i


def _mp3_has_frame_count(path: str) -> bool:
    """True if the MP3 file's first frame carries a Xing/Info/VBRI tag (an exact frame count)."""
    try:
        with open(path, "rb") as f:
            start = _mp3_first_frame(f)
            if start < 0:
                return False
            f.seek(start + 4)
            frame = f.read(160)
    except OSError:
        return False
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


def _mp3_walk(path: str) -> tuple[int, int, str | None]:
    """Follow an MP3 file's Layer III frame headers from the first frame, each header giving the
    next one's offset: (complete frames, samples a frame, why the file is cut or None). The walk
    ends at the end of the file (a last frame longer than the bytes left: cut) or at the first
    bytes that are no frame header (an ID3v1 or APE tag; junk, after which nothing is judged)."""
    import mmap  # noqa: PLC0415

    with open(path, "rb") as f:
        start = _mp3_first_frame(f)
        if start < 0:
            return 0, 1152, None
        f.seek(start)
        h = f.read(4)
        samples = 1152 if (h[1] >> 3) & 3 == 3 else 576  # MPEG-1 Layer III: 1152, MPEG-2/2.5: 576
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            size = len(m)
            pos, frames, frame_len = start, 0, _mp3_frame_len
            while pos + 4 <= size:
                n = frame_len(m[pos:pos + 4])
                if n == 0:
                    return frames, samples, None
                if pos + n > size:
                    return frames, samples, (f"its last MPEG frame, at byte {pos}, takes {n} bytes, "
                                             f"only {size - pos} are present")
                pos += n
                frames += 1
            if pos < size and m[pos] == 0xFF:
                return frames, samples, f"it ends in an MPEG frame header, at byte {pos}"
    return frames, samples, None


def _check_ogg_complete(path: str) -> None:
    """An Ogg file (Vorbis, Opus, FLAC) is complete when every page it declares is present and
    each logical stream ends with a page flagged end-of-stream (header_type 0x04); a cut file
    ends mid-page or without that page. libsndfile reads a cut file silently to the cut."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(4) != b"OggS":
                return
            ended: dict[bytes, bool] = {}  # stream serial number -> its end-of-stream page was seen
            pos = 0
            while pos < size:
                f.seek(pos)
                hdr = f.read(27)
                if hdr[:4] != b"OggS":
                    if len(hdr) < 27 and b"OggS".startswith(hdr[:4]):
                        raise AudioFileError(f"{path}: file is truncated (it ends in an Ogg page header, "
                                             f"at byte {pos})")
                    pos = _find(f, b"OggS", pos + 1)  # bytes between pages: resynchronise as a decoder does
                    if pos < 0:
                        break
                    continue
                lacing = f.read(hdr[26])
                page = 27 + hdr[26] + sum(lacing)
                if len(lacing) < hdr[26] or pos + page > size:
                    raise AudioFileError(f"{path}: file is truncated (its last Ogg page, at byte {pos}, declares "
                                         f"{page} bytes, only {size - pos} are present)")
                serial = hdr[14:18]
                ended[serial] = ended.get(serial, False) or bool(hdr[5] & 0x04)
                pos += page
    except OSError as e:
        raise AudioFileError(f"{path}: cannot read ({e.strerror or e})") from None
    if not all(ended.values()):
        raise AudioFileError(f"{path}: file is truncated (its Ogg stream ends without an end-of-stream page)")


def _find(f, needle: bytes, pos: int, block: int = 1 << 16) -> int:
    """Offset of the first ``needle`` at or after ``pos`` in the open file ``f``, -1 if none."""
    while True:
        f.seek(pos)
        data = f.read(block + len(needle) - 1)
        i = data.find(needle)
        if i >= 0:
            return pos + i
        if len(data) < block + len(needle) - 1:
            return -1
        pos += block


def _parse_wav_fmt(body: bytes) -> tuple[int, int, int, int, int]:
    """(format tag, channels, rate Hz, block align bytes, bits per sample) of a WAV fmt chunk's
    body (at least 16 bytes); for WAVE_FORMAT_EXTENSIBLE the tag of its sub-format."""
    tag, ch, rate, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == 0xFFFE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]
    return tag, ch, rate, block_align, bits


def _wav_fmt_problem(tag: int, channels: int, block_align: int, bits: int) -> str | None:
    """Why a WAV's samples cannot be read right, or None. PCM holds 1 to 32 bits a sample, each
    in whole bytes (12 bits in 2, left-justified), float 32 or 64, A-law and mu-law 8. A frame
    (``block_align``) must be exactly the channels' samples: libsndfile ignores the field, so a
    header claiming 7 bits in 2-byte frames was read as 8-bit at twice the length. Other
    (compressed) formats are left to the decoder."""
    if tag not in (1, 3, 6, 7) or channels == 0:
        return None
    if tag == 1 and not 1 <= bits <= 32:
        return f"unsupported WAV encoding ({bits}-bit PCM; PCM holds 1 to 32 bits a sample)"
    if tag == 3 and bits not in (32, 64):
        return f"unsupported WAV encoding ({bits}-bit float; float samples are 32 or 64 bits)"
    if tag in (6, 7) and bits != 8:
        return f"unsupported WAV encoding ({bits}-bit {'A-law' if tag == 6 else 'mu-law'}; it is 8 bits a sample)"
    width = (bits + 7) // 8
    if block_align != channels * width:
        return (f"WAV header is inconsistent ({bits}-bit samples take {width} byte{'s' * (width > 1)} each, "
                f"{channels} channel{'s' * (channels > 1)} {channels * width} bytes, but its frames are "
                f"{block_align} bytes)")
    return None


def _check_riff_complete(path: str) -> None:
    """Check a WAV file's header (RIFF, also RF64/BW64) before libsndfile reads it: its fmt
    chunk must describe samples that are read right (:func:`_wav_fmt_problem`), and a data
    chunk declaring more bytes than the file holds means a truncated file (libsndfile would
    silently read what is there). Placeholder sizes (:func:`_unknown_size`) of files saved
    from a stream are not lengths."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
                return
            pos = 12
            while pos + 8 <= size:
                f.seek(pos)
                hdr = f.read(8)
                cid, n = hdr[:4], struct.unpack("<I", hdr[4:])[0]
                if cid == b"fmt " and n >= 16:
                    tag, ch, _, block_align, bits = _parse_wav_fmt(f.read(min(n, 40)))
                    problem = _wav_fmt_problem(tag, ch, block_align, bits)
                    if problem:
                        raise AudioFileError(f"{path}: {problem}")
                if cid == b"data":
                    if head[:4] == b"RIFF" and not _unknown_size(n) and pos + 8 + n > size + 1:
                        raise AudioFileError(f"{path}: file is truncated (its data chunk declares {n} bytes, "
                                             f"only {size - pos - 8} are present)")
                    return
                pos += 8 + n + (n & 1)
    except OSError as e:
        raise AudioFileError(f"{path}: cannot read ({e.strerror or e})") from None


# ---------------------------------------------------------------------------------------------
# standard input (raw PCM or WAV stream)
# ---------------------------------------------------------------------------------------------
RAW_FORMATS = {"s16": "<i2", "s32": "<i4", "f32": "<f4", "f64": "<f8", "u8": "u1", "s24": None}

_MP3_KBPS = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 Layer III
             2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}  # MPEG-2 / 2.5 Layer III


def _mp3_frame_len(h: bytes) -> int:
    """Length in bytes of the MPEG Layer III frame whose 4-byte header is ``h``; 0 if it is not one."""
    if len(h) < 4 or h[0] != 0xFF or h[1] & 0xE6 != 0xE2:  # 11 sync bits, layer bits 01 (III)
        return 0
    ver = (h[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    br, sr, pad = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if ver == 1 or br in (0, 15) or sr == 3:
        return 0
    rate_hz = (44100, 48000, 32000)[sr] >> {3: 0, 2: 1, 0: 2}[ver]
    return (144 if ver == 3 else 72) * _MP3_KBPS[1 if ver == 3 else 2][br] * 1000 // rate_hz + pad


_MAGIC = [(b"fLaC", "FLAC"), (b"OggS", "Ogg (Vorbis/Opus/FLAC)"), (b"ID3", "MP3 (ID3 tag)"),
          (b"RIFX", "big-endian WAV"), (b"riff", "Wave64"), (b"caff", "CAF"), (b".snd", "AU"), (b"wvpk", "WavPack"),
          (b"MAC ", "Monkey's Audio"), (b"#!AMR", "AMR"), (b"MThd", "MIDI"), (b"NIST_1A", "NIST SPHERE"),
          (b"Creative Voice File", "VOC"), (b"TTA1", "TTA"), (b"\x1aE\xdf\xa3", "Matroska/WebM"),
          (b"0&\xb2u\x8ef\xcf\x11", "ASF/WMA")]  # magic bytes at the start -> name of the format
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _sniff(head: bytes, text_check: bool = True) -> str | None:
    """Name of the (non-WAV) container or kind of data ``head`` starts with, None if it may be raw PCM."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] in (b"RIFF", b"RF64", b"BW64"):
        return f"RIFF {head[8:12].decode('latin-1')!r} (not WAVE)"
    if head[:4] == b"FORM":
        return "AIFF" if head[8:12] in (b"AIFF", b"AIFC") else "IFF"
    if head[4:8] == b"ftyp":
        return "MP4/M4A"
    n = _mp3_frame_len(head[:4])  # MPEG frame sync: two frames in a row, or raw audio could match
    if n and _mp3_frame_len(head[n:n + 4]):
        return "MP3"
    if len(head) >= 7 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # AAC in ADTS frames
        n = (head[3] & 3) << 11 | head[4] << 3 | head[5] >> 5
        if n >= 7 and head[n:n + 1] == b"\xff" and len(head) > n + 1 and head[n + 1] & 0xF6 == 0xF0:
            return "AAC (ADTS)"
    # printable and varied (a loud constant or square wave can be printable bytes too)
    printable = len(head) >= 4 and not head.translate(None, _TEXT_BYTES)
    if text_check and printable and len(set(head)) >= min(8, len(head) // 2):
        return "text"
    return None


class StdinSource(_ReaderThreadSource):
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
            raise AudioFileError(f"standard input: read failed ({e.strerror or _short(e)})") from None
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
            kind = _sniff(head, text_check=self.sample_format != "u8")
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
                fmt = _parse_wav_fmt(body)
            elif cid == b"ds64" and rf64 and len(body) >= 16:
                size64 = struct.unpack("<Q", body[8:16])[0]
        if fmt is None:
            raise AudioFileError("standard input: WAV stream has no fmt chunk")
        tag, ch, rate, block_align, bits = fmt
        problem = _wav_fmt_problem(tag, ch, block_align, bits)
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
            self._data_bytes = None if _unknown_size(size) else size

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
            err = AudioFileError(f"standard input: read failed ({_short(e)})")
        finally:
            ring.close(err)


# ---------------------------------------------------------------------------------------------
# live input devices (sounddevice / PortAudio)
# ---------------------------------------------------------------------------------------------
def sounddevice_module():
    """The sounddevice module, or a one-line :class:`DeviceError` if it or PortAudio is missing."""
    try:
        import sounddevice as sd  # noqa: PLC0415
    except OSError:
        raise DeviceError("PortAudio library not found (install libportaudio2)") from None
    except ImportError:
        raise DeviceError("the sounddevice package is not installed (pip install sounddevice)") from None
    return sd


def close_stream(stream) -> None:
    """Stop and close a sounddevice stream, ignoring a device that is already gone."""
    if stream is None:
        return
    try:
        stream.stop()
        stream.close()
    except Exception:
        pass


def list_input_devices() -> list[dict]:
    """Input devices: dicts with index, name, channels, default_rate_hz, hostapi, is_default."""
    sd = sounddevice_module()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except Exception as e:
        raise DeviceError(f"cannot list audio devices ({_short(e)})") from None
    out = []
    for i, d in enumerate(devices):
        if d["max_input_channels"] > 0:
            out.append({
                "index": i,
                "name": d["name"],
                "channels": int(d["max_input_channels"]),
                "default_rate_hz": int(round(d["default_samplerate"])),
                "hostapi": hostapis[d["hostapi"]]["name"],
                "is_default": i == default_in,
            })
    return out


def resolve_input_device(device: int | str | None) -> dict:
    """The input device for an index, a name (exact, case-insensitive), a substring matching one
    device's name only, or None (default)."""
    inputs = list_input_devices()
    if not inputs:
        raise DeviceError("no audio input devices found")
    if device is None or device == "":
        for d in inputs:
            if d["is_default"]:
                return d
        return inputs[0]
    text = str(device).strip()
    if text.lstrip("-").isdigit():
        idx = int(text)
        for d in inputs:
            if d["index"] == idx:
                return d
        raise DeviceError(f"no input device with index {idx} (see: stream-tagger devices)")
    low = text.lower()
    exact = [d for d in inputs if d["name"].lower() == low]
    if exact:
        return exact[0]
    matches = [d for d in inputs if low in d["name"].lower()]
    if not matches:
        raise DeviceError(f"no input device matches '{text}' (see: stream-tagger devices)")
    if len(matches) > 1:
        names = ", ".join(f"{d['index']}: {d['name']}" for d in matches[:6])
        raise DeviceError(f"'{text}' matches {len(matches)} input devices ({names}); give more of the name or "
                          "the index")
    return matches[0]


class MicSource:
    """Live capture from an input device through a sounddevice ``InputStream`` callback.

    ``device``: index, name substring or None (default input). ``rate_hz``: capture rate
    (default: the device's own default rate); the engine resamples it to 16 kHz. The
    callback only copies the block into the ring buffer (dropping the oldest audio if the
    analysis lags) and returns.
    """

    live = True
    duration_s = None

    def __init__(self, device: int | str | None = None, rate_hz: int | None = None, block_s: float = 0.02):
        self.device = device
        self.requested_rate_hz = rate_hz
        self.block_s = block_s
        self.sample_rate_hz = 0
        self.description = "input device"
        self.device_info: dict | None = None
        self._stream = None
        self._ring = None
        self._stopping = False
        self.callbacks = 0  # number of audio callbacks so far
        self.status_flags = 0  # callbacks that reported input overflow or other status
        self.first_callback_time: float | None = None
        self._last_callback_time: float | None = None
        self._started_time: float | None = None
        self._last_check_time: float | None = None  # monotonic s of the previous check()
        self._grace_from: float | None = None  # the stall clock restarts here after our own stall

    def open(self) -> None:
        if self.device_info is not None:
            return
        sd = sounddevice_module()
        info = resolve_input_device(self.device)
        rate = int(self.requested_rate_hz or info["default_rate_hz"])
        check_rate(rate, f"device '{info['name']}'", DeviceError)
        try:
            sd.check_input_settings(device=info["index"], channels=1, samplerate=rate, dtype="float32")
        except Exception as e:
            raise DeviceError(f"device '{info['name']}' refuses {rate} Hz mono capture ({_short(e)})") from None
        self.device_info = info
        self.sample_rate_hz = rate
        self.description = info["name"]

    def _callback(self, indata, frames, time_info, status) -> None:  # audio thread: copy, return
        if status:
            self.status_flags += 1
        self._ring.write(indata[:, 0])
        self.callbacks += 1
        self._last_callback_time = time.monotonic()
        if self.first_callback_time is None:
            self.first_callback_time = self._last_callback_time

    def _finished(self) -> None:
        if not self._stopping and self._ring is not None:
            self._ring.close(DeviceError(f"device '{self.description}' stopped delivering audio (disconnected?)"))

    def start(self, ring) -> None:
        if self.device_info is None:
            self.open()
        sd = sounddevice_module()
        self._ring = ring
        try:
            self._stream = sd.InputStream(
                device=self.device_info["index"], channels=1, samplerate=self.sample_rate_hz, dtype="float32",
                blocksize=max(64, int(self.sample_rate_hz * self.block_s)), callback=self._callback,
                finished_callback=self._finished,
            )
            self._started_time = time.monotonic()
            self._stream.start()
        except Exception as e:
            raise DeviceError(f"cannot open device '{self.description}' at {self.sample_rate_hz} Hz ({_short(e)})") from None

    def check(self, stall_s: float = 5.0) -> None:
        """Raise :class:`DeviceError` if the stream died or delivers nothing for ``stall_s`` seconds.

        Called about every 0.5 s by the engine's worker. When the checks themselves were held up
        for over ``stall_s / 2`` (the process was stopped or starved of CPU), the callbacks were
        held up too and the device is not to blame: it gets ``stall_s`` again from then."""
        if self._stream is None or self._stopping:
            return
        now = time.monotonic()
        if not self._stream.active:
            raise DeviceError(f"device '{self.description}' stopped delivering audio (disconnected?)")
        prev, self._last_check_time = self._last_check_time, now
        if prev is not None and now - prev > stall_s / 2:
            self._grace_from = now
        last = max(self._last_callback_time or self._started_time or now, self._grace_from or 0.0)
        if now - last > stall_s:
            raise DeviceError(f"device '{self.description}' delivered no audio for {now - last:.1f} s (vanished?)")

    def stop(self) -> None:
        self._stopping = True
        s, self._stream = self._stream, None
        close_stream(s)
        if self._ring is not None:
            self._ring.close()


def make_source(spec: str, speed: float | None = None, **stdin_kw) -> FileSource | StdinSource:
    """``-`` -> :class:`StdinSource`, anything else -> :class:`FileSource`."""
    if spec == "-":
        return StdinSource(**stdin_kw)
    return FileSource(spec, speed=speed)


def _short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return msg[-1] if msg else type(e).__name__
