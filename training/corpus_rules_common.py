"""What every corpus-source rule module shares: :class:`Source`, the ``Rule`` type, the
soundfont and rendered-MIDI names, and the helpers that build groups and rules.

A rule is ``rule(rel_path) -> (label, group) | None`` (see :mod:`training.corpus_sources`, which
lists the sources). The helpers here are used by several families of rules
(:mod:`training.corpus_rules_speech`, :mod:`training.corpus_rules_games`,
:mod:`training.corpus_rules_games_more`, :mod:`training.corpus_sources_extra`) and by the
source lists themselves: file stems (``_stem``), group keys (``_variant_group``,
``_file_group``, ``_ambience_group``) and rules built from folders and stems
(``_all_music``, ``_music_or_noise``, ``_music_by_stem``, ``_rendered_midi``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

Rule = Callable[[str], Optional[tuple[str, str]]]


@dataclass(frozen=True, eq=False)
class Source:
    """One Debian package: ``names`` are alternatives (first available is used)."""
    names: tuple[str, ...]
    rule: Rule
    license_override: Optional[str] = None
    # Packed archives inside the package: path below the package folder -> unpacker name.
    packed: dict = field(default_factory=dict)
    # File extensions besides audio that extraction keeps (the soundfont package's ".sf2").
    keep: tuple[str, ...] = ()
    # Render the package's MIDI files with the GM soundfont into ``rendered/`` (training.render_midi).
    midi: bool = False
    # Decode the package's headerless GSM 6.10 prompts (``*.gsm``) into FLAC (training.unpack).
    raw_gsm: bool = False
    # Every file of the package in this split instead of its group's hash ("train" for a single
    # voice so long that it would make up much of the validation or test split on its own).
    split: Optional[str] = None


# The General MIDI soundfont that MIDI music is rendered with: a source with no audio of its own,
# listed before the MIDI packages so that it is extracted first.
SOUNDFONT_PACKAGE = "fluid-soundfont-gm"
SOUNDFONT_REL = "usr/share/sounds/sf2/FluidR3_GM.sf2"
RENDERED_DIR = "rendered"


def _stem(rel: str) -> str:
    """File name without its audio extension(s) (``x_desc_da.ogg.ogg`` -> ``x_desc_da``)."""
    stem = posixpath.basename(rel)
    while posixpath.splitext(stem)[1].lower() in (".ogg", ".oga", ".wav", ".flac", ".mp3", ".opus"):
        stem = posixpath.splitext(stem)[0]
    return stem


def _variant_group(prefix: str, rel: str) -> str:
    """Group numbered variants of one sound together: ``dir/explosion-heavy1`` -> ``dir/explosion-heavy``."""
    base = re.sub(r"[-_ ]*\d+[a-z]?$", "", _stem(rel)) or _stem(rel)
    return f"{prefix}:{posixpath.dirname(rel).split('/')[-1]}/{base}"


def _file_group(prefix: str, rel: str) -> str:
    return f"{prefix}:{posixpath.splitext(rel)[0]}"


def _below(rel: str, marker: str) -> Optional[str]:
    """The part of ``rel`` after the folder ``marker`` (``"/unpacked/x.zip/sound/"``), or None outside it."""
    head, sep, tail = ("/" + rel).partition(marker)
    return tail if sep else None


def _no_audio(rel: str):
    return None


_SOLO_SUFFIX = re.compile(r"-solo\d+-ch\d+-p\d+$")


def _rendered_midi(prefix: str) -> Rule:
    """MIDI music rendered by training.render_midi: ``rendered/<stem>.flac`` (whole) and
    ``rendered/<stem>-soloK-chC-pP.flac`` (parts alone) are music, one group per MIDI file."""
    def rule(rel: str):
        tail = _below(rel, f"/{RENDERED_DIR}/")
        if tail is None:
            return None
        return "music", f"{prefix}:{_SOLO_SUFFIX.sub('', _stem(tail))}"
    return rule


def _all_music(prefix: str, must_contain: str = "/") -> Rule:
    def rule(rel: str):
        if must_contain in rel:
            return "music", _file_group(prefix, rel)
        return None
    return rule


def _music_or_noise(prefix: str, music_dir: Optional[str], noise_dir: Optional[str],
                    skip: Optional[re.Pattern] = None, noise_keep: Optional[re.Pattern] = None) -> Rule:
    """Files below ``music_dir`` are music (one group per file), files below ``noise_dir`` noise
    (numbered variants grouped); ``None`` for a package with only one of the two.
    ``skip`` (searched in the file stem) leaves files out of both;
    ``noise_keep``, when given, is an allow-list: only noise files whose stem it matches are used."""
    def rule(rel: str):
        stem = _stem(rel)
        if skip is not None and skip.search(stem):
            return None
        if music_dir is not None and music_dir in rel:
            return "music", _file_group(prefix, rel)
        if noise_dir is not None and noise_dir in rel and (noise_keep is None or noise_keep.match(stem)):
            return "noise", _variant_group(prefix, rel)
        return None
    return rule


# Ambience loops that the Quake-engine games (UFO:AI, OpenArena, Nexuiz) share: one group
# across the three packages, so the same recording never lands in two splits.
_SHARED_AMBIENCE = frozenset({"fire", "firesoft", "demonwind", "fan", "machinerydrone", "cricket_loop",
                              "lights_loop", "machine", "sparks", "water"})


def _ambience_group(prefix: str, rel: str) -> str:
    """``_variant_group``, except that a shared ambience loop gets the group ``shared-ambience:<sound>``."""
    base = re.sub(r"[-_ ]*\d+[a-z]?$", "", _stem(rel)) or _stem(rel)
    if base.lower() in _SHARED_AMBIENCE:
        return f"shared-ambience:{base.lower()}"
    return _variant_group(prefix, rel)


def _music_by_stem(prefix: str, folder: str, music: re.Pattern, noise: Optional[re.Pattern] = None,
                   skip: Optional[re.Pattern] = None) -> Rule:
    """Music and effects in one ``folder``: stems matching ``music`` are music (one group per
    file); the other files are noise, only those whose stem matches ``noise`` when it is given
    (an allow-list); ``skip`` (searched in the stem) leaves files out."""
    def rule(rel: str):
        if folder not in rel:
            return None
        stem = _stem(rel)
        if skip is not None and skip.search(stem):
            return None
        if music.match(stem):
            return "music", _file_group(prefix, rel)
        if noise is None or noise.match(stem):
            return "noise", _variant_group(prefix, rel)
        return None
    return rule
