"""Bad input on standard input and in files: one clear error line, never a traceback or a silent guess.

Most cases read a :class:`StdinSource` / :class:`FileSource` straight into a ring buffer (no
model); a few run the ``stream-tagger`` command to check the one-line error and exit status.
Compressed files (MP3, Ogg) cut short or without a frame count: tests/test_mp3_ogg_input.py.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from input_helpers import RATE, _cli, _drain, _one_error_line, _stdin, _tone, _wav_bytes

from stream_tagger.audio_io import MAX_RATE_HZ, MIN_RATE_HZ, check_rate, read_audio, to_mono
from stream_tagger.errors import AudioFileError, DeviceError
from stream_tagger.resampler import sanitize_block
from stream_tagger.sources import FileSource, StdinSource
from stream_tagger.sources.formats import sniff as _sniff


@pytest.fixture(scope="module")
def wav3(tmp_path_factory) -> str:
    p = tmp_path_factory.mktemp("input") / "tone3.wav"
    sf.write(p, _tone(3.0), RATE)
    return str(p)


# ------------------------------------------------------------------------- 1. closed stdin
def test_closed_stdin_is_one_line_error(engine_model):
    r = subprocess.run(["sh", "-c", 'exec "$0" -m stream_tagger.cli tag - --model "$1" <&-', sys.executable,
                        engine_model], capture_output=True, timeout=120)
    _one_error_line(r, "standard input is closed")


# ---------------------------------------------------------- 2. other containers and text on stdin
def _container_bytes(tmp_path, kind: str) -> bytes:
    x = _tone(1.0)
    p = tmp_path / f"clip.{kind}"
    if kind == "text":
        return b"hello\n"
    if kind == "html":
        return b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body></body></html>\n"
    fmt = {"flac": "FLAC", "ogg": "OGG", "mp3": "MP3", "aiff": "AIFF"}[kind]
    try:
        sf.write(p, x, RATE, format=fmt)
    except Exception as e:  # an old libsndfile without MP3 writing
        pytest.skip(f"cannot write {kind} here ({e})")
    return p.read_bytes()


@pytest.mark.parametrize("kind,name", [("flac", "FLAC"), ("ogg", "Ogg"), ("mp3", "MP3"), ("aiff", "AIFF"),
                                       ("text", "text"), ("html", "text")])
def test_non_wav_containers_on_stdin_are_refused(tmp_path, kind, name):
    with pytest.raises(AudioFileError) as e:
        StdinSource(stream=io.BytesIO(_container_bytes(tmp_path, kind))).open()
    msg = str(e.value)
    assert "\n" not in msg
    assert f"looks like {name}" in msg and "WAV or raw PCM" in msg and "file path" in msg, msg


def test_mp3_without_id3_tag_is_recognised_by_two_frame_syncs(tmp_path):
    data = _container_bytes(tmp_path, "mp3")
    assert data[0] == 0xFF  # libsndfile writes no ID3 tag: the stream starts with a frame sync
    assert _sniff(data[:4096]) == "MP3"


def test_raw_audio_is_not_mistaken_for_a_container():
    rng = np.random.default_rng(0)
    for scale in (0, 3, 300, 3000, 12000):
        assert _sniff((rng.standard_normal(2048) * scale).astype("<i2").tobytes()) is None
    assert _sniff(np.array([-1] + [5] * 2047, "<i2").tobytes()) is None  # FF FF: a frame sync, not MP3
    assert _sniff(np.array([-1025, 0x12] + [5] * 2046, "<i2").tobytes()) is None  # FF FB: one header only
    assert _sniff(np.full(2048, 20000, "<i2").tobytes()) is None  # printable bytes, but one value
    assert _sniff(b"\x80" * 64 + b"hello world, this is u8 audio", text_check=False) is None


def test_non_wav_on_stdin_cli_one_line(engine_model, tmp_path):
    r = _cli("tag", "-", "--model", engine_model, input=_container_bytes(tmp_path, "flac"))
    _one_error_line(r, "looks like FLAC", "WAV or raw PCM")
    r = _cli("tag", "-", "--model", engine_model, input=b"hello\n")
    _one_error_line(r, "looks like text")
    assert r.stdout == b""


# ------------------------------------------------------------------- 3. no samples at all
@pytest.mark.parametrize("data", [b"", b"a", "wav_header_only", "wav_header_one_byte"])
def test_stdin_without_samples_is_an_error(data):
    if isinstance(data, str):
        head = _wav_bytes(_tone(1.0))[:44]
        data = head if data == "wav_header_only" else head + b"\x01"
    with pytest.raises(AudioFileError, match="contains no audio samples"):
        x, err = _stdin(data)
        if err is not None:
            raise err


def test_stdin_without_samples_cli_matches_file(engine_model, wav3, tmp_path):
    r = _cli("tag", "-", "--model", engine_model, input=open(wav3, "rb").read()[:44])
    _one_error_line(r, "standard input: contains no audio samples")
    assert b"start,end,label" not in r.stdout
    p = tmp_path / "empty.wav"
    sf.write(p, np.zeros(0, np.float32), RATE)
    _one_error_line(_cli("tag", str(p), "--model", engine_model), "contains no audio samples")


@pytest.mark.parametrize("fmt, subtype", [("u8", "PCM_U8"), ("s16", "PCM_16"), ("s24", "PCM_24"), ("s32", "PCM_32"),
                                          ("f32", "FLOAT")])
def test_each_sample_format_on_stdin_reads_as_soundfile_reads_it(fmt, subtype):
    """Raw PCM and WAV streams of each encoding, with negative and positive samples near full
    scale: the samples soundfile reads from the same encoding, exactly."""
    t = np.arange(RATE // 4) / RATE
    x = (0.99 * np.sin(2 * np.pi * 440 * t) * np.linspace(1, 0.01, t.shape[0])).astype(np.float32)
    wav = _wav_bytes(x, subtype=subtype)
    want = sf.read(io.BytesIO(wav), dtype="float32")[0]
    assert want.min() < -0.9 and want.max() > 0.9
    got, err = _stdin(wav)
    assert err is None
    np.testing.assert_array_equal(got, want)
    raw = io.BytesIO()
    sf.write(raw, x, RATE, format="RAW", subtype=subtype)
    got, err = _stdin(raw.getvalue(), rate_hz=RATE, channels=1, sample_format=fmt)
    assert err is None
    np.testing.assert_array_equal(got, want)


def test_raw_leftover_bytes_are_ignored():
    pcm = (np.arange(100, dtype="<i2") * 100).tobytes()
    x, err = _stdin(pcm + b"\x01")  # an incomplete last s16 sample
    assert err is None and x.shape[0] == 100
    np.testing.assert_allclose(x, np.arange(100) * 100 / 32768.0, atol=1e-7)


# ------------------------------------------------------------------------- 4. truncated WAV
def test_truncated_wav_on_stdin_names_seconds_read_and_declared(wav3):
    data = open(wav3, "rb").read()
    with pytest.raises(AudioFileError) as e:
        x, err = _stdin(data[:44 + 2 * 16000])  # 1.00 s of 3.00 s
        raise err
    msg = str(e.value)
    assert msg.startswith("standard input: WAV stream is truncated (read 1.00 s of 3.00 s"), msg


def test_truncated_wav_file_names_declared_and_present_bytes(wav3, tmp_path):
    """A WAV file cut short: its header's data chunk declares more bytes than the file holds
    (libsndfile alone would read what is there without a word)."""
    data = open(wav3, "rb").read()
    declared = int.from_bytes(data[40:44], "little")
    p = tmp_path / "cut.wav"
    p.write_bytes(data[:44 + 2 * 16000])
    with pytest.raises(AudioFileError) as e:
        FileSource(str(p)).open()
    assert str(e.value) == (f"{p}: file is truncated (its data chunk declares {declared} bytes, only 32000 are "
                            "present)")
    p.write_bytes(data + b"\0")  # a pad byte more is not a truncation
    FileSource(str(p)).open()


def test_truncated_wav_on_stdin_cli(engine_model, wav3):
    r = _cli("tag", "-", "--model", engine_model, input=open(wav3, "rb").read()[:20000])
    _one_error_line(r, "truncated", "0.62 s of 3.00 s")
    assert r.stdout == b""


@pytest.mark.parametrize("size", [0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000 - 44, 0x7FFFF000])
def test_streaming_placeholder_sizes_read_to_end_of_input(size):
    data = bytearray(_wav_bytes(_tone(1.0)))
    assert data[36:40] == b"data"
    data[40:44] = struct.pack("<I", size)
    x, err = _stdin(bytes(data[:44 + 2 * 8000]))  # cut anywhere: a stream, not a truncation
    assert err is None and x.shape[0] == 8000


def test_finite_size_stops_at_data_end_and_placeholder_file_is_accepted(tmp_path):
    x = _tone(0.5)
    data = _wav_bytes(x)
    got, err = _stdin(data + b"LIST" + struct.pack("<I", 8) + b"metadata")  # a chunk after the audio
    assert err is None
    np.testing.assert_array_equal(got, sf.read(io.BytesIO(data), dtype="float32")[0])
    # a WAV file saved from a stream (arecord | tee) keeps the placeholder: not "truncated"
    b = bytearray(data)
    b[40:44] = struct.pack("<I", 0x7FFFFFFF)
    p = tmp_path / "streamed.wav"
    p.write_bytes(bytes(b))
    got, err = _drain(FileSource(str(p)))
    assert err is None and got.shape[0] == x.shape[0]


def test_rf64_and_float64_wav_streams(tmp_path):
    x = _tone(0.5)
    p = tmp_path / "a.rf64"
    sf.write(p, x, RATE, format="RF64", subtype="PCM_16")
    got, err = _stdin(p.read_bytes())
    assert err is None and got.shape[0] == x.shape[0]
    got, err = _stdin(_wav_bytes(x, subtype="DOUBLE"))
    assert err is None
    np.testing.assert_allclose(got, x, atol=1e-6)


# ------------------------------------------------------------------------- 5. low sample rates
def test_low_sample_rates_refused_for_files_and_stdin(tmp_path):
    p = tmp_path / "low.wav"
    sf.write(p, _tone(5.0, 200), 200)
    with pytest.raises(AudioFileError, match=f"sample rate 200 Hz is too low .at least {MIN_RATE_HZ} Hz"):
        FileSource(str(p)).open()
    with pytest.raises(AudioFileError, match="standard input: sample rate 200 Hz is too low"):
        StdinSource(stream=io.BytesIO(p.read_bytes())).open()
    with pytest.raises(AudioFileError, match="standard input: sample rate 100 Hz is too low"):
        StdinSource(rate_hz=100, stream=io.BytesIO(b"\x01\x02" * 1000)).open()
    StdinSource(rate_hz=MIN_RATE_HZ, stream=io.BytesIO(b"\x01\x02" * 1000)).open()


def test_low_rate_cli_one_line(engine_model, tmp_path):
    p = tmp_path / "low100.wav"
    sf.write(p, _tone(60.0, 100), 100)  # crashed in the frontend ("already dropped") before
    _one_error_line(_cli("tag", str(p), "--model", engine_model), "low100.wav", "100 Hz is too low")
    r = _cli("tag", "-", "--rate", "100", "--model", engine_model, input=b"\x01\x02" * 16000)
    _one_error_line(r, "standard input: sample rate 100 Hz is too low")


# -------------------------------------------------------------- 7. sample rates above 768 kHz
def test_the_accepted_rates_end_exactly_at_the_limits():
    for rate in (MIN_RATE_HZ, 16000, MAX_RATE_HZ):
        check_rate(rate, "x")
    for rate in (MIN_RATE_HZ - 1, MAX_RATE_HZ + 1):
        with pytest.raises(AudioFileError, match=f"x: sample rate {rate} Hz is too (low|high)"):
            check_rate(rate, "x")


def test_high_sample_rates_refused_for_files_stdin_and_devices(tmp_path):
    p = tmp_path / "fast.wav"
    sf.write(p, _tone(0.1, 2_000_003), 2_000_003)
    with pytest.raises(AudioFileError, match=f"fast.wav: sample rate 2000003 Hz is too high .at most {MAX_RATE_HZ} Hz"):
        FileSource(str(p)).open()
    with pytest.raises(AudioFileError, match="standard input: sample rate 2000003 Hz is too high"):
        StdinSource(stream=io.BytesIO(p.read_bytes())).open()  # WAV stream
    with pytest.raises(AudioFileError, match="standard input: sample rate 2000000000 Hz is too high"):
        StdinSource(rate_hz=2_000_000_000, stream=io.BytesIO(bytes(32000))).open()  # raw
    with pytest.raises(DeviceError, match="device 'USB mic': sample rate 1000000 Hz is too high"):
        check_rate(1_000_000, "device 'USB mic'", DeviceError)  # what MicSource.open checks first
    StdinSource(rate_hz=MAX_RATE_HZ, stream=io.BytesIO(bytes(32000))).open()
    with pytest.raises(AudioFileError, match="fast.wav: sample rate 2000003 Hz is too high"):
        read_audio(str(p))


@pytest.mark.parametrize("rate", ["2000003", "2000000000"])
def test_high_rate_cli_one_line(engine_model, rate):
    r = _cli("tag", "-", "--rate", rate, "--model", engine_model, input=bytes(32000))  # took 4.3 GB / a traceback
    _one_error_line(r, f"standard input: sample rate {rate} Hz is too high (at most 768000 Hz)")
    assert r.returncode == 1 and r.stdout == b""


# ------------------------------------------------------------- 10. bit depths WAV does not define
def _wav_header(bits: int, block_align: int, n_bytes: int, rate: int = RATE, channels: int = 1, tag: int = 1) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block_align, block_align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", n_bytes)
    return b"RIFF" + struct.pack("<I", len(body) - 4 + n_bytes) + body


def test_wav_bits_that_do_not_fit_their_frames_are_refused(tmp_path):
    pcm = (np.arange(RATE) % 200 * 100).astype("<i2").tobytes()  # 1 s of 16-bit samples ...
    data = _wav_header(7, 2, len(pcm)) + pcm  # ... declared 7-bit: libsndfile read 2 s of 8-bit
    p = tmp_path / "seven.wav"
    p.write_bytes(data)
    msg = "WAV header is inconsistent (7-bit samples take 1 byte each, 1 channel 1 bytes, but its frames are 2 bytes)"
    with pytest.raises(AudioFileError) as e:
        FileSource(str(p)).open()
    assert str(e.value) == f"{p}: {msg}"
    with pytest.raises(AudioFileError) as e:
        StdinSource(stream=io.BytesIO(data)).open()
    assert str(e.value) == f"standard input: {msg}"
    with pytest.raises(AudioFileError, match="unsupported WAV encoding .16-bit float; float samples are 32 or 64"):
        StdinSource(stream=io.BytesIO(_wav_header(16, 2, 400, tag=3) + bytes(400))).open()


def test_wav_bits_in_whole_bytes_are_read_right_from_files_and_stdin(tmp_path):
    u8 = (np.arange(RATE) % 64 * 2 + 100).astype(np.uint8)  # 7 significant bits, left-justified in bytes
    data = _wav_header(7, 1, u8.shape[0]) + u8.tobytes()
    p = tmp_path / "seven1.wav"
    p.write_bytes(data)
    want = (u8.astype(np.float32) - 128) / 128
    got, err = _drain(FileSource(str(p)))
    assert err is None
    np.testing.assert_array_equal(got, want)
    got, err = _stdin(data)  # was refused ("unsupported WAV encoding (format 1, 7 bits)")
    assert err is None
    np.testing.assert_array_equal(got, want)
    s16 = (np.arange(RATE) % 100 * 16 - 800).astype("<i2")  # 12 bits in 2 bytes
    got, err = _stdin(_wav_header(12, 2, 2 * RATE) + s16.tobytes())
    assert err is None
    np.testing.assert_array_equal(got, s16 / np.float32(32768))


def test_wav_inconsistent_bits_cli_one_line(engine_model, tmp_path):
    pcm = bytes(2 * RATE)
    p = tmp_path / "seven.wav"
    p.write_bytes(_wav_header(7, 2, len(pcm)) + pcm)
    _one_error_line(_cli("tag", str(p), "--model", engine_model), "seven.wav: WAV header is inconsistent")
    _one_error_line(_cli("tag", "-", "--model", engine_model, input=p.read_bytes()),
                    "standard input: WAV header is inconsistent")


# ------------------------------------------------------- 11. +-inf samples count as zeros
def test_sanitize_block_zeroes_every_non_finite_sample():
    x = np.array([0.5, np.inf, -np.inf, np.nan, 2.0, -3.0], np.float32)
    np.testing.assert_array_equal(sanitize_block(x), [0.5, 0, 0, 0, 1.0, -1.0])


def _inf_burst(rate: int = RATE) -> np.ndarray:
    x = np.zeros(4 * rate, np.float32)  # digital silence with 1 s of +-inf (random signs) and a sparse +inf
    x[rate: 2 * rate] = np.where(np.random.default_rng(0).random(rate) < 0.5, np.inf, -np.inf)
    x[5 * rate // 2: 3 * rate: 100] = np.inf
    return x


def _assert_all_silence(hops, segs):
    assert hops and max(h.level_dbfs for h in hops) < -100, [h.level_dbfs for h in hops]
    assert {s.label for s in segs} == {"silence"}, segs  # was noise at 0 dBFS


def test_inf_samples_are_silence_in_files_stdin_and_the_api(engine_model, tmp_path):
    from stream_tagger.api import Hop, Segment, Tagger, tag_file

    x = _inf_burst()
    p = tmp_path / "inf.wav"
    sf.write(p, x, RATE, subtype="FLOAT")
    tagger = Tagger(engine_model)
    for source in (FileSource(str(p)),
                   StdinSource(rate_hz=RATE, sample_format="f32", stream=io.BytesIO(x.astype("<f4").tobytes())),
                   StdinSource(rate_hz=RATE, sample_format="f64", stream=io.BytesIO(x.astype("<f8").tobytes())),
                   StdinSource(stream=io.BytesIO(_wav_bytes(x, subtype="DOUBLE")))):
        events = list(tagger.stream(source))
        _assert_all_silence([e for e in events if isinstance(e, Hop)], [e for e in events if isinstance(e, Segment)])
    assert {s.label for s in tag_file(str(p), model=engine_model)} == {"silence"}


def test_three_or_more_channels_are_averaged(tmp_path):
    """Five channels (a surround file): the mean of all five, each counted once, whether read
    whole or streamed; stereo's faster path gives the same as the mean."""
    t = np.arange(16000) / 16000
    chans = np.stack([0.4 * np.sin(2 * np.pi * f * t) for f in (200, 300, 500, 700, 1100)], axis=1).astype(np.float32)
    p = tmp_path / "five.wav"
    sf.write(p, chans, 16000, subtype="FLOAT")
    expected = chans.mean(axis=1, dtype=np.float32)
    np.testing.assert_allclose(read_audio(str(p)), expected, atol=1e-6)
    got, err = _drain(FileSource(str(p)))
    assert err is None
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.max(np.abs(read_audio(str(p)) - chans[:, 0])) > 0.1  # not one channel
    np.testing.assert_array_equal(to_mono(chans[:, :2]), chans[:, :2].mean(axis=1, dtype=np.float32))


