"""More real noise (issue 18, third round): Debian game packages that the earlier scans did not
use, labelled by file name like :mod:`training.corpus_sources_extra`'s packages.

Each of these packages gives seconds to a few minutes of recorded or synthesised effects
(impacts, explosions, engines, aircraft, water, rain, crowds, applause, animal and creature
calls, a keyboard's key presses); their music, spoken lines, jingles, chimes, beeps and tonal
cues are left out by name, as the other rules do. Non-verbal vocal sounds (a growl, a snore, a
laugh, pain cries, a roar) are noise, as the README defines it; words ("oh", "no", "woohoo",
"dammit") are left out. None of these packages is reserved, held out, or a source of
:mod:`training.corpus_sources` or :mod:`training.corpus_sources_extra` (asserted below).
Licences come from each package's debian/copyright (``license_override`` where that file is
free-form).
"""

from __future__ import annotations

import re

from .corpus_rules_common import Source, _stem, _variant_group
from .corpus_sources import HELDOUT_SOURCES, RESERVED_PACKAGES, SOURCES
from .corpus_sources_extra import EXTRA_DEBIAN_SOURCES, _in_folder, _noise_in

# Heroes (a Tron-like game): money, a klaxon, clocks, coins, a crushing, an explosion, two crowds
# ("foule") and four death sounds (the spoken "go", "no", "oh", "stop", "ho yeh", the bonus and
# menu cues, the dream and sleep pads left out).
_HEROES = re.compile(r"^(argent\d*|claxon|clock\d*|coins|ecrase\d*|explo\d*|foule\d*|mort_b\d*)$")

# Plee the Bear: an earthquake, rain, a frog's croaks, a gorilla beating its chest, a woodpecker,
# the bear's growl, snore, slaps, jumps and throws, cracks and hits (the musical scale notes, the
# checkpoint ding, the bonus cue, the sting, the tick and the sequencer's fail cue left out).
_PLEE = re.compile(r"^(earthquake|rain|croak-(idle|jump)|hit-chest-\d|attack|flying|peck|grr|clung|injured|jump|"
                   r"power-jump|slap|snore|start-cling|start-power-jump|throw|crack|hit|splash)$")

# FreeCol: artillery, bombardment, dragoon and naval attacks, building, a fountain, a ship sinking
# (the anthems, the intro, the meeting and colony jingles, the alert and trade cues left out).
_FREECOL = re.compile(r"^(artillery|bombard|dragoon|naval|building|fountain|sunk)$")

# Mirror Magic (German names): explosions (booom, kabumm), a door, rattling (klapper), knocking
# (klopf), cracking (knack), opening (oeffnen), wood (holz), a laugh (lachen), a roar (roaaar), a
# squeak (quiek), shuffling (schlurf), slurping, a whoosh and a hiss (zisch); the bongs, gongs,
# plings, the warning tone and "autsch" (ouch) left out.
_MIRRORMAGIC = re.compile(r"^(booom|door|kabumm|klapper|klopf|knack|oeffnen|holz|lachen|roaaar|quiek|schlurf|"
                          r"slurp|whoosh|zisch)$")

# Pekka Kana 2: farm animals (a cow, a hen, a chick, pigs, crows, birds, bees), splashes, cracking
# boxes and eggs, an explosion (the bonus, menu, damage and robot cues left out).
_PEKKA = re.compile(r"^(moo|hen|chick|pig\d?|pig_ko|crow|crow_ko|bird|bee|beehive|splash|boxcrack|eggcrack|"
                    r"explot)$")

# FlightGear's base data (a 1.3 GB package, fetched for these): piston, turbine, jet, rotor and
# propeller engines starting, running and stopping, rain, thunder, wind, waves, rumbles, tyres
# rolling and screeching, water, crashes, doors, levers, flaps, a wasp, the Cessna 172's cockpit
# sounds. The spoken callouts (mk-viii/, tcas/ folders, not read here) and the tonal warnings
# (beep, the 400 Hz avionics hum, the gear and stall horns, the overspeed tones, the whine, the
# glider's FLARM and variometer beeps) are left out.
_FLIGHTGEAR_SKIP = re.compile(r"^(beep|avionics-400Hz|gear-hrn|overspeed\d?|stall\d?|whine)$")


