"""The evaluator against hand-computed answers and sed_eval's segment-based metrics at 10 ms.

Hand cases: a perfect hypothesis, one shifted by 0.3 s, an empty one, overlapping labels, pooling of
several pairs; then the command line (tables, JSON, errors).
"""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from stream_tagger.evaluate import (
    evaluate_pairs,
    format_report,
    frame_roll,
    reference_changes,
)
from stream_tagger.events import LABELS, Segment
from stream_tagger.labels import write_segments

S = Segment

PERFECT_REF = [S(0.0, 4.0, "speech"), S(3.0, 8.0, "music"), S(8.0, 10.0, "noise"), S(10.0, 12.5, "silence")]
SHIFT_REF = [S(3.0, 7.0, "speech"), S(7.0, 11.0, "music")]
SHIFT_HYP = [S(3.3, 7.3, "speech"), S(7.3, 11.3, "music")]


# ------------------------------------------------------------------ independent reference: sed_eval


def _sed_eval_class_wise(reference, hypothesis, duration_s):
    """Per label (Ntp, Nfp, Nfn, P, R, F1) from sed_eval.SegmentBasedMetrics at 10 ms resolution."""
    sed_eval = pytest.importorskip("sed_eval")
    for seg in reference + hypothesis:
        for t in (seg.start_s, seg.end_s):
            # sed_eval floors onset / 0.01 and ceils offset / 0.01: keep to times where that is exact
            assert t / 0.01 == round(t / 0.01), f"{t} is not exact on sed_eval's grid; pick another time"
    metrics = sed_eval.sound_event.SegmentBasedMetrics(list(LABELS), time_resolution=0.01)

    def events(segments):
        return [{"event_onset": s.start_s, "event_offset": s.end_s, "event_label": s.label, "filename": "x"}
                for s in segments]

    metrics.evaluate(events(reference), events(hypothesis), evaluated_length_seconds=duration_s)
    out = {}
    for label in LABELS:
        counts = metrics.class_wise[label]
        f = metrics.class_wise_f_measure(label)
        out[label] = (int(counts["Ntp"]), int(counts["Nfp"]), int(counts["Nfn"]),
                      f["precision"], f["recall"], f["f_measure"])
    return out


def _assert_matches_sed_eval(report, reference, hypothesis, duration_s):
    theirs = _sed_eval_class_wise(reference, hypothesis, duration_s)
    for label in LABELS:
        ours = report["labels"][label]
        tp, fp, fn, precision, recall, f1 = theirs[label]
        assert (ours["tp_frames"], ours["fp_frames"], ours["fn_frames"]) == (tp, fp, fn), label
        for key, value in (("precision", precision), ("recall", recall), ("f1", f1)):
            if value is not None and not math.isnan(value):
                assert ours[key] == pytest.approx(value, abs=1e-12), (label, key)
            elif key != "f1":
                assert ours[key] is None, (label, key)


# ------------------------------------------------------------------ frame grid


def test_frame_roll_uses_frame_centres():
    roll = frame_roll([S(0.004, 0.02, "speech"), S(0.012, 0.018, "music"), S(0.0, 0.03, "Noise"),
                       S(0.0, 0.03, "laughter"), S(0.016, 0.024, "silence")], 4)
    assert roll.shape == (4, 4)
    # centres 0.005, 0.015, 0.025, 0.035: speech covers the first two, music only 0.015, noise (any
    # case) the first three, silence none (0.016..0.024 holds no centre); unknown labels are skipped.
    assert roll[:, 0].tolist() == [True, True, False, False]
    assert roll[:, 1].tolist() == [False, True, False, False]
    assert roll[:, 2].tolist() == [True, True, True, False]
    assert not roll[:, 3].any()


