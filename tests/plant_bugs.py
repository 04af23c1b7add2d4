"""Planted-bug check: plant small bugs one at a time in a scratch copy of the repository, run the
tests named for each, and print which test caught it (a markdown table, as in
``tests/PLANTED_BUGS.md``).

    python tests/plant_bugs.py                      # every plant
    python tests/plant_bugs.py --area decisions     # one area (see AREAS)
    python tests/plant_bugs.py --only D1,R4         # some plants
    python tests/plant_bugs.py --check              # only check that each plant still applies
    python tests/plant_bugs.py --baseline           # first run each test set without a plant
    python tests/plant_bugs.py --write tests/PLANTED_BUGS.md

The repository itself is never changed: the script copies it (without .git) to a temporary
folder, and for each plant writes the changed file there, runs
``python -m pytest -x -q -p no:cacheprovider -m "not xfail" TESTS`` with ``PYTHONPATH`` on the
copy and a timeout, and puts the pristine file back. Run it with the project's Python
(``.venv/bin/python``). A plant whose ``old`` text no longer occurs exactly once in its file is
reported as ``STALE`` (the code changed: update the plant).

Adding plants
-------------
A plant is a :class:`Plant`: an id, an area, the file, a short description, the edits
(``(old, new)`` text pairs; ``old`` must occur exactly once in the file; ``(path, old, new)``
edits another file) and the tests to run
(pytest arguments: files, ``file::test`` ids, or ``-k`` expressions, fastest first: ``-x``
stops at the first failure). Areas are open: the archive (``stream_tagger/archive...``) and
monitoring code, being written at the same time as this table, add their plants by appending
``Plant(...)`` rows with ``area="archive"`` / ``area="monitoring"`` and their own test files to
:data:`PLANTS` (or to a list joined to it); nothing else in the script needs to change.

Only the named tests run for a plant (the machine is shared): a plant reported "NOT caught"
may still be caught by a test outside its list.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass(frozen=True)
class Plant:
    id: str
    area: str
    path: str  # file relative to the repository root
    what: str  # the change, in words
    edits: tuple  # ((old, new) or (other path, old, new), ...): each old occurs exactly once in its file
    tests: tuple  # pytest arguments
    note: str = ""  # shown beside the result (e.g. why a plant cannot be caught)


# test sets (fastest files first)
DECISIONS = ("tests/test_decisions.py", "tests/test_level_and_refinement.py", "tests/test_engine.py",
             "tests/test_segment_edges.py")
PAUSES = ("tests/test_pauses.py", "tests/test_decisions.py", "tests/test_level_and_refinement.py", "tests/test_engine.py")
REFINE = ("tests/test_decisions.py", "tests/test_level_and_refinement.py", "tests/test_engine.py",
          "tests/test_segment_edges.py", "tests/test_engine_real.py")
LABELS = ("tests/test_labels.py",)
CHANGES = ("tests/test_boundaries.py", "tests/test_engine_real.py::test_speech_stopping_over_continuing_music_ends_where_it_stops",
           "tests/test_level_and_refinement.py", "tests/test_engine.py")
# (test_a_stopped_process_is_not_a_vanished_device fails here without a plant: "device 'pulse'
# delivered no audio for 6.0 s", on main too)
OUTPUTS = ("tests/test_labels.py", "tests/test_cli.py", "tests/test_live.py",
           "--deselect", "tests/test_live.py::test_a_stopped_process_is_not_a_vanished_device")
FRONTEND = ("tests/test_frontend.py", "-k", "not librosa")  # caught without librosa too
RING = ("tests/test_ring_buffer.py", "tests/test_engine.py", "tests/test_sources_input.py", "tests/test_mp3_ogg_input.py")
RESAMPLER = ("tests/test_resampler.py", "tests/test_engine.py", "tests/test_sources_input.py", "tests/test_mp3_ogg_input.py")
SOURCES = ("tests/test_sources_input.py", "tests/test_mp3_ogg_input.py", "tests/test_cli_faults.py")
LEVEL = ("tests/test_level_and_refinement.py", "tests/test_engine.py", "tests/test_segment_edges.py")
RESUME = ("tests/test_training_resume.py",)
PROGRAMMES = ("tests/test_programmes.py",)

PP = "stream_tagger/postprocess.py"
AN = "stream_tagger/analysis.py"
BD = "stream_tagger/boundaries.py"
PL = "stream_tagger/placement.py"

PLANTS: list[Plant] = [
    # ---------------------------------------------------------------- decisions (postprocess.py)
    Plant("D1", "decisions", PP, "decision hysteresis removed (band 0)",
          (("h = params.hysteresis / 2.0", "h = 0.0"),), DECISIONS),
    Plant("D2", "decisions", PP, "silence hysteresis removed (off at silence_dbfs)",
          (("self._hyst[SILENCE] = Hysteresis(params.silence_dbfs, params.silence_dbfs + params.silence_hysteresis_db,",
            "self._hyst[SILENCE] = Hysteresis(params.silence_dbfs, params.silence_dbfs,"),
           ("hy.on_at, hy.off_below = p.silence_dbfs, p.silence_dbfs + p.silence_hysteresis_db",
            "hy.on_at, hy.off_below = p.silence_dbfs, p.silence_dbfs")), DECISIONS),
    Plant("D3", "decisions", PP, "on-point strict (`>=` to `>`)",
          (("elif not self.on and value >= self.on_at:", "elif not self.on and value > self.on_at:"),), DECISIONS),
    Plant("D4", "decisions", PP, "off-point inclusive (`<` to `<=`)",
          (("            if self.on and value < self.off_below:\n",
            "            if self.on and value <= self.off_below:\n"),), DECISIONS),
    Plant("D5", "decisions", PP, "a silent cell no longer forces the network labels off",
          (("raw = {lab: prob_on[lab] and not silent for lab in self.labels}",
            "raw = {lab: prob_on[lab] for lab in self.labels}"),), DECISIONS),
    Plant("D6", "decisions", PP, "min_on off by one (`>=` to `>`)",
          (("if self._run_len >= self.min_on:", "if self._run_len > self.min_on:"),), DECISIONS),
    Plant("D7", "decisions", PP, "segment end not back-dated (ends at the confirming cell)",
          (("closed = (self.start, self._run_start)", "closed = (self.start, k)"),), DECISIONS),
    Plant("D8", "decisions", PP, "segment start not back-dated (starts at the confirming cell)",
          (("self.on, self.start = True, self._run_start", "self.on, self.start = True, k"),), DECISIONS),
    Plant("D9", "decisions", PP, "min_on seconds -> cells rounded down",
          (("s = self.min_on_s.get(label, self.DEFAULT_MIN_ON_S.get(label, 0.25))\n        return max(1, math.ceil(s / hop_s - 1e-9))",
            "s = self.min_on_s.get(label, self.DEFAULT_MIN_ON_S.get(label, 0.25))\n        return max(1, int(s / hop_s))"),),
          DECISIONS),
    Plant("D10", "decisions", PP, "no most-probable label for a sound below every threshold",
          (("raw[self._most_probable(probabilities)] = True", "pass"),), DECISIONS),
    Plant("D11", "decisions", PP, "most-probable label not kept within the hysteresis",
          (("and p[lab] >= p[best] - self.params.hysteresis]", "and p[lab] >= p[best]]"),), DECISIONS),
    Plant("D12", "decisions", PP, "a stream's first run not shown before it is confirmed",
          (("return not self.on and self._run_start == 0 and self._run_len > 0", "return False"),), DECISIONS),
    Plant("D13", "decisions", PP, "a whole stream shorter than min_on gets no segment",
          (("elif self._run_start == 0 and self._run_len == end_cell > 0:", "elif False:"),), DECISIONS),
    Plant("D14", "decisions", PP, "silence on-point not following a live change of silence_dbfs",
          (("hy.on_at, hy.off_below = p.silence_dbfs, p.silence_dbfs + p.silence_hysteresis_db",
            "hy.off_below = p.silence_dbfs + p.silence_hysteresis_db"),), DECISIONS),
    Plant("D15", "decisions", PP, "a label's threshold ignored (0.5 for all)",
          (("thr = float(params.thresholds.get(lab, 0.5))", "thr = 0.5"),), DECISIONS),
    Plant("D16", "decisions", PP, "metadata hysteresis ignored",
          (("p.hysteresis = float(meta.get(\"hysteresis\", p.hysteresis))", "pass"),), DECISIONS),
    # pauses (stream_tagger/pauses.py, merged from i18-pauses)
    Plant("P1", "decisions", "stream_tagger/pauses.py", "pause length: a silence of exactly min_silence_s is a pause",
          (("            if s[1] - s[0] >= min_b:\n", "            if s[1] - s[0] > min_b:\n"),), PAUSES),
    Plant("P2", "decisions", "stream_tagger/pauses.py", "hops show silence one hop early (no tolerance)",
          (("if self._block(k + 1) - TOLERANCE_BLOCKS - sil < min_b:", "if self._block(k + 1) - sil < min_b:"),), PAUSES),
    Plant("P3", "decisions", "stream_tagger/pauses.py", "min_silence_s in blocks rounded down (0.005 s less)",
          (("return max(0, int(round(float(self.an.decision.min_silence_s) * 100)))",
            "return max(0, int(float(self.an.decision.min_silence_s) * 100 - 0.5))"),), PAUSES),
    # ---------------------------------------------------------------- refinement (postprocess.py, analysis.py, placement.py)
    Plant("R1", "refinement", PP, "step score sign flipped (before - after)",
          (("out[j] = after - before", "out[j] = before - after"),), REFINE),
    Plant("R2", "refinement", PP, "ties: first candidate instead of the nearest the boundary",
          (("j = int(near[np.argmin(np.abs(near - boundary_block))])", "j = int(near[0])"),), REFINE),
    Plant("R3", "refinement", PP, "minimum step ignored (any step moves the boundary)",
          (("    if best < min_step_db:\n        return boundary_block\n",
            "    if best <= 0:\n        return boundary_block\n"),), REFINE),
    Plant("R4", "refinement", PP, "boundary left mid-ramp (no move to the ramp's end)",
          (("return _to_ramp_end(seg, a, j, rising, floor_dbfs, span) if rising is not None else j", "return j"),),
          REFINE),
    Plant("R5", "refinement", PP, "silence edges: first/last step swapped",
          (("int(cand[idx[-1] if pick == \"last\" else idx[0]])", "int(cand[idx[0] if pick == \"last\" else idx[-1]])"),),
          REFINE),
    Plant("R6", "refinement", PP, "silence edges: quiet gate ignored",
          (("ok &= quiet < gate_dbfs", "ok &= quiet < gate_dbfs + 100.0"),), REFINE),
    Plant("R7", "refinement", PP, "window fall: no fraction of the next hop",
          (("return (m + 1) * hop_samples + int(round(hop_samples * min(1.0, after / threshold)))",
            "return (m + 1) * hop_samples"),), REFINE),
    Plant("R8", "refinement", PP, "window fall: search starts a window early",
          (("for m in range(end_cell, end_cell - cover - 1, -1):", "for m in range(end_cell - 1, end_cell - cover - 1, -1):"),),
          REFINE),
    Plant("R9", "refinement", AN, "a label reopening at its refined end starts a new segment",
          (("if held is not None and self.open_starts[lab] <= held[1]:", "if False:"),), REFINE),
    Plant("R10", "refinement", PL, "network labels do not share silence's refined edges",
          (("if lab != SILENCE and cell in an.silence_edges:", "if False:"),), REFINE,
          "masked by R13's clipping (a network label goes off in the cell silence starts in); R19 plants both"),
    Plant("R11", "refinement", PL, "a run beginning with sound does not start at its first sample",
          (("if lab != SILENCE and not is_end and cell == 0 and self._starts_loud():", "if False:"),), REFINE),
    Plant("R12", "refinement", AN, "held segments not cut where a later-confirmed silence starts",
          (("                self._cut_held_at_silence(self.open_starts[lab])\n", ""),), REFINE,
          "no signal found (scripted networks, level steps) where a closed segment's refined end lies past a "
          "silence confirmed after it"),
    Plant("R13", "refinement", AN, "a network segment may reach into a silence that starts inside it",
          (("            if sil_start is not None and start_block < sil_start < end_block:\n                end_block = sil_start\n",
            ""),), REFINE, "masked by R10's shared edge; R19 plants both"),
    Plant("R19", "refinement", PL, "R10 and R13 together",
          (("if lab != SILENCE and cell in an.silence_edges:", "if False:"),
           (AN, "            if sil_start is not None and start_block < sil_start < end_block:\n                end_block = sil_start\n",
            "")), REFINE),
    Plant("R14", "refinement", AN, "cell level over one 10 ms block too many",
          (("-> float:\n        a = (self.base + k * self.hop_samples) // BLOCK - self.env_first\n        b = a + self.fph\n",
            "-> float:\n        a = (self.base + k * self.hop_samples) // BLOCK - self.env_first\n        b = a + self.fph + 1\n"),),
          REFINE),
    Plant("R15", "refinement", AN, "stream end rounded down to the 10 ms grid",
          (("end_block = -(-(self.base + n) // BLOCK)  # past the last sample", "end_block = (self.base + n) // BLOCK  #"),),
          REFINE),
    Plant("R16", "refinement", PL, "network ends not searched around the windows' fall",
          (("if fall is not None and lo <= fall <= hi:", "if False:"),), REFINE),
    Plant("R17", "refinement", AN, "cell probability from its last window only (not the mean)",
          (("p = np.mean(windows, axis=0) if windows else", "p = windows[-1] if windows else"),), REFINE),
    Plant("R18", "refinement", PL, "silence ends searched only after the hop boundary",
          (("lo, hi = b - 2, b + an.fph", "lo, hi = b, b + an.fph"),), REFINE),
    # ---------------------------------------------------------------- class changes (boundaries.py, placement.py)
    Plant("C1", "class changes", BD, "windows not yet computed read for the crossing",
          (("if m + 1 > last_window or m + 1 not in window_probs:", "if m + 1 not in window_probs:"),), CHANGES),
    Plant("C2", "class changes", PL, "frames past the decided window read (a file's read-ahead)",
          (("hi_frame = min(k * an.fph + an.params.frames_per_window,", "hi_frame = min(an.front.frames_available,"),),
          CHANGES),
    Plant("C3", "class changes", BD, "empty bands not raised to the frame's depth (level seen as shape)",
          (("f = np.maximum(f, f.max(axis=0, keepdims=True) - depth_db / _DB_PER_NEPER_POWER)", "f = f"),), CHANGES),
    Plant("C4", "class changes", PL, "a speech end on a level step where its windows fall moved by the spectrum",
          (("lab in d.change_keep_fall_step_labels and", "lab in () and"),), CHANGES),
    Plant("C5", "class changes", BD, "spectral search region one frame short on each side",
          (("cand = np.arange(lo, hi + 1)\n", "cand = np.arange(lo + 1, hi)\n"),), CHANGES),
    Plant("C6", "class changes", BD, "the halfway crossing not taken",
          (("    if halfway_smooth > 0:\n        j = halfway_crossing(", "    if False:\n        j = halfway_crossing("),), CHANGES),
    Plant("C7", "class changes", BD, "a cut moved by the halfway crossing",
          (("    if q >= w and q + w <= share.shape[0] and share", "    if False and share"),), CHANGES),
    # ---------------------------------------------------------------- writers (labels.py, outputs.py)
    Plant("W1", "writers", "stream_tagger/labels.py", "CSV times with 2 decimals",
          (("def _fmt_csv(x: float, decimals: int = 3) -> str:\n    text = f\"{x:.{decimals}f}\"",
            "def _fmt_csv(x: float, decimals: int = 3) -> str:\n    text = f\"{x:.{min(decimals, 2)}f}\""),), LABELS),
    Plant("W2", "writers", "stream_tagger/labels.py", "CSV: negative zero kept as -0.000",
          (("return text[1:] if text.startswith(\"-\") and not text.strip(\"-0.\") else text", "return text"),), LABELS),
    Plant("W3", "writers", "stream_tagger/labels.py", "JSON lines: end rounded to 2 decimals",
          (("\"end\": round(float(seg.end_s), 6),", "\"end\": round(float(seg.end_s), 2),"),), LABELS),
    Plant("W4", "writers", "stream_tagger/labels.py", "Audacity: start and end swapped",
          (("lines.append(f\"{seg.start_s:.6f}\\t{seg.end_s:.6f}\\t{label}\\n\")",
            "lines.append(f\"{seg.end_s:.6f}\\t{seg.start_s:.6f}\\t{label}\\n\")"),), LABELS),
    Plant("W5", "writers", "stream_tagger/labels.py", "TextGrid: no empty interval before a segment",
          (("            if start > cursor:\n                intervals.append((cursor, start, \"\"))\n", ""),), LABELS),
    Plant("W6", "writers", "stream_tagger/labels.py", "TextGrid: no empty interval up to xmax",
          (("        if xmax > cursor:\n            intervals.append((cursor, xmax, \"\"))\n", ""),), LABELS),
    Plant("W7", "writers", "stream_tagger/labels.py", "segments sorted by end, not start",
          (("key=lambda s: (s.start_s, _label_rank(s.label), s.end_s)", "key=lambda s: (s.end_s, _label_rank(s.label), s.start_s)"),),
          LABELS),
    Plant("W8", "writers", "stream_tagger/labels.py", "TextGrid: touching spans not merged",
          (("        if merged and start <= merged[-1][1]:", "        if False:"),), LABELS),
    Plant("W9", "writers", "stream_tagger/outputs.py", "hop CSV labels joined with `;`",
          (("{'+'.join(_sorted_labels(hop.labels))}", "{';'.join(_sorted_labels(hop.labels))}"),), OUTPUTS),
    Plant("W10", "writers", "stream_tagger/outputs.py", "hop JSON: dropped_samples missing",
          ((", \"dropped_samples\": int(hop.dropped_samples),", ","),), OUTPUTS),
    Plant("W11", "writers", "stream_tagger/outputs.py", "a short write's rest dropped",
          (("        view = view[n:]\n", "        view = view[len(view):]\n"),), ("tests/test_cli_faults.py",) + OUTPUTS),
    Plant("W12", "writers", "stream_tagger/outputs.py", "atomic write: no temporary file (written in place)",
          (("        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)\n",
            "        tmp = target\n        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)\n"),),
          ("tests/test_cli_faults.py", "tests/test_labels.py")),
    Plant("W13", "writers", "stream_tagger/outputs.py", "CSV header written before every line",
          (("                self._header_done = True\n", ""),), OUTPUTS),
    # ---------------------------------------------------------------- frontend
    Plant("F1", "frontend", "stream_tagger/frontend.py", "mel normalisation: by the upper half-width",
          (("weights *= (2.0 / (hz_pts[2:] - hz_pts[:-2]))[:, None]", "weights *= (2.0 / (hz_pts[2:] - hz_pts[1:-1]))[:, None]"),),
          FRONTEND),
    Plant("F2", "frontend", "stream_tagger/frontend.py", "symmetric Hann instead of periodic",
          (("np.cos(2.0 * np.pi * np.arange(n) / n)", "np.cos(2.0 * np.pi * np.arange(n) / (n - 1))"),), FRONTEND),
    Plant("F3", "frontend", "stream_tagger/frontend.py", "log offset 1e-5 instead of the parameter",
          (("return np.log(mel + np.float32(params.log_offset)).astype(np.float32)",
            "return np.log(mel + np.float32(1e-5)).astype(np.float32)"),), FRONTEND),
    Plant("F4", "frontend", "stream_tagger/frontend.py", "mel scale 2590 instead of 2595",
          (("return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)",
            "return 2590.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)"),), FRONTEND),
    Plant("F5", "frontend", "stream_tagger/frontend.py", "streaming cache compaction off by one",
          (("self._buf[:, :keep] = self._buf[:, self._used - keep:self._used]",
            "self._buf[:, :keep] = self._buf[:, self._used - keep - 1:self._used - 1]"),), FRONTEND),
    Plant("F6", "frontend", "stream_tagger/frontend.py", "a push larger than the cache: first frame off by one",
          (("self._first_frame += self._used + n_new - self.keep_frames", "self._first_frame += self._used + n_new - self.keep_frames + 1"),),
          FRONTEND),
    Plant("F7", "frontend", "stream_tagger/frontend.py", "whole-signal form: one frame short",
          (("n_frames = signal.shape[0] // params.hop_samples + 1", "n_frames = signal.shape[0] // params.hop_samples"),),
          FRONTEND),
    Plant("F8", "frontend", "stream_tagger/frontend.py", "filter edges up to fmax - 100 Hz",
          (("_hz_to_mel_htk(params.fmax_hz), params.n_mels + 2)", "_hz_to_mel_htk(params.fmax_hz - 100.0), params.n_mels + 2)"),),
          FRONTEND),
    # ---------------------------------------------------------------- ring buffer
    Plant("B1", "ring buffer", "stream_tagger/ring_buffer.py", "overrun check `>` to `>=` (equivalent: drops 0)",
          (("if unread > self.capacity:", "if unread >= self.capacity:"),), RING,
          "equivalent: at unread == capacity it drops 0 samples; the `overruns` count it also bumped is gone"),
    Plant("B2", "ring buffer", "stream_tagger/ring_buffer.py", "one sample too many dropped",
          (("dropped = unread - self.capacity\n", "dropped = unread - self.capacity + 1\n"),), RING),
    Plant("B3", "ring buffer", "stream_tagger/ring_buffer.py", "drops not counted",
          (("                self.dropped_samples += n\n                n = 0\n", "                n = 0\n"),), RING),
    Plant("B4", "ring buffer", "stream_tagger/ring_buffer.py", "blocking write overwrites unread audio",
          (("room = self.capacity - self._unread()", "room = self.capacity"),), RING),
    Plant("B8", "ring buffer", "stream_tagger/ring_buffer.py", "an overrun ending exactly at a hole does not pass it",
          (("if self._holes and self._holes[0][0] - self._read <= n:", "if self._holes and self._holes[0][0] - self._read < n:"),),
          RING, "equivalent for the engine: the hole is then passed by the next read, and the engine asks "
          "take_skipped() after each read"),
    Plant("B5", "ring buffer", "stream_tagger/ring_buffer.py", "read across the wrap off by one",
          (("out[first:] = self._buf[: n - first]", "out[first:] = self._buf[1 : n - first + 1]"),), RING),
    Plant("B6", "ring buffer", "stream_tagger/ring_buffer.py", "an oversized write's skipped head not counted in positions",
          (("                self._written += skipped\n", ""),), RING),
    Plant("B7", "ring buffer", "stream_tagger/ring_buffer.py", "time a sample became available: a write ending at it not counted",
          (("            if end < position:\n                break", "            if end <= position:\n                break"),), RING),
    # ---------------------------------------------------------------- resampler
    Plant("S1", "resampler", "stream_tagger/resampler.py", "NaN counts as 1.0, not 0",
          (("x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)", "x = np.nan_to_num(x, nan=1.0, posinf=0.0, neginf=0.0)"),),
          RESAMPLER),
    Plant("S2", "resampler", "stream_tagger/resampler.py", "+inf counts as full scale, not 0",
          (("x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)", "x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0)"),),
          RESAMPLER),
    Plant("S3", "resampler", "stream_tagger/resampler.py", "no clipping to full scale",
          (("    return np.clip(x, -1.0, 1.0)\n", "    return x\n"),), RESAMPLER),
    Plant("S4", "resampler", "stream_tagger/resampler.py", "Kaiser beta 6 instead of resample_poly's 5",
          (("KAISER_BETA = 5.0", "KAISER_BETA = 6.0"),), RESAMPLER),
    Plant("S5", "resampler", "stream_tagger/resampler.py", "interpolated filter: 64 phases instead of 512",
          (("INTERP_PHASES = 512", "INTERP_PHASES = 64"),), RESAMPLER),
    Plant("S6", "resampler", "stream_tagger/resampler.py", "interpolated: no linear interpolation between phases",
          (("+ a * np.einsum(\"ij,ij->i\", x, self._slope[phase])", "+ 0.0 * a"),), RESAMPLER),
    Plant("S7", "resampler", "stream_tagger/resampler.py", "flush: output one sample short",
          (("return y[: max(0, total_out - out_start)]", "return y[: max(0, total_out - out_start - 1)]"),), RESAMPLER),
    # ---------------------------------------------------------------- level
    Plant("L1", "level", "stream_tagger/level.py", "level is mean square including DC (not the variance)",
          (("        return np.var(blocks, axis=1)\n", "        return np.mean(blocks ** 2, axis=1)\n"),), LEVEL),
    Plant("L2", "level", "stream_tagger/level.py", "last partial 10 ms block dropped",
          (("        p = np.array([np.var(self._pending)])\n", "        return np.zeros(0)\n        p = np.array([np.var(self._pending)])\n"),),
          LEVEL),
    # ---------------------------------------------------------------- sources and formats
    Plant("I1", "sources", "stream_tagger/audio_io.py", "several channels: the first one, not their mean",
          (("audio = audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]", "audio = audio[:, 0]"),),
          SOURCES),
    Plant("I9", "sources", "stream_tagger/audio_io.py", "stereo: the left channel, not the mean of both",
          (("audio = (audio[:, 0] + audio[:, 1]) * np.float32(0.5)", "audio = audio[:, 0]"),), SOURCES),
    Plant("I2", "sources", "stream_tagger/sources/stdin.py", "raw integers scaled by 2**bits - 1",
          (("x = v.astype(np.float32) / float(2 ** (8 * dt.itemsize - 1))", "x = v.astype(np.float32) / float(2 ** (8 * dt.itemsize - 1) - 1)"),),
          SOURCES),
    Plant("I3", "sources", "stream_tagger/sources/stdin.py", "24-bit samples: sign not extended",
          (("v = np.where(v >= 1 << 23, v - (1 << 24), v)", "v = v"),), SOURCES),
    Plant("I4", "sources", "stream_tagger/sources/formats.py", "a truncated WAV's data chunk not noticed",
          (("and pos + 8 + n > size + 1:", "and pos + 8 + n > size + 1 + 10**9:"),), SOURCES),
    Plant("I5", "sources", "stream_tagger/sources/file.py", "a file read short not reported as truncated",
          (("        if self._check_format and total < self.frames - slack:\n", "        if False:\n"),), SOURCES),
    Plant("I6", "sources", "stream_tagger/audio_io.py", "highest sample rate accepted: one more",
          (("if int(rate_hz) > MAX_RATE_HZ:", "if int(rate_hz) > MAX_RATE_HZ + 1:"),), SOURCES),
    Plant("I7", "sources", "stream_tagger/sources/formats.py", "text on standard input not recognised",
          (("    if text_check and printable and len(set(head)) >= min(8, len(head) // 2):\n        return \"text\"\n", ""),),
          SOURCES),
    Plant("I8", "sources", "stream_tagger/sources/stdin.py", "unsigned 8-bit centred on 127",
          (("x = (v.astype(np.float32) - 128.0) / 128.0", "x = (v.astype(np.float32) - 127.0) / 128.0"),), SOURCES),
    # ---------------------------------------------------------------- training: resumable fits
    Plant("T1", "training", "training/train.py", "resume: Python's random state (the batch order) not restored",
          (("                restore_random_state(resumed)  # last", "                pass  # last"),), RESUME),
    Plant("T2", "training", "training/train.py", "checkpoint variables taken after the EMA swap",
          (("callbacks=[take] + cbs + [saver])", "callbacks=cbs + [take, saver])"),), RESUME),
    Plant("T3", "training", "training/checkpoint.py", "resume: early-stopping and plateau counters not restored",
          (("            setattr(cb, attr, _from_json(value))\n", "            pass\n"),), RESUME),
    # ---------------------------------------------------------------- held-out programmes
    Plant("H1", "programmes", "training/programmes.py", "an excerpt may start or end in quiet",
          (("    if ok.shape[0]:\n        start = int(", "    if False:\n        start = int("),), PROGRAMMES),
    Plant("H2", "programmes", "training/programmes.py", "recordings not trimmed of their quiet ends",
          (("    if not sounding.any():\n        return x.astype(np.float32), sounding\n",
            "    if True:\n        return x[:sounding.shape[0] * FRAME].astype(np.float32), sounding\n"),), PROGRAMMES),
    Plant("H3", "programmes", "training/programmes.py", "a bed 20-25 dB under the voice labelled music",
          (('labels = ("speech", "music") if below <= BED_LABELLED_WITHIN_DB else ("speech",)',
            'labels = ("speech", "music")'),), PROGRAMMES),
    # ---------------------------------------------------------------- 8-bit channels, hop-at-a-time reads (stop 30)
    Plant("Q1", "training", "training/augment.py", "8-bit noise spread over the full band, not under the codec's Nyquist",
          (("np.float32(params.fmax_hz / nyquist_hz)", "np.float32(1.0)"),),
          ("tests/test_augment_rules.py",)),
    Plant("Q2", "training", "training/augment.py", "a frame's power from the plain sum over mel bands",
          (("    return (p * w).sum(axis=0) / float((white_noise_mel_power(params)[:, None] * w).sum())",
            "    return p.sum(axis=0) / float(white_noise_mel_power(params).sum())"),),
          ("tests/test_augment_rules.py",)),
    Plant("M1", "monitoring", "stream_tagger/frontend.py", "samples until a window: one frame short",
          (("last = start_sample // p.hop_samples + p.frames_per_window - 1",
            "last = start_sample // p.hop_samples + p.frames_per_window - 2"),),
          ("tests/test_frontend.py", "tests/test_monitor_engine.py")),
    Plant("M2", "monitoring", "stream_tagger/engine.py", "a live source read every 50 ms again, not a hop at a time",
          (("                    if an is None:\n                        ring.wait_available(least",
            "                    if True:\n                        ring.wait_available(least"),),
          ("tests/test_monitor_engine.py",)),
    Plant("M3", "monitoring", "stream_tagger/ring_buffer.py", "arrival time of the newest write, not the first reaching the sample",
          (("            found = t\n", "            found = t\n            break\n"),),
          ("tests/test_ring_buffer.py", "tests/test_monitor_engine.py")),
    # ---------------------------------------------------------------- archive, monitoring: rows to come
    # Plant("A1", "archive", "stream_tagger/archive/...", "...", (("old", "new"),), ("tests/test_archive.py",)),
    # Plant("M4", "monitoring", "stream_tagger/monitor/...", "...", (("old", "new"),), ("tests/test_monitor.py",)),
]

AREAS = sorted({p.area for p in PLANTS})

MD_HEADER = """# Planted bugs (issue 21)

