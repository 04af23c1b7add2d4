"""Command line: ``stream-tagger tag|live|replay|devices|evaluate|plot``.

Every user-facing problem is one line ``stream-tagger: error: ...`` on stderr with exit status 1
(usage errors: 2, ``stream-tagger: error: COMMAND: ... (see stream-tagger COMMAND --help)``; see
:mod:`stream_tagger.errors`); no tracebacks. Headless ``live``/``replay`` and the window end cleanly
on Ctrl-C or SIGTERM (pending segments flushed, exit 0); anything else (``tag``, start-up) ends
with ``stream-tagger: interrupted`` and exit status 128 + the signal number (130 for SIGINT, 143
for SIGTERM), leaving no partial output file.
"""

from __future__ import annotations

import os

# One BLAS thread: the frontend's small matrix products only lose from more, and on a busy
# machine OpenBLAS's spinning threads slow them down many times. Must precede numpy's import.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import math  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from .errors import PROG, TaggerError, UsageError, error_line, report  # noqa: E402

SEGMENT_FORMATS = ("csv", "jsonl", "audacity", "textgrid")  # stream_tagger.labels.FORMATS
RAW_OPTIONS = {"rate": "rate_hz", "channels": "channels", "sample_format": "sample_format"}  # -> StdinSource
LAZY_COMMANDS = {
    "evaluate": ("stream_tagger.evaluate", "score labels against reference labels (frame F1, confusion, boundary error)"),
    "plot": ("stream_tagger.gui.plot", "plot a file's labels and probabilities (needs the gui extra)"),
}


def _err(msg: str) -> None:
    sys.stderr.write(error_line(msg) + "\n")
    sys.stderr.flush()


def _info(msg: str) -> None:
    sys.stderr.write(f"{PROG}: {msg}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line, exit 2:
    ``stream-tagger: error: tag: ... (see stream-tagger tag --help)``."""

    def error(self, message: str):
        command = self.prog[len(PROG):].strip() or None
        self.exit(2, error_line(message, command, usage=True) + "\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but arguments left over are reported by the command they were given to."""
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            commands = getattr(self, "commands", {})
            commands.get(getattr(ns, "command", None), self).error(f"unrecognized arguments: {' '.join(extras)}")
        return ns


def _bounded(kind: type, lo: float | None, hi: float | None, message: str):
    """An argparse type: ``kind`` (int or float) parsed from text, finite, within ``[lo, hi]`` (None = open)."""
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'an integer' if kind is int else 'a number'}: {text!r}") from None
        if not math.isfinite(v) or (lo is not None and v < lo - 1e-9) or (hi is not None and v > hi + 1e-9):
            raise argparse.ArgumentTypeError(message)
        return v
    return parse


def _speed(text: str) -> float:
    """``--speed``: 0 (as fast as possible) or a pace factor from 0.01 to 1000."""
    v = _bounded(float, 0.0, 1000.0, "speed must be 0 (as fast as possible) or between 0.01 and 1000")(text)
    if 0.0 < v < 0.01 - 1e-12:
        raise argparse.ArgumentTypeError("speed must be 0 (as fast as possible) or between 0.01 and 1000")
    return v


_hop = _bounded(float, 0.1, 1.0, "hop must be between 0.1 and 1.0 seconds")
_positive_int = _bounded(int, 1, None, "must be at least 1")
_threads = _bounded(int, 1, 64, "threads must be between 1 and 64")


def _silence_db(text: str) -> float:
    """``--silence-db``: a level within :data:`~stream_tagger.postprocess.SILENCE_DBFS_RANGE` (dBFS)."""
    from .postprocess import SILENCE_DBFS_RANGE

    lo, hi = SILENCE_DBFS_RANGE
    return _bounded(float, lo, hi, f"silence level must be between {lo:g} and {hi:g} dBFS")(text)


_duration = _bounded(float, 0.001, None, "duration must be a positive number of seconds")
_window_s = _bounded(float, 1.0, 3600.0, "window must be between 1 and 3600 seconds")


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("analysis")
    g.add_argument("--model", metavar="PATH", help="TFLite model (metadata JSON beside it); default: the shipped model")
    g.add_argument("--hop", type=_hop, default=0.25, metavar="S", help="hop in seconds, 0.1..1.0 (default 0.25)")
    g.add_argument("--threads", type=_threads, default=1, metavar="N", help="inference threads, 1..64 (default 1)")
    g.add_argument("--silence-db", type=_silence_db, default=None, metavar="DBFS",
                   help="silence below this level in dBFS, -120..0 (default: from the model metadata)")
    g.add_argument("--no-refine", action="store_true", help="keep hop-quantised boundaries (no level refinement)")


