"""Corpus builder: the per-package labelling rules, non-verbal vocal sounds labelled noise, the
reserved and held-out packages, and the split each group is assigned to. No network."""

from __future__ import annotations

from collections import defaultdict

import pytest
from corpus_audio import _tone, _write

from training import corpus, corpus_sources, corpus_splits


# --------------------------------------------------------------------------- rules, splits
@pytest.mark.parametrize("package, rel, expected", [
    ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/animals/birds/owl_desc_fr.ogg", ("speech", "tuxpaint:desc-fr")),
    ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/food/x/inukshuk_desc_da.ogg.ogg", ("speech", "tuxpaint:desc-da")),
    ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/symbols/math/6_sv.ogg", ("speech", "tuxpaint:symbols-sv")),
    ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/animals/mammals/pig.ogg", ("noise", "tuxpaint:mammals/pig")),
    ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/symbols/faces/happy.ogg", ("noise", "tuxpaint:vocal-faces/happy")),
    ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/symbols/faces/happy_desc_el.ogg", ("speech", "tuxpaint:desc-el")),
    ("asterisk-core-sounds-en-wav", "usr/share/asterisk/sounds/en_US_f_Allison/digits/1.wav",
     ("speech", "asterisk-core-sounds-en:en_US_f_Allison")),
    ("asterisk-core-sounds-en-wav", "usr/share/asterisk/sounds/en_US_f_Allison/silence/1.wav", None),
    ("fretsonfire-songs-muldjord", "usr/share/games/fretsonfire/data/songs/muldjord/chaos_god/guitar.ogg", None),
    ("fretsonfire-songs-muldjord", "usr/share/games/fretsonfire/data/songs/muldjord/chaos_god/song.ogg",
     ("music", "fretsonfire:chaos_god")),
    ("fillets-ng-data-cs", "usr/share/games/fillets-ng/sound/airplane/cs/let-m-oko.ogg", ("speech", "fillets-ng-data-cs:m")),
    ("fillets-ng-data", "usr/share/games/fillets-ng/sound/barrel/en/bar-x-gr0.ogg", ("noise", "fillets-ng-data:en/bar-x-gr")),
    ("fillets-ng-data", "usr/share/games/fillets-ng/music/rybky01.ogg", ("music", "fillets-ng-data:usr/share/games/fillets-ng/music/rybky01")),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Pirate/Hello.ogg", ("speech", "hedgewars:voice-Pirate")),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Singer/Hello.ogg", None),
    # non-verbal vocal sounds are noise (training/vocal_sounds.py), in the group of the voice's speech
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Pirate/Ooff2.ogg", ("noise", "hedgewars:voice-Pirate")),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Default/PoisonCough.ogg",
     ("noise", "hedgewars:voice-Default")),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Pirate/Laugh.ogg", ("noise", "hedgewars:voice-Pirate")),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Pirate/Nooo.ogg", None),     # a word
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Sounds/voices/Singer/Laugh.ogg", None),    # the singing set
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/human-female-die-1.ogg",
     ("noise", "wesnoth:vocal-sounds/human-female-die")),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/orc-small-hit-3.ogg",
     ("noise", "wesnoth:vocal-sounds/orc-small-hit")),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/wardrums.ogg", None),    # music
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/ambient/birds2.ogg", ("noise", "wesnoth:ambient/birds")),
    ("sonic-pi-samples", "usr/share/sonic-pi/samples/vinyl_hiss.flac", ("noise", "sonic-pi:vinyl_hiss")),
    ("sonic-pi-samples", "usr/share/sonic-pi/samples/loop_amen.flac", ("music", "sonic-pi:loop_amen")),
    ("sonic-pi-samples", "usr/share/sonic-pi/samples/loop_3d_printer.flac", ("noise", "sonic-pi:loop_3d_printer")),
    ("ufoai-sound", "unpacked/0snd.pk3/sound/ambience/minepump03.ogg", ("noise", "ufoai:ambience/minepump")),
    ("ufoai-sound", "unpacked/0snd.pk3/sound/ambience/fire2.ogg", ("noise", "shared-ambience:fire")),
    ("openarena-data", "unpacked/pak0.pk3/sound/world/fire1.wav", ("noise", "shared-ambience:fire")),
    ("ufoai-sound", "unpacked/0snd.pk3/sound/ambience/radiomessage.ogg", None),
    ("ufoai-sound", "unpacked/0snd.pk3/sound/soldiers/malehurt01.ogg", ("noise", "ufoai:vocal-soldiers/malehurt")),
    ("ufoai-sound", "unpacked/0snd.pk3/sound/aliens/ortnok/hurt3.ogg", ("noise", "ufoai:vocal-ortnok/hurt")),
    ("openarena-data", "unpacked/pak0.pk3/sound/player/sarge/pain25_1.wav", ("noise", "openarena:voice-sarge")),
    ("openarena-data", "unpacked/pak0.pk3/sound/player/sarge/taunt.wav", None),
    ("openarena-data", "unpacked/pak0.pk3/sound/player/announcer/youwin.wav", None),
    ("nexuiz-data", "unpacked/data.pk3/sound/player/marine/player/gasp.ogg", ("noise", "nexuiz:voice-marine")),
    ("nexuiz-data", "unpacked/data.pk3/sound/player/marine/coms/needhelp1.ogg", None),          # words
    ("nexuiz-data", "unpacked/data.pk3/sound/weapons/tuba_note-3.ogg", None),
    ("scorched3d-data", "usr/share/games/scorched3d/data/globalmods/apoc/data/wav/misc/scream2.wav",
     ("noise", "scorched3d:vocal-misc/scream")),
    ("scorched3d-data", "usr/share/games/scorched3d/data/globalmods/apoc/data/wav/misc/fight4life.wav", None),
    ("scorched3d-data", "usr/share/games/scorched3d/data/globalmods/none/data/music/mix3_loop1.ogg",
     ("music", "scorched3d:usr/share/games/scorched3d/data/globalmods/none/data/music/mix3_loop1")),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/carts/sounds/carts_cart_moving.2.ogg",
     ("noise", "minetest:sounds/carts_cart_moving")),
    ("netpanzer-data", "usr/share/games/netpanzer/sound/move_yessir.wav", None),
    ("netpanzer-data", "usr/share/games/netpanzer/sound/scream_1.wav", ("noise", "netpanzer:vocal-sound/scream")),
    ("netpanzer-data", "usr/share/games/netpanzer/sound/scream_ohgod.wav", None),              # "oh god": words
    ("lincity-ng-data", "usr/share/games/lincity-ng/sounds/School1.wav", None),                # children may speak
    ("netpanzer-data", "usr/share/games/netpanzer/sound/hevidle.wav", ("noise", "netpanzer:sound/hevidle")),
    ("supertux-data", "usr/share/games/supertux2/music/forest/clavelian_march.ogg",
     ("music", "supertux:usr/share/games/supertux2/music/forest/clavelian_march")),
    ("supertux-data", "usr/share/games/supertux2/music/misc/credits.ogg", None),
    ("supertux-data", "usr/share/games/supertux2/music/misc/leveldone.ogg", None),
    ("supertux-data", "usr/share/games/supertux2/sounds/rain.wav", ("noise", "supertux:sounds/rain")),
    ("supertux-data", "usr/share/games/supertux2/sounds/lifeup.wav", None),
    ("supertux-data", "usr/share/games/supertux2/speech/tux_rap.ogg", None),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/music/town.ogg",
     ("music", "freedroidrpg:usr/share/freedroidrpg/data/sound/music/town")),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/effects/swing_then_hit_3.ogg",
     ("noise", "freedroidrpg:effects/swing_then_hit")),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/effects/bot_sounds/voice_samples/12.ogg", None),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/effects/tux_ingame_comments/CantRepairThat.ogg", None),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/effects/Shop_ItemSoldSound_0.ogg", None),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/base/titles/StartOfGame.ogg", None),
    ("xmoto-data", "usr/share/games/xmoto/Textures/Musics/batcave.ogg",
     ("music", "xmoto:usr/share/games/xmoto/Textures/Musics/batcave")),
    ("xmoto-data", "usr/share/games/xmoto/Textures/Musics/foxrun.ogg", None),
    ("zaz-data", "usr/share/games/zaz/mus3.ogg", ("music", "zaz:usr/share/games/zaz/mus3")),
    ("zaz-data", "usr/share/games/zaz/roll.ogg", ("noise", "zaz:zaz/roll")),
    ("zaz-data", "usr/share/games/zaz/extralife.ogg", None),
    ("hex-a-hop-data", "usr/share/games/hex-a-hop/hex-a-hop/music-game-1.ogg",
     ("music", "hex-a-hop:usr/share/games/hex-a-hop/hex-a-hop/music-game-1")),
    ("hex-a-hop-data", "usr/share/games/hex-a-hop/hex-a-hop/sound-explode-big.ogg",
     ("noise", "hex-a-hop:hex-a-hop/sound-explode-big")),
    ("hex-a-hop-data", "usr/share/games/hex-a-hop/hex-a-hop/sound-win.ogg", None),
    ("holotz-castle-data", "usr/share/games/holotz-castle/game/sound/HCMainTitle_Fast.wav",
     ("music", "holotz-castle:maintitle")),
    ("holotz-castle-data", "usr/share/games/holotz-castle/game/sound/HCMainTitle.wav",
     ("music", "holotz-castle:maintitle")),
    ("holotz-castle-data", "usr/share/games/holotz-castle/game/sound/HCMainTitle_UltraSlow.wav", None),
    ("holotz-castle-data", "usr/share/games/holotz-castle/game/sound/HCGameOver.wav", None),
    ("noiz2sa-data", "usr/share/games/noiz2sa/sounds/stg00.ogg", ("music", "noiz2sa:usr/share/games/noiz2sa/sounds/stg00")),
    ("noiz2sa-data", "usr/share/games/noiz2sa/sounds/bossdst.wav", ("noise", "noiz2sa:sounds/bossdst")),
    ("noiz2sa-data", "usr/share/games/noiz2sa/sounds/extend.wav", None),
    ("parsec47-data", "usr/share/games/parsec47/sounds/ptn2.ogg", ("music", "parsec47:usr/share/games/parsec47/sounds/ptn2")),
    ("parsec47-data", "usr/share/games/parsec47/sounds/getbonus.wav", None),
    ("torus-trooper-data", "usr/share/games/torus-trooper/sounds/musics/tt1.ogg",
     ("music", "torus-trooper:usr/share/games/torus-trooper/sounds/musics/tt1")),
    ("torus-trooper-data", "usr/share/games/torus-trooper/sounds/chunks/boss_dest.wav",
     ("noise", "torus-trooper:chunks/boss_dest")),
    ("tumiki-fighters-data", "usr/share/games/tumiki-fighters/sounds/panic_on_meadow.ogg",
     ("music", "tumiki-fighters:usr/share/games/tumiki-fighters/sounds/panic_on_meadow")),
    ("tumiki-fighters-data", "usr/share/games/tumiki-fighters/sounds/propeller.wav",
     ("noise", "tumiki-fighters:sounds/propeller")),
    ("tumiki-fighters-data", "usr/share/games/tumiki-fighters/sounds/stuck_bonus_pushin.wav", None),
    ("solarwolf", "usr/share/games/solarwolf/data/music/h2.ogg", ("music", "solarwolf:usr/share/games/solarwolf/data/music/h2")),
    ("solarwolf", "usr/share/games/solarwolf/data/audio/explode.wav", ("noise", "solarwolf:audio/explode")),
    ("solarwolf", "usr/share/games/solarwolf/data/audio/gameover.wav", None),
    ("tuxmath-data", "usr/share/tuxmath/sounds/03_gravity.ogg", ("music", "tuxmath:usr/share/tuxmath/sounds/03_gravity")),
    ("tuxmath-data", "usr/share/tuxmath/sounds/engine.wav", ("noise", "tuxmath:sounds/engine")),
    ("tuxmath-data", "usr/share/tuxmath/sounds/cheer.wav", ("noise", "tuxmath:vocal-sounds/cheer")),
    ("cube2-data", "usr/share/games/cube2/packages/music/stone_fortress.ogg",
     ("music", "cube2:usr/share/games/cube2/packages/music/stone_fortress")),
    ("cube2-data", "usr/share/games/cube2/packages/sounds/q009/shotgun2.ogg", ("noise", "cube2:q009/shotgun")),
    ("cube2-data", "usr/share/games/cube2/packages/sounds/audioaugust/chainsaw/idle.ogg", ("noise", "cube2:chainsaw")),
    ("cube2-data", "usr/share/games/cube2/packages/sounds/aard/pain3.wav", ("noise", "cube2:vocal-aard/pain")),
    ("cube2-data", "usr/share/games/cube2/packages/sounds/olpc/FlavioGaete/Vla_G_Major.ogg", None),
    ("endless-sky-data", "usr/share/games/endless-sky/sounds/atomic huge~.wav", ("noise", "endless-sky:atomic")),
    ("endless-sky-data", "usr/share/games/endless-sky/sounds/ambient/machinery.mp3", ("noise", "endless-sky:machinery")),
    ("trigger-rally-data", "unpacked/data.zip/sounds/engine.wav", ("noise", "trigger-rally:sounds/engine")),
    ("trigger-rally-data", "unpacked/data.zip/sounds/codriver/paula/Hairpin.wav",
     ("speech", "trigger-rally:codriver-paula")),
    ("marsshooter-data", "usr/share/games/marsshooter/audio/music/03_fear.ogg",
     ("music", "marsshooter:usr/share/games/marsshooter/audio/music/03_fear")),
    ("marsshooter-data", "usr/share/games/marsshooter/audio/menu.ogg",
     ("music", "marsshooter:usr/share/games/marsshooter/audio/menu")),
    ("marsshooter-data", "usr/share/games/marsshooter/audio/toon/planetExplode.wav",
     ("noise", "marsshooter:toon/planetExplode")),
    ("marsshooter-data", "usr/share/games/marsshooter/audio/announcer/impressive.wav", None),
    ("marsshooter-data", "usr/share/games/marsshooter/audio/toon/score.wav", None),
    ("caveexpress-data", "usr/share/games/caveexpress/sounds/music-2.ogg",
     ("music", "caveexpress:usr/share/games/caveexpress/sounds/music-2")),
    ("caveexpress-data", "usr/share/games/caveexpress/sounds/crate-hit4.ogg", ("noise", "caveexpress:sounds/crate-hit")),
    ("caveexpress-data", "usr/share/games/caveexpress/sounds/npc-mammut-dazed.ogg",
     ("noise", "caveexpress:vocal-sounds/npc-mammut-dazed")),
    ("caveexpress-data", "usr/share/games/caveexpress/sounds/cave2.ogg", None),
    ("nexuiz-music", "unpacked/music.pk3/sound/cdtracks/sixtyfour_revisited.ogg", ("music", "nexuiz-music:sixtyfour")),
    ("nexuiz-music", "unpacked/music.pk3/sound/cdtracks/stairs.ogg", ("music", "nexuiz-music:stairs")),
    ("nexuiz-music", "unpacked/music.pk3/sound/cdtracks/digital-pursuit.ogg", None),
    ("nexuiz-music", "unpacked/music.pk3/sound/cdtracks/thunder.ogg", None),
    ("lincity-ng-data", "usr/share/games/lincity-ng/music/default/02 - Robert van Herk - City Blues.ogg",
     ("music", "lincity-ng:usr/share/games/lincity-ng/music/default/02 - Robert van Herk - City Blues")),
    ("triplea", "usr/share/games/triplea/assets/sounds/generic/game_start/game_start_01_air_raid_alarm.mp3",
     ("noise", "triplea:air_raid_alarm")),
    ("triplea", "usr/share/games/triplea/assets/sounds/future/battle_land/battle_land_02_lasers_cut1.mp3",
     ("noise", "triplea:lasers")),
    ("triplea", "usr/share/games/triplea/assets/sounds/ww2/battle_air/battle_air_03_air_flyby_with_strafing.mp3",
     ("noise", "triplea:flyby")),
    ("triplea", "usr/share/games/triplea/assets/sounds/preindustrial/game_won/game_won_01_end_of_1812_overture.mp3",
     ("music", "triplea:end_of_1812_overture")),
    ("triplea", "usr/share/games/triplea/assets/sounds/ww2/required_your_turn_series_French/French_Anthem_Intro.mp3",
     ("music", "triplea:French_Anthem_Intro")),
    ("triplea", "usr/share/games/triplea/assets/sounds/misc/turn_start/Germans_Anthem_Intro_with_singing.mp3", None),
    ("triplea", "usr/share/games/triplea/assets/sounds/misc/territory_capture_land/territory_capture_land_01_massacre.mp3",
     None),
    ("triplea", "usr/share/games/triplea/assets/sounds/classical/game_start/game_start_02_gladiator_entrance.mp3", None),
    ("triplea", "usr/share/games/triplea/assets/sounds/future/battle_aa_hit/battle_aa_hit_01_single_lasershot.mp3", None),
    ("triplea", "usr/share/games/triplea/assets/sounds/future/game_start/required_your_turn_series_01_radiation_alert.mp3",
     None),
    ("tuxfootball", "usr/share/games/tuxfootball/sound/titlemusic.ogg",
     ("music", "tuxfootball:usr/share/games/tuxfootball/sound/titlemusic")),
    ("tuxfootball", "usr/share/games/tuxfootball/sound/crowdboo.wav", ("noise", "tuxfootball:sound/crowdboo")),
    ("tuxfootball", "usr/share/games/tuxfootball/sound/select_beep.wav", None),
    ("wordwarvi-sound", "usr/share/wordwarvi/sounds/dtox3monomix.ogg",
     ("music", "wordwarvi:usr/share/wordwarvi/sounds/dtox3monomix")),
    ("wordwarvi-sound", "usr/share/wordwarvi/sounds/destiny_facedown.ogg", None),
    ("wordwarvi-sound", "usr/share/wordwarvi/sounds/metalbang7.ogg", ("noise", "wordwarvi:sounds/metalbang")),
    ("wordwarvi-sound", "usr/share/wordwarvi/sounds/help_down_here.ogg", None),
    ("lordsawar-data", "usr/share/games/lordsawar/music/back1.ogg",
     ("music", "lordsawar:usr/share/games/lordsawar/music/back1")),
    ("lordsawar-data", "usr/share/games/lordsawar/music/bless.ogg", None),
    ("powermanga-data", "usr/share/games/powermanga/sound/handheld_console/music_game.ogg",
     ("music", "powermanga:usr/share/games/powermanga/sound/handheld_console/music_game")),
    ("powermanga-data", "usr/share/games/powermanga/sounds/sound_big_explosion_3.wav",
     ("noise", "powermanga:sounds/sound_big_explosion")),
    ("powermanga-data", "usr/share/games/powermanga/sounds/sound_red_gem.wav", None),
    ("tuxtype-data", "usr/share/tuxtype/sounds/chiptune2.ogg", ("music", "tuxtype:usr/share/tuxtype/sounds/chiptune2")),
    ("tuxtype-data", "usr/share/tuxtype/sounds/tuxi.ogg", None),
    ("tuxtype-data", "usr/share/tuxtype/sounds/explosion.wav", None),
    ("gunroar-data", "usr/share/games/gunroar/sounds/musics/gr2.ogg",
     ("music", "gunroar:usr/share/games/gunroar/sounds/musics/gr2")),
    ("titanion-data", "usr/share/games/titanion/sounds/chunks/explosion2.wav", ("noise", "titanion:chunks/explosion")),
    ("mu-cade-data", "usr/share/games/mu-cade/sounds/chunks/extend.wav", None),
    ("a7xpg-data", "usr/share/games/a7xpg/sounds/bgm2.ogg", ("music", "a7xpg:usr/share/games/a7xpg/sounds/bgm2")),
    ("a7xpg-data", "usr/share/games/a7xpg/sounds/getgold.wav", None),
    ("a7xpg-data", "usr/share/games/a7xpg/sounds/bgm3.ogg", None),
    ("stormbaancoureur-data", "usr/share/games/stormbaancoureur/sounds/camaro_s16_le.wav",
     ("noise", "stormbaancoureur:sounds/camaro_s16_le")),
    ("freedink-data", "usr/share/games/dink/dink/Sound/denube.ogg",
     ("music", "freedink:usr/share/games/dink/dink/Sound/denube")),
    ("freedink-data", "usr/share/games/dink/dink/Sound/5.ogg", None),
    ("freedink-data", "usr/share/games/dink/dink/Sound/fire.wav", ("noise", "freedink:Sound/fire")),
    ("freedink-data", "usr/share/games/dink/dink/Sound/wscream.wav", ("noise", "freedink:vocal-Sound/wscream")),
    ("neverball-common", "usr/share/games/neverball/bgm/track3.ogg",
     ("music", "neverball:usr/share/games/neverball/bgm/track3")),
    ("neverball-common", "usr/share/games/neverball/snd/birdie.ogg", None),
    ("neverball-common", "usr/share/games/neverball/snd/bumpbig.ogg", ("noise", "neverball:snd/bumpbig")),
    ("funnyboat", "usr/share/games/funnyboat/data/JDruid-Trip_on_the_Funny_Boat.ogg",
     ("music", "funnyboat:usr/share/games/funnyboat/data/JDruid-Trip_on_the_Funny_Boat")),
    ("alienblaster-data", "usr/share/games/alienblaster/sound/playon.wav",
     ("music", "alienblaster:usr/share/games/alienblaster/sound/playon")),
    ("alienblaster-data", "usr/share/games/alienblaster/sound/alarm.wav", ("noise", "alienblaster:sound/alarm")),
    ("alienblaster-data", "usr/share/games/alienblaster/sound/choose.wav", None),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/music/Highland_Mist.ogg", ("music", "0ad:0ad-data/unpacked/public.zip/audio/music/Highland_Mist")),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/ambient/weather/windstorm_02.ogg", ("noise", "0ad:weather/windstorm")),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/actor/fauna/animal/cattle_03.ogg", ("noise", "0ad:animal/cattle")),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/ambient/building/amb_trade_01.ogg", None),
    ("ardentryst", "usr/share/games/ardentryst/Music/theme1_raw.ogg", ("music", "ardentryst:theme")),
    ("ardentryst", "usr/share/games/ardentryst/Music/theme1.ogg", ("music", "ardentryst:theme")),
    ("ardentryst", "usr/share/games/ardentryst/Music/World_Map2.ogg", ("music", "ardentryst:world_map")),
    ("ardentryst", "usr/share/games/ardentryst/Sounds/wolf.ogg", None),
    ("openclonk-data", "usr/share/games/openclonk/Music.ocg/Cavern.ogg",
     ("music", "openclonk:usr/share/games/openclonk/Music.ocg/Cavern")),
    ("fluid-soundfont-gm", "usr/share/sounds/sf2/FluidR3_GM.sf2", None),
    ("openttd-openmsx", "rendered/harp_harmony.flac", ("music", "openmsx:harp_harmony")),
    ("openttd-openmsx", "rendered/harp_harmony-solo2-ch3-p45.flac", ("music", "openmsx:harp_harmony")),
    ("openttd-openmsx", "usr/share/games/openttd/baseset/openmsx/harp_harmony.flac", None),
    ("planetblupi-music-midi", "rendered/music003-solo1-ch3-p40.flac", ("music", "planetblupi:music003")),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/voice/greek/civ/civ_male_yes_1.ogg", None),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/actor/human/death/male_death_04.ogg",
     ("noise", "0ad:vocal-death/male_death")),
    ("0ad-data", "0ad-data/unpacked/public.zip/audio/interface/alarm/alarmvictory.ogg", None),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/music/track_05.ogg", ("music", "redeclipse:usr/share/games/redeclipse/data/sounds/music/track_05")),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/music/track_04.ogg", None),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/ambience/fire.ogg", ("noise", "shared-ambience:fire")),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/ambience/nightcrickets.ogg", ("noise", "redeclipse:ambience/nightcrickets")),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/player/pain3.ogg", ("noise", "redeclipse:vocal-player/pain")),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/voice/niceshot.ogg", None),   # words
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/voice/niceshot.ogg", None),
    ("flare-game", "usr/share/games/flare/mods/fantasycore/music/cave_theme.ogg",
     ("music", "flare:usr/share/games/flare/mods/fantasycore/music/cave_theme")),
    ("flare-game", "usr/share/games/flare/mods/fantasycore/music/wind_ambient.ogg", None),
    ("flare-game", "usr/share/games/flare/mods/fantasycore/soundfx/environment/river_loop.ogg",
     ("noise", "flare:environment/river_loop")),
    ("flare-game", "usr/share/games/flare/mods/fantasycore/soundfx/npcs/female_merchant1.ogg", None),
    # held-out packages (training.heldout)
    ("ufoai-music", "unpacked/0music.pk3/music/PsymongN2.ogg", ("music", "ufoai-music:unpacked/0music.pk3/music/PsymongN2")),
    ("torcs-data", "usr/share/games/torcs/data/sound/ferrarif355.wav", ("noise", "torcs:sound/ferrarif")),
    ("torcs-data", "usr/share/games/torcs/data/music/torcs1.ogg", ("music", "torcs:usr/share/games/torcs/data/music/torcs1")),
    ("searchandrescue-data", "usr/share/games/searchandrescue/sounds/hh60/engine_start.wav",
     ("noise", "searchandrescue:hh60/engine_start")),
    ("searchandrescue-data", "usr/share/games/searchandrescue/sounds/flir_on.wav", None),
    ("etw-data", "usr/share/games/etw/crowd/crowd12.wav", ("noise", "etw:crowd/crowd")),
    ("etw-data", "usr/share/games/etw/snd/hallelujah.wav", None),
    ("etw-data", "usr/share/games/etw/music/back4.wav", None),
    ("mazeofgalious-data", "usr/share/games/mazeofgalious/sound/jorito/demon-vfast.ogg",
     ("music", "mazeofgalious:usr/share/games/mazeofgalious/sound/jorito/demon-vfast")),
    ("mazeofgalious-data", "usr/share/games/mazeofgalious/sound/jorito/demon1bones.wav",
     ("noise", "mazeofgalious:jorito/demon1bones")),
    ("mazeofgalious-data", "usr/share/games/mazeofgalious/sound/jorito/gamestart.wav", None),
    ("trackballs-data", "usr/share/games/trackballs/sfx/evillaugh.wav", None),
    ("trackballs-data", "usr/share/games/trackballs/sfx/ball_sinks2.wav", ("noise", "trackballs:sfx/ball_sinks")),
    ("enigma-data", "usr/share/games/enigma/soundsets/enigma/menuok.wav", None),
    ("enigma-data", "usr/share/games/enigma/music/menu/esprit.ogg", ("music", "enigma:usr/share/games/enigma/music/menu/esprit")),
])
def test_labelling_rules(package, rel, expected):
    src = next(s for s in corpus_sources.SOURCES + corpus_sources.HELDOUT_SOURCES if package in s.names)
    assert src.rule(rel) == expected


