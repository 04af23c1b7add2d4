"""Rules of the games' music and noise packages added later (the "more music and noise
(2026-11)" and "orchestral music and real ambiences (2026-11-25)" parts of
:data:`training.corpus_sources.SOURCES`): SuperTux, FreedroidRPG, Holotz's Castle, Cube 2,
Endless Sky, Trigger Rally, M.A.R.S., Nexuiz's music, TripleA, OpenTTD's OpenSFX, 0 A.D.,
Red Eclipse and FLARE. (The packages of that batch whose rule is built from folders and stems
alone, ``_music_or_noise`` / ``_music_by_stem`` of :mod:`training.corpus_rules_common`, are
written out in the list itself.)

Each rule is ``rule(rel_path) -> (label, group) | None`` (conventions in
:mod:`training.corpus_sources`; shared helpers in :mod:`training.corpus_rules_common`).
"""

from __future__ import annotations

import re

from .corpus_rules_common import _ambience_group, _below, _file_group, _stem, _variant_group


# ---------------------------------------------------------------- more music and noise (2026-11)
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
