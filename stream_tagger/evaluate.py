"""Score predicted segments against reference segments: the ``stream-tagger evaluate`` command.

Usage::

    stream-tagger evaluate --reference REF --hypothesis HYP [--reference REF2 --hypothesis HYP2 ...]
    stream-tagger evaluate --reference REF AUDIO                                # tag, then score
    stream-tagger evaluate --reference REF --audio AUDIO [--reference REF2 --audio AUDIO2 ...]

The i-th reference pairs with the i-th hypothesis (or audio file); label files may be in any format
:mod:`stream_tagger.labels` reads (csv, jsonl, Audacity labels, Praat TextGrid). Several pairs are
pooled.

Definitions (all times in seconds):

Frames
    10 ms frames over ``[0, duration)``, ``duration`` = the larger of the last reference end and
    the last hypothesis end (the audio duration when tagging audio). Frame k has a label if one of
    that label's segments ``[start, end)`` covers the frame centre ``(k + 0.5) * 0.01``. Labels are
    matched case-insensitively; labels other than speech, music, noise and silence are ignored (and
    counted in ``ignored_labels``). Overlapping labels are allowed: each label is scored on its own.
Precision, recall, F1 per label
    Over frames: P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2TP / (2TP + FP + FN). A value whose
    denominator is 0 is undefined (``null`` in JSON, ``-`` in the table), e.g. the precision of an
    empty hypothesis (its F1 is then 0 if the reference has the label). Several pairs are pooled by
    concatenating their frames (micro average). The macro average is the mean over the labels present
    in the reference or the hypothesis, an undefined value counting as 0.
Speech versus non-speech
    Binary decision per frame, positive class = speech on (so its F1 equals speech's F1); also
    reported: the F1 of the non-speech class and the frame accuracy.
Confusion
    Over frames where the reference has exactly one label: rows = that reference label, columns = the
    predicted label if exactly one, ``multiple`` if more than one, ``none`` if none.
Boundary error
    A reference *change* is a start or an end of a (merged) segment of a label where both sides of
    the change — that label's segment, and the neighbouring stretch without the label (up to the
    previous/next segment of the label, or the start/end of the file) — last at least 2 s. Its error
    is the distance to the nearest predicted start (for a start) or end (for an end) of the same
    label. A change with no such predicted change within 1 s is a miss. Reported: number of changes,
    misses (count and share), median and 90th percentile of the error over the matched changes, and
    the share of ALL changes (misses count as failures) with error within 0.1, 0.25 and 0.5 s; the
    same by label, and by kind of change: a *silence edge* has silence (or no label) in the
    reference on one side of it (10 ms before or after), a *class change* has a non-silent label on
    both sides (speech to music, music under speech starting, a crossfade).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import TaggerError, UsageError
from .errors import report as report_error
from .evaluate_report import format_report  # the report as text (importers take it from here too)
from .events import LABELS, Segment
from .labels import read_segments
from .outputs import write_text

FRAME_S = 0.01
"""Frame length for frame-level scores, seconds."""
MIN_SIDE_S = 2.0
"""Both sides of a reference change must last at least this long for it to count, seconds."""
MAX_BOUNDARY_DISTANCE_S = 1.0
"""A reference change with no predicted change of the same label this close is a miss, seconds."""
TOLERANCES_S = (0.1, 0.25, 0.5)
"""Boundary errors are reported as the share of changes within each of these, seconds."""
CONFUSION_COLUMNS = LABELS + ("multiple", "none")

_EPS = 1e-9

HELP = "Definitions (all times in seconds):\n\n" + __doc__.split("Definitions (all times in seconds):", 1)[1].strip().replace("``", "")


# ------------------------------------------------------------------------------------ frame rolls


def n_frames_for(duration_s: float, frame_s: float = FRAME_S) -> int:
    """Number of frames covering ``[0, duration_s)``, the last one possibly partial."""
    return max(0, int(math.ceil(duration_s / frame_s - 1e-6)))


def normalise_label(label: str) -> str:
    return label.strip().lower()


def frame_roll(segments: Iterable[Segment], n_frames: int, frame_s: float = FRAME_S,
               labels: Sequence[str] = LABELS) -> np.ndarray:
    """Boolean matrix (n_frames, len(labels)): frame k has a label if a segment covers its centre.

    Segment labels are matched case-insensitively; labels not in ``labels`` are skipped.
    """
    roll = np.zeros((n_frames, len(labels)), dtype=bool)
    centres_s = (np.arange(n_frames) + 0.5) * frame_s
    index = {label: i for i, label in enumerate(labels)}
    for seg in segments:
        column = index.get(normalise_label(seg.label))
        if column is None:
            continue
        first = int(np.searchsorted(centres_s, seg.start_s, side="left"))
        stop = int(np.searchsorted(centres_s, seg.end_s, side="left"))
        roll[first:stop, column] = True
    return roll


# ------------------------------------------------------------------------------------ boundaries


def _merged_spans(segments: Iterable[Segment], label: str) -> list[tuple[float, float]]:
    """Union of the segments of ``label`` as sorted, disjoint (start, end) spans."""
    spans: list[list[float]] = []
    for start, end in sorted((s.start_s, s.end_s) for s in segments
                             if normalise_label(s.label) == label and s.end_s > s.start_s):
        if spans and start <= spans[-1][1] + _EPS:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(a, b) for a, b in spans]


def reference_changes(segments: Iterable[Segment], label: str, duration_s: float,
                      min_side_s: float = MIN_SIDE_S) -> list[tuple[str, float]]:
    """The reference changes of ``label`` (see module doc): ``("start"|"end", time_s)``."""
    spans = _merged_spans(segments, label)
    changes = []
    for i, (start, end) in enumerate(spans):
        if end - start < min_side_s - _EPS:
            continue
        gap_before_s = start - (spans[i - 1][1] if i > 0 else 0.0)
        gap_after_s = (spans[i + 1][0] if i + 1 < len(spans) else duration_s) - end
        if gap_before_s >= min_side_s - _EPS:
            changes.append(("start", start))
        if gap_after_s >= min_side_s - _EPS:
            changes.append(("end", end))
    return changes


CHANGE_KINDS = ("silence edge", "class change")
"""Kinds of reference change (see the module doc)."""


def change_kind(reference: Iterable[Segment], time_s: float) -> str:
    """``"silence edge"`` if the reference has silence or no label 10 ms before or after
    ``time_s``, else ``"class change"`` (a non-silent label on both sides)."""
    def on_at(t: float) -> set[str]:
        return {normalise_label(s.label) for s in reference if s.start_s <= t < s.end_s} & set(LABELS)

    reference = list(reference)
    before, after = on_at(time_s - FRAME_S / 2), on_at(time_s + FRAME_S / 2)
    if not before or not after or "silence" in before | after:
        return CHANGE_KINDS[0]
    return CHANGE_KINDS[1]


def boundary_changes(reference: Iterable[Segment], hypothesis: Iterable[Segment], duration_s: float,
                     labels: Sequence[str] = LABELS) -> dict[str, list[tuple[float | None, str]]]:
    """Per label, ``(error, kind)`` of each reference change: the error in seconds (None = miss,
    nothing within 1 s) and its kind (:data:`CHANGE_KINDS`)."""
    reference, hypothesis = list(reference), list(hypothesis)
    out: dict[str, list[tuple[float | None, str]]] = {}
    for label in labels:
        hyp_spans = _merged_spans(hypothesis, label)
        predicted = {"start": np.array([a for a, _ in hyp_spans]), "end": np.array([b for _, b in hyp_spans])}
        out[label] = []
        for kind, time_s in reference_changes(reference, label, duration_s):
            candidates = predicted[kind]
            error = None
            if candidates.size:
                distance_s = round(float(np.min(np.abs(candidates - time_s))), 6)
                error = distance_s if distance_s <= MAX_BOUNDARY_DISTANCE_S + _EPS else None
            out[label].append((error, change_kind(reference, time_s)))
    return out


def boundary_errors(reference: Iterable[Segment], hypothesis: Iterable[Segment], duration_s: float,
                    labels: Sequence[str] = LABELS) -> dict[str, list[float | None]]:
    """Per label, the error of each reference change in seconds (None = miss, nothing within 1 s)."""
    return {label: [e for e, _ in changes]
            for label, changes in boundary_changes(reference, hypothesis, duration_s, labels).items()}


# ------------------------------------------------------------------------------------ accumulation


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else float(num) / float(den)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    return {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn)}


@dataclass
class Scorer:
    """Accumulates reference/hypothesis pairs (pooled) and produces the report dictionary."""

    frame_s: float = FRAME_S
    labels: tuple[str, ...] = field(default=LABELS, init=False)
    n_pairs: int = 0
    n_frames: int = 0
    tp: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS), dtype=np.int64))
    fp: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS), dtype=np.int64))
    fn: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS), dtype=np.int64))
    reference_frames: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS), dtype=np.int64))
    predicted_frames: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS), dtype=np.int64))
    speech_binary: Counter = field(default_factory=Counter)
    confusion: np.ndarray = field(
        default_factory=lambda: np.zeros((len(LABELS), len(CONFUSION_COLUMNS)), dtype=np.int64))
    boundary: dict[str, list[float | None]] = field(default_factory=lambda: {label: [] for label in LABELS})
    boundary_by_kind: dict[str, list[float | None]] = field(default_factory=lambda: {k: [] for k in CHANGE_KINDS})
    ignored_labels: Counter = field(default_factory=Counter)

    def add(self, reference: Sequence[Segment], hypothesis: Sequence[Segment],
            duration_s: float | None = None) -> None:
        """Add one pair. ``duration_s``: audio length; default max(last reference end, last hypothesis end)."""
        reference, hypothesis = list(reference), list(hypothesis)
        for seg in reference + hypothesis:
            if normalise_label(seg.label) not in self.labels:
                self.ignored_labels[seg.label] += 1
        if duration_s is None:
            duration_s = max([s.end_s for s in reference + hypothesis], default=0.0)
        n = n_frames_for(duration_s, self.frame_s)
        ref = frame_roll(reference, n, self.frame_s, self.labels)
        hyp = frame_roll(hypothesis, n, self.frame_s, self.labels)
        self.n_pairs += 1
        self.n_frames += n
        self.tp += np.sum(ref & hyp, axis=0)
        self.fp += np.sum(~ref & hyp, axis=0)
        self.fn += np.sum(ref & ~hyp, axis=0)
        self.reference_frames += np.sum(ref, axis=0)
        self.predicted_frames += np.sum(hyp, axis=0)

        speech = self.labels.index("speech")
        r, h = ref[:, speech], hyp[:, speech]
        self.speech_binary.update(tp=int(np.sum(r & h)), fp=int(np.sum(~r & h)),
                                  fn=int(np.sum(r & ~h)), tn=int(np.sum(~r & ~h)))

        single = ref.sum(axis=1) == 1
        ref_index = np.argmax(ref[single], axis=1)
        hyp_single = hyp[single]
        n_predicted = hyp_single.sum(axis=1)
        column = np.where(n_predicted == 1, np.argmax(hyp_single, axis=1),
                          np.where(n_predicted == 0, len(self.labels) + 1, len(self.labels)))
        np.add.at(self.confusion, (ref_index, column), 1)

        for label, changes in boundary_changes(reference, hypothesis, duration_s, self.labels).items():
            for error, kind in changes:
                self.boundary[label].append(error)
                self.boundary_by_kind[kind].append(error)

    def report(self) -> dict:
        """JSON-ready results (see the module doc for the definitions)."""
        per_label = {}
        for i, label in enumerate(self.labels):
            entry = _prf(int(self.tp[i]), int(self.fp[i]), int(self.fn[i]))
            entry.update(reference_s=round(float(self.reference_frames[i]) * self.frame_s, 6),
                         predicted_s=round(float(self.predicted_frames[i]) * self.frame_s, 6),
                         tp_frames=int(self.tp[i]), fp_frames=int(self.fp[i]), fn_frames=int(self.fn[i]))
            per_label[label] = entry
        active = [label for i, label in enumerate(self.labels)
                  if self.reference_frames[i] > 0 or self.predicted_frames[i] > 0]
        macro: dict = {"labels": active}
        for key in ("precision", "recall", "f1"):
            values = [per_label[label][key] or 0.0 for label in active]
            macro[key] = float(np.mean(values)) if values else None
        b = self.speech_binary
        binary = _prf(b["tp"], b["fp"], b["fn"])
        binary["nonspeech_f1"] = _ratio(2 * b["tn"], 2 * b["tn"] + b["fn"] + b["fp"])
        binary["accuracy"] = _ratio(b["tp"] + b["tn"], sum(b.values()))
        confusion = {label: {col: int(self.confusion[i, j]) for j, col in enumerate(CONFUSION_COLUMNS)}
                     for i, label in enumerate(self.labels)}
        all_errors = [e for label in self.labels for e in self.boundary[label]]
        boundary = _boundary_summary(all_errors)
        boundary["by_label"] = {label: _boundary_summary(self.boundary[label], brief=True)
                                for label in self.labels}
        boundary["by_kind"] = {kind: _boundary_summary(errors, within=True)
                               for kind, errors in self.boundary_by_kind.items()}
        return {
            "frame_s": self.frame_s,
            "pairs": self.n_pairs,
            "frames": self.n_frames,
            "duration_s": round(self.n_frames * self.frame_s, 6),
            "labels": per_label,
            "macro": macro,
            "speech_vs_nonspeech": binary,
            "confusion": {"frame_s": self.frame_s, "columns": list(CONFUSION_COLUMNS), "rows": confusion},
            "boundary": boundary,
            "ignored_labels": dict(sorted(self.ignored_labels.items())),
        }


def _boundary_summary(errors: list[float | None], brief: bool = False, within: bool = False) -> dict:
    matched = np.array([e for e in errors if e is not None], dtype=float)
    n = len(errors)
    misses = n - matched.size
    summary: dict = {
        "changes": n,
        "misses": misses,
        "miss_share": _ratio(misses, n),
        "median_s": float(np.median(matched)) if matched.size else None,
    }
    if within:
        summary["within_s"] = {f"{tol:g}": _ratio(int(np.sum(matched <= tol + _EPS)), n) for tol in TOLERANCES_S}
    if brief or within:
        return summary
    summary["p90_s"] = float(np.percentile(matched, 90)) if matched.size else None
    summary["within_s"] = {f"{tol:g}": _ratio(int(np.sum(matched <= tol + _EPS)), n) for tol in TOLERANCES_S}
    summary["definition"] = (f"reference starts/ends with >= {MIN_SIDE_S:g} s on both sides; distance to the "
                             f"nearest predicted start/end of the same label, miss if none within "
                             f"{MAX_BOUNDARY_DISTANCE_S:g} s; median/p90 over matched, within-shares "
                             "over all changes")
    return summary


def evaluate_pairs(pairs: Iterable[tuple[Sequence[Segment], Sequence[Segment]] |
                                   tuple[Sequence[Segment], Sequence[Segment], float | None]],
                   frame_s: float = FRAME_S) -> dict:
    """Score (reference, hypothesis[, duration_s]) pairs, pooled; returns the report dictionary."""
    scorer = Scorer(frame_s=frame_s)
    for pair in pairs:
        scorer.add(*pair)
    return scorer.report()


# ------------------------------------------------------------------------------------ command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` options to ``parser`` (a sub-command parser)."""
    parser.description = ("Score predicted segments against reference segments. Give --reference with "
                          "--hypothesis (label files: csv, jsonl, Audacity labels, TextGrid), or "
                          "--reference with AUDIO files to tag and score in one go. The i-th reference "
                          "pairs with the i-th hypothesis or audio file; several pairs are pooled.")
    parser.epilog = HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("audio", nargs="*", metavar="AUDIO",
                        help="audio file(s) to tag and score against the reference(s), in order")
    parser.add_argument("--reference", "-r", action="append", default=[], metavar="REF",
                        help="reference label file (repeat for several pairs)")
    parser.add_argument("--hypothesis", "-p", action="append", default=[], metavar="HYP",
                        help="predicted label file, paired with the reference of the same position")
    parser.add_argument("--audio", "-a", action="append", default=[], dest="audio_files", metavar="AUDIO",
                        help="audio file to tag, like AUDIO (repeat for several pairs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="model file used to tag AUDIO (default: the shipped model)")
    parser.add_argument("--hop", type=float, default=None, metavar="SECONDS", dest="hop_s",
                        help="analysis hop in seconds used to tag AUDIO (default: the engine's)")
    from .commands.options import min_silence_s

    parser.add_argument("--min-silence-s", type=min_silence_s, default=None, metavar="S",
                        help="pauses, used to tag AUDIO: silence shorter than S seconds between two stretches of "
                             "the same label is that label, 0..60 (0: every silence; default: the model's)")


def _tag_audio(path: str, model: str | None, hop_s: float | None,
               min_silence_s: float | None = None) -> tuple[list[Segment], float]:
    """Tag an audio file with the engine; returns (segments, audio duration in seconds)."""
    from . import engine  # lazy: the engine pulls in the model runtime
    from .audio_io import describe_file

    tag_file = engine.tag_file
    try:
        params = inspect.signature(tag_file).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs = {}
    for value, names in ((model, ("model_path", "model")), (hop_s, ("hop_s", "hop")),
                         (min_silence_s, ("min_silence_s",))):
        if value is None:
            continue
        name = next((n for n in names if n in params), None)
        if name is None:
            raise TaggerError(f"this engine's tag_file does not accept {names[0]}")
        kwargs[name] = value
    result = tag_file(path, **kwargs)  # raises its own one-line errors for unreadable audio
    segments = [s for s in getattr(result, "segments", result) if isinstance(s, Segment)]
    try:
        info = describe_file(path)
        duration_s = info.frames / float(info.samplerate)
    except TaggerError:  # a format only the engine's decoder reads: the segments reach the end
        duration_s = max((s.end_s for s in segments), default=0.0)
    return segments, duration_s


def run(args: argparse.Namespace) -> int:
    """Run ``evaluate`` with parsed ``args``; prints the report; returns the exit code.

    Errors print one line on stderr (:func:`stream_tagger.errors.report`): missing or malformed
    files return 1, options that do not pair up return 2.
    """
    try:
        references = list(args.reference)
        hypotheses = list(args.hypothesis)
        audio = list(getattr(args, "audio", None) or []) + list(getattr(args, "audio_files", None) or [])
        if not references:
            raise UsageError("at least one --reference is needed")
        if hypotheses and audio:
            raise UsageError("give either --hypothesis label files or AUDIO files, not both")
        others = hypotheses or audio
        if len(others) != len(references):
            kind = "--hypothesis files" if hypotheses or not audio else "AUDIO files"
            raise UsageError(f"{len(references)} --reference file(s) but {len(others)} {kind}; "
                             "give one per reference, in the same order")
        hop_s = getattr(args, "hop_s", None)
        if hop_s is not None and not (hop_s > 0):
            raise UsageError(f"--hop must be a positive number of seconds, got {hop_s}")
        scorer = Scorer()
        for ref_path, other in zip(references, others):
            reference = read_segments(ref_path)
            if hypotheses:
                scorer.add(reference, read_segments(other))
            else:
                hypothesis, duration_s = _tag_audio(other, getattr(args, "model", None), hop_s,
                                                    getattr(args, "min_silence_s", None))
                scorer.add(reference, hypothesis, duration_s)
        report = scorer.report()
    except TaggerError as exc:
        return report_error(exc, "evaluate")
    text = json.dumps(report) + "\n" if getattr(args, "json", False) else format_report(report)
    try:
        write_text(sys.stdout, text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        return report_error(f"cannot write to standard output ({exc.strerror or exc})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m stream_tagger.evaluate ...``: the same as ``stream-tagger evaluate ...``."""
    from .cli import main as cli_main

    return cli_main(["evaluate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
