"""Long files in pieces: a WAV or FLAC longer than ``--split-s`` seconds (default 3600) is cut
into pieces tagged in parallel (each by any worker) and joined, so that one long file does not
leave every other worker idle at the end of a run.

Each piece is read with :data:`MARGIN_S` seconds more audio on each side than it keeps (a seek:
exact in WAV and FLAC; Ogg and MP3 are never split) and analysed with the whole file's time
base: cut points sit on the 16 kHz hop grid at a source frame, so the resampler, the log-mel
frames, the level blocks and the hops of a piece fall exactly where the whole file's do. After a
margin, what differs is only what a run's history can still change: a label's hysteresis state
and a segment held back for boundary refinement. Joining keeps each piece's segments between
its cuts and merges a label's two segments that meet at a cut. ``benchmarks/bench_long_files.py``
measures how often the join differs from tagging the file whole (README, "Archives").

Which files are split depends only on the file and ``--split-s``, never on ``--jobs`` or Dask,
so outputs stay byte-identical whatever runs them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..events import LABELS

MARGIN_S = 30.0  # seconds of audio read beyond each cut, on both sides
SPLIT_FORMATS = ("WAV", "FLAC", "WAVEX", "RF64", "W64")
SPLIT_EXTENSIONS = (".wav", ".wave", ".flac", ".rf64", ".w64")
MIN_BYTES_PER_S = 2000  # fewer bytes a second than any WAV or FLAC holds (8 kHz mono FLAC: ~5000)
RATE_HZ = 16000


@dataclass(frozen=True)
class Piece:
    """Piece ``index`` of ``count`` of a file: source frames ``read_from`` .. ``read_to`` (None:
    the end) are analysed from 16 kHz sample ``base16`` on; segments are kept between
    ``keep_from_s`` and ``keep_to_s`` (None: the end)."""

    index: int
    count: int
    read_from: int
    read_to: int | None
    base16: int
    keep_from_s: float
    keep_to_s: float | None


def plan(location: str, split_s: float, hop_samples: int) -> tuple[Piece, ...] | None:
    """The pieces of a local file longer than ``split_s`` seconds, or None (tag it whole)."""
    if not split_s or "://" in location:
        return None
    import os

    if os.path.splitext(location)[1].lower() not in SPLIT_EXTENSIONS:
        return None
    try:
        if os.path.getsize(location) < split_s * MIN_BYTES_PER_S:  # too small to last that long: no need to look
            return None
    except OSError:
        return None
    try:
        import soundfile as sf

        info = sf.info(location)
    except Exception:  # noqa: BLE001 - the worker reports a bad file
        return None
    if info.format not in SPLIT_FORMATS or info.frames <= 0 or info.samplerate <= 0:
        return None
    rate, frames = int(info.samplerate), int(info.frames)
    duration_s = frames / rate
    if duration_s <= split_s:
        return None
    count = math.ceil(duration_s / split_s)
    step = math.lcm(int(hop_samples), RATE_HZ // math.gcd(rate, RATE_HZ))  # 16 kHz samples; a whole source frame
    margin = math.ceil(MARGIN_S * RATE_HZ / step) * step
    total16 = frames * RATE_HZ // rate
    cuts = [0] + [(total16 * k // count) // step * step for k in range(1, count)] + [None]
    pieces = []
    for k in range(count):
        start, end = cuts[k], cuts[k + 1]
        base = max(0, start - margin)
        read_to = None if end is None or end + margin >= total16 else (end + margin) * rate // RATE_HZ
        pieces.append(Piece(k, count, base * rate // RATE_HZ, read_to, base, round(start / RATE_HZ, 2),
                            None if end is None else round(end / RATE_HZ, 2)))
    return tuple(pieces)


def clip(segments, piece: Piece) -> list:
    """A piece's segments between its cuts (clipped there)."""
    from ..events import Segment

    out = []
    for s in segments:
        a = s.start_s if piece.index == 0 else max(s.start_s, piece.keep_from_s)
        b = s.end_s if piece.keep_to_s is None else min(s.end_s, piece.keep_to_s)
        if b > a or (b == a and s.start_s == s.end_s and piece.keep_to_s is None):
            out.append(s if (a, b) == (s.start_s, s.end_s) else Segment(a, b, s.label))
    return out


def join(parts: list, pieces: tuple[Piece, ...]):
    """One file's segments from its pieces' (each a FileSegments, in piece order)."""
    from ..events import Segment
    from .worker import FileSegments

    order = {lab: i for i, lab in enumerate(LABELS)}
    joined: list = []
    for part, piece in zip(parts, pieces):
        kept = clip(part, piece)
        if piece.index > 0:
            cut = piece.keep_from_s
            ending = {s.label: s for s in joined if s.end_s == cut}
            rest = []
            for s in kept:
                prev = ending.pop(s.label, None) if s.start_s == cut else None
                if prev is not None:
                    joined[joined.index(prev)] = Segment(prev.start_s, s.end_s, s.label)
                else:
                    rest.append(s)
            kept = rest
        joined.extend(kept)
    joined.sort(key=lambda s: (s.start_s, order.get(s.label, 9), s.end_s))
    last = parts[-1]
    return FileSegments(joined, last.duration_s, last.model_sha256)
