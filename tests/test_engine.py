"""The streaming engine with its real parts: files, ring buffer, resampler, frontend, TFLite model.
(The parts on their own: tests/test_ring_buffer.py, tests/test_resampler.py,
tests/test_level_and_refinement.py.)"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile as sf
from conftest import BURSTS, BURSTS_TOTAL_S, RATE, silence_spans, tone_bursts

from stream_tagger.engine import Tagger, tag_file
from stream_tagger.events import Hop, Segment
from stream_tagger.model import TagModel
from stream_tagger.sources import FileSource, StdinSource
from stream_tagger.sources.reader import ReaderThreadSource


# ------------------------------------------------------------------------------ the engine
def _hops(events):
    return [e for e in events if isinstance(e, Hop)]


def _segs(events):
    return [e for e in events if isinstance(e, Segment)]


def test_silence_boundaries_from_level_are_exact(engine_model, bursts_wav):
    segs = tag_file(bursts_wav, model=engine_model)
    sil = [(s.start_s, s.end_s) for s in segs if s.label == "silence"]
    expected = silence_spans(BURSTS, BURSTS_TOTAL_S)
    assert len(sil) == len(expected)
    for (a, b), (ea, eb) in zip(sil, expected):
        assert abs(a - ea) <= 0.01 and abs(b - eb) <= 0.01, (sil, expected)
    # nothing but silence inside the gaps, segments sorted by start
    assert [s.start_s for s in segs] == sorted(s.start_s for s in segs)
    for s in segs:
        if s.label != "silence":
            assert not any(a + 0.05 < s.start_s < b - 0.05 for a, b in expected)


def test_hop_cover_the_stream_on_the_sample_grid(engine_model, bursts_flac44):
    tagger = Tagger(engine_model, hop_s=0.3)
    hops = _hops(tagger.stream(FileSource(bursts_flac44)))
    assert [h.index for h in hops] == list(range(len(hops)))
    assert hops[0].start_s == 0.0
    for a, b in zip(hops, hops[1:]):
        assert a.end_s == b.start_s
        assert abs(b.start_s - b.index * 0.3) < 1e-9
    assert abs(hops[-1].end_s - BURSTS_TOTAL_S) < 1e-6
    for h in hops:
        assert set(h.probabilities) == {"speech", "music", "noise"}
        assert all(0.0 <= p <= 1.0 for p in h.probabilities.values())
        assert h.dropped_samples == 0
    gap = [h for h in hops if 3.3 <= h.start_s and h.end_s <= 4.5]
    assert gap and all(h.labels == {"silence"} for h in gap)
    assert all(h.level_dbfs < -60 for h in gap)
    loud = [h for h in hops if 1.2 <= h.start_s and h.end_s <= 2.8]
    assert all(abs(h.level_dbfs - (-13.5)) < 1.0 for h in loud)  # 0.3 amplitude sine (x0.9 downmix)


def test_fast_and_paced_give_identical_events(engine_model, bursts_flac44):
    tagger = Tagger(engine_model)
    fast = list(tagger.stream(FileSource(bursts_flac44)))
    paced = list(tagger.stream(FileSource(bursts_flac44, speed=8.0)))
    assert fast == paced
    assert len(_segs(fast)) >= 4


def test_short_file_and_hop_range(engine_model, tmp_path):
    p = tmp_path / "short.wav"
    sf.write(p, tone_bursts([(0.1, 0.3)], 0.95), RATE)  # shorter than one window
    tagger = Tagger(engine_model, hop_s=0.1)
    events = list(tagger.stream(FileSource(str(p))))
    hops = _hops(events)
    assert len(hops) == 10 and abs(hops[-1].end_s - 0.95) < 1e-9
    assert [(s.start_s, s.end_s) for s in _segs(events) if s.label == "silence"] == [(0.3, 0.95)]
    with pytest.raises(Exception, match="out of range"):
        Tagger(engine_model, hop_s=0.05)


def test_nan_inf_dc_and_clipping_do_not_crash(engine_model, tmp_path):
    """NaN and infinities count as zero and samples beyond full scale as full scale: the events
    equal those of the same file with exactly that done to it; a second of NaN is digital
    silence (-120 dBFS)."""
    rng = np.random.default_rng(3)
    x = 0.5 * rng.standard_normal(RATE * 5)
    x[1000:1100] = np.nan
    x[5000:5050] = np.inf
    x[9000:9050] = -np.inf
    x[RATE: 2 * RATE] = 0.7  # DC offset
    x[2 * RATE: 3 * RATE] = 1.5 * np.sign(np.sin(np.arange(RATE) / 5.0))  # a square beyond full scale
    x[4 * RATE:] = np.nan
    p = tmp_path / "bad.wav"
    sf.write(p, x.astype(np.float32), RATE, subtype="FLOAT")
    events = list(Tagger(engine_model).stream(FileSource(str(p))))
    hops = _hops(events)
    assert len(hops) == 20
    for h in hops:
        assert np.isfinite(h.level_dbfs)
        assert all(np.isfinite(v) for v in h.probabilities.values())
    assert [h.level_dbfs for h in hops if h.start_s >= 4.0] == [-120.0] * 4
    # (hops show silence once it is known to last min_silence_s, 0.5 s: stream_tagger.pauses)
    assert all(h.labels == {"silence"} for h in hops if h.start_s >= 4.5)
    assert Segment(4.0, 5.0, "silence") in _segs(events)
    clean = np.clip(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)
    q = tmp_path / "clean.wav"
    sf.write(q, clean.astype(np.float32), RATE, subtype="FLOAT")
    assert events == list(Tagger(engine_model).stream(FileSource(str(q))))


def test_stop_from_another_thread_flushes_open_segments(engine_model, tmp_path):
    p = tmp_path / "long_tone.wav"
    sf.write(p, tone_bursts([(0.0, 0.5)], 60.0), RATE)  # silence stays open until stopped
    tagger = Tagger(engine_model)
    events = []
    timer = None
    for ev in tagger.stream(FileSource(str(p), speed=4.0)):
        events.append(ev)
        if timer is None and isinstance(ev, Hop):
            timer = threading.Timer(0.5, tagger.stop)
            timer.start()
    hops = _hops(events)
    assert 2 <= hops[-1].end_s < 10  # stopped early
    segs = _segs(events)
    assert segs and max(s.end_s for s in segs) == pytest.approx(hops[-1].end_s, abs=0.011)


class _WithholdingSource(ReaderThreadSource):
    """A live source (the source protocol of :mod:`stream_tagger.sources`) writing ``blocks`` 1 s
    blocks of a 16 kHz tone into the ring without waiting, as an audio callback does, each one
    once the analysis has read everything before it: of each block only the ring's capacity
    reaches the analysis, the rest is dropped (a known amount)."""

    live = True
    sample_rate_hz = RATE
    description = "withholding"
    duration_s = None
    _thread_name = "FileSource"

    def __init__(self, blocks: int):
        self.blocks = blocks
        self._stop = threading.Event()
        self._ring = None

    def open(self) -> None:
        pass

    def _run(self) -> None:
        ring = self._ring
        tone = tone_bursts([(0.0, 1.0)], 1.0)
        for _ in range(self.blocks):
            for _ in range(20000):  # until the analysis has read the ring empty (at most 20 s)
                if ring.available() == 0 or self._stop.wait(0.001):
                    break
            if self._stop.is_set():
                break
            ring.write(tone)
        ring.close()


def test_overrun_drops_audio_and_keeps_time(engine_model):
    """Each 1 s block (16000 samples) written into a ring of 4096 samples drops 11904; the stats,
    the snapshot and the hops count exactly that, and the analysis restarts on the hop grid after
    each gap: one run of 4096 samples per block, whose one whole hop is the block's last 0.25 s."""
    blocks, capacity = 8, 4096
    tagger = Tagger(engine_model, buffer_s=0.05)  # 800 samples: the ring's minimum, 4096
    events = list(tagger.stream(_WithholdingSource(blocks)))
    hops = _hops(events)
    dropped = RATE - capacity
    assert tagger.stats.dropped_samples == blocks * dropped
    assert tagger.snapshot().dropped_samples == blocks * dropped
    assert [h.index for h in hops] == [4 * k + 3 for k in range(blocks)]
    for h in hops:  # hop times stay on the absolute grid of the source's sample count
        assert h.start_s == pytest.approx(h.index * 0.25, abs=1e-9) and h.end_s == pytest.approx(h.start_s + 0.25)
    # a hop reports the drops up to its block's (the next block's drop may have been counted too)
    for k, h in enumerate(hops):
        assert h.dropped_samples in ((k + 1) * dropped, (k + 2) * dropped), (k, h.dropped_samples)
    assert hops[-1].dropped_samples == blocks * dropped
    assert [h.dropped_samples for h in hops] == sorted(h.dropped_samples for h in hops)


