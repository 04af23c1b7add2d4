"""Command line: ``stream-tagger tag|live|replay|devices|evaluate|plot|report``.

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
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from .archive import command as archive_options  # noqa: E402
from .commands import common, live, options, tag  # noqa: E402
from .errors import PROG, TaggerError, error_line, report  # noqa: E402

LAZY_COMMANDS = {
    "evaluate": ("stream_tagger.evaluate", "score labels against reference labels (frame F1, confusion, boundary error)"),
    "plot": ("stream_tagger.gui.plot", "plot a file's labels and probabilities (needs the gui extra)"),
    "report": ("stream_tagger.report", "one HTML page about a tagged archive (summary CSV or folder of labels)"),
    "monitor": ("stream_tagger.monitor.command", "watch the feeds of a TOML config: alerts, metrics, as-run logs"),
}


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



def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Real-time speech / music / noise / silence tagger.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    parser.commands = sub.choices  # command name -> its parser

    p = sub.add_parser("tag", help="segments of whole files", description="Tag whole files into segments.")
    p.add_argument("files", nargs="*", metavar="FILE", help="audio files, folders, globs or URLs ('-' for standard input)")
    p.add_argument("--format", choices=tag.SEGMENT_FORMATS, default=None,
                   help="segment file format (default: from the -o file's extension, else csv)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="write to FILE (one input file; .csv .jsonl .txt "
                     ".TextGrid choose the format)")
    out.add_argument("--out-dir", metavar="DIR", help="write DIR/<name><ext> per input file")
    options.add_analysis_options(p)
    options.add_stdin_options(p)
    archive_options.add_archive_options(p)

    p = sub.add_parser("live", help="tag a live input device or network stream",
                       description="Tag a live input device or network stream.")
    p.add_argument("--device", default=None, help="input device index or name substring (see: devices)")
    p.add_argument("--device-rate", type=options.positive_int, default=None, metavar="HZ",
                   help="capture rate (default: the device's own rate)")
    live.add_stream_options(p)
    options.add_line_options(p)
    options.add_analysis_options(p)
    live.add_monitor_options(p)

    p = sub.add_parser("replay", help="replay a file as if live", description="Replay a file paced as if live.")
    p.add_argument("file", metavar="FILE", help="audio file ('-' for standard input)")
    p.add_argument("--speed", type=options.speed, default=1.0, help="pace factor (default 1; 0 = as fast as possible)")
    p.add_argument("--fast", action="store_true", help="as fast as possible (same as --speed 0)")
    p.add_argument("--play", action="store_true",
                   help="also play the file to the default output, in step with the window")
    options.add_line_options(p)
    options.add_analysis_options(p)
    options.add_stdin_options(p)
    live.add_monitor_options(p)

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

COMMANDS = {"tag": tag.cmd_tag, "live": live.cmd_live, "replay": live.cmd_replay, "devices": live.cmd_devices}

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
            common.info("interrupted")
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
