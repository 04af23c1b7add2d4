"""Archive benchmark: a generated archive tagged with ``--jobs 1``, ``--jobs 2`` and a local
Dask cluster of two single-threaded workers; and where one worker's time goes.

    python benchmarks/bench_archive.py [--files 200] [--hours 2.2] [--skip-dask] [--profile-files 24]

The archive (cached in ``data/bench/archive/``, made once): ``--files`` files, ``--hours`` of
audio in all (10 s to 2 min each), cut from the shipped ``assets/example.ogg`` (real speech,
music and noise) at random offsets and gains, with silences, written as FLAC, OGG Vorbis, MP3
and WAV at 8 to 48 kHz, mono and stereo, like a real archive.

Each run is the whole command (``stream-tagger tag ARCHIVE --out-dir ... --no-progress``,
start-up, model loading and worker start included), timed on the wall clock. Printed per run:
hours of audio per wall hour (= x real time), speed-up over ``--jobs 1``, files per second,
and peak resident memory (``VmHWM``) of each process that tags (the main process for
``--jobs 1``, each worker process otherwise; polled every 0.2 s). The Dask cluster is started
the way the README shows (``dask scheduler`` + two ``dask worker --nthreads 1``), before its
run is timed.

Per-file overhead: the work a file costs besides its audio: 100 files of 0.5 s tagged
in-process (model loaded), minus their audio at the measured per-worker speed, per file.

Profile of one worker (in-process, ``--profile-files`` files of the archive): seconds spent
decoding (libsndfile), downmixing, resampling (sanitizing included), in the frontend (log-mel),
in the network (TFLite, with its input scaling), and the rest (decisions, boundaries, format
checks, bookkeeping).

Aims (issue 17, this 2-core machine): ``--jobs 2`` >= 1.7x ``--jobs 1``; Dask >= 90 % of
``--jobs 2``; every worker < 150 MB; >= 600x real time per worker on the mixed archive.
The machine may be shared: the 1-minute load average is printed before each run.
Results go to ``benchmarks/results/archive.txt``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as the CLI does
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from common import load_average_1min, machine_description  # noqa: E402

CACHE = os.path.join(REPO, "data", "bench", "archive")
RATES_HZ = (8000, 11025, 16000, 22050, 32000, 44100, 48000)
FORMATS = (("flac", "FLAC", "PCM_16"), ("ogg", "OGG", "VORBIS"), ("mp3", "MP3", "MPEG_LAYER_III"),
           ("wav", "WAV", "PCM_16"))


# ------------------------------------------------------------------------------------ archive
def make_archive(folder: str, n_files: int, hours: float, seed: int = 17) -> list[str]:
    """Write the archive once (a manifest marks it complete); returns its files."""
    manifest = os.path.join(folder, "MANIFEST.txt")
    tag = f"files={n_files} hours={hours} seed={seed}"
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if lines and lines[0] == tag:
            return [os.path.join(folder, p) for p in lines[1:]]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    from scipy.signal import resample_poly

    from stream_tagger.audio_io import read_audio
    from stream_tagger.model import default_model_path

    src = read_audio(os.path.join(os.path.dirname(default_model_path()), "example.ogg"), 16000)
    rng = np.random.default_rng(seed)
    lengths = np.exp(rng.uniform(np.log(10), np.log(120), n_files))
    lengths *= hours * 3600 / lengths.sum()
    paths = []
    for i, secs in enumerate(lengths):
        ext, fmt, sub = FORMATS[i % len(FORMATS)]
        rate = int(RATES_HZ[rng.integers(len(RATES_HZ))])
        channels = 1 + int(rng.integers(2))
        n16 = int(secs * 16000)
        x = np.resize(np.roll(src, -int(rng.integers(len(src)))), n16) * rng.uniform(0.3, 1.5)
        gap = int(rng.integers(0, n16 // 4))  # a silence somewhere
        at = int(rng.integers(0, n16 - gap))
        x[at:at + gap] *= 1e-4
        if rate != 16000:
            from fractions import Fraction

            fr = Fraction(rate, 16000)
            x = resample_poly(x, fr.numerator, fr.denominator)
        x = np.clip(x, -1, 1).astype(np.float32)
        if channels == 2:
            x = np.stack([x, 0.8 * x + 0.01 * rng.standard_normal(x.shape[0]).astype(np.float32)], axis=1)
        rel = f"{ext}/{i // 50:02d}/item{i:04d}_{rate}hz_{channels}ch.{ext}"
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with sf.SoundFile(path, "w", rate, channels, format=fmt, subtype=sub) as f:
            for j in range(0, x.shape[0], rate):  # blocks: libsndfile's Vorbis encoder crashes on big writes
                f.write(x[j:j + rate])
        paths.append(rel)
    with open(manifest, "w", encoding="utf-8") as f:
        f.write(tag + "\n" + "\n".join(paths) + "\n")
    return [os.path.join(folder, p) for p in paths]


def archive_seconds(files: list[str]) -> float:
    return sum(sf.info(p).duration for p in files)


# ------------------------------------------------------------------------------------ runs
def _vmhwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def timed_run(args: list[str], watch_pids=lambda p: [p.pid]) -> tuple[float, dict[int, float], str]:
    """Run ``stream-tagger ARGS``; (wall seconds, {pid: peak RSS MB} of the watched processes, stderr)."""
    import psutil

    peaks: dict[int, float] = {}
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", *args], env=_cli_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while p.poll() is None:
        for pid in watch_pids(p):
            peaks[pid] = max(peaks.get(pid, 0.0), _vmhwm_mb(pid))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    err = p.stderr.read()
    if p.returncode != 0:
        raise SystemExit(f"run failed ({p.returncode}): {' '.join(args)}\n{err}")
    del psutil
    return wall, peaks, err


def pool_workers(p) -> list[int]:
    import psutil

    try:
        kids = psutil.Process(p.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [k.pid for k in kids if "resource_tracker" not in " ".join(k.cmdline())]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalDask:
    """``dask scheduler`` + two ``dask worker --nthreads 1`` (no nanny: the worker is the process
    measured), started as the README shows: Dask's sampling profiler off in the workers
    (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``; it walks the task thread's stack every
    10 ms, 5-10 % of a worker busy with one long task)."""

    def __init__(self, n_workers: int = 2):
        exe = os.path.join(os.path.dirname(sys.executable), "dask")
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        env = _cli_env()
        self.procs = [subprocess.Popen([exe, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                        "--no-dashboard"], env=env, stdout=self.log, stderr=self.log)]
        env = dict(env, DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False")
        for i in range(n_workers):
            self.procs.append(subprocess.Popen([exe, "worker", self.address, "--nthreads", "1", "--no-nanny",
                                                "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}"],
                                               env=env, stdout=self.log, stderr=self.log))
        import distributed

        with distributed.Client(self.address, timeout=60) as c:
            c.wait_for_workers(n_workers, timeout=120)

    @property
    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.procs[1:]]

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


# ------------------------------------------------------------------------------------ profile
def profile_worker(files: list[str]) -> dict[str, float]:
    """Seconds per stage for ``files`` tagged in this process (one thread, model loaded first)."""
    import stream_tagger.analysis as analysis_mod
    import stream_tagger.archive.worker as worker_mod
    import stream_tagger.frontend as frontend_mod
    import stream_tagger.model as model_mod
    import stream_tagger.resampler as resampler_mod
    import stream_tagger.sources.file as file_mod

    spent = {"decode": 0.0, "downmix": 0.0, "resample": 0.0, "frontend": 0.0, "network": 0.0}

    def timed(stage, fn):
        def inner(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[stage] += time.perf_counter() - t
        return inner

    patches = [(sf.SoundFile, "read", "decode"), (file_mod, "to_mono", "downmix"),
               (resampler_mod.StreamingResampler, "push", "resample"),
               (resampler_mod.StreamingResampler, "flush", "resample"), (resampler_mod, "sanitize_block", "resample"),
               (frontend_mod.StreamingLogMel, "push", "frontend"), (model_mod.TagModel, "predict", "network")]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    settings = worker_mod.TagSettings()
    worker_mod.cached_tagger(settings)
    audio_s = 0.0
    try:
        for obj, name, stage in patches:
            setattr(obj, name, timed(stage, getattr(obj, name)))
        t0 = time.perf_counter()
        for f in files:
            res = worker_mod.tag_input(f, settings)
            assert res.ok, res.error
            audio_s += res.segments.duration_s
        total = time.perf_counter() - t0
    finally:
        for obj, name, fn in saved:
            setattr(obj, name, fn)
    del analysis_mod
    spent["rest"] = total - sum(spent.values())
    spent["total"] = total
    spent["audio_s"] = audio_s
    return spent


def per_file_overhead_s(n: int = 100, secs: float = 0.5, rounds: int = 3) -> float:
    """The fixed cost of a file (open, header and format checks, analysis set-up, result): the
    same audio tagged as ``n`` files of ``secs`` seconds and as one file, in-process (model
    loaded), the difference per file; the best of ``rounds`` alternated rounds."""
    from stream_tagger.archive.worker import TagSettings, cached_tagger, tag_input

    d = tempfile.mkdtemp()
    try:
        rng = np.random.default_rng(3)
        x = (0.1 * rng.standard_normal(int(n * secs * 16000))).astype(np.float32)
        files = []
        for i in range(n):
            p = os.path.join(d, f"tiny{i}.wav")
            sf.write(p, x[i * int(secs * 16000):(i + 1) * int(secs * 16000)], 16000)
            files.append(p)
        whole = os.path.join(d, "whole.wav")
        sf.write(whole, x, 16000)
        settings = TagSettings()
        cached_tagger(settings)
        many, one = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for p in files:
                tag_input(p, settings)
            many.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            tag_input(whole, settings)
            one.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return (min(many) - min(one)) / n


# ------------------------------------------------------------------------------------ main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--hours", type=float, default=2.2)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--profile-only", action="store_true", help="make the archive and profile one worker only")
    ap.add_argument("--profile-files", type=int, default=24, help="files for the one-worker profile (0: none)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "archive.txt"))
    a = ap.parse_args()

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    t = time.perf_counter()
    files = make_archive(CACHE, a.files, a.hours)
    audio_s = archive_seconds(files)
    kinds = sorted({os.path.splitext(f)[1][1:] for f in files})
    rates = sorted({sf.info(f).samplerate for f in files})
    say(f"# archive benchmark: {machine_description()}")
    say(f"archive: {len(files)} files, {audio_s / 3600:.2f} h ({', '.join(kinds)}; {min(rates)}-{max(rates)} Hz; "
        f"mono and stereo) in data/bench/archive/ (made or checked in {time.perf_counter() - t:.0f} s)")
    if a.profile_only:
        report_profile(files, a.profile_files, say)
        return 0
    runs = []
    task_rate = None
    out_root = tempfile.mkdtemp(prefix="bench-archive-")
    try:
        for name, extra, watch in [("--jobs 1", ["--jobs", "1"], lambda p: [p.pid]),
                                   ("--jobs 2", ["--jobs", "2"], pool_workers)]:
            say(f"load before {name}: {load_average_1min():.2f}")
            wall, peaks, err = timed_run([ "tag", CACHE, "--out-dir", os.path.join(out_root, name[2:].replace(' ', '')),
                                          "--no-progress", *extra], watch)
            runs.append((name, wall, peaks, err.strip().splitlines()[-1]))
        if not a.skip_dask:
            cluster = LocalDask(2)
            try:
                say(f"load before Dask: {load_average_1min():.2f}")
                wall, peaks, err = timed_run(["tag", CACHE, "--out-dir", os.path.join(out_root, "dask"), "--no-progress",
                                              "--dask", cluster.address], lambda p: cluster.worker_pids)
                runs.append(("Dask, 2 workers x 1 thread", wall, peaks, err.strip().splitlines()[-1]))
                task_rate = scheduler_task_rate(cluster.address)
            finally:
                cluster.close()
        out_bytes = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(os.path.join(out_root, "jobs1"))
                        for n in ns)
        same = all(_same_tree(os.path.join(out_root, "jobs1"), os.path.join(out_root, d))
                   for d in ("jobs2", "dask") if os.path.isdir(os.path.join(out_root, d)))
    finally:
        shutil.rmtree(out_root, ignore_errors=True)

    base = runs[0][1]
    say()
    say("| run | wall s | h audio per wall h (x real time) | speed-up over --jobs 1 | files/s | peak RSS per worker MB |")
    say("|---|---:|---:|---:|---:|---:|")
    for name, wall, peaks, _ in runs:
        rss = max(peaks.values()) if peaks else float("nan")
        say(f"| {name} | {wall:.1f} | {audio_s / wall:.0f} | {base / wall:.2f}x | {len(files) / wall:.2f} | {rss:.0f} |")
    say()
    for name, _, _, last in runs:
        say(f"{name}: {last}")
    say(f"outputs byte-identical across runs: {'yes' if same else 'NO'}")
    jobs2 = next((w for n, w, _, _ in runs if n == "--jobs 2"), None)
    dask = next((w for n, w, _, _ in runs if n.startswith("Dask")), None)
    if jobs2 and dask:
        say(f"Dask throughput / --jobs 2 throughput: {jobs2 / dask * 100:.0f} %")
    in_bytes = sum(os.path.getsize(f) for f in files)
    estimate(say, audio_s, len(files), in_bytes, out_bytes, runs, task_rate)
    if a.profile_files:
        report_profile(files, a.profile_files, say)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"written: {os.path.relpath(a.out, REPO)}")
    return 0


def scheduler_task_rate(address: str, n: int = 2000) -> float:
    """Tasks per second the local scheduler turns around: ``n`` tasks that do nothing, submitted
    and gathered (scheduler, two workers and the client on this machine)."""
    import distributed

    with distributed.Client(address, timeout=60) as c:
        c.gather(c.map(_nothing, range(50)))
        t0 = time.perf_counter()
        c.gather(c.map(_nothing, range(n), pure=False))
        return n / (time.perf_counter() - t0)


def _nothing(i):
    return i


def estimate(say, audio_s: float, n_files: int, in_bytes: int, out_bytes: int, runs, task_rate) -> None:
    """10,000 hours on 2, 32 and 256 cores at the measured per-worker speed, and what each needs."""
    wall1 = runs[0][1]
    wall2 = next((w for n, w, _, _ in runs if n == "--jobs 2"), None)
    per_core = audio_s / wall1  # x real time of one worker, start-up included
    eff = (wall1 / wall2) / 2 if wall2 else 1.0  # parallel efficiency measured on 2 cores
    mean_file_s = audio_s / n_files
    say()
    say(f"10,000 h at the measured {per_core:.0f}x real time per core, {eff * 100:.0f} % parallel efficiency "
        f"(measured at 2 cores), files of {mean_file_s:.0f} s on average, {in_bytes / audio_s / 1000:.1f} kB of "
        f"input per second of audio, {out_bytes / n_files / 1000:.1f} kB of output (label file + completion "
        "marker) per file:")
    say("| cores | wall time | files/s (tasks/s) | input MB/s | output files/s (2 fsyncs each) | output MB/s |")
    say("|---:|---:|---:|---:|---:|---:|")
    for cores in (2, 32, 256):
        speed = per_core * cores * eff  # x real time
        hours = 10000 / speed
        files_s = speed / mean_file_s
        say(f"| {cores} | {hours:.1f} h | {files_s:.1f} | {speed * in_bytes / audio_s / 1e6:.1f} | {files_s:.1f} | "
            f"{files_s * out_bytes / n_files / 1e6:.2f} |")
    if task_rate:
        say(f"the local Dask scheduler turned around {task_rate:.0f} no-op tasks/s (2000 tasks, 2 workers, "
            "same machine)")


def report_profile(files: list[str], n: int, say) -> None:
    sub = files[:: max(1, len(files) // n)][:n]
    say(f"load before the profile: {load_average_1min():.2f}")
    spent = profile_worker(sub)
    total, aud = spent.pop("total"), spent.pop("audio_s")
    say()
    say(f"one worker, in-process, {len(sub)} files ({aud / 60:.1f} min of audio): {aud / total:.0f}x real time")
    say("| stage | s | share | x real time if alone |")
    say("|---|---:|---:|---:|")
    for stage, s in spent.items():
        say(f"| {stage} | {s:.2f} | {s / total * 100:.0f} % | {aud / max(s, 1e-9):.0f} |")
    say()
    say(f"per-file overhead (50 s of audio as 100 files of 0.5 s minus as one file, per file): "
        f"{per_file_overhead_s() * 1000:.1f} ms")


def _same_tree(a: str, b: str) -> bool:
    def files(root):
        out = {}
        for r, _, names in os.walk(root):
            for n in names:
                with open(os.path.join(r, n), "rb") as f:
                    out[os.path.relpath(os.path.join(r, n), root)] = f.read()
        return out
    return files(a) == files(b)


if __name__ == "__main__":
    sys.exit(main())
