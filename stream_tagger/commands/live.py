"""``stream-tagger live|replay|devices``: a live device, a network stream (``live --url``) or a
paced file, as lines on stdout (``--headless``) or in the window; the device list."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import time

from ..errors import TaggerError, UsageError
from ..monitor import options as monitor_options
from . import options
from .common import info, make_tagger, stdin_source, stdout, warn_raw_options

add_monitor_options = monitor_options.add_monitor_options  # --alert, --metrics-port, --log-dir, ...


def add_stream_options(p: argparse.ArgumentParser) -> None:
    """``live``'s network stream options: ``--url``, ``--max-retries``, ``--timeout``."""
    g = p.add_argument_group("network stream (needs the monitor extra: pip install 'stream-tagger[monitor]')")
    g.add_argument("--url", default=None, metavar="URL",
                   help="read a network stream instead of a device: Icecast/Shoutcast HTTP (MP3, AAC, Ogg), "
                        "HLS .m3u8, RTSP, a file URL (anything FFmpeg opens)")
    g.add_argument("--max-retries", type=options.retries, default=None, metavar="N",
                   help="give up (exit 1) after N reconnection attempts in a row (default: retry forever)")
    g.add_argument("--timeout", type=options.timeout_s, default=None, metavar="S",
                   help="longest wait for a connection or a read, seconds, 0.1..3600 (default 10); a stream "
                        "silent that long is reconnected")


def stream_source(args):
    """The :class:`StreamSource` of ``live --url`` (usage errors for options that do not fit)."""
    if args.device is not None or args.device_rate is not None:
        raise UsageError("--url reads a network stream; --device and --device-rate are for input devices")
    from ..sources.stream import StreamSource

    return StreamSource(args.url, timeout_s=10.0 if args.timeout is None else args.timeout,
                        max_retries=args.max_retries)


def install_stop_handlers(tagger) -> None:
    def handler(signum, frame):
        tagger.stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run_lines(tagger, source, args) -> int:
    from ..outputs import LineWriter

    out = stdout()
    monitor = monitor_options.start(args, tagger, source, out)
    try:
        writer = LineWriter(args.format, out=monitor.out if monitor else out, utc=hasattr(source, "clock"))  # live: UTC
        return _run_lines(tagger, source, args, writer, monitor)
    finally:
        if monitor is not None:
            monitor.close()


def _run_lines(tagger, source, args, writer, monitor) -> int:
    install_stop_handlers(tagger)
    t0 = time.monotonic()
    last_dropped = last_lost = 0
    announced = False
    for ev in tagger.stream(source, duration_s=args.duration):
        writer.event(ev)
        if monitor is not None:
            monitor.event(ev)
        if not announced:
            announced = True
            info(f"source: {source.description} ({source.sample_rate_hz} Hz), hop {tagger.hop_s:g} s, "
                  f"model {os.path.basename(tagger.model.path)}")
        if writer.broken:
            tagger.stop()
        dropped = getattr(ev, "dropped_samples", 0)
        if dropped > last_dropped:
            info(f"warning: {dropped / 16000:.2f} s of audio dropped so far (analysis fell behind)")
            last_dropped = dropped
        lost = tagger.stats.lost_events
        if lost > last_lost:
            info(f"warning: {lost} events lost so far (standard output was not read in time)")
            last_lost = lost
    if writer.error:
        raise TaggerError(f"cannot write to standard output ({writer.error})")
    st = tagger.stats
    info(f"done: {st.audio_s:.2f} s of audio in {time.monotonic() - t0:.2f} s, {st.hops} hops, "
          f"{st.segments} segments, {st.dropped_samples / 16000:.2f} s dropped, {st.lost_events} events lost"
          + (f", {st.gaps} gap{'s' * (st.gaps != 1)} ({st.gap_s:.1f} s without audio)" if st.gaps else ""))
    return 0


def run_gui(tagger, source, args) -> int:
    try:
        window = importlib.import_module("stream_tagger.gui.window")
    except ImportError as e:
        missing = getattr(e, "name", "") or ""
        if missing.split(".")[0] in ("PyQt5", "pyqtgraph"):
            raise TaggerError("the live window needs PyQt5 and pyqtgraph: pip install stream-tagger[gui] "
                              "(or use --headless)") from None
        raise TaggerError(f"the live window is not available ({e}); use --headless") from None
    import sys

    monitor = monitor_options.start(args, tagger, source, sys.stdout)  # alert lines on stdout, status in the window
    try:
        return int(window.run_window(tagger, source, args, monitor=monitor) or 0)
    finally:
        if monitor is not None:
            monitor.close()


def cmd_live(args) -> int:
    from ..sources import MicSource

    monitor_options.check_args(args)
    if args.url is None and (args.timeout is not None or args.max_retries is not None):
        raise UsageError("--timeout and --max-retries are for a network stream (--url)")
    tagger = make_tagger(args, defer_load=args.headless)  # the model loads while capture starts
    source = stream_source(args) if args.url is not None else MicSource(args.device, rate_hz=args.device_rate)
    source.open()
    return run_lines(tagger, source, args) if args.headless else run_gui(tagger, source, args)


def cmd_replay(args) -> int:
    from ..sources import FileSource

    monitor_options.check_args(args)
    speed = None if (args.fast or args.speed == 0) else args.speed
    warn_raw_options(args, [args.file])
    if args.play and args.headless:
        info("warning: --play sounds the file beside the window only; with --headless it is not played")
    elif args.play and speed != 1.0:
        info("warning: --play paces the replay by the sound card at speed 1; --fast/--speed are ignored")
    tagger = make_tagger(args, defer_load=args.headless)
    if args.file == "-":
        source = stdin_source(args)
    else:
        source = FileSource(args.file, speed=speed)
    source.open()
    return run_lines(tagger, source, args) if args.headless else run_gui(tagger, source, args)


def cmd_devices(args) -> int:
    from ..outputs import write_text
    from ..sources import list_input_devices

    devices = list_input_devices()
    if not devices:
        raise TaggerError("no input devices found")
    lines = [f"{'index':>5}  {'rate_hz':>7}  {'ch':>3}  name"]
    for d in devices:
        mark = " (default)" if d["is_default"] else ""
        lines.append(f"{d['index']:>5}  {d['default_rate_hz']:>7}  {d['channels']:>3}  "
                     f"{d['name']} [{d['hostapi']}]{mark}")
    try:
        write_text(stdout(), "\n".join(lines) + "\n")
    except BrokenPipeError:
        raise
    except OSError as e:
        raise TaggerError(f"cannot write to standard output ({e.strerror or e})") from None
    return 0
