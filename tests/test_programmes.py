"""Held-out programmes (training/programmes.py, training.heldout --programmes): assembly with
boundaries known to the sample, and the scorer on a tiny case (the shipped model through
``stream-tagger evaluate``). No TensorFlow here."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from training import heldout, programmes
from training.programmes import RATE_HZ, make_programme, reference_segments, table

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "assets", "example.ogg")


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    """Speech, music and noise cut from the example recording (test-split audio)."""
    x, rate = sf.read(EXAMPLE, dtype="float32")
    d = tmp_path_factory.mktemp("pools")

    def cut(name, a, b):
        p = str(d / f"{name}.wav")
        sf.write(p, x[int(a * rate):int(b * rate)], rate)
        return p

    return {"speech": [cut("sp1", 3, 11.5), cut("sp2", 45, 54)], "music": [cut("mu1", 12.5, 19.5), cut("mu2", 28.5, 36)],
            "noise": [cut("no1", 36.5, 43)]}


def _level_dbfs(x):
    return 10 * np.log10(np.mean(np.square(x.astype(np.float64))) + 1e-20)


def test_a_programme_has_its_boundaries_on_samples_and_the_right_labels(pools):
    audio, ref, stretches = make_programme(pools, seed=3, length_s=60.0)
    again, ref2, _ = make_programme(pools, seed=3, length_s=60.0)
    assert np.array_equal(audio, again) and ref == ref2  # the same seed, the same programme
    assert audio.dtype == np.float32 and audio.shape[0] == stretches[-1].end and audio.shape[0] >= 60 * RATE_HZ
    kinds = {s.kind for s in stretches}
    assert {"speech", "music", "silence"} <= kinds
    # the stretches tile the programme; every reference time is a whole sample
    assert stretches[0].start == 0 and all(a.end == b.start for a, b in zip(stretches, stretches[1:]))
    assert all(round(t * RATE_HZ) == t * RATE_HZ for s in ref for t in (s.start_s, s.end_s))
    for s in stretches:
        piece = audio[s.start:s.end]
        if s.kind == "silence":  # room tone far under any silence level, with cuts at both ends
            assert _level_dbfs(piece) < -70
            assert _level_dbfs(audio[s.start - 160:s.start]) > -50 and _level_dbfs(audio[s.end:s.end + 160]) > -50
        else:
            assert -40 < _level_dbfs(piece) < -10
    # speech over music is both labels (speech only under a bed more than 15 dB down); neighbouring
    # stretches of one label are one segment
    both = [s for s in stretches if s.kind == "speech+music"]
    assert {s.bed_below_db > 15 for s in both} == {True, False}  # this seed has both kinds of bed
    for s in both:
        t0, t1 = s.start / RATE_HZ, s.end / RATE_HZ
        assert s.bed_below_db in programmes.BED_BELOW_DB
        on = ("speech", "music") if s.bed_below_db <= 15 else ("speech",)  # a fainter bed: speech only
        assert s.labels == on
        for lab in ("speech", "music"):
            covered = any(r.label == lab and r.start_s <= t0 and t1 <= r.end_s for r in ref)
            touched = any(r.label == lab and r.start_s < t1 and t0 < r.end_s for r in ref)
            assert covered if lab in on else not touched, (lab, s)
    for lab in ("speech", "music", "noise", "silence"):
        spans = sorted((r.start_s, r.end_s) for r in ref if r.label == lab)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))  # merged: never touching


def test_excerpts_start_and_end_on_sound(tmp_path):
    """A voice line with a silent lead-in and tail (as Drascula's are): trimmed, and every excerpt,
    looped or not, starts and ends on a sounding 10 ms frame, so no stretch edge lies in quiet."""
    rng = np.random.default_rng(1)
    t = np.arange(int(1.5 * RATE_HZ)) / RATE_HZ
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(np.float32)
    quiet = lambda s: (rng.standard_normal(int(s * RATE_HZ)) * 1e-4).astype(np.float32)  # noqa: E731
    line = np.concatenate([quiet(0.4), tone, quiet(0.3), tone, quiet(0.6)])
    path = str(tmp_path / "line.wav")
    sf.write(path, line, RATE_HZ, subtype="FLOAT")
    x, sounding = programmes._load(path)
    assert x.shape[0] == sounding.shape[0] * 160 and sounding[0] and sounding[-1]
    assert 3.0 < x.shape[0] / RATE_HZ < 3.5  # 0.4 s lead-in and 0.6 s tail gone, the inner pause kept
    cache = {}
    for n_s in (0.5, 2.0, 7.0):  # shorter than the line, and looped
        for seed in range(20):
            e = programmes._excerpt([path], int(n_s * RATE_HZ), np.random.default_rng(seed), cache)
            assert e.shape[0] == int(n_s * RATE_HZ)
            assert _level_dbfs(e[:160]) > -50 and _level_dbfs(e[-160:]) > -50, (n_s, seed)


def test_reference_segments_merge_runs_of_a_label():
    S = programmes.Stretch
    st = [S("speech", ("speech",), 0, 16000), S("speech+music", ("speech", "music"), 16000, 48000),
          S("music", ("music",), 48000, 64000), S("silence", ("silence",), 64000, 80000)]
    assert [(r.start_s, r.end_s, r.label) for r in reference_segments(st)] == [
        (0.0, 3.0, "speech"), (1.0, 4.0, "music"), (4.0, 5.0, "silence")]


def test_the_scorer_on_a_tiny_case(pools, shipped_model, tmp_path):
    """Two 25 s programmes, tagged by the shipped model through stream-tagger evaluate: one table
    row with the figures the evaluate report holds; silence edges are cuts in level, found exactly."""
    pairs = programmes.write_programmes(pools, str(tmp_path / "progs"), 2, 25.0)
    assert [os.path.basename(p) for pair in pairs for p in pair] == ["prog_00.csv", "prog_00.wav",
                                                                     "prog_01.csv", "prog_01.wav"]
    assert all(os.path.isfile(programmes.stretches_path(w)) for _, w in pairs)
    rep = programmes.score(pairs, shipped_model)
    # class changes by how they were made: together, exactly evaluate's class changes
    made = programmes.changes_by_making(pairs, shipped_model)
    cc = rep["boundary"]["by_kind"]["class change"]
    assert sum(m["changes"] for m in made.values()) == cc["changes"] > 0
    found = sum(m["within_0.25"] * m["changes"] for m in made.values() if m["changes"])
    assert found == pytest.approx(cc["within_s"]["0.25"] * cc["changes"])
    mt = programmes.making_table([("shipped", made)]).splitlines()
    assert len(mt) == 3 and mt[0].startswith("| model | cut within 0.25 s") and mt[2].startswith("| shipped |")
    assert rep["pairs"] == 2 and rep["duration_s"] >= 50
    edges = rep["boundary"]["by_kind"]["silence edge"]
    assert edges["changes"] >= 1 and edges["within_s"]["0.1"] == 1.0
    text = table([("shipped", rep)])
    lines = text.splitlines()
    assert lines[0].startswith("| model | speech P / R / F1 | music F1 |") and len(lines) == 3
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[0] == "shipped" and cells[1].endswith(f"**{rep['labels']['speech']['f1']:.3f}**")
    assert cells[-1] == f"1.000 ({edges['changes']})"
    # a perfect hypothesis scores 1 everywhere (the scorer's own sanity)
    from stream_tagger.evaluate import evaluate_pairs
    from stream_tagger.labels import read_segments

    perfect = evaluate_pairs([(read_segments(r), read_segments(r)) for r, _ in pairs])
    assert "| perfect | 1.000 / 1.000 / **1.000** |" in table([("perfect", perfect)])


def test_heldout_programmes_from_the_corpus_manifests(pools, shipped_model, tmp_path):
    """``training.heldout --programmes``: music and noise from the held-out manifest, speech from
    the training corpus's test split while the held-out corpus has none; one table."""
    data = tmp_path / "data"
    (data / "heldout" / "corpus").mkdir(parents=True)
    (data / "corpus").mkdir()
    held = [{"path": p, "label": lab, "split": "test"} for lab in ("music", "noise") for p in pools[lab]]
    train = [{"path": pools["speech"][0], "label": "speech", "split": "test"},
             {"path": pools["speech"][1], "label": "speech", "split": "train"}]  # never used
    for path, rows in ((data / "heldout" / "corpus" / "manifest.jsonl", held), (data / "corpus" / "manifest.jsonl", train)):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = programmes.pools_from_manifest(str(data / "corpus" / "manifest.jsonl"), ("speech",), split="test")
    assert got == {"speech": [pools["speech"][0]]}
    text = heldout.programmes_table(str(data), [shipped_model], 2, 20.0)
    head, tab, made = text.split("\n\n")
    assert "speech from the training corpus's test split (the held-out packages hold no speech) (1 recordings)" in head
    assert "music and noise from the held-out corpus (2 and 1 recordings)" in head
    assert len(tab.splitlines()) == 3 and shipped_model in tab
    assert len(made.splitlines()) == 3 and "| crossfade within 0.25 s" in made
    assert sorted(os.listdir(data / "heldout" / "programmes")) == [
        "prog_00.csv", "prog_00.stretches.json", "prog_00.wav", "prog_01.csv", "prog_01.stretches.json", "prog_01.wav"]
