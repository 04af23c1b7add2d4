"""The third noise round's Debian game packages (issue 18): their file-name rules, and that they
are training sources apart from the reserved, held-out and earlier packages."""

from __future__ import annotations

import pytest

from training import corpus, corpus_sources, corpus_sources_extra as extra, data_sources, heldout_sources
from training.corpus_sources_noise import NOISE_DEBIAN_SOURCES


@pytest.mark.parametrize("package, rel, expected", [
    ("heroes-sound-effects", "usr/share/games/heroes/sfx/foule2.wav", ("noise", "heroes:sfx/foule")),
    ("heroes-sound-effects", "usr/share/games/heroes/sfx/mort_b3.wav", ("noise", "heroes:sfx/mort_b")),
    ("heroes-sound-effects", "usr/share/games/heroes/sfx/ho_yeh.wav", None),             # spoken
    ("heroes-sound-effects", "usr/share/games/heroes/sfx/bonus.wav", None),              # a cue
    ("plee-the-bear-data", "usr/share/games/plee-the-bear/sound/weather/rain.ogg",
     ("noise", "plee-the-bear:weather/rain")),
    ("plee-the-bear-data", "usr/share/games/plee-the-bear/sound/forest/gorilla/hit-chest-2.ogg",
     ("noise", "plee-the-bear:gorilla/hit-chest")),
    ("plee-the-bear-data", "usr/share/games/plee-the-bear/sound/grr.wav", ("noise", "plee-the-bear:sound/grr")),
    ("plee-the-bear-data", "usr/share/games/plee-the-bear/sound/scale/Cs.ogg", None),     # a note
    ("plee-the-bear-data", "usr/share/games/plee-the-bear/music/bonus.ogg", None),
    ("bucklespring-data", "usr/share/buckle/wav/1c-1.wav", ("noise", "bucklespring:model-m")),
    ("foobillardplus-data", "usr/share/games/foobillardplus/data/applause.wav",
     ("noise", "foobillardplus:data/applause")),
    ("foobillardplus-data", "usr/share/games/foobillardplus/data/ooh.wav", None),          # the crowd's "ooh"
    ("foobillardplus-data", "usr/share/games/foobillardplus/data/intro.wav", None),
    ("gigalomania-data", "usr/share/gigalomania/sound/jetplane.ogg", ("noise", "gigalomania:sound/jetplane")),
    ("gigalomania-data", "usr/share/gigalomania/sound/we_ve_won.wav", None),               # spoken
    ("gigalomania-data", "usr/share/gigalomania/sound/woodbrk.wav", None),                 # FreeCiv's file
    ("freecol", "usr/share/games/freecol/default/resources/sound/attack/artillery.ogg",
     ("noise", "freecol:attack/artillery")),
    ("freecol", "usr/share/games/freecol/default/resources/sound/anthem/dutch.ogg", None),
    ("mirrormagic-data", "usr/share/games/mirrormagic/sounds/snd_classic/lachen.wav",
     ("noise", "mirrormagic:snd_classic/lachen")),
    ("mirrormagic-data", "usr/share/games/mirrormagic/sounds/snd_classic/gong.wav", None),
    ("csmash-data", "usr/share/games/csmash/wav/racket.wav", ("noise", "csmash:wav/racket")),
    ("csmash-data", "usr/share/games/csmash/wav/fifteen.wav", None),                       # a spoken score
    ("kolf", "usr/share/kolf/sounds/woohoo.wav", None),
    ("knavalbattle", "usr/share/knavalbattle/sounds/ship-sink.ogg", ("noise", "knavalbattle:sounds/ship-sink")),
    ("flightgear-data-base", "usr/share/games/flightgear/Sounds/thunder2.wav", ("noise", "flightgear:Sounds/thunder")),
    ("flightgear-data-base", "usr/share/games/flightgear/Aircraft/c172p/Sounds/engine-idle.wav",
     ("noise", "flightgear:Sounds/engine-idle")),
    ("flightgear-data-base", "usr/share/games/flightgear/Sounds/mk-viii/pull-up.wav", None),    # a spoken callout
    ("flightgear-data-base", "usr/share/games/flightgear/Sounds/tcas/female/climb.wav", None),
    ("flightgear-data-base", "usr/share/games/flightgear/Sounds/gear-hrn.wav", None),           # a warning horn
    ("flightgear-data-base", "usr/share/games/flightgear/Aircraft/Instruments-3d/glider/flarm/flarm1.wav", None),
    ("berusky2-data", "usr/share/games/berusky2/sound/sound/racek2.wav", ("noise", "berusky2:sound/racek")),
    ("berusky2-data", "usr/share/games/berusky2/sound/sound/push down 1.wav", ("noise", "berusky2:sound/push down")),
    ("berusky2-data", "usr/share/games/berusky2/sound/sound/hopla1.wav", None),              # an exclamation
    ("berusky2-data", "usr/share/games/berusky2/sound/sound/zvon1.wav", None),               # a bell
    ("berusky2-data", "usr/share/games/berusky2/music/Relax3.ogg", None),
    ("hannah-data", "usr/share/games/hannah/sounds/scream.wav", ("noise", "hannah:sounds/scream")),
    ("hannah-data", "usr/share/games/hannah/sounds/uh-oh.wav", None),
    ("hannah-data", "usr/share/games/hannah/bgm1.ogg", None),
    ("monsterz-data", "usr/share/games/monsterz/sound/grunt.wav", ("noise", "monsterz:sound/grunt")),
])
def test_noise_round_rules(package, rel, expected):
    src = next(s for s in NOISE_DEBIAN_SOURCES if package in s.names)
    assert src.rule(rel) == expected


