"""Silence on degraded inputs: ``--silence-mode absolute`` against ``floor`` (issue 20).

    python benchmarks/bench_silence_floor.py [--data-dir data/corpus] [--programmes 10] [--parts 16]
                                             [--split test] [--seed 20] [--model PATH] [--save FILE]

Builds programmes from the corpus's *test* split (``manifest.jsonl`` of ``python -m training.corpus
build``) as :mod:`bench_boundaries` does (speech, music and noise clips at -30 to -14 dBFS, trimmed
to their active part, and gaps of 2-4 s of -80 dBFS room-tone silence, no two neighbours alike),
then copies of them degraded as a real line would:

* ``hiss`` and ``hum`` floors added at a steady level (hiss: noise falling 3 dB per octave above
  100 Hz; hum: 50 Hz mains with its harmonics and a little hiss);
* ``telephone``: 8 kHz, 300-3400 Hz band (4th-order Butterworth), 8-bit mu-law companding, back
  to 16 kHz;
* ``room tone``: a simulated room's background added (noise falling 4.5 dB per octave above 30 Hz,
  a ventilation hum at 100 Hz, level wandering +-1.5 dB over seconds);

plus two quiet cases with no floor beneath them: ``quiet music`` (music clips joined without gaps
into one soft piece, at -40 dBFS) and ``quiet speech`` (speech clips joined, at -42 dBFS, like a
whispered passage), whose references are music / speech throughout. Levels are RMS in dBFS as
:mod:`stream_tagger.level` measures them (a full-scale sine is -3 dBFS).

Every copy is tagged with the shipped model (or ``--model``) as a file, once per silence mode,
and scored against the clean programmes' reference labels with :class:`stream_tagger.evaluate.Scorer`
(10 ms frames, pooled over the programmes): silence F1 (precision / recall), music and noise F1 and
macro F1 (the mean over speech, music, noise and silence),
and for the quiet cases the seconds of music (speech) tagged. The table in the README is this
script's output (``--save``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from bench_boundaries import _clip, build_file  # noqa: E402

from stream_tagger.engine import Tagger  # noqa: E402
from stream_tagger.evaluate import Scorer  # noqa: E402
from stream_tagger.events import Segment  # noqa: E402
from stream_tagger.model import model_identity  # noqa: E402
from stream_tagger.sources import FileSource  # noqa: E402

RATE = 16000
MODES = ("absolute", "floor")


def _scaled(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    return x / (np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12) * 10 ** (level_dbfs / 20)


def _tilted_noise(n: int, rng: np.random.Generator, exponent: float, low_hz: float) -> np.ndarray:
    """Gaussian noise whose power falls as 1/f**exponent above ``low_hz`` (flat below)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    gain = np.maximum(f, low_hz) ** (-exponent / 2.0)
    gain[0] = 0.0
    return np.fft.irfft(spec * gain, n)


def hiss(n: int, rng: np.random.Generator) -> np.ndarray:
    return _tilted_noise(n, rng, 1.0, 100.0)


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    x = sum((1.0 / k) * np.sin(2 * np.pi * 50.0 * k * t + rng.uniform(0, 2 * np.pi)) for k in range(1, 40))
    x = _scaled(x, 0.0)
    return x + 0.1 * _scaled(hiss(n, rng), 0.0)