def test_overrun_of_a_paced_file_keeps_time(engine_model, tmp_path):
    p = tmp_path / "tone.wav"
    sf.write(p, tone_bursts([(0.0, 20.0)], 20.0), RATE)
    # a tiny ring and a source writing 1 s blocks into it: every block overruns
    tagger = Tagger(engine_model, buffer_s=0.05)
    events = list(tagger.stream(FileSource(str(p), speed=50.0)))
    hops = _hops(events)
    # each 1 s block drops at least what exceeds the ring (16000 - 4096); the last block's
    # newest 4096 samples are always analysed
    assert 20 * (RATE - 4096) <= tagger.stats.dropped_samples <= 20 * RATE - 4096
    assert hops[-1].dropped_samples == tagger.stats.dropped_samples
    for h in hops:  # hop times stay on the absolute grid of the source's sample count
        assert abs(h.start_s - h.index * 0.25) < 1e-9
    assert hops[-1].end_s == pytest.approx(20.0, abs=1e-6)


def test_latencies_stay_a_bounded_window_over_many_hops(engine_model, tmp_path):
    """A long run keeps the latest hops' latencies (engine.LATENCY_WINDOW_HOPS, 2048), not one per
    hop for ever (0.58 MB per hour of audio)."""
    window = 2048
    seconds = window * 0.1 + 60  # 265 s at the 0.1 s hop: 600 hops past the window
    p = tmp_path / "long.wav"
    noise = np.random.default_rng(4).standard_normal(int(seconds * RATE)) * 0.01
    sf.write(p, noise.astype(np.float32), RATE, subtype="PCM_16")
    tagger = Tagger(engine_model, hop_s=0.1)
    stats = tagger.run(FileSource(str(p)))
    assert stats.hops >= window + 500
    assert len(stats.latencies_s) == window
    lat = np.asarray(stats.latencies_s)  # readers (benchmarks/bench_engine.py) take it as an array
    assert np.all(lat >= 0) and np.percentile(lat, 99) < 60