Small bugs planted one at a time in a scratch copy of the code; for each, the named tests ran
(`-x`, first failure reported) and either caught it or not. Written by
`.venv/bin/python tests/plant_bugs.py --write tests/PLANTED_BUGS.md` (see that script's
docstring to run some areas or plants, or to add rows: the archive and monitoring code add
theirs there with `area="archive"` / `area="monitoring"`). "caught" names the first failing
test only; other tests may catch the same plant. Only the listed test files ran for a plant;
tests marked xfail (open bugs) are left out.

Two bugs turned up while writing tests for the refinement plants, and were kept as strict xfail
tests until fixed; both are fixed and their tests now pass:
`tests/test_engine.py::test_a_label_starting_just_before_the_sound_stops_stays_out_of_the_silence`
(a label opening within `min_off` of a cut to silence got its start refined onto the cut, so
its segment lay inside the silence) and
`tests/test_segment_edges.py::test_a_tail_above_the_silence_level_is_not_silence` (a sound
above the silence level that ends inside a cell that is silent on average: the silence start was
searched only 20 ms past the cell's start; fixed 2026-12-07).
"""


def _copy_repo(dest: str) -> None:
    ignore = shutil.ignore_patterns(".git", "build", ".venv", "__pycache__", "*.egg-info", ".pytest_cache")
    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)


def _apply(text: str, edits) -> str | None:
    """The planted text, or None if an ``old`` does not occur exactly once (a stale plant)."""
    for old, new in edits:
        if text.count(old) != 1:
            return None
        text = text.replace(old, new)
    return text


def _planted_files(root: str, plant: Plant) -> dict[str, tuple[str, str]] | None:
    """``{path under root: (pristine text, planted text)}`` for the files ``plant`` edits, or None
    if an ``old`` does not occur exactly once in its file (a stale plant)."""
    by_path: dict[str, list] = {}
    for e in plant.edits:
        path, old, new = e if len(e) == 3 else (plant.path, *e)
        by_path.setdefault(path, []).append((old, new))
    out = {}
    for path, edits in by_path.items():
        full = os.path.join(root, path)
        with open(full, encoding="utf-8") as f:
            pristine = f.read()
        planted = _apply(pristine, edits)
        if planted is None:
            return None
        out[full] = (pristine, planted)
    return out


def _pytest(root: str, tests: tuple, timeout_s: float) -> tuple[str, str]:
    """Run the tests on the copy at ``root``: ``("pass" | "fail" | "timeout" | "error", detail)``."""
    env = {**os.environ, "PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"}
    # xfail tests (open bugs) are left out: a plant that happens to make one pass is no catch
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-rfE",
           "-m", "not xfail", *tests]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timeout", f"no result in {timeout_s:.0f} s"
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    if proc.returncode == 0:
        return "pass", ""
    if proc.returncode == 1 and failed:
        return "fail", failed[0]
    if failed:
        return "error", failed[0]
    return "error", (out.strip().splitlines() or ["?"])[-1][:120]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def run(plants: list[Plant], timeout_s: float, baseline: bool, log=print) -> list[tuple[Plant, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="plants-") as tmp:
        root = os.path.join(tmp, "repo")
        _copy_repo(root)
        if baseline:
            for tests in sorted({p.tests for p in plants}):
                status, detail = _pytest(root, tests, timeout_s)
                log(f"baseline {' '.join(tests)}: {status} {detail}")
                if status != "pass":
                    raise SystemExit("plant_bugs: the tests fail without a plant; fix that first")
        for p in plants:
            files = _planted_files(root, p)
            if files is None:
                rows.append((p, "STALE", "an `old` text is not in the file exactly once"))
                log(f"{p.id}: STALE")
                continue
            t0 = time.monotonic()
            try:
                for path, (_, planted) in files.items():
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(planted)
                status, detail = _pytest(root, p.tests, timeout_s)
            finally:
                for path, (pristine, _) in files.items():
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(pristine)
            rows.append((p, status, detail))
            log(f"{p.id}: {status} {detail} ({time.monotonic() - t0:.0f} s)")
    return rows


def table(rows) -> str:
    lines = ["| id | area | file | change | result |", "|---|---|---|---|---|"]
    for p, status, detail in rows:
        if status == "fail":
            result = f"caught: `{detail}`"
        elif status == "timeout":
            result = f"caught (timeout: {detail})"
        elif status == "pass":
            result = "**NOT caught** by " + ", ".join(f"`{t}`" for t in p.tests)
        else:
            result = f"{status}: {detail}"
        if p.note:
            result += f" ({p.note})"
        lines.append(f"| {p.id} | {p.area} | `{p.path}` | {_cell(p.what)} | {_cell(result)} |")
    caught = sum(1 for _, s, _ in rows if s in ("fail", "timeout"))
    lines.append("")
    lines.append(f"{len(rows)} planted, {caught} caught.")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--area", choices=AREAS, action="append", help="only plants of this area (repeatable)")
    ap.add_argument("--only", help="comma-separated plant ids")
    ap.add_argument("--check", action="store_true", help="only check that each plant still applies")
    ap.add_argument("--baseline", action="store_true", help="first run each test set without a plant")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per plant's test run (default 900)")
    ap.add_argument("--write", metavar="MD", help="also write the table to this file (replacing it)")
    a = ap.parse_args(argv)
    plants = PLANTS
    if a.area:
        plants = [p for p in plants if p.area in a.area]
    if a.only:
        ids = a.only.split(",")
        unknown = set(ids) - {p.id for p in PLANTS}
        if unknown:
            ap.error(f"unknown plant ids: {', '.join(sorted(unknown))}")
        plants = [p for p in plants if p.id in ids]
    if a.check:
        stale = []
        for p in plants:
            if _planted_files(REPO, p) is None:
                stale.append(p.id)
        print(f"{len(plants)} plants, stale: {', '.join(stale) or 'none'}")
        return 1 if stale else 0
    rows = run(plants, a.timeout, a.baseline, log=lambda s: print(s, file=sys.stderr, flush=True))
    text = table(rows)
    print(text)
    if a.write:
        with open(a.write, "w", encoding="utf-8") as f:
            f.write(MD_HEADER + "\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