def _flightgear(rel: str):
    """flightgear-data-base: the files directly in ``Sounds/`` and ``Aircraft/c172p/Sounds/`` (see above)."""
    if re.search(r"/flightgear/(Aircraft/c172p/)?Sounds/[^/]+$", "/" + rel) is None:
        return None
    if _FLIGHTGEAR_SKIP.match(_stem(rel)):
        return None
    return "noise", _variant_group("flightgear", rel)


# Berusky 2 (Czech names): cars (auto), bubbles (bubl, bubliny), crows, destruction (dest,
# rozpad), explosions (exploze), nails (hrebik), thunder (hrom), drips (kap), rats (krysa), birds
# (ptak) and seagulls (racek), wind (vitr), water (voda), plops (zblunk), crates (bedna), whirls
# (bortici), doors opening and closing (dvere...), frogs, a forest (les), a town (mesto) and a
# village, a steamboat (parnik), a swamp, pushing on snow, steel, stone and wood, footsteps on
# sand, grass, snow, steel, stone and wood, water steps (wstep), surfacing (vynor), things
# falling (pad...), a pickaxe (krumpac), a lift (vytah), unlocking (odemceni), eating. Left out:
# the music, the bell (zvon), the buttons (tlacitko), the exclamations (hop, hopla, juch), the
# fairy, star, teleport, TV, magnet, kite, exit and balance cues, the voc* and pray* files
# (voices or tones: unclear by name), silence.
_BERUSKY2 = re.compile(r"^(Auto\d|Bubl\d|bubliny\d|Crow\d|Dest\d|rozpad\d|Exploze\d|Hrebik\d|Hrom\d|Kap\d|"
                       r"Krysa\d|[Pp]tak\d+|racek\d|Vitr\d+|Voda\d|Zblunk\d|bedna\d|bortici\d|dvereotevrit\d?|"
                       r"dverezavrit|frog\d|les\d|mesto\d+|village|parnik\d|swamp\d|steps[a-z]+\d?|wstep\d|vynor\d|"
                       r"Pad_[a-z]+|[Pp]adklice\d?|paddrevo|padkov|krumpac\d|Vytah_[a-z]+|odemceni\d|eat\d|"
                       r"push [a-z]+( \d)?)$")

