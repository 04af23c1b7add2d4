"""The ``plot`` command: a PNG of a stretch of a file with its label strips, read back by pixels."""

import argparse
import os

import numpy as np
import pytest
from gui_signals import DURATION_S, known_segments, make_known_file

from stream_tagger.events import LABELS, Segment
from stream_tagger.gui import plot
from stream_tagger.gui.colors import nearest_label
from stream_tagger.gui.pixels import png_rgb


def _args(**kw):
    parser = argparse.ArgumentParser()
    plot.add_arguments(parser)
    argv = [kw.pop("file")]
    for k, v in kw.items():
        argv += [f"--{k}", str(v)]
    return parser.parse_args(argv)


def _strip_labels_at(img, picture, strip, t):
    """Labels whose colour shows in ``strip`` at time ``t`` (pixels at each row's centre)."""
    on = set()
    for lab in LABELS:
        x, y = picture.pixel_of(strip, t, lab)
        got = nearest_label(img[y, x], max_distance=10)
        if got is not None:
            assert got == lab, (strip, t, lab, got)
            on.add(lab)
    return on


def _check_strip(img, picture, strip, truth, t0, t1, only=LABELS):
    checked = 0
    for t in np.arange(t0 + 0.05, t1, 0.1):
        if any(abs(t - x) < 0.12 for s in truth for x in (s.start_s, s.end_s)):
            continue  # a pixel or two either side of a boundary
        want = {s.label for s in truth if s.start_s < t < s.end_s} & set(only)
        got = _strip_labels_at(img, picture, strip, t) & set(only)
        assert got == want, (strip, round(t, 2), got, want)
        checked += 1
    return checked


def test_render_draws_each_segment_in_its_colour_at_its_time(tmp_path):
    truth = known_segments()
    predicted = [Segment(0.0, 3.5, "music"), Segment(3.5, 6.2, "silence"), Segment(6.2, 18.0, "speech"),
                 Segment(9.0, 11.0, "noise")]
    audio = np.zeros(int(DURATION_S * 16000), np.float32)
    for view in ("waveform", "spectrogram"):
        pic = plot.render_timeline(audio, 0.0, DURATION_S, predicted, truth, view=view, title="x")
        out = str(tmp_path / f"{view}.png")
        pic.save(out)
        img = png_rgb(out)
        assert img.shape[1] == 1200
        assert _check_strip(img, pic, "predicted", predicted, 0.0, DURATION_S) > 150
        assert _check_strip(img, pic, "reference", truth, 0.0, DURATION_S) > 150
        # the two strips are separate: reference rows are below the predicted ones
        assert pic.pixel_of("reference", 1.0, "speech")[1] > pic.pixel_of("predicted", 1.0, "silence")[1]


def test_render_of_a_stretch_uses_file_time(tmp_path):
    truth = known_segments()
    audio = np.zeros(int(DURATION_S * 16000), np.float32)
    pic = plot.render_timeline(audio, 5.0, 13.0, None, truth)
    out = str(tmp_path / "stretch.png")
    pic.save(out)
    img = png_rgb(out)
    assert "predicted" not in pic.strip_axes
    assert tuple(pic.signal_axes.get_xlim()) == (5.0, 13.0)
    assert _check_strip(img, pic, "reference", truth, 5.0, 13.0) > 60