def test_reference_changes_need_two_seconds_on_both_sides():
    segs = [S(0.0, 3.0, "speech"), S(5.0, 6.5, "speech"), S(9.0, 12.0, "speech"), S(12.0, 13.0, "speech"),
            S(15.5, 20.0, "speech")]
    # spans after merging: [0,3] [5,6.5] [9,13] [15.5,20], file end 21
    assert reference_changes(segs, "speech", 21.0) == [
        ("end", 3.0),                     # start at 0 has no stretch before it; gap 3->5 is 2 s
        ("start", 9.0), ("end", 13.0),    # [5,6.5] is too short; 6.5->9 is 2.5 s; 13->15.5 is 2.5 s
        ("start", 15.5),                  # end 20 -> file end 21 is only 1 s
    ]


# ------------------------------------------------------------------ hand-made cases


def test_perfect_hypothesis():
    report = evaluate_pairs([(PERFECT_REF, PERFECT_REF)])
    assert report["frames"] == 1250
    for label in LABELS:
        entry = report["labels"][label]
        assert (entry["precision"], entry["recall"], entry["f1"]) == (1.0, 1.0, 1.0)
    assert report["macro"]["f1"] == 1.0
    assert report["speech_vs_nonspeech"]["f1"] == 1.0 and report["speech_vs_nonspeech"]["accuracy"] == 1.0
    b = report["boundary"]
    # speech end 4; music start 3, end 8; noise start 8, end 10; silence start 10 (its end is the file end)
    assert b["changes"] == 6 and b["misses"] == 0
    assert b["median_s"] == 0.0 and b["p90_s"] == 0.0
    assert b["within_s"] == {"0.1": 1.0, "0.25": 1.0, "0.5": 1.0}
    rows = report["confusion"]["rows"]
    # single-label reference frames: speech 0-3, music 4-8, noise 8-10, silence 10-12.5
    assert rows["speech"] == {"speech": 300, "music": 0, "noise": 0, "silence": 0, "multiple": 0, "none": 0}
    assert rows["music"]["music"] == 400 and rows["noise"]["noise"] == 200 and rows["silence"]["silence"] == 250
    assert sum(sum(r.values()) for r in rows.values()) == 1150  # the 3-4 s overlap is left out
    _assert_matches_sed_eval(report, PERFECT_REF, PERFECT_REF, 12.5)


def test_hypothesis_shifted_by_0_3_s():
    report = evaluate_pairs([(SHIFT_REF, SHIFT_HYP)])
    assert report["frames"] == 1130
    for label in ("speech", "music"):
        entry = report["labels"][label]
        # 4 s reference, 4 s prediction, 3.7 s overlap
        assert (entry["tp_frames"], entry["fp_frames"], entry["fn_frames"]) == (370, 30, 30)
        assert entry["precision"] == entry["recall"] == entry["f1"] == pytest.approx(370 / 400)
    assert report["labels"]["noise"]["f1"] is None
    assert report["macro"]["f1"] == pytest.approx(370 / 400)
    b = report["boundary"]
    # speech start 3, speech end 7, music start 7; music end 11 has only 0.3 s after it
    assert b["changes"] == 3 and b["misses"] == 0
    assert b["median_s"] == pytest.approx(0.3) and b["p90_s"] == pytest.approx(0.3)
    assert b["within_s"] == {"0.1": 0.0, "0.25": 0.0, "0.5": 1.0}
    rows = report["confusion"]["rows"]
    assert rows["speech"]["none"] == 30 and rows["speech"]["speech"] == 370
    assert rows["music"]["speech"] == 30 and rows["music"]["music"] == 370
    _assert_matches_sed_eval(report, SHIFT_REF, SHIFT_HYP, 11.3)


def test_empty_hypothesis():
    report = evaluate_pairs([(PERFECT_REF, [])])
    for label in LABELS:
        entry = report["labels"][label]
        assert entry["f1"] == 0.0 and entry["recall"] == 0.0 and entry["precision"] is None
    assert report["macro"]["f1"] == 0.0 and report["macro"]["precision"] == 0.0
    b = report["boundary"]
    assert b["changes"] == 6 and b["misses"] == 6 and b["miss_share"] == 1.0
    assert b["median_s"] is None and b["p90_s"] is None
    assert b["within_s"] == {"0.1": 0.0, "0.25": 0.0, "0.5": 0.0}
    assert report["confusion"]["rows"]["speech"]["none"] == 300
    _assert_matches_sed_eval(report, PERFECT_REF, [], 12.5)


