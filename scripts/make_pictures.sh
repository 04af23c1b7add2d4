#!/usr/bin/env bash
# Makes the README pictures from the shipped example recording with the shipped model:
#   docs/window.png  the live window replaying the example (screenshot under a private Xvfb)
#   docs/plot.png    `stream-tagger plot` of the example with its reference labels
#   docs/report.png  `stream-tagger report` of a generated archive, in headless Chromium (a few minutes)
# Needs the gui extra, Xvfb and Chromium (scripts/setup.sh --all installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs
python3 -m stream_tagger.gui.snap -o docs/window.png --at 45 -- \
  replay assets/example.ogg --speed 4 "$@"
stream-tagger plot assets/example.ogg --reference assets/example.csv --duration 56.5 -o docs/plot.png "$@"
python3 scripts/make_report_picture.py -o docs/report.png
