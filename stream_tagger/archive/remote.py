"""Inputs given as URLs, opened through fsspec (``http(s)://``, ``file://``, and ``s3://``,
``gs://``, ... where the matching fsspec package is installed).

* WAV and FLAC are read through fsspec's file object (range requests, fsspec's read-ahead
  cache), never copied whole: libsndfile reads them front to back and seeks only in the
  header, and their truncation checks need only the header (WAV's data chunk size) or the
  frame count against what was decoded (FLAC).
* Everything else (Ogg Vorbis/Opus, MP3, other containers) goes to a temporary local copy
  first, removed after the file is tagged: their completeness checks walk every Ogg page or
  MPEG frame header of the file, and libsndfile seeks to the end of an Ogg stream to learn
  its length, so streaming them would fetch them twice or more.

Network errors are the file's error (one line); ``STREAM_TAGGER_URL_TIMEOUT_S`` (default 60)
bounds connecting and each read of an ``http(s)://`` URL, in seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from urllib.parse import unquote, urlparse

import soundfile as sf

from ..audio_io import check_rate
from ..errors import AudioFileError, TaggerError, short_reason
from ..sources import formats
from ..sources.file import FileSource

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
STREAMED_MAGIC = ((b"RIFF", b"WAVE"), (b"RF64", b"WAVE"), (b"fLaC", b""))
COPY_CHUNK_BYTES = 1 << 20
MISSING_EXTRA = "URL inputs need the 'cluster' extra (fsspec, aiohttp): pip install 'stream-tagger[cluster]'"


def is_url(spec: str) -> bool:
    return bool(_URL.match(spec))


def file_url_path(url: str) -> str | None:
    """The local path of a ``file://`` URL, else None."""
    if url[:7].lower() != "file://":
        return None
    return unquote(urlparse(url).path)


def fsspec_module():
    try:
        import fsspec
    except ImportError:
        raise TaggerError(MISSING_EXTRA) from None
    return fsspec


def url_timeout_s() -> float:
    try:
        return max(0.1, float(os.environ.get("STREAM_TAGGER_URL_TIMEOUT_S", "60")))
    except ValueError:
        return 60.0


def storage_options(url: str) -> dict:
    """fsspec options for ``url``: timeouts for http(s)."""
    if url.split("://", 1)[0].lower() in ("http", "https"):
        try:
            import aiohttp
        except ImportError:
            raise TaggerError(MISSING_EXTRA) from None
        t = url_timeout_s()
        return {"client_kwargs": {"timeout": aiohttp.ClientTimeout(total=None, sock_connect=t, sock_read=t)}}
    return {}


def _causes(e: BaseException):
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _url_error(url: str, e: BaseException) -> AudioFileError:
    """One line for a URL that failed: fsspec reports a timeout or a refused connection while
    it asks for the file's size as FileNotFoundError, with the real reason as its cause."""
    for c in _causes(e):
        if isinstance(c, TimeoutError) or type(c).__name__ in ("ServerTimeoutError", "ConnectionTimeoutError"):
            return AudioFileError(f"{url}: timed out (no answer within {url_timeout_s():g} s)")
        if type(c).__name__ in ("ClientConnectorError", "ConnectionRefusedError"):
            return AudioFileError(f"{url}: cannot connect ({short_reason(c)})")
    if isinstance(e, FileNotFoundError):
        return AudioFileError(f"{url}: no such file (not found)")
    return AudioFileError(f"{url}: cannot read ({short_reason(e)})")