def test_overlapping_labels():
    ref = [S(0.0, 6.0, "speech"), S(2.0, 8.0, "music")]
    hyp = [S(0.0, 6.0, "speech"), S(2.0, 4.0, "music"), S(4.0, 8.0, "noise")]
    report = evaluate_pairs([(ref, hyp)])
    labels = report["labels"]
    assert labels["speech"]["f1"] == 1.0
    assert (labels["music"]["precision"], labels["music"]["recall"]) == (1.0, pytest.approx(1 / 3))
    assert labels["music"]["f1"] == pytest.approx(2 * 200 / (2 * 200 + 400))
    assert labels["noise"]["precision"] == 0.0 and labels["noise"]["recall"] is None
    assert labels["noise"]["f1"] == 0.0
    assert report["macro"]["labels"] == ["speech", "music", "noise"]
    assert report["macro"]["f1"] == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    rows = report["confusion"]["rows"]
    assert rows["speech"] == {"speech": 200, "music": 0, "noise": 0, "silence": 0, "multiple": 0, "none": 0}
    assert rows["music"] == {"speech": 0, "music": 0, "noise": 200, "silence": 0, "multiple": 0, "none": 0}
    sn = report["speech_vs_nonspeech"]
    assert sn["f1"] == 1.0 and sn["nonspeech_f1"] == 1.0
    # music end 8 is the file end; music start 2 predicted exactly; speech end 6 predicted exactly
    assert report["boundary"]["changes"] == 2 and report["boundary"]["median_s"] == 0.0
    _assert_matches_sed_eval(report, ref, hyp, 8.0)


def test_boundary_tolerance_and_misses():
    ref = [S(0.0, 5.0, "speech"), S(5.0, 10.0, "music"), S(10.0, 15.0, "speech")]
    hyp = [S(0.0, 5.1, "speech"), S(6.2, 10.0, "music"), S(9.0, 15.0, "speech")]
    report = evaluate_pairs([(ref, hyp)])
    b = report["boundary"]
    # speech end 5 -> 0.1; speech start 10 -> 1.0 (kept: within 1 s); music start 5 -> 1.2 (miss);
    # music end 10 -> 0
    assert b["changes"] == 4 and b["misses"] == 1 and b["miss_share"] == 0.25
    assert b["median_s"] == pytest.approx(0.1)
    assert b["p90_s"] == pytest.approx(np.percentile([0.0, 0.1, 1.0], 90))
    assert b["within_s"] == {"0.1": 0.5, "0.25": 0.5, "0.5": 0.5}
    assert b["by_label"]["music"] == {"changes": 2, "misses": 1, "miss_share": 0.5, "median_s": 0.0}


def test_boundary_error_by_kind_of_change():
    """Silence edges (silence or nothing on one side) apart from class changes (a non-silent label
    on both sides: a cut from speech to music, music starting under speech)."""
    ref = [S(0.0, 3.0, "silence"), S(3.0, 8.0, "speech"), S(8.0, 14.0, "music"), S(11.0, 14.0, "speech"),
           S(14.0, 17.0, "silence")]
    hyp = [S(0.0, 3.02, "silence"), S(3.02, 8.3, "speech"), S(8.3, 14.0, "music"), S(11.6, 14.0, "speech"),
           S(14.0, 17.0, "silence")]
    b = evaluate_pairs([(ref, hyp)])["boundary"]
    edges, classes = b["by_kind"]["silence edge"], b["by_kind"]["class change"]
    # silence edges: silence end 3 (0.02), speech start 3 (0.02), music end 14, speech end 14,
    # silence start 14 (all 0); class changes: speech end 8 (0.3), music start 8 (0.3), speech start 11 (0.6)
    assert (edges["changes"], edges["misses"], edges["median_s"]) == (5, 0, 0.0)
    assert edges["within_s"] == {"0.1": 1.0, "0.25": 1.0, "0.5": 1.0}
    assert (classes["changes"], classes["misses"], classes["median_s"]) == (3, 0, pytest.approx(0.3))
    assert classes["within_s"] == {"0.1": 0.0, "0.25": 0.0, "0.5": pytest.approx(2 / 3)}
    assert edges["changes"] + classes["changes"] == b["changes"]
    text = format_report(evaluate_pairs([(ref, hyp)]))
    assert "by kind: silence edges: 5 changes, 0 misses, median 0.000 s, within 0.1/0.25/0.5 s 1.000/1.000/1.000; " \
           "class changes: 3 changes, 0 misses, median 0.300 s, within 0.1/0.25/0.5 s 0.000/0.000/0.667" in text


