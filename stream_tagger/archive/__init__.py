"""Whole archives: many files tagged at once, on every core (``--jobs``) or a Dask cluster
(``--dask``), resumably, with a summary and a progress display (``stream-tagger tag`` with
the archive options; :func:`tag_files` from Python).

Modules, one job each: :mod:`.inputs` (what to tag), :mod:`.remote` (URLs through fsspec),
:mod:`.worker` (one file in one worker), :mod:`.pool` (local worker processes),
:mod:`.dask_run` (Dask tasks), :mod:`.run` (:func:`tag_files`), :mod:`.records` (summary CSV,
resume markers), :mod:`.progress` (the tqdm display), :mod:`.command` (the ``tag`` verb's
archive path and its options). Nothing here is imported by the engine; Dask, fsspec and tqdm
are imported only when used.
"""

from __future__ import annotations


__all__ = ["tag_files"]


def __getattr__(name: str):
    if name == "tag_files":  # imported when used: the command line reads this package's options only
        from .run import tag_files

        return tag_files
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
