"""Held-out programmes: broadcast-like audio assembled from recordings no training run used, with
reference labels known to the sample, scored with ``stream-tagger evaluate``.

    python -m training.heldout --programmes 8 [--model ...]     # build, tag and score (see heldout)

A programme (:func:`make_programme`) is a sequence of stretches: speech, music, noise, speech over
music (the music 5 to 25 dB under the voice: labelled music as well within 15 dB of it, speech
only further under, as in training), and silence (room tone at -75 dBFS, below any
silence level). Between two sounding stretches the change is a hard cut or a crossfade of 0.5 to
1.5 s (equal power); a silence starts and ends with a cut. Each stretch is a random excerpt of a
random recording of its pool, brought to a level typical of broadcast audio; recordings are
trimmed of their quiet ends and an excerpt starts and ends on sound (see :data:`QUIET_BELOW_DB`:
a voice line's silent lead-in is not speech, and a reference that called it speech would put the
edge where nothing changes). The reference
changes where the cut is, or at the middle of a crossfade, exactly on a sample; a speech over
music stretch is speech and music (speech only when the bed is more than 15 dB under the voice);
neighbouring stretches of one label are one segment.

:func:`score` tags the programmes with each model through ``stream-tagger evaluate --json``
(frame F1 per label, speech versus non-speech, boundary error by kind of change: silence edges
and class changes) and :func:`table` prints one row per model.

Pools (:func:`pools_from_manifest`): music and noise from the held-out corpus (every file of
its packages); speech from the held-out corpus when it has any, else from the training corpus's
*test split* (recordings, speakers and voices no training run heard, but from the training
packages: the held-out packages hold no speech yet), which the table says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass

import numpy as np

from stream_tagger.audio_io import read_audio
from stream_tagger.events import Segment

RATE_HZ = 16000
STRETCH_S = {"speech": (4.0, 9.0), "music": (4.0, 10.0), "noise": (3.0, 8.0), "speech+music": (4.0, 9.0),
             "silence": (1.0, 3.0)}
"""Length range of each kind of stretch, seconds."""
LEVEL_DBFS = {"speech": (-26.0, -18.0), "music": (-28.0, -16.0), "noise": (-30.0, -18.0)}
"""RMS level range of each kind of sound, dBFS."""
BED_BELOW_DB = (5.0, 10.0, 15.0, 20.0, 25.0)
"""Music under speech: these many dB under the voice."""
BED_LABELLED_WITHIN_DB = 15.0
"""A bed at most this many dB under the voice is labelled music as well as speech; a fainter one
(20 or 25 dB under) is background, speech only: the label rule training follows
(``training.augment.BOTH_WITHIN_DB``)."""
ROOM_TONE_DBFS = -75.0
FRAME = 160
"""Samples in a 10 ms frame at 16 kHz: the unit of the quiet test."""
QUIET_BELOW_DB = 30.0
"""A 10 ms frame more than this many dB under its recording's RMS level is quiet: each recording
is trimmed of quiet frames at both ends (so a short recording looped joins sound to sound), and an
excerpt starts on a sounding frame and ends on one (where the recording has such a place)."""
CROSSFADE_S = (0.5, 1.5)
P_CROSSFADE = 0.5
P_SILENCE = 0.25
"""Share of changes that are crossfades, and of stretches that are followed by a silence."""


@dataclass
class Stretch:
    """One stretch of a programme: its labels, where its reference lies (samples), and the length
    of the crossfade centred on its start (samples; 0 = a cut)."""

    kind: str
    labels: tuple[str, ...]
    start: int
    end: int
    fade_in: int = 0
    bed_below_db: float | None = None  # speech over music: the bed this many dB under the voice


def _rms_dbfs(x: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-20)


def _load(path: str) -> tuple[np.ndarray, np.ndarray]:
    """A recording at 16 kHz, trimmed to whole 10 ms frames from its first sounding frame to its
    last, and its frames' sounding mask (see :data:`QUIET_BELOW_DB`)."""
    x = read_audio(path, RATE_HZ)
    frames = x[:x.shape[0] // FRAME * FRAME].reshape(-1, FRAME).astype(np.float64)
    if frames.shape[0] == 0:
        return x.astype(np.float32), np.ones(0, bool)
    power = np.mean(np.square(frames), axis=1)
    sounding = 10 * np.log10(power + 1e-20) > 10 * np.log10(np.mean(power) + 1e-20) - QUIET_BELOW_DB
    if not sounding.any():
        return x.astype(np.float32), sounding
    first, last = int(np.argmax(sounding)), int(sounding.shape[0] - 1 - np.argmax(sounding[::-1]))
    return x[first * FRAME:(last + 1) * FRAME].astype(np.float32), sounding[first:last + 1]


def _excerpt(pool: list[str], n: int, rng: np.random.Generator, cache: dict) -> np.ndarray:
    """``n`` samples of a random recording of ``pool`` (looped when short), from a random offset
    on a frame boundary at which a sounding frame begins and from which the excerpt's last frame
    sounds too (any offset if the recording has no such place)."""
    path = pool[int(rng.integers(len(pool)))]
    if path not in cache:
        cache[path] = _load(path)
    x, sounding = cache[path]
    if x.shape[0] < n:
        reps = -(-n // max(1, x.shape[0]))
        x, sounding = np.tile(x, reps), np.tile(sounding, reps)
    ok = np.zeros(0, int)
    if sounding.any():  # then x is whole frames, and ``sounding`` has one entry per frame
        starts = np.arange(0, (x.shape[0] - n) // FRAME + 1)
        ok = starts[sounding[starts] & sounding[(starts * FRAME + n - 1) // FRAME]]
    if ok.shape[0]:
        start = int(ok[int(rng.integers(ok.shape[0]))]) * FRAME
    else:
        start = int(rng.integers(0, x.shape[0] - n + 1))
    return x[start:start + n].astype(np.float32)


def _at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x * np.float32(10 ** ((dbfs - _rms_dbfs(x)) / 20))).astype(np.float32)


def _sound(kind: str, n: int, pools: dict, rng: np.random.Generator, cache: dict) -> tuple[np.ndarray, float | None]:
    """``n`` samples of a stretch of ``kind``, and (speech over music) how far the bed lies under
    the voice, dB."""
    if kind == "silence":
        return (rng.standard_normal(n) * 10 ** (ROOM_TONE_DBFS / 20)).astype(np.float32), None
    if kind == "speech+music":
        voice_dbfs = rng.uniform(*LEVEL_DBFS["speech"])
        voice = _at_level(_excerpt(pools["speech"], n, rng, cache), voice_dbfs)
        bed = _excerpt(pools["music"], n, rng, cache)
        below = float(rng.choice(BED_BELOW_DB))
        return voice + _at_level(bed, voice_dbfs - below), below
    return _at_level(_excerpt(pools[kind], n, rng, cache), rng.uniform(*LEVEL_DBFS[kind])), None


def make_programme(pools: dict[str, list[str]], seed: int, length_s: float = 120.0,
                   cache: dict | None = None) -> tuple[np.ndarray, list[Segment], list[Stretch]]:
    """A programme of about ``length_s`` seconds: ``(audio 16 kHz float32, reference segments,
    stretches)`` (see the module doc). The same pools and seed give the same programme."""
    rng = np.random.default_rng(seed)
    cache = {} if cache is None else cache
    kinds = [k for k in ("speech", "music", "noise") if pools.get(k)]
    if "speech" in kinds and "music" in kinds:
        kinds.append("speech+music")
    if not kinds:
        raise ValueError("no recordings to build a programme from")
    # the plan: kinds, reference lengths, and the crossfade (samples, even; 0 = a cut) after each
    plan: list[str] = []
    lengths: list[int] = []
    while sum(lengths) < length_s * RATE_HZ:
        prev = plan[-1] if plan else None
        if prev is not None and prev != "silence" and rng.random() < P_SILENCE:
            kind = "silence"
        else:
            kind = str(rng.choice([k for k in kinds if k != prev] or kinds))
        plan.append(kind)
        lengths.append(int(rng.uniform(*STRETCH_S[kind]) * RATE_HZ))
    fades = [int(rng.uniform(*CROSSFADE_S) * RATE_HZ) // 2 * 2
             if "silence" not in (a, b) and rng.random() < P_CROSSFADE else 0
             for a, b in zip(plan, plan[1:])] + [0]
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(int)  # reference changes (samples)
    audio = np.zeros(int(bounds[-1]), np.float32)
    stretches = []
    for i, kind in enumerate(plan):
        fade_in, fade_out = (fades[i - 1] if i else 0), fades[i]
        a, b = bounds[i] - fade_in // 2, bounds[i + 1] + fade_out // 2  # its audio, crossfades included
        x, below = _sound(kind, b - a, pools, rng, cache)
        if fade_in:
            x[:fade_in] *= np.sin(np.linspace(0, np.pi / 2, fade_in, dtype=np.float32))
        if fade_out:
            x[-fade_out:] *= np.cos(np.linspace(0, np.pi / 2, fade_out, dtype=np.float32))
        audio[a:b] += x
        labels = (kind,)
        if kind == "speech+music":  # the bed is music too only within BED_LABELLED_WITHIN_DB of the voice
            labels = ("speech", "music") if below <= BED_LABELLED_WITHIN_DB else ("speech",)
        stretches.append(Stretch(kind, labels, int(bounds[i]), int(bounds[i + 1]), fade_in, below))
    return audio, reference_segments(stretches), stretches


def reference_segments(stretches: list[Stretch]) -> list[Segment]:
    """Reference segments of ``stretches`` (seconds, exact samples / 16000): each label's runs of
    consecutive stretches that hold it, merged."""
    out: list[Segment] = []
    for lab in ("speech", "music", "noise", "silence"):
        run = None
        for s in stretches:
            if lab in s.labels:
                run = [run[0] if run else s.start, s.end]
            elif run:
                out.append(Segment(run[0] / RATE_HZ, run[1] / RATE_HZ, lab))
                run = None
        if run:
            out.append(Segment(run[0] / RATE_HZ, run[1] / RATE_HZ, lab))
    return sorted(out)


def pools_from_manifest(manifest: str, labels=("speech", "music", "noise"), split: str | None = None,
                        data_dir: str | None = None) -> dict[str, list[str]]:
    """Audio paths per label of a corpus manifest (``split``: only that split's files)."""
    from .features import read_manifest, resolve_path

    pools: dict[str, list[str]] = {lab: [] for lab in labels}
    for e in read_manifest(manifest):
        if e["label"] in pools and (split is None or e.get("split") == split):
            pools[e["label"]].append(resolve_path(e["path"], manifest, data_dir or os.path.dirname(manifest)))
    return pools


def write_programmes(pools: dict[str, list[str]], out_dir: str, count: int, length_s: float = 120.0,
                     seed: int = 18) -> list[tuple[str, str]]:
    """Write ``count`` programmes (``prog_NN.wav``, the reference ``prog_NN.csv`` and how it was
    made, ``prog_NN.stretches.json``: each :class:`Stretch` as an object, samples and dB)
    into ``out_dir``; returns their ``(reference, audio)`` paths."""
    import soundfile as sf

    from stream_tagger.labels import write_segments

    os.makedirs(out_dir, exist_ok=True)
    cache: dict = {}
    pairs = []
    for i in range(count):
        audio, ref, stretches = make_programme(pools, seed * 1000 + i, length_s, cache)
        wav, csv = (os.path.join(out_dir, f"prog_{i:02d}{ext}") for ext in (".wav", ".csv"))
        sf.write(wav, audio, RATE_HZ, subtype="FLOAT")
        with open(csv, "w", encoding="utf-8") as f:
            write_segments(ref, "csv", f, duration_s=audio.shape[0] / RATE_HZ)
        with open(stretches_path(wav), "w", encoding="utf-8") as f:
            json.dump([asdict(t) for t in stretches], f)
        pairs.append((csv, wav))
    return pairs


def stretches_path(wav: str) -> str:
    """Where :func:`write_programmes` keeps how the programme ``wav`` was made."""
    return wav[:-len(".wav")] + ".stretches.json"


CHANGE_MAKINGS = ("cut", "crossfade", "music under a voice")
"""How a class change was made: a hard cut, a crossfade, or a music bed starting or stopping under
a voice that goes on (counted here, not also as a cut or crossfade)."""


def changes_by_making(pairs: list[tuple[str, str]], model: str | None = None) -> dict[str, dict]:
    """Class changes (a sounding label on both sides) of the written programmes ``pairs``, tagged
    in-process with ``model``, by :data:`CHANGE_MAKINGS`: ``{making: {"changes", "within_0.25",
    "misses"}}`` (share found within 0.25 s; misses: nothing within 1 s), the same matching as
    ``stream-tagger evaluate``."""
    from stream_tagger.engine import tag_file
    from stream_tagger.evaluate import boundary_changes, reference_changes
    from stream_tagger.labels import read_segments

    found: dict[str, list] = {m: [] for m in CHANGE_MAKINGS}
    for ref_path, wav in pairs:
        with open(stretches_path(wav), encoding="utf-8") as f:
            stretches = json.load(f)
        starts = np.array([t["start"] for t in stretches])
        ref = read_segments(ref_path)
        duration_s = stretches[-1]["end"] / RATE_HZ
        hyp = tag_file(wav, model)
        for lab, errors in boundary_changes(ref, hyp, duration_s).items():
            for (_, time_s), (err, kind) in zip(reference_changes(ref, lab, duration_s), errors):
                i = int(np.argmin(np.abs(starts - time_s * RATE_HZ)))  # the label file holds milliseconds
                if kind != "class change" or not i or abs(starts[i] - time_s * RATE_HZ) > FRAME:
                    continue
                pair = {stretches[i - 1]["kind"], stretches[i]["kind"]}
                making = ("music under a voice" if lab == "music" and pair == {"speech", "speech+music"}
                          else "crossfade" if stretches[i]["fade_in"] else "cut")
                found[making].append(err)
    return {m: {"changes": len(v), "within_0.25": (sum(1 for e in v if e is not None and e <= 0.25) / len(v))
                if v else None, "misses": sum(1 for e in v if e is None)} for m, v in found.items()}


def score(pairs: list[tuple[str, str]], model: str | None = None, min_silence_s: float | None = None) -> dict:
    """``stream-tagger evaluate --json`` on the ``(reference, audio)`` pairs (pooled) with ``model``."""
    cmd = [sys.executable, "-m", "stream_tagger.cli", "evaluate", "--json"]
    for ref, wav in pairs:
        cmd += ["--reference", ref, "--audio", wav]
    if model:
        cmd += ["--model", model]
    if min_silence_s is not None:
        cmd += ["--min-silence-s", f"{min_silence_s:g}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"evaluate exit {r.returncode}")
    return json.loads(r.stdout)


def table(results: list[tuple[str, dict]]) -> str:
    """One markdown table: a row per ``(name, evaluate report)``."""
    def f(v):
        return "-" if v is None else f"{v:.3f}"

    lines = ["| model | speech P / R / F1 | music F1 | noise F1 | silence F1 | speech vs non-speech F1 "
             "| class changes within 0.25 s | silence edges within 0.1 s |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, rep in results:
        lab, kinds = rep["labels"], rep["boundary"]["by_kind"]
        sp = lab["speech"]
        cc, se = kinds["class change"], kinds["silence edge"]
        lines.append(f"| {name} | {f(sp['precision'])} / {f(sp['recall'])} / **{f(sp['f1'])}** | "
                     f"{f(lab['music']['f1'])} | {f(lab['noise']['f1'])} | {f(lab['silence']['f1'])} | "
                     f"{f(rep['speech_vs_nonspeech']['f1'])} | {f(cc['within_s']['0.25'])} ({cc['changes']}) | "
                     f"{f(se['within_s']['0.1'])} ({se['changes']}) |")
    return "\n".join(lines)


def making_table(results: list[tuple[str, dict]]) -> str:
    """One markdown table of :func:`changes_by_making` results: a row per ``(name, result)``."""
    lines = ["| model | " + " | ".join(f"{m} within 0.25 s (misses / changes)" for m in CHANGE_MAKINGS) + " |",
             "|---|" + "---:|" * len(CHANGE_MAKINGS)]
    for name, res in results:
        cells = []
        for r in (res[m] for m in CHANGE_MAKINGS):
            share = "-" if r["within_0.25"] is None else f"{r['within_0.25']:.3f}"
            cells.append(f"{share} ({r['misses']} / {r['changes']})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

