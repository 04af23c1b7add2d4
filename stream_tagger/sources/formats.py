"""Format checks of audio files and streams, from their bytes: RIFF/WAV headers (a data chunk
longer than the file, frame sizes the format does not define), Ogg pages (a stream cut short),
MPEG Layer III frame headers (frame counts, a last frame cut short), and the sniffing that
tells containers and text from raw PCM on standard input. Errors are
:class:`~stream_tagger.errors.AudioFileError` with one line."""

from __future__ import annotations

import os
import struct

from ..errors import AudioFileError

def unknown_size(n: int) -> bool:
    """True for a WAV data size that is a streaming placeholder, not a length: 0, 0xFFFFFFFF
    (ffmpeg, RF64), or about 2 GiB (arecord writes ~0x7FFFFFFF, sox 0x7FFFF000)."""
    return n == 0 or n >= 0x7FFF0000


def mp3_first_frame(f) -> int:
    """Byte offset of the first MPEG Layer III frame of the open file ``f`` (after an ID3v2 tag,
    within 4 KiB), -1 if none is found."""
    f.seek(0)
    head = f.read(10)
    pos = 0
    if head[:3] == b"ID3" and len(head) == 10:  # skip an ID3v2 tag (syncsafe size)
        n = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        pos = 10 + n + (10 if head[5] & 0x10 else 0)
    f.seek(pos)
    data = f.read(4096)
    i = data.find(b"\xff")
    while 0 <= i and mp3_frame_len(data[i:i + 4]) == 0:
        i = data.find(b"\xff", i + 1)
    return -1 if i < 0 else pos + i


def mp3_has_frame_count(path: str) -> bool:
    """True if the MP3 file's first frame carries a Xing/Info/VBRI tag (an exact frame count)."""
    try:
        with open(path, "rb") as f:
            start = mp3_first_frame(f)
            if start < 0:
                return False
            f.seek(start + 4)
            frame = f.read(160)
    except OSError:
        return False
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


def mp3_walk(path: str) -> tuple[int, int, str | None]:
    """Follow an MP3 file's Layer III frame headers from the first frame, each header giving the
    next one's offset: (complete frames, samples a frame, why the file is cut or None). The walk
    ends at the end of the file (a last frame longer than the bytes left: cut) or at the first
    bytes that are no frame header (an ID3v1 or APE tag; junk, after which nothing is judged)."""
    import mmap  # noqa: PLC0415

    with open(path, "rb") as f:
        start = mp3_first_frame(f)
        if start < 0:
            return 0, 1152, None
        f.seek(start)
        h = f.read(4)
        samples = 1152 if (h[1] >> 3) & 3 == 3 else 576  # MPEG-1 Layer III: 1152, MPEG-2/2.5: 576
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            size = len(m)
            pos, frames, frame_len = start, 0, mp3_frame_len
            while pos + 4 <= size:
                n = frame_len(m[pos:pos + 4])
                if n == 0:
                    return frames, samples, None
                if pos + n > size:
                    return frames, samples, (f"its last MPEG frame, at byte {pos}, takes {n} bytes, "
                                             f"only {size - pos} are present")
                pos += n
                frames += 1
            if pos < size and m[pos] == 0xFF:
                return frames, samples, f"it ends in an MPEG frame header, at byte {pos}"
    return frames, samples, None


