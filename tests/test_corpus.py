"""Corpus builder: MUSAN-shaped tree loader, the held-out corpus, licenses, and a real (tiny)
.deb extracted. Everything runs on small files made here (no network). Labelling rules and
splits: tests/test_corpus_rules.py; packed archives: tests/test_corpus_unpack.py; generated
noise: tests/test_generated_noise.py."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections import defaultdict

import numpy as np
import pytest
import soundfile as sf
from corpus_audio import _tone, _write, build_deb, package_root

from training import corpus, corpus_debian, corpus_rules_common, corpus_splits, corpus_summary
from training.features import read_manifest


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


# ------------------------------------------------------------------ held-out corpus
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


# ------------------------------------------------------------------------- licenses
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


# ------------------------------------------------------------------- a real (tiny) .deb
def _package_root(tmp_path, name: str):
    """A package tree with its control and DEP-5 copyright file; fill it, then :func:`_build_deb`."""
    root = package_root(tmp_path / "pkgroot", name)
    (root / f"usr/share/doc/{name}/copyright").write_text(DEP5)
    return root


def _build_deb(tmp_path, root, name: str) -> str:
    return build_deb(root, tmp_path / f"{name}_1.0_all.deb")


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
