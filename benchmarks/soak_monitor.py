"""Soak: one monitored feed for 24 hours of stream time, served as fast as it is analysed.

    python benchmarks/soak_monitor.py [--hours 24] [--source stdin|url] [--out FILE]

The shipped ``assets/example.ogg`` (16 kHz, tiled) is served for ``--hours`` of stream time:

* ``--source stdin`` (default): as raw 16-bit PCM into ``stream-tagger replay - --headless`` with
  the monitoring options (``--log-dir``, ``--metrics-port``, ``--alert silence>=10 --alert gap>=5``);
* ``--source url``: as an HTTP WAV stream served fast from this machine, read by ``stream-tagger
  monitor`` through a ``url`` feed with ``realtime = false`` (needs network stream support and
  the ``monitor`` extra).

Checked and printed (issue 19's soak aims):

* resident memory of the monitoring process at every stream hour (by the samples served): the
  growth after the first hour must stay within 5 MB;
* drift: the last hop's end must be the samples served / 16000 (stream time counts samples);
* the as-run logs complete: their rows (split at UTC midnights, across the day files) joined
  again are exactly the segment lines, the last ending with the stream.
"""

from __future__ import annotations

import argparse
import glob
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from common import machine_description, one_thread_env  # noqa: E402

RATE = 16000
CHUNK_S = 10


def example_pcm() -> bytes:
    """The shipped example as 16 kHz mono s16 bytes (synthetic tones if it is absent)."""
    import numpy as np

    from stream_tagger.model import default_model_path

    example = os.path.join(os.path.dirname(default_model_path()), "example.ogg")
    if os.path.exists(example):
        from stream_tagger.audio_io import read_audio

        x = read_audio(example, RATE)
    else:
        t = np.arange(60 * RATE) / RATE
        x = 0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * t / 7) > 0)
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


class Tiled:
    """``total`` samples of ``pcm`` repeated, handed out in chunks."""

    def __init__(self, pcm: bytes, total_samples: int):
        self.pcm, self.total, self.sent = pcm, total_samples, 0

    def next(self, samples: int) -> bytes:
        n = min(samples, self.total - self.sent)
        out = bytearray()
        pos = (self.sent * 2) % len(self.pcm)
        need = n * 2
        while need:
            piece = self.pcm[pos:pos + need]
            out += piece
            need -= len(piece)
            pos = 0
        self.sent += n
        return bytes(out)


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def check_logs(log_root: str, total_s: float, segments: list[tuple[str, float, float]]) -> list[str]:
    """Problems with the as-run logs (empty list: complete): their rows, with those split at a UTC
    midnight joined again, must be the segment lines, the last of which ends with the stream."""
    rows = []
    files = sorted(glob.glob(os.path.join(log_root, "*", "*.csv")))
    if not files:
        return ["no log files"]
    for path in files:
        lines = open(path, encoding="utf-8").read().splitlines()
        if not lines or lines[0] != "start_utc,end_utc,label,start_s,end_s,duration_s":
            return [f"{path}: no header"]
        for ln in lines[1:]:
            f = ln.split(",")
            rows.append((f[2], float(f[3]), float(f[4]), f[0], f[1]))
    joined: list[list] = []
    last: dict[str, list] = {}
    for label, a, b, a_utc, b_utc in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        prev = last.get(label)
        if prev is not None and prev[4] == a_utc and a_utc.endswith("T00:00:00.000Z") and abs(prev[2] - a) < 0.0015:
            prev[2], prev[4] = b, b_utc  # split at midnight: one segment
            continue
        last[label] = row = [label, a, b, a_utc, b_utc]
        joined.append(row)
    problems = []
    logged = sorted((r[0], round(r[1], 3), round(r[2], 3)) for r in joined)
    want = sorted((lab, round(a, 3), round(b, 3)) for lab, a, b in segments)
    if logged != want:
        problems.append(f"as-run rows differ from the segment lines: {len(set(want) - set(logged))} missing, "
                        f"{len(set(logged) - set(want))} extra")
    t = max((b for _, _, b in segments), default=0.0)
    if abs(t - total_s) > 0.0015:
        problems.append(f"segments end at {t:.3f} s, the stream at {total_s:.3f} s")
    return problems


