"""Make docs/report.png: the ``stream-tagger report`` page of a small generated archive, in Chromium.

    python scripts/make_report_picture.py [--files 30] [--keep DIR] [-o docs/report.png]

1. Generates an archive of ``--files`` recordings (half a minute to 11 minutes each, about 2 hours)
   from the labelled stretches of the shipped example (assets/example.ogg: speech, music, speech
   over music, noise, silence), each with a programme profile (talk, music, magazine, field
   recording) that decides how often each stretch comes back, in mixed formats like real archives
   (FLAC 44.1 kHz stereo, OGG 48 kHz, MP3 22.05 kHz, WAV 8 and 16 kHz), plus two broken files (a
   truncated FLAC, an empty WAV).
2. Tags them with ``stream-tagger tag --out-dir`` with the shipped model, twice: the whole archive,
   then again the files that failed (as a ``--resume`` would). When ``tag`` has ``--summary``
   (the archive runner), it writes each run's summary; otherwise this script writes it, from the
   label files and the audio headers, with the error ``tag`` printed for each failed file.
3. ``stream-tagger report run1.csv run2.csv --labels OUT -o report.html``, then a screenshot of
   its top with headless Chromium (scripts/setup.sh --all installs it), saved with the model's
   identity in the PNG's ``Model`` text chunk.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the Chromium launcher the report's tests use

STRETCHES_S = {  # labelled stretches of assets/example.ogg (assets/example.csv), seconds
    "speech": [(3.0, 12.0), (45.0, 54.0)],
    "music": [(12.0, 20.0), (28.0, 36.0)],
    "speech+music": [(20.0, 28.0)],
    "noise": [(36.0, 43.0)],
    "silence": [(0.0, 3.0), (43.0, 45.0), (54.0, 56.5)],
}
PROFILES = {  # programme kind -> weight of each stretch kind
    "talk": {"speech": 8, "music": 1, "speech+music": 1, "noise": 0.3, "silence": 1},
    "music": {"speech": 1, "music": 8, "speech+music": 1, "noise": 0.2, "silence": 0.5},
    "magazine": {"speech": 4, "music": 3, "speech+music": 2, "noise": 1, "silence": 1},
    "field": {"speech": 2, "music": 0.3, "speech+music": 0, "noise": 6, "silence": 3},
}
FORMATS = [  # (extension, soundfile format, subtype, rate Hz, channels)
    (".flac", "FLAC", "PCM_16", 44100, 2), (".ogg", "OGG", "VORBIS", 48000, 1),
    (".mp3", "MP3", "MPEG_LAYER_III", 22050, 1), (".wav", "WAV", "PCM_16", 8000, 1),
    (".wav", "WAV", "PCM_16", 16000, 1),
]
SUMMARY_COLUMNS = "file,status,duration_s,speech_s,music_s,noise_s,silence_s,segments,error".split(",")


def resample(x: np.ndarray, rate_from: int, rate_to: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = np.gcd(rate_from, rate_to)
    return resample_poly(x, rate_to // g, rate_from // g).astype(np.float32)


def make_archive(folder: Path, n_files: int, seed: int = 3) -> list[Path]:
    """Generate the recordings under ``folder`` (by year); returns their paths, broken ones last."""
    rng = random.Random(seed)
    example, rate = sf.read(REPO / "assets" / "example.ogg", dtype="float32")
    paths = []
    for i in range(n_files):
        profile = list(PROFILES)[i % len(PROFILES)]
        minutes = rng.choice([0.5, 1, 2, 3, 4, 5, 6, 8, 10]) * rng.uniform(0.8, 1.1)
        kinds, weights = zip(*PROFILES[profile].items())
        pieces, total = [], 0
        while total < minutes * 60 * rate:
            kind = rng.choices(kinds, weights)[0]
            a, b = rng.choice(STRETCHES_S[kind])
            if kind == "silence":
                piece = example[int(a * rate):int(b * rate)] * 0.0
            else:
                piece = example[int(a * rate):int(b * rate)] * rng.uniform(0.6, 1.0)
            pieces.append(piece)
            total += len(piece)
        audio = np.concatenate(pieces)
        ext, fmt, subtype, out_rate, channels = FORMATS[i % len(FORMATS)]
        audio = resample(audio, rate, out_rate) if out_rate != rate else audio
        if channels == 2:
            audio = np.stack([audio, audio * 0.9], axis=1)
        year = 1978 + (i * 7) % 40
        path = folder / str(year) / f"{profile}_{year}-{1 + i % 12:02d}-{1 + (i * 5) % 28:02d}_{i:03d}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        audio = np.clip(audio, -1, 1)
        with sf.SoundFile(path, "w", out_rate, channels, format=fmt, subtype=subtype) as f:
            for k in range(0, len(audio), 65536):  # in blocks: one big write to the MP3/Vorbis encoders can crash
                f.write(audio[k:k + 65536])
        paths.append(path)
    broken = folder / "1991" / "magazine_1991-06-02_tape-b.flac"  # cut off mid-stream
    broken.parent.mkdir(parents=True, exist_ok=True)
    data = paths[0].read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    empty = folder / "2004" / "field_2004-09-19_mic2.wav"
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_bytes(b"")
    return paths + [broken, empty]


def stream_tagger(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stream_tagger.cli", *args], capture_output=True, text=True, cwd=cwd)


def tag_options() -> set[str]:
    """Which of the archive runner's options this ``tag`` has (``--summary``, ``--resume``)."""
    text = stream_tagger("tag", "--help").stdout
    return {opt for opt in ("--summary", "--resume", "--no-progress") if opt in text}


