"""Non-verbal vocal sounds in the corpus packages: labelled noise.

What the labels mean (README, "What the labels mean"): speech is spoken words; grunts, cries,
screams, laughter, coughs, gasps, breathing, death and pain cries, creature calls and a crowd's
cheering or murmur without intelligible words are **noise**. The package rules of
:mod:`training.corpus_sources` leave such files out (``None``) together with the files that
hold words; :data:`VOCAL_NOISE` names, per package, the files among those left out that hold no
words, and :func:`with_vocal_noise` labels them noise. Files with words stay as they were:
spoken lines are speech where a rule says so, and shouted words (``help``, ``oh god``,
``nooo``, ``ouch``, ``yes sir``, taunts and radio calls) stay left out, as does anything that
may hold intelligible words (market, tavern and schoolyard crowds) or singing.

A pattern is searched in the file's path below its package folder; its named group ``who``
(when present) names the voice, and the group is ``<prefix>:voice-<who>`` (the same group as
that voice's speech, where the package has any: one speaker never lands in two splits);
otherwise numbered variants of one sound are grouped (``<prefix>:vocal-<folder>/<sound>``).
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from typing import Callable, Optional

Rule = Callable[[str], Optional[tuple[str, str]]]


def _vocal_group(prefix: str, rel: str, match: re.Match) -> str:
    who = match.groupdict().get("who")
    if who:
        return f"{prefix}:voice-{who}"
    stem = posixpath.basename(rel)
    while posixpath.splitext(stem)[1].lower() in (".ogg", ".wav", ".flac", ".mp3", ".opus"):
        stem = posixpath.splitext(stem)[0]
    base = re.sub(r"[-_ ]*\d+[a-z]?_?$", "", stem) or stem
    return f"{prefix}:vocal-{posixpath.dirname(rel).split('/')[-1]}/{base}"


# package name -> (group prefix, pattern of its non-verbal vocal files)
VOCAL_NOISE: dict[str, tuple[str, re.Pattern]] = {
    # Tux Paint: the faces/ stamps' sounds (laughs, growls, sighs: their spoken *_desc are speech),
    # the ghost's moan and Santa's laugh
    "tuxpaint-stamps-default": ("tuxpaint", re.compile(
        r"/stamps/symbols/faces/[a-z]+\.ogg$|/(ghost|santahat)\.ogg$")),
    # Hedgewars voice sets: grunts, pains, laughs, coughs, moans, "hmm" and jump grunts (not the
    # Singer set, nor "Nooo" and the fire-punch shouts)
    "hedgewars-data": ("hedgewars", re.compile(
        r"/Data/Sounds/voices/(?P<who>(?!Singer/)[^/]+)/(Ooff|Ow|Laugh|PoisonCough|PoisonMoan|Hmm|Jump)\d*\.ogg$")),
    # Warzone 2100: the Nexus laughs and the screams (not "help", nor the silence file)
    "warzone2100-data": ("warzone2100", re.compile(r"/audio/(nexus/laugh\d*|sfx/misc/scream\d*)\.ogg$")),
    # Hyperrogue: the prince's and princess's pain and death cries
    "hyperrogue-music": ("hyperrogue", re.compile(r"/hyperrogue/sounds/(die|hit)-princes?s?\.ogg$")),
    # Wesnoth: humanoid units' hit and death cries, laughs, groans, wails, "ugg"
    # (not the war drums and the fanfare: music)
    # (the Wesnoth rule leaves out exactly these and the two musical sounds in sounds/)
    "wesnoth-1.18-data": ("wesnoth", re.compile(r"/sounds/(.*/)?(?![^/]*(wardrums|fanfare))[^/]+\.(ogg|wav)$")),
    # UFO:AI: aliens' attack, hurt and death cries, civilians' and soldiers' cries
    "ufoai-sound": ("ufoai", re.compile(
        r"/sound/(aliens/[^/]+/(attack|die|hurt)\d*|civilians/[a-z]*(death|scream|hurt)[0-9a-z]*|"
        r"soldiers/(female|male)(death|hurt)\d*)\.(ogg|wav)$")),
    # OpenArena: the player's (sarge) pains, deaths, gasps, drowning, falling and jump grunts;
    # the world's growls and moans and the gurgle (not the taunt and the announcer)
    "openarena-data": ("openarena", re.compile(
        r"/sound/(player/(?P<who>sarge)/(death|drown|fall|falling|gasp|jump|pain)\w*|player/gurp\d*|"
        r"world/(new/)?(growl|moan)\d*)\.(ogg|wav)$")),
    # Nexuiz: each player model's pains, deaths, gasps, drowning, falling and jump grunts (not the
    # spoken team messages and taunts)
    "nexuiz-data": ("nexuiz", re.compile(
        r"/sound/player/(?P<who>[^/]+)/(player/)?(death|drown|fall|falling|gasp|jump|pain)\d*\.(ogg|wav)$")),
    # Scorched 3D: the screams and the crowd cheering loop
    "scorched3d-data": ("scorched3d", re.compile(r"/data/wav/.*/?(scream\d*|screaming|cheeringloop)\.wav$")),
    # Battle Tanks: laughs, death cries, the kamikaze's scream, zombie groans, the slime's death
    "btanks-data": ("btanks", re.compile(
        r"/data/sounds/(laugh\d*|deadman\d*|kamikaze-scream|zombie(-dead|-strike)?|slime-dead)\.ogg$")),
    # Lugaru: the rabbits' attack cries, chitters and pains
    "lugaru-data": ("lugaru", re.compile(r"/lugaru/Sounds/Rabbit(Attack|Chitter|Pain)\d*\.ogg$")),
    # WarMUX: the default voice's death, injury and jump sounds (not its spoken lines)
    "warmux-data": ("warmux", re.compile(
        r"/sound/default/voices/(death|injured_(light|medium|high)|jump|backjump|superjump)\d*\.ogg$")),
    # NetPanzer: the two screams (not "oh god" and the acknowledgements)
    "netpanzer-data": ("netpanzer", re.compile(r"/netpanzer/sound/scream_\d\.wav$")),
    # SuperTux: Tux's grunts, hurt and jump sounds, the yeti's roars, the tree's howl
    "supertux-data": ("supertux", re.compile(
        r"/supertux2/sounds/(grunts|hurt|jump|bigjump|yeti_roar|yeti_gna|tree_howling)\.(ogg|wav)$")),
    # FreedroidRPG: Tux's scream and the bots' death sounds (not their voice samples)
    "freedroidrpg-data": ("freedroidrpg", re.compile(
        r"/sound/effects/(Influencer_Scream_Sound_\d+|bot_sounds/death_sound_\d+)\.ogg$")),
    # Cube 2: the aard player's grunts, pains and death cries, the 0ad death cry
    "cube2-data": ("cube2", re.compile(r"/packages/sounds/(aard/(die|grunt|pain)\d*|0ad/death_\w*)\.(ogg|wav)$")),
    # CaveExpress: the player's pains, the creatures' dazed and knocked-out cries, a drowning
    "caveexpress-data": ("caveexpress", re.compile(
        r"/caveexpress/sounds/(player-pain\d*|npc-[a-z]+-(dazed|knockout)|npc-cave-drown)\.(ogg|wav)$")),
    # Tux Football: the crowd's "ooh"; Dust Racing 2D: the crowd cheering; Tux Math: the cheer
    "tuxfootball": ("tuxfootball", re.compile(r"/tuxfootball/sound/crowdooh\.(ogg|wav)$")),
    "dustracing2d-data": ("dustracing2d", re.compile(r"/dustracing2d/sounds/cheering\.(ogg|wav)$")),
    "tuxmath-data": ("tuxmath", re.compile(r"/tuxmath/sounds/cheer\.(ogg|wav)$")),
    # Word War vi: the falling scream, "ho ho ho" and "woohoo" (not the calls for help)
    "wordwarvi-sound": ("wordwarvi", re.compile(r"/wordwarvi/sounds/(fallingscreamhi|hohoho|woohoo)\.(ogg|wav)$")),
    # FreeDink: the grunts and the woman's scream
    "freedink-data": ("freedink", re.compile(r"/dink/dink/Sound/(grunt\d*|wscream)\.(ogg|wav)$")),
    # OpenTTD OpenSFX: the crowd's "oooh"
    "openttd-opensfx": ("openttd", re.compile(r"/opensfx\.cat/oooh_sound\.wav$")),
    # 0 A.D.: human and horse death cries (not the units' spoken lines, nor port and market crowds)
    "0ad-data": ("0ad", re.compile(r"/audio/actor/(human|mounted)/death/\w+\.(ogg|wav)$")),
    # Red Eclipse: death and pain cries, "argh" and the laugh (not the other voice lines)
    "redeclipse-data": ("redeclipse", re.compile(r"/data/sounds/(player/(death|pain)\d*|voice/(argh|haha)\d*)\.(ogg|wav)$")),
    # FLARE: enemies' and the hero's hit and death cries, the war cry (not the merchants)
    "flare-game": ("flare", re.compile(r"/soundfx/(enemies/[a-z]+_(hit|die|critdie)|(female|male)_(hit|die)|"
                                       r"powers/warcry)\d*\.(ogg|wav)$")),
    # Ardentryst: the monsters' hurt and death cries, the heroes' pain and jump grunts
    "ardentryst": ("ardentryst", re.compile(
        r"/Sounds/(MonsterSounds/(?P<who>[^/]+)/(hurt|dead|death)\d*|(NYX|PYR)/(NYX|PYR)_(PAIN|JUMP)\d*)\.ogg$")),
}
# the Wesnoth rule serves its three package names
VOCAL_NOISE["wesnoth-1.16-data"] = VOCAL_NOISE["wesnoth-data"] = VOCAL_NOISE["wesnoth-1.18-data"]


def vocal_noise_rule(rule: Rule, prefix: str, pattern: re.Pattern) -> Rule:
    """``rule``, and among the files it leaves out those ``pattern`` finds, labelled noise."""
    def wrapped(rel: str):
        labelled = rule(rel)
        if labelled is not None:
            return labelled
        m = pattern.search("/" + rel)
        return None if m is None else ("noise", _vocal_group(prefix, rel, m))
    wrapped.__doc__ = rule.__doc__
    return wrapped


def with_vocal_noise(sources: tuple) -> tuple:
    """``sources`` (:class:`training.corpus_rules_common.Source`) with the rules of the packages in
    :data:`VOCAL_NOISE` extended by their non-verbal vocal files (see the module doc)."""
    out = []
    for src in sources:
        entry = next((VOCAL_NOISE[n] for n in src.names if n in VOCAL_NOISE), None)
        out.append(src if entry is None else dataclasses.replace(src, rule=vocal_noise_rule(src.rule, *entry)))
    return tuple(out)


def summarize(corpus_dir: str) -> list[tuple[str, int, float, int]]:
    """``(package, files, seconds, groups)`` of the non-verbal vocal files that :data:`VOCAL_NOISE`
    adds, per package extracted under ``corpus_dir`` (``data/corpus``), by their audio headers."""
    import os

    import soundfile as sf

    from .corpus import _audio_files, _rel
    from .corpus_sources import SOURCES

    rows = []
    for src in SOURCES:
        name = next((n for n in src.names if n in VOCAL_NOISE and os.path.isdir(os.path.join(corpus_dir, n))), None)
        if name is None:
            continue
        prefix, pattern = VOCAL_NOISE[name]
        pkg_dir = os.path.join(corpus_dir, name)
        files, seconds, groups = 0, 0.0, set()
        for path in _audio_files(pkg_dir):
            rel = _rel(path, pkg_dir)
            got = src.rule(rel)
            m = pattern.search("/" + rel)
            if got is None or got[0] != "noise" or m is None or got[1] != _vocal_group(prefix, rel, m):
                continue
            try:
                seconds += sf.info(path).duration
            except RuntimeError:
                continue  # unreadable: the corpus build leaves it out as well
            files += 1
            groups.add(got[1])
        rows.append((name, files, seconds, len(groups)))
    return rows


def main(argv=None) -> int:
    """``python -m training.vocal_sounds [--corpus-dir data/corpus]``: what the table adds."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m training.vocal_sounds", description=main.__doc__)
    p.add_argument("--corpus-dir", default="data/corpus", help="extracted packages (default data/corpus)")
    a = p.parse_args(argv)
    rows = summarize(a.corpus_dir)
    print(f"{'package':28s} {'files':>6s} {'minutes':>8s} {'groups':>6s}")
    for name, files, seconds, groups in rows:
        print(f"{name:28s} {files:6d} {seconds / 60:8.1f} {groups:6d}")
    print(f"{'all (' + str(len(rows)) + ' packages)':28s} {sum(r[1] for r in rows):6d} "
          f"{sum(r[2] for r in rows) / 60:8.1f} {sum(r[3] for r in rows):6d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
