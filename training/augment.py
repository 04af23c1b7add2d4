"""Window sampling and augmentation, done on log-mel features in the mel *power* domain.

Features are ``f = log(mel_power + eps)`` with ``eps = FrontendParams.log_offset``. Every
augmentation here converts to power ``P = max(exp(f) - eps, 0)``, acts there, and converts
back with ``log(P + eps)``, so it matches what the frontend would give for the modified
audio except for phase cross terms between mixed sources (which average out over a mel band):

* gain ``g``:          ``P -> g * P``  (quiet passages are large negative gains);
* mixing ``a + b``:    ``P -> P_a + g * P_b``;
* band-limiting:       bands above a cutoff (3.4-7.5 kHz) are multiplied by a steep roll-off
  (to the floor, as in audio resampled from 8-16 kHz originals); a low cut works the same way;
* fades:               a share of music components fades in or out across the window (a ramp
  of 20-50 dB, linear in dB: the ends of tracks and quiet, sparse passages);
* telephone band:      a share of examples (any labels) is band-passed to a telephone channel,
  a low cut at 250-400 Hz and a steep high cut at 3.1-3.6 kHz;
* 8-bit channels:     a share of examples (any labels) passes an 8-bit channel: G.711 mu-law at
  8 kHz (noise following each frame's power, ``mulaw_snr_db`` under it; band-limited to 4 kHz)
  or plain 8-bit PCM at 8-16 kHz (a fixed floor ``linear8_snr_db`` under the window's level,
  never above a frame's own power: quantisation error is about the size of a signal near one
  step); the noise is white up to the channel's Nyquist frequency, as the codec's error is;
* spectral tilt:       ``P -> P * 10**(tilt_db(band)/10)``, a smooth EQ;
* mel shift:           the whole window moved up or down by a few mel bands (edge bands
  repeated), a rough pitch / formant shift that varies timbre;
* masks (SpecAugment): a band of up to ``mask_bands`` mel bands and a stretch of up to
  ``mask_frames`` frames attenuated by ``mask_db`` (a notch and a drop-out).

Label rule for mixtures: each component's level is its mean power over the window. A
component is labelled present if it is within ``BOTH_WITHIN_DB`` (15 dB) of the loudest
component. Mixtures are drawn with the weaker component 0..15 dB below the stronger
(both labels on), or, for a share of "faint" mixtures, 25..40 dB below (only the
stronger label on); the 15..25 dB gap is never sampled there, so no label is ambiguous.
Speech over a bed: a share (``p_speech_over_bed``) of the other speech + music and speech + noise
mixtures (not the faint ones) puts the bed 5..25 dB below the voice (broadcast speech over a music or noise bed);
speech is on, the bed's label follows the rule above (on within 15 dB of the voice, off below).

The known trap: most speech originals are band-limited (8-11 kHz) while most music and
noise is wideband, so "no highs" would mean "speech". Against it, wideband music/noise
components are band-limited with probability ``p_bandlimit_bg`` and whole mixtures (also
speech-free ones) with ``p_bandlimit_mix``; wideband speech (originals at >= 16 kHz) is
left as it is, so high frequencies are no cue either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stream_tagger.frontend import DEFAULT_PARAMS, FrontendParams

from .features import FeatureStore, mel_power_sum_at_rms1, white_noise_mel_power

LABELS = ("speech", "music", "noise")
BOTH_WITHIN_DB = 15.0
FAINT_DB = (25.0, 40.0)


def to_power(f: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Log-mel -> mel power (float32, >= 0)."""
    return np.maximum(np.exp(f.astype(np.float32)) - np.float32(params.log_offset), 0.0)