def test_plot_command_writes_png_with_predicted_and_reference_strips(tmp_path, engine_model):
    wav = str(tmp_path / "known.wav")
    truth = make_known_file(wav)
    ref = str(tmp_path / "ref.csv")
    from stream_tagger.labels import write_segments

    write_segments(truth, "csv", ref)
    out = str(tmp_path / "timeline.png")
    args = _args(file=wav, output=out, reference=ref, model=engine_model)
    assert plot.run(args) == 0
    assert os.path.getsize(out) > 10000
    from PIL import Image

    from stream_tagger.model import model_identity, read_metadata

    with Image.open(out) as im:  # the PNG says which model and file it shows
        assert im.text["Model"] == model_identity(engine_model, read_metadata(engine_model))
        assert im.text["Source"] == wav
    img = png_rgb(out)
    pic = plot.make_picture(args)  # same figure geometry as the saved one
    assert img.shape[:2] == tuple(int(round(v)) for v in pic.figure.get_size_inches()[::-1] * pic.figure.dpi)
    assert _check_strip(img, pic, "reference", truth, 0.0, DURATION_S) > 150
    # silence is decided by level: the predicted strip's silence row matches the known gaps
    # (boundaries allowed to move by the post-processing's smoothing, so stay 0.5 s clear of them)
    silent = [s for s in truth if s.label == "silence"]
    for t in np.arange(0.05, DURATION_S, 0.1):
        if any(abs(t - x) < 0.5 for s in truth for x in (s.start_s, s.end_s)):
            continue
        want = any(s.start_s < t < s.end_s for s in silent)
        assert ("silence" in _strip_labels_at(img, pic, "predicted", t)) == want, t


def test_plot_command_spectrogram_view_and_stretch(tmp_path, engine_model):
    wav = str(tmp_path / "known.wav")
    make_known_file(wav)
    out = str(tmp_path / "spec.png")
    assert plot.run(_args(file=wav, output=out, view="spectrogram", start=5, duration=6,
                                   model=engine_model)) == 0
    img = png_rgb(out)
    pic = plot.make_picture(_args(file=wav, output=out, view="spectrogram", start=5, duration=6, model=engine_model))
    # digital silence at 5..6 s and 10..12 s: silence row on there
    for t in (5.3, 10.6):
        assert "silence" in _strip_labels_at(img, pic, "predicted", t)
    assert tuple(pic.signal_axes.get_xlim()) == (5.0, 11.0)


@pytest.mark.parametrize(
    "kw, message, status",
    [
        (dict(file="/nonexistent/a.wav"), "no such file", 1),
        (dict(duration=0), "plot: --duration must be positive", 2),
        (dict(start=99), "past the end", 1),
        (dict(output="/nonexistent/dir/x.png"), "does not exist", 1),
    ],
)
def test_plot_command_bad_input_is_one_line(tmp_path, capsys, kw, message, status):
    """Bad input: exit 1; an option out of range: exit 2; one line ``stream-tagger: error: ...``."""
    wav = str(tmp_path / "known.wav")
    make_known_file(wav)
    kw = {"file": wav, "output": str(tmp_path / "o.png"), **kw}
    assert plot.run(_args(**kw)) == status
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and err.startswith("stream-tagger: error: ")
    assert not os.path.exists(tmp_path / "o.png")


def test_plot_command_bad_reference_file(tmp_path, capsys):
    wav = str(tmp_path / "known.wav")
    make_known_file(wav)
    bad = tmp_path / "ref.csv"
    bad.write_text("start,end,label\n1.0,oops,speech\n")
    assert plot.run(_args(file=wav, output=str(tmp_path / "o.png"), reference=str(bad))) == 1
    err = capsys.readouterr().err
    assert "ref.csv" in err and len(err.strip().splitlines()) == 1


def test_cli_plot_needs_no_display(tmp_path, engine_model):
    """``stream-tagger plot`` through the CLI, with no X display at all: it never opens a window."""
    import subprocess
    import sys

    wav = str(tmp_path / "known.wav")
    make_known_file(wav)
    out = tmp_path / "t.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "MPLBACKEND")}
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", "plot", wav, "-o", str(out), "--model", engine_model,
                        "--duration", "10"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-1000:]
    img = png_rgb(str(out))
    assert img.shape[0] > 300 and img.shape[1] == 1200
    # the silence at 4..6 s is in the picture in the silence colour
    assert any(nearest_label(px, 10) == "silence" for px in img.reshape(-1, 3)[::7])
