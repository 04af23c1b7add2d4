"""What to tag: files, folders (searched recursively for audio files), shell globs, list files
(``--from-list FILE``, ``-`` for standard input: one path or URL a line, blank lines and lines
starting with ``#`` ignored) and URLs (``http(s)://``, ``file://``, ``s3://``, ... through
fsspec; a URL with ``*``, ``?`` or ``[`` is a glob, one ending in ``/`` a folder, where the
file system can list them).

Each input gets the name of its output: ``<stem>`` for a file or a glob's match, the path
below the folder without its extension for a folder's files (``--out-dir`` then mirrors the
folder's tree). Order: as given, a folder's or glob's files sorted by path; an input given
twice is tagged once.
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from ..errors import TaggerError
from .remote import file_url_path, fsspec_module, is_url, storage_options

AUDIO_EXTENSIONS = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc",
                              ".au", ".snd", ".w64", ".rf64", ".caf", ".wv", ".sd2", ".voc", ".mpga"})
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class Input:
    """One input: ``spec`` as given or found (shown in the summary), ``location`` what a worker
    opens (an absolute path or a URL), ``out_stem`` its output's path below ``--out-dir``
    without extension (``/``-separated), ``problem`` a one-line error found while expanding (a
    glob matching nothing), then nothing is tagged."""

    spec: str
    location: str
    out_stem: str
    problem: str | None = None


def is_audio_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS


def _stem(name: str) -> str:
    return os.path.splitext(os.path.basename(name.rstrip("/")))[0] or "input"


def _local(path: str, out_stem: str | None = None) -> Input:
    return Input(path, os.path.abspath(path), out_stem or _stem(path))


def _folder(path: str) -> list[Input]:
    found = []
    for root, dirs, files in os.walk(path, onerror=None, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            if is_audio_name(name) and not name.startswith("."):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, path)
                found.append(_local(full, os.path.splitext(rel)[0].replace(os.sep, "/")))
    if not found:
        return [Input(path, os.path.abspath(path), _stem(path), f"{path}: folder holds no audio files "
                      f"({', '.join(sorted(e[1:] for e in AUDIO_EXTENSIONS if len(e) <= 5)[:8])}, ...)")]
    return found


def _url_inputs(url: str) -> list[Input]:
    scheme_rest = url.split("://", 1)[1]
    path = file_url_path(url)
    if path is not None and not any(c in scheme_rest for c in GLOB_CHARS) and os.path.isdir(path):
        return [Input(url + ("" if url.endswith("/") else "/") + i.out_stem + os.path.splitext(i.location)[1],
                      i.location, i.out_stem, i.problem) for i in _folder(path)]
    listing = any(c in scheme_rest for c in GLOB_CHARS) or url.endswith("/")
    if not listing:
        return [Input(url, url, _stem(unquote(urlparse(url).path)))]
    fsspec = fsspec_module()
    try:
        fs, _, paths = fsspec.get_fs_token_paths(url, storage_options=storage_options(url))
        protocol = url.split("://", 1)[0]
        if url.endswith("/") and not any(c in scheme_rest for c in GLOB_CHARS):
            base = paths[0].rstrip("/")
            found = sorted(p for p in fs.find(base) if is_audio_name(p))
            rel = [p[len(base):].lstrip("/") for p in found]
        else:
            found = sorted(fs.glob(paths[0]))
            rel = [os.path.basename(p.rstrip("/")) for p in found]
    except TaggerError:
        raise
    except Exception as e:  # noqa: BLE001 - fsspec backends raise many kinds
        from ..errors import short_reason

        return [Input(url, url, _stem(url), f"{url}: cannot list ({short_reason(e)})")]
    out = []
    for p, r in zip(found, rel):
        full = p if "://" in p else f"{protocol}://{p}"
        out.append(Input(full, full, os.path.splitext(unquote(r))[0]))
    if not out:
        return [Input(url, url, _stem(url), f"{url}: no file matches")]
    return out


def expand_one(spec: str) -> list[Input]:
    """The inputs one command-line argument or list line stands for."""
    if is_url(spec):
        return _url_inputs(spec)
    if os.path.isdir(spec):
        return _folder(spec)
    if any(c in spec for c in GLOB_CHARS) and not os.path.lexists(spec):
        matches = sorted(glob.glob(os.path.expanduser(spec), recursive=True))
        files = [m for m in matches if not os.path.isdir(m)]
        if not files:
            return [Input(spec, os.path.abspath(spec), _stem(spec), f"{spec}: no file matches")]
        return [_local(m) for m in files]
    return [_local(spec)]


def read_list(path: str) -> list[str]:
    """The lines of a ``--from-list`` file (``-``: standard input) that name inputs."""
    try:
        if path == "-":
            if sys.stdin is None:
                raise TaggerError("--from-list -: standard input is closed")
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except FileNotFoundError:
        raise TaggerError(f"--from-list {path}: no such file") from None
    except UnicodeDecodeError:
        raise TaggerError(f"--from-list {path}: not a text file (one path or URL a line, UTF-8)") from None
    except OSError as e:
        raise TaggerError(f"--from-list {path}: cannot read ({e.strerror or e})") from None
    lines = [ln.strip() for ln in text.splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def expand_inputs(specs: list[str], from_list: str | None = None) -> list[Input]:
    """Every input, in order, each once (see the module docstring)."""
    given = list(specs) + (read_list(from_list) if from_list else [])
    out: list[Input] = []
    seen: set[str] = set()
    for spec in given:
        for item in expand_one(spec):
            key = item.location
            if key in seen:
                continue
            seen.add(key)
            out.append(item)
    return out


def destinations(inputs: list[Input], out_dir: str, ext: str) -> list[str]:
    """``out_dir/<out_stem><ext>`` per input; refuses two inputs that would write the same file."""
    dests = [os.path.join(out_dir, *[p for p in i.out_stem.split("/") if p not in ("", ".", "..")] or ["input"]) + ext
             for i in inputs]
    seen: dict[str, str] = {}
    for item, dest in zip(inputs, dests):
        if item.problem is None and dest in seen:
            raise TaggerError(f"{seen[dest]} and {item.spec} would both be written to {dest}; "
                              "tag them into different --out-dir folders")
        seen.setdefault(dest, item.spec)
    return dests