def test_stdin_source_reads_wav_stream_and_raw(engine_model, bursts_wav):
    import io

    data = open(bursts_wav, "rb").read()
    tagger = Tagger(engine_model)
    from_wav = list(tagger.stream(StdinSource(stream=io.BytesIO(data))))
    from_file = list(tagger.stream(FileSource(bursts_wav)))
    assert from_wav == from_file
    pcm = sf.read(bursts_wav, dtype="int16")[0].tobytes()
    from_raw = list(tagger.stream(StdinSource(rate_hz=16000, channels=1, sample_format="s16",
                                              stream=io.BytesIO(pcm))))
    assert from_raw == from_file


def test_snapshot_for_displays_and_callback_api(engine_model, bursts_flac44):
    from stream_tagger.api import FileSource as ApiFileSource, Tagger as ApiTagger

    tagger = ApiTagger(engine_model)
    seen = []

    def on_hop(hop):
        if hop.index == 8:  # mid-stream, from the consumer thread while the worker runs
            seen.append(tagger.snapshot())

    segs = []
    stats = tagger.run(ApiFileSource(bursts_flac44, speed=8.0), on_hop=on_hop, on_segment=segs.append)
    assert stats.hops == 40 and stats.segments == len(segs) >= 4
    snap = seen[0]
    assert snap.running and snap.source_description == "bursts44.flac" and snap.source_rate_hz == 44100
    assert snap.sample_rate_hz == 16000 and snap.stream_time_s >= 3.0
    assert snap.logmel.shape[0] == 64 and 200 <= snap.logmel.shape[1] <= 600
    # the log-mel frames computed so far: those whose 400-sample frame (centred on k * 160) ends
    # within the analysed samples; the last one centred on logmel_end_s - 0.01; 600 kept at most
    analysed = round(snap.stream_time_s * 16000)
    frames = (analysed + 200 - 400) // 160 + 1
    assert snap.logmel_end_s == pytest.approx(frames * 0.01, abs=1e-9)
    assert snap.logmel.shape[1] == min(frames, 600)
    assert snap.level_envelope_dbfs.shape[0] >= 200 and np.all(snap.level_envelope_dbfs <= 0)
    assert snap.last_hop is not None and snap.last_hop.index >= 8
    assert 0 < snap.load < 1
    after = tagger.snapshot()
    assert not after.running and after.stream_time_s == pytest.approx(BURSTS_TOTAL_S, abs=1e-6)


