"""``--dask ADDRESS``: the files as tasks of a running Dask distributed scheduler.

One task per file (``client.submit`` of :func:`~stream_tagger.archive.worker.tag_input`),
results taken with ``as_completed``. Workers need stream-tagger installed and read the
inputs themselves (a shared file system or URLs); each keeps its model at module level
(loaded once per worker thread). Tasks write nothing and return their segments: the client
writes every output (whole, under a temporary name then renamed), so a task that Dask runs
again because its worker died changes nothing and no output is written twice or half. A
task whose workers keep dying (Dask's ``allowed-failures``, 3 by default) is that file's
failure. Losing the scheduler mid-run ends the run with one line; outputs finished so far
stay and ``--resume`` goes on from there.
"""

from __future__ import annotations

from concurrent.futures import CancelledError

from ..errors import TaggerError, short_reason
from .worker import FileResult, TagSettings, tag_input_in_worker

MISSING_EXTRA = "--dask needs the 'cluster' extra (dask[distributed]): pip install 'stream-tagger[cluster]'"
CONNECT_TIMEOUT_S = 10  # seconds to reach the scheduler at start; STREAM_TAGGER_DASK_TIMEOUT_S overrides it


def connect_timeout_s() -> float:
    import os

    try:
        return max(0.5, float(os.environ.get("STREAM_TAGGER_DASK_TIMEOUT_S", CONNECT_TIMEOUT_S)))
    except ValueError:
        return float(CONNECT_TIMEOUT_S)


def distributed_module():
    try:
        import distributed
    except ImportError:
        raise TaggerError(MISSING_EXTRA) from None
    return distributed


def connect(address: str, timeout_s: float | None = None):
    """A ``distributed.Client`` for the scheduler at ``address``; one-line TaggerError if unreachable."""
    import logging

    distributed = distributed_module()
    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # its own log lines would precede ours
    try:
        return distributed.Client(address, timeout=timeout_s or connect_timeout_s(), set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise TaggerError(f"--dask {address}: cannot reach the Dask scheduler ({short_reason(e)})") from None


def task_key(location: str, settings: TagSettings, piece=None) -> str:
    from dask.base import tokenize

    return f"stream-tagger-{tokenize(location, settings, piece)}"


def run_dask(client, tasks: list[tuple], settings: TagSettings):
    """Yield a :class:`FileResult` per task ``(location, piece or None)`` as each finishes on the
    cluster behind ``client``."""
    distributed = distributed_module()
    futures = {}
    try:
        for i, (loc, piece) in enumerate(tasks):
            fut = client.submit(tag_input_in_worker, loc, settings, piece, key=task_key(loc, settings, piece),
                                pure=False, priority=len(tasks) - i)
            futures[fut] = (loc, piece)
        for fut in distributed.as_completed(list(futures), loop=client.loop):
            loc, piece = futures[fut]
            try:
                yield fut.result()
            except TaggerError:
                raise  # the model cannot be loaded: every file would fail the same way
            except CancelledError as e:
                raise TaggerError(f"--dask: lost the Dask scheduler ({short_reason(e)}); "
                                  "finished outputs are kept, run again with --resume") from None
            except Exception as e:  # noqa: BLE001 - KilledWorker and other task failures
                name = type(e).__name__
                if name == "KilledWorker":
                    yield FileResult(loc, error=f"{loc}: the Dask workers tagging it kept dying ({short_reason(e)})",
                                     piece=piece)
                elif isinstance(e, (OSError, TimeoutError)) or name in ("CommClosedError", "CancelledError"):
                    raise TaggerError(f"--dask: lost the Dask scheduler ({short_reason(e) or name}); "
                                      "finished outputs are kept, run again with --resume") from None
                else:
                    yield FileResult(loc, error=f"{loc}: task failed on the Dask worker ({name}: {short_reason(e)})",
                                     piece=piece)
    finally:
        try:
            client.cancel(list(futures), force=True)
        except Exception:  # noqa: BLE001 - the scheduler may be gone
            pass
