"""``stream-tagger plot FILE``: a picture of a stretch of a file with its probabilities and label strip.

Renders, without opening any window (matplotlib's Agg canvas, no pyplot), the waveform or
the log-mel spectrogram (the frontend's own features) of ``--duration`` seconds of a file from
``--start`` (the first 40 s by default); under it each network label's probability per hop with
its decision threshold (dashed, the dashes of equal thresholds interleaved so that each stays
visible), as the live window draws them; then the four-row label strip predicted by the model
and, given ``--reference labels.csv`` (any format ``labels.read_segments`` reads), the
reference strip right under the predicted one on the same time axis.

Times on the axis are seconds from the start of the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from ..audio_io import TARGET_RATE_HZ, read_audio
from ..errors import TaggerError, UsageError, report
from ..events import LABELS, Segment
from .colors import THRESHOLD_DASH, label_rgb01

DEFAULT_DURATION_S = 40.0
CONTEXT_S = 2.0
"""Audio analysed before ``--start`` so that the first seconds of the picture have context."""

ROW_FILL = 0.8
"""Height of a label's bar within its row (rows are 1 unit apart)."""

@dataclass
class ProbabilityTrace:
    """Each network label's probability per hop: ``times_s`` (hop centres, file seconds),
    ``probabilities`` (label -> array like ``times_s``, 0..1) and the decision ``thresholds``."""

    times_s: np.ndarray
    probabilities: dict
    thresholds: dict


def threshold_dashes(k: int) -> tuple[float, tuple[float, float]]:
    """matplotlib ``linestyle`` of the ``k``-th threshold line: ``(offset, (on, off))``, in line widths."""
    return (k * THRESHOLD_DASH[0], THRESHOLD_DASH)


@dataclass
class TimelinePicture:
    """A rendered picture: the figure and its axes (for saving, and for tests that read pixels)."""

    figure: object
    signal_axes: object
    strip_axes: dict = field(default_factory=dict)  # "predicted"/"reference" -> Axes
    prob_axes: object = None  # the probability panel (None when not drawn)
    probabilities: ProbabilityTrace | None = None  # what the panel shows
    text: dict = field(default_factory=dict)  # PNG text chunks, e.g. "Model" -> model identity

    def save(self, path: str) -> None:
        from .. import __version__

        text = {"Software": f"stream-tagger {__version__}", **self.text}
        png = os.path.splitext(path)[1].lower() in ("", ".png")
        self.figure.savefig(path, dpi=self.figure.dpi, **({"metadata": text} if png else {}))

    def pixel_of(self, strip: str, time_s: float, label: str) -> tuple[int, int]:
        """``(x, y)`` pixel (origin top-left, as in the saved PNG) at the centre of ``label``'s row at ``time_s``."""
        ax = self.strip_axes[strip]
        return self._pixel(ax, time_s, row_center(label))

    def prob_pixel(self, time_s: float, probability: float) -> tuple[int, int]:
        """``(x, y)`` pixel (as :meth:`pixel_of`) of ``probability`` at ``time_s`` in the probability panel."""
        return self._pixel(self.prob_axes, time_s, probability)

    def _pixel(self, ax, x_data: float, y_data: float) -> tuple[int, int]:
        x, y = ax.transData.transform((x_data, y_data))
        height = self.figure.get_size_inches()[1] * self.figure.dpi
        return int(round(x)), int(round(height - y))