def test_starts_match_starts_and_ends_match_ends():
    ref = [S(2.0, 6.0, "speech")]
    hyp = [S(0.0, 2.05, "speech"), S(5.9, 9.0, "speech")]  # an end near 2 and a start near 6 only
    b = evaluate_pairs([(ref, hyp, 9.0)])["boundary"]
    assert b["changes"] == 2 and b["misses"] == 2


def test_pairs_are_pooled_over_frames():
    pair_a = ([S(0.0, 4.0, "speech")], [S(0.0, 2.0, "speech")])
    pair_b = ([S(0.0, 2.0, "music"), S(2.0, 6.0, "speech")], [S(0.0, 6.0, "speech")])
    pooled = evaluate_pairs([pair_a, pair_b])
    speech = pooled["labels"]["speech"]
    # a: tp 200 fn 200; b: tp 400 fp 200
    assert (speech["tp_frames"], speech["fp_frames"], speech["fn_frames"]) == (600, 200, 200)
    assert speech["f1"] == pytest.approx(1200 / 1600)
    assert pooled["frames"] == 1000 and pooled["pairs"] == 2
    # the same as one file made of both, end to end
    joined = evaluate_pairs([(pair_a[0] + [S(4.0 + s.start_s, 4.0 + s.end_s, s.label) for s in pair_b[0]],
                              pair_a[1] + [S(4.0 + s.start_s, 4.0 + s.end_s, s.label) for s in pair_b[1]])])
    for label in LABELS:
        for key in ("tp_frames", "fp_frames", "fn_frames", "f1"):
            assert pooled["labels"][label][key] == joined["labels"][label][key]


def test_duration_extends_the_grid_and_unknown_labels_are_reported():
    report = evaluate_pairs([([S(1.0, 2.0, "Speech"), S(0.0, 1.0, "laughter")], [S(1.0, 2.0, "speech")], 5.0)])
    assert report["frames"] == 500 and report["labels"]["speech"]["f1"] == 1.0
    assert report["speech_vs_nonspeech"]["accuracy"] == 1.0
    assert report["ignored_labels"] == {"laughter": 1}
    assert "Ignored segments with unknown labels: 'laughter' (1)" in format_report(report)


def test_random_overlapping_cases_agree_with_sed_eval():
    rng = np.random.default_rng(7)
    grid = [k for k in range(0, 3001) if k / 100 / 0.01 == k]  # times exact for sed_eval's arithmetic
    for _ in range(5):
        segs = {}
        for side in ("ref", "hyp"):
            segs[side] = []
            for label in LABELS:
                cuts = sorted(rng.choice(grid, size=6, replace=False))
                for a, b in zip(cuts[::2], cuts[1::2]):
                    segs[side].append(S(a / 100, b / 100, label))
        duration_s = max(s.end_s for s in segs["ref"] + segs["hyp"])
        report = evaluate_pairs([(segs["ref"], segs["hyp"])])
        _assert_matches_sed_eval(report, segs["ref"], segs["hyp"], duration_s)


# ------------------------------------------------------------------ command line