def check_ogg_complete(path: str) -> None:
    """An Ogg file (Vorbis, Opus, FLAC) is complete when every page it declares is present and
    each logical stream ends with a page flagged end-of-stream (header_type 0x04); a cut file
    ends mid-page or without that page. libsndfile reads a cut file silently to the cut."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(4) != b"OggS":
                return
            ended: dict[bytes, bool] = {}  # stream serial number -> its end-of-stream page was seen
            pos = 0
            while pos < size:
                f.seek(pos)
                hdr = f.read(27)
                if hdr[:4] != b"OggS":
                    if len(hdr) < 27 and b"OggS".startswith(hdr[:4]):
                        raise AudioFileError(f"{path}: file is truncated (it ends in an Ogg page header, "
                                             f"at byte {pos})")
                    pos = _find(f, b"OggS", pos + 1)  # bytes between pages: resynchronise as a decoder does
                    if pos < 0:
                        break
                    continue
                lacing = f.read(hdr[26])
                page = 27 + hdr[26] + sum(lacing)
                if len(lacing) < hdr[26] or pos + page > size:
                    raise AudioFileError(f"{path}: file is truncated (its last Ogg page, at byte {pos}, declares "
                                         f"{page} bytes, only {size - pos} are present)")
                serial = hdr[14:18]
                ended[serial] = ended.get(serial, False) or bool(hdr[5] & 0x04)
                pos += page
    except OSError as e:
        raise AudioFileError(f"{path}: cannot read ({e.strerror or e})") from None
    if not all(ended.values()):
        raise AudioFileError(f"{path}: file is truncated (its Ogg stream ends without an end-of-stream page)")


def _find(f, needle: bytes, pos: int, block: int = 1 << 16) -> int:
    """Offset of the first ``needle`` at or after ``pos`` in the open file ``f``, -1 if none."""
    while True:
        f.seek(pos)
        data = f.read(block + len(needle) - 1)
        i = data.find(needle)
        if i >= 0:
            return pos + i
        if len(data) < block + len(needle) - 1:
            return -1
        pos += block


def parse_wav_fmt(body: bytes) -> tuple[int, int, int, int, int]:
    """(format tag, channels, rate Hz, block align bytes, bits per sample) of a WAV fmt chunk's
    body (at least 16 bytes); for WAVE_FORMAT_EXTENSIBLE the tag of its sub-format."""
    tag, ch, rate, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == 0xFFFE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]
    return tag, ch, rate, block_align, bits


def wav_fmt_problem(tag: int, channels: int, block_align: int, bits: int) -> str | None:
    """Why a WAV's samples cannot be read right, or None. PCM holds 1 to 32 bits a sample, each
    in whole bytes (12 bits in 2, left-justified), float 32 or 64, A-law and mu-law 8. A frame
    (``block_align``) must be exactly the channels' samples: libsndfile ignores the field, so a
    header claiming 7 bits in 2-byte frames was read as 8-bit at twice the length. Other
    (compressed) formats are left to the decoder."""
    if tag not in (1, 3, 6, 7) or channels == 0:
        return None
    if tag == 1 and not 1 <= bits <= 32:
        return f"unsupported WAV encoding ({bits}-bit PCM; PCM holds 1 to 32 bits a sample)"
    if tag == 3 and bits not in (32, 64):
        return f"unsupported WAV encoding ({bits}-bit float; float samples are 32 or 64 bits)"
    if tag in (6, 7) and bits != 8:
        return f"unsupported WAV encoding ({bits}-bit {'A-law' if tag == 6 else 'mu-law'}; it is 8 bits a sample)"
    width = (bits + 7) // 8
    if block_align != channels * width:
        return (f"WAV header is inconsistent ({bits}-bit samples take {width} byte{'s' * (width > 1)} each, "
                f"{channels} channel{'s' * (channels > 1)} {channels * width} bytes, but its frames are "
                f"{block_align} bytes)")
    return None


def check_riff_complete(path: str) -> None:
    """Check a WAV file's header (RIFF, also RF64/BW64) before libsndfile reads it: its fmt
    chunk must describe samples that are read right (:func:`wav_fmt_problem`), and a data
    chunk declaring more bytes than the file holds means a truncated file (libsndfile would
    silently read what is there). Placeholder sizes (:func:`unknown_size`) of files saved
    from a stream are not lengths."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            check_riff_header(f, size, path)
    except OSError as e:
        raise AudioFileError(f"{path}: cannot read ({e.strerror or e})") from None