def row_center(label: str) -> float:
    """Centre of a label's row on a strip's y axis (speech on top, silence at the bottom)."""
    return len(LABELS) - 1 - LABELS.index(label) + 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``plot`` command."""
    parser.add_argument("file", metavar="FILE", help="audio file to picture")
    parser.add_argument("-o", "--output", default="timeline.png", help="PNG to write (default: timeline.png)")
    parser.add_argument("--start", type=float, default=0.0, metavar="S", help="start of the stretch, seconds (default 0)")
    parser.add_argument(
        "--duration", type=float, default=DEFAULT_DURATION_S, metavar="D",
        help=f"length of the stretch, seconds (default {DEFAULT_DURATION_S:g})",
    )
    parser.add_argument("--reference", metavar="LABELS", help="reference label file to draw beside the prediction")
    parser.add_argument(
        "--view", choices=("waveform", "spectrogram"), default="waveform",
        help="what to draw above the strips (default: waveform)",
    )
    parser.add_argument("--width", type=float, default=12.0, help="picture width in inches at 100 dpi (default 12)")
    if not any(a.dest == "model" for a in parser._actions):
        parser.add_argument("--model", default=None, help="TFLite model (default: the shipped one)")


def run(args: argparse.Namespace) -> int:
    """Render and save the picture; returns the exit code. Errors print one line on stderr
    (:func:`stream_tagger.errors.report`): 1 for bad input, 2 for options out of range."""
    try:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise TaggerError("the plot command needs matplotlib: pip install 'stream-tagger[gui]' matplotlib") from None
        out_dir = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(out_dir):
            raise TaggerError(f"{args.output}: directory {out_dir} does not exist")
        picture = make_picture(args)
        try:
            picture.save(args.output)
        except OSError as e:
            raise TaggerError(f"{args.output}: cannot write ({e.strerror or e})") from None
    except TaggerError as e:
        return report(e, "plot")
    print(f"wrote {args.output}")
    return 0


def make_picture(args: argparse.Namespace) -> TimelinePicture:
    """The picture ``run`` saves (raises :class:`TaggerError` on bad input)."""
    if not args.duration > 0:
        raise UsageError(f"--duration must be positive, got {args.duration:g}")
    if not args.start >= 0:
        raise UsageError(f"--start must not be negative, got {args.start:g}")
    audio = read_audio(args.file)
    total_s = audio.shape[0] / TARGET_RATE_HZ
    if args.start >= total_s:
        raise TaggerError(f"{args.file}: --start {args.start:g} s is past the end of the file ({total_s:.2f} s)")
    end_s = min(total_s, args.start + args.duration)
    reference = None
    if args.reference:
        from ..labels import read_segments

        reference = read_segments(args.reference)
    model_path = getattr(args, "model", None)
    predicted, trace = predict_stretch(audio, args.start, end_s, model_path=model_path)
    picture = render_timeline(
        audio, args.start, end_s, predicted, reference,
        view=args.view, title=os.path.basename(args.file), width_in=args.width, probabilities=trace,
    )
    from ..model import default_model_path, model_identity, read_metadata

    model_path = model_path or default_model_path()
    picture.text.update(Model=model_identity(model_path, read_metadata(model_path)), Source=args.file)
    return picture


def predict_stretch(audio: np.ndarray, start_s: float, end_s: float,
                    model_path: str | None = None) -> tuple[list[Segment], ProbabilityTrace]:
    """Segments the tagger finds in ``audio[start_s:end_s]`` (file seconds), and the
    probabilities of its hops centred there, analysed with up to :data:`CONTEXT_S` of audio
    before ``start_s`` for context."""
    from ..engine import Tagger
    from .timeline import HopHistory

    t0_s = max(0.0, start_s - CONTEXT_S)
    a = int(round(t0_s * TARGET_RATE_HZ))
    b = int(round(end_s * TARGET_RATE_HZ))
    tagger = Tagger(model_path)
    hops = []
    segs = tagger.segments(ArraySource(audio[a:b]), on_progress=hops.append)
    out = []
    for s in segs:
        s0, s1 = s.start_s + t0_s, s.end_s + t0_s
        if s1 > start_s and s0 < end_s:
            out.append(Segment(max(s0, start_s), min(s1, end_s), s.label))
    history = HopHistory(labels=tagger.model.labels, capacity=max(1, len(hops)))
    for hop in hops:
        history.add(hop)
    t, p, _level = history.arrays(since_s=start_s - t0_s)
    keep = t + t0_s <= end_s
    trace = ProbabilityTrace(t[keep] + t0_s, {lab: p[k][keep] for k, lab in enumerate(history.labels)},
                             dict(tagger.decision.thresholds))
    return out, trace


class ArraySource:
    """Engine source over samples already in memory (mono float32 at ``sample_rate_hz``),
    delivered as fast as the analysis takes them."""

    live = False

    def __init__(self, samples: np.ndarray, sample_rate_hz: int = TARGET_RATE_HZ, description: str = "audio"):
        self.samples = np.asarray(samples, dtype=np.float32)
        self.sample_rate_hz = int(sample_rate_hz)
        self.description = description
        self.duration_s = self.samples.shape[0] / self.sample_rate_hz
        self._ring = None
        self._thread = None
        self._stopped = False

    def open(self) -> None:
        if self.samples.shape[0] == 0:
            raise TaggerError(f"{self.description}: no audio samples")

    def start(self, ring) -> None:
        import threading

        self._ring = ring
        self._thread = threading.Thread(target=self._run, name="ArraySource", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        step = self.sample_rate_hz
        for i in range(0, self.samples.shape[0], step):
            if self._stopped or not self._ring.write_blocking(self.samples[i : i + step]):
                break
        self._ring.close()

    def stop(self) -> None:
        self._stopped = True
        if self._ring is not None:
            self._ring.close()

    def check(self) -> None:
        pass


def render_timeline(
    audio: np.ndarray,
    start_s: float,
    end_s: float,
    predicted: list[Segment] | None,
    reference: list[Segment] | None = None,
    *,
    view: str = "waveform",
    title: str = "",
    width_in: float = 12.0,
    dpi: int = 100,
    probabilities: ProbabilityTrace | None = None,
) -> TimelinePicture:
    """Draw the picture (no window). ``audio`` is the whole file, mono 16 kHz; times in file
    seconds. ``probabilities``: the panel of probability curves and thresholds (none if None)."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    strips = [("predicted", predicted)] if predicted is not None else []
    if reference is not None:
        strips.append(("reference", reference))
    panels = [("probabilities", None)] if probabilities is not None else []
    heights = [3.0] + [1.6] * len(panels) + [1.35] * len(strips)
    fig = Figure(figsize=(width_in, 1.0 + sum(heights)), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0.12,
                          left=0.085, right=0.985, top=1 - 0.55 / (1.0 + sum(heights)),
                          bottom=0.45 / (1.0 + sum(heights)))
    ax_sig = fig.add_subplot(gs[0])
    a = int(round(start_s * TARGET_RATE_HZ))
    b = int(round(end_s * TARGET_RATE_HZ))
    stretch = audio[a:b]
    if view == "spectrogram":
        _draw_spectrogram(ax_sig, stretch, start_s, end_s)
    else:
        _draw_waveform(ax_sig, stretch, start_s, end_s)
    ax_sig.set_xlim(start_s, end_s)
    ax_sig.tick_params(labelbottom=not (strips or panels))
    if title:
        ax_sig.set_title(title, loc="left", fontsize=11)

    picture = TimelinePicture(fig, ax_sig)
    last = ax_sig
    if probabilities is not None:
        last = picture.prob_axes = fig.add_subplot(gs[1], sharex=ax_sig)
        picture.probabilities = probabilities
        _draw_probabilities(last, probabilities)
        last.tick_params(labelbottom=not strips)
    for k, (name, segs) in enumerate(strips):
        ax = last = fig.add_subplot(gs[len(panels) + k + 1], sharex=ax_sig)
        _draw_strip(ax, segs, start_s, end_s, name)
        ax.tick_params(labelbottom=(k == len(strips) - 1))
        picture.strip_axes[name] = ax
    last.set_xlabel("time (s)")
    handles = [Patch(facecolor=label_rgb01(lab), label=lab) for lab in LABELS]
    if probabilities is not None:
        grey = "#555555"
        handles += [Line2D([], [], color=grey, linewidth=1.6, label="probability"),
                    Line2D([], [], color=grey, linewidth=1.2, linestyle=(0, THRESHOLD_DASH), label="threshold")]
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), frameon=False, fontsize=10,
               bbox_to_anchor=(0.985, 1.0))
    return picture


