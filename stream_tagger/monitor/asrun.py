"""As-run logs: each stream's closed segments, one CSV file per stream per UTC day.

``DIR/<stream>/<YYYY-MM-DD>.csv``::

    start_utc,end_utc,label,start_s,end_s,duration_s
    2024-05-01T23:59:51.250Z,2024-05-01T23:59:58.010Z,speech,3.250,10.010,6.760

One row per segment, appended when the segment closes (written whole with ``os.write``, then
``fsync``), never rewritten: a restarted monitor appends to the day's file (after a newline if
the previous run was cut mid-row). ``start_utc``/``end_utc``: wall-clock times (ISO 8601, ms);
``start_s``/``end_s``: stream seconds from the sample count, ``duration_s`` their difference. A
segment running over midnight UTC is split there: its part before midnight ends the day's file,
the rest opens the next day's (rotation follows the rows' UTC times). A ``gap`` of a network
stream (audio missing) is a row with label ``gap``: its wall-clock span, where it lies in stream
time (which skips the missing time) and the missing seconds in ``duration_s``.

A row that cannot be written (a full disk) is kept in memory (up to :data:`MAX_PENDING_ROWS`,
oldest dropped beyond) and written before the next one once the disk takes it again; the
failure and the recovery are each one line on stderr, and the analysis goes on.
"""

from __future__ import annotations

import calendar
import errno
import os
import time
from collections import deque

from ..errors import TaggerError
from .alerts import log, utc_text

HEADER = "start_utc,end_utc,label,start_s,end_s,duration_s"
MAX_PENDING_ROWS = 10000
DAY_S = 86400


def day_of(epoch_s: float) -> str:
    """The UTC date of an instant, ``YYYY-MM-DD``."""
    return time.strftime("%Y-%m-%d", time.gmtime(epoch_s))


def next_midnight(epoch_s: float) -> float:
    """The first UTC midnight after ``epoch_s`` (epoch seconds)."""
    t = time.gmtime(epoch_s)
    return calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0)) + DAY_S


def make_log_dir(path: str) -> None:
    """Create ``--log-dir``; TaggerError if it cannot be (or is not writable)."""
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        raise TaggerError(f"--log-dir {path}: exists and is not a directory") from None
    except OSError as e:
        raise TaggerError(f"--log-dir {path}: cannot create ({e.strerror or e})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise TaggerError(f"--log-dir {path}: not writable")


class AsRunLog:
    """One stream's as-run log under ``root/stream/`` (see module docstring). Not thread-safe:
    one thread (the one consuming the stream's events) writes it."""

    def __init__(self, root: str, stream: str):
        self.folder = os.path.join(root, stream)
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as e:
            raise TaggerError(f"as-run log {self.folder}: cannot create ({e.strerror or e})") from None
        self._fd = -1
        self._path: str | None = None
        self._pending: deque = deque()  # (path, row text) not written yet
        self.rows_written = 0
        self.rows_lost = 0
        self._failing: str | None = None  # the reason of the current failure, None when writing

    def path_for(self, epoch_s: float) -> str:
        return os.path.join(self.folder, day_of(epoch_s) + ".csv")

    def segment(self, label: str, start_s: float, end_s: float, start_utc_s: float, end_utc_s: float) -> None:
        """Append a closed segment (split at each UTC midnight it runs over)."""
        a_utc, a_s = start_utc_s, start_s
        while True:
            cut = next_midnight(a_utc)
            if end_utc_s <= cut:
                break
            b_s = a_s + (cut - a_utc)
            self._row(a_utc, cut, label, a_s, min(b_s, end_s))
            a_utc, a_s = cut, min(b_s, end_s)
        self._row(a_utc, max(a_utc, end_utc_s), label, a_s, end_s)
        self._flush()

    def gap(self, seconds: float, start_utc_s: float, end_utc_s: float, start_s: float, end_s: float) -> None:
        """Append a gap row: audio missing from ``start_utc_s`` to ``end_utc_s`` (stream time ``start_s``
        to ``end_s``: a network stream's stream time skips the missing time)."""
        self._pending.append((self.path_for(start_utc_s),
                              f"{utc_text(start_utc_s)},{utc_text(end_utc_s)},gap,{start_s:.3f},{end_s:.3f},"
                              f"{seconds:.3f}"))
        self._flush()

    def _row(self, a_utc: float, b_utc: float, label: str, a_s: float, b_s: float) -> None:
        b_s = max(a_s, b_s)
        self._pending.append((self.path_for(a_utc),
                              f"{utc_text(a_utc)},{utc_text(b_utc)},{label},{a_s:.3f},{b_s:.3f},{b_s - a_s:.3f}"))

    def _open(self, path: str) -> int:
        """The append descriptor of ``path`` (the current day's stays open; a header starts a new file)."""
        if path == self._path and self._fd >= 0:
            return self._fd
        self._close_fd()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)  # read: its last byte
        self._fd, self._path = fd, path
        self._start_row(fd)
        return fd

    @staticmethod
    def _start_row(fd: int) -> None:
        """Header for an empty file; a newline after a cut last row (a full disk, a killed run)."""
        size = os.fstat(fd).st_size
        if size == 0:
            _write_all(fd, (HEADER + "\n").encode())
        elif os.pread(fd, 1, size - 1) != b"\n":
            _write_all(fd, b"\n")

    def _flush(self) -> None:
        while len(self._pending) > MAX_PENDING_ROWS:
            self._pending.popleft()
            self.rows_lost += 1
        while self._pending:
            path, text = self._pending[0]
            try:
                fd = self._open(path)
                if self._failing is not None:
                    self._start_row(fd)
                _write_all(fd, (text + "\n").encode())
                os.fsync(fd)
            except OSError as e:
                reason = e.strerror or str(e)
                if self._failing != reason:
                    log(f"warning: as-run log {path}: cannot write ({reason}); {len(self._pending)} "
                        f"row{'s' if len(self._pending) != 1 else ''} kept in memory, the analysis goes on")
                self._failing = reason
                self._close_fd()
                return
            self._pending.popleft()
            self.rows_written += 1
            if self._failing is not None:
                self._failing = None
                log(f"as-run log {path}: writing again" + (f" ({self.rows_lost} rows lost)" if self.rows_lost else ""))

    def _close_fd(self) -> None:
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd, self._path = -1, None

    @property
    def pending_rows(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Write what is pending (one last try), close the file; says on stderr what stays unwritten."""
        if self._pending:
            self._flush()
        if self._pending:
            log(f"warning: as-run log {self.folder}: {len(self._pending)} rows could not be written")
        self._close_fd()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "nothing was written")
        view = view[n:]
