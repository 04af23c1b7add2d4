"""Opening a network stream with PyAV (FFmpeg): a URL becomes a :class:`Connection` that yields
decoded audio frames, and every way it can fail becomes one line (:class:`StreamError`).

Used by :class:`~stream_tagger.sources.stream.StreamSource`, which reconnects and keeps time.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import urllib.parse

import numpy as np

from ..errors import StreamError, short_reason

MONITOR_EXTRA = "pip install 'stream-tagger[monitor]'"
MAX_BAD_PACKETS = 50
"""Packets in a row that do not decode before the stream is given up as undecodable."""
NETWORK_SCHEMES = ("http", "https", "icy", "rtsp", "rtsps", "rtmp", "rtmps", "mms", "mmsh", "tcp", "udp", "srt", "rtp")


def av_module():
    """The PyAV module, or a one-line :class:`StreamError` naming the extra that installs it."""
    try:
        import av  # noqa: PLC0415
    except ImportError:
        raise StreamError(f"network streams (--url) need PyAV, in the 'monitor' extra: {MONITOR_EXTRA}") from None
    return av


def display_url(url: str) -> str:
    """``url`` without a password (``user:secret@host`` -> ``user:***@host``)."""
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        pass
    return url


def frame_to_array(frame) -> np.ndarray:
    """A decoded PyAV audio frame as float32 ``(samples, channels)``, scaled as libsndfile
    scales integers (``x / 2**(bits-1)``; unsigned 8-bit centred on 128)."""
    a = frame.to_ndarray()
    channels = max(1, len(frame.layout.channels))
    a = a.T if frame.format.is_planar else a.reshape(-1, channels)
    kind, size = a.dtype.kind, a.dtype.itemsize
    if kind == "f":
        return a.astype(np.float32, copy=False)
    if kind == "u":
        return (a.astype(np.float32) - 128.0) / 128.0
    return (a.astype(np.float64) / float(2 ** (8 * size - 1))).astype(np.float32)


def is_file_url(url: str) -> bool:
    """A ``file:`` URL or a plain path (also ``C:\\...``): it ends at its end, nothing to reconnect."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    return scheme in ("", "file") or (len(scheme) == 1 and url[1:3] in (":\\", ":/"))


def connect(url: str, name: str, timeout_s: float) -> "Connection":
    """Open ``url`` (every wait at most ``timeout_s``): a :class:`Connection`, or a one-line
    :class:`StreamError` ``"<name>: <why>"`` (no such host, refused, HTTP error, not audio, no decoder)."""
    av = av_module()
    check_host(url, name, timeout_s)
    try:
        container = av.open(url, timeout=(timeout_s, timeout_s))
    except av.error.FFmpegError as e:
        raise StreamError(f"{name}: {open_error(av, e, url, timeout_s)}") from None
    except Exception as e:  # noqa: BLE001 - anything else PyAV raises: one line
        raise StreamError(f"{name}: cannot open ({short_reason(e)})") from None
    try:
        return Connection(av, container, name, timeout_s)
    except BaseException:
        container.close()
        raise


