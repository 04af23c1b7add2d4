"""``--jobs N``: N worker processes on this machine (:mod:`concurrent.futures`, spawned).

Each worker loads the model once (on its first file) and tags whole files
(:func:`~stream_tagger.archive.worker.tag_input`); results come back as each file finishes.
Workers ignore SIGINT (Ctrl-C reaches the whole process group: the main process decides) and
end when the main process ends, even when it is killed (Linux: ``PR_SET_PDEATHSIG``; elsewhere
a watchdog thread notices the new parent). A worker that dies (killed, out of memory) breaks the
pool: the files it may have held are tried once more in a new pool, then reported failed.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..errors import TaggerError, short_reason
from .worker import FileResult, TagSettings, tag_input_in_worker

IN_FLIGHT_PER_WORKER = 2  # files queued per worker: enough to keep it busy, few to cancel on Ctrl-C
MAX_TRIES = 2  # a file whose worker died is tried this many times in all


def default_jobs() -> int:
    """``--jobs 0``: one worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _die_with_parent(parent_pid: int) -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the watchdog below does it
        pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _init_worker(parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent_pid)


def _executor(jobs: int) -> ProcessPoolExecutor:
    import multiprocessing

    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(os.getpid(),))


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the pool now: queued files are dropped, workers are killed (they may be mid-file)."""
    procs = []
    for _ in range(10):  # the executor's own thread may be changing the dict (a worker died)
        try:
            procs = list((getattr(executor, "_processes", None) or {}).values())
            break
        except RuntimeError:
            time.sleep(0.01)
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001 - a broken pool may fail to shut down tidily; its workers are killed below
        pass
    for p in procs:
        try:
            p.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass
    for p in procs:
        try:
            p.join(5)
        except Exception:  # noqa: BLE001
            pass


def _died(task: tuple, tries: int) -> FileResult:
    return FileResult(task[0], error=f"{task[0]}: the worker process tagging it died ({tries} tries)", piece=task[1])


def run_pool(tasks: list[tuple], settings: TagSettings, jobs: int):
    """Yield a :class:`FileResult` per task ``(location, piece or None)`` as each finishes, from
    ``jobs`` worker processes."""
    todo = list(reversed(tasks))  # popped from the end: given order
    tries: dict[tuple, int] = {}
    while todo:
        executor = _executor(jobs)
        pending: dict = {}
        broken = False
        try:
            while todo or pending:
                while todo and len(pending) < jobs * IN_FLIGHT_PER_WORKER:
                    task = todo.pop()
                    tries[task] = tries.get(task, 0) + 1
                    pending[executor.submit(tag_input_in_worker, task[0], settings, task[1])] = task
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if tries[task] >= MAX_TRIES:
                            yield _died(task, tries[task])
                        else:
                            todo.append(task)
                        continue
                    except TaggerError:
                        raise  # the model cannot be loaded: every file would fail the same way
                    except Exception as e:  # noqa: BLE001 - a result that could not come back whole
                        res = FileResult(task[0], error=f"{task[0]}: the worker's result was lost "
                                                        f"({type(e).__name__}: {short_reason(e)})", piece=task[1])
                    yield res
                if broken:
                    for fut, task in pending.items():  # finished ones still have their result
                        if fut.done() and fut.exception() is None:
                            yield fut.result()
                        elif tries[task] >= MAX_TRIES:
                            yield _died(task, tries[task])
                        else:
                            todo.append(task)
                    pending.clear()
                    break
        finally:
            _stop(executor)
