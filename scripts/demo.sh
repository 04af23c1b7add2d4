#!/usr/bin/env bash
# Sets up the runtime (in .venv/) and tags the shipped example recording with the shipped model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/stream-tagger tag assets/example.ogg --format csv
