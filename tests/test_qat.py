"""Quantisation-aware fine-tuning (training/qat.py): its fake int8 rounding uses the converter's
grids, and the first convolution is folded, rounded once and written back. The checks live in
tests/qat_checks.py and run in a process of their own (TensorFlow and LiteRT in one process
crash when it exits)."""

import importlib.util
import os
import subprocess
import sys

import pytest

CHECKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qat_checks.py")


@pytest.mark.parametrize("name", [
    "check_fake_quant_rounds_to_an_int8_grid_and_passes_gradients_through",
    "check_fake_quant_uses_the_grids_the_int8_converter_chooses",
    "check_first_conv_folds_rounds_once_and_unfolds_back",
])
def test_qat(name):
    if importlib.util.find_spec("tensorflow") is None:      # looked up, not imported (see above)
        pytest.skip("tensorflow is not installed (training extra)")
    r = subprocess.run([sys.executable, CHECKS, name], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    assert f"ok {name}" in r.stdout
