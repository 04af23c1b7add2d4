"""How many feeds one core holds: ``stream-tagger monitor`` on N feeds served in real time.

    python benchmarks/bench_monitor.py [--seconds 90] [--counts 1,10,20,40,60,80] [--core 0]
                                       [--source file|url] [--phases aligned|spread] [--bisect]
                                       [--keep-going] [--out FILE]

For each N of ``--counts`` (and, with ``--bisect``, between the last N that held and the first
that did not), a config with N feeds is written and ``stream-tagger monitor`` runs on it for
``--seconds`` of wall-clock time, pinned to one core (``--core``; ``sched_setaffinity``), then
gets SIGTERM. The feeds:

* ``--source file`` (default): the shipped ``assets/example.ogg`` tiled to a long 16 kHz WAV,
  each feed a ``file`` feed paced in real time (``speed = 1``);
* ``--source url``: each feed a ``url`` feed reading its own HTTP stream, served from this
  machine in real time by a local server (a WAV stream paced by the clock; needs network stream
  support, ``stream_tagger.sources.stream``, and the ``monitor`` extra). ``--phases aligned``
  (default): every stream starts at once, so every feed's hops end at the same moments and a
  hop's latency is about the feeds times one hop's work (the worst case); ``--phases spread``:
  feed k's stream starts ``(k * 0.618) mod 1`` of a hop late, as independent stations do.

A count holds when every feed ends with no audio dropped and no events lost (the feeds' ``done``
lines) and a 99th percentile hop latency (engine: from the audio completing a hop's last window
entering the ring buffer to the hop leaving the analysis) under 100 ms over each feed's latest
240 hops (a minute: the start-up's first hops, slower while the interpreters warm up and a
stream's first burst is worked off, are left out), scraped from ``/metrics`` just before the
stop. Printed per count: the worst feed's dropped seconds, lost events, p99 latency over the last
minute (``p99_ms``) and over the whole run (``p99_all_ms``), the monitor's CPU use (in
cores) and its resident memory near the end; then the largest count that held, the CPU one feed
takes at the largest count with nothing dropped (and the feeds per core that leaves room for, by
CPU alone), and resident memory per extra feed ((RSS(N) - RSS(1)) / (N - 1), N the largest count
tried). Aims (issue 19): at least 40 feeds per
core, at most 30 MB per extra feed. The machine's load from other processes is printed too:
figures from a shared machine are lower bounds.
"""

from __future__ import annotations

import argparse
import http.server
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

from common import cpu_snapshot, machine_description, one_thread_env, other_cores  # noqa: E402

RATE = 16000
LATENCY_LIMIT_S = 0.100
DONE_RE = re.compile(r"feed '([^']+)': done: ([\d.]+) s of audio, (\d+) hops, (\d+) segments, ([\d.]+) s dropped, "
                     r"(\d+) events lost(?:, hop latency p99 ([\d.]+) s)?")


def model_sha1() -> str:
    import hashlib

    from stream_tagger.model import default_model_path

    with open(default_model_path(), "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:8]


def make_wav(path: str, seconds: float) -> str:
    """The shipped example tiled to ``seconds`` (16 kHz mono WAV); synthetic tones if it is absent."""
    import numpy as np
    import soundfile as sf

    from stream_tagger.model import default_model_path

    n = int(seconds * RATE)
    example = os.path.join(os.path.dirname(default_model_path()), "example.ogg")
    if os.path.exists(example):
        from stream_tagger.audio_io import read_audio

        x = np.resize(read_audio(example, RATE), n)
    else:
        t = np.arange(n) / RATE
        x = 0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * t / 7) > 0)
    sf.write(path, x.astype(np.float32), RATE, subtype="PCM_16")
    return path