def to_log(p: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Mel power -> log-mel, as the frontend computes it."""
    return np.log(p + np.float32(params.log_offset)).astype(np.float32)


def apply_gain_db(f: np.ndarray, gain_db: float, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Log-mel of the audio scaled by ``gain_db`` (power domain: ``P * 10**(gain_db/10)``)."""
    return to_log(to_power(f, params) * np.float32(10 ** (gain_db / 10)), params)


def mix_logmel(fa: np.ndarray, fb: np.ndarray, gain_b_db: float = 0.0,
               params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Log-mel of ``a + g*b`` by power addition ``P_a + g^2 P_b`` (exact but for phase cross terms)."""
    return to_log(to_power(fa, params) + to_power(fb, params) * np.float32(10 ** (gain_b_db / 10)), params)


def level_db(p: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Approximate RMS level in dBFS of power windows ``(..., n_mels, frames)`` (mean over frames)."""
    s = p.sum(axis=-2).mean(axis=-1)
    return 10.0 * np.log10(s / mel_power_sum_at_rms1(params) + 1e-12)


def mel_center_hz(params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Centre frequency (Hz) of each mel band (HTK scale)."""
    m = np.linspace(2595 * np.log10(1 + params.fmin_hz / 700), 2595 * np.log10(1 + params.fmax_hz / 700),
                    params.n_mels + 2)
    return (700.0 * (10 ** (m / 2595.0) - 1))[1:-1]


def bandlimit_gain(cutoff_hz: float, rolloff_db_per_octave: float, params: FrontendParams = DEFAULT_PARAMS,
                   highpass: bool = False) -> np.ndarray:
    """Power gain per mel band (shape ``(n_mels, 1)``) of a low-pass (or high-pass) at ``cutoff_hz``."""
    fc = mel_center_hz(params)
    octaves = np.log2(fc / cutoff_hz) if not highpass else np.log2(cutoff_hz / fc)
    att_db = np.clip(octaves, 0, None) * rolloff_db_per_octave
    return (10.0 ** (-np.minimum(att_db, 150.0) / 10.0)).astype(np.float32)[:, None]


def telephone_gain(lowcut_hz: float, highcut_hz: float, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Power gain per mel band (shape ``(n_mels, 1)``) of a telephone channel: a 24 dB/octave
    low cut at ``lowcut_hz`` and a 200 dB/octave high cut at ``highcut_hz``."""
    return bandlimit_gain(highcut_hz, 200.0, params) * bandlimit_gain(lowcut_hz, 24.0, params, highpass=True)


def band_width_hz(params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Spacing (Hz) of the mel bands' centres ``(n_mels, 1)``: the width each band stands for."""
    return np.gradient(mel_center_hz(params)).astype(np.float32)[:, None]


def power_rms1(p: np.ndarray, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Each frame's signal power ``(frames,)`` in units of a full-band white noise of RMS 1.0,
    from its mel power ``(n_mels, frames)``: bands weighted by the width they stand for (a plain
    sum over bands would count the narrow low bands several times over)."""
    w = band_width_hz(params)
    return (p * w).sum(axis=0) / float((white_noise_mel_power(params)[:, None] * w).sum())


def requantise(p: np.ndarray, kind: str, snr_db: float, nyquist_hz: float,
               params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Power window ``(n_mels, frames)`` as heard through an 8-bit channel sampled at
    ``2 * nyquist_hz`` (Hz): band-limited there, plus quantisation noise, white from 0 Hz up
    to ``nyquist_hz``. ``kind`` ``"mulaw"`` (G.711): each frame's noise ``snr_db`` (dB) under that
    frame's power; ``"linear8"``: a fixed floor ``snr_db`` under the window's mean power, capped
    at each frame's own power (a signal near one step is distorted by about its own size;
    digital silence stays silent). Within 2.5 dB per band (0.2-3.6 kHz) of real 8-bit audio
    (tests/test_augment_rules.py)."""
    cut = bandlimit_gain(nyquist_hz, 200.0, params)  # all ones for a channel as wide as the frontend
    q = p * cut
    frame = power_rms1(q, params)
    if kind == "mulaw":
        noise = frame * np.float32(10 ** (-snr_db / 10))
    elif kind == "linear8":
        noise = np.minimum(frame.mean() * np.float32(10 ** (-snr_db / 10)), frame)
    else:
        raise ValueError(f"unknown 8-bit channel {kind!r}")
    # white noise of unit power in 0..nyquist_hz: the full band's spread, denser by fmax / nyquist
    shape = white_noise_mel_power(params)[:, None] * cut * np.float32(params.fmax_hz / nyquist_hz)
    return (q + shape * noise[None, :]).astype(np.float32)


def fade_gain(frames: int, depth_db: float, fade_out: bool = True) -> np.ndarray:
    """Power gain per frame (shape ``(1, frames)``) of a fade, linear in dB: from 0 dB to
    ``-depth_db`` across the window (``fade_out``), or the other way round."""
    db = np.linspace(0.0, -depth_db, frames)
    return (10.0 ** ((db if fade_out else db[::-1]) / 10.0)).astype(np.float32)[None, :]


def tilt_gain(tilt_db: float, params: FrontendParams = DEFAULT_PARAMS) -> np.ndarray:
    """Power gain per band of a linear spectral tilt: ``-tilt_db/2`` at the lowest band to ``+tilt_db/2`` at the top."""
    x = np.linspace(-0.5, 0.5, params.n_mels)
    return (10.0 ** (tilt_db * x / 10.0)).astype(np.float32)[:, None]


def mel_shift(p: np.ndarray, bands: int) -> np.ndarray:
    """Window ``(n_mels, frames)`` moved up (``bands > 0``) or down by ``bands`` mel bands;
    the bands shifted in repeat the edge band."""
    if bands == 0:
        return p
    idx = np.clip(np.arange(p.shape[0]) - bands, 0, p.shape[0] - 1)
    return p[idx]


def attenuate(p: np.ndarray, db: float, bands: slice = slice(None), frames: slice = slice(None)) -> np.ndarray:
    """Power window ``(n_mels, frames)`` with the cells ``[bands, frames]`` lowered by ``db`` dB (a copy)."""
    out = p.copy()
    out[bands, frames] *= np.float32(10 ** (-db / 10))
    return out


@dataclass
class AugmentConfig:
    """Probabilities and ranges of the batch synthesis (see module docstring)."""

    p_pure: float = 0.50  # share of single-class examples
    mix_weights: tuple = (("speech", "music", 0.38), ("speech", "noise", 0.34), ("music", "noise", 0.20),
                          ("speech", "music+noise", 0.08))
    p_faint: float = 0.2  # share of mixtures whose weaker part is 25..40 dB down (label off)
    p_noise_on_noise: float = 0.2  # pure noise examples made of two noises
    level_dbfs: tuple = (-45.0, -5.0)
    p_quiet: float = 0.12
    quiet_dbfs: tuple = (-62.0, -45.0)
    p_bandlimit_bg: float = 0.45  # wideband music / noise components
    p_bandlimit_speech: float = 0.1
    p_bandlimit_mix: float = 0.15
    cutoff_hz: tuple = (3400.0, 7500.0)
    rolloff_db_per_octave: tuple = (60.0, 200.0)
    p_highpass: float = 0.1
    p_telephone: float = 0.06  # whole examples band-passed to a telephone channel
    telephone_lowcut_hz: tuple = (250.0, 400.0)
    telephone_highcut_hz: tuple = (3100.0, 3600.0)
    p_requantise: float = 0.08  # whole examples through an 8-bit channel (G.711 mu-law or 8-bit PCM)
    mulaw_snr_db: tuple = (34.0, 40.0)  # G.711's noise under each frame (about 38 dB for a voice)
    linear8_snr_db: tuple = (25.0, 45.0)  # 8-bit PCM's floor under the window's level
    linear8_nyquist_hz: tuple = (4000.0, 5512.5, 8000.0)  # 8, 11.025 and 16 kHz originals
    p_fade: float = 0.1  # music components faded in or out across the window
    fade_db: tuple = (20.0, 50.0)  # depth of the fade
    p_speech_over_bed: float = 0.3  # speech + music / noise mixtures with the bed below the voice
    speech_over_bed_db: tuple = (5.0, 25.0)  # how far below the voice the bed is
    highpass_hz: tuple = (100.0, 400.0)
    p_tilt: float = 0.5
    tilt_db: tuple = (-12.0, 12.0)
    class_balance: tuple = (1.0, 1.0, 1.0)  # relative draw weights of speech / music / noise for pure examples
    p_mel_shift: float = 0.5
    mel_shift_bands: int = 3  # shift by 1..this many mel bands, up or down
    p_mask: float = 0.5  # each of the two masks (band, frames) independently
    mask_bands: int = 8
    mask_frames: int = 12
    mask_db: float = 30.0


class WindowSampler:
    """Draws 101-frame windows of one split from a :class:`FeatureStore`.

    Files are drawn per label with weight ``sqrt(n_frames)`` inside a source, sources with
    weight ``sqrt(source frames)``, so neither one long track nor one huge prompt set
    dominates. A crop is retried (up to 4 times) until at least half its frames are active.
    """

    def __init__(self, store: FeatureStore, split: str, params: FrontendParams = DEFAULT_PARAMS):
        self.store = store
        self.params = params
        self.win = params.frames_per_window
        self.by_label: dict[str, dict] = {}
        for lab in LABELS:
            idx = [i for i, e in enumerate(store.files) if e.split == split and e.label == lab
                   and e.n_frames >= self.win]
            if not idx:
                continue
            srcs: dict[str, list[int]] = {}
            for i in idx:
                srcs.setdefault(store.files[i].source or "?", []).append(i)
            names = sorted(srcs)
            src_w = np.array([np.sqrt(sum(store.files[i].n_frames for i in srcs[s])) for s in names])
            files_w = [np.sqrt(np.array([store.files[i].n_frames for i in srcs[s]], float)) for s in names]
            self.by_label[lab] = {
                "sources": names,
                "files": [np.array(srcs[s]) for s in names],
                "src_p": src_w / src_w.sum(),
                "file_p": [w / w.sum() for w in files_w],
            }
        self._act_cs = {}

    def labels_present(self) -> list[str]:
        return [lab for lab in LABELS if lab in self.by_label]

    def _active_cs(self, i: int) -> np.ndarray:
        cs = self._act_cs.get(i)
        if cs is None:
            a = self.store.active_of(i)
            cs = np.concatenate([[0], np.cumsum(a, dtype=np.int32)])
            self._act_cs[i] = cs
        return cs

    def draw_file(self, label: str, rng: np.random.Generator) -> int:
        d = self.by_label[label]
        s = rng.choice(len(d["sources"]), p=d["src_p"])
        return int(rng.choice(d["files"][s], p=d["file_p"][s]))

    def crop(self, i: int, rng: np.random.Generator) -> np.ndarray:
        """A random window of file ``i``: ``(n_mels, frames)`` float32 log-mel, mostly active."""
        n = self.store.files[i].n_frames
        cs = self._active_cs(i)
        best, best_a = 0, -1
        for _ in range(4):
            o = int(rng.integers(0, n - self.win + 1))
            a = cs[o + self.win] - cs[o]
            if a > best_a:
                best, best_a = o, a
            if a >= self.win // 2:
                break
        return self.store.frames(i)[best:best + self.win].T.astype(np.float32)

    def draw(self, label: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        i = self.draw_file(label, rng)
        return self.crop(i, rng), i

    def fixed_windows(self, label: str, hop_frames: int = 50, max_per_file: int = 20,
                      max_total: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic evaluation windows of one label: 0.5 s hop, mostly-active only.

        Returns ``(features (n, n_mels, frames) float16, file index (n,))``; at most
        ``max_per_file`` per file (evenly spread) and ``max_total`` (random subset, seeded).
        """
        if label not in self.by_label:
            return np.zeros((0, self.params.n_mels, self.win), np.float16), np.zeros(0, int)
        cands = []
        for arr in self.by_label[label]["files"]:
            for i in arr:
                n = self.store.files[i].n_frames
                cs = self._active_cs(i)
                starts = [o for o in range(0, n - self.win + 1, hop_frames) if cs[o + self.win] - cs[o] >= self.win // 2]
                if len(starts) > max_per_file:
                    starts = [starts[k] for k in np.linspace(0, len(starts) - 1, max_per_file).round().astype(int)]
                cands += [(int(i), o) for o in starts]
        rng = np.random.default_rng(seed)
        if len(cands) > max_total:
            sel = rng.choice(len(cands), max_total, replace=False)
            cands = [cands[k] for k in sorted(sel)]
        x = np.stack([self.store.frames(i)[o:o + self.win].T for i, o in cands]) if cands else \
            np.zeros((0, self.params.n_mels, self.win), np.float16)
        return x.astype(np.float16), np.array([i for i, _ in cands], int)


class BatchSynth:
    """Builds augmented, multi-label batches ``(x (B, n_mels, frames) float32, y (B, 3) float32)``."""

    def __init__(self, sampler: WindowSampler, cfg: AugmentConfig | None = None,
                 params: FrontendParams = DEFAULT_PARAMS):
        self.s = sampler
        self.cfg = cfg or AugmentConfig()
        self.params = params
        self.labels = sampler.labels_present()
        w = np.array([self.cfg.class_balance[LABELS.index(lab)] for lab in self.labels], float)
        self.pure_p = w / w.sum()
        self.mixes = [(a, b, p) for a, b, p in self.cfg.mix_weights
                      if a in self.labels and all(x in self.labels for x in b.split("+"))]
        mw = np.array([p for _, _, p in self.mixes], float)
        self.mix_p = mw / mw.sum() if len(mw) else mw

    def _component(self, label: str, rng: np.random.Generator) -> np.ndarray:
        """Power window of one class, possibly band-limited (wideband music/noise) and tilted."""
        c = self.cfg
        f, i = self.s.draw(label, rng)
        p = to_power(f, self.params)
        wide = self.s.store.files[i].sample_rate_hz >= 16000
        pb = c.p_bandlimit_speech if label == "speech" else (c.p_bandlimit_bg if wide else 0.0)
        if rng.random() < pb:
            p = p * self._lowpass(rng)
        if label == "music" and rng.random() < c.p_fade:
            p = p * fade_gain(p.shape[1], rng.uniform(*c.fade_db), fade_out=rng.random() < 0.5)
        if label == "noise" and rng.random() < c.p_noise_on_noise:
            f2, _ = self.s.draw("noise", rng)
            p2 = to_power(f2, self.params)
            p = p + p2 * 10 ** ((level_db(p) - level_db(p2) + rng.uniform(-10, 10)) / 10)
        return p

    def _lowpass(self, rng):
        c = self.cfg
        return bandlimit_gain(rng.uniform(*c.cutoff_hz), rng.uniform(*c.rolloff_db_per_octave), self.params)

    def example(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        c = self.cfg
        y = np.zeros(len(LABELS), np.float32)
        if rng.random() < c.p_pure or not self.mixes:
            lab = self.labels[rng.choice(len(self.labels), p=self.pure_p)]
            p = self._component(lab, rng)
            y[LABELS.index(lab)] = 1
        else:
            a, b, _ = self.mixes[rng.choice(len(self.mixes), p=self.mix_p)]
            parts = [a] + b.split("+")
            comps = [self._component(lab, rng) for lab in parts]
            levels = [max(float(level_db(q)), -70.0) for q in comps]
            faint = rng.random() < c.p_faint
            # relative level (dB) of each part w.r.t. the loudest, which gets 0
            rel = [0.0] + [-rng.uniform(0, BOTH_WITHIN_DB) for _ in parts[1:]]
            rng.shuffle(rel)
            if not faint and a == "speech" and len(parts) == 2 and rng.random() < c.p_speech_over_bed:
                rel = [0.0, -rng.uniform(*c.speech_over_bed_db)]                 # the bed below the voice
            if faint:  # one part is far below the loudest: its label is off
                k = int(rng.integers(len(parts)))
                others = [j for j in range(len(parts)) if j != k]
                loud = others[int(rng.integers(len(others)))]
                rel = [-rng.uniform(*FAINT_DB) if j == k else 0.0 if j == loud else -rng.uniform(0, BOTH_WITHIN_DB)
                       for j in range(len(parts))]
            p = np.zeros_like(comps[0])
            for q, lv, r, lab in zip(comps, levels, rel, parts):
                p += q * np.float32(10 ** ((r - lv) / 10))
                if r > -BOTH_WITHIN_DB - 1e-6:
                    y[LABELS.index(lab)] = 1
        if rng.random() < c.p_bandlimit_mix:
            p = p * self._lowpass(rng)
        if rng.random() < c.p_highpass:
            p = p * bandlimit_gain(rng.uniform(*c.highpass_hz), rng.uniform(20, 60), self.params, highpass=True)
        if rng.random() < c.p_telephone:
            p = p * telephone_gain(rng.uniform(*c.telephone_lowcut_hz), rng.uniform(*c.telephone_highcut_hz),
                                   self.params)
        if c.p_requantise > 0 and rng.random() < c.p_requantise:  # (no draw when off: the old recipe's stream)
            if rng.random() < 0.5:
                p = requantise(p, "mulaw", rng.uniform(*c.mulaw_snr_db), 4000.0, self.params)
            else:
                p = requantise(p, "linear8", rng.uniform(*c.linear8_snr_db),
                               float(c.linear8_nyquist_hz[int(rng.integers(len(c.linear8_nyquist_hz)))]), self.params)
        if rng.random() < c.p_tilt:
            p = p * tilt_gain(rng.uniform(*c.tilt_db), self.params)
        if rng.random() < c.p_mel_shift:
            p = mel_shift(p, int(rng.integers(1, c.mel_shift_bands + 1)) * (1 if rng.random() < 0.5 else -1))
        if rng.random() < c.p_mask:
            w = int(rng.integers(1, c.mask_bands + 1))
            p = attenuate(p, c.mask_db, bands=slice(b0 := int(rng.integers(0, p.shape[0] - w + 1)), b0 + w))
        if rng.random() < c.p_mask:
            w = int(rng.integers(1, c.mask_frames + 1))
            p = attenuate(p, c.mask_db, frames=slice(t0 := int(rng.integers(0, p.shape[1] - w + 1)), t0 + w))
        target = rng.uniform(*c.quiet_dbfs) if rng.random() < c.p_quiet else rng.uniform(*c.level_dbfs)
        p = p * np.float32(10 ** ((target - max(float(level_db(p)), -70.0)) / 10))
        return to_log(p, self.params), y

    def batch(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = zip(*(self.example(rng) for _ in range(n)))
        return np.stack(xs), np.stack(ys)