def check_host(url: str, name: str, timeout_s: float) -> None:
    """A host name that does not resolve is said so (FFmpeg says 'Input/output error'); the
    look-up waits at most ``timeout_s``."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if parts.scheme.lower() not in NETWORK_SCHEMES or not host:
        return
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    result: list = []

    def look_up():
        try:
            socket.getaddrinfo(host, None)
            result.append(None)
        except OSError as e:
            result.append(e)

    t = threading.Thread(target=look_up, name="StreamResolve", daemon=True)
    t.start()
    t.join(timeout_s)
    if not result:
        raise StreamError(f"{name}: host '{host}' not resolved within {timeout_s:g} s")
    if result[0] is not None:
        why = getattr(result[0], "strerror", None) or short_reason(result[0])
        raise StreamError(f"{name}: cannot resolve host '{host}' ({why})")


def open_error(av, e, url: str, timeout_s: float) -> str:
    """Why ``av.open(url)`` failed, in words."""
    err = av.error
    if isinstance(e, err.ExitError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(e, err.ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(e, err.FileNotFoundError) and is_file_url(url):
        return "no such file"
    if isinstance(e, err.InvalidDataError):
        kind = content_type(url, timeout_s)
        return (f"serves {kind}, not audio" if kind and not kind.startswith(("audio/", "application/ogg"))
                else "not an audio stream FFmpeg can read (invalid data)")
    reason = (getattr(e, "strerror", None) or short_reason(e)).strip()
    return reason[0].lower() + reason[1:] if reason else type(e).__name__


def content_type(url: str, timeout_s: float) -> str | None:
    """The Content-Type an HTTP(S) URL answers with (to name what it serves), else None."""
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    from urllib.request import urlopen  # noqa: PLC0415 - only on this error path

    try:
        with urlopen(url, timeout=timeout_s) as r:
            return (r.headers.get_content_type() or "").lower() or None
    except Exception:  # noqa: BLE001 - only a hint
        return None


class Connection:
    """One open container: its audio stream's packets, decoded with a decoder that is replaced
    when the stream changes format under it (an MP3 stream switching rate)."""

    def __init__(self, av, container, name: str, timeout_s: float):
        self.av = av
        self.container = container
        self.name = name
        self.timeout_s = timeout_s
        if not container.streams.audio:
            raise StreamError(f"{name}: holds no audio stream")
        self.stream = container.streams.audio[0]
        self.decoder = self.stream.codec_context
        if self.decoder is None:
            raise StreamError(f"{name}: FFmpeg has no decoder for its audio codec")
        self.codec_name = self.decoder.name
        self._packets = container.demux(self.stream)
        self._pending: list = []  # frames decoded by first_format(), delivered first
        self._bad = 0
        self.live_edge_s = time.time()
        self.buffered_s = 0.0

    def first_format(self, max_burst_s: float = 5.0) -> tuple[int, int]:
        """Decode the audio the server sent at once (its start-up burst, what FFmpeg read to probe
        the stream), up to ``max_burst_s`` seconds of it: the ``(rate, channels)`` of its
        first frame. :attr:`live_edge_s`: the UTC time at which that audio ends (it ends at the
        stream's present), :attr:`buffered_s`: its length, seconds."""
        if self._pending:
            f = self._pending[0][0]
            return int(f.sample_rate), max(1, len(f.layout.channels))
        buffered_s = 0.0
        while True:
            t0 = time.monotonic()
            try:
                packet = next(self._packets)
            except StopIteration:
                if self._pending:
                    break
                raise StreamError(f"{self.name}: ended before any audio") from None
            except self.av.error.ExitError:
                if self._pending:
                    break
                raise StreamError(f"{self.name}: no audio within {self.timeout_s:g} s") from None
            except self.av.error.FFmpegError as e:
                raise StreamError(f"{self.name}: cannot read ({short_reason(e)})") from None
            waited = time.monotonic() - t0
            frames = self._decode(packet)
            t = time.time()
            self._pending += [(f, t) for f in frames]
            dur = sum(f.samples / f.sample_rate for f in frames if f.sample_rate)
            buffered_s += dur
            self.live_edge_s = t
            # the burst is over when a packet had to be waited for (audio now comes in real time)
            if self._pending and (buffered_s >= max_burst_s or (dur > 0 and waited > dur / 2)):
                break
        self.buffered_s = buffered_s
        f = self._pending[0][0]
        return int(f.sample_rate), max(1, len(f.layout.channels))

    def frames(self):
        """(frame, UTC s of its arrival) until the end; PyAV's errors pass through."""
        pending, self._pending = self._pending, []
        yield from pending
        for packet in self._packets:
            t = time.time()
            for f in self._decode(packet):
                yield f, t

    def _decode(self, packet) -> list:
        try:
            frames = self.decoder.decode(packet)
            self._bad = 0
            return frames
        except self.av.error.FFmpegError as e:
            self._bad += 1
            if self._bad > MAX_BAD_PACKETS:
                raise StreamError(f"{self.name}: cannot decode its audio ({short_reason(e)})") from None
        # a format the decoder does not follow (an MP3 stream changing rate): a fresh decoder
        old = self.decoder
        self.decoder = self.av.CodecContext.create(old.codec, "r")
        if old.extradata:
            self.decoder.extradata = old.extradata
        try:
            return self.decoder.decode(packet)
        except self.av.error.FFmpegError:
            return []

    def close(self) -> None:
        try:
            self.container.close()
        except Exception:  # noqa: BLE001 - already closed or broken
            pass