def write_summary(path: Path, inputs: list[Path], root: Path, out_dir: Path, stderr: str, done: set[str]) -> None:
    """The summary ``tag --summary`` would write (for a ``tag`` without it): ok from the label files,
    failed with the error line naming the file, skipped for ``done`` (finished by an earlier run)."""
    from stream_tagger.labels import read_segments
    from stream_tagger.report import label_seconds

    errors = [line.split("error: ", 1)[1] for line in stderr.splitlines() if "error: " in line]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(SUMMARY_COLUMNS)
        for p in inputs:
            name = str(p.relative_to(root))
            labels = out_dir / (p.stem + ".csv")
            error = next((e for e in errors if p.name in e), None)
            if error is None and labels.exists():
                segs = read_segments(labels)
                secs = label_seconds(segs)
                status = "skipped" if name in done else "ok"
                w.writerow([name, status, f"{sf.info(p).duration:.3f}", *(f"{secs[k]:.3f}" for k in
                           ("speech", "music", "noise", "silence")), len(segs), ""])
            else:
                w.writerow([name, "failed", "", "", "", "", "", "", error or "no output"])


def tag_run(inputs: list[Path], root: Path, out_dir: Path, summary: Path, done: set[str]) -> None:
    """Tag ``inputs`` (all of them, or on a second run what is not ``done``) into ``out_dir`` and
    write the run's ``summary``, its file column relative to ``root``."""
    options = tag_options()
    if "--summary" in options:
        rel = [str(p.relative_to(root)) for p in inputs]
        extra = [o for o in ("--no-progress",) if o in options]
        if done and "--resume" in options:
            extra.append("--resume")
        elif done:
            rel = [r for r in rel if r not in done]
        stream_tagger("tag", *rel, "--out-dir", str(out_dir), "--summary", str(summary), *extra, cwd=root)
        return
    todo = [str(p.relative_to(root)) for p in inputs if str(p.relative_to(root)) not in done]
    r = stream_tagger("tag", *todo, "--out-dir", str(out_dir), cwd=root)
    write_summary(summary, inputs, root, out_dir, r.stderr, done)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=30, help="recordings to generate (default 30)")
    ap.add_argument("-o", "--output", default=str(REPO / "docs" / "report.png"))
    ap.add_argument("--keep", default=None, metavar="DIR", help="build the archive in DIR and keep it")
    ap.add_argument("--height", type=int, default=1500, help="screenshot height in pixels (default 1500)")
    args = ap.parse_args(argv)

    import browser
    from PIL import PngImagePlugin

    from stream_tagger.model import default_model_path, model_identity

    if browser.chromium_path() is None:
        sys.exit(f"make_report_picture: {browser.SKIP_REASON}")
    work = Path(args.keep or tempfile.mkdtemp(prefix="report-picture-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        root = work / "archive"
        inputs = make_archive(root, args.files)
        out_dir = work / "labels"
        tag_run(inputs, root, out_dir, work / "run1.csv", set())
        with open(work / "run1.csv", newline="", encoding="utf-8") as f:
            done = {r["file"] for r in csv.DictReader(f) if r["status"] == "ok"}
        # the second run: what a --resume does (the finished files skipped, the failed ones tried again)
        tag_run(inputs, root, out_dir, work / "run2.csv", done)
        page = work / "report.html"
        r = stream_tagger("report", "run1.csv", "run2.csv", "--labels", "labels", "-o", str(page),
                          "--title", "Archive report: a generated radio archive", cwd=work)
        if r.returncode != 0:
            sys.exit(f"make_report_picture: report failed: {r.stderr.strip()}")
        print(r.stderr.strip())
        shot = browser.screenshot(page, work / "shot.png", window=(1400, args.height))
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", "stream-tagger report (scripts/make_report_picture.py)")
        info.add_text("Model", model_identity(default_model_path()))
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        shot.save(args.output, pnginfo=info, optimize=True)
        print(f"wrote {args.output} ({shot.size[0]}x{shot.size[1]})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
