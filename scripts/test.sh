#!/usr/bin/env bash
# Sets up everything (Debian + pip packages, in .venv/) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --all
.venv/bin/python -m pytest -q "$@"
