"""Bad compressed files (MP3, Ogg): a file cut short is reported as truncated, with or without a
frame-count tag, and the decoder's own chatter on stderr is silenced: one clear error line.
(Standard input, WAV and raw PCM, sample rates and values: tests/test_sources_input.py.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import soundfile as sf
from input_helpers import RATE, _cli, _drain, _one_error_line, _tone

from stream_tagger.audio_io import quiet_c_stderr
from stream_tagger.errors import AudioFileError
from stream_tagger.sources import FileSource


# ---------------------------------------------------------------------------- 6. MP3 files
@pytest.fixture(scope="module")
def mp3s(tmp_path_factory):
    d = tmp_path_factory.mktemp("mp3")
    whole = d / "whole.mp3"
    try:
        sf.write(whole, _tone(6.0, 44100), 44100, format="MP3")
    except Exception as e:
        pytest.skip(f"cannot write MP3 here ({e})")
    data = whole.read_bytes()
    cut = d / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2] + bytes(np.random.default_rng(0).integers(0, 256, 300, np.uint8)))
    text = d / "text.mp3"
    text.write_text("not audio at all\n" * 10)
    return {"whole": str(whole), "cut": str(cut), "text": str(text)}


def test_truncated_mp3_with_frame_count_is_reported(mp3s):
    got, err = _drain(FileSource(mp3s["whole"]))
    assert err is None and got.shape[0] == sf.info(mp3s["whole"]).frames
    got, err = _drain(FileSource(mp3s["cut"]))
    assert isinstance(err, AudioFileError)
    assert "cut.mp3: file is truncated (read " in str(err) and "of 6.00 s" in str(err), str(err)


def test_mp3_decoder_chatter_is_silenced(engine_model, mp3s):
    r = _cli("tag", mp3s["cut"], "--model", engine_model)
    _one_error_line(r, "cut.mp3", "truncated")  # no libmpg123 "Note:" / "[layer3.c" lines
    r = _cli("tag", mp3s["text"], "--model", engine_model)
    _one_error_line(r, "text.mp3: not a readable audio file (Format not recognised.)")


def test_quiet_c_stderr_nests_and_restores_fd2():
    code = r"""
import os, threading
from stream_tagger.audio_io import quiet_c_stderr
def work():
    for _ in range(200):
        with quiet_c_stderr():
            with quiet_c_stderr():
                os.write(2, b"HIDDEN\n")
ts = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
with quiet_c_stderr(False):
    os.write(2, b"shown\n")
os.write(2, b"restored\n")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b"shown\nrestored\n"
    # in this process too, with fd 2 on a file of ours: /dev/null inside, that file again after
    null = os.stat(os.devnull)
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as f:
            os.dup2(f.fileno(), 2)
            mine = os.fstat(f.fileno())
            with quiet_c_stderr():
                inside = os.fstat(2)
                os.write(2, b"HIDDEN\n")
            after = os.fstat(2)
            os.write(2, b"restored\n")
            os.dup2(saved, 2)
            f.seek(0)
            assert f.read() == b"restored\n"
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    assert (inside.st_dev, inside.st_ino) == (null.st_dev, null.st_ino)
    assert (after.st_dev, after.st_ino) == (mine.st_dev, mine.st_ino)


