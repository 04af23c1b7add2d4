"""Shared-trunk models at runtime: the trunk runs once over a run's frames, windows pool its steps.

A ``trunk`` model (``training/models.py``; exported by ``training/trunk_export.py``) is three
files side by side: ``NAME.tflite`` (the int8 *stream trunk*), ``NAME.head.tflite`` (the
float32 head) and ``NAME.json`` (metadata with a ``trunk`` object giving the geometry below and
``head_sha256``, the head file's SHA-256, checked with ``tflite_sha256`` by
:func:`stream_tagger.model.check_model_file`).

Geometry (metadata ``trunk``, 10 ms frames on the run's frame grid): a *step* ``p`` covers the
frames ``frames_per_step * p ..`` (5 frames, 50 ms); the trunk is invoked on *blocks* of
``frames_per_block`` frames (25: block ``b`` = frames ``25b .. 25b+24`` = steps ``5b .. 5b+4``)
with its state: the last ``state_steps`` (2) time columns at the input of each of its time-3
convolutions, carried from block to block. The window starting at frame ``f0`` (``f0`` a
multiple of ``frames_per_step``) pools the steps ``f0 / 5 + first_step`` .. ``+ steps_per_window
- 1`` (11 steps, whose receptive fields lie inside the window's frames ``f0+3 .. f0+99``): their
global average and global maximum over frequency bands and steps, then the head.

Why results do not depend on chunking: the trunk is always invoked on whole blocks of the
global grid, in order, whatever the chunks the audio came in; each int8 output is integer
arithmetic on its receptive field's int8 inputs, and the states pass between blocks unchanged
(int8 concatenation keeps one scale; a state whose input scale differs from its output's is
requantised, still a fixed function of the frames). So the steps a window pools are the same
integers as when the trunk runs from a zero state over that window's frames alone
(:meth:`TrunkModel.predict`, which the tail window at the end of a run, a window not on the step
grid and the conversion's parity check use): streamed and windowed decisions are identical, and
the head runs one window per invoke so that batching cannot change its float sums.
"""

from __future__ import annotations

import numpy as np

from .errors import ModelError
from .model import TagModel, _show, input_norm

GEOMETRY_KEYS = ("frames_per_step", "frames_per_block", "first_step", "steps_per_window", "state_steps")
STATE_INPUTS = tuple(f"state{k}" for k in range(5))
NEXT_OUTPUTS = tuple(f"next{k}" for k in range(5))


def check_trunk_metadata(meta: dict, frames_per_window: int, where: str) -> dict:
    """The metadata's ``trunk`` geometry as ints; :class:`ModelError` (one line) if malformed or
    if a window's steps do not fit in its frames."""
    g = meta.get("trunk")
    if not isinstance(g, dict):
        raise ModelError(f"{where}: metadata 'trunk' must be an object of {list(GEOMETRY_KEYS)}")
    out = {}
    for k in GEOMETRY_KEYS:
        v = g.get(k)
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
            raise ModelError(f"{where}: metadata trunk '{k}' must be an integer >= 0, not {_show(v)}")
        out[k] = v
    fs, fb = out["frames_per_step"], out["frames_per_block"]
    if fs < 1 or fb < fs or fb % fs or out["steps_per_window"] < 1:
        raise ModelError(f"{where}: metadata 'trunk' geometry {_show(g)} is inconsistent")
    if (out["first_step"] + out["steps_per_window"]) * fs > frames_per_window:
        raise ModelError(f"{where}: metadata 'trunk' steps reach past the window's {frames_per_window} frames")
    return out


