"""``stream-tagger tag``: segments of whole files, to standard output, ``-o FILE`` or ``--out-dir DIR``."""

from __future__ import annotations

import os

from ..errors import TaggerError, UsageError
from .common import err, make_tagger, stdin_source, stdout, warn_raw_options, write_segments

SEGMENT_FORMATS = ("csv", "jsonl", "audacity", "textgrid")  # stream_tagger.labels.FORMATS


class Progress:
    """A file's progress bar on stderr (tqdm), only when stderr is a terminal and the file is long."""

    def __init__(self, name: str, duration_s: float | None, min_duration_s: float = 30.0, enabled: bool = True):
        self._bar = None
        if enabled and duration_s and duration_s >= min_duration_s:
            from ..archive.progress import terminal_bar

            self._bar = terminal_bar(total=round(duration_s, 2), desc=name[:40], unit="s", leave=False,
                                     mininterval=0.1, bar_format="{desc} {percentage:5.1f}%|{bar}| {n:.0f}/{total:.0f} s "
                                                                 "[{elapsed}<{remaining}]")

    def __call__(self, hop) -> None:
        if self._bar is not None:
            self._bar.update(min(hop.end_s, self._bar.total) - self._bar.n)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.close()


def tag_destinations(args, fmt: str) -> list[str | None]:
    """Per input file: the segment file to write (None: standard output). Refuses two inputs
    that would write the same file (same name in different folders) before any work."""
    from ..labels import extension_for

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


def make_out_dir(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        raise TaggerError(f"--out-dir {path}: exists and is not a directory") from None
    except OSError as e:
        raise TaggerError(f"--out-dir {path}: cannot create ({e.strerror or e})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise TaggerError(f"--out-dir {path}: not writable")


def format_for_output(path: str, format_for_path) -> str:
    """The segment format ``-o path``'s extension names; an unknown one is a usage error."""
    fmt = format_for_path(path)
    if fmt is None:
        raise UsageError(f"-o {path}: the extension names no format (.csv, .jsonl, .txt for Audacity, "
                         ".TextGrid); give --format")
    return fmt


def cmd_tag(args) -> int:
    """Segments of each input file; a bad file is reported and skipped, exit 1 if any was bad."""
    from ..archive.command import run as run_archive, wants_archive
    from ..labels import format_for_path
    from ..sources import FileSource

    if not args.files and not args.from_list:
        args._tag_parser.error("the following arguments are required: FILE (or --from-list LIST)")
    if wants_archive(args):
        return run_archive(args)
    if len(args.files) > 1 and args.output:
        raise UsageError("-o/--output takes one input file; use --out-dir for several")
    if args.files.count("-") > 1:
        raise UsageError("standard input ('-') can be given only once")
    fmt = args.format or (format_for_output(args.output, format_for_path) if args.output else "csv")
    dests = tag_destinations(args, fmt)
    one_stream = len(args.files) > 1 and dests[0] is None  # several files' labels on stdout: a file column
    if one_stream and fmt not in ("csv", "jsonl"):
        raise UsageError(f"--format {fmt} holds one file's labels: give --out-dir DIR for several files")
    header = True
    if args.out_dir:
        make_out_dir(args.out_dir)
    elif not args.output:
        stdout()
    warn_raw_options(args, args.files)
    tagger = make_tagger(args)
    status = 0
    for path, dest in zip(args.files, dests):
        try:
            src = stdin_source(args) if path == "-" else FileSource(path)
            if path != "-":
                src.open()
            name = "stdin" if path == "-" else os.path.basename(path)
            progress = Progress(name, getattr(src, "duration_s", None), enabled=not args.no_progress)
            try:
                segments = tagger.segments(src, on_progress=progress)
            finally:
                progress.done()
            dur = tagger.stats.audio_s
            if dest is not None:
                write_segments(segments, fmt, dest, dur)
            else:
                try:
                    write_segments(segments, fmt, stdout(), dur, file=path if one_stream else None, header=header)
                    header = False
                except BrokenPipeError:
                    raise
                except OSError as e:
                    raise TaggerError(f"cannot write to standard output ({e.strerror or e})") from None
        except TaggerError as e:
            err(str(e))
            status = 1
            if len(args.files) == 1:
                return status
    return status
