#!/usr/bin/env bash
# Sets up everything (Debian + pip packages) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --all
python3 -m pytest -q "$@"
