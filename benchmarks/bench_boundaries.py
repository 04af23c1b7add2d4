"""How much boundary refinement helps: boundary error with and without the level-envelope step.

    python benchmarks/bench_boundaries.py [--data-dir data/corpus] [--files 12] [--model PATH] [--seed 3]
                                          [--speech-over-music]

Builds files with exactly known boundaries from the corpus's *test* split (``manifest.jsonl``
of ``python -m training.corpus build``): random sequences of speech, music and noise clips and
stretches of room-tone silence (-80 dBFS white noise), joined by abrupt cuts. Each clip is
trimmed to its active part (leading/trailing 10 ms blocks more than 35 dB below its loudest
block are cut), so a reference boundary is where the sound really changes; clip levels vary
at random between -30 and -14 dBFS. ``--speech-over-music``: instead, speech clips mixed over a
continuing music bed (music at -26 dBFS, each speech clip 0 to 12 dB above it), so that the
level envelope shows no clear edge where the speech stops.

Every file is tagged twice with the same model: with refinement (boundaries moved to the
strongest level change inside the uncertain region, 10 ms resolution) and without it
(hop-quantised boundaries, ``--no-refine``). Boundary errors use the definition of
``stream-tagger evaluate`` (:func:`stream_tagger.evaluate.boundary_errors`: reference starts
and ends with at least 2 s on both sides, matched to the nearest predicted start/end of the
same label within 1 s). Prints, per label and over all labels: changes, misses, median and
90th percentile error, share within 0.1 / 0.25 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from stream_tagger.audio_io import read_audio  # noqa: E402
from stream_tagger.engine import Tagger  # noqa: E402
from stream_tagger.evaluate import boundary_errors  # noqa: E402
from stream_tagger.events import LABELS, Segment  # noqa: E402
from stream_tagger.sources import FileSource  # noqa: E402

RATE = 16000


def _trim_active(x: np.ndarray, below_db: float = 35.0) -> np.ndarray:
    n = len(x) // 160
    if n < 10:
        return x[:0]
    env = 10 * np.log10(np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1) + 1e-12)
    active = np.flatnonzero(env > env.max() - below_db)
    return x[active[0] * 160 : (active[-1] + 1) * 160]


def _clip(entries, data_dir, rng, min_s, max_s):
    for _ in range(20):
        e = entries[rng.integers(len(entries))]
        try:
            x = read_audio(os.path.join(data_dir, e["path"]), RATE)
        except Exception:
            continue
        x = _trim_active(x)
        if len(x) < min_s * RATE:
            continue
        n = int(rng.uniform(min_s, min(max_s, len(x) / RATE)) * RATE)
        start = int(rng.integers(0, len(x) - n + 1))
        x = _trim_active(x[start : start + n])
        if len(x) < min_s * RATE * 0.8:
            continue
        rms = np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12
        return (x / rms * 10 ** (rng.uniform(-30, -14) / 20)).astype(np.float32)
    return None


def build_file(by_label, data_dir, rng, n_parts: int = 10):
    """One file: ``n_parts`` pieces, no two neighbours of the same label. -> (audio, reference segments)."""
    pieces, ref, t, prev = [], [], 0, None
    for _ in range(n_parts):
        choices = [lab for lab in ("speech", "music", "noise", "silence") if lab != prev]
        lab = choices[rng.integers(len(choices))]
        if lab == "silence":
            x = (rng.standard_normal(int(rng.uniform(2.0, 4.0) * RATE)) * 10 ** (-80 / 20)).astype(np.float32)
        else:
            x = _clip(by_label[lab], data_dir, rng, 2.5, 8.0)
            if x is None:
                continue
        pieces.append(x)
        ref.append(Segment(round(t / RATE, 2), round((t + len(x)) / RATE, 2), lab))
        t += len(x)
        prev = lab
    return np.concatenate(pieces), ref


def build_over_music(by_label, data_dir, rng, n_speech: int = 4):
    """One file of speech over continuing music: a music bed (clips joined end to end) with
    ``n_speech`` speech clips mixed over it, 2-4 s apart, each 0 to 12 dB above the music.
    -> (audio, reference segments: music over the whole file, speech where each clip is)."""
    parts, ref, t = [], [], int(rng.uniform(2.0, 4.0) * RATE)
    for _ in range(n_speech):
        x = _clip(by_label["speech"], data_dir, rng, 2.5, 6.0)
        if x is not None:
            parts.append((t, x))
            t += len(x) + int(rng.uniform(2.0, 4.0) * RATE)
    bed = []
    while sum(len(b) for b in bed) < t:
        x = _clip(by_label["music"], data_dir, rng, 2.5, 8.0)
        if x is None:
            break
        bed.append(x / (np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12) * 10 ** (-26 / 20))
    audio = np.concatenate(bed)[:t].astype(np.float32)
    ref = [Segment(0.0, round(len(audio) / RATE, 2), "music")]
    for start, x in parts:
        gain = 10 ** ((-26 + rng.uniform(0, 12)) / 20) / (np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)
        audio[start : start + len(x)] += (x * gain).astype(np.float32)
        ref.append(Segment(round(start / RATE, 2), round((start + len(x)) / RATE, 2), "speech"))
    return audio, sorted(ref)


def summarise(errors: dict[str, list]) -> dict:
    out = {}
    for lab in list(LABELS) + ["all"]:
        errs = sum(errors.values(), []) if lab == "all" else errors.get(lab, [])
        matched = np.array([e for e in errs if e is not None])
        n = len(errs)
        out[lab] = {
            "changes": n,
            "misses": n - len(matched),
            "median_s": float(np.median(matched)) if len(matched) else None,
            "p90_s": float(np.percentile(matched, 90)) if len(matched) else None,
            "within_0.1": float(np.sum(matched <= 0.1 + 1e-9) / n) if n else None,
            "within_0.25": float(np.sum(matched <= 0.25 + 1e-9) / n) if n else None,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(HERE), "data", "corpus"))
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--model", default=None)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--save-dir", default=None, help="keep the generated files and references here")
    ap.add_argument("--split", default="test", choices=("test", "val"), help="corpus split (tune on val)")
    ap.add_argument("--radius", type=float, default=None, help="refinement radius in s (default: model's)")
    ap.add_argument("--distance-penalty", type=float, default=None, metavar="DB_PER_S",
                    help="network labels: step penalty per second from the hop boundary")
    ap.add_argument("--speech-over-music", action="store_true",
                    help="files of speech clips over a continuing music bed instead of abrupt cuts")
    ap.add_argument("--direction", choices=("any", "signed"), default="any",
                    help="network labels: strongest change either way (default, chosen on val) or a rise "
                         "for starts and a fall for ends")
    args = ap.parse_args()

    manifest = os.path.join(args.data_dir, "manifest.jsonl")
    if not os.path.exists(manifest):
        print(f"{manifest} not found: build the corpus first (python -m training.corpus build)", file=sys.stderr)
        return 1
    entries = [json.loads(ln) for ln in open(manifest, encoding="utf-8") if ln.strip()]
    by_label = {lab: [e for e in entries if e["split"] == args.split and e["label"] == lab]
                for lab in ("speech", "music", "noise")}
    rng = np.random.default_rng(args.seed)
    import soundfile as sf
    import tempfile

    out_dir = args.save_dir or tempfile.mkdtemp(prefix="bench_boundaries_")
    os.makedirs(out_dir, exist_ok=True)
    refined = Tagger(args.model, refine=True, refine_radius_s=args.radius)
    refined.decision.refine_any_direction = args.direction == "any"
    if args.distance_penalty is not None:
        refined.decision.refine_distance_db_per_s = args.distance_penalty
    quantised = Tagger(args.model, refine=False)
    err_r = {lab: [] for lab in LABELS}
    err_q = {lab: [] for lab in LABELS}
    total_s = 0.0
    for i in range(args.files):
        if args.speech_over_music:
            audio, ref = build_over_music(by_label, args.data_dir, rng)
        else:
            audio, ref = build_file(by_label, args.data_dir, rng)
        path = os.path.join(out_dir, f"known_{i:02d}.wav")
        sf.write(path, audio, RATE, subtype="PCM_16")
        with open(os.path.join(out_dir, f"known_{i:02d}.csv"), "w", encoding="utf-8") as f:
            f.write("start,end,label\n" + "".join(f"{s.start_s:.3f},{s.end_s:.3f},{s.label}\n" for s in ref))
        dur = len(audio) / RATE
        total_s += dur
        for tagger, acc in ((refined, err_r), (quantised, err_q)):
            hyp = tagger.segments(FileSource(path))
            for lab, errs in boundary_errors(ref, hyp, dur).items():
                acc[lab].extend(errs)
    kind = "speech over music" if args.speech_over_music else "abrupt cuts"
    print(f"{args.files} files, {total_s:.0f} s, {args.split} split only, {kind}; files in {out_dir}; "
          f"radius {refined.refine_radius_blocks / 100:g} s, direction: {args.direction}")
    sr, sq = summarise(err_r), summarise(err_q)

    def fmt(v, pct=False):
        if v is None:
            return "   -  "
        return f"{100 * v:5.1f}%" if pct else f"{v:6.3f}"

    print(f"{'label':8} {'changes':>7} | {'hop-quantised: miss  median   p90  <=0.1  <=0.25':>50} | "
          f"{'refined: miss  median   p90  <=0.1  <=0.25':>44}")
    for lab in list(LABELS) + ["all"]:
        a, b = sq[lab], sr[lab]
        print(f"{lab:8} {a['changes']:7d} | {a['misses']:19d} {fmt(a['median_s'])} {fmt(a['p90_s'])} "
              f"{fmt(a['within_0.1'], True)} {fmt(a['within_0.25'], True)} | {b['misses']:13d} "
              f"{fmt(b['median_s'])} {fmt(b['p90_s'])} {fmt(b['within_0.1'], True)} {fmt(b['within_0.25'], True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