def test_a_voice_sets_grunts_are_noise_beside_its_speech_in_one_split(tmp_path):
    """Non-verbal vocal sounds (training/vocal_sounds.py) are used, labelled noise; the same
    voice's words stay speech, in the same group (so in the same split); words shouted alone and
    the singing set stay out."""
    pkg = tmp_path / "hedgewars-data"
    voices = pkg / "usr/share/games/hedgewars/Data/Sounds/voices"
    names = {"Pirate/Hello.ogg": "speech", "Pirate/Ooff1.ogg": "noise", "Pirate/Laugh.ogg": "noise",
             "Pirate/Ow3.ogg": "noise", "Pirate/Nooo.ogg": None, "Pirate/Firepunch1.ogg": None,
             "Singer/Laugh.ogg": None, "Default/PoisonCough.ogg": "noise", "Default/Incoming.ogg": "speech"}
    for name in names:
        _write(str(voices / name), _tone(0.3))
    src = next(s for s in corpus_sources.SOURCES if "hedgewars-data" in s.names)
    counts = defaultdict(int)
    cands = corpus.package_candidates(src, str(pkg), str(tmp_path), counts)
    got = {c.rel_path.split("/voices/")[1]: c for c in cands}
    assert {k: c.label for k, c in got.items()} == {k: v for k, v in names.items() if v}
    assert counts["unlabelled"] == 3
    for who in ("Pirate", "Default"):
        mine = [c for k, c in got.items() if k.startswith(who + "/")]
        assert {c.group for c in mine} == {f"hedgewars:voice-{who}"}
        assert len({corpus_splits.assign_split(c.group) for c in mine}) == 1


