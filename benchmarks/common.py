"""Measurement helpers shared by the benchmark scripts (standard library only, cheap to import).

* :func:`peak_rss_mb` -- this process's peak resident memory (``VmHWM``, MB). Not
  ``ru_maxrss``: after fork+exec that can still hold the parent's peak.
* :func:`one_thread_env` -- an environment for child processes with every math library on one
  thread.
* :func:`machine_description` / :func:`busy_reasons` -- what the figures were measured on, and
  whether anything else was loading the machine.
"""

from __future__ import annotations

import os
import platform

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (``VmHWM`` of /proc/self/status)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_thread_env(base: dict | None = None) -> dict:
    """A copy of ``base`` (default ``os.environ``) with one thread for OpenMP / BLAS / MKL."""
    env = dict(os.environ if base is None else base)
    for var in THREAD_VARS:
        env[var] = "1"
    return env


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description() -> str:
    """One line: CPU model, logical cores, OS, Python."""
    return (f"{cpu_model()}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def load_average_1min() -> float:
    return os.getloadavg()[0]


def busy_reasons(max_load: float = 0.5) -> list[str]:
    """Why the machine is not idle: a 1-minute load average of ``max_load`` or more, or a
    running ``python -m training...`` process (other than this one). Empty list = idle."""
    reasons = []
    load = load_average_1min()
    if load >= max_load:
        reasons.append(f"load average {load:.2f}")
    me = os.getpid()
    running: dict[str, int] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"python" not in os.path.basename(argv[0]):
            continue
        for i, arg in enumerate(argv[:-1]):
            if arg == b"-m" and argv[i + 1].startswith(b"training"):
                what = b" ".join(argv[i + 1 : i + 4]).decode(errors="replace")
                running[what] = running.get(what, 0) + 1
                break
    reasons += [f"running: python -m {what} ({n} process{'es' if n > 1 else ''})" for what, n in running.items()]
    return reasons


def cpu_snapshot() -> tuple[float, float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this process and its waited-for
    children, monotonic time) -- two snapshots give the CPU others used in between."""
    import resource
    import time

    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait (guest is in user)
    own = sum(getattr(resource.getrusage(who), k) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for k in ("ru_utime", "ru_stime"))
    return busy / tick, own, time.monotonic()


def other_cores(before: tuple[float, float, float], after: tuple[float, float, float]) -> float:
    """Average number of cores busy with *other* processes between two :func:`cpu_snapshot`."""
    wall = max(after[2] - before[2], 1e-9)
    return max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / wall
