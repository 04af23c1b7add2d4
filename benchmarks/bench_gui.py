"""Redraw rate and CPU share of the live window while it follows a live-paced replay.

Runs the real window (under a private Xvfb unless ``--display`` says to use the current
DISPLAY) on ``stream-tagger replay FILE`` at speed 1 for ``--seconds`` of stream, and prints:

* redraws per second (display updates done by the window's timer) and paints per second
  (paint events of the plots' view, i.e. frames that reached the screen);
* time spent in one display update (median / 95th percentile / max, ms);
* CPU share (% of one core) of the GUI thread, of the other threads of the process (engine,
  source) and of the X server;
* the engine's load and dropped audio (the analysis must not be disturbed).

    python3 benchmarks/bench_gui.py [FILE] [--seconds 30] [--model PATH] [--hop 0.25]

Without FILE, a 60 s generated file (music, noise, speech-like and silent stretches) is used.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))


def _cpu_by_thread(proc) -> dict[int, float]:
    return {t.id: t.user_time + t.system_time for t in proc.threads()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", help="audio file to replay (default: a generated 60 s file)")
    ap.add_argument("--seconds", type=float, default=30.0, help="stream seconds to follow (default 30)")
    ap.add_argument("--model", default=None, help="TFLite model (default: the shipped one)")
    ap.add_argument("--hop", type=float, default=0.25, help="hop in seconds (default 0.25)")
    ap.add_argument("--window-s", type=float, default=30.0, help="seconds shown (default 30)")
    ap.add_argument("--display", action="store_true", help="use the current DISPLAY instead of a private Xvfb")
    args = ap.parse_args(argv)

    import psutil

    from stream_tagger.gui.xvfb import virtual_display

    path = args.file
    tmp = None
    if path is None:
        import soundfile as sf
        from gui_signals import make_known_file

        tmp = tempfile.TemporaryDirectory()
        one = os.path.join(tmp.name, "one.wav")
        make_known_file(one)
        x, rate = sf.read(one, dtype="float32")
        path = os.path.join(tmp.name, "bench60.wav")
        sf.write(path, np.tile(x, 4)[: 60 * rate], rate)

    display = None if args.display else virtual_display()
    if display is not None:
        display.__enter__()
    try:
        from PyQt5 import QtCore, QtWidgets

        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench_gui"])
        from stream_tagger.engine import Tagger
        from stream_tagger.gui.feed import Feed
        from stream_tagger.gui.window import LiveWindow
        from stream_tagger.sources import FileSource

        tagger = Tagger(args.model, hop_s=args.hop)
        src = FileSource(path, speed=1.0)
        src.open()
        feed = Feed.start(tagger, src)
        win = LiveWindow(feed, window_s=args.window_s)
        win.show()

        paints = [0]

        class PaintCounter(QtCore.QObject):
            def eventFilter(self, obj, ev):  # noqa: N802 (Qt name)
                if ev.type() == QtCore.QEvent.Paint:
                    paints[0] += 1
                return False

        counter = PaintCounter()
        win.graphics.viewport().installEventFilter(counter)
        tick_ms: list[float] = []
        orig_tick = win.tick

        def timed_tick():
            t0 = time.perf_counter()
            orig_tick()
            tick_ms.append(1000 * (time.perf_counter() - t0))

        win.timer.timeout.disconnect()
        win.timer.timeout.connect(timed_tick)

        proc = psutil.Process()
        xserver = None
        if display is not None:
            for p in psutil.process_iter(["name", "cmdline"]):
                if p.info["name"] == "Xvfb" and os.environ.get("DISPLAY", "") in (p.info["cmdline"] or []):
                    xserver = p
        def run_loop(seconds: float) -> None:
            """Qt's own event loop (as in the application) until ``seconds`` pass or the stream ends."""
            loop = QtCore.QEventLoop()
            end = time.monotonic() + seconds
            check = QtCore.QTimer()
            check.timeout.connect(lambda: loop.quit() if time.monotonic() >= end or not feed.running else None)
            check.start(50)
            loop.exec_()
            check.stop()

        run_loop(2.0)  # warm up, then measure
        main_id = proc.pid
        cpu0 = _cpu_by_thread(proc)
        x0 = sum(xserver.cpu_times()[:2]) if xserver else None
        r0, p0, n0 = win.redraws, paints[0], len(tick_ms)
        w0 = time.monotonic()
        s0 = feed.snapshot().stream_time_s
        run_loop(args.seconds)
        wall = time.monotonic() - w0
        cpu1 = _cpu_by_thread(proc)
        x1 = sum(xserver.cpu_times()[:2]) if xserver else None
        snap = feed.snapshot()
        redraws, painted = win.redraws - r0, paints[0] - p0
        ticks = np.array(tick_ms[n0:])
        gui_cpu = cpu1.get(main_id, 0.0) - cpu0.get(main_id, 0.0)
        other_cpu = sum(v - cpu0.get(k, 0.0) for k, v in cpu1.items() if k != main_id)
        win.close()

        print(f"bench_gui: {os.path.basename(path)}, {wall:.1f} s wall, {snap.stream_time_s - s0:.1f} s of stream "
              f"(live-paced), hop {tagger.hop_s} s, window {args.window_s:g} s, "
              f"{win.width()}x{win.height()} px, model {os.path.basename(tagger.model.path)}")
        print(f"  redraws/s          {redraws / wall:6.1f}   (timer {1000 // max(1, win.timer.interval())} Hz)")
        print(f"  paints/s           {painted / wall:6.1f}")
        if ticks.size:
            print(f"  update time ms     median {np.median(ticks):.2f}  p95 {np.percentile(ticks, 95):.2f}  "
                  f"max {ticks.max():.2f}")
        print(f"  CPU GUI thread     {100 * gui_cpu / wall:6.1f} % of one core")
        print(f"  CPU other threads  {100 * other_cpu / wall:6.1f} % (engine worker, source)")
        if x1 is not None:
            print(f"  CPU X server       {100 * (x1 - x0) / wall:6.1f} % (Xvfb)")
        print(f"  engine load        {100 * (snap.load or 0):6.1f} %   dropped {snap.dropped_samples} samples")
        print(f"  machine            {psutil.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    finally:
        if display is not None:
            display.__exit__(None, None, None)
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
