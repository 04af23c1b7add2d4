"""``tag_files``: many files tagged in this process, in N worker processes, or on a Dask cluster."""

from __future__ import annotations

import os

from ..errors import AudioFileError
from .inputs import Input, expand_inputs
from .worker import FileResult, FileSegments, TagSettings

SPLIT_S = 3600.0  # seconds: longer WAV and FLAC files are tagged in pieces (``--split-s``)


def _size_key(item: Input) -> int:
    try:
        return -os.path.getsize(item.location) if "://" not in item.location else 0
    except OSError:
        return 0


def schedule(items: list[Input]) -> list[Input]:
    """The order files are handed out: largest first (a long file started last would leave the
    other workers idle at the end), URLs and ties in the given order. Outputs do not depend on it."""
    return sorted(items, key=_size_key)


def tasks_for(locations: list[str], settings: TagSettings, split_s: float) -> tuple[list[tuple], dict]:
    """The tasks ``(location, piece or None)`` (a long WAV/FLAC in pieces, :mod:`.pieces`), long
    files' pieces first, and {location: its pieces}."""
    from ..analysis import BLOCK, RATE_HZ
    from .pieces import plan

    hop_samples = int(round(settings.hop_s * RATE_HZ / BLOCK)) * BLOCK
    split = {}
    for loc in locations:
        pieces = plan(loc, split_s, hop_samples)
        if pieces:
            split[loc] = pieces
    tasks = [(loc, p) for loc in locations if loc in split for p in split[loc]]
    tasks += [(loc, None) for loc in locations if loc not in split]
    return tasks, split


def results(items: list[Input], settings: TagSettings, jobs: int = 1, client=None, split_s: float = SPLIT_S):
    """Yield ``(Input, FileResult)`` as each input finishes (inputs with a ``problem`` first).
    ``split_s``: WAV and FLAC files longer than this (seconds) are tagged in pieces, joined here
    (0: never)."""
    from .pieces import join

    for item in items:
        if item.problem is not None:
            yield item, FileResult(item.spec, error=item.problem)
    todo = schedule([i for i in items if i.problem is None])
    by_location: dict[str, list[Input]] = {}
    for item in todo:
        by_location.setdefault(item.location, []).append(item)
    locations = list(dict.fromkeys(i.location for i in todo))
    tasks, split = tasks_for(locations, settings, split_s)
    if client is not None:
        from .dask_run import connect, run_dask

        if isinstance(client, str):
            client = connect(client)
        stream = run_dask(client, tasks, settings)
    elif jobs == 1 or len(tasks) <= 1:
        from .worker import tag_input

        stream = (tag_input(loc, settings, piece) for loc, piece in tasks)
    else:
        from .pool import run_pool

        stream = run_pool(tasks, settings, min(jobs, len(tasks)))
    parts: dict[str, dict] = {}
    try:
        for res in stream:
            pieces = split.get(res.input)
            if pieces is not None:
                got = parts.setdefault(res.input, {})
                got[res.piece.index] = res
                if len(got) < len(pieces):
                    continue
                del parts[res.input]
                failed = [r for _, r in sorted(got.items()) if not r.ok]
                res = failed[0] if failed else FileResult(
                    res.input, segments=join([got[i].segments for i in range(len(pieces))], pieces),
                    wall_s=sum(r.wall_s for r in got.values()), worker=res.worker)
            for item in by_location.get(res.input, ()):
                yield item, res
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def tag_files(inputs, jobs: int = 1, client=None, *, model: str | None = None, hop_s: float = 0.25,
              threads: int = 1, silence_dbfs: float | None = None, refine: bool = True, split_s: float = SPLIT_S):
    """Tag many files; yield ``(input, segments or error)`` as each one finishes.

    ``inputs``: paths, folders (searched recursively for audio files), globs and URLs
    (fsspec), as strings (expanded: see :mod:`stream_tagger.archive.inputs`) or
    :class:`~stream_tagger.archive.inputs.Input` items (taken as they are).
    ``jobs``: worker processes on this machine (0: one per core; 1: this process).
    ``client``: a ``distributed.Client`` or a scheduler address (``tcp://host:8786``): the
    files become Dask tasks instead (``jobs`` is then ignored). ``split_s``: WAV and FLAC
    files longer than this many seconds are tagged in pieces, in parallel, and joined
    (:mod:`stream_tagger.archive.pieces`; 0: never).
    Yields ``(input, FileSegments)`` (a list of :class:`~stream_tagger.events.Segment` with
    ``duration_s``) or ``(input, AudioFileError)`` for a file that could not be tagged. The
    same inputs give the same segments whatever ``jobs`` or ``client``.

        from stream_tagger.api import tag_files
        if __name__ == "__main__":  # worker processes are spawned: they import this script again
            for path, result in tag_files(["archive/"], jobs=0):
                print(path, result if isinstance(result, Exception) else len(result))
    """
    from .pool import default_jobs

    inputs = list(inputs)
    given = [i for i in inputs if isinstance(i, Input)]
    strings = [os.fspath(i) for i in inputs if not isinstance(i, Input)]
    items = given + (expand_inputs(strings) if strings else [])
    settings = TagSettings(model=os.path.abspath(model) if model else None, hop_s=float(hop_s), threads=int(threads),
                           silence_dbfs=silence_dbfs, refine=bool(refine))
    jobs = default_jobs() if int(jobs) == 0 else int(jobs)
    for item, res in results(items, settings, jobs=jobs, client=client, split_s=split_s):
        yield (item if given and item in given else item.spec), (res.segments if res.ok else AudioFileError(res.error))


__all__ = ["tag_files", "results", "FileSegments", "TagSettings", "Input"]
