"""The ``plot`` command: a PNG of a stretch of a file with its label strips, read back by pixels."""

import argparse
import os
from collections import Counter

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


def _label_near(img, x, y, label, reach_px=1):
    """Whether ``label``'s colour is within ``reach_px`` pixels of ``(x, y)``."""
    patch = img[y - reach_px:y + reach_px + 1, x - reach_px:x + reach_px + 1].reshape(-1, 3)
    return any(nearest_label(px, max_distance=40) == label for px in patch)


def _row_colours(img, picture, probability, t0, t1):
    """Labels seen along the probability panel's line at ``probability`` from ``t0`` to ``t1`` s:
    pixel columns per label (a column's label from the 3 pixels across the anti-aliased line)."""
    (x0, y), (x1, _) = picture.prob_pixel(t0, probability), picture.prob_pixel(t1, probability)
    counts = Counter()
    for x in range(x0, x1):
        seen = {nearest_label(img[y + dy, x], max_distance=60) for dy in (-1, 0, 1)} - {None}
        assert len(seen) <= 1, (x, seen)
        counts[seen.pop() if seen else None] += 1
    return counts


def test_render_draws_each_probability_with_its_threshold(tmp_path):
    """Before: the picture had no probabilities at all. Each curve is in its label's colour at its
    value; each threshold is a dashed line in that colour; speech and music share a threshold
    (as in the shipped model) and both their dashes show on that line."""
    times = np.arange(0.05, DURATION_S, 0.1)
    probs = {"speech": np.where((times > 2) & (times < 6), 0.9, 0.05),
             "music": np.where((times > 8) & (times < 12), 0.7, 0.05),
             "noise": np.full(times.shape, 0.2)}
    trace = plot.ProbabilityTrace(times, probs, {"speech": 0.425, "music": 0.425, "noise": 0.5})
    audio = np.zeros(int(DURATION_S * 16000), np.float32)
    pic = plot.render_timeline(audio, 0.0, DURATION_S, [Segment(2.0, 6.0, "speech")], probabilities=trace)
    out = str(tmp_path / "probs.png")
    pic.save(out)
    img = png_rgb(out)
    for t, p, lab in ((3.0, 0.9, "speech"), (5.0, 0.9, "speech"), (9.0, 0.7, "music"), (11.0, 0.7, "music"),
                      (15.0, 0.2, "noise"), (1.0, 0.2, "noise")):
        assert _label_near(img, *pic.prob_pixel(t, p), lab), (t, p, lab)
    for t, p in ((9.0, 0.9), (3.0, 0.7), (15.0, 0.7)):  # nothing drawn where no curve is
        assert nearest_label(img[pic.prob_pixel(t, p)[::-1]], max_distance=40) is None, (t, p)
    shared = _row_colours(img, pic, 0.425, 6.5, 7.5) + _row_colours(img, pic, 0.425, 12.5, 17.5)
    assert shared.get("speech", 0) >= 60 and shared.get("music", 0) >= 60, shared
    noise_line = _row_colours(img, pic, 0.5, 12.5, 17.5)
    assert noise_line.get("noise", 0) >= 60 and noise_line.get(None, 0) >= 100, noise_line  # dashed
    # the probability panel is between the signal and the strip, on the same time axis
    assert pic.prob_pixel(3.0, 1.0)[0] == pic.pixel_of("predicted", 3.0, "speech")[0]
    assert pic.prob_pixel(3.0, 0.0)[1] < pic.pixel_of("predicted", 3.0, "speech")[1]


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
    # each label's probability is drawn at the engine's value (where no other curve is near it)
    trace = pic.probabilities
    assert set(trace.probabilities) == {"speech", "music", "noise"} and len(trace.times_s) > 60
    assert trace.times_s[0] > 0 and trace.times_s[-1] < DURATION_S
    checked = 0
    for i in range(0, len(trace.times_s), 3):
        values = {lab: float(p[i]) for lab, p in trace.probabilities.items()}
        for lab, v in values.items():
            if all(abs(v - w) > 0.1 for other, w in values.items() if other != lab):
                assert _label_near(img, *pic.prob_pixel(trace.times_s[i], v), lab, reach_px=2), (trace.times_s[i], lab)
                checked += 1
    assert checked > 20, checked
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
    # the same layout drawn here (the axes' places depend on the options, not on the audio or the
    # labels) tells where the predicted strip's rows are in the saved picture
    trace = plot.ProbabilityTrace(np.array([1.0]), {lab: np.array([0.0]) for lab in ("speech", "music", "noise")}, {})
    pic = plot.render_timeline(np.zeros(int(DURATION_S * 16000), np.float32), 0.0, 10.0, [], view="waveform",
                               title="known.wav", probabilities=trace)
    assert img.shape[:2] == tuple(int(round(v)) for v in pic.figure.get_size_inches()[::-1] * pic.figure.dpi)
    assert img.shape[1] == 1200
    # the silence at 4..6 s is drawn in the silence row at 4..6 s, and nowhere else in that row
    # (music 0..4 s, noise 6..10 s; 0.5 s clear of the edges, which the smoothing may move)
    checked = 0
    for t in np.arange(0.15, 10.0, 0.1):
        if abs(t - 4.0) < 0.5 or abs(t - 6.0) < 0.5:
            continue
        assert ("silence" in _strip_labels_at(img, pic, "predicted", t)) == (4.0 < t < 6.0), round(t, 2)
        checked += 1
    assert checked > 70
