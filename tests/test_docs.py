"""The README's figures and pictures are the shipped model's, as the result files hold them.

Every number in the README comes from a script whose output is kept in the repository
(``training/results/``, ``benchmarks/results/``). When the shipped model changes, these tests
fail until the tables, outputs and pictures are re-made with it, so the README cannot quietly
describe an older model.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from stream_tagger import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
MODEL = REPO / "assets" / "model.tflite"
SHIPPED_SHA1 = hashlib.sha1(MODEL.read_bytes()).hexdigest()[:8]


def table_rows(text: str) -> list[str]:
    """Markdown table rows of ``text`` (header and rule lines included), stripped."""
    return [line.strip() for line in text.splitlines() if line.lstrip().startswith("|")]


def png_text(path: Path) -> dict[str, str]:
    """The text chunks of a PNG file."""
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG", f"{path} is not a PNG"
        return dict(im.text)


def fenced_block_after(text: str, marker: str) -> str:
    """The first fenced code block after the first line containing ``marker``."""
    start = text.index(marker)
    m = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M).search(text, start)
    assert m, f"no code block after {marker!r}"
    return m.group(1)


def test_readme_names_the_shipped_model():
    mentions = re.findall(r"(?:shipped[^.|\n]{0,40}?|`assets/model\.tflite`[^)\n]{0,40}?)sha1 ([0-9a-f]{8})", README)
    assert len(mentions) >= 4, mentions
    assert set(mentions) == {SHIPPED_SHA1}, f"README names {sorted(set(mentions))}, assets/model.tflite is {SHIPPED_SHA1}"


def test_readme_model_table_is_the_report_and_the_metadata():
    report = (REPO / "training" / "results" / "report.md").read_text(encoding="utf-8")
    rows = table_rows(report.split("\n\n")[0])  # the first table
    assert len(rows) >= 8
    readme_rows = set(table_rows(README))
    missing = [r for r in rows if r not in readme_rows]
    assert not missing, f"README lacks report.md rows: {missing}"
    # the compact rows are the shipped model's own test metrics
    meta = json.loads((REPO / "assets" / "model.json").read_text())
    f1_int8 = {lab: m["f1"] for lab, m in meta["metrics"]["test_pure_int8"].items() if isinstance(m, dict)}
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    col = header.index("F1 (int8)")
    i = next(k for k, r in enumerate(rows) if r.startswith("| compact |"))
    for r in rows[i:i + 3]:
        cells = [c.strip() for c in r.strip("|").split("|")]
        assert float(cells[col]) == pytest.approx(round(f1_int8[cells[1]], 3), abs=1e-9), r
    assert f"{meta['params']:,}" in rows[i]


def test_readme_heldout_table_is_the_results():
    heldout = (REPO / "training" / "results" / "heldout.md").read_text(encoding="utf-8")
    results = {r.split("|")[1].strip(): r.split("|")[2:] for r in table_rows(heldout)}
    shipped = results["assets/model.tflite"]
    readme = [r for r in table_rows(README) if r.startswith("| compact (shipped) |")]
    assert len(readme) == 1
    assert readme[0].split("|")[2:] == shipped
    # held-out programmes: the shipped model's row as the script wrote it
    programmes = (REPO / "training" / "results" / "heldout_programmes.md").read_text(encoding="utf-8")
    rows = [r for r in table_rows(programmes) if r.startswith("| assets/model.tflite |")]
    assert len(rows) == 2 and all(r in table_rows(README) for r in rows)  # scores, class changes by making


def test_readme_benchmark_outputs_are_the_results():
    results = REPO / "benchmarks" / "results"
    compare = table_rows((results / "compare.md").read_text(encoding="utf-8"))
    readme_rows = set(table_rows(README))
    engine_rows = [r for r in compare if r.startswith("| engine:compact")]
    assert len(engine_rows) == 2 and all(f"sha1 {SHIPPED_SHA1}" in r for r in engine_rows)
    assert [r for r in compare if r not in readme_rows] == []
    for name in ("boundaries.txt", "engine.txt", "gui.txt"):
        first = (results / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.endswith(f"# shipped model sha1 {SHIPPED_SHA1}"), f"{name}: {first}"
    # the README quotes the boundary benchmark's output as it is
    block = fenced_block_after(README, "python benchmarks/bench_boundaries.py --files 12")
    assert block.strip() in (results / "boundaries.txt").read_text(encoding="utf-8")
    files, seconds = re.search(r"^(\d+) files, (\d+) s,", block, re.M).groups()
    assert f"({files} files of test-split clips joined by abrupt cuts, {seconds} s," in " ".join(README.split())


def test_readme_evaluate_output_is_what_evaluate_prints(capsys):
    rc = cli.main(["evaluate", "--reference", str(REPO / "assets" / "example.csv"), str(REPO / "assets" / "example.ogg")])
    assert rc == 0
    printed = capsys.readouterr().out
    block = fenced_block_after(README, "stream-tagger evaluate --reference assets/example.csv assets/example.ogg")
    assert block.strip() == printed.strip()
    kept = (REPO / "benchmarks" / "results" / "evaluate_example.txt").read_text(encoding="utf-8")
    assert printed.strip() == kept.strip()


@pytest.mark.parametrize("picture", ["docs/window.png", "docs/plot.png", "docs/report.png"])
def test_readme_pictures_show_the_shipped_model(picture):
    assert f"({picture})" in README
    text = png_text(REPO / picture)
    assert f"sha1 {SHIPPED_SHA1}" in text.get("Model", ""), (
        f"{picture} was made with {text.get('Model', 'an unrecorded model')}: re-run bash scripts/make_pictures.sh")


def test_readme_silence_table_is_the_benchmark_output():
    text = (REPO / "benchmarks" / "results" / "silence_floor.txt").read_text(encoding="utf-8")
    first, settings = text.splitlines()[0], text.splitlines()[2]
    assert first.startswith("$ python benchmarks/bench_silence_floor.py") and first.endswith(
        f"# shipped model sha1 {SHIPPED_SHA1}"), first
    rows = table_rows(text)
    assert len(rows) >= 17, rows
    readme_rows = set(table_rows(README))
    assert [r for r in rows if r not in readme_rows] == []
    assert settings in README
    # the defaults the README names are the shipped model's settings, as the table measured them
    meta = json.loads((REPO / "assets" / "model.json").read_text())
    assert f"both default from the model: `{meta['silence_mode']}`, {meta['floor_margin_db']:g} dB" in " ".join(README.split())
    assert f"floor mode: margin {meta['floor_margin_db']:g} dB" in settings
    assert f"floor at most {meta['floor_max_dbfs']:g} dBFS" in settings