class PacedWavServer:
    """HTTP on 127.0.0.1: every GET gets the WAV file's bytes paced in real time (an endless
    WAV header, then PCM), like an internet radio; one thread per listener."""

    def __init__(self, wav: str, spread_s: float = 0.0):
        self.spread_s = float(spread_s)
        with open(wav, "rb") as f:
            data = f.read()
        i = data.index(b"data") + 8
        self.header = bytearray(data[:i])
        self.header[4:8] = (0xFFFFFFFF).to_bytes(4, "little")
        self.header[i - 4:i] = (0xFFFFFFFF).to_bytes(4, "little")
        self.pcm = data[i:]
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if server.spread_s:  # feed k's stream starts k * 0.618.. of spread_s (mod) late: its own phase
                    k = int(re.sub(r"\D", "", self.path) or 0)
                    time.sleep((k * 0.6180339887) % 1.0 * server.spread_s)
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.end_headers()
                try:
                    self.wfile.write(bytes(server.header))
                    t0, sent, block = time.monotonic(), 0, RATE * 2 // 10  # 0.1 s blocks
                    while True:
                        pos = sent % len(server.pcm)
                        self.wfile.write(server.pcm[pos:pos + block])
                        sent += block
                        delay = t0 + sent / (2 * RATE) - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_config(path: str, n: int, source: str, wav: str, server: PacedWavServer | None) -> None:
    lines = ["metrics_port = 0", 'metrics_host = "127.0.0.1"', ""]
    for k in range(n):
        lines.append("[[feeds]]")
        lines.append(f'name = "feed{k:03d}"')
        if source == "url":
            lines.append(f'url = "{server.base}/feed{k:03d}.wav"')
        else:
            lines.append(f'file = "{wav}"')
            lines.append("speed = 1")
        lines.append('alerts = ["silence>=10", "!music>=300", "gap>=5"]')
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def scrape_p99(err_lines: list[str]) -> float:
    """The worst feed's p99 hop latency over its latest 240 hops, from the monitor's /metrics (s)."""
    import urllib.request

    url = next((m.group(1) for m in map(re.compile(r"metrics on (http://\S+)").search, err_lines) if m), None)
    if url is None:
        return float("nan")
    try:
        text = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=30).read().decode()
    except OSError:
        return float("nan")
    values = [float(v) for v in re.findall(r'^stream_tagger_hop_latency_seconds\{[^}]*quantile="0.99"[^}]*\} (\S+)$',
                                            text, re.M)]
    return max(values) if values else float("nan")