class TrunkModel(TagModel):
    """A loaded shared-trunk model: :meth:`predict` on windows (each from a zero state) and
    :meth:`stream` for a run (the trunk once per block, windows pooled from the cached steps).
    Same public face as :class:`~stream_tagger.model.TagModel`. Not thread-safe."""

    def __init__(self, model_path: str, meta: dict, trunk_interp, head_interp, params):  # noqa: PLR0913
        self.path = model_path
        self.metadata = meta
        self.params = params
        self.labels = list(meta["labels"])
        self.thresholds = {k: float(v) for k, v in meta["thresholds"].items()}
        self.silence_dbfs = float(meta.get("silence_dbfs", -50.0))
        self.norm_mean, self.norm_std = input_norm(meta, model_path)
        self.geometry = g = check_trunk_metadata(meta, params.frames_per_window, model_path)
        self.steps_per_block = g["frames_per_block"] // g["frames_per_step"]
        self._interp, self._head = trunk_interp, head_interp
        ins, outs = _named(trunk_interp, model_path, ("frames",) + STATE_INPUTS, ("steps",) + NEXT_OUTPUTS)
        self._in = ins["frames"]
        self._states_in = [ins[n] for n in STATE_INPUTS]
        self._steps = outs["steps"]
        self._next = [outs[n] for n in NEXT_OUTPUTS]
        want = [1, params.n_mels, g["frames_per_block"], 1]
        if [int(v) for v in self._in["shape"]] != want:
            raise ModelError(f"{model_path}: trunk input shape {[int(v) for v in self._in['shape']]} is not {want}")
        shape = [int(v) for v in self._steps["shape"]]
        if len(shape) != 4 or shape[2] != self.steps_per_block:
            raise ModelError(f"{model_path}: trunk output shape {shape} does not give {self.steps_per_block} "
                             f"steps per block")
        for s, n in zip(self._states_in, self._next):
            if list(s["shape"]) != list(n["shape"]) or s["dtype"] != n["dtype"]:
                raise ModelError(f"{model_path}: trunk state {s['name']} does not fit its next state")
        # a state goes back in as it came out when both sides share the quantisation
        self._requant = [tuple(s["quantization"]) != tuple(n["quantization"]) for s, n in zip(self._states_in, self._next)]
        self._head_in = head_interp.get_input_details()[0]
        self._head_out = head_interp.get_output_details()[0]
        n_pooled = 2 * shape[3]
        if [int(v) for v in self._head_in["shape"]] != [1, n_pooled]:
            raise ModelError(f"{model_path}: head input shape {[int(v) for v in self._head_in['shape']]} is not "
                             f"[1, {n_pooled}] (average and maximum of {shape[3]} channels)")
        if int(self._head_out["shape"][-1]) != len(self.labels):
            raise ModelError(f"{model_path}: {int(self._head_out['shape'][-1])} head outputs but "
                             f"{len(self.labels)} labels")
        self._steps_scale, self._steps_zero = (float(v) for v in self._steps["quantization"])
        if self._steps["dtype"] == np.float32:
            self._steps_scale, self._steps_zero = 1.0, 0.0
        self.blocks_per_window = -(-(g["first_step"] + g["steps_per_window"]) // self.steps_per_block)

    # -- the trunk ---------------------------------------------------------------------------
    @property
    def input_quantized(self) -> bool:
        return self._in["dtype"] != np.float32

    def zero_states(self) -> list[np.ndarray]:
        """The trunk's state at the start of a run (its value does not reach a window's steps)."""
        return [np.full(s["shape"], s["quantization"][1] if s["dtype"] != np.float32 else 0, s["dtype"])
                for s in self._states_in]

    def quantize_frames(self, frames: np.ndarray) -> np.ndarray:
        """Log-mel frames ``(n_mels, n)`` as the trunk's input tensor ``(1, n_mels, n, 1)``: the
        normalisation folded into the input quantisation, one rounding (as TagModel does)."""
        x = frames[None, :, :, None]
        if self.input_quantized:
            scale, zero = self._in["quantization"]
            gain = 1.0 / (self.norm_std * scale)
            info = np.iinfo(self._in["dtype"])
            return np.clip(np.round(x * gain + (zero - self.norm_mean * gain)), info.min, info.max).astype(self._in["dtype"])
        return ((x - self.norm_mean) / self.norm_std).astype(np.float32)

    def run_block(self, frames: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """One trunk invoke: ``frames_per_block`` log-mel frames and the states before them ->
        the block's steps ``(bands, steps_per_block, channels)`` as stored (int8) and the next states."""
        it = self._interp
        it.set_tensor(self._in["index"], self.quantize_frames(frames))
        for d, s in zip(self._states_in, states):
            it.set_tensor(d["index"], s)
        it.invoke()
        nxt = []
        for k, d in enumerate(self._next):
            s = it.get_tensor(d["index"])
            if self._requant[k]:
                s = _requantize(s, d, self._states_in[k])
            nxt.append(s)
        return it.get_tensor(self._steps["index"])[0], nxt

    def pool_head(self, steps: np.ndarray) -> np.ndarray:
        """Probabilities ``(n_labels,)`` of one window from its steps ``(bands, steps, channels)``
        as stored: global average and maximum (dequantised), then the head (batch 1)."""
        q = steps.astype(np.float32)
        avg = (q.mean(axis=(0, 1)) - self._steps_zero) * self._steps_scale
        mx = (q.max(axis=(0, 1)) - self._steps_zero) * self._steps_scale
        self._head.set_tensor(self._head_in["index"], np.concatenate([avg, mx])[None].astype(np.float32))
        self._head.invoke()
        y = self._head.get_tensor(self._head_out["index"]).astype(np.float32).reshape(-1)
        if self._head_out["dtype"] != np.float32:
            scale, zero = self._head_out["quantization"]
            y = (y - zero) * scale
        return y

    def window_steps(self, features: np.ndarray) -> np.ndarray:
        """The steps a window pools, the trunk run from a zero state over its frames alone."""
        g, fb = self.geometry, self.geometry["frames_per_block"]
        states = self.zero_states()
        out = []
        for b in range(self.blocks_per_window):
            y, states = self.run_block(features[:, b * fb:(b + 1) * fb], states)
            out.append(y)
        return np.concatenate(out, axis=1)[:, g["first_step"]:g["first_step"] + g["steps_per_window"]]

    def predict(self, features: np.ndarray) -> np.ndarray:
        """As :meth:`TagModel.predict`: probabilities for windows ``(batch, n_mels, frames)`` or
        ``(n_mels, frames)``, each window on its own (the trunk from a zero state)."""
        single = features.ndim == 2
        x = features[None] if single else features
        y = np.stack([self.pool_head(self.window_steps(w)) for w in x]) if len(x) else \
            np.zeros((0, len(self.labels)), np.float32)
        return y[0] if single else y

    def stream(self, front, hop_frames: int) -> "TrunkStream | None":
        """A :class:`TrunkStream` over the frames of ``front`` (a
        :class:`~stream_tagger.frontend.StreamingLogMel` starting with the run) for windows every
        ``hop_frames`` frames; None when the hop is not a whole number of blocks (then each
        window runs the trunk over its own frames, :meth:`predict`: the same results, 4 invokes
        per window)."""
        return TrunkStream(self, front) if hop_frames % self.geometry["frames_per_block"] == 0 else None


class TrunkStream:
    """The trunk over one run: blocks computed in order as their frames arrive, each once, their
    steps kept for the windows that pool them (the newest ``keep_blocks``)."""

    def __init__(self, model: TrunkModel, front, keep_blocks: int = 16):
        self.model, self.front = model, front
        self.states = model.zero_states()
        self.next_block = 0
        self.blocks: dict[int, np.ndarray] = {}
        self.keep_blocks = max(int(keep_blocks), model.blocks_per_window + 1)
        self.blocks_run = 0  # trunk invokes on the stream (each block once)

    def _advance(self, upto_block: int) -> None:
        """Run the trunk over the blocks up to ``upto_block`` (inclusive)."""
        fb = self.model.geometry["frames_per_block"]
        while self.next_block <= upto_block:
            b = self.next_block
            frames = self.front.frames(b * fb, (b + 1) * fb)
            self.blocks[b], self.states = self.model.run_block(frames, self.states)
            self.blocks_run += 1
            self.next_block += 1
            self.blocks.pop(b - self.keep_blocks, None)

    def window_probs(self, start_frames) -> np.ndarray:
        """Probabilities ``(n, n_labels)`` of the windows starting at ``start_frames`` (whose
        frames exist). A window on the block grid pools the cached steps (its last block ends
        on its last frame but one); another one runs the trunk over its own frames."""
        m, g = self.model, self.model.geometry
        out = []
        for f0 in start_frames:
            if f0 % g["frames_per_block"]:
                out.append(m.predict(self.front.frames(f0, f0 + m.params.frames_per_window)))
                continue
            s0 = f0 // g["frames_per_step"] + g["first_step"]
            s1 = s0 + g["steps_per_window"]  # one past the last step
            spb = m.steps_per_block
            b0, b1 = s0 // spb, (s1 - 1) // spb
            self._advance(b1)
            steps = np.concatenate([self.blocks[b] for b in range(b0, b1 + 1)], axis=1)
            out.append(m.pool_head(steps[:, s0 - b0 * spb:s1 - b0 * spb]))
        return np.stack(out) if out else np.zeros((0, len(m.labels)), np.float32)


def _named(interp, where: str, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> tuple[dict, dict]:
    """Input and output details of ``interp``'s default signature by name; ModelError if one lacks."""
    try:
        runner = interp.get_signature_runner()
        ins, outs = runner.get_input_details(), runner.get_output_details()
    except Exception as e:  # noqa: BLE001 - a file without a signature
        raise ModelError(f"{where}: the trunk has no named signature ({str(e).strip().splitlines()[-1:]})") from None
    by_index = {d["index"]: d for d in interp.get_input_details() + interp.get_output_details()}
    missing = [n for n in inputs if n not in ins] + [n for n in outputs if n not in outs]
    if missing:
        raise ModelError(f"{where}: the trunk lacks the tensors {missing}")
    return ({n: by_index.get(ins[n]["index"], ins[n]) for n in inputs},
            {n: by_index.get(outs[n]["index"], outs[n]) for n in outputs})


def _requantize(x: np.ndarray, src: dict, dst: dict) -> np.ndarray:
    (s0, z0), (s1, z1) = src["quantization"], dst["quantization"]
    info = np.iinfo(dst["dtype"])
    v = (x.astype(np.float32) - z0) * s0
    return np.clip(np.round(v / s1 + z1), info.min, info.max).astype(dst["dtype"])
