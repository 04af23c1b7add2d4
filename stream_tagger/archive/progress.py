"""The progress display of an archive run (tqdm, on stderr): files done / total, hours of
audio done, times real time, time left. Shown only while stderr is a terminal and
``--no-progress`` is not given; messages written meanwhile go above the bar."""

from __future__ import annotations

import os
import sys
import time

from ..errors import PROG


def terminal_bar(**kwargs):
    """A tqdm bar on stderr with ``kwargs``, or None when stderr is not a terminal (or tqdm is
    missing). A terminal that reports no size (0 x 0, as a fresh pty) gets 100 x 24: tqdm would
    hide its bar there."""
    if sys.stderr is None or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # a base dependency; without it, no display
        return None
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        size = os.terminal_size((0, 0))
    sized = size.columns > 0 and size.lines > 0
    return tqdm(file=sys.stderr, dynamic_ncols=sized, ncols=None if sized else 100, nrows=None if sized else 24,
                **kwargs)


class Progress:
    """Counts files and audio; draws a tqdm bar when ``enabled`` (and tqdm is importable)."""

    def __init__(self, total_files: int, enabled: bool):
        self.total = int(total_files)
        self.audio_s = 0.0  # seconds of audio done, skipped inputs' included
        self.tagged_s = 0.0  # seconds of audio tagged by this run (its speed)
        self.t0 = time.monotonic()
        self._bar = None
        if enabled:
            self._bar = terminal_bar(total=self.total, unit="file", smoothing=0.05, mininterval=0.2, leave=False,
                                     bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} files{postfix} "
                                                "[{elapsed}<{remaining}]",
                                     postfix="0.00 h audio, 0x real time")

    def file_done(self, audio_s: float = 0.0, count: int = 1, tagged: bool = True) -> None:
        """``count`` inputs done, ``audio_s`` seconds of audio in all (``tagged``: by this run,
        not skipped)."""
        self.audio_s += max(0.0, float(audio_s))
        if tagged:
            self.tagged_s += max(0.0, float(audio_s))
        if self._bar is not None:
            wall = max(1e-9, time.monotonic() - self.t0)
            self._bar.set_postfix_str(f"{self.audio_s / 3600:.2f} h audio, {self.tagged_s / wall:.0f}x real time",
                                      refresh=False)
            self._bar.update(count)

    def message(self, line: str) -> None:
        """One line on stderr (above the bar while it shows)."""
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def final_line(self, ok: int, failed: int, skipped: int, not_done: int = 0) -> str:
        wall = time.monotonic() - self.t0
        speed = f", {self.tagged_s / wall:.0f}x real time" if wall > 0 and self.tagged_s > 0 else ""
        rest = f", {not_done} not done" if not_done else ""
        return (f"{PROG}: {ok} ok, {failed} failed, {skipped} skipped{rest} "
                f"({self.tagged_s / 3600:.3f} h of audio tagged in {wall:.1f} s{speed})")