def run_count(n: int, args, wav: str, server, tmp: str) -> dict:
    import psutil

    cfg = os.path.join(tmp, f"monitor_{n}.toml")
    write_config(cfg, n, args.source, wav, server)
    core = args.core

    def pin():
        os.sched_setaffinity(0, {core})

    before = cpu_snapshot()
    proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "monitor", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=one_thread_env(), cwd=ROOT, preexec_fn=pin)
    ps = psutil.Process(proc.pid)
    err_lines: list[str] = []
    started = threading.Event()

    def read_err():
        for ln in proc.stderr:
            err_lines.append(ln.rstrip("\n"))
            if len([x for x in err_lines if "source:" in x]) >= n:
                started.set()
        started.set()

    threading.Thread(target=read_err, daemon=True).start()
    started.wait(120 + n)  # every feed has delivered its first hop
    t_start = time.monotonic()
    cpu0 = ps.cpu_times()
    rss_mb = 0.0
    while time.monotonic() - t_start < args.seconds and proc.poll() is None:
        time.sleep(0.5)
        try:
            rss_mb = max(rss_mb, ps.memory_info().rss / 2**20)
        except psutil.Error:
            break
    try:
        cpu1 = ps.cpu_times()
        cpu_cores = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / max(1e-9, time.monotonic() - t_start)
    except psutil.Error:
        cpu_cores = float("nan")
    after = cpu_snapshot()
    recent_p99 = scrape_p99(err_lines)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60 + n)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    time.sleep(0.2)
    done = [m.groups() for m in map(DONE_RE.search, err_lines) if m]
    errors = [ln for ln in err_lines if "error" in ln]
    dropped = max((float(d[4]) for d in done), default=float("nan"))
    lost = max((int(d[5]) for d in done), default=-1)
    p99 = max((float(d[6]) for d in done if d[6] is not None), default=float("nan"))
    audio = min((float(d[1]) for d in done), default=0.0)
    ok = (len(done) == n and not errors and dropped == 0 and lost == 0 and recent_p99 < LATENCY_LIMIT_S
          and audio >= args.seconds * 0.9 and proc.returncode == 0)
    return dict(n=n, ok=ok, dropped_s=dropped, lost=lost, p99_s=p99, recent_p99_s=recent_p99, cpu_cores=cpu_cores,
                rss_mb=rss_mb,
                audio_s=audio, others=other_cores(before, after), errors=errors[:3], rc=proc.returncode,
                feeds_done=len(done))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=90.0,
                    help="wall-clock seconds per count (default 90: the latency is judged on the last minute)")
    ap.add_argument("--counts", default="1,10,20,40,60,80", help="feed counts to try, increasing")
    ap.add_argument("--core", type=int, default=0, help="the core the monitor is pinned to (default 0)")
    ap.add_argument("--source", choices=("file", "url"), default="file")
    ap.add_argument("--phases", choices=("aligned", "spread"), default="aligned",
                    help="url feeds: all streams start together, so every feed's hops end at the same moment "
                         "(aligned, the worst case: p99 latency is then about the feeds times one hop's work), or "
                         "each starts at its own phase of the hop, as independent stations do (spread)")
    ap.add_argument("--bisect", action="store_true", help="narrow down between the last count that held and the next")
    ap.add_argument("--keep-going", action="store_true", help="try every count, also after one that did not hold")
    ap.add_argument("--out", default=None, help="also write the output to this file")
    args = ap.parse_args(argv)
    counts = sorted({int(c) for c in args.counts.split(",")})
    out_lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        out_lines.append(text)

    say(f"$ python benchmarks/bench_monitor.py --seconds {args.seconds:g} --counts {args.counts} --source "
        f"{args.source}{' --phases spread' if args.phases == 'spread' else ''}{' --bisect' if args.bisect else ''}{' --keep-going' if args.keep_going else ''}"
        f"   # shipped model sha1 {model_sha1()}")
    say(f"machine: {machine_description()}; monitor pinned to core {args.core}; 1-min load before: "
        f"{os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench_monitor_") as tmp:
        wav = make_wav(os.path.join(tmp, "feed.wav"), args.seconds + 120.0)
        server = PacedWavServer(wav, 0.25 if args.phases == "spread" else 0.0) if args.source == "url" else None
        say(f"feeds: {args.source} feeds, assets/example.ogg tiled, served in real time"
            + (" (each stream starting at its own phase of the 0.25 s hop)" if server and server.spread_s else
               " (all streams starting together: hops end at the same moments)" if server else "")
            + "; alerts silence>=10, !music>=300, gap>=5 on each; hop 0.25 s")
        say(f"{'feeds':>5} {'held':>5} {'dropped_s':>9} {'lost':>5} {'p99_ms':>7} {'p99_all_ms':>10} {'cpu_cores':>9} "
            f"{'rss_mb':>7} {'others_cores':>12}")
        results: dict[int, dict] = {}

        def trial(n: int) -> dict:
            r = run_count(n, args, wav, server, tmp)
            results[n] = r
            say(f"{n:>5} {'yes' if r['ok'] else 'no':>5} {r['dropped_s']:>9.2f} {r['lost']:>5} "
                f"{r['recent_p99_s'] * 1000:>7.1f} {r['p99_s'] * 1000:>10.1f} {r['cpu_cores']:>9.2f} {r['rss_mb']:>7.0f} "
                f"{r['others']:>12.2f}"
                + (f"   ({r['feeds_done']} of {n} feeds reported; rc {r['rc']}; {'; '.join(r['errors'])})"
                   if r["feeds_done"] != n or r["errors"] else ""))
            return r

        last_ok, first_bad = None, None
        for n in counts:
            if trial(n)["ok"]:
                if first_bad is None:
                    last_ok = n
            elif first_bad is None:
                first_bad = n
                if not args.keep_going:
                    break
        if args.bisect and last_ok is not None and first_bad is not None:
            lo, hi = last_ok, first_bad
            while hi - lo > max(2, lo // 10):
                mid = (lo + hi) // 2
                if trial(mid)["ok"]:
                    lo = mid
                else:
                    hi = mid
            last_ok = lo
        if server is not None:
            server.close()
    if last_ok is None:
        say("no count held (see the table)")
    else:
        say(f"largest count that held on one core: {last_ok} feeds"
            + (f" (the next tried, {first_bad}, did not)" if first_bad else " (every count tried held)"))
    busiest = max(results.values(), key=lambda r: r["n"])
    whole = [r for r in results.values() if r["dropped_s"] == 0 and r["lost"] == 0 and r["feeds_done"] == r["n"]]
    if whole:  # all the audio analysed: the CPU it took is what the feeds need
        w = max(whole, key=lambda r: r["n"])
        per_feed = w["cpu_cores"] / w["n"]
        say(f"CPU per feed at {w['n']} feeds (the most with nothing dropped): {100 * per_feed:.1f} % of a core, so at "
            f"most {1 / per_feed:.0f} feeds per core by CPU alone (on an idle core; the latency aim above is the "
            "measured criterion)")
    if 1 in results and busiest["n"] > 1:
        per = (busiest["rss_mb"] - results[1]["rss_mb"]) / (busiest["n"] - 1)
        say(f"resident memory: 1 feed {results[1]['rss_mb']:.0f} MB, {busiest['n']} feeds {busiest['rss_mb']:.0f} MB, "
            f"{per:.1f} MB per extra feed")
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(out_lines) + "\n")
    return 0 if last_ok is not None else 1


if __name__ == "__main__":
    sys.exit(main())
