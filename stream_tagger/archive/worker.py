"""One input file tagged in one worker: what a ``--jobs`` process or a Dask task runs.

The worker reads the input itself (a local path, or a URL through fsspec: :mod:`.remote`),
tags it whole in the calling thread (no reader thread, no ring buffer, no event queue: one
core's worth of work) and returns a :class:`FileResult`, small and picklable. It writes
nothing: the main process writes outputs, so a task run twice (Dask re-running the tasks of a
worker that died) changes nothing. The model is loaded once per worker process (per thread
when a Dask worker runs several threads) and kept at module level, keyed by the settings.

The analysis is the engine's own (:class:`~stream_tagger.analysis.Analysis` with the same
resampler and the same settings the :class:`~stream_tagger.engine.Tagger` hands it), fed in
one-second blocks; its results do not depend on the block size, so a file's segments are
the same as ``stream-tagger tag FILE`` gives (the tests check it byte for byte).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ..errors import TaggerError, short_reason
from ..events import LABELS, Segment


@dataclass(frozen=True)
class TagSettings:
    """The analysis options (``tag --model --hop --threads --silence-db --no-refine``).
    ``model``: a ``.tflite`` path, or None for the model installed with each worker."""

    model: str | None = None
    hop_s: float = 0.25
    threads: int = 1
    silence_dbfs: float | None = None
    refine: bool = True

    @classmethod
    def from_args(cls, args) -> "TagSettings":
        return cls(model=args.model, hop_s=float(args.hop), threads=int(args.threads),
                   silence_dbfs=args.silence_db, refine=not args.no_refine)


class FileSegments(list):
    """A file's segments (a list of :class:`~stream_tagger.events.Segment`, sorted by start) with
    ``duration_s`` (seconds of audio analysed) and ``model_sha256`` (the model that tagged it)."""

    duration_s: float = 0.0
    model_sha256: str = ""

    def __init__(self, segments=(), duration_s: float = 0.0, model_sha256: str = ""):
        super().__init__(segments)
        self.duration_s = float(duration_s)
        self.model_sha256 = model_sha256

    def __reduce__(self):
        return (FileSegments, (list(self), self.duration_s, self.model_sha256))


@dataclass
class FileResult:
    """What a worker sends back for one input: ``segments`` or ``error`` (one line), and what
    the work cost (``decode_s``: reading and decoding; ``wall_s``: the whole task, seconds)."""

    input: str
    segments: FileSegments | None = None
    error: str | None = None
    wall_s: float = 0.0
    worker: str = ""
    piece: object = None  # the :class:`~.pieces.Piece` tagged, None for a whole file

    @property
    def ok(self) -> bool:
        return self.error is None


BLOCK_S = 3.0
"""Seconds of source audio decoded and analysed at a time: fewer, larger calls into the decoder,
resampler, frontend and network than the engine's 1 s reads, and the same results (none depends
on the block size). At most about 4 s: the analysis keeps 5.12 s of log-mel frames."""

_local = threading.local()  # settings -> Tagger, per thread (a Tagger is not shared between threads)


def cached_tagger(settings: TagSettings):
    """The worker's :class:`~stream_tagger.engine.Tagger` for ``settings``, loaded on first use."""
    taggers = getattr(_local, "taggers", None)
    if taggers is None:
        taggers = _local.taggers = {}
    tagger = taggers.get(settings)
    if tagger is None:
        from ..engine import Tagger

        tagger = Tagger(settings.model, hop_s=settings.hop_s, threads=settings.threads,
                        silence_dbfs=settings.silence_dbfs, refine=settings.refine)
        meta = tagger.model.metadata
        # a shared-trunk model is two files (stream_tagger.trunk): its head is part of its identity
        tagger.model_sha256 = meta.get("tflite_sha256", "") + (f"+{meta['head_sha256']}" if "trunk" in meta else "")
        taggers.clear()  # one model at a time
        taggers[settings] = tagger
    return tagger


_blas_limited = False