def _draw_probabilities(ax, trace: ProbabilityTrace) -> None:
    """Each label's probability per hop (solid) and its threshold (dashed, see :func:`threshold_dashes`)."""
    for k, (lab, p) in enumerate(trace.probabilities.items()):
        thr = trace.thresholds.get(lab)
        if thr is not None:
            ax.axhline(thr, color=label_rgb01(lab), linewidth=1.2, linestyle=threshold_dashes(k), zorder=1)
        ax.plot(trace.times_s, p, color=label_rgb01(lab), linewidth=1.6, zorder=2)
    ax.set_ylim(-0.03, 1.05)  # room for a curve's line width at 0 and 1
    ax.set_yticks([0.0, 0.5, 1.0])
    ax.set_ylabel("probability")
    ax.grid(axis="y", color="#e5e7e9", linewidth=0.6, zorder=0)


def _draw_waveform(ax, stretch: np.ndarray, start_s: float, end_s: float, columns: int = 2400) -> None:
    """Min/max envelope per column (what a waveform looks like at this zoom)."""
    n = stretch.shape[0]
    if n == 0:
        return
    columns = max(1, min(columns, n))
    edges = np.linspace(0, n, columns + 1).astype(int)
    lo = np.minimum.reduceat(stretch, edges[:-1])
    hi = np.maximum.reduceat(stretch, edges[:-1])
    t = start_s + edges[:-1] / TARGET_RATE_HZ
    ax.fill_between(t, lo, hi, color="#2c3e50", linewidth=0.4, step="post")
    peak = max(0.05, float(np.max(np.abs(stretch))) * 1.05)
    ax.set_ylim(-peak, peak)
    ax.set_ylabel("amplitude")
    ax.axhline(0.0, color="#bdc3c7", linewidth=0.5, zorder=0)