def open_remote(url: str):
    """A source with ``blocks()``, ``sample_rate_hz`` and ``close()`` for ``url``; raises
    :class:`AudioFileError` (one line naming the URL) when it cannot be opened."""
    path = file_url_path(url)
    if path is not None:
        return _LocalCopy.of_path(path, url)
    fsspec = fsspec_module()
    try:
        f = fsspec.open(url, "rb", **storage_options(url)).open()
    except TaggerError:
        raise
    except Exception as e:  # noqa: BLE001 - fsspec and its backends raise many kinds
        raise _url_error(url, e) from None
    try:
        head = f.read(12)
        f.seek(0)
        if any(head[:4] == a and (not b or head[8:12] == b) for a, b in STREAMED_MAGIC):
            src = StreamedSource(url, f)
            src.open()
            return src
        return _LocalCopy.download(url, f)
    except TaggerError:
        f.close()
        raise
    except Exception as e:  # noqa: BLE001
        f.close()
        raise _url_error(url, e) from None


class StreamedSource(FileSource):
    """A WAV or FLAC read through an open fsspec file object (see the module docstring)."""

    def __init__(self, url: str, fileobj):
        super().__init__(url)
        self._fileobj = fileobj

    def open(self) -> None:
        if self._opened:
            return
        url, f = self.path, self._fileobj
        size = int(getattr(f, "size", 0) or 0)
        try:
            info = sf.info(f)
        except Exception as e:  # noqa: BLE001
            if isinstance(e, OSError) and not hasattr(e, "error_string"):  # the network, not the format
                raise _url_error(url, e) from None
            raise AudioFileError(f"{url}: not a readable audio file ({short_reason(e)})") from None
        if info.frames <= 0 or info.samplerate <= 0:
            raise AudioFileError(f"{url}: contains no audio samples")
        check_rate(info.samplerate, url)
        self.sample_rate_hz, self.channels = int(info.samplerate), int(info.channels)
        self.frames = int(info.frames)
        self.duration_s = self.frames / self.sample_rate_hz
        self._mpeg = False
        self._check_format = True
        self._mp3_frames_samples = None
        if size:
            f.seek(0)
            formats.check_riff_header(f, size, url)
        self._opened = True

    def _open_soundfile(self):
        self._fileobj.seek(0)
        return sf.SoundFile(self._fileobj)

    def blocks(self, block_frames=None, stop=None):
        try:
            yield from super().blocks(block_frames, stop)
        except TaggerError:
            raise
        except Exception as e:  # noqa: BLE001 - the connection failed mid-file
            raise _url_error(url=self.path, e=e) from None

    def close(self) -> None:
        self._fileobj.close()


class _LocalCopy:
    """A local file (``file://``, or a temporary copy of a remote one) read by a FileSource whose
    messages name the URL; ``close()`` removes a temporary copy."""

    def __init__(self, path: str, url: str, temporary: bool):
        self.path, self.url, self.temporary = path, url, temporary
        self._src = FileSource(path)
        try:
            self._wrap(self._src.open)
        except BaseException:
            self.close()
            raise
        self.sample_rate_hz = self._src.sample_rate_hz
        self.duration_s = self._src.duration_s

    @classmethod
    def of_path(cls, path: str, url: str) -> "_LocalCopy":
        return cls(path, url, temporary=False)

    @classmethod
    def download(cls, url: str, f) -> "_LocalCopy":
        suffix = os.path.splitext(urlparse(url).path)[1][:16]
        fd, tmp = tempfile.mkstemp(prefix="stream-tagger-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as out, f:
                shutil.copyfileobj(f, out, COPY_CHUNK_BYTES)
        except BaseException as e:
            os.unlink(tmp)
            if isinstance(e, Exception):
                raise _url_error(url, e) from None
            raise
        return cls(tmp, url, temporary=True)

    def _wrap(self, fn, *args):
        try:
            return fn(*args)
        except TaggerError as e:
            raise type(e)(str(e).replace(self.path, self.url)) from None

    def blocks(self, block_frames=None, stop=None):
        gen = self._src.blocks(block_frames, stop)
        while True:
            try:
                block = next(gen)
            except StopIteration:
                return
            except TaggerError as e:
                raise type(e)(str(e).replace(self.path, self.url)) from None
            yield block

    def close(self) -> None:
        if self.temporary:
            try:
                os.unlink(self.path)
            except OSError:
                pass
