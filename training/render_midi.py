"""Render Debian's MIDI music to audio with a General MIDI soundfont, whole and as solo parts.

The corpus's music is almost all full arrangements; the model's music errors are solo
instruments (heard as speech) and sparse or ambient pieces (heard as noise). A MIDI file can
be rendered twice over: the whole arrangement, and single instrument parts alone. This module
does that with the GM soundfont of Debian's ``fluid-soundfont-gm`` (FluidR3_GM.sf2, MIT) and
``midirenderer`` (a SoundFont synthesiser in a self-contained wheel, MIT).

For each MIDI file it is given it writes 16 kHz mono FLAC files into ``out_dir``:

* ``<stem>.flac``: the whole arrangement, its first :data:`FULL_MAX_S` seconds;
* ``<stem>-solo<k>-ch<c>-p<program>.flac``: up to :data:`SOLOS_PER_FILE` melodic parts played
  alone (channel ``c``, GM program ``program``), the parts with most notes first, each cut to
  its busiest :data:`SOLO_S` seconds. Drums (channel 10), voices (GM programs 53-55: choir,
  voice oohs, synth voice: they would teach "a voice is music"), percussive programs (113-120:
  bells, woodblock, taiko, toms, reverse cymbal) and sound effects (121-128) are never soloed.

Timing comes from the MIDI file's own tempo map: the events are replayed by ``mido`` in
seconds and written to a type-0 file at a fixed tempo, which also cuts the file at the cap.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from typing import Optional

import numpy as np
import soundfile as sf

from stream_tagger.audio_io import resample, to_mono

SAMPLE_RATE_HZ = 16000
FULL_MAX_S = 240.0          # whole arrangements: the first 4 minutes (some game loops run 30 min)
SOLO_RENDER_S = 150.0       # solo parts are rendered over this much of the piece ...
SOLO_S = 60.0               # ... and cut to their busiest minute
SOLOS_PER_FILE = 3
MIN_SOLO_NOTES = 60         # a part with fewer notes is not worth a solo
DRUM_CHANNEL = 9            # 0-based: GM channel 10
NO_SOLO_PROGRAMS = frozenset(range(52, 55)) | frozenset(range(112, 128))   # 0-based GM programs
TICKS_PER_BEAT = 960
TEMPO_US = 500000           # fixed 120 bpm: 1 s = 1920 ticks
RENDER_VERSION = "midi-v1"  # part of the extraction marker: bump to re-render
MIDI_EXTENSIONS = (".mid", ".midi")


class MidiRenderError(ValueError):
    """A MIDI file could not be read or rendered."""


def _load(path: str):
    import mido
    try:
        return mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as e:
        raise MidiRenderError(f"{os.path.basename(path)}: not a readable MIDI file ({e})") from None


def parts(mid) -> list[tuple[int, int, int]]:
    """Melodic parts of a MIDI file as ``(channel, program, notes)``, most notes first (0-based)."""
    notes: Counter = Counter()
    program: dict[int, int] = {}
    for track in mid.tracks:
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                notes[msg.channel] += 1
            elif msg.type == "program_change":
                program.setdefault(msg.channel, msg.program)
    return [(ch, program.get(ch, 0), n) for ch, n in notes.most_common() if ch != DRUM_CHANNEL]


def solo_parts(mid, count: int = SOLOS_PER_FILE) -> list[tuple[int, int, int]]:
    """The parts worth rendering alone: not drums, voices or effects, at least MIN_SOLO_NOTES notes."""
    chosen = [p for p in parts(mid) if p[1] not in NO_SOLO_PROGRAMS and p[2] >= MIN_SOLO_NOTES]
    return chosen[:count]


def flatten(mid, max_s: float, channel: Optional[int] = None):
    """A type-0 copy of ``mid`` cut at ``max_s`` seconds; with ``channel``, only that channel's
    channel messages are kept (the part played alone). Tempo changes are resolved into times."""
    import mido
    out = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    track = mido.MidiTrack()
    out.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0))
    ticks_per_s = TICKS_PER_BEAT * 1e6 / TEMPO_US
    now_s = 0.0
    last_tick = 0
    for msg in mid:                     # replays the file: msg.time is seconds since the last message
        now_s += msg.time
        if now_s > max_s:
            break
        if msg.is_meta or msg.type == "sysex":
            continue
        if channel is not None and getattr(msg, "channel", channel) != channel:
            continue
        tick = int(round(now_s * ticks_per_s))
        track.append(msg.copy(time=tick - last_tick))
        last_tick = tick
    delay = max(0, int(round(min(now_s, max_s) * ticks_per_s)) - last_tick)
    for ch in range(16):                # all notes off at the cut
        track.append(mido.Message("control_change", channel=ch, control=123, value=0, time=delay if ch == 0 else 0))
    track.append(mido.MetaMessage("end_of_track", time=0))
    return out


def synthesize(mid, soundfont: bytes) -> np.ndarray:
    """Render a MIDI file object: mono float32 at 16 kHz."""
    import midirenderer
    buf = io.BytesIO()
    mid.save(file=buf)
    wav = midirenderer.render_wave_from(soundfont, buf.getvalue())
    audio, rate = sf.read(io.BytesIO(bytes(wav)), dtype="float32", always_2d=True)
    return resample(to_mono(audio), rate, SAMPLE_RATE_HZ)


def busiest(audio: np.ndarray, seconds: float, rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The ``seconds`` of ``audio`` with most 1 s blocks within 30 dB of the part's loudest block."""
    n = int(seconds * rate)
    if len(audio) <= n:
        return audio
    blocks = len(audio) // rate
    rms = np.sqrt(np.mean(audio[: blocks * rate].reshape(blocks, rate) ** 2, axis=1) + 1e-20)
    db = 20 * np.log10(rms)
    active = (db > db.max() - 30).astype(np.int64)
    span = int(seconds)
    sums = np.convolve(active, np.ones(span, dtype=np.int64), mode="valid")
    start = int(np.argmax(sums)) * rate
    return audio[start:start + n]