def serve_fast(tiled: Tiled) -> http.server.ThreadingHTTPServer:
    """An HTTP WAV stream of ``tiled`` as fast as the client reads."""
    header = bytearray(b"RIFF\xff\xff\xff\xffWAVEfmt ")
    header += (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
    header += RATE.to_bytes(4, "little") + (2 * RATE).to_bytes(4, "little") + (2).to_bytes(2, "little")
    header += (16).to_bytes(2, "little") + b"data" + (0xFFFFFFFF).to_bytes(4, "little")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.end_headers()
            try:
                self.wfile.write(bytes(header))
                while tiled.sent < tiled.total:
                    self.wfile.write(tiled.next(RATE))
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0, help="stream time to serve, hours (default 24)")
    ap.add_argument("--source", choices=("stdin", "url"), default="stdin")
    ap.add_argument("--out", default=None, help="also write the output to this file")
    args = ap.parse_args(argv)
    out_lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        out_lines.append(text)

    total = int(round(args.hours * 3600)) * RATE
    say(f"$ python benchmarks/soak_monitor.py --hours {args.hours:g} --source {args.source}")
    say(f"machine: {machine_description()}; 1-min load before: {os.getloadavg()[0]:.2f}")
    tiled = Tiled(example_pcm(), total)
    tmp = tempfile.mkdtemp(prefix="soak_monitor_")
    logs = os.path.join(tmp, "logs")
    cli = [sys.executable, "-m", "stream_tagger.cli"]
    httpd = None
    if args.source == "stdin":
        cmd = cli + ["replay", "-", "--headless", "--log-dir", logs, "--metrics-port", "0", "--metrics-host",
                     "127.0.0.1", "--alert", "silence>=10", "--alert", "gap>=5", "--stream-name", "soak"]
    else:
        httpd = serve_fast(tiled)
        cfg = os.path.join(tmp, "soak.toml")
        with open(cfg, "w") as f:
            f.write(f'log_dir = "{logs}"\nmetrics_port = 0\nmetrics_host = "127.0.0.1"\nhops = true\n\n'
                    f'[[feeds]]\nname = "soak"\nurl = "http://127.0.0.1:{httpd.server_port}/soak.wav"\n'
                    'realtime = false\nmax_retries = 0\nalerts = ["silence>=10", "gap>=5"]\n')
        cmd = cli + ["monitor", cfg]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if args.source == "stdin" else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=one_thread_env(), cwd=ROOT)
    state = {"last_end": 0.0, "hops": 0, "segments": [], "alerts": 0, "gaps": 0}
    err_lines: list[str] = []

    def read_out():
        for raw in proc.stdout:
            if b'"hop"' in raw:
                state["hops"] += 1
                m = re.search(rb'"end": ([0-9.]+)', raw)
                state["last_end"] = float(m.group(1))
                continue
            rec = json.loads(raw)
            if rec.get("type") == "segment":
                state["segments"].append((rec["label"], rec["start"], rec["end"]))
            elif "alert" in rec:
                state["alerts"] += 1
            elif "gap" in rec:
                state["gaps"] += 1

    def read_err():
        for raw in proc.stderr:
            err_lines.append(raw.decode(errors="replace").rstrip("\n"))

    threads = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for t in threads:
        t.start()
    hourly: list[tuple[float, float]] = []  # (stream hour, RSS MB)
    next_hour = 1
    try:
        if args.source == "stdin":
            while tiled.sent < total:
                proc.stdin.write(tiled.next(CHUNK_S * RATE))  # waits while the analysis is behind
                if state["last_end"] >= next_hour * 3600:
                    hourly.append((next_hour, rss_mb(proc.pid)))
                    next_hour += 1
            proc.stdin.close()
            proc.wait(600)
        else:
            while state["last_end"] < total / RATE - 1 and proc.poll() is None:
                time.sleep(0.5)
                if state["last_end"] >= next_hour * 3600:
                    hourly.append((next_hour, rss_mb(proc.pid)))
                    next_hour += 1
            time.sleep(2)
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
        if httpd is not None:
            httpd.shutdown()
    for t in threads:
        t.join(60)
    wall = time.monotonic() - t0
    total_s = total / RATE
    say(f"served {total_s / 3600:g} h of stream time in {wall:.0f} s ({total_s / wall:.0f}x real time); "
        f"{state['hops']} hops, {len(state['segments'])} segments, {state['alerts']} alert lines, "
        f"{state['gaps']} gaps; exit status {proc.returncode}")
    if hourly:
        say("resident memory by stream hour (MB): " + ", ".join(f"{h}h {m:.1f}" for h, m in hourly))
    first = next((m for h, m in hourly if h == 1), None)
    later = [m for h, m in hourly if h > 1]
    growth = max(later) - first if first is not None and later else None
    say("memory growth after the first hour: " + (f"{growth:.1f} MB (aim: at most 5 MB)" if growth is not None
                                                 else "n/a (fewer than 2 stream hours)"))
    drift = state["last_end"] - total_s
    say(f"last hop ends at {state['last_end']:.3f} s; samples served / 16000 = {total_s:.3f} s; drift {drift:+.3f} s")
    problems = check_logs(logs, total_s, state["segments"])
    days = sorted(os.path.basename(p) for p in glob.glob(os.path.join(logs, "*", "*.csv")))
    say(f"as-run logs: {len(days)} day files ({', '.join(days)}): " + ("complete" if not problems else
                                                                        "; ".join(problems)))
    for ln in err_lines:
        if "warning" in ln or "error" in ln:
            say(f"stderr: {ln}")
    ok = proc.returncode == 0 and (growth is None or growth <= 5.0) and abs(drift) < 0.0015 and not problems
    say("soak: " + ("passed" if ok else "FAILED"))
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(out_lines) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
