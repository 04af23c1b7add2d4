"""MIDI rendering for the corpus (training.render_midi): tempo map, solo parts, the busiest cut,
and a real render with Debian's GM soundfont (fluid-soundfont-gm, installed by setup --all)."""

import os

import mido
import numpy as np
import pytest

from training import render_midi

SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def _piece(tempo_us: int = 1_000_000) -> mido.MidiFile:
    """Type-1 file at 60 bpm (1 beat = 1 s at tempo_us=1e6), 480 ticks per beat:
    channel 1 piano plays beats 0-2, channel 2 bass (program 33) beats 3-5, channel 3 "voice
    oohs" (53) and channel 10 drums play throughout."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo_us, time=0)])
    mid.tracks.append(meta)

    def part(channel, program, beats, note, length=100):
        tr = mido.MidiTrack([mido.Message("program_change", channel=channel, program=program, time=0)])
        last = 0
        for b in beats:
            on, off = int(b * 480), int(b * 480) + length
            tr.append(mido.Message("note_on", channel=channel, note=note, velocity=100, time=on - last))
            tr.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=off - on))
            last = off
        mid.tracks.append(tr)

    part(0, 0, [i / 4 for i in range(16)], 72)                               # piano: 16 notes, beats 0-3.75
    part(1, 33, [3 + i / 8 for i in range(17)], 40, length=50)              # bass: 17 notes, beats 3-5
    part(2, 53, [0, 2, 4], 64)                                               # voice oohs: 3 notes
    part(9, 0, [i / 2 for i in range(12)], 36)                               # drums: 12 notes
    return mid


def test_parts_skip_drums_and_voices():
    mid = _piece()
    assert render_midi.parts(mid) == [(1, 33, 17), (0, 0, 16), (2, 53, 3)]
    chosen = render_midi.solo_parts(mid, count=5)
    assert [c[0] for c in chosen] == []                                       # all below MIN_SOLO_NOTES
    old = render_midi.MIN_SOLO_NOTES
    try:
        render_midi.MIN_SOLO_NOTES = 10
        assert render_midi.solo_parts(mid, count=5) == [(1, 33, 17), (0, 0, 16)]
        assert render_midi.solo_parts(mid, count=1) == [(1, 33, 17)]
    finally:
        render_midi.MIN_SOLO_NOTES = old


def _note_on_times(mid) -> list[tuple[int, float]]:
    now, out = 0.0, []
    for msg in mid:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            out.append((msg.channel, round(now, 3)))
    return out


def test_flatten_resolves_tempo_and_cuts():
    mid = _piece(tempo_us=500_000)                                            # 120 bpm: beat b at b/2 s
    flat = render_midi.flatten(mid, max_s=2.0)
    assert flat.type == 0 and len(flat.tracks) == 1
    times = _note_on_times(flat)
    assert (1, 1.5) in times                                                  # bass starts at beat 3
    assert max(t for _, t in times) <= 2.0                                    # cut at 2 s
    assert abs(flat.length - 2.0) < 0.01
    solo = render_midi.flatten(mid, max_s=10.0, channel=1)
    assert {ch for ch, _ in _note_on_times(solo)} == {1}
    assert len(_note_on_times(solo)) == 17


def test_busiest_finds_the_loud_stretch():
    rate = render_midi.SAMPLE_RATE_HZ
    audio = np.zeros(20 * rate, np.float32)
    audio[9 * rate:13 * rate] = 0.3 * np.sin(2 * np.pi * 440 * np.arange(4 * rate) / rate)
    cut = render_midi.busiest(audio, 4.0)
    assert len(cut) == 4 * rate
    assert np.sqrt(np.mean(cut ** 2)) > 0.2
    assert len(render_midi.busiest(audio[:3 * rate], 4.0)) == 3 * rate      # shorter than the cut: whole


def _rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)


def test_real_render_plays_only_the_solo_part(tmp_path):
    assert os.path.isfile(SOUNDFONT), "fluid-soundfont-gm is installed by scripts/setup.sh --all"
    with open(SOUNDFONT, "rb") as f:
        soundfont = f.read()
    mid = _piece()                                                            # 60 bpm: beat = 1 s
    rate = render_midi.SAMPLE_RATE_HZ
    whole = render_midi.synthesize(render_midi.flatten(mid, 10.0), soundfont)
    assert whole.dtype == np.float32 and 5.0 <= len(whole) / rate <= 12.0
    piano = render_midi.synthesize(render_midi.flatten(mid, 10.0, channel=0), soundfont)
    bass = render_midi.synthesize(render_midi.flatten(mid, 10.0, channel=1), soundfont)
    # Alone, the piano part (0-3.9 s) is silent after its last note and the bass (3-5.1 s) before 3 s.
    assert _rms_db(piano[: 3 * rate]) > _rms_db(piano[int(4.5 * rate): int(5.5 * rate)]) + 40
    assert _rms_db(bass[int(3.2 * rate): 5 * rate]) > _rms_db(bass[: int(2.8 * rate)]) + 40
    assert _rms_db(whole[: int(2.8 * rate)]) > _rms_db(bass[: int(2.8 * rate)]) + 40


def test_render_files_writes_whole_and_solos(tmp_path, monkeypatch):
    monkeypatch.setattr(render_midi, "MIN_SOLO_NOTES", 10)
    src = tmp_path / "pkg" / "music"
    src.mkdir(parents=True)
    _piece().save(str(src / "song.mid"))
    out = tmp_path / "pkg" / "rendered"
    written = render_midi.render_files([str(src / "song.mid")], SOUNDFONT, str(out))
    names = sorted(os.path.basename(p) for p in written)
    assert names == ["song-solo1-ch2-p34.flac", "song-solo2-ch1-p1.flac", "song.flac"]
    with pytest.raises(render_midi.MidiRenderError, match="soundfont"):
        render_midi.render_files([str(src / "song.mid")], str(tmp_path / "none.sf2"), str(out))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.mid").write_bytes(b"MThd not really")
    with pytest.raises(render_midi.MidiRenderError, match="x.mid"):
        render_midi.render_files([str(bad / "x.mid")], SOUNDFONT, str(tmp_path / "out2"))