def test_silence_level_can_change_while_running(engine_model, bursts_flac44):
    # the gaps hold -70 dBFS noise: silent at the default -50 dBFS, not silent at -80 (absolute
    # mode: in floor mode they are the floor, silent at any level; tests/test_silence_floor.py)
    tagger = Tagger(engine_model, silence_mode="absolute")
    labels = []
    for ev in tagger.stream(FileSource(bursts_flac44, speed=8.0)):
        if isinstance(ev, Hop):
            labels.append((ev.start_s, ev.labels))
            if ev.index == 20:  # 5.0 s: from here on nothing is quiet enough
                tagger.decision.silence_dbfs = -80.0
    gap1 = [lab for t, lab in labels if 3.3 <= t < 4.2]
    gap3 = [lab for t, lab in labels if 7.0 <= t < 7.1 or 9.3 <= t < 9.7]
    assert all("silence" in lab for lab in gap1)
    assert gap3 and not any("silence" in lab for lab in gap3)


class _ScriptedNetwork(TagModel):
    """The shipped model's interface (labels, thresholds, frontend) with the network's
    probabilities replaced by a script of the window start time (s): a decision-logic case
    that a real network cannot be made to produce on demand."""

    def __init__(self, model_path: str, script, hop_s: float = 0.25):
        self.__dict__.update(TagModel.load(model_path).__dict__)
        self.script, self.hop_s, self.k = script, hop_s, 0

    def predict(self, x):
        out = []
        for _ in range(len(x)):
            out.append(self.script(self.k * self.hop_s))
            self.k += 1
        return np.array(out, np.float32)


def test_label_reopening_at_its_refined_end_continues_the_segment(engine_model, tmp_path):
    """Music dips for three windows starting at a +20 dB level step at 2.0 s: it closes (end placed
    where its windows fall, refined onto the step) and reopens a few hops later (start refined
    onto the same step, 1.25 s back: radius 1.5 s). The stream must carry one music segment, not
    two that touch at 2.0 s."""
    x = 10 ** (-30 / 20) * np.random.default_rng(0).standard_normal(8 * RATE).astype(np.float32)
    x[2 * RATE:int(4.5 * RATE)] *= 10.0
    path = str(tmp_path / "step.wav")
    sf.write(path, x, RATE)
    # music off in the three windows starting 2.0-2.5 s: cells 2.5-2.75 s average 0.25 (off for
    # any threshold above 0.3), cell 3.25 s averages 0.75 (on again below 0.7); speech is on
    # there (else the most probable label of a sound, music, would stay on)
    net = _ScriptedNetwork(engine_model, lambda t: [1.0, 0.0, 0.0] if 2.0 <= t < 2.75 else [0.0, 1.0, 0.0])
    hops, segs = [], []
    for ev in Tagger(model=net, refine_radius_s=1.5).stream(FileSource(path)):
        (segs if isinstance(ev, Segment) else hops).append(ev)
    assert any("music" not in h.labels for h in hops if 2.5 <= h.start_s < 3.25)  # it did close
    assert [s for s in segs if s.label != "speech"] == [Segment(0.0, 8.0, "music")]


def test_a_sound_below_every_threshold_takes_its_most_probable_label(engine_model, tmp_path):
    """Loud audio whose probabilities all stay under their thresholds' on-points (a full-scale
    200 Hz square wave gets noise 0.52, music 0.44 from the shipped model) is labelled, not left
    blank: the most probable label, kept while a rival stays within the hysteresis (here music
    passes noise by up to 0.03 in some cells), through the same minimum durations."""
    x = np.sign(np.sin(2 * np.pi * 200 * np.arange(6 * RATE) / RATE + 0.1)).astype(np.float32)
    path = str(tmp_path / "loud.wav")
    sf.write(path, x, RATE, subtype="FLOAT")
    wave = lambda t: 0.05 * np.sin(2 * np.pi * t / 2.0)  # noqa: E731 - cells: about 0.033
    net = _ScriptedNetwork(engine_model, lambda t: [0.05, 0.42 + wave(t), 0.46 - wave(t)])
    events = list(Tagger(model=net).stream(FileSource(path)))
    assert all(h.labels == {"noise"} for h in _hops(events))
    assert _segs(events) == [Segment(0.0, 6.0, "noise")]


