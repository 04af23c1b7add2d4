"""Unpacking audio that Debian ships inside game archives.

* ``queen.1c`` (Flight of the Amazon Queen, ScummVM's compressed resource file): a ``QTBL``
  header (magic, 6-byte version string, 2 reserved bytes, 1 byte compression type,
  big-endian uint16 entry count) followed by 21-byte entries (12-byte NUL-padded name,
  1-byte bundle, big-endian uint32 absolute offset, big-endian uint32 size). Speech and
  sound entries end in ``.SB``; their payload is MP3 (compression 1), Ogg Vorbis (2) or
  FLAC (3).
* ``*.wz`` (Warzone 2100): plain zip files; audio members are copied out as they are.
* ``opensfx.cat`` (OpenTTD's sound set): a table of little-endian uint32 (offset, size) pairs,
  one per sound (the offset's top bit is a flag); the first offset also ends the table. At each
  offset: one length byte, a NUL-terminated description (``"Title". By ... License: ...``),
  then a RIFF WAV file of ``size`` bytes. Sounds are written as ``<title slug>.wav``.

* ``*.gsm`` (Asterisk's telephone prompts): headerless GSM 6.10 frames, 8 kHz mono;
  :func:`convert_raw_gsm` decodes each into a FLAC file beside it (``<stem>.flac``).
* ``*.ALS`` (Drascula, ScummVM's ``drascula`` engine): headerless unsigned 8-bit mono PCM at
  11025 Hz, one sound or dialogue line per file in a folder per language;
  :func:`unpack_raw_u8_folder` decodes a folder of them into ``out_dir/<stem>.flac``.

All unpackers write files below ``out_dir`` and return the written paths.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from dataclasses import dataclass

import soundfile as sf

QTBL_MAGIC = b"QTBL"
QTBL_HEADER_BYTES = 15
QTBL_ENTRY_BYTES = 21
# ScummVM's compression ids -> file extension of the payload.
QTBL_COMPRESSION_EXT = {0: ".sb", 1: ".mp3", 2: ".ogg", 3: ".flac"}
AUDIO_EXTENSIONS = (".ogg", ".oga", ".wav", ".flac", ".mp3", ".opus")


class ArchiveError(ValueError):
    """A packed archive does not have the expected layout."""


@dataclass(frozen=True)
class QtblEntry:
    name: str
    bundle: int
    offset: int
    size: int


def read_qtbl(data: bytes) -> tuple[int, list[QtblEntry]]:
    """Parse a ``queen.1c`` image: returns (compression id, entries). Raises ArchiveError."""
    if len(data) < QTBL_HEADER_BYTES or data[:4] != QTBL_MAGIC:
        raise ArchiveError("not a QTBL resource file (missing 'QTBL' magic)")
    compression = data[12]
    (count,) = struct.unpack(">H", data[13:15])
    end_of_table = QTBL_HEADER_BYTES + count * QTBL_ENTRY_BYTES
    if end_of_table > len(data):
        raise ArchiveError(f"QTBL table of {count} entries runs past the end of the file")
    entries = []
    for i in range(count):
        pos = QTBL_HEADER_BYTES + i * QTBL_ENTRY_BYTES
        raw_name = data[pos:pos + 12].split(b"\0", 1)[0]
        bundle = data[pos + 12]
        offset, size = struct.unpack(">II", data[pos + 13:pos + 21])
        if offset + size > len(data):
            raise ArchiveError(f"QTBL entry {raw_name!r} points past the end of the file")
        entries.append(QtblEntry(raw_name.decode("latin-1"), bundle, offset, size))
    return compression, entries


def unpack_queen(path: str, out_dir: str) -> list[str]:
    """Write every ``.SB`` entry of ``queen.1c`` as ``out_dir/<NAME>.<mp3|ogg|flac>``."""
    with open(path, "rb") as f:
        data = f.read()
    compression, entries = read_qtbl(data)
    ext = QTBL_COMPRESSION_EXT.get(compression)
    if ext is None:
        raise ArchiveError(f"unknown QTBL compression id {compression}")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for e in entries:
        if not e.name.upper().endswith(".SB") or e.size == 0:
            continue
        stem = os.path.basename(e.name.replace("\\", "/"))[:-3]
        out = os.path.join(out_dir, stem + ext)
        with open(out, "wb") as f:
            f.write(data[e.offset:e.offset + e.size])
        written.append(out)
    return written


def unpack_zip_audio(path: str, out_dir: str) -> list[str]:
    """Copy the audio members of a zip (e.g. Warzone 2100's ``base.wz``) below ``out_dir``."""
    written = []
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise ArchiveError(f"{path}: not a zip archive ({e})") from None
    with zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or not name.lower().endswith(AUDIO_EXTENSIONS):
                continue
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
            out = os.path.join(out_dir, *parts)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                dst.write(src.read())
            written.append(out)
    return written


CAT_FLAG = 0x80000000


def unpack_openttd_cat(path: str, out_dir: str) -> list[str]:
    """Write every WAV of an OpenTTD ``.cat`` sound set as ``out_dir/<title slug>.wav``."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ArchiveError(f"{path}: too short for a .cat sound table")
    table_end = struct.unpack("<I", data[:4])[0] & ~CAT_FLAG
    if table_end % 8 or not 8 <= table_end <= len(data):
        raise ArchiveError(f"{path}: not a .cat sound table (first offset {table_end})")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for i in range(table_end // 8):
        offset, size = struct.unpack("<II", data[i * 8:i * 8 + 8])
        offset &= ~CAT_FLAG
        if offset >= len(data):
            raise ArchiveError(f"{path}: sound {i} starts past the end of the file")
        name_len = data[offset]
        wav = data[offset + 1 + name_len:offset + 1 + name_len + size]
        if len(wav) != size:
            raise ArchiveError(f"{path}: sound {i} runs past the end of the file")
        if size <= 44 or wav[:4] != b"RIFF":
            continue  # the set's empty placeholders
        name = data[offset + 1:offset + 1 + name_len].split(b"\0", 1)[0].decode("latin-1")
        title = re.match(r'\s*"([^"]+)"', name)
        slug = re.sub(r"[^a-z0-9]+", "_", (title.group(1) if title else name or f"sound{i}").lower()).strip("_")
        out = os.path.join(out_dir, f"{slug or f'sound{i}'}.wav")
        with open(out, "wb") as f:
            f.write(wav)
        written.append(out)
    return written


GSM_RATE_HZ = 8000


def convert_raw_gsm(root: str) -> list[str]:
    """Decode every headerless GSM 6.10 file (``*.gsm``, 8 kHz mono) below ``root`` into
    ``<stem>.flac`` beside it (16-bit); returns the written paths. Raises ArchiveError."""
    written = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(".gsm"):
                continue
            path = os.path.join(dirpath, name)
            try:
                audio, rate = sf.read(path, format="RAW", subtype="GSM610", samplerate=GSM_RATE_HZ, channels=1,
                                      dtype="int16")
            except Exception as e:                  # libsndfile's decoder errors
                raise ArchiveError(f"{path}: not GSM 6.10 ({str(e).strip()})") from None
            out = os.path.splitext(path)[0] + ".flac"
            sf.write(out, audio, rate, format="FLAC", subtype="PCM_16")
            written.append(out)
    return written


RAW_U8_RATE_HZ = 11025
RAW_U8_EXTENSION = ".als"


def unpack_raw_u8_folder(path: str, out_dir: str) -> list[str]:
    """Decode every headerless unsigned 8-bit mono file (``*.als``, any case, 11025 Hz) in the
    folder ``path`` (not below it) into ``out_dir/<stem>.flac`` (16-bit); symbolic links (a
    language package's links to another package's files) are skipped. Raises ArchiveError."""
    if not os.path.isdir(path):
        raise ArchiveError(f"{path}: not a folder of raw 8-bit sounds")
    written = []
    for name in sorted(os.listdir(path)):
        src = os.path.join(path, name)
        if not name.lower().endswith(RAW_U8_EXTENSION) or os.path.islink(src) or not os.path.isfile(src):
            continue
        if os.path.getsize(src) == 0:
            continue
        try:  # libsndfile's RAW reader, as for GSM: (byte - 128) << 8
            audio, rate = sf.read(src, format="RAW", subtype="PCM_U8", samplerate=RAW_U8_RATE_HZ, channels=1,
                                  dtype="int16")
        except Exception as e:                      # libsndfile's errors
            raise ArchiveError(f"{src}: not raw 8-bit audio ({str(e).strip()})") from None
        os.makedirs(out_dir, exist_ok=True)
        out = os.path.join(out_dir, os.path.splitext(name)[0] + ".flac")
        sf.write(out, audio, rate, format="FLAC", subtype="PCM_16")
        written.append(out)
    return written
