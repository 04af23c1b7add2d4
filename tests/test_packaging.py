"""`pip install .` from a clean tree must carry the shipped model and example inside the package."""

import os
import subprocess
import sys
import zipfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = ["model.tflite", "model.json", "example.ogg", "example.csv"]


def test_wheel_contains_shipped_assets(tmp_path):
    missing = [f for f in SHIPPED if not os.path.exists(os.path.join(REPO, "assets", f))]
    assert not missing, f"assets missing from the repository: {missing}"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), REPO], check=True, capture_output=True)
    wheel = next(p for p in os.listdir(tmp_path) if p.endswith(".whl"))
    names = zipfile.ZipFile(tmp_path / wheel).namelist()
    for f in SHIPPED:
        assert f"stream_tagger/assets/{f}" in names
    assert "stream_tagger/cli.py" in names and "stream_tagger/frontend.py" in names
    assert "stream_tagger/archive/worker.py" in names and "stream_tagger/archive/dask_run.py" in names
    assert not any(n.startswith("training/") or n.startswith("tests/") for n in names)


def test_runtime_finds_shipped_model_outside_the_repo(tmp_path):
    code = ("from stream_tagger.model import TagModel; m = TagModel.load(); "
            "print(m.labels, m.path)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "speech" in out.stdout and "model.tflite" in out.stdout
