"""A real HTTP server on 127.0.0.1 that streams audio files in real time, as an Icecast mount
does, and that a test can stall, stop and restart (for the network stream tests).

    server = RadioServer()
    server.add_stream("/radio.mp3", mp3_bytes, duration_s=4.0, loop=True)
    server.add_page("/missing", 404)
    server.add_page("/page", 200, b"<html>...</html>", "text/html")
    url = server.url("/radio.mp3")
    server.stall()      # the open connections stay open and send nothing more
    server.stop()       # closes the port and every connection; server.start() opens it again
    server.close()

Streams are sent from their start at ``speed`` times real time (bytes per second: the file's
size over its duration), after a burst of ``burst_s`` seconds, in chunks of ``chunk_s``.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class RadioServer:
    def __init__(self, port: int = 0):
        self._routes: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._conns: dict[socket.socket, threading.Event] = {}  # open streaming connections -> their stall flag
        self.requests: dict[str, int] = {}  # GETs per path
        self.port = port
        self._srv = None
        self._thread = None
        self.start()

    # -- routes ---------------------------------------------------------------------------------
    def add_stream(self, path: str, data: bytes, duration_s: float, content_type: str = "audio/mpeg",
                   loop: bool = False, speed: float = 1.0, burst_s: float = 0.5, chunk_s: float = 0.05) -> None:
        self._routes[path] = {"kind": "stream", "data": data, "rate": len(data) / duration_s * speed,
                              "type": content_type, "loop": loop, "burst": burst_s, "chunk": chunk_s}

    def add_page(self, path: str, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        self._routes[path] = {"kind": "page", "status": status, "body": body, "type": content_type}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # -- control ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen (again) on the port."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._get(self)

        self._srv = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._srv.server_address[1]
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="RadioServer", daemon=True)
        self._thread.start()

    def stall(self) -> None:
        """The connections open now send nothing more (and stay open); new ones are served."""
        with self._lock:
            for flag in self._conns.values():
                flag.set()

    def stop(self) -> None:
        """Close the listening port and every open connection (a server going down)."""
        if self._srv is None:
            return
        self._srv.shutdown()
        self._srv.server_close()
        self._srv = None
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self) -> None:
        self.stop()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._conns)

    # -- serving ----------------------------------------------------------------------------------
    def _get(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        with self._lock:
            self.requests[path] = self.requests.get(path, 0) + 1
        route = self._routes.get(path)
        if route is None:
            h.send_error(404)
            return
        if route["kind"] == "page":
            h.send_response(route["status"])
            h.send_header("Content-Type", route["type"])
            h.send_header("Content-Length", str(len(route["body"])))
            h.end_headers()
            h.wfile.write(route["body"])
            return
        stalled = threading.Event()
        with self._lock:
            self._conns[h.connection] = stalled
        try:
            h.send_response(200)
            h.send_header("Content-Type", route["type"])
            h.send_header("Cache-Control", "no-cache")
            h.end_headers()
            self._send(h, route, stalled)
        except OSError:
            pass  # the client went away, or stop() closed the connection
        finally:
            with self._lock:
                self._conns.pop(h.connection, None)

    def _send(self, h, route, stalled: threading.Event) -> None:
        data, rate = route["data"], route["rate"]
        chunk = max(1, int(rate * route["chunk"]))
        t0 = time.monotonic() - route["burst"]
        sent = 0  # bytes sent on this connection
        pos = 0
        while True:
            if stalled.is_set():
                while h.connection in self._conns:  # stay open, silent, until stop()
                    time.sleep(0.05)
                return
            if pos >= len(data):
                if not route["loop"]:
                    return
                pos = 0
            piece = data[pos:pos + chunk]
            h.wfile.write(piece)
            h.wfile.flush()
            pos += len(piece)
            sent += len(piece)
            delay = t0 + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