def _write(path: str, audio: np.ndarray) -> None:
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > 0.99:
        audio = audio * (0.99 / peak)
    sf.write(path, audio, SAMPLE_RATE_HZ, format="FLAC", subtype="PCM_16")


def render_file(midi_path: str, soundfont: bytes, out_dir: str) -> list[str]:
    """Render one MIDI file whole and as solo parts into ``out_dir``; returns the written paths."""
    mid = _load(midi_path)
    stem = os.path.splitext(os.path.basename(midi_path))[0]
    os.makedirs(out_dir, exist_ok=True)
    written = []
    whole = synthesize(flatten(mid, FULL_MAX_S), soundfont)
    path = os.path.join(out_dir, f"{stem}.flac")
    _write(path, whole)
    written.append(path)
    for k, (ch, prog, _notes) in enumerate(solo_parts(mid), 1):
        solo = busiest(synthesize(flatten(mid, SOLO_RENDER_S, channel=ch), soundfont), SOLO_S)
        path = os.path.join(out_dir, f"{stem}-solo{k}-ch{ch + 1}-p{prog + 1}.flac")
        _write(path, solo)
        written.append(path)
    return written


_SOUNDFONTS: dict[str, bytes] = {}


def _render_job(args: tuple[str, str, str]) -> list[str]:
    midi_path, soundfont_path, out_dir = args
    if soundfont_path not in _SOUNDFONTS:       # read once per worker process (141 MB)
        with open(soundfont_path, "rb") as f:
            _SOUNDFONTS[soundfont_path] = f.read()
    return render_file(midi_path, _SOUNDFONTS[soundfont_path], out_dir)


def render_files(midi_paths: list[str], soundfont_path: str, out_dir: str, jobs: int = 1) -> list[str]:
    """Render MIDI files into ``out_dir`` (flat; stems must be unique), ``jobs`` files at a time."""
    if not os.path.isfile(soundfont_path):
        raise MidiRenderError(f"soundfont {soundfont_path} not found (package fluid-soundfont-gm)")
    todo = [(p, soundfont_path, out_dir) for p in midi_paths]
    if jobs <= 1 or len(todo) <= 1:
        results = [_render_job(t) for t in todo]
    else:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_render_job, todo))
    return [p for r in results for p in r]