def check_riff_header(f, size: int, name: str) -> None:
    """:func:`check_riff_complete` on the open binary file ``f`` of ``size`` bytes (a local file
    or a remote one through fsspec: a few small reads at the start); ``name`` for the messages."""
    head = f.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
        return
    pos = 12
    while pos + 8 <= size:
        f.seek(pos)
        hdr = f.read(8)
        cid, n = hdr[:4], struct.unpack("<I", hdr[4:])[0]
        if cid == b"fmt " and n >= 16:
            tag, ch, _, block_align, bits = parse_wav_fmt(f.read(min(n, 40)))
            problem = wav_fmt_problem(tag, ch, block_align, bits)
            if problem:
                raise AudioFileError(f"{name}: {problem}")
        if cid == b"data":
            if head[:4] == b"RIFF" and not unknown_size(n) and pos + 8 + n > size + 1:
                raise AudioFileError(f"{name}: file is truncated (its data chunk declares {n} bytes, "
                                     f"only {size - pos - 8} are present)")
            return
        pos += 8 + n + (n & 1)



_MP3_KBPS = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 Layer III
             2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}  # MPEG-2 / 2.5 Layer III


def mp3_frame_len(h: bytes) -> int:
    """Length in bytes of the MPEG Layer III frame whose 4-byte header is ``h``; 0 if it is not one."""
    if len(h) < 4 or h[0] != 0xFF or h[1] & 0xE6 != 0xE2:  # 11 sync bits, layer bits 01 (III)
        return 0
    ver = (h[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    br, sr, pad = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if ver == 1 or br in (0, 15) or sr == 3:
        return 0
    rate_hz = (44100, 48000, 32000)[sr] >> {3: 0, 2: 1, 0: 2}[ver]
    return (144 if ver == 3 else 72) * _MP3_KBPS[1 if ver == 3 else 2][br] * 1000 // rate_hz + pad


_MAGIC = [(b"fLaC", "FLAC"), (b"OggS", "Ogg (Vorbis/Opus/FLAC)"), (b"ID3", "MP3 (ID3 tag)"),
          (b"RIFX", "big-endian WAV"), (b"riff", "Wave64"), (b"caff", "CAF"), (b".snd", "AU"), (b"wvpk", "WavPack"),
          (b"MAC ", "Monkey's Audio"), (b"#!AMR", "AMR"), (b"MThd", "MIDI"), (b"NIST_1A", "NIST SPHERE"),
          (b"Creative Voice File", "VOC"), (b"TTA1", "TTA"), (b"\x1aE\xdf\xa3", "Matroska/WebM"),
          (b"0&\xb2u\x8ef\xcf\x11", "ASF/WMA")]  # magic bytes at the start -> name of the format
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def sniff(head: bytes, text_check: bool = True) -> str | None:
    """Name of the (non-WAV) container or kind of data ``head`` starts with, None if it may be raw PCM."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] in (b"RIFF", b"RF64", b"BW64"):
        return f"RIFF {head[8:12].decode('latin-1')!r} (not WAVE)"
    if head[:4] == b"FORM":
        return "AIFF" if head[8:12] in (b"AIFF", b"AIFC") else "IFF"
    if head[4:8] == b"ftyp":
        return "MP4/M4A"
    n = mp3_frame_len(head[:4])  # MPEG frame sync: two frames in a row, or raw audio could match
    if n and mp3_frame_len(head[n:n + 4]):
        return "MP3"
    if len(head) >= 7 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # AAC in ADTS frames
        n = (head[3] & 3) << 11 | head[4] << 3 | head[5] >> 5
        if n >= 7 and head[n:n + 1] == b"\xff" and len(head) > n + 1 and head[n + 1] & 0xF6 == 0xF0:
            return "AAC (ADTS)"
    # printable and varied (a loud constant or square wave can be printable bytes too)
    printable = len(head) >= 4 and not head.translate(None, _TEXT_BYTES)
    if text_check and printable and len(set(head)) >= min(8, len(head) // 2):
        return "text"
    return None

