"""A private X server (Xvfb) for tests, benchmarks and the README pictures.

``with virtual_display() as display: ...`` starts ``Xvfb :N -screen 0 1280x1024x24`` on a free
display number, sets ``DISPLAY`` for this process, and on exit stops the server and restores
the previous ``DISPLAY``. Must be entered before the QApplication is created.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time


def _free_display(first: int = 90, last: int = 190) -> int:
    for n in range(first, last):
        if not os.path.exists(f"/tmp/.X{n}-lock") and not os.path.exists(f"/tmp/.X11-unix/X{n}"):
            return n
    raise RuntimeError("no free X display number")


def xvfb_available() -> bool:
    return shutil.which("Xvfb") is not None


@contextlib.contextmanager
def virtual_display(width_px: int = 1280, height_px: int = 1024, timeout_s: float = 10.0):
    """Run Xvfb for the duration of the block; yields the display string (``":N"``)."""
    if not xvfb_available():
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
    last_err = ""
    for _attempt in range(5):
        n = _free_display()
        proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", f"{width_px}x{height_px}x24", "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_err = proc.stderr.read().decode(errors="replace")[-300:] if proc.stderr else ""
                break
            if os.path.exists(f"/tmp/.X11-unix/X{n}"):
                break
            time.sleep(0.05)
        if proc.poll() is None and os.path.exists(f"/tmp/.X11-unix/X{n}"):
            break
        with contextlib.suppress(Exception):
            proc.kill()
            proc.wait(timeout=5)
    else:
        raise RuntimeError(f"Xvfb did not start: {last_err.strip()}")
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{n}"
    try:
        yield f":{n}"
    finally:
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


_shared = None


def shared_display() -> str:
    """One Xvfb for the whole process (tests, benchmarks): started on first call, stopped at exit.

    Also points ``XDG_RUNTIME_DIR`` at a private directory if unset (Qt asks for one)."""
    global _shared
    if _shared is None:
        import atexit
        import tempfile

        if not os.environ.get("XDG_RUNTIME_DIR"):
            d = tempfile.mkdtemp(prefix="xdg-")
            os.chmod(d, 0o700)
            os.environ["XDG_RUNTIME_DIR"] = d
        cm = virtual_display()
        display = cm.__enter__()
        atexit.register(cm.__exit__, None, None, None)
        _shared = display
    return _shared
