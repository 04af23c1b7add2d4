"""Option groups and argparse types shared by the verbs: analysis settings, raw standard input,
line output. Each type refuses out-of-range values with a message naming the bound and its unit."""

from __future__ import annotations

import argparse
import math


def bounded(kind: type, lo: float | None, hi: float | None, message: str):
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


def speed(text: str) -> float:
    """``--speed``: 0 (as fast as possible) or a pace factor from 0.01 to 1000."""
    v = bounded(float, 0.0, 1000.0, "speed must be 0 (as fast as possible) or between 0.01 and 1000")(text)
    if 0.0 < v < 0.01 - 1e-12:
        raise argparse.ArgumentTypeError("speed must be 0 (as fast as possible) or between 0.01 and 1000")
    return v


hop = bounded(float, 0.1, 1.0, "hop must be between 0.1 and 1.0 seconds")
positive_int = bounded(int, 1, None, "must be at least 1")
threads = bounded(int, 1, 64, "threads must be between 1 and 64")


def silence_db(text: str) -> float:
    """``--silence-db``: a level within :data:`~stream_tagger.postprocess.SILENCE_DBFS_RANGE` (dBFS)."""
    from ..postprocess import SILENCE_DBFS_RANGE

    lo, hi = SILENCE_DBFS_RANGE
    return bounded(float, lo, hi, f"silence level must be between {lo:g} and {hi:g} dBFS")(text)


def min_silence_s(text: str) -> float:
    """``--min-silence-s``: a pause length within :data:`~stream_tagger.postprocess.MIN_SILENCE_S_RANGE`
    (seconds; 0 turns the pause rule off)."""
    from ..postprocess import MIN_SILENCE_S_RANGE

    lo, hi = MIN_SILENCE_S_RANGE
    return bounded(float, lo, hi, f"min silence must be between {lo:g} and {hi:g} seconds")(text)


def floor_margin_db(text: str) -> float:
    """``--floor-margin-db``: a level difference within :data:`~stream_tagger.postprocess.FLOOR_MARGIN_DB_RANGE` (dB)."""
    from ..postprocess import FLOOR_MARGIN_DB_RANGE

    lo, hi = FLOOR_MARGIN_DB_RANGE
    return bounded(float, lo, hi, f"floor margin must be between {lo:g} and {hi:g} dB")(text)


duration = bounded(float, 0.001, None, "duration must be a positive number of seconds")
timeout_s = bounded(float, 0.1, 3600.0, "timeout must be between 0.1 and 3600 seconds")
retries = bounded(int, 0, None, "must be 0 or more")
window_s = bounded(float, 1.0, 3600.0, "window must be between 1 and 3600 seconds")


def add_analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("analysis")
    g.add_argument("--model", metavar="PATH", help="TFLite model (metadata JSON beside it); default: the shipped model")
    g.add_argument("--hop", type=hop, default=0.25, metavar="S", help="hop in seconds, 0.1..1.0 (default 0.25)")
    g.add_argument("--threads", type=threads, default=1, metavar="N", help="inference threads, 1..64 (default 1)")
    g.add_argument("--silence-db", type=silence_db, default=None, metavar="DBFS",
                   help="silence below this level in dBFS, -120..0 (default: from the model metadata)")
    g.add_argument("--min-silence-s", type=min_silence_s, default=None, metavar="S",
                   help="pauses: silence shorter than S seconds between two stretches of the same label is "
                        "that label, not silence, 0..60 (0: every silence; default: from the model metadata, 0.5)")
    g.add_argument("--silence-mode", choices=("absolute", "floor"), default=None,
                   help="absolute: silence only below --silence-db; floor: also within --floor-margin-db of "
                        "the input's tracked noise floor while neither speech nor music is on "
                        "(default: from the model metadata)")
    g.add_argument("--floor-margin-db", type=floor_margin_db, default=None, metavar="DB",
                   help="floor mode: silent up to this far above the tracked noise floor, 0..40 dB "
                        "(default: from the model metadata)")
    g.add_argument("--no-refine", action="store_true", help="keep hop-quantised boundaries (no level refinement)")


def add_stdin_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("raw audio on standard input ('-'; WAV streams are detected)")
    g.add_argument("--rate", type=positive_int, default=None, metavar="HZ", help="raw sample rate (default 16000)")
    g.add_argument("--channels", type=positive_int, default=None, metavar="N", help="raw channels (default 1)")
    g.add_argument("--sample-format", default=None, choices=("s16", "s24", "s32", "f32", "u8"),
                   help="raw sample format, little-endian (default s16)")


def add_line_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true", help="no window: one line per hop on stdout")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="line format with --headless")
    p.add_argument("--duration", type=duration, default=None, metavar="S",
                   help="analyse only the first S seconds of audio, then end")
    p.add_argument("--window-s", type=window_s, default=30.0, metavar="S",
                   help="seconds of stream the window shows, 1..3600 (default 30)")

