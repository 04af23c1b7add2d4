"""The common part of the sources that a thread of their own reads (file, standard input)."""

from __future__ import annotations

import threading


class ReaderThreadSource:
    """Common part of the sources read by a thread of their own (file, stdin): the thread is
    started on :meth:`start` and writes into the ring buffer until the end or :meth:`stop`."""

    _thread_name = "Source"

    def start(self, ring) -> None:
        self._ring = ring
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ring is not None:
            self._ring.close()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait up to ``timeout_s`` seconds for the reader thread to end (after :meth:`stop` or the end)."""
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout_s)

    def check(self) -> None:
        """Nothing to poll: a reader's failures arrive through the ring buffer."""