# --------------------------------------------------------------------- 8. truncated Ogg files
@pytest.fixture(scope="module")
def oggs(tmp_path_factory):
    d = tmp_path_factory.mktemp("ogg")
    rng = np.random.default_rng(0)
    x = _tone(10.0) + (0.1 * rng.standard_normal(10 * RATE)).astype(np.float32)
    out = {}
    for sub in ("VORBIS", "OPUS"):
        whole = d / f"whole_{sub}.ogg"
        try:
            sf.write(whole, x, RATE, format="OGG", subtype=sub)
        except Exception as e:
            pytest.skip(f"cannot write Ogg {sub} here ({e})")
        data = whole.read_bytes()
        cut = d / f"cut_{sub}.ogg"
        cut.write_bytes(data[: int(len(data) * 0.45)])  # mid-page
        starts = [i for i in range(len(data)) if data.startswith(b"OggS", i)]
        at_page = d / f"at_page_{sub}.ogg"
        at_page.write_bytes(data[: starts[len(starts) // 2]])  # a whole number of pages, no end-of-stream page
        out[sub] = {"whole": str(whole), "cut": str(cut), "at_page": str(at_page)}
    return out


@pytest.mark.parametrize("sub", ["VORBIS", "OPUS"])
def test_truncated_ogg_is_reported(oggs, sub):
    got, err = _drain(FileSource(oggs[sub]["whole"]))
    assert err is None and got.shape[0] == 10 * RATE
    with pytest.raises(AudioFileError, match=r"cut_\w+\.ogg: file is truncated \(its last Ogg page, at byte \d+, "
                                             r"declares \d+ bytes, only \d+ are present\)"):
        FileSource(oggs[sub]["cut"]).open()  # was read silently to 4.5 s of 10 s
    with pytest.raises(AudioFileError, match="file is truncated .its Ogg stream ends without an end-of-stream page"):
        FileSource(oggs[sub]["at_page"]).open()


def test_truncated_ogg_cli_one_line(engine_model, oggs):
    r = _cli("tag", oggs["VORBIS"]["cut"], "--model", engine_model)
    _one_error_line(r, "cut_VORBIS.ogg: file is truncated")
    assert r.returncode == 1 and r.stdout == b""


# ------------------------------------------------------ 9. MP3 files without a frame-count tag
def _mp3_frames(data: bytes) -> list[int]:
    """Offsets of the Layer III frames of an MP3 byte string that starts with a frame."""
    from stream_tagger.sources.formats import mp3_frame_len as _mp3_frame_len

    pos, starts = 0, []
    while pos + 4 <= len(data) and (n := _mp3_frame_len(data[pos:pos + 4])):
        starts.append(pos)
        pos += n
    return starts


@pytest.fixture(scope="module")
def untagged_mp3s(tmp_path_factory):
    """MP3s as libsndfile writes them minus their first frame, the Xing/Info tag with the count."""
    d = tmp_path_factory.mktemp("mp3_untagged")
    x = _tone(10.0, 44100) + (0.05 * np.random.default_rng(1).standard_normal(441000)).astype(np.float32)
    out = {}
    modes = {"cbr": {"bitrate_mode": "CONSTANT", "compression_level": 0.5}, "vbr": {"bitrate_mode": "VARIABLE"}}
    for kind, kw in modes.items():
        p = d / f"tagged_{kind}.mp3"
        try:
            sf.write(p, x, 44100, format="MP3", **kw)
        except Exception as e:
            pytest.skip(f"cannot write MP3 here ({e})")
        data = p.read_bytes()
        starts = _mp3_frames(data)
        assert any(tag in data[: starts[1]] for tag in (b"Xing", b"Info"))
        body = data[starts[1]:]
        out[kind] = d / f"{kind}.mp3"
        out[kind].write_bytes(body)
        if kind == "cbr":
            out["cut"] = d / "cut.mp3"
            out["cut"].write_bytes(body[: _mp3_frames(body)[190] + 100])  # cut inside a frame
            out["cut_in_header"] = d / "cut_in_header.mp3"
            out["cut_in_header"].write_bytes(body[: _mp3_frames(body)[100] + 2])
            out["at_frame"] = d / "at_frame.mp3"
            out["at_frame"].write_bytes(body[: _mp3_frames(body)[100]])  # between frames: cannot be told
            out["id3v1"] = d / "id3v1.mp3"
            out["id3v1"].write_bytes(body + b"TAG" + b"\0" * 125)
    return {k: str(v) for k, v in out.items()}


def test_untagged_cbr_mp3_reads_whole(untagged_mp3s):
    for kind in ("cbr", "id3v1"):
        got, err = _drain(FileSource(untagged_mp3s[kind]))
        assert err is None and got.shape[0] == (len(_mp3_frames(open(untagged_mp3s["cbr"], "rb").read()))) * 1152


def test_cut_mp3_without_frame_count_is_reported(untagged_mp3s):
    with pytest.raises(AudioFileError, match=r"cut.mp3: file is truncated \(its last MPEG frame, at byte \d+, "
                                             r"takes \d+ bytes, only \d+ are present\)"):
        FileSource(untagged_mp3s["cut"]).open()  # was read to the cut without a word
    with pytest.raises(AudioFileError, match="cut_in_header.mp3: file is truncated .it ends in an MPEG frame header"):
        FileSource(untagged_mp3s["cut_in_header"]).open()
    got, err = _drain(FileSource(untagged_mp3s["at_frame"]))  # the README's remaining limit
    assert err is None and got.shape[0] == 100 * 1152


def test_vbr_mp3_without_frame_count_is_not_read_short_silently(untagged_mp3s, engine_model):
    got, err = _drain(FileSource(untagged_mp3s["vbr"]))  # libsndfile reads up to its estimate from frame 1
    assert isinstance(err, AudioFileError)
    assert re.match(r".*vbr.mp3: the decoder read only \d+.\d\d s of the 10.03 s its MPEG frames hold "
                    r"\(a variable-rate MP3 without a frame-count tag", str(err)), str(err)
    _one_error_line(_cli("tag", untagged_mp3s["vbr"], "--model", engine_model), "vbr.mp3: the decoder read only")
    _one_error_line(_cli("tag", untagged_mp3s["cut"], "--model", engine_model), "cut.mp3: file is truncated")