def limit_blas_threads() -> None:
    """One BLAS/OpenMP thread in this worker process (once): the frontend's small matrix
    products only lose from more, and a worker is one core's worth of work. The command line
    sets the environment before numpy loads; a Dask worker's numpy is loaded already, so the
    limit is set at run time with threadpoolctl (the ``cluster`` extra) where it is installed."""
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1)


def tag_input_in_worker(spec: str, settings: TagSettings, piece=None) -> FileResult:
    """:func:`tag_input` in a worker process (pool or Dask): one BLAS thread first."""
    limit_blas_threads()
    return tag_input(spec, settings, piece)


def _nothing(*args) -> None:
    return None


def tag_blocks(tagger, blocks, rate_hz: int, base16: int = 0, first_frame: int = 0) -> FileSegments:
    """Segments of one continuous stream given as mono float32 ``blocks`` at ``rate_hz`` (Hz),
    through the engine's analysis in this thread (the engine's file path without its threads).
    A piece of a file (:mod:`.pieces`): its first block is source frame ``first_frame``, 16 kHz
    sample ``base16`` of the file (a multiple of the hop): times are the file's."""
    from ..analysis import RATE_HZ, Analysis
    from ..resampler import StreamingResampler, sanitize_block

    segments: list[Segment] = []
    an = Analysis(tagger.model, tagger.params, tagger.decision, tagger.hop_samples, int(base16),
                  max_batch=tagger.max_batch, refine_radius_blocks=tagger.refine_radius_blocks,
                  env_keep_blocks=tagger.env_keep_blocks, on_hop=_nothing, on_segment=segments.append,
                  on_windows=_nothing, publish=_nothing, dropped_samples=lambda: 0)
    resampler = StreamingResampler(int(rate_hz), RATE_HZ)
    n_in = 0
    for block in blocks:
        n_in += block.shape[0]
        an.push(resampler.push(sanitize_block(block)))
    an.push(resampler.flush())
    an.finish((first_frame + n_in) / rate_hz)
    order = {lab: i for i, lab in enumerate(LABELS)}
    segments.sort(key=lambda s: (s.start_s, order.get(s.label, 9), s.end_s))
    return FileSegments(segments, an.end_s or 0.0, getattr(tagger, "model_sha256", ""))


def open_input(spec: str):
    """A source with ``blocks()`` for a local path or a URL (fsspec)."""
    from .remote import is_url

    if is_url(spec):
        from .remote import open_remote

        return open_remote(spec)
    from ..sources import FileSource

    src = FileSource(spec)
    src.open()
    return src


def tag_input(spec: str, settings: TagSettings, piece=None) -> FileResult:
    """Tag one input (path or URL) whole, or one :class:`~.pieces.Piece` of it; never raises for
    a bad input (the error is returned).
    A model that cannot be loaded raises :class:`~stream_tagger.errors.ModelError`: every
    file would fail the same way."""
    import os
    import socket

    t0 = time.perf_counter()
    tagger = cached_tagger(settings)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    src = None
    try:
        src = open_input(spec)
        block = int(BLOCK_S * src.sample_rate_hz)
        if piece is None:
            segments = tag_blocks(tagger, src.blocks(block), src.sample_rate_hz)
        else:
            segments = tag_blocks(tagger, src.blocks(block, start_frame=piece.read_from, end_frame=piece.read_to),
                                  src.sample_rate_hz, base16=piece.base16, first_frame=piece.read_from)
        return FileResult(spec, segments=segments, wall_s=time.perf_counter() - t0, worker=worker, piece=piece)
    except TaggerError as e:
        return FileResult(spec, error=str(e), wall_s=time.perf_counter() - t0, worker=worker, piece=piece)
    except MemoryError:
        return FileResult(spec, error=f"{spec}: out of memory", wall_s=time.perf_counter() - t0, worker=worker,
                          piece=piece)
    except Exception as e:  # noqa: BLE001 - a library's surprise is one file's failure, not the run's
        return FileResult(spec, error=f"{spec}: cannot read audio ({short_reason(e)})",
                          wall_s=time.perf_counter() - t0, worker=worker, piece=piece)
    finally:
        close = getattr(src, "close", None)
        if close is not None:
            close()
