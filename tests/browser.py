"""A real headless Chromium for the tests: the DOM after the page's scripts ran, and screenshots.

Each run gets a fresh profile folder (removed afterwards) and no network beyond the page: no
background, component, sync or QUIC traffic. ``chromium_path()`` is None when no Chromium is
installed (``scripts/setup.sh --all`` installs Debian's ``chromium``); tests then skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1", "--mute-audio",
         "--host-resolver-rules=MAP * ~NOTFOUND")  # Chromium's own update/account calls stay on this machine
WINDOW = (1400, 1800)
"""Window size in CSS pixels (= screenshot pixels at scale 1) for both the DOM and the screenshots."""
SKIP_REASON = ("no Chromium on PATH (chromium, chromium-browser or google-chrome): "
               "scripts/setup.sh --all installs Debian's chromium")


def chromium_path() -> str | None:
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def file_url(path: str | os.PathLike, query: str = "") -> str:
    url = Path(path).resolve().as_uri()
    return url + ("?" + query if query else "")


def run_chromium(url: str, *extra: str, window: tuple[int, int] = WINDOW, timeout_s: float = 60.0) -> str:
    """Run Chromium once on ``url`` with ``extra`` flags; returns its standard output.
    Raises RuntimeError (with stderr's tail) on a non-zero exit or a time-out."""
    exe = chromium_path()
    if exe is None:
        raise RuntimeError(SKIP_REASON)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}", *extra, url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # Chromium's own helpers, started in this new session
        proc.communicate()
        raise RuntimeError(f"chromium did not finish within {timeout_s:g} s: {' '.join(cmd)}") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited with {proc.returncode}: {err.strip()[-800:]}")
    return out


def dump_dom(page: str | os.PathLike, query: str = "", window: tuple[int, int] = WINDOW) -> "Element":
    """The page's DOM after its scripts ran (``--dump-dom``), parsed."""
    return parse_html(run_chromium(file_url(page, query), "--dump-dom", window=window))


def screenshot(page: str | os.PathLike, png: str | os.PathLike, query: str = "",
               window: tuple[int, int] = WINDOW):
    """A screenshot of the window's first ``window`` pixels of the page, as a PIL RGB image."""
    from PIL import Image

    run_chromium(file_url(page, query), f"--screenshot={png}", window=window)
    with Image.open(png) as im:
        return im.convert("RGB")


def page_requests(page: str | os.PathLike, net_log: str | os.PathLike, query: str = "") -> list[str]:
    """The URLs the page itself asked for while it loaded and its scripts ran (Chromium's net log:
    requests with an initiator; the browser's own update and account calls have none)."""
    import json

    run_chromium(file_url(page, query), "--dump-dom", f"--log-net-log={net_log}")
    with open(net_log, encoding="utf-8") as f:
        log = json.load(f)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    return [e["params"]["url"] for e in log["events"] if names.get(e["type"]) == "URL_REQUEST_START_JOB"
            and e.get("params", {}).get("initiator", "not an origin") != "not an origin"]


def probe_query(selector: str) -> str:
    """The query that makes the report page write each matching element's box into ``data-rect``."""
    return "probe=" + quote(selector, safe="")


# ------------------------------------------------------------------------------------ a small DOM

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    """An element of the dumped DOM: ``tag``, ``attrs``, ``children`` (elements and strings)."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Element | None" = None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self):
        for c in self.children:
            if isinstance(c, Element):
                yield c
                yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list["Element"]:
        """Descendants with ``tag``, the class ``cls`` and the attribute values ``attrs`` (``_`` for ``-``)."""
        want = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [e for e in self.iter() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)
                and all(e.attrs.get(k) == v for k, v in want.items())]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Element":
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'}> class={cls} {attrs} in the DOM"
        return found[0]

    def by_id(self, ident: str) -> "Element":
        return self.find(id=ident)

    def rect(self) -> tuple[float, float, float, float]:
        """``x, y, width, height`` a ``?probe=`` query wrote into ``data-rect``."""
        return tuple(float(v) for v in self.attrs["data-rect"].split(","))  # type: ignore[return-value]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.node = self.root

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.node)
        self.node.children.append(el)
        if tag not in VOID:
            self.node = el

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root