def _cli(*args, module="stream_tagger.evaluate"):
    prefix = ["evaluate"] if module == "stream_tagger.cli" else []
    return subprocess.run([sys.executable, "-m", module, *prefix, *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def label_files(tmp_path):
    ref, hyp = tmp_path / "ref.TextGrid", tmp_path / "hyp.txt"
    write_segments(SHIFT_REF, "textgrid", ref)
    write_segments(SHIFT_HYP, "audacity", hyp)
    ref2, hyp2 = tmp_path / "ref2.csv", tmp_path / "hyp2.csv"
    write_segments(PERFECT_REF, "csv", ref2)
    write_segments([], "csv", hyp2)
    return ref, hyp, ref2, hyp2


def test_cli_json_pools_pairs(label_files):
    ref, hyp, ref2, hyp2 = label_files
    proc = _cli("--reference", str(ref), "--hypothesis", str(hyp), "--reference", str(ref2),
                "--hypothesis", str(hyp2), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    expected = evaluate_pairs([(SHIFT_REF, SHIFT_HYP), (PERFECT_REF, [])])
    assert report == json.loads(json.dumps(expected))
    assert report["pairs"] == 2 and report["boundary"]["changes"] == 9


def test_cli_table(label_files):
    ref, hyp, _, _ = label_files
    proc = _cli("--reference", str(ref), "--hypothesis", str(hyp))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    speech_row = next(line for line in lines if line.startswith("| speech "))
    assert "| 0.925 " in speech_row
    assert any(line.startswith("| reference \\ predicted") for line in lines)
    assert any(line.startswith("| 3 ") and "| 0.300 " in line for line in lines)  # boundary row


@pytest.mark.parametrize("case", ["missing", "malformed", "unpaired"])
def test_cli_errors_are_one_line(tmp_path, label_files, case):
    ref, hyp, _, _ = label_files
    bad = tmp_path / "bad.csv"
    bad.write_text("start,end,label\n1.0,oops,speech\n")
    args = {"missing": ["--reference", str(tmp_path / "nope.csv"), "--hypothesis", str(hyp)],
            "malformed": ["--reference", str(ref), "--hypothesis", str(bad)],
            "unpaired": ["--reference", str(ref), "--reference", str(ref), "--hypothesis", str(hyp)]}[case]
    proc = _cli(*args, "--json")
    assert proc.returncode == (2 if case == "unpaired" else 1)  # options that do not pair up: a usage error
    assert proc.stdout == "" and proc.stderr.startswith("stream-tagger: error: ")
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    if case == "malformed":
        assert str(bad) in proc.stderr and "line 2" in proc.stderr


def test_cli_wired_into_stream_tagger_command(label_files):
    cli = pytest.importorskip("stream_tagger.cli")
    if "evaluate" not in open(cli.__file__, encoding="utf-8").read():
        pytest.skip("stream_tagger.cli does not register evaluate yet")
    ref, hyp, _, _ = label_files
    proc = _cli("--reference", str(ref), "--hypothesis", str(hyp), "--json", module="stream_tagger.cli")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["labels"]["speech"]["f1"] == pytest.approx(0.925)


def test_help_states_the_definitions():
    proc = _cli("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "last at least 2 s" in text and "within 1 s is a miss" in text
    assert "covers the frame centre" in text and "positive class = speech on" in text


def test_cli_tags_audio_and_scores_it(tmp_path, engine_model, bursts_wav):
    """``evaluate --reference REF AUDIO``: the real engine tags the file, the grid is the audio length.

    Silence comes from the signal level (model-independent), so its scores are known: the engine
    finds the digital-silence gaps between the tone bursts.
    """
    from conftest import BURSTS, BURSTS_TOTAL_S, silence_spans

    ref = tmp_path / "ref.csv"
    write_segments([S(a, b, "silence") for a, b in silence_spans(BURSTS, BURSTS_TOTAL_S)], "csv", ref)
    proc = _cli("--reference", str(ref), str(bursts_wav), "--model", engine_model, "--hop", "0.25",
                "--json", module="stream_tagger.cli")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["frames"] == 1000 and report["pairs"] == 1
    silence = report["labels"]["silence"]
    assert silence["f1"] > 0.95, silence
    assert report["labels"]["silence"]["reference_s"] == pytest.approx(BURSTS_TOTAL_S - 2.0 - 1.7 - 1.67)

    proc = _cli("--reference", str(ref), str(tmp_path / "missing.wav"), "--model", engine_model,
                module="stream_tagger.cli")
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
