"""What every verb uses: one-line messages on stderr, the Tagger built from the analysis options,
standard input as a source, standard output checked for being open."""

from __future__ import annotations

import sys

from ..errors import PROG, TaggerError, error_line

RAW_OPTIONS = {"rate": "rate_hz", "channels": "channels", "sample_format": "sample_format"}  # -> StdinSource


def err(msg: str) -> None:
    sys.stderr.write(error_line(msg) + "\n")
    sys.stderr.flush()


def info(msg: str) -> None:
    sys.stderr.write(f"{PROG}: {msg}\n")
    sys.stderr.flush()



def make_tagger(args, defer_load: bool = False):
    from ..engine import Tagger

    return Tagger(args.model, hop_s=args.hop, threads=args.threads, silence_dbfs=args.silence_db,
                  min_silence_s=args.min_silence_s, refine=not args.no_refine, defer_load=defer_load,
                  silence_mode=args.silence_mode, floor_margin_db=args.floor_margin_db)


def stdin_source(args):
    from ..sources import StdinSource

    given = {kw: getattr(args, opt) for opt, kw in RAW_OPTIONS.items() if getattr(args, opt) is not None}
    return StdinSource(**given)  # its own defaults for the rest (16000 Hz, 1 channel, s16)


def warn_raw_options(args, paths: list[str]) -> None:
    """``--rate``/``--channels``/``--sample-format`` describe raw standard input only: say so when
    they are given for files, whose headers say what they hold."""
    given = [f"--{k.replace('_', '-')}" for k in RAW_OPTIONS if getattr(args, k, None) is not None]
    if given and any(p != "-" for p in paths):
        info(f"warning: {', '.join(given)} {'is' if len(given) == 1 else 'are'} for raw audio on standard input ('-') only; "
              "files are read with the rate and channels of their own header")


def stdout():
    """Standard output for results; TaggerError when it is closed."""
    if sys.stdout is None:
        raise TaggerError("standard output is closed: give -o FILE or --out-dir DIR")
    return sys.stdout


def write_segments(segments, fmt: str, out, duration_s: float | None = None, **kw) -> None:
    from ..labels import write_segments

    write_segments(segments, fmt, out, duration_s=duration_s, **kw)