def test_noise_round_keeps_reserved_heldout_and_earlier_sources_apart():
    """Every package is new: not reserved, not held out (music, noise or speech), not a source of
    the earlier lists; the training build reads them and the data-source tables count them new."""
    names = {n for s in NOISE_DEBIAN_SOURCES for n in s.names}
    assert len(names) >= 31            # 89 real-noise sources before: 120 with these
    assert not names & corpus_sources.RESERVED_PACKAGES
    assert not names & {n for s in corpus_sources.HELDOUT_SOURCES + heldout_sources.HELDOUT_DEBIAN_SPEECH
                        for n in s.names}
    assert not names & {n for s in corpus_sources.SOURCES + extra.EXTRA_DEBIAN_SOURCES for n in s.names}
    assert set(NOISE_DEBIAN_SOURCES) <= set(corpus.TRAINING_SOURCES)
    assert {f"debian:{n}" for n in names} <= data_sources.NEW_SOURCES
    assert all(s.rule is not None and not s.midi and s.split is None for s in NOISE_DEBIAN_SOURCES)


def test_measure_sources_counts_a_package_built_alone(tmp_path):
    """``training.measure_sources``: a real (tiny) package built alone; its noise hours, licence and
    files, and a file whose bytes the training manifest holds not counted (a full build drops it)."""
    import hashlib
    import json

    from corpus_audio import _tone, _write, build_deb, package_root

    from training.corpus_rules_common import Source
    from training.corpus_sources_noise import _noise_in
    from training.measure_sources import measure

    root = package_root(tmp_path / "root", "fake-bangs")
    _write(str(root / "usr/share/games/fake/sfx/bang.wav"), _tone(2.0, freq=300.0))
    _write(str(root / "usr/share/games/fake/sfx/crash.wav"), _tone(1.0, freq=500.0))
    debs = tmp_path / "debs"
    debs.mkdir()
    build_deb(root, debs / "fake-bangs_1.0_all.deb")
    src = Source(("fake-bangs",), _noise_in("/fake/sfx/", "fake"))
    per = measure((src,), str(tmp_path / "alone"), str(debs))
    assert list(per) == ["debian:fake-bangs"]
    e = per["debian:fake-bangs"]
    assert e["files"] == 2 and e["license"] == {"GPL-2"} and dict(e["hours"]) == {"noise": pytest.approx(3.0 / 3600)}
    crash = hashlib.sha1((root / "usr/share/games/fake/sfx/crash.wav").read_bytes()).hexdigest()
    manifest = tmp_path / "training.jsonl"
    manifest.write_text(json.dumps({"path": "x/crash.wav", "label": "noise", "sha1": crash}) + "\n")
    e = measure((src,), str(tmp_path / "again"), str(debs), str(manifest))["debian:fake-bangs"]
    assert e["files"] == 1 and e["hours"]["noise"] == pytest.approx(2.0 / 3600)