def test_the_first_hops_of_a_stream_show_its_provisional_label(engine_model, tmp_path):
    """A stream starting in silence: its first hop, before silence's min_on (0.5 s) can confirm
    it, shows silence (it showed no label, while the segment later started at 0)."""
    path = str(tmp_path / "quiet_start.wav")
    sf.write(path, tone_bursts([(2.0, 4.0)], 5.0), RATE)
    events = list(Tagger(engine_model).stream(FileSource(path)))
    hops = _hops(events)
    assert hops[0].start_s == 0.0 and hops[0].labels == {"silence"}
    assert all(h.labels for h in hops)
    assert Segment(0.0, 2.0, "silence") in _segs(events)


def test_a_hops_probabilities_are_the_mean_of_the_windows_that_contain_it(engine_model, tmp_path):
    """Window ``m`` (starting at m * 0.25 s) gets scripted probabilities; hop ``k`` must carry the
    mean of the windows containing its cell: ``k - 3 .. k``, and at the end of a 3 s stream
    (windows up to 8) ``k - 3 .. 8``."""
    path = str(tmp_path / "noise3s.wav")
    sf.write(path, (0.1 * np.random.default_rng(5).standard_normal(3 * RATE)).astype(np.float32), RATE)

    def window(m):
        return [m / 10.0, 1.0 - m / 10.0, (m % 3) / 4.0]

    net = _ScriptedNetwork(engine_model, lambda t: window(round(t / 0.25)))
    hops = _hops(Tagger(model=net).stream(FileSource(path)))
    assert [h.index for h in hops] == list(range(12))
    for h in hops:
        k = h.index
        ms = range(max(0, k - 3), min(k, 8) + 1)
        want = np.mean([window(m) for m in ms], axis=0)
        got = [h.probabilities[lab] for lab in ("speech", "music", "noise")]
        np.testing.assert_allclose(got, want, atol=1e-4, err_msg=f"hop {k}")


def test_a_label_whose_windows_stay_on_ends_where_silence_starts(engine_model, tmp_path):
    """Every window says music, the sound stops at 2.1 s (digital silence to 5 s): music's windows
    never fall, so only the silence can end it, at the silence's own refined start (the shared
    edge, and a network segment never reaching into a silence; without both it runs on to 2.75 s)."""
    x = np.zeros(5 * RATE, np.float32)
    x[:int(2.1 * RATE)] = 0.1 * np.random.default_rng(0).standard_normal(int(2.1 * RATE))
    path = str(tmp_path / "stop.wav")
    sf.write(path, x, RATE, subtype="FLOAT")
    net = _ScriptedNetwork(engine_model, lambda t: [0.0, 1.0, 0.0])
    assert _segs(Tagger(model=net).stream(FileSource(path))) == [Segment(0.0, 2.1, "music"),
                                                                  Segment(2.1, 5.0, "silence")]


def test_a_label_starting_just_before_the_sound_stops_stays_out_of_the_silence(engine_model, tmp_path):
    """Music, then speech from the windows starting at 1.5 s; the sound stops at 2.1 s (digital
    silence to 5 s). Speech is on in the cells 1.75-2.25 s: its segment must end where the silence
    starts, and no network segment may reach into the silence."""
    x = np.zeros(5 * RATE, np.float32)
    x[:int(2.1 * RATE)] = 0.1 * np.random.default_rng(0).standard_normal(int(2.1 * RATE))
    path = str(tmp_path / "cut.wav")
    sf.write(path, x, RATE, subtype="FLOAT")
    net = _ScriptedNetwork(engine_model, lambda t: [1.0, 0.0, 0.0] if t >= 1.5 else [0.0, 1.0, 0.0])
    segs = _segs(Tagger(model=net).stream(FileSource(path)))
    assert [s for s in segs if s.label == "silence"] == [Segment(2.1, 5.0, "silence")]
    speech = [s for s in segs if s.label == "speech"]
    assert len(speech) == 1 and speech[0].start_s < 2.1 and speech[0].end_s == 2.1, segs
    assert all(s.end_s <= 2.1 for s in segs if s.label != "silence"), segs