NOISE_DEBIAN_SOURCES: tuple[Source, ...] = (
    # a 560 MB package: 72 min of music (not read here) and 8 min of sounds
    Source(("berusky2-data",), _noise_in("/berusky2/sound/sound/", "berusky2", keep=_BERUSKY2)),
    Source(("heroes-sound-effects",), _noise_in("/heroes/sfx/", "heroes", keep=_HEROES)),
    Source(("plee-the-bear-data",), _noise_in("/plee-the-bear/sound/", "plee-the-bear", keep=_PLEE),
           license_override="GPL-2+"),
    # an IBM Model M keyboard: each key's press and release, recorded (one keyboard: one group)
    Source(("bucklespring-data",), _in_folder("/buckle/wav/", "noise", "bucklespring:model-m")),
    # Trophy (car racing): an engine, crashes, skids, shots, fire, a dog, the background rumble
    # (the car horn, the pick-up and menu cues left out)
    Source(("trophy-data",), _noise_in("/trophy/sounds/", "trophy",
                                       keep=re.compile(r"^(background\d+|crash|dog|engine|fire|fogbomb|shoot|shot|"
                                                       r"slide)$"))),
    # FooBillard++: applause, balls dropping into pockets and off the table, racking, a cue
    # strike, a bomb (the 20 s intro and the crowd's "ooh" left out)
    Source(("foobillardplus-data",), _noise_in("/foobillardplus/data/", "foobillardplus",
                                               keep=re.compile(r"^(applause|ballinhole|balloutoftable|bomb|"
                                                               r"oneballontable|shuffleballs|smack)$"))),
    # Circus Linux!: applause, a cheering crowd, bounces, pops, splats, the see-saw, a key press
    # (the "wahoo" left out)
    Source(("circuslinux-data",), _noise_in("/circuslinux/data/sounds/", "circuslinux",
                                            keep=re.compile(r"^(applause|bounce|cheering|keypress|pop|splat|"
                                                            r"teeter\d)$")),
           license_override="GPL"),
    # Gigalomania: a biplane, a jet plane, a spaceship, a bomb, a pain cry (the spoken advisor
    # lines, the menu cue and FreeCiv's wood-break, a copy of another source's file, left out)
    Source(("gigalomania-data",), _noise_in("/gigalomania/sound/", "gigalomania",
                                            keep=re.compile(r"^(biplane|jetplane|spaceship|bomb|pain\d)$"))),
    Source(("freecol",), _noise_in("/default/resources/sound/", "freecol", keep=_FREECOL)),
    Source(("mirrormagic-data",), _noise_in("/mirrormagic/sounds/", "mirrormagic", keep=_MIRRORMAGIC)),
    Source(("pekka-kana-2-data",), _noise_in("/pekka-kana-2/data/", "pekka-kana-2", keep=_PEKKA)),
    # GL-117 (flight): cannon, chaff, an explosion, hits, a missile, the plane, thunder (beeps and
    # the click left out)
    Source(("gl-117-data",), _noise_in("/gl-117/sounds/", "gl-117",
                                       keep=re.compile(r"^(cannon|chaff|explode|hit|missile|plane|thunder)\d$"))),
    # OpenSSN (submarines): an explosion, a torpedo launch (the sonar ping, a tone, left out)
    Source(("openssn-data",), _noise_in("/openssn/sounds/", "openssn",
                                        keep=re.compile(r"^(explosion|torpedo-launch)$"))),
    # Ceferino: booms, explosions, breaking, a hook, shots (the alarm, key and tick cues left out)
    Source(("ceferino-data",), _noise_in("/ceferino/sounds/", "ceferino",
                                         keep=re.compile(r"^(boom|explo|romper|gancho|tiro)$")),
           license_override="GPL-2+"),
    # Circus-style table tennis: the racket and the table (the spoken scores left out)
    Source(("csmash-data",), _noise_in("/csmash/wav/", "csmash", keep=re.compile(r"^(racket|table)$")),
           license_override="GPL-2+"),
    # CRRCSim (model aircraft): an electric motor, a fan, a glider's wind (the F3F course calls
    # left out)
    Source(("crrcsim-data",), _noise_in("/crrcsim/sounds/", "crrcsim", keep=re.compile(r"^(electric|fan|glider)$")),
           license_override="GPL-2"),
    # Ri-li (a toy train): a crash, the wagon
    Source(("ri-li-data",), _noise_in("/Ri-li/Sounds/", "ri-li", keep=re.compile(r"^(crash|wagon)$"))),
    # Moon Lander: an explosion, the jet (the spoken "the eagle has landed" and the beeps left out)
    Source(("moon-lander-data",), _noise_in("/moon-lander/sounds/", "moon-lander",
                                            keep=re.compile(r"^(explosion\d|jet_lp)$"))),
    # LBreakout HD: brick, energy and wall hits, an explosion, a shot (the spoken "dammit",
    # "excellent", "very good" and the tonal bonus cues left out)
    Source(("lbreakouthd-data",), _noise_in("/lbreakouthd/themes/", "lbreakouthd",
                                            keep=re.compile(r"^(brickhit|energyhit|explosion|shot|wall)$"))),
    # KDE games: Granatier's bombs, breaks and crunches; Naval Battle's shots, splash and sinking
    # ship; Kolf's black hole, bumper, hits, cup and puddle; Kollision's ball hits; KsirK's cannon,
    # crash and rolling; Bomber's bomb and crash; KGoldrunner's digging, climbing and steps (their
    # jingles, tones and the spoken "woohoo" left out)
    Source(("granatier",), _noise_in("/granatier/sounds/", "granatier",
                                     keep=re.compile(r"^(break|corpse_explode|crunch|explode|putbomb)$"))),
    Source(("knavalbattle",), _noise_in("/knavalbattle/sounds/", "knavalbattle")),
    Source(("kolf",), _noise_in("/kolf/sounds/", "kolf",
                                keep=re.compile(r"^(blackhole|blackholeeject|blackholeputin|bumper|hit|holed|puddle|"
                                                r"wall)$"))),
    Source(("kollision",), _noise_in("/kollision/sounds/", "kollision", keep=re.compile(r"^(ball_leaving|hit_wall)$"))),
    Source(("ksirk",), _noise_in("/ksirk/skins/default/Sounds/", "ksirk", keep=re.compile(r"^(cannon|crash|roll)$"))),
    Source(("bomber",), _noise_in("/bomber/sounds/", "bomber", keep=re.compile(r"^(bomb|crash)$"))),
    Source(("kgoldrunner",), _noise_in("/kgoldrunner/themes/", "kgoldrunner",
                                       keep=re.compile(r"^(climb|dig|ladder|step)$"))),
    Source(("flightgear-data-base",), _flightgear),
    # Mad Bomber: explosions, a fuse, a shaken can, splashes, a spray (the jingles and menu cues
    # left out)
    Source(("madbomber-data",), _noise_in("/madbomber/sounds/", "madbomber",
                                          keep=re.compile(r"^(bigexplosion|can-shake|explosion|fuse|splash\d|"
                                                          r"spray)$"))),
    # Hannah: chomps, crunches, drips, a gulp, a scream (the spoken "uh-oh" and "yeah" left out)
    Source(("hannah-data",), _noise_in("/hannah/sounds/", "hannah",
                                       keep=re.compile(r"^(chomp|crunch|drip|DripC|gulp|scream)$"))),
    # Monsterz: applause, a grunt, a laugh, a pop, a whip (the boing, the ding, the warning and
    # "duh" left out)
    Source(("monsterz-data",), _noise_in("/monsterz/sound/", "monsterz",
                                         keep=re.compile(r"^(applause|grunt|laugh|pop|whip)$"))),
    # Val and Rick: a blaster, a rocket (its shot and destruction sounds are copies of
    # parsec47-data's and gunroar-data's files: left out)
    Source(("val-and-rick-data",), _noise_in("/val-and-rick/sounds/chunks/", "val-and-rick",
                                             keep=re.compile(r"^(blaster|rocket)$")),
           license_override="LGPL-2+"),
    Source(("briquolo-data",), _noise_in("/briquolo/data/", "briquolo",
                                         keep=re.compile(r"^(bot_land|breche|brique_rebond|explosion\d|rebond)$"))),
    # Pachi el marciano: the storm (jumps, jingles and cues left out)
    Source(("pachi-data",), _noise_in("/pachi/sounds/", "pachi", keep=re.compile(r"^storm$")),
           license_override="GPL-2+"),
    # Abe's Amazing Adventure: a door opening and closing, a spring, bubbles (jingles and cues left out)
    Source(("abe-data",), _noise_in("/abe/sounds/", "abe", keep=re.compile(r"^(bubble|closed|door|spring)$"))),
)

_NAMES = {n for s in NOISE_DEBIAN_SOURCES for n in s.names}
assert not _NAMES & RESERVED_PACKAGES
assert not _NAMES & {n for s in SOURCES + HELDOUT_SOURCES + EXTRA_DEBIAN_SOURCES for n in s.names}
assert len(_NAMES) == len(NOISE_DEBIAN_SOURCES)
