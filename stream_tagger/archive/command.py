"""The ``tag`` verb's archive path: its options (:func:`add_archive_options`) and the run
(:func:`run`): inputs expanded, files tagged by :func:`~stream_tagger.archive.run.results`
(this process, ``--jobs`` workers or ``--dask``), outputs written here, in the main process,
whole (temporary name, then rename), the summary and the last line counting ok, failed and
skipped inputs. Exit status 0 only if every input is ok or skipped; Ctrl-C keeps the finished
outputs, stops the workers and exits 130.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import TaggerError, UsageError, error_line

SEE = "see the README, 'Archives'"


def jobs_count(text: str) -> int:
    """``--jobs``: 0 (one per core) or a number of worker processes."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= v <= 1024:
        raise argparse.ArgumentTypeError("jobs must be 0 (one per core) or between 1 and 1024")
    return v


def split_seconds(text: str) -> float:
    """``--split-s``: 0 (never split) or at least 120 seconds (a piece reads 30 s beyond each cut)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (v == 0 or 120 <= v < float("inf")):
        raise argparse.ArgumentTypeError("split length must be 0 (never) or at least 120 seconds")
    return v


def add_archive_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("archives: many files, folders, globs, lists and URLs (" + SEE + ")")
    g.add_argument("--jobs", type=jobs_count, default=None, metavar="N",
                   help="worker processes on this machine (default 1; 0 = one per core)")
    g.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="send the files as tasks to a running Dask scheduler, e.g. tcp://host:8786 (cluster extra)")
    g.add_argument("--from-list", metavar="FILE", default=None,
                   help="also tag the paths or URLs listed in FILE, one a line ('-': standard input)")
    g.add_argument("--summary", metavar="FILE.csv", default=None,
                   help="one row per input: file,status,duration_s,speech_s,music_s,noise_s,silence_s,segments,error")
    g.add_argument("--resume", action="store_true",
                   help="with --out-dir: skip inputs whose outputs an earlier run completed with the same model "
                        "and options")
    g.add_argument("--split-s", type=split_seconds, default=None, metavar="S",
                   help="tag WAV and FLAC files longer than S seconds in pieces, in parallel (default 3600; 0 = never)")
    g.add_argument("--no-progress", action="store_true",
                   help="no progress display (shown only while stderr is a terminal)")
    p.set_defaults(_tag_parser=p)


def wants_archive(args) -> bool:
    """True when the archive path runs: an archive option, or an input that stands for several
    files or a remote one (a folder, a glob, a URL)."""
    from .inputs import GLOB_CHARS
    from .remote import is_url

    if (args.jobs is not None or args.dask or args.from_list or args.summary or args.resume
            or args.split_s is not None):
        return True
    return any(f != "-" and (is_url(f) or os.path.isdir(f) or (any(c in f for c in GLOB_CHARS)
                                                              and not os.path.lexists(f))) for f in args.files)


def _check_usage(args) -> None:
    if "-" in args.files:
        raise UsageError("standard input ('-') is one stream: tag it without the archive options, folders, "
                         "globs or URLs")
    if args.resume and not args.out_dir:
        raise UsageError("--resume needs --out-dir (it reads the outputs of the earlier run there)")
    if args.dask and args.jobs is not None:
        raise UsageError("give --jobs (this machine) or --dask (a cluster), not both")


class _Stdout:
    """Standard output in input order (results come in any order): texts wait for their turn."""

    def __init__(self, fmt: str, order: list[int], file_column: bool):
        self.fmt, self.file_column = fmt, file_column
        self.order, self.pos = order, 0
        self.ready: dict[int, tuple | None] = {}
        self.header = True

    def put(self, idx: int, spec: str | None, segments=None) -> None:
        """``segments`` of input ``idx`` (None: it failed, nothing to write)."""
        from ..commands.common import stdout
        from ..labels import format_segments
        from ..outputs import write_text

        self.ready[idx] = None if segments is None else (spec, segments)
        while self.pos < len(self.order) and self.order[self.pos] in self.ready:
            got = self.ready.pop(self.order[self.pos])
            self.pos += 1
            if got is None:
                continue
            spec, segs = got
            text = format_segments(segs, self.fmt, duration_s=segs.duration_s,
                                   file=spec if self.file_column else None, header=self.header)
            self.header = False
            try:
                write_text(stdout(), text)
            except BrokenPipeError:
                raise
            except OSError as e:
                raise TaggerError(f"cannot write to standard output ({e.strerror or e})") from None


def _prepare(args):
    """Usage checks, inputs, format, destinations, out-dir: everything before any work."""
    from ..commands.tag import format_for_output
    from ..labels import extension_for, format_for_path
    from .inputs import destinations, expand_inputs

    _check_usage(args)
    items = expand_inputs(args.files, args.from_list)
    if not items:
        raise TaggerError("no inputs: give files, folders, globs or URLs, or --from-list FILE")
    if args.output and len(items) > 1:
        raise UsageError(f"-o/--output takes one input file, these inputs are {len(items)} files; "
                         "use --out-dir for several")
    fmt = args.format or (format_for_output(args.output, format_for_path) if args.output else "csv")
    file_column = not args.out_dir and not args.output and len(items) > 1
    if file_column and fmt not in ("csv", "jsonl"):
        raise UsageError(f"--format {fmt} holds one file's labels: give --out-dir DIR for several files")
    if args.out_dir:
        dests = destinations(items, args.out_dir, extension_for(fmt))
    else:
        dests = [args.output] * len(items)
    if args.summary:
        folder = os.path.dirname(os.path.abspath(args.summary))
        if not os.path.isdir(folder):
            raise TaggerError(f"--summary {args.summary}: folder {folder} does not exist")
    return items, fmt, dests, file_column


def run(args) -> int:
    """The archive path of ``tag`` (see the module docstring)."""
    from ..commands.common import stdout, warn_raw_options
    from . import records
    from .pool import default_jobs
    from .progress import Progress
    from .run import SPLIT_S, results
    from .worker import TagSettings, cached_tagger

    items, fmt, dests, file_column = _prepare(args)
    if not args.out_dir and not args.output:
        stdout()
    warn_raw_options(args, args.files)
    settings = TagSettings.from_args(args)
    if settings.model:
        settings = TagSettings(os.path.abspath(settings.model), settings.hop_s, settings.threads,
                               settings.silence_dbfs, settings.refine)
    model_sha = cached_tagger(settings).model_sha256  # the model loads here: its errors come first, once
    split_s = SPLIT_S if args.split_s is None else args.split_s
    key = records.run_key(model_sha, settings, fmt, split_s)
    rows: dict[int, dict] = {}
    todo: list[int] = []
    for idx, item in enumerate(items):
        row = (records.completed_row(dests[idx], key, item.spec, item.location)
               if args.resume and item.problem is None else None)
        if row is not None:
            rows[idx] = row
        else:
            todo.append(idx)
    client = None
    if args.dask:
        from .dask_run import connect

        client = connect(args.dask)
    if args.out_dir:
        from ..commands.tag import make_out_dir

        make_out_dir(args.out_dir)
        if args.resume:
            from ..outputs import remove_stale_temps

            removed = remove_stale_temps(args.out_dir)
            if removed:
                print(f"stream-tagger: removed {removed} temporary file(s) left by an interrupted run",
                      file=sys.stderr)
    jobs = 1 if args.jobs is None else (default_jobs() if args.jobs == 0 else args.jobs)
    progress = Progress(len(items), enabled=not args.no_progress)
    progress.file_done(sum(float(r["duration_s"] or 0) for r in rows.values()), count=len(rows), tagged=False)
    out = _Stdout(fmt, todo, file_column) if not args.out_dir and not args.output else None
    index = {items[i].location: i for i in todo}
    interrupted = False
    failure: str | None = None
    try:
        for item, res in results([items[i] for i in todo], settings, jobs=jobs, client=client, split_s=split_s):
            idx = index[item.location]
            error = res.error
            if error is None and res.segments.model_sha256 and res.segments.model_sha256 != model_sha:
                error = (f"{item.spec}: tagged by another model on {res.worker} (tflite_sha256 "
                         f"{res.segments.model_sha256[:12]}..., expected {model_sha[:12]}...): install the same "
                         "stream-tagger on every worker, or give --model on a shared path")
            if error is None:
                error = _write(args, fmt, dests[idx], item, res.segments, key, out, idx)
            if error is None:
                rows[idx] = records.ok_row(item.spec, res.segments, res.segments.duration_s)
                progress.file_done(res.segments.duration_s)
            else:
                rows[idx] = records.failed_row(item.spec, error)
                progress.message(error_line(error))
                progress.file_done()
                if out is not None:
                    out.put(idx, None)
    except KeyboardInterrupt:
        interrupted = True
    except TaggerError as e:
        failure = str(e)
    finally:
        progress.close()
        if client is not None:
            try:
                client.close(timeout=2)
            except Exception:  # noqa: BLE001 - the scheduler may be gone
                pass
    not_done = [i for i in range(len(items)) if i not in rows]
    reason = "not tagged: the run was interrupted" if interrupted else f"not tagged: {failure}"
    for i in not_done:
        rows[i] = records.failed_row(items[i].spec, reason)
    if failure is not None:
        progress.message(error_line(failure))
    status = 0
    if args.summary:
        try:
            records.write_summary(args.summary, [rows[i] for i in range(len(items))])
        except OSError as e:
            progress.message(error_line(f"--summary {args.summary}: cannot write ({e.strerror or e})"))
            status = 1
    counts = {s: sum(1 for i, r in rows.items() if r["status"] == s and i not in not_done)
              for s in ("ok", "failed", "skipped")}
    progress.message(progress.final_line(counts["ok"], counts["failed"], counts["skipped"], len(not_done)))
    if interrupted:
        raise KeyboardInterrupt
    return 1 if status or failure is not None or counts["failed"] or not_done else 0


def _write(args, fmt: str, dest: str | None, item, segments, key: str, out, idx: int) -> str | None:
    """Write one input's output (and with --out-dir its completion marker); the error or None."""
    from ..labels import format_segments
    from ..outputs import write_file_atomic
    from . import records

    if out is not None:
        out.put(idx, item.spec, segments)
        return None
    text = format_segments(segments, fmt, duration_s=segments.duration_s)
    try:
        folder = os.path.dirname(dest)
        if args.out_dir and folder:
            os.makedirs(folder, exist_ok=True)
        write_file_atomic(dest, text)
        if args.out_dir:
            records.write_marker(dest, key, item.location, text, records.ok_row(item.spec, segments,
                                                                                  segments.duration_s))
    except OSError as e:
        return f"cannot write label file {dest}: {e.strerror or e}"
    return None