def _draw_spectrogram(ax, stretch: np.ndarray, start_s: float, end_s: float) -> None:
    """The frontend's log-mel features, frame k centred at start_s + k * 10 ms."""
    from ..frontend import DEFAULT_PARAMS, signal_logmel

    feats = signal_logmel(stretch)
    hop_s = DEFAULT_PARAMS.hop_samples / DEFAULT_PARAMS.sample_rate_hz
    lo = np.percentile(feats, 5) if feats.size else -14
    hi = feats.max() if feats.size else 0
    ax.imshow(feats, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
              extent=(start_s - hop_s / 2, start_s + feats.shape[1] * hop_s - hop_s / 2, 0, feats.shape[0]),
              vmin=lo, vmax=hi)
    ax.set_ylabel("mel band")


def _draw_strip(ax, segments: list[Segment], start_s: float, end_s: float, name: str) -> None:
    pad = (1.0 - ROW_FILL) / 2
    for lab in LABELS:
        spans = [(max(s.start_s, start_s), min(s.end_s, end_s)) for s in segments
                 if s.label == lab and s.end_s > start_s and s.start_s < end_s]
        y0 = row_center(lab) - 0.5 + pad
        ax.add_patch(_row_background(ax, start_s, end_s, y0))
        if spans:
            ax.broken_barh([(s0, s1 - s0) for s0, s1 in spans], (y0, ROW_FILL),
                           facecolors=label_rgb01(lab), edgecolor="none")
    ax.set_ylim(0, len(LABELS))
    ax.set_yticks([row_center(lab) for lab in LABELS], list(LABELS), fontsize=8)
    ax.set_ylabel(name, fontsize=10)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _row_background(ax, start_s, end_s, y0):
    from matplotlib.patches import Rectangle

    return Rectangle((start_s, y0), end_s - start_s, ROW_FILL, facecolor="#f2f3f4", edgecolor="none", zorder=0)


def main(argv=None) -> int:
    """Run the command on its own (``python -m stream_tagger.gui.plot``): the same as ``stream-tagger plot``."""
    from ..cli import main as cli_main

    return cli_main(["plot", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
