"""Corpus builder: packed game archives unpacked to audio files (Flight of the Amazon Queen's
QTBL, Warzone 2100's base.wz zip, OpenTTD's .cat), and the labelling rules for what comes out.
Everything runs on small archives made here (no network)."""

from __future__ import annotations

import os
import struct
import zipfile

import numpy as np
import pytest
import soundfile as sf
from corpus_audio import RATE, _tone

from training import corpus, corpus_sources
from training.unpack import ArchiveError, read_qtbl, unpack_openttd_cat, unpack_queen, unpack_zip_audio


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