def _stdin_opts(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("raw audio on standard input ('-'; WAV streams are detected)")
    g.add_argument("--rate", type=_positive_int, default=None, metavar="HZ", help="raw sample rate (default 16000)")
    g.add_argument("--channels", type=_positive_int, default=None, metavar="N", help="raw channels (default 1)")
    g.add_argument("--sample-format", default=None, choices=("s16", "s24", "s32", "f32", "u8"),
                   help="raw sample format, little-endian (default s16)")


def _line_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true", help="no window: one line per hop on stdout")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="line format with --headless")
    p.add_argument("--duration", type=_duration, default=None, metavar="S",
                   help="analyse only the first S seconds of audio, then end")
    p.add_argument("--window-s", type=_window_s, default=30.0, metavar="S",
                   help="seconds of stream the window shows, 1..3600 (default 30)")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Real-time speech / music / noise / silence tagger.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    parser.commands = sub.choices  # command name -> its parser

    p = sub.add_parser("tag", help="segments of whole files", description="Tag whole files into segments.")
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files ('-' for standard input)")
    p.add_argument("--format", choices=SEGMENT_FORMATS, default=None,
                   help="segment file format (default: from the -o file's extension, else csv)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="write to FILE (one input file; .csv .jsonl .txt "
                     ".TextGrid choose the format)")
    out.add_argument("--out-dir", metavar="DIR", help="write DIR/<name><ext> per input file")
    _common(p)
    _stdin_opts(p)

    p = sub.add_parser("live", help="tag a live input device", description="Tag a live input device.")
    p.add_argument("--device", default=None, help="input device index or name substring (see: devices)")
    p.add_argument("--device-rate", type=_positive_int, default=None, metavar="HZ",
                   help="capture rate (default: the device's own rate)")
    _line_opts(p)
    _common(p)

    p = sub.add_parser("replay", help="replay a file as if live", description="Replay a file paced as if live.")
    p.add_argument("file", metavar="FILE", help="audio file ('-' for standard input)")
    p.add_argument("--speed", type=_speed, default=1.0, help="pace factor (default 1; 0 = as fast as possible)")
    p.add_argument("--fast", action="store_true", help="as fast as possible (same as --speed 0)")
    p.add_argument("--play", action="store_true",
                   help="also play the file to the default output, in step with the window")
    _line_opts(p)
    _common(p)
    _stdin_opts(p)

    p = sub.add_parser("devices", help="list audio input devices", description="List audio input devices.")

    cmd = _command_word(argv)
    for name, (module, helptext) in LAZY_COMMANDS.items():
        p = sub.add_parser(name, help=helptext, description=helptext)
        if cmd == name:  # import only when this command runs
            try:
                mod = importlib.import_module(module)
            except ImportError as e:
                p.set_defaults(_unavailable=f"the '{name}' command is not available ({e})")
                p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            else:
                mod.add_arguments(p)
                p.set_defaults(_lazy_run=mod.run)
    return parser


def _command_word(argv: list[str] | None) -> str | None:
    for a in argv or []:
        if not a.startswith("-"):
            return a
    return None


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------
def _make_tagger(args, defer_load: bool = False):
    from .engine import Tagger

    return Tagger(args.model, hop_s=args.hop, threads=args.threads, silence_dbfs=args.silence_db,
                  refine=not args.no_refine, defer_load=defer_load)


def _stdin_source(args):
    from .sources import StdinSource

    given = {kw: getattr(args, opt) for opt, kw in RAW_OPTIONS.items() if getattr(args, opt) is not None}
    return StdinSource(**given)  # its own defaults for the rest (16000 Hz, 1 channel, s16)


def _warn_raw_options(args, paths: list[str]) -> None:
    """``--rate``/``--channels``/``--sample-format`` describe raw standard input only: say so when
    they are given for files, whose headers say what they hold."""
    given = [f"--{k.replace('_', '-')}" for k in RAW_OPTIONS if getattr(args, k, None) is not None]
    if given and any(p != "-" for p in paths):
        _info(f"warning: {', '.join(given)} {'is' if len(given) == 1 else 'are'} for raw audio on standard input ('-') only; "
              "files are read with the rate and channels of their own header")


def _stdout():
    """Standard output for results; TaggerError when it is closed."""
    if sys.stdout is None:
        raise TaggerError("standard output is closed: give -o FILE or --out-dir DIR")
    return sys.stdout


def _write_segments(segments, fmt: str, out, duration_s: float | None = None, **kw) -> None:
    from .labels import write_segments

    write_segments(segments, fmt, out, duration_s=duration_s, **kw)


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal and the file is long."""

    def __init__(self, name: str, duration_s: float | None, min_duration_s: float = 30.0):
        self.name = name
        self.duration_s = duration_s
        self.enabled = bool(duration_s and duration_s >= min_duration_s and sys.stderr.isatty())
        self._last = 0.0

    def __call__(self, hop) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        frac = min(1.0, hop.end_s / self.duration_s)
        bar = "#" * int(frac * 30)
        sys.stderr.write(f"\r{self.name[:40]} [{bar:<30}] {frac * 100:5.1f}%")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def _tag_destinations(args, fmt: str) -> list[str | None]:
    """Per input file: the segment file to write (None: standard output). Refuses two inputs
    that would write the same file (same name in different folders) before any work."""
    from .labels import extension_for

    if not args.out_dir:
        return [args.output] * len(args.files)
    dests = [os.path.join(args.out_dir, ("stdin" if p == "-" else os.path.splitext(os.path.basename(p))[0])
                          + extension_for(fmt)) for p in args.files]
    seen: dict[str, str] = {}
    for path, dest in zip(args.files, dests):
        if dest in seen and seen[dest] != path:
            raise TaggerError(f"{seen[dest]} and {path} would both be written to {dest}; "
                              "tag them into different --out-dir folders")
        seen[dest] = path
    return dests


def _make_out_dir(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        raise TaggerError(f"--out-dir {path}: exists and is not a directory") from None
    except OSError as e:
        raise TaggerError(f"--out-dir {path}: cannot create ({e.strerror or e})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise TaggerError(f"--out-dir {path}: not writable")


def _format_for_output(path: str, format_for_path) -> str:
    """The segment format ``-o path``'s extension names; an unknown one is a usage error."""
    fmt = format_for_path(path)
    if fmt is None:
        raise UsageError(f"-o {path}: the extension names no format (.csv, .jsonl, .txt for Audacity, "
                         ".TextGrid); give --format")
    return fmt


def cmd_tag(args) -> int:
    """Segments of each input file; a bad file is reported and skipped, exit 1 if any was bad."""
    from .labels import format_for_path
    from .sources import FileSource

    if len(args.files) > 1 and args.output:
        raise UsageError("-o/--output takes one input file; use --out-dir for several")
    if args.files.count("-") > 1:
        raise UsageError("standard input ('-') can be given only once")
    fmt = args.format or (_format_for_output(args.output, format_for_path) if args.output else "csv")
    dests = _tag_destinations(args, fmt)
    one_stream = len(args.files) > 1 and dests[0] is None  # several files' labels on stdout: a file column
    if one_stream and fmt not in ("csv", "jsonl"):
        raise UsageError(f"--format {fmt} holds one file's labels: give --out-dir DIR for several files")
    header = True
    if args.out_dir:
        _make_out_dir(args.out_dir)
    elif not args.output:
        _stdout()
    _warn_raw_options(args, args.files)
    tagger = _make_tagger(args)
    status = 0
    for path, dest in zip(args.files, dests):
        try:
            src = _stdin_source(args) if path == "-" else FileSource(path)
            if path != "-":
                src.open()
            name = "stdin" if path == "-" else os.path.basename(path)
            progress = _Progress(name, getattr(src, "duration_s", None))
            try:
                segments = tagger.segments(src, on_progress=progress)
            finally:
                progress.done()
            dur = tagger.stats.audio_s
            if dest is not None:
                _write_segments(segments, fmt, dest, dur)
            else:
                try:
                    _write_segments(segments, fmt, _stdout(), dur, file=path if one_stream else None, header=header)
                    header = False
                except BrokenPipeError:
                    raise
                except OSError as e:
                    raise TaggerError(f"cannot write to standard output ({e.strerror or e})") from None
        except TaggerError as e:
            _err(str(e))
            status = 1
            if len(args.files) == 1:
                return status
    return status


def _install_stop_handlers(tagger) -> None:
    def handler(signum, frame):
        tagger.stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _run_lines(tagger, source, args) -> int:
    from .outputs import LineWriter

    writer = LineWriter(args.format, out=_stdout())
    _install_stop_handlers(tagger)
    t0 = time.monotonic()
    last_dropped = last_lost = 0
    announced = False
    for ev in tagger.stream(source, duration_s=args.duration):
        writer.event(ev)
        if not announced:
            announced = True
            _info(f"source: {source.description} ({source.sample_rate_hz} Hz), hop {tagger.hop_s:g} s, "
                  f"model {os.path.basename(tagger.model.path)}")
        if writer.broken:
            tagger.stop()
        dropped = getattr(ev, "dropped_samples", 0)
        if dropped > last_dropped:
            _info(f"warning: {dropped / 16000:.2f} s of audio dropped so far (analysis fell behind)")
            last_dropped = dropped
        lost = tagger.stats.lost_events
        if lost > last_lost:
            _info(f"warning: {lost} events lost so far (standard output was not read in time)")
            last_lost = lost
    if writer.error:
        raise TaggerError(f"cannot write to standard output ({writer.error})")
    st = tagger.stats
    _info(f"done: {st.audio_s:.2f} s of audio in {time.monotonic() - t0:.2f} s, {st.hops} hops, "
          f"{st.segments} segments, {st.dropped_samples / 16000:.2f} s dropped, {st.lost_events} events lost")
    return 0


def _run_gui(tagger, source, args) -> int:
    try:
        window = importlib.import_module("stream_tagger.gui.window")
    except ImportError as e:
        missing = getattr(e, "name", "") or ""
        if missing.split(".")[0] in ("PyQt5", "pyqtgraph"):
            raise TaggerError("the live window needs PyQt5 and pyqtgraph: pip install stream-tagger[gui] "
                              "(or use --headless)") from None
        raise TaggerError(f"the live window is not available ({e}); use --headless") from None
    return int(window.run_window(tagger, source, args) or 0)


def cmd_live(args) -> int:
    from .sources import MicSource

    tagger = _make_tagger(args, defer_load=args.headless)  # the model loads while capture starts
    source = MicSource(args.device, rate_hz=args.device_rate)
    source.open()
    return _run_lines(tagger, source, args) if args.headless else _run_gui(tagger, source, args)


def cmd_replay(args) -> int:
    from .sources import FileSource

    speed = None if (args.fast or args.speed == 0) else args.speed
    _warn_raw_options(args, [args.file])
    if args.play and args.headless:
        _info("warning: --play sounds the file beside the window only; with --headless it is not played")
    elif args.play and speed != 1.0:
        _info("warning: --play paces the replay by the sound card at speed 1; --fast/--speed are ignored")
    tagger = _make_tagger(args, defer_load=args.headless)
    if args.file == "-":
        source = _stdin_source(args)
    else:
        source = FileSource(args.file, speed=speed)
    source.open()
    return _run_lines(tagger, source, args) if args.headless else _run_gui(tagger, source, args)


def cmd_devices(args) -> int:
    from .outputs import write_text
    from .sources import list_input_devices

    devices = list_input_devices()
    if not devices:
        raise TaggerError("no input devices found")
    lines = [f"{'index':>5}  {'rate_hz':>7}  {'ch':>3}  name"]
    for d in devices:
        mark = " (default)" if d["is_default"] else ""
        lines.append(f"{d['index']:>5}  {d['default_rate_hz']:>7}  {d['channels']:>3}  "
                     f"{d['name']} [{d['hostapi']}]{mark}")
    try:
        write_text(_stdout(), "\n".join(lines) + "\n")
    except BrokenPipeError:
        raise
    except OSError as e:
        raise TaggerError(f"cannot write to standard output ({e.strerror or e})") from None
    return 0


COMMANDS = {"tag": cmd_tag, "live": cmd_live, "replay": cmd_replay, "devices": cmd_devices}

_signal_received: int | None = None  # the SIGINT or SIGTERM that interrupted this run


def _on_interrupt(signum, frame) -> None:
    """SIGINT and SIGTERM until a command installs its own (headless lines, the window): the first
    one raises KeyboardInterrupt in the main thread, later ones are ignored so that the clean-up
    (the worker's join, a temporary file's removal) is not cut short."""
    global _signal_received
    if _signal_received is None:
        _signal_received = signum
        raise KeyboardInterrupt


def _install_interrupt_handlers() -> dict:
    """Install :func:`_on_interrupt` for SIGINT and SIGTERM; returns the handlers it replaced
    (none when not on the main thread, where Python allows no handlers)."""
    global _signal_received
    _signal_received = None
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _on_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}


def main(argv: list[str] | None = None) -> int:
    """The ``stream-tagger`` command; returns the exit status (argparse's usage errors exit 2)."""
    previous = _install_interrupt_handlers()  # first: a signal during the imports below is reported too
    command = None
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        command = args.command
        if getattr(args, "_unavailable", None):
            raise TaggerError(args._unavailable)
        if getattr(args, "_lazy_run", None):
            status = int(args._lazy_run(args) or 0)
        else:
            status = COMMANDS[args.command](args)
        if _signal_received is not None:  # the KeyboardInterrupt was swallowed on its way
            raise KeyboardInterrupt
        return status
    except SystemExit:
        raise
    except BaseException as e:
        if _signal_received is not None or isinstance(e, KeyboardInterrupt):
            # whatever the signal broke (even an import half done) is reported as the interruption
            _info("interrupted")
            return 128 + int(_signal_received or signal.SIGINT)
        if isinstance(e, TaggerError):
            return report(e, command)
        if isinstance(e, BrokenPipeError):
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:
                pass
            return 0
        raise
    finally:
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
