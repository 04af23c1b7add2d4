"""Test audio and packages for the corpus builder's tests (tests/test_corpus*.py,
tests/test_heldout_speech.py): a tone, a file written with its folders, and a real (tiny) .deb."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

RATE = 16000


def _tone(seconds: float, rate: int = RATE, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def _write(path, audio, rate=RATE, **kw):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, audio, rate, **kw)
    return path


def package_root(root, name: str, licence: str = "GPL-2", holder: str = "someone"):
    """A Debian package tree at ``root`` (a pathlib.Path) with its control file and a DEP-5
    copyright file (``Files: *`` under ``licence``); fill it, then :func:`build_deb`. Skips the
    test where dpkg-deb is missing."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not available")
    (root / "DEBIAN").mkdir(parents=True, exist_ok=True)
    (root / "DEBIAN/control").write_text(f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
                                         "Maintainer: t <t@example.org>\nDescription: test\n")
    doc = root / f"usr/share/doc/{name}"
    doc.mkdir(parents=True, exist_ok=True)
    (doc / "copyright").write_text("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                                   f"Files: *\nCopyright: {holder}\nLicense: {licence}\n")
    return root


def build_deb(root, deb) -> str:
    """``dpkg-deb --build`` the tree ``root`` into the file ``deb``; -> its path."""
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True,
                   stdout=subprocess.DEVNULL)
    return str(deb)
