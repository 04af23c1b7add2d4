"""Rules of the corpus's speech packages (the "speech" part of
:data:`training.corpus_sources.SOURCES`): Flight of the Amazon Queen, Fish Fillets (its
dialogue packages and its base data), Tux Paint's stamps, the Asterisk prompts, KLettres,
Hedgewars and Warzone 2100. Some of these packages hold music and effects too; their rules
label those as well.

Each rule is ``rule(rel_path) -> (label, group) | None`` (conventions in
:mod:`training.corpus_sources`; shared helpers in :mod:`training.corpus_rules_common`).
"""

from __future__ import annotations

import posixpath
import re

from .corpus_rules_common import Rule, _below, _file_group, _stem, _variant_group


# ---------------------------------------------------------------------------------- speech
def _queen(rel: str):
    """FOTAQ speech entries from queen.1c: dialogue lines ``RRDDLLJn``/``..Pn`` (J = Joe,
    P = the other person of dialogue RRDD), ``JOE#####`` (Joe), cut-scenes ``C##X_###``;
    names padded with S (``88SSSSSS``, ``116BSSSS``) are ScummVM's sound effects (noise)."""
    if "/unpacked/queen.1c/" not in "/" + rel:
        return None
    name = _stem(rel).upper()
    if re.match(r"^\d+[A-Z]?S{3,}$", name):
        return "noise", f"queen:sfx-{name.rstrip('S')}"   # sound effects: 88SSSSSS, 1001SSSS, 116BSSSS
    if name.startswith("JOE") or (len(name) == 8 and name[6] == "J"):
        return "speech", "queen:joe"
    if len(name) == 8 and name[6] == "P":
        return "speech", f"queen:dialogue-{name[:4]}"
    m = re.match(r"^C(\d\d?)", name)
    if m:
        return "speech", f"queen:cutscene-{m.group(1)}"
    return "speech", f"queen:{name[:4]}"


def _fillets_lang(pkg: str) -> Rule:
    """Fish Fillets dialogue ``<level>-<character>-<word>.ogg`` (m = small fish, v = big fish)."""
    def rule(rel: str):
        if "/sound/" not in rel:
            return None
        stem = _stem(rel)
        tokens = stem.split("-")
        if "music" in stem or (len(tokens) >= 3 and tokens[1] == "x"):
            return None                              # effects / jingles kept out of speech
        if len(tokens) >= 3 and len(tokens[1]) <= 4 and not tokens[1].isdigit():
            return "speech", f"{pkg}:{tokens[1]}"
        level = rel.split("/sound/", 1)[1].split("/")[0]
        return "speech", f"{pkg}:{level}"
    return rule


def _fillets_base(rel: str):
    """fillets-ng-data: music/ is music; ``-x-`` effects, typing/bubbles/impacts are noise;
    the few spoken German/Russian/Warcraft lines are speech; the rest (creature noises,
    jingles) is left out."""
    if "/fillets-ng/" not in rel:
        return None
    stem = _stem(rel)
    if "/fillets-ng/music/" in rel or "music" in stem:
        return "music", _file_group("fillets-ng-data", rel)
    tokens = stem.split("-")
    if (len(tokens) >= 3 and tokens[1] == "x") or "/sound/share/" in rel or "/sound/linux/" in rel \
            or stem.startswith("unlocking"):
        return "noise", _variant_group("fillets-ng-data", rel)
    if stem.startswith("deu-") or stem.startswith("war-"):
        return "speech", f"fillets-ng-data:{'-'.join(tokens[:2])}"
    return None


# effects that are (or may be) voices or music: bugle call, "ho ho ho", ghost moan,
# spoken dreidel letters, the Apollo radio call
_TUX_SKIP = re.compile(r"^(final-roll-call|santahat|ghost|dreydl-.*|apollo_lander)$")
_TUX_LANG = re.compile(r"_([a-z]{2,3}(?:_[A-Z]{2})?)$")


