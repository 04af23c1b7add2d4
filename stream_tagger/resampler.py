"""Streaming resampling of a mono stream to the engine's 16 kHz, and the per-block clean-up of
samples (non-finite -> 0, clip to full scale), shared by every source's path into the engine."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .audio_io import EXACT_MAX_TERM

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