def test_vocal_noise_only_adds_files_a_rule_left_out():
    """The vocal-noise table labels only what a package's own rule leaves out: every file a rule
    labels keeps its label, and its packages are sources (not held-out, not reserved)."""
    from training import vocal_sounds

    names = {n for s in corpus_sources.SOURCES for n in s.names}
    assert set(vocal_sounds.VOCAL_NOISE) - {"wesnoth-data", "wesnoth-1.18-data"} <= names
    wrapped = {n: s.rule for s in corpus_sources.SOURCES for n in s.names if n in vocal_sounds.VOCAL_NOISE}
    assert len(wrapped) >= 25
    hedgewars = wrapped["hedgewars-data"]
    assert hedgewars("usr/share/games/hedgewars/Data/Sounds/voices/Pirate/Hello.ogg") == ("speech", "hedgewars:voice-Pirate")
    assert hedgewars("usr/share/games/hedgewars/Data/Music/main.ogg")[0] == "music"
    tux = wrapped["tuxpaint-stamps-default"]
    assert tux("usr/share/tuxpaint/stamps/symbols/faces/sad_desc_ca.ogg") == ("speech", "tuxpaint:desc-ca")


def test_no_reserved_package_is_a_source():
    names = {n for s in corpus_sources.SOURCES for n in s.names}
    held = {n for s in corpus_sources.HELDOUT_SOURCES for n in s.names}
    assert not (names | held) & corpus_sources.RESERVED_PACKAGES
    assert held and not names & held          # the held-out packages are never trained on

def test_assign_split_deterministic_and_proportional():
    groups = [f"pkg:group-{i}" for i in range(4000)]
    splits = [corpus_splits.assign_split(g) for g in groups]
    assert splits == [corpus_splits.assign_split(g) for g in groups]
    share = {s: splits.count(s) / len(splits) for s in corpus_splits.SPLITS}
    assert 0.76 < share["train"] < 0.84 and 0.07 < share["val"] < 0.13 and 0.07 < share["test"] < 0.13