def _tuxpaint(rel: str):
    """Tux Paint stamps: ``*_desc[_<lang>]`` are spoken descriptions, symbols/ holds spoken
    letters and numbers (faces/ holds vocal expressions: left out), hobbies/music/ holds instrument samples, the rest are effects."""
    if "/stamps/" not in rel:
        return None
    stem = _stem(rel)
    m = re.search(r"_desc(?:_([A-Za-z_]+))?$", stem)
    if m:
        return "speech", f"tuxpaint:desc-{m.group(1) or 'en'}"
    if "/stamps/symbols/faces/" in rel:
        return None                                  # vocal expressions (laughs, growls)
    if "/stamps/symbols/" in rel:
        lm = _TUX_LANG.search(stem)
        lang = lm.group(1) if lm else posixpath.dirname(rel).split("/stamps/symbols/")[1].split("/")[-3:][0]
        return "speech", f"tuxpaint:symbols-{lang}"
    if "/stamps/hobbies/music/" in rel:
        return "music", _file_group("tuxpaint", rel)
    if _TUX_SKIP.match(stem):
        return None
    return "noise", _variant_group("tuxpaint", rel)


def _asterisk(pkg: str) -> Rule:
    """Asterisk prompts below ``sounds/<lang_voice>/``; the ``silence/`` folder is skipped."""
    def rule(rel: str):
        parts = rel.split("/")
        if "sounds" not in parts:
            return None
        i = parts.index("sounds")
        if len(parts) < i + 3 or "silence" in parts[i + 2:-1]:
            return None
        return "speech", f"{pkg}:{parts[i + 1]}"
    return rule


def _klettres(rel: str):
    """KLettres: ``usr/share/klettres/<lang>/(alpha|syllab)/*.ogg`` spoken letters/syllables."""
    parts = rel.split("/")
    if len(parts) >= 6 and parts[2] == "klettres" and parts[4] in ("alpha", "syllab"):
        return "speech", f"klettres:{parts[3]}"
    return None


_HEDGEWARS_GRUNTS = re.compile(r"^(Ooff|Ow|Laugh|Poison|Hmm|Jump|Firepunch|Nooo)", re.I)
_HEDGEWARS_SKIP_FX = re.compile(r"^(\d[A-G]|hell_|Kiss|Yoohoo|hogchant|ride_of_the_valkyries)", re.I)


def _hedgewars(rel: str):
    """Hedgewars: Data/Music is music; Data/Sounds/voices/<set> speech (the singing set and
    grunts/laughs left out); other Data/Sounds are effects (musical notes, hog voices left out)."""
    if "/Data/Music/" in rel:
        return "music", _file_group("hedgewars", rel)
    if "/Data/Sounds/voices/" in rel:
        voice = rel.split("/Data/Sounds/voices/")[1].split("/")[0]
        if voice == "Singer" or _HEDGEWARS_GRUNTS.match(_stem(rel)):
            return None
        return "speech", f"hedgewars:voice-{voice}"
    if "/Data/Sounds/" in rel:
        if _HEDGEWARS_SKIP_FX.match(_stem(rel)):
            return None
        return "noise", _variant_group("hedgewars", rel)
    return None


def _warzone_data(rel: str):
    """Warzone 2100 base.wz: audio/sfx, audio/multi and radio clicks are effects; the other audio/ folders
    are spoken messages (one voice per folder; vtoltalk is radio-filtered); screams, laughs and
    the mixed video soundtracks (sequenceaudio/) are left out."""
    inner = _below(rel, "/unpacked/base.wz/")
    if inner is None:
        return None
    parts = inner.split("/")
    if parts[0] == "sequenceaudio":
        return None                                   # video soundtracks: tones, rumble, voice mixed
    if parts[0] != "audio" or len(parts) < 3:
        return None
    if parts[1] == "sfx":
        if parts[2] == "misc":
            return None                               # screams, "help", a silence file
        return "noise", _variant_group("warzone2100", rel)
    if parts[1] == "radclick":
        return "noise", "warzone2100:radclick"
    if parts[1] == "multi":
        return "noise", _variant_group("warzone2100", rel)    # weapon effects (hevlsr, emp, ...)
    if parts[1] == "nexus" and _stem(rel).startswith("laugh"):
        return None
    return "speech", f"warzone2100:{parts[1]}"
