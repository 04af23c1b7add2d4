"""What the monitor tests share: the CLI as a real process, lines read as they come, local HTTP
servers on 127.0.0.1 (one that records what is posted, one that accepts and never answers)."""

from __future__ import annotations

import http.server
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time

CLI = [sys.executable, "-m", "stream_tagger.cli"]


def env(**extra) -> dict:
    e = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    e.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", **extra)
    return e


def run(*args, timeout=90, input=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, input=input,
                          env=env(), **kw)


def popen(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env(), **kw)


class Lines:
    """Reads a pipe's lines on a thread of its own; :meth:`wait_for` a line that matches."""

    def __init__(self, pipe):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe) -> None:
        for raw in iter(pipe.readline, b""):
            with self._cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    closed = False

    def wait_for(self, pred, timeout_s: float = 30.0) -> str | None:
        """The first line (from the start) for which ``pred(line)`` holds, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        with self._cond:
            while True:
                for ln in self.lines[seen:]:
                    if pred(ln):
                        return ln
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self._cond.wait(min(left, 0.2))

    def join(self, timeout_s: float = 30.0) -> None:
        self._thread.join(timeout_s)

    def json(self) -> list[dict]:
        return [json.loads(ln) for ln in self.lines if ln.startswith("{")]


def alert_lines(records: list[dict]) -> list[dict]:
    return [r for r in records if "alert" in r]


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        self.server.posts.append((self.headers.get("Content-Type"), body.decode()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class RecordingServer:
    """An HTTP server on 127.0.0.1 that answers every POST with 204 and keeps its body."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        self.httpd.posts = []
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def posts(self) -> list:
        return self.httpd.posts

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HangingServer:
    """A TCP server on 127.0.0.1 that accepts connections, reads, and never answers (a hung webhook)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.accepted = 0
        self._conns = []
        self._stop = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self._stop:
            ready, _, _ = select.select([self.sock], [], [], 0.2)
            if ready:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                self.accepted += 1
                self._conns.append(conn)  # kept open, never answered

    def close(self) -> None:
        self._stop = True
        for c in self._conns:
            c.close()
        self.sock.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
