"""Screenshot of the live window as a ``stream-tagger`` command opens it (for the README).

    python -m stream_tagger.gui.snap -o docs/window.png --at 45 -- replay assets/example.ogg --speed 4

Runs the command in this process (under a private Xvfb unless ``--use-display``), saves a
PNG of the window once the stream reaches ``--at`` seconds (or ends), then closes the window,
which ends the command as a user closing it would. Exit code: the command's.
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:
        i = argv.index("--")
        own, command = argv[:i], argv[i + 1 :]
    else:
        own, command = argv, []
    ap = argparse.ArgumentParser(prog="python -m stream_tagger.gui.snap", description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--at", type=float, default=None, metavar="S", help="stream time of the screenshot (default: end)")
    ap.add_argument("--size", default="1200x860", help="window size WxH in pixels (default 1200x860)")
    ap.add_argument("--use-display", action="store_true", help="use the current DISPLAY instead of a private Xvfb")
    args = ap.parse_args(own)
    if not command:
        ap.error("give the stream-tagger command after --, e.g. -- replay FILE --speed 4")
    width, height = (int(v) for v in args.size.lower().split("x"))

    display = None
    if not args.use_display:
        from .xvfb import virtual_display

        display = virtual_display(max(1280, width + 80), max(1024, height + 80))
        display.__enter__()
    try:
        from PyQt5 import QtCore, QtWidgets

        from .theme import quiet_qt_messages
        from .window import LiveWindow

        quiet_qt_messages()
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["stream-tagger"])
        from .. import cli

        state = {"shot": False, "wait": 0}

        def poll():
            for w in QtWidgets.QApplication.topLevelWidgets():
                if not isinstance(w, LiveWindow) or not w.isVisible():
                    continue
                if w.size() != QtCore.QSize(width, height):
                    w.resize(width, height)
                snap_time = w.timeline.end_s
                ready = (args.at is not None and snap_time >= args.at) or not w.feed.running
                if ready and not state["shot"]:
                    state["wait"] += 1
                    if state["wait"] >= 4:  # a few redraws after the moment
                        state["shot"] = w.save_screenshot(args.output)
                        print(f"wrote {args.output} at stream time {snap_time:.1f} s", file=sys.stderr)
                        w.close()

        timer = QtCore.QTimer()
        timer.timeout.connect(poll)
        timer.start(40)
        rc = cli.main(command)
        timer.stop()
        if not state["shot"]:
            print("no window was shown; nothing written", file=sys.stderr)
            return rc or 1
        return rc
    finally:
        if display is not None:
            display.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main())