def room_tone(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    x = _scaled(_tilted_noise(n, rng, 1.5, 30.0), 0.0)
    x += 0.3 * np.sin(2 * np.pi * 100.0 * t) * (1 + 0.2 * np.sin(2 * np.pi * 0.3 * t))
    knots = int(n / RATE / 2) + 2  # level wandering over seconds
    wander_db = 1.5 * np.interp(np.linspace(0, knots - 1, n), np.arange(knots), rng.uniform(-1, 1, knots))
    return x * 10 ** (wander_db / 20)


def mulaw_8bit(y: np.ndarray) -> np.ndarray:
    """Samples (-1..1) through 8-bit mu-law companding (mu = 255, 256 codes) and back."""
    mu = 255.0
    c = np.sign(y) * np.log1p(mu * np.minimum(np.abs(y), 1.0)) / np.log1p(mu)
    c = np.round((c + 1.0) / 2.0 * 255.0) / 255.0 * 2.0 - 1.0  # 256 codes
    return np.sign(c) * np.expm1(np.abs(c) * np.log1p(mu)) / mu


def telephone(x: np.ndarray) -> np.ndarray:
    """8 kHz, 300-3400 Hz, 8-bit mu-law (mu = 255), back to 16 kHz."""
    from scipy.signal import butter, resample_poly, sosfilt

    y = resample_poly(x.astype(np.float64), 1, 2)
    y = sosfilt(butter(4, [300.0, 3400.0], btype="bandpass", fs=8000, output="sos"), y)
    return resample_poly(mulaw_8bit(y), 2, 1)[: x.shape[0]].astype(np.float32)


def add_floor(kind, level_dbfs: float):
    def degrade(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (x + _scaled(kind(x.shape[0], rng), level_dbfs)).astype(np.float32)
    return degrade


COPIES = [  # (name, degrade(audio, rng) or None)
    ("clean", None),
    ("hiss -60 dBFS", add_floor(hiss, -60)),
    ("hiss -50 dBFS", add_floor(hiss, -50)),
    ("hiss -45 dBFS", add_floor(hiss, -45)),
    ("hiss -40 dBFS", add_floor(hiss, -40)),
    ("hum -50 dBFS", add_floor(hum, -50)),
    ("hum -40 dBFS", add_floor(hum, -40)),
    ("telephone band", lambda x, rng: telephone(x)),
    ("room tone -55 dBFS", add_floor(room_tone, -55)),
    ("room tone -48 dBFS", add_floor(room_tone, -48)),
    ("room tone -40 dBFS", add_floor(room_tone, -40)),
]


def quiet_piece(by_label, data_dir, rng, label: str, level_dbfs: float, min_s: float = 60.0):
    """Clips of ``label`` joined end to end (10 ms fades) into one piece of at least ``min_s``,
    scaled to ``level_dbfs`` as a whole. -> (audio, reference: the label throughout)."""
    parts, total = [], 0
    fade = np.linspace(0.0, 1.0, 160, dtype=np.float32)
    for _ in range(200):
        if total >= min_s * RATE:
            break
        x = _clip(by_label[label], data_dir, rng, 4.0, 20.0)
        if x is None:
            continue
        x = x.copy()
        x[:160] *= fade
        x[-160:] *= fade[::-1]
        parts.append(x)
        total += x.shape[0]
    audio = _scaled(np.concatenate(parts), level_dbfs).astype(np.float32)
    return audio, [Segment(0.0, round(audio.shape[0] / RATE, 2), label)]


def tag(tagger: Tagger, path: str) -> list[Segment]:
    return tagger.segments(FileSource(path))


def score(pairs) -> dict:
    sc = Scorer()
    for ref, hyp, dur in pairs:
        sc.add(ref, hyp, dur)
    return sc.report()


def fmt_row(name: str, reports: dict, clean: dict | None) -> str:
    cells = [name]
    for mode in MODES:
        r = reports[mode]
        sil, noise, music = r["labels"]["silence"], r["labels"]["noise"], r["labels"]["music"]
        macro = r["macro"]["f1"]
        delta = "" if clean is None else f" ({macro - clean[mode]['macro']['f1']:+.3f})"
        p, rec = sil["precision"], sil["recall"]
        cells += [f"{macro:.3f}{delta}",
                  f"{sil['f1'] or 0:.3f} ({'-' if p is None else f'{p:.2f}'} / {'-' if rec is None else f'{rec:.2f}'})",
                  f"{music['f1'] or 0:.3f}", f"{noise['f1'] or 0:.3f}"]
    return "| " + " | ".join(cells) + " |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(HERE), "data", "corpus"))
    ap.add_argument("--programmes", type=int, default=10)
    ap.add_argument("--parts", type=int, default=16, help="items per programme (clips and silences)")
    ap.add_argument("--split", default="test", choices=("test", "val"), help="corpus split (tune on val)")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--model", default=None)
    ap.add_argument("--floor-margin-db", type=float, default=None, help="floor mode's margin (default: model's)")
    ap.add_argument("--save", metavar="FILE", help="also write the output to FILE (with the command line)")
    ap.add_argument("--json", metavar="FILE", help="write the full reports as JSON")
    args = ap.parse_args()

    manifest = os.path.join(args.data_dir, "manifest.jsonl")
    if not os.path.exists(manifest):
        print(f"{manifest} not found: build the corpus first (python -m training.corpus build)", file=sys.stderr)
        return 1
    entries = [json.loads(ln) for ln in open(manifest, encoding="utf-8") if ln.strip()]
    by_label = {lab: [e for e in entries if e["split"] == args.split and e["label"] == lab]
                for lab in ("speech", "music", "noise")}
    import soundfile as sf

    t0 = time.monotonic()
    rng = np.random.default_rng(args.seed)
    programmes = [build_file(by_label, args.data_dir, rng, n_parts=args.parts) for _ in range(args.programmes)]
    quiet = {"quiet music -40 dBFS": [quiet_piece(by_label, args.data_dir, rng, "music", -40.0) for _ in range(4)],
             "quiet speech -42 dBFS": [quiet_piece(by_label, args.data_dir, rng, "speech", -42.0) for _ in range(4)]}
    out_dir = tempfile.mkdtemp(prefix="bench_silence_floor_")
    taggers = {mode: Tagger(args.model, silence_mode=mode, floor_margin_db=args.floor_margin_db) for mode in MODES}
    model = taggers["floor"].model
    d = taggers["floor"].decision

    def run(name: str, items) -> dict:
        pairs = {mode: [] for mode in MODES}
        for i, (audio, ref) in enumerate(items):
            path = os.path.join(out_dir, f"{name.replace(' ', '_')}_{i:02d}.wav")
            sf.write(path, audio, RATE, subtype="FLOAT")
            dur = audio.shape[0] / RATE
            for mode in MODES:
                pairs[mode].append((ref, tag(taggers[mode], path), dur))
            os.remove(path)
        return {mode: score(pairs[mode]) for mode in MODES}

    results = {}
    for ci, (name, degrade) in enumerate(COPIES):
        crng = np.random.default_rng(args.seed * 1000 + ci)
        items = [(a if degrade is None else degrade(a, crng), ref) for a, ref in programmes]
        results[name] = run(name, items)
    for name, items in quiet.items():
        results[name] = run(name, items)

    total_s = sum(a.shape[0] for a, _ in programmes) / RATE
    quiet_s = {name: sum(a.shape[0] for a, _ in items) / RATE for name, items in quiet.items()}
    lines = [
        f"{args.programmes} programmes of {args.split}-split clips, {total_s:.0f} s "
        f"({args.parts} items each: speech, music, noise clips and 2-4 s silences); "
        f"model {model_identity(model.path, model.metadata)}",
        f"floor mode: margin {d.floor_margin_db:g} dB over the level the quietest {d.floor_quiet_s:g} s of the last "
        f"{d.floor_window_s:g} s stay at or below, floor at most {d.floor_max_dbfs:g} dBFS; silence level "
        f"{d.silence_dbfs:g} dBFS in both modes",
        "",
        "| copy | absolute: macro F1 | absolute: silence F1 (P / R) | absolute: music F1 | absolute: noise F1 "
        "| floor: macro F1 | floor: silence F1 (P / R) | floor: music F1 | floor: noise F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    clean = results["clean"]
    for name, _ in COPIES:
        lines.append(fmt_row(name, results[name], None if name == "clean" else clean))
    lines += ["", "| quiet case (no floor) | seconds | absolute: tagged as such | absolute: silence s "
              "| floor: tagged as such | floor: silence s |", "|---|---|---|---|---|---|"]
    for name in quiet:
        lab = name.split()[1]
        cells = [name, f"{quiet_s[name]:.0f}"]
        for mode in MODES:
            r = results[name][mode]["labels"]
            cells += [f"{r[lab]['predicted_s']:.1f} s ({100 * (r[lab]['recall'] or 0):.1f} %)",
                      f"{r['silence']['predicted_s']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("(macro F1 in brackets: change from the clean copy in the same mode)")
    text = "\n".join(lines)
    print(text)
    print(f"({time.monotonic() - t0:.0f} s)", file=sys.stderr)
    if args.save:
        import hashlib

        sha1 = hashlib.sha1(open(model.path, "rb").read()).hexdigest()[:8]
        kept, skip = [], False
        for a in sys.argv[1:]:  # the command line without where the output went
            if skip or a.split("=")[0] in ("--save", "--json"):
                skip = "=" not in a and not skip
                continue
            kept.append(a)
        cmd = "python benchmarks/bench_silence_floor.py " + " ".join(kept)
        with open(args.save, "w", encoding="utf-8") as f:
            f.write(f"$ {cmd.strip()}   # shipped model sha1 {sha1}\n{text}\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
