#!/usr/bin/env bash
# Sets up the runtime and tags the shipped example recording with the shipped model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stream-tagger tag assets/example.ogg --format csv
