"""Which Debian packages feed the corpus, and the file-name rules that label their audio.

Each :class:`Source` names one Debian package (with alternative names, first available wins)
and a ``rule(rel_path) -> (label, group) | None``. ``rel_path`` is the path below the
package's extraction folder (``data/corpus/<package>/``), with '/' separators, e.g.
``usr/share/games/wesnoth/1.16/data/core/sounds/bow.ogg``. ``None`` means "not used"
(ambiguous content such as singing, jingles, shouted words, or silence files). Non-verbal vocal
sounds (grunts, cries, screams, laughs, a crowd's cheering) that a rule below leaves out are
labelled noise by :mod:`training.vocal_sounds`, which extends the rules of ``SOURCES`` (the
comments below say "left out" of the rule itself).

``group`` is the unit that must never be split across train/val/test: a speaker or voice
set for speech, a track for music, a sound (with its numbered variants) for noise.

Packages reserved for evaluation (``RESERVED_PACKAGES``) are never listed here.

``HELDOUT_SOURCES`` are packages the corpus never trains on: ``python -m training.heldout``
builds them into a corpus of their own (every file in its test split) to measure the model on
sources it has never heard, beside the in-corpus test split whose recordings come from the same
packages as the training audio.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from .vocal_sounds import with_vocal_noise

Rule = Callable[[str], Optional[tuple[str, str]]]

RESERVED_PACKAGES = frozenset({
    "beneath-a-steel-sky", "ktuberling-data", "megaglest-data", "widelands-data", "naev-data",
    "supertuxkart-data", "fretsonfire-songs-sectoid", "alsa-utils",
})
RESERVED_PYPI_PACKAGES = frozenset({"pyannote.audio", "arcade", "librosa", "opensoundscape"})
"""PyPI packages whose audio is reserved for evaluation (issue #2): never a source here or in
:mod:`training.corpus_sources_extra`, never read by tests."""


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
_VERSION_SUFFIX = re.compile(r"\d*(_raw)?$")


def _rendered_midi(prefix: str) -> Rule:
    """MIDI music rendered by training.render_midi: ``rendered/<stem>.flac`` (whole) and
    ``rendered/<stem>-soloK-chC-pP.flac`` (parts alone) are music, one group per MIDI file."""
    def rule(rel: str):
        tail = _below(rel, f"/{RENDERED_DIR}/")
        if tail is None:
            return None
        return "music", f"{prefix}:{_SOLO_SUFFIX.sub('', _stem(tail))}"
    return rule


def _ardentryst(rel: str):
    """Ardentryst's 14 tracks (orchestral, solo piano and flute, ambient); ``theme1_raw`` and
    ``theme1``, ``castle``/``castle2`` and the like are versions of one piece: one group."""
    if "/ardentryst/Music/" not in rel:
        return None
    return "music", f"ardentryst:{_VERSION_SUFFIX.sub('', _stem(rel)).lower()}"


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


# ---------------------------------------------------------------------------------- music
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


def _fretsonfire(rel: str):
    """Frets on Fire songs: ``song.ogg`` only (``guitar.ogg`` is a stem of the same song)."""
    if posixpath.basename(rel) == "song.ogg":
        return "music", f"fretsonfire:{posixpath.basename(posixpath.dirname(rel))}"
    return None


def _frozen_bubble(rel: str):
    """Frozen Bubble: the three ``*zik*`` tracks are music; effects are not used."""
    if "zik" in _stem(rel):
        return "music", _file_group("frozen-bubble", rel)
    return None


def _freeorion(rel: str):
    """FreeOrion sound/: one music track (artificial_intelligence_v3), the rest UI/combat effects."""
    if "/data/sound/" not in rel:
        return None
    if _stem(rel).startswith("artificial_intelligence"):
        return "music", _file_group("freeorion", rel)
    return "noise", _variant_group("freeorion", rel)


# ---------------------------------------------------------------------------------- noise
_WESNOTH_VOCAL = re.compile(
    r"^(human|elf|dwarf|orc|goblin|troll|ogre|mermaid|mermen|naga|lich|zombie|yeti|ghoul)\b.*-(die|hit)|"
    r"laugh|groan|^ugg|^wail|wardrums|fanfare")


def _wesnoth_data(rel: str):
    """Wesnoth sounds/ and ambient/: effects, animals, ambiences; voiced grunts of humanoid units,
    laughs, wails, war drums and the fanfare are left out."""
    if "/sounds/" not in rel:
        return None
    if _WESNOTH_VOCAL.search(_stem(rel)):
        return None
    return "noise", _variant_group("wesnoth", rel)


_LINCITY_SKIP = re.compile(r"^School")


def _lincity(rel: str):
    """LinCity-NG sounds/: building/traffic/industry ambiences (School* left out: children's voices);
    music/: three instrumental tracks."""
    if "/lincity-ng/music/" in rel:
        return "music", _file_group("lincity-ng", rel)
    if "/lincity-ng/sounds/" in rel and not _LINCITY_SKIP.search(_stem(rel)):
        return "noise", _variant_group("lincity-ng", rel)
    return None


_HYPERROGUE_SKIP = re.compile(r"prince|laugh|speak|dzia")


def _sonic_pi(rel: str):
    """Sonic Pi samples: ambi_/vinyl_/misc_/elec_/perc_ are noise (ambi_piano is music, the
    ambi_choir singing is left out); drum/bd/sn/tabla/loop/guit are music (loop_3d_printer is noise)."""
    if "/sonic-pi/samples/" not in rel:
        return None
    stem = _stem(rel)
    group = f"sonic-pi:{stem}"
    if stem == "ambi_choir":
        return None
    if stem in ("ambi_piano",) or re.match(r"^(drum|bd|sn|tabla|guit)_", stem) or \
            (stem.startswith("loop_") and stem != "loop_3d_printer"):
        return "music", group
    if re.match(r"^(ambi|vinyl|misc|elec|perc)_", stem) or stem == "loop_3d_printer":
        return "noise", group
    return None


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


# voices (radio message, TV news), jingles and the disco loop
_UFOAI_SKIP = re.compile(r"^(jingle|disco|radiomessage|tv_newswav)")


def _ufoai(rel: str):
    """UFO:AI 0snd.pk3: ambience loops (machines, engines, generators, wind, fire, water,
    thunder, pumps), doors, footsteps, impacts, weapons, vehicle (ugv) engines, breaking
    glass/metal/wood, UI clicks. Left out: alien/civilian/soldier cries, geoscape jingles,
    the chat/lobby/round-start cues, and ambiences that are voices, jingles or disco music."""
    inner = _below(rel, "/unpacked/0snd.pk3/sound/")
    if inner is None:
        return None
    folder = inner.split("/")[0]
    stem = _stem(rel)
    if folder == "ambience":
        return None if _UFOAI_SKIP.match(stem) else ("noise", _ambience_group("ufoai", rel))
    if folder == "aliens":
        return ("noise", _variant_group("ufoai", rel)) if stem.startswith("move") else None
    if folder == "misc":
        return ("noise", _variant_group("ufoai", rel)) if re.match(r"^(break|electro)", stem) else None
    if folder == "geoscape":
        return ("noise", _variant_group("ufoai", rel)) if stem.startswith("combat-") else None
    if folder in ("doors", "footsteps", "impact", "seq", "ugv", "ui", "weapons"):
        return "noise", _variant_group("ufoai", rel)
    return None                                       # civilians, soldiers: cries


_OPENARENA_SKIP = re.compile(r"^(moan|growl|nightmare|silence|1shot_greg|gurp|youwin)")


def _openarena(rel: str):
    """OpenArena pak0.pk3 sound/: world ambiences (wind, drones, machinery, fire, water, hum),
    weapons, items, doors and platforms, footsteps and body impacts. Left out: the player
    voice (sarge/), announcer, moans, growls and gurgles, the music-like stingers (1shot_greg,
    nightmare), the win cue and the silence file."""
    inner = _below(rel, "/unpacked/pak0.pk3/sound/")
    if inner is None:
        return None
    if inner.startswith(("player/sarge/", "player/announcer/")) or _OPENARENA_SKIP.match(_stem(rel)):
        return None
    if inner.startswith("world/"):
        return "noise", _ambience_group("openarena", rel)
    return "noise", _variant_group("openarena", rel)


_NEXUIZ_SKIP = re.compile(r"^(radiomessage|tuba_note|talk|null|controlpoint_)")


def _nexuiz(rel: str):
    """Nexuiz data.pk3 sound/: ambient and desertfactory loops (machines, generator, steam,
    wind, rain, water), weapons, misc (footsteps, impacts, pickups), platforms, portals, turrets,
    weather. Left out: player voices, announcers, the tutorial, game-mode cues (ctf, kh,
    domination, nexball, onslaught alerts), tuba notes and the radio message."""
    inner = _below(rel, "/unpacked/data.pk3/sound/")
    if inner is None:
        return None
    folder = inner.split("/")[0]
    if _NEXUIZ_SKIP.match(_stem(rel)):
        return None
    if folder in ("ambient", "desertfactory"):
        return "noise", _ambience_group("nexuiz", rel)
    if folder in ("weapons", "misc", "plats", "porto", "turrets", "weather", "onslaught", "cyberparcour01"):
        return "noise", _variant_group("nexuiz", rel)
    return None


# Scorched 3D: data/music is music; wav/ explosions, shots, shields, tank movement, aircraft
# (jets, helicopter, cessna), vehicles and sirens, factory/city/nuclear loops, rain, thunder,
# ocean, lava, birds, frogs and farm animals are noise. Screams, the crowd cheering loop and
# the game's cue sounds (fight4life, extralife, play, text) are left out.
_SCORCHED_SKIP = re.compile(r"^(scream.*|cheeringloop|fight4life|extralife|play|text)$")
_scorched3d = _music_or_noise("scorched3d", "/data/music/", "/data/wav/", skip=_SCORCHED_SKIP)

# Battle Tanks: data/tunes is music; data/sounds (ambient city/country/forest/swamp loops,
# engines, train, helicopter, submarine, weapons, explosions, menu clicks) is noise. Laughs,
# death cries, zombie groans and the horror/space ambiences (music-like pads) are left out.
_BTANKS_SKIP = re.compile(r"^(laugh|deadman|kamikaze-scream|zombie|slime-dead|horror|space)")
_btanks = _music_or_noise("btanks", "/data/tunes/", "/data/sounds/", skip=_BTANKS_SKIP)


_LUGARU_SKIP = re.compile(r"^Rabbit")


def _lugaru(rel: str):
    """Lugaru Sounds/: ``Music*`` tracks are music; wind and desert ambiences, fire, footsteps,
    weapons, impacts, whooshes, animal barks and growls are noise (the rabbit voices are left out)."""
    if "/lugaru/Sounds/" not in rel:
        return None
    stem = _stem(rel)
    if stem.startswith("Music"):
        return "music", _file_group("lugaru", rel)
    if _LUGARU_SKIP.match(stem):
        return None
    return "noise", _variant_group("lugaru", rel)


_WARMUX_SKIP = re.compile(r"^(frog_music|disco_grenade_music|victory|countdown-endturn|end_turn|start_turn|"
                          r"sherif|newcomer|homerun|suicide)$")


def _warmux(rel: str):
    """WarMUX: music/ is music; sound/default/weapons and misc are noise (explosions, aircraft,
    rockets, guns, ricochets, boxes, UI clicks). The voices/ folder, the musical weapon and misc
    jingles (disco grenade, frog music, victory, turn cues) and spoken cues are left out."""
    if "/warmux/music/" in rel:
        return "music", _file_group("warmux", rel)
    if "/warmux/sound/default/" not in rel or "/voices/" in rel or _WARMUX_SKIP.match(_stem(rel)):
        return None
    return "noise", _variant_group("warmux", rel)


def _minetest(rel: str):
    """Minetest game mods' sounds/: digging, placing, footsteps, doors, carts, fire, furnace,
    water/lava ambiences, explosions (all noise; the devtest test tone is left out)."""
    if "/minetest_game/mods/" in rel and "/sounds/" in rel:
        return "noise", _variant_group("minetest", re.sub(r"\.(\d+)(\.ogg)$", r"_\1\2", rel))   # x.2.ogg
    return None


def _seven_kingdoms(rel: str):
    """Seven Kingdoms SOUND/: weather and disaster loops (wind, rain, thunder, fire, quake)."""
    if "/7kaa/SOUND/" in rel:
        return "noise", _variant_group("7kaa", rel)
    return None


_BZFLAG_SKIP = re.compile(r"^(spree|flag_won|flag_lost|killteam)")


def _bzflag(rel: str):
    """BZFlag effects (shots, explosions, jumps, teleports, message beeps); the spree and
    flag won/lost jingles are left out."""
    if "/games/bzflag/" in rel and not _BZFLAG_SKIP.match(_stem(rel)):
        return "noise", _variant_group("bzflag", rel)
    return None


def _chromium_bsu(rel: str):
    """Chromium B.S.U. wav/: ``music_*`` are music; explosions and the power-up sound are noise
    (the life gained/lost jingles are left out)."""
    if "/chromium-bsu/wav/" not in rel:
        return None
    stem = _stem(rel)
    if stem.startswith("music_"):
        return "music", _file_group("chromium-bsu", rel)
    return None if stem.startswith("life_") else ("noise", _variant_group("chromium-bsu", rel))


def _pinball(rel: str):
    """Emilia Pinball tables: the ``.ogg`` tracks are music; the ``.wav`` bumper, flipper,
    nudge, lock and shoot sounds are noise (the game-over and open-table jingles are left out)."""
    if "/games/pinball/" not in rel:
        return None
    if rel.lower().endswith(".ogg"):
        return "music", _file_group("pinball", rel)
    if re.match(r"^(gameover|opentux)$", _stem(rel)):
        return None
    return "noise", _variant_group("pinball", rel)


_NETPANZER_VOICE = re.compile(r"selected|yessir|affirm|movout|tarconf|scream|^attack$")


def _netpanzer(rel: str):
    """NetPanzer sound/: tank engines (idle, start, move), unit sounds, guns, hits, misses and
    explosions are noise; the spoken unit acknowledgements and screams are left out."""
    if "/netpanzer/sound/" in rel and not _NETPANZER_VOICE.search(_stem(rel)):
        return "noise", _variant_group("netpanzer", rel)
    return None


def _simutrans(rel: str):
    """Simutrans pak64 sound/: vehicles (bus, truck, diesel, steam, planes, boat horn, level
    crossing), tools (jackhammer, buzzsaw, tree cutting), climate ambiences (forest, desert,
    arctic, tropic, water, seagulls), a horse, UI clicks: all noise."""
    if "/simutrans/pak/sound/" in rel:
        return "noise", _variant_group("simutrans", rel)
    return None


_UH_SKIP = re.compile(r"^(chapel|tavern|main_square|success)$")


def _unknown_horizons(rel: str):
    """Unknown Horizons audio/: music/ is music; sounds/ (workshops, lumberjack, windmill,
    sheep, warehouse, ship's bell, UI clicks) is noise. Left out: the chapel (bells and
    singing), tavern and main square (voices), the success jingle, the events/ jingles and the
    three-line voice/ folder."""
    if "/content/audio/music/" in rel:
        return "music", _file_group("unknown-horizons", rel)
    if "/content/audio/sounds/" not in rel or "/events/" in rel or _UH_SKIP.match(_stem(rel)):
        return None
    return "noise", _variant_group("unknown-horizons", rel)



# ---------------------------------------------------------------- more music and noise (2026-11)
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


# SuperTux 2: music/<world>/*.ogg are tracks (chiptune, orchestral, rock, ambient). Left out:
# credits (the model hears a voice in 38 % of it: possible vocals), forestmap (20 s, mostly
# ambience), the leveldone jingle and the 5 s voc-boss loop. Effects: an allow-list of
# physical sounds (rain, lava, waterfall, thunder, saw, phone ring, ticking, fire, explosions,
# impacts, splashes); the jingles (coin, lifeup, tada, grow, invincible), grunts, yeti and tree
# voices and the speech/ folder (tux voice, rap) are left out.
_SUPERTUX_MUSIC_SKIP = re.compile(r"^(credits|forestmap|leveldone|voc-boss)$")
_SUPERTUX_NOISE = re.compile(
    r"^(brick|cracking|crystallo-.*|dartfire|darthit|door|explosion|fire|firecracker|fireworks|fizz|flame|"
    r"icecrash|iceblock_bump|kick|lava|lightning|phone|rain|saw|shoot|sizzle|skid|splash|splat|squish|"
    r"stomp|switch|thud|thunder|ticking|trampoline|turnkey|waterfall|wood|locked)$")


def _supertux(rel: str):
    """SuperTux 2 (see ``_SUPERTUX_*``)."""
    stem = _stem(rel)
    if "/supertux2/music/" in rel:
        return None if _SUPERTUX_MUSIC_SKIP.match(stem) else ("music", _file_group("supertux", rel))
    if "/supertux2/sounds/" in rel and _SUPERTUX_NOISE.match(stem):
        return "noise", _variant_group("supertux", rel)
    return None


# FreedroidRPG: sound/music is music (ambient, electronic, orchestral); the effects (weapons,
# impacts, glass, items, footsteps, doors, teleporter) are noise. Left out: bot_sounds (robot
# voices), tux_ingame_comments (speech), screams, shop/menu/mission/takeover jingles and the
# narrated title tracks (titles/: speech over music).
_FREEDROID_SKIP = re.compile(r"^(Influencer_Scream|Shop_|Takeover_Game|ThouArtDefeated|Mission_Status|Menu|"
                             r"Move_Menu|new_healing|read_sign)")


def _freedroidrpg(rel: str):
    """FreedroidRPG (see the comment above)."""
    if "/freedroidrpg/data/sound/music/" in rel:
        return "music", _file_group("freedroidrpg", rel)
    if "/freedroidrpg/data/sound/effects/" not in rel or "/bot_sounds/" in rel or "/tux_ingame_comments/" in rel:
        return None
    if _FREEDROID_SKIP.match(_stem(rel)):
        return None
    return "noise", _variant_group("freedroidrpg", rel)


# Holotz's Castle: the title and credits themes (each with tempo variants: one group per theme).
# Left out: the 53 s UltraSlow variant (stretched until it hardly is music), the game-over and
# level jingles.
def _holotz_castle(rel: str):
    """Holotz's Castle game/sound: HCMainTitle[_Fast|_Slow] and HCCredits[_Slow] are music."""
    if "/holotz-castle/game/sound/" not in rel:
        return None
    m = re.match(r"^HC(MainTitle|Credits)(?:_(Fast|Slow))?$", _stem(rel))
    if m:
        return "music", f"holotz-castle:{m.group(1).lower()}"
    return None


# Cube 2 (Sauerbraten): one music track; noise from the q009 weapon set, chainsaw (attack and
# idle are one recording session: one group), thunder, wind gusts, sand footsteps, burning,
# explosions, water drips and splashes, aard impacts. Left out: alarms/cues, death cries,
# pains and grunts, pickups and the musical olpc samples.
_CUBE2_NOISE = re.compile(r"^(thunder|windgust|fs_sand|glauncher|jumppad|minigun|pistol|ren|rifle|rlauncher|"
                          r"shotgun|teleport|weapswitch|explosion|burning|explode|tink|amb_waterdrip|"
                          r"watersplash|sfx_interact|bang|tak|land|jump|weapload)")


def _cube2(rel: str):
    """Cube 2: packages/music is music; packages/sounds noise by the ``_CUBE2_NOISE`` allow-list."""
    if "/cube2/packages/music/" in rel:
        return "music", _file_group("cube2", rel)
    if "/cube2/packages/sounds/" not in rel or "/olpc/" in rel:
        return None
    if "/audioaugust/chainsaw/" in rel:
        return "noise", "cube2:chainsaw"
    if _CUBE2_NOISE.match(_stem(rel)):
        return "noise", _variant_group("cube2", rel)
    return None


def _endless_sky(rel: str):
    """Endless Sky sounds/: weapons, explosions, engines and afterburners, hyperdrive and jump
    drive hums, landing/takeoff, an alarm and a 164 s machinery ambience: all noise. The size
    variants of one sound (``atomic huge~``, ``atomic small~``) share a group (the first word)."""
    if "/endless-sky/sounds/" not in rel:
        return None
    base = re.split(r"[ ~]", _stem(rel))[0].lower()
    return "noise", f"endless-sky:{base}"


# Trigger Rally data.zip sounds/: engine, gravel and wind loops, gear change and crash are noise;
# codriver/<voice>/ holds spoken pace notes (speech, one group per voice).
def _trigger_rally(rel: str):
    """Trigger Rally (see the comment above)."""
    inner = _below(rel, "/unpacked/data.zip/sounds/")
    if inner is None:
        return None
    parts = inner.split("/")
    if parts[0] == "codriver":
        return ("speech", f"trigger-rally:codriver-{parts[1]}") if len(parts) == 3 else None
    return ("noise", _variant_group("trigger-rally", rel)) if len(parts) == 1 else None


# M.A.R.S. (marsshooter): music/ plus menu and tutorial tracks by Obsidian Shell (instrumental
# electronic/ambient rock); toon/ effects (explosions, collisions, lasers, pumps, swish) are
# noise. Left out: the announcer (spoken), the score and countdown/start cues.
_MARS_SKIP = re.compile(r"^(score|countdown|start|fuel|noFuel|ballRespawn|shipRespawn)$")


def _marsshooter(rel: str):
    """M.A.R.S. (see the comment above)."""
    if "/marsshooter/audio/" not in rel or _MARS_SKIP.match(_stem(rel)):
        return None
    if "/audio/music/" in rel or _stem(rel) in ("menu", "tutorial"):
        return "music", _file_group("marsshooter", rel)
    if "/audio/toon/" in rel:
        return "noise", _variant_group("marsshooter", rel)
    return None


# Nexuiz music.pk3 sound/cdtracks: electronic/industrial/rock tracks. Left out: digital-pursuit
# and beast-of-insanity (the model hears a voice in 42 % / 15 % of them: vocal samples) and
# thunder (a 48 s storm ambience, not a track). sixtyfour_ and its "revisited" remix: one group.
_NEXUIZ_MUSIC_SKIP = re.compile(r"^(digital-pursuit|beast-of-insanity|thunder)$")


def _nexuiz_music(rel: str):
    """Nexuiz music (see the comment above)."""
    if "/unpacked/music.pk3/sound/cdtracks/" not in "/" + rel:
        return None
    stem = _stem(rel)
    if _NEXUIZ_MUSIC_SKIP.match(stem):
        return None
    return "music", "nexuiz-music:" + ("sixtyfour" if stem.startswith("sixtyfour") else stem)


# TripleA sounds (per era folder): the orchestral excerpts (1812 overture, Haydn, epic themes,
# film-score intros) and the instrumental anthem intros are music; sirens and alarms (air raid,
# submarine diving, alien siren), engines, flybys, hyperdrive, lasers, guns, artillery, bombs,
# torpedoes, horses, typewriter, morse and sonar beeps, sawing, splashes, dice are noise.
# Left out: anything that may hold voices (battles with fighting men, massacre, cheering,
# robot chatter), drums, fanfares, horns, bells, the sung German anthem, the radiation alert
# (two-tone alarm over a pad), the futuristic sea battle (2608), the single laser shot (the model
# hears a voice in all of it: possibly a mouth sound), cues under 5 s of music and the
# film-score excerpts (Lord of the Rings, Gladiator: doubtful licence).
_TRIPLEA_MUSIC = re.compile(r"(Anthem_Intro$|1812_overture|serious_epic_theme|buildup_to_epic_scene|"
                            r"classic_music|la_reine_et_ses_enfants)")
_TRIPLEA_NOISE = re.compile(
    r"(air_raid_alarm|sub_diving_alarm|alien_siren|engine_powerup|hyperspace_drive|engine_failure|ship_flyby|"
    r"ship_deceleration|force_field|energy_arc|laser_cannon|_lasers(_cut\d)?$|door_open|industrial_noise|"
    r"sawing_wood|boots_landing|splash_and_waves|circuit_breaker|whirling_noise|dice_shaken|type_?writer|"
    r"morse_code|sonar_ping|horses_galloping|coins|paper_being_ripped|aa_artillery|air_flyby|air_close_flyby|"
    r"distant_explosions|machine_gun_fire$|battleship_volley|torpedo|rockets_launched|falling_bomb|"
    r"motor_engine_noise|cannons_and_muskets|musket_volley|hawk_(scream|call))")


def _triplea(rel: str):
    """TripleA (see the comment above). Group: the sound's name without the folder-style
    prefix (``battle_land_02_``) and ``_cutN`` suffix, so copies in several folders and cuts of
    one recording stay together."""
    if "/triplea/assets/sounds/" not in rel:
        return None
    stem = _stem(rel)
    key = re.sub(r"_cut\d+$", "", re.sub(r"^.*?_\d\d_", "", stem))
    shared = re.search(r"aa_artillery|distant_explosions|falling_bomb|flyby|lasers?(?:shot)?$", key)
    if shared and "ship_flyby" not in key:
        key = shared.group(0)             # related takes (flybys, AA fire, bombs): one group
    if "with_singing" in stem:
        return None
    if _TRIPLEA_MUSIC.search(stem):
        return "music", f"triplea:{key}"
    if _TRIPLEA_NOISE.search(stem):
        return "noise", f"triplea:{key}"
    return None

# OpenTTD's OpenSFX (opensfx.cat, unpacked to one WAV per sound, named after its title): horns,
# whistles, engines, jets, trains, machinery, tools, crashes, wind, animals: all noise. Left out:
# the good/bad year jingles, the crowd's "oooh" (voices) and the Toyland comedy bus/truck starts
# (cartoon effects). The pull-away with and without horn is one recording (one group).
_OPENTTD_SKIP = re.compile(r"^(good_year|bad_year|oooh_sound|toyland_comedy_.*)$")


def _openttd_opensfx(rel: str):
    """OpenTTD OpenSFX (see the comment above)."""
    if "/unpacked/opensfx.cat/" not in "/" + rel or _OPENTTD_SKIP.match(_stem(rel)):
        return None
    if _stem(rel).startswith("truck_old_bus_start_pull_away"):
        return "noise", "openttd:truck_old_bus_start_pull_away"
    return "noise", _variant_group("openttd", rel)


# ------------------------------------------------------- orchestral music and real ambiences (2026-11-25)
# 0 A.D. public.zip audio/: music/ holds 61 distinct orchestral and world-music tracks (several
# slow and ambient). Noise: ambient/ loops (rain, wind, windstorm, snowstorm, thunder, rivers, waves,
# waterfall, day-time birds and insects, farm), weapons, impacts, fire, siege engines, building
# collapse, gathering/lumbering/mining/construction, footsteps, ships, gates, animal calls.
# Left out: unit voices, human death cries, the interface alarms and jingles (horns, fanfares),
# the harbour and market ambiences (crowd voices), the ram's order cue (the previous shipped
# model, sha1 1f8238b5, hears music in all of it).
_ZERO_AD_NOISE_DIRS = ("ambient/", "attack/", "resource/", "actor/fauna/", "actor/gate/", "actor/ship/",
                       "actor/singlesteps/", "actor/human/movement/", "actor/mounted/movement/")
_ZERO_AD_SKIP = re.compile(r"^(amb_port|amb_trade|ram_attack_order)")


def _zero_ad(rel: str):
    """0 A.D. (see the comment above)."""
    inner = _below(rel, "/unpacked/public.zip/audio/")
    if inner is None:
        return None
    if inner.startswith("music/"):
        return "music", _file_group("0ad", rel)
    if inner.startswith(_ZERO_AD_NOISE_DIRS) and not _ZERO_AD_SKIP.match(_stem(rel)):
        return "noise", _ambience_group("0ad", rel)
    return None


# Red Eclipse sounds/: music/track* and the two title themes are music; ambience/ loops (wind,
# rain, storm, creek, river, waterfalls, crickets, cicadas, cave drips, lava, machines, hum,
# distant cars), weapons, effects (debris, splashes, burning, shells, bounces) and footsteps
# are noise. Left out: tracks 04 and 07 (the previous shipped model hears a voice in 24 % and
# 19 % of their windows: vocal samples), voice/ and announcer/ (short shouted lines), pain and death
# grunts, the chat/error/interface cues, the alarm and the tonal critical-core loop.
_REDECLIPSE_SKIP = re.compile(r"^(track_0[47]$|death|pain|chat|error|alarm|criticalcore|original|wakawaka)")


def _redeclipse(rel: str):
    """Red Eclipse (see the comment above)."""
    inner = _below(rel, "/redeclipse/data/sounds/")
    if inner is None:
        return None
    stem = _stem(rel)
    if _REDECLIPSE_SKIP.match(stem):
        return None
    if inner.startswith("music/") or stem in ("theme", "theme_chip"):
        return "music", _file_group("redeclipse", rel)
    if not inner.startswith(("ambience/", "weapons/", "sfx/", "player/")):
        return None
    return "noise", _ambience_group("redeclipse", rel)


# FLARE fantasycore: music/ themes (wind_ambient left out: a wind loop, not music); effects:
# environment loops (birds, owl, ravens, river, wind, cave drips, fire, anvil, falling rocks,
# minecart, rain), footsteps, inventory handling, spell effects, doors. Left out: enemy and
# merchant voices, hit/die cries, the level-up jingle, the no-mana cue and the heal chime.
_FLARE_SKIP = re.compile(r"^(wind_ambient|female_|male_|level_up|no_mana|warcry|heal)")


def _flare(rel: str):
    """FLARE (see the comment above)."""
    if "/games/flare/mods/" not in rel or "/enemies/" in rel or "/npcs/" in rel:
        return None
    stem = _stem(rel)
    if _FLARE_SKIP.match(stem):
        return None
    if "/music/" in rel:
        return "music", _file_group("flare", rel)
    if "/soundfx/" in rel:
        return "noise", _ambience_group("flare", rel)
    return None


SOURCES: tuple[Source, ...] = (
    # speech
    Source(("flight-of-the-amazon-queen",), _queen,
           packed={"usr/share/scummvm/flight-of-the-amazon-queen/queen.1c": "queen"}),
    Source(("fillets-ng-data-cs",), _fillets_lang("fillets-ng-data-cs"), license_override="GPL-2+"),
    Source(("fillets-ng-data-nl",), _fillets_lang("fillets-ng-data-nl"), license_override="GPL-2+"),
    Source(("tuxpaint-stamps-default",), _tuxpaint),
    Source(("asterisk-core-sounds-en-wav",), _asterisk("asterisk-core-sounds-en")),
    Source(("asterisk-core-sounds-es-wav",), _asterisk("asterisk-core-sounds-es")),
    Source(("asterisk-core-sounds-fr-wav",), _asterisk("asterisk-core-sounds-fr")),
    Source(("asterisk-core-sounds-it-wav",), _asterisk("asterisk-core-sounds-it"), license_override="CC-BY-3.0"),
    Source(("asterisk-core-sounds-ru-wav",), _asterisk("asterisk-core-sounds-ru"), license_override="CC-BY-3.0"),
    Source(("asterisk-prompt-it-menardi-wav",), _asterisk("asterisk-prompt-it-menardi")),
    Source(("klettres-data",), _klettres),
    Source(("hedgewars-data",), _hedgewars),
    Source(("warzone2100-data",), _warzone_data,
           packed={"usr/share/games/warzone2100/base.wz": "zip"}),
    # music
    Source(("warzone2100-music",), _all_music("warzone2100-music", "/music/")),
    Source(("wesnoth-1.18-music", "wesnoth-1.16-music", "wesnoth-music"),
           _all_music("wesnoth-music", "/music/"), license_override="GPL-2+"),
    Source(("colobot-common-sounds",), _music_or_noise("colobot", "/colobot/music/", "/colobot/sounds/")),
    Source(("drascula-music",), _all_music("drascula", "/drascula/audio/")),
    Source(("fillets-ng-data",), _fillets_base, license_override="GPL-2+"),
    Source(("hyperrogue-music",), _music_or_noise("hyperrogue", "/hyperrogue/music/", "/hyperrogue/sounds/",
                                                  skip=_HYPERROGUE_SKIP)),
    Source(("asterisk-moh-opsound-wav",), _all_music("asterisk-moh", "/moh/"), license_override="CC-BY-SA-3.0"),
    Source(("asc-music",), _all_music("asc", "/asc/music/")),
    Source(("frozen-bubble-data",), _frozen_bubble),
    Source(("freeorion-data",), _freeorion),
    Source(("extremetuxracer-data",), _music_or_noise("etr", "/etr/music/", "/etr/sounds/")),
    Source(("fretsonfire-songs-muldjord",), _fretsonfire, license_override="CC-BY-SA-3.0"),
    # noise
    Source(("lincity-ng-data",), _lincity),
    Source(("wesnoth-1.18-data", "wesnoth-1.16-data", "wesnoth-data"), _wesnoth_data, license_override="GPL-2+"),
    Source(("sonic-pi-samples",), _sonic_pi),
    Source(("ufoai-sound",), _ufoai, packed={"usr/share/games/ufoai/base/0snd.pk3": "zip"}),
    Source(("openarena-data",), _openarena, packed={"usr/share/games/openarena/baseoa/pak0.pk3": "zip"}),
    Source(("nexuiz-data",), _nexuiz, license_override="GPL-2+",
           packed={"usr/share/games/nexuiz/data/data.pk3": "zip"}),
    Source(("scorched3d-data",), _scorched3d),
    Source(("btanks-data",), _btanks),
    Source(("lugaru-data",), _lugaru),
    Source(("warmux-data",), _warmux, license_override="GPL-2+"),
    Source(("minetest-data",), _minetest),
    Source(("7kaa-data",), _seven_kingdoms),
    Source(("bzflag-data",), _bzflag),
    Source(("freeciv-data",), _music_or_noise("freeciv", "/freeciv/stdmusic/", "/freeciv/stdsounds/")),
    Source(("chromium-bsu-data",), _chromium_bsu),
    Source(("dustracing2d-data",), _music_or_noise("dustracing2d", "/dustracing2d/music/", "/dustracing2d/sounds/",
                                                   skip=re.compile(r"^cheering$"))),
    Source(("pinball-data",), _pinball),
    Source(("netpanzer-data",), _netpanzer),
    Source(("simutrans-pak64",), _simutrans),
    Source(("unknown-horizons",), _unknown_horizons),
    # more music and noise (2026-11)
    Source(("supertux-data",), _supertux),
    Source(("freedroidrpg-data",), _freedroidrpg),
    # X-Moto: foxrun left out (the model hears a voice in 21 % of it: possible vocals)
    Source(("xmoto-data",), _music_or_noise("xmoto", "/xmoto/Textures/Musics/", None,
                                            skip=re.compile(r"^foxrun$"))),
    # Zaz: mus1-4 are music; roll/push/pull (ball movement) are noise; jingles and "ouch" left out
    Source(("zaz-data",), _music_by_stem("zaz", "/games/zaz/", re.compile(r"^mus\d$"),
                                         noise=re.compile(r"^(roll|push|pull)$"))),
    # Hex-a-hop: music-* tracks; cracks, explosions, ice, laser and trampoline effects
    Source(("hex-a-hop-data",), _music_by_stem("hex-a-hop", "/hex-a-hop/hex-a-hop/", re.compile(r"^music-"),
                                               noise=re.compile(r"^sound-(crack|explode-.*|ice|laser|trampoline)$"))),
    Source(("holotz-castle-data",), _holotz_castle),
    # Kenta Cho's shooters: the .ogg stage tracks are music, the synthesized shots and explosions
    # noise (the extend/bonus jingles and the time-up beep left out)
    Source(("noiz2sa-data",), _music_by_stem("noiz2sa", "/noiz2sa/sounds/", re.compile(r"^stg\d+$"),
                                             skip=re.compile(r"^(bonus|extend)$"))),
    Source(("parsec47-data",), _music_by_stem("parsec47", "/parsec47/sounds/", re.compile(r"^ptn\d$"),
                                              skip=re.compile(r"^(extend|getbonus)$"))),
    Source(("torus-trooper-data",), _music_or_noise("torus-trooper", "/sounds/musics/", "/sounds/chunks/",
                                                    skip=re.compile(r"^(extend|timeup_beep)$"))),
    Source(("tumiki-fighters-data",), _music_by_stem(
        "tumiki-fighters", "/tumiki-fighters/sounds/",
        re.compile(r"^(battle_over|here_comes|just_over|panic_on|return_to|we_are)_"),
        skip=re.compile(r"^(extend|stuck_bonus.*)$"))),
    # SolarWolf: one track; impacts, shots, explosion, whip (chimes, game-over and level jingles left out)
    Source(("solarwolf",), _music_or_noise("solarwolf", "/solarwolf/data/music/", "/solarwolf/data/audio/",
                                           noise_keep=re.compile(r"^(boxhit|yboxhit|explode|shoot|whip|flop|"
                                                                 r"klank2|spring|select_move)$"))),
    # Tux Math: the .ogg tracks are music; alarm, buzz, engine, explosion, laser, sizzling are noise
    # (cheer: crowd voices, harp and tower clock: musical, left out)
    Source(("tuxmath-data",), _music_by_stem("tuxmath", "/tuxmath/sounds/", re.compile(r"^(\d\d_|tuxi$)"),
                                             noise=re.compile(r"^(alarm|buzz|engine|explosion|laser|pop|"
                                                              r"shieldsdown|sizzling|tock)$"))),
    Source(("cube2-data",), _cube2),
    Source(("endless-sky-data",), _endless_sky),
    Source(("trigger-rally-data",), _trigger_rally,
           packed={"usr/share/games/trigger-rally/data.zip": "zip"}),
    Source(("marsshooter-data",), _marsshooter),
    # CaveExpress: music-1/2; crate and stone hits, water, geyser, waterfall, landings, walking
    # and swimming (creature cries, pains, the win jingle and the two cave ambiences, which
    # carry tonal pads, left out)
    Source(("caveexpress-data",), _music_by_stem(
        "caveexpress", "/caveexpress/sounds/", re.compile(r"^music-\d$"),
        noise=re.compile(r"^(crate-hit|stone-hit|water-|tile-geyser|tile-waterfall|player-land|npc-.*-walk$|"
                         r"npc-cave-swimming|click)"))),
    Source(("nexuiz-music",), _nexuiz_music, license_override="GPL-2+",
           packed={"usr/share/games/nexuiz/data/music.pk3": "zip"}),
    Source(("triplea",), _triplea),
    # Tux Football: title and in-game music; crowd boos and cheers (no words), referee whistles,
    # kicks and bounces (the menu beeps and the 1 s "ooh" left out)
    Source(("tuxfootball",), _music_by_stem("tuxfootball", "/tuxfootball/sound/", re.compile(r"^(titlemusic|ingame)$"),
                                            noise=re.compile(r"^(crowdboo|crowdcheer|refwhistle.*|kick|bounce)$"))),
    # Word War vi: four instrumental tracks (destiny_facedown left out: the model hears a voice
    # in 29 % of it); metal and stone bangs, explosions, flak, jet wash, rocket exhaust, volcano,
    # missile launch and alarm, car door, coin, tesla zap are noise. The many voice lines
    # (help, ow, hohoho, woohoo, screams) and the timpani boing are left out.
    Source(("wordwarvi-sound",), _music_by_stem(
        "wordwarvi", "/wordwarvi/sounds/",
        re.compile(r"^(dtox3monomix|highscoremusic|lucky-holiday-cornbread-stuffing-mono|lucky13-steve-mono-mix)$"),
        noise=re.compile(r"^(big_explosion|bombexplosion|clang|flak_|gravity_bomb|gunwheel_sound|jetwash|"
                         r"metalbang|missile_|new_ground_smack|rocket_exhaust|stonebang|synthetic_|tesla_tower|"
                         r"toyota_celica_cardoor|us_quarter|volcano_eruption|zzzt)"))),
    # LordsAWar: orchestral tracks (the 2 s "bless" cue left out)
    Source(("lordsawar-data",), _music_or_noise("lordsawar", "/lordsawar/music/", None,
                                                skip=re.compile(r"^bless$"))),
    # Powermanga: two tracks (music_congratulations left out: voice-like in 10 % of it);
    # explosions, shots and shocks (gem, upgrade and menu jingles left out)
    Source(("powermanga-data",), _music_or_noise(
        "powermanga", "/powermanga/sound/handheld_console/", "/powermanga/sounds/",
        skip=re.compile(r"^music_congratulations$"),
        noise_keep=re.compile(r"^sound_(big|medium|small)_explosion|^sound_(enemy|guardian|spaceship)_fire|"
                              r"^sound_circular_shock"))),
    # Tux Typing: two tracks (tuxi is Tux Math's file; its effects are Tux Math's too: not used)
    Source(("tuxtype-data",), _music_by_stem("tuxtype", "/tuxtype/sounds/",
                                             re.compile(r"^(amidst_the_raindrops|chiptune2)$"),
                                             noise=re.compile(r"^$"))),
    # more of Kenta Cho's shooters: musics/ (or bgm*) tracks; shots, hits and explosions
    # (extend, score and stage jingles, invincibility cues left out)
    Source(("gunroar-data",), _music_or_noise("gunroar", "/sounds/musics/", "/sounds/chunks/",
                                              skip=re.compile(r"^score_up$"))),
    Source(("titanion-data",), _music_or_noise("titanion", "/sounds/musics/", "/sounds/chunks/",
                                               skip=re.compile(r"^extend$"))),
    Source(("mu-cade-data",), _music_or_noise("mu-cade", "/sounds/musics/", "/sounds/chunks/",
                                              skip=re.compile(r"^extend$"))),
    # (a7xpg bgm3 left out: the model hears a voice in 17 % of it)
    Source(("a7xpg-data",), _music_by_stem("a7xpg", "/a7xpg/sounds/", re.compile(r"^bgm[12]$"),
                                           noise=re.compile(r"^(accel|boost|enemycrash|miss)$"))),
    # Stormbaan Coureur: a 16 s car engine loop and a detonation
    Source(("stormbaancoureur-data",), _music_or_noise("stormbaancoureur", None,
                                                       "/stormbaancoureur/sounds/")),
    # FreeDink: the .ogg tracks are music (5.ogg left out: the model hears a voice in 20 % of it);
    # fire, burning, bird, weapons, hits, doors and stairs are noise (grunts, the woman's scream,
    # the gold/save/secret/menu jingles left out)
    Source(("freedink-data",), _music_by_stem(
        "freedink", "/dink/dink/Sound/", re.compile(r"^(1|106|denube|lovin)$"),
        noise=re.compile(r"^(arrow|axe|bhit|bird1|bow1|burn|fire|open|punch|stairs|swing|sword2)$"))),
    # Neverball: bgm/ tracks; ball bumps, switch, ticking clock (the spoken golf and
    # countdown words and the jingles left out)
    Source(("neverball-common",), _music_or_noise("neverball", "/neverball/bgm/", "/neverball/snd/",
                                                  noise_keep=re.compile(r"^(ball|bump|bumpbig|bumplil|switch|"
                                                                        r"tick|tock)$"))),
    Source(("funnyboat",), _music_by_stem("funnyboat", "/funnyboat/data/", re.compile(r"^JDruid-"),
                                          noise=re.compile(r"^$"))),
    # Alien Blaster: intro and playon tracks; alarm (a siren sweep), explosions and shots
    Source(("alienblaster-data",), _music_by_stem(
        "alienblaster", "/alienblaster/sound/", re.compile(r"^(intro|playon)$"),
        noise=re.compile(r"^(alarm|explosion|explosionBoss|shotPrimary|shotSecondary)$"))),
    Source(("openttd-opensfx",), _openttd_opensfx,
           packed={"usr/share/games/openttd/baseset/opensfx/opensfx.cat": "openttd_cat"}),
    Source(("0ad-data",), _zero_ad, license_override="CC-BY-SA-3.0",
           packed={"usr/share/games/0ad/mods/public/public.zip": "zip"}),
    Source(("redeclipse-data",), _redeclipse),
    Source(("flare-game",), _flare),
    Source(("ardentryst",), _ardentryst),
    Source(("openclonk-data",), _all_music("openclonk", "/openclonk/Music.ocg/")),
    Source((SOUNDFONT_PACKAGE,), _no_audio, keep=(".sf2",)),
    Source(("openttd-openmsx",), _rendered_midi("openmsx"), midi=True),
    Source(("planetblupi-music-midi",), _rendered_midi("planetblupi"), midi=True),
)

# ------------------------------------------------------------ held out: never trained on
# Whole packages for ``training.heldout``. Their rules follow the same conventions as above
# (voice lines, jingles, cues and beeps left out by name); no file is left out because of
# what a model made of it, so the figures are not tilted towards any model.
_ETW_NOISE = re.compile(r"^(crowd\d*|bandierina|boou|cannon|crash|dog|fischiocorto|fischiolungo|fondo|"
                        r"freeze|glue|palo|pass|repop|shoot\d?|shot|bombdrop|brake|engine|ground|swam\d?)$")
_MAZE_MUSIC = re.compile(r"^(castle|demon-v?fast|demon[12]|demonroom[12]|shrine2|story|world)$")
_MAZE_SKIP = re.compile(r"^(ah2?|bell|bible|death|demon4jump|end\d|f1|fairy|game_over|gamestart|itemget|"
                        r"nocoins|pause|powerup|select|shrine1|silence|tomb\d)$")

HELDOUT_SOURCES: tuple[Source, ...] = (
    # UFO: Alien Invasion's soundtrack (in a zip, 3.8 h) and Endgame: Singularity's
    Source(("ufoai-music",), _music_or_noise("ufoai-music", "/0music.pk3/music/", None),
           packed={"usr/share/games/ufoai/base/0music.pk3": "zip"}),
    Source(("singularity-music",), _music_or_noise("singularity", "/singularity/music/", None)),
    # TORCS: its one track; car-engine loops, backfires, crashes, skids, gear changes
    Source(("torcs-data",), _music_or_noise("torcs", "/torcs/data/music/", "/torcs/data/sound/")),
    # Search and Rescue: helicopter and jet engines (start, run, shutdown), gear and flap motors,
    # landings, skids, splashes, thunder (the FLIR on/off beeps left out)
    Source(("searchandrescue-data",), _music_or_noise("searchandrescue", "/searchandrescue/music/",
                                                      "/searchandrescue/sounds/",
                                                      skip=re.compile(r"^flir_o(n|ff)$"))),
    # Eat the Whistle (football): crowd chants, boos, whistles, kicks, posts, the intro's engine
    # and bombs (voice lines, replay and penalty jingles, arcade cues and its music left out)
    Source(("etw-data",), _music_or_noise("etw", None, "/games/etw/", noise_keep=_ETW_NOISE)),
    # Maze of Galious: the .ogg tracks are music; weapons, hits, doors, water, animals are noise
    Source(("mazeofgalious-data",), _music_by_stem("mazeofgalious", "/mazeofgalious/sound/", _MAZE_MUSIC,
                                                   skip=_MAZE_SKIP)),
    # Trackballs: the tracks; ball sinks, crashes, rolling, monkeys, the machine loop
    Source(("trackballs-data",), _music_or_noise(
        "trackballs", "/trackballs/music/", "/trackballs/sfx/",
        noise_keep=re.compile(r"^(ball_sinks\d?|capuch_monkey|capuchmonk|click|crash|fall_death|machine_loop|"
                              r"roll_sound|sandcrash|switch)$"))),
    Source(("starfighter-data",), _music_or_noise(
        "starfighter", "/starfighter/music/", "/starfighter/sound/",
        noise_keep=re.compile(r"^(beamLaser|clock|explode\d?|flyby|laser|missile\d?|plasma\d?|shield)$"))),
    Source(("davegnukem-data",), _music_or_noise(
        "davegnukem", "/davegnukem/music/", "/davegnukem/sounds/",
        noise_keep=re.compile(r"^(cardflip|explode|jump_landing|laser2?|sfx_weapon_singleshot7|"
                              r"shoot_cg1_modified|soft_explode)$"))),
    # Enigma: game and menu tracks; marble collisions, drips, explosions, stones, switches, timers
    Source(("enigma-data",), _music_or_noise(
        "enigma", "/enigma/music/", "/enigma/soundsets/enigma/",
        noise_keep=re.compile(r"^(ballcollision|drip|dropinwater|explosion\d|quake|shatter|"
                              r"st-(coinslot|metal|stone|thud|move|switch|timer)|suck2|swamped|switch|"
                              r"it-trigger(up|down))$"))),
)

SOURCES = with_vocal_noise(SOURCES)  # non-verbal vocal sounds the rules above leave out: noise

assert not any(n in RESERVED_PACKAGES for s in SOURCES + HELDOUT_SOURCES for n in s.names)
assert not {n for s in SOURCES for n in s.names} & {n for s in HELDOUT_SOURCES for n in s.names}
assert all(i > next(j for j, t in enumerate(SOURCES) if SOUNDFONT_PACKAGE in t.names)
           for i, s in enumerate(SOURCES) if s.midi), "the soundfont must be extracted before MIDI packages"
