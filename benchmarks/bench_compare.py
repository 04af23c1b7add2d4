"""Side by side: this project's engine against the tools a user would pick instead.

    python benchmarks/bench_compare.py [--minutes 15] [--seed 11] [--no-long] [--tools ...]
                                       [--compact-model PATH] [--seed-model PATH] [--trunk-model PATH]
                                       [--out-dir DIR]
                                       [--update-readme]

Tools (``--tools``, default all): ``engine:compact`` (``assets/model.tflite``), ``engine:seed``
(``assets/model_seed.tflite``, else ``runs/seed/model.tflite``), ``silero`` (silero-vad's ONNX
model, onnxruntime), ``webrtc:3`` and ``webrtc:1`` (webrtcvad, aggressiveness 3 and 1),
``level:-50`` (plain level threshold for silence, dBFS); see ``benchmarks/peers.py`` for how each
peer is run. A missing model prints ``n/a``. Not among the defaults: ``engine:trunk``, the
shared-trunk network (``--trunk-model``, default ``runs/trunk/model.tflite``).

Audio: the shipped example (``assets/example.ogg`` + ``assets/example.csv``) and a long
concatenation of corpus *test-split* recordings (default 15 min) built deterministically from
``data/corpus/manifest.jsonl`` by :func:`build_long` and cached under ``data/bench/``; without a
corpus only the example runs.

Measurement: each tool runs on each file in its own fresh interpreter (this script with
``--child``), one thread everywhere (TFLite threads=1, onnxruntime intra/inter-op 1,
``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``=1). Every tool reads the file itself in 1 s blocks
through soundfile, so decoding is *included* for all (the long file is 16 kHz PCM WAV, the example
16 kHz Ogg Vorbis); so is each tool's own front end.

* ``x real time``: audio seconds / wall seconds of a whole pass over the file, after a first
  (cold) pass; repeated passes while under 3 s in total, pooled.
* ``peak RSS``: the child's ``VmHWM`` at its end (imports, model, both passes).
* ``first output``: from just before the child process is started to the first decision: the
  engine's first ``Hop`` from ``Tagger.stream`` on a file source (it needs one 1 s window);
  a peer's first frame decision (silero 32 ms, webrtcvad 30 ms, level 10 ms frames). Includes
  interpreter start, imports and model loading.
* Scores: :func:`stream_tagger.evaluate.evaluate_pairs` for every tool (10 ms frames). Speech F1
  = speech-versus-non-speech F1; the engine also gets music, noise, silence and macro F1, the level
  threshold silence F1. ``-`` = the tool has no such label.

Prints a markdown report and writes it to ``OUT_DIR/compare.md`` and ``compare.json``
(default ``benchmarks/results``). Figures are only comparable on an idle machine: the report
says whether it was (before the run: 1-minute load < 0.5, no ``python -m training`` running;
during it: other processes used under 0.25 cores on average, from /proc/stat minus this run's own
CPU time).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (ROOT, HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from compare_table import fmt, peer_wins, row_for, table  # noqa: E402

RATE_HZ = 16000
DEFAULT_TOOLS = ("engine:compact", "engine:seed", "silero", "webrtc:3", "webrtc:1", "level:-50")
MIN_TIMED_S = 3.0
MAX_PASSES = 5


# ------------------------------------------------------------------------------------ child


def _read_blocks(path: str):
    """16 kHz mono float32 blocks of about 1 s from ``path`` (decoded and resampled here)."""
    import numpy as np
    import soundfile as sf

    from stream_tagger.resampler import StreamingResampler

    with sf.SoundFile(path) as f:
        rate = int(f.samplerate)
        resampler = StreamingResampler(rate) if rate != RATE_HZ else None
        while True:
            data = f.read(rate, dtype="float32", always_2d=True)
            if data.shape[0] == 0:
                break
            mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
            yield resampler.push(mono) if resampler else mono
        if resampler:
            yield resampler.flush()


def _child_peer(spec: str, path: str) -> dict:
    from peers import LevelThreshold, SileroVad, WebRtcVad

    name, _, arg = spec.partition(":")

    def make():
        if name == "silero":
            return SileroVad()
        if name == "webrtc":
            return WebRtcVad(int(arg or 3))
        if name == "level":
            return LevelThreshold(float(arg or -50))
        raise SystemExit(f"unknown tool {spec}")

    def one_pass(peer):
        for block in _read_blocks(path):
            peer.push(block)
        return peer.segments()

    peer = make()
    t = time.perf_counter()
    segs = one_pass(peer)
    cold_s = time.perf_counter() - t
    first_t = peer.first_decision_t
    warm = []
    while sum(warm) < MIN_TIMED_S and len(warm) < MAX_PASSES:
        peer = make()
        t = time.perf_counter()
        one_pass(peer)
        warm.append(time.perf_counter() - t)
    return {"tool_name": peer.name, "labels": list(peer.labels), "segments": segs, "first_output_t": first_t,
            "cold_pass_s": cold_s, "warm_passes_s": warm, "audio_s": peer.n_samples / RATE_HZ}


def _child_engine(path: str, model: str, hop_s: float) -> dict:
    from stream_tagger.engine import Tagger
    from stream_tagger.events import LABELS, Hop, Segment
    from stream_tagger.sources import FileSource

    tagger = Tagger(model, hop_s=hop_s, threads=1, defer_load=True)  # as the CLI: load overlaps reading
    segs, first_t = [], None
    t = time.perf_counter()
    for ev in tagger.stream(FileSource(path)):
        if isinstance(ev, Hop):
            if first_t is None:
                first_t = time.monotonic()
        elif isinstance(ev, Segment):
            segs.append(ev)
    cold_s = time.perf_counter() - t
    warm = []
    while sum(warm) < MIN_TIMED_S and len(warm) < MAX_PASSES:
        t = time.perf_counter()
        tagger.segments(FileSource(path))
        warm.append(time.perf_counter() - t)
    return {"tool_name": "engine", "labels": list(LABELS), "segments": segs, "first_output_t": first_t,
            "cold_pass_s": cold_s, "warm_passes_s": warm}


def child_main(spec: str, path: str, model: str | None, hop_s: float) -> int:
    if spec.startswith("engine"):
        out = _child_engine(path, model, hop_s)
    else:
        out = _child_peer(spec, path)
    from common import peak_rss_mb

    out["segments"] = [[s.start_s, s.end_s, s.label] for s in out["segments"]]
    out["peak_rss_mb"] = peak_rss_mb()
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


# ------------------------------------------------------------------------------------ long file


def build_long(data_dir: str, minutes: float, seed: int) -> tuple:
    """A long file from the corpus test split: rounds of speech, music, noise (and, every other
    round, speech over music 10 dB down) in shuffled order, 1.5-3 s of room tone (-80 dBFS white
    noise) between stretches. Each stretch joins test-split files of one label (the active part
    of each, normalised to -23 dBFS, by ``training.make_example``'s ``_pick``), then takes a gain
    of -8..+4 dB. Returns ``(audio, reference segments, source files used)``."""
    import numpy as np

    from stream_tagger.events import Segment
    from training import make_example as mk

    mk.DATA_DIR = data_dir  # _pick reads files relative to this
    rng = np.random.default_rng(seed)
    entries = mk._load_manifest(data_dir)
    used: dict[str, dict] = {}
    per_label: dict[str, dict] = {"speech": {}, "music": {}, "noise": {}}

    def pick(label, total_s):
        kw = dict(exclude_generated=label != "noise")  # test-split noise is mostly short: take generated too
        mins = {"speech": 1.0, "music": 10.0, "noise": 0.5}[label]
        try:
            x = mk._pick(entries, label, mins, 30.0, total_s, rng, per_label[label], **kw)
        except SystemExit:  # this label's test files are used up: allow them again (other stretches)
            per_label[label].clear()
            x = mk._pick(entries, label, mins, 30.0, total_s, rng, per_label[label], **kw)
        used.update(per_label[label])
        return x * np.float32(10 ** (rng.uniform(-8.0, 4.0) / 20))

    pieces, segs, t = [], [], 0

    def room_tone():
        nonlocal t
        n = int(rng.uniform(1.5, 3.0) * 100) * 160  # on the 10 ms grid
        pieces.append((10 ** (-80 / 20) * rng.standard_normal(n)).astype(np.float32))
        segs.append(Segment(round(t / RATE_HZ, 3), round((t + n) / RATE_HZ, 3), "silence"))
        t += n

    room_tone()
    k = 0
    while t < minutes * 60 * RATE_HZ:
        kinds = ["speech", "music", "noise"] + (["mix"] if k % 2 else [])
        for kind in rng.permutation(kinds):
            if kind == "mix":
                music = pick("music", 12.0) * np.float32(10 ** (-10 / 20))
                speech = pick("speech", 12.0)
                n = min(len(music), len(speech))
                x, labels = music[:n] + speech[:n], ("speech", "music")
            else:
                dur = {"speech": rng.uniform(20, 40), "music": rng.uniform(20, 40), "noise": rng.uniform(8, 16)}[kind]
                x, labels = pick(kind, dur), (kind,)
            x = x[: len(x) // 160 * 160]
            pieces.append(x)
            for lab in labels:
                segs.append(Segment(round(t / RATE_HZ, 3), round((t + len(x)) / RATE_HZ, 3), lab))
            t += len(x)
            room_tone()
        k += 1
    audio = np.clip(np.concatenate(pieces), -1.0, 1.0).astype(np.float32)
    return audio, sorted(segs), used


def long_file(data_dir: str, cache_dir: str, minutes: float, seed: int) -> tuple[str, str] | None:
    """(wav, csv) of the long test-split file, built once and cached; None without a corpus."""
    if not os.path.exists(os.path.join(data_dir, "manifest.jsonl")):
        return None
    stem = os.path.join(cache_dir, f"test_concat_{minutes:g}min_seed{seed}")
    wav, csv = stem + ".wav", stem + ".csv"
    if not (os.path.exists(wav) and os.path.exists(csv)):
        import soundfile as sf

        from stream_tagger.labels import write_segments

        print(f"building {wav} from the corpus test split ...", file=sys.stderr, flush=True)
        audio, segs, used = build_long(data_dir, minutes, seed)
        os.makedirs(cache_dir, exist_ok=True)
        sf.write(wav + ".part", audio, RATE_HZ, subtype="PCM_16", format="WAV")
        write_segments(segs, "csv", csv)
        with open(stem + "_sources.json", "w", encoding="utf-8") as f:
            json.dump(sorted(used), f, indent=0)
        os.replace(wav + ".part", wav)
    return wav, csv


# ------------------------------------------------------------------------------------ parent


def resolve_model(spec: str, args) -> str | None:
    if spec == "engine:compact":
        cands = [args.compact_model] if args.compact_model else [os.path.join(ROOT, "assets", "model.tflite")]
    elif spec == "engine:seed":
        cands = [args.seed_model] if args.seed_model else [os.path.join(ROOT, "assets", "model_seed.tflite"),
                                                           os.path.join(ROOT, "runs", "seed", "model.tflite")]
    elif spec == "engine:trunk":
        cands = [args.trunk_model] if args.trunk_model else [os.path.join(ROOT, "runs", "trunk", "model.tflite")]
    else:
        return None
    for c in cands:
        if c and os.path.exists(c):
            return c
    return ""


def run_child(spec: str, path: str, model: str | None, hop_s: float) -> dict:
    from common import one_thread_env

    cmd = [sys.executable, os.path.abspath(__file__), "--child", spec, "--audio", path, "--hop", str(hop_s)]
    if model:
        cmd += ["--model", model]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=one_thread_env(), cwd=ROOT)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["first_output_s"] = out["first_output_t"] - t0 if out.get("first_output_t") else None
    return out


def score(ref_path: str, out: dict, duration_s: float) -> dict:
    from stream_tagger.evaluate import evaluate_pairs
    from stream_tagger.events import Segment
    from stream_tagger.labels import read_segments

    hyp = [Segment(a, b, lab) for a, b, lab in out["segments"]]
    return evaluate_pairs([(read_segments(ref_path), hyp, duration_s)])


def versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("numpy", "soundfile", "ai-edge-litert", "onnxruntime", "silero-vad", "webrtcvad-wheels"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def aims_lines(rows_by_file: dict, long_key: str | None, compact_model: str | None, hop_s: float) -> tuple[list, dict]:
    """Engine aims (compact model): >= 500x real time, < 120 MB headless, first label <= 1.5 s."""
    key = long_key or next(iter(rows_by_file))
    row = next((r for r in rows_by_file[key] if r["tool"] == "engine:compact"), None)
    if row is None or "error" in row or not compact_model:
        return ["Engine aims: n/a (no compact model)."], {}
    from bench_engine import run_cli

    example = os.path.join(ROOT, "assets", "example.ogg")
    _, rss, t_first, rc = run_cli(["replay", example, "--headless", "--speed", "1", "--duration", "10",
                                   "--model", compact_model, "--hop", str(hop_s)], first_line=True)
    aims = {"tag_realtime_x": row["realtime_x"], "tag_peak_rss_mb": row["peak_rss_mb"],
            "first_hop_s": row["first_output_s"], "headless_replay_peak_rss_mb": rss,
            "headless_replay_first_line_s": t_first, "headless_replay_exit": rc}

    def ok(b):
        return "**met**" if b else "**missed**"

    lines = [
        f"Engine aims, compact model ({key}):",
        f"- `tag` throughput, one thread: {row['realtime_x']:.0f}x real time (aim >= 500x): "
        f"{ok(row['realtime_x'] >= 500)}",
        f"- headless resident memory: `stream-tagger replay --headless --speed 1` peak {rss:.0f} MB, "
        f"`tag` child above {row['peak_rss_mb']:.0f} MB (aim < 120 MB): {ok(max(rss, row['peak_rss_mb']) < 120)}",
        f"- first label: first hop {row['first_output_s']:.2f} s after process start (file, as fast as "
        f"possible); first hop line of headless `replay --speed 1` {fmt(t_first, 2)} s (aim <= 1.5 s): "
        f"{ok(t_first is not None and max(t_first, row['first_output_s']) <= 1.5)}",
    ]
    return lines, aims


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring for what is measured and how.")
    ap.add_argument("--tools", nargs="+", default=list(DEFAULT_TOOLS), help="tools to run (default: all)")
    ap.add_argument("--minutes", type=float, default=15.0, help="length of the long test-split file (default 15)")
    ap.add_argument("--seed", type=int, default=11, help="seed of the long file (default 11)")
    ap.add_argument("--no-long", action="store_true", help="the example only")
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "data", "corpus"))
    ap.add_argument("--cache-dir", default=os.path.join(ROOT, "data", "bench"))
    ap.add_argument("--compact-model", default=None)
    ap.add_argument("--seed-model", default=None)
    ap.add_argument("--trunk-model", default=None)
    ap.add_argument("--hop", type=float, default=0.25, help="engine hop, seconds (default 0.25, as the CLI)")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--no-aims", action="store_true", help="skip the engine-aims check (headless replay)")
    ap.add_argument("--update-readme", action="store_true",
                    help="also put the report into benchmarks/README.md (between its compare-table markers)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--audio", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(args.child, args.audio, args.model, args.hop)

    import soundfile as sf

    from common import busy_reasons, cpu_snapshot, machine_description, other_cores

    command = "python benchmarks/bench_compare.py" + ("" if argv is None and len(sys.argv) == 1 else
                                                       " " + shlex.join(sys.argv[1:] if argv is None else argv))
    busy_before = busy_reasons()
    cpu_before = cpu_snapshot()
    files = [("example (assets/example.ogg)", os.path.join(ROOT, "assets", "example.ogg"),
              os.path.join(ROOT, "assets", "example.csv"))]
    notes = []
    long_key = None
    if not args.no_long:
        lf = long_file(args.data_dir, args.cache_dir, args.minutes, args.seed)
        if lf is None:
            notes.append(f"No corpus ({os.path.join(args.data_dir, 'manifest.jsonl')} missing): example only.")
        else:
            long_key = f"long test-split concatenation ({os.path.relpath(lf[0], ROOT)})"
            files.append((long_key, lf[0], lf[1]))

    results = {"command": command, "machine": machine_description(), "versions": versions(),
               "busy_before": busy_before, "files": {}, "notes": notes}
    rows_by_file = {}
    models = {spec: resolve_model(spec, args) for spec in args.tools}
    for key, path, ref in files:
        info = sf.info(path)
        dur = info.frames / info.samplerate
        rows = []
        for spec in args.tools:
            model = models[spec]
            if model == "":
                rows.append(row_for(spec, None, None, None))
                continue
            print(f"{key}: {spec} ...", file=sys.stderr, flush=True)
            out = run_child(spec, path, model, args.hop)
            if "error" in out:
                rows.append(row_for(spec, model, out, None))
                continue
            out["audio_s_file"] = dur
            rep = score(ref, out, dur)
            row = row_for(spec, model, out, rep)
            row["report"] = rep
            rows.append(row)
        rows_by_file[key] = rows
        results["files"][key] = {"path": os.path.relpath(path, ROOT), "reference": os.path.relpath(ref, ROOT),
                                 "duration_s": dur, "rows": rows}
    compact = models.get("engine:compact")
    if args.no_aims or not compact:
        aims_text, aims = (["Engine aims: not checked."] if args.no_aims else ["Engine aims: n/a (no compact model)."]), {}
    else:
        aims_text, aims = aims_lines(rows_by_file, long_key, compact, args.hop)
    results["aims"] = aims
    others = other_cores(cpu_before, cpu_snapshot())
    busy_after = [r for r in busy_reasons(max_load=float("inf")) if r.startswith("running")]
    if others >= 0.25:
        busy_after.insert(0, f"other processes used {others:.2f} cores on average during the run")
    results["busy_after"] = busy_after
    results["other_processes_cores"] = others

    md = [f"Command: `{command}`", "",
          f"Machine: {results['machine']}; one thread per tool. "
          + (f"Idle: 1-min load < 0.5 and no training before the run; other processes used {others:.2f} "
             "cores on average during it." if not (busy_before or busy_after) else
             f"**Not idle** (before: {', '.join(busy_before) or 'idle'}; during/after: "
             f"{', '.join(busy_after) or 'idle'}): speed figures are pessimistic."),
          "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v), ""]
    md += notes + ([""] if notes else [])
    for key, path, _ in files:
        md += [f"### {key}, {results['files'][key]['duration_s']:.1f} s", ""] + table(rows_by_file[key]) + [""]
        md += ["Where a peer wins:", ""] + peer_wins(rows_by_file[key]) + [""]
    md += ["Speech F1 = speech-versus-non-speech F1 (P / R = its precision / recall); `-` = the tool has no "
           "such label. x real time: audio s / wall s of a warm pass, one thread, file decoding included. "
           "Peak RSS: the tool's own process. First output: from process start (imports, model load "
           "included) to the first decision; the engine's first decision needs a whole 1 s window, the "
           "peers decide on 10-32 ms frames.", ""]
    md += aims_text
    text = "\n".join(md) + "\n"
    print(text)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(args.out_dir, "compare.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    if args.update_readme:
        update_readme(os.path.join(HERE, "README.md"), text)
    return 0


def update_readme(path: str, text: str, begin: str = "<!-- compare-table -->",
                  end: str = "<!-- /compare-table -->") -> None:
    """Replace what is between the ``begin`` and ``end`` markers of ``path`` with ``text``."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if begin not in doc or end not in doc:
        print(f"{path}: no {begin} ... {end} markers; not updated", file=sys.stderr)
        return
    head, rest = doc.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + text.replace("### ", "#### ") + end + tail)


if __name__ == "__main__":
    sys.exit(main())