def test_non_finite_samples_count_as_zeros_in_read_audio_and_downmix(tmp_path):
    rate = 48000
    t = np.arange(2 * rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    bad = tone.copy()
    bad[rate] = np.inf  # one sample: was a hole of zeros as long as the resampling filter
    left, right = tone.copy(), tone.copy()
    left[rate: rate + 100] = np.nan  # one bad channel: the other one's half remains
    p1, p2, p3 = tmp_path / "one.wav", tmp_path / "zero.wav", tmp_path / "stereo.wav"
    sf.write(p1, bad, rate, subtype="FLOAT")
    sf.write(p2, np.where(np.isfinite(bad), bad, 0), rate, subtype="FLOAT")
    sf.write(p3, np.stack([left, right], axis=1), rate, subtype="FLOAT")
    np.testing.assert_array_equal(read_audio(str(p1)), read_audio(str(p2)))
    expected = np.where(np.isfinite(left), tone, right / np.float32(2))  # (0 + right) / 2 in the NaN run
    p4 = tmp_path / "expected.wav"
    sf.write(p4, expected, rate, subtype="FLOAT")
    np.testing.assert_array_equal(read_audio(str(p3)), read_audio(str(p4)))
    got, err = _drain(FileSource(str(p3)))
    assert err is None and np.all(np.isfinite(got))
    np.testing.assert_allclose(got[rate: rate + 100], right[rate: rate + 100] / 2, atol=1e-7)
