"""Errors the CLI reports as one clear line (no traceback) with a non-zero exit.

Every command writes its errors through :func:`report`, in one format::

    stream-tagger: error: talk.wav: no such file                                  (exit status 1)
    stream-tagger: error: tag: hop must be ... (see stream-tagger tag --help)       (exit status 2)

Exit status 1: bad input (files, devices, models, outputs); 2: a command line the command cannot
run (:class:`UsageError`, and argparse's own errors).
"""

from __future__ import annotations

import sys

PROG = "stream-tagger"


class TaggerError(Exception):
    """A user-facing problem: bad input file, device, or model. Message is one line."""


class AudioFileError(TaggerError):
    """A file that is missing, not audio, truncated, empty or in an unsupported format."""


class ModelError(TaggerError):
    """A model file that is missing, corrupt, or whose metadata does not fit the runtime."""


class DeviceError(TaggerError):
    """An unknown or vanished audio device, or a sample rate it refuses."""


class StreamError(TaggerError):
    """A network stream that cannot be opened (bad URL, refused, not audio, no decoder), or that
    was lost for good (its reconnection attempts used up)."""


class UsageError(TaggerError):
    """Options that do not go together or do not say what to do (exit status 2), found after parsing."""


def error_line(message: str, command: str | None = None, usage: bool = False) -> str:
    """The one error line (no newline). ``usage``: name ``command`` and point to its ``--help``."""
    if not usage:
        return f"{PROG}: error: {message}"
    where = f"{command}: " if command else ""
    help_prog = f"{PROG} {command}" if command else PROG
    return f"{PROG}: error: {where}{message} (see {help_prog} --help)"


def report(exc: BaseException | str, command: str | None = None) -> int:
    """Write ``exc`` as the one error line on stderr; returns the exit status (2 for a
    :class:`UsageError` of ``command``, else 1)."""
    usage = isinstance(exc, UsageError)
    sys.stderr.write(error_line(str(exc), command, usage) + "\n")
    sys.stderr.flush()
    return 2 if usage else 1


def short_reason(e: BaseException) -> str:
    """The last line of an exception's message (library errors often hold several), or its type's name."""
    msg = str(e).strip().splitlines()
    return msg[-1] if msg else type(e).__name__
