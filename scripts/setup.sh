#!/usr/bin/env bash
# Installs what stream-tagger needs on a fresh Debian or Ubuntu machine (run as root, or with sudo),
# into a virtual environment in the checkout, .venv/, so that the system Python stays untouched
# (Debian 12 and Ubuntu refuse pip installs into it, PEP 668).
#   scripts/setup.sh            runtime + GUI (for the quick start)
#   scripts/setup.sh --all      also the training, test, benchmark, cluster and monitor extras,
#                               and the system packages the tests use (PulseAudio, Xvfb, Praat, ffmpeg, Chromium)
#                               and npm (the corpus build fetches npm packages with npm pack)
# The Python is the first python3 on PATH (3.11 or newer), or $PYTHON if set.
# Afterwards: .venv/bin/stream-tagger ..., or `source .venv/bin/activate` and then stream-tagger ...
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null; then
  echo "setup.sh: error: no $PY on PATH (Python 3.11 or newer is needed; set PYTHON=...)" >&2; exit 1
fi
PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup.sh: error: $PY is Python $PYVER; 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1
fi
DEBS="libsndfile1 libportaudio2"
EXTRAS="gui"
if [ "${1:-}" = "--all" ]; then
  DEBS="$DEBS pulseaudio pulseaudio-utils libasound2-plugins xvfb libxcb-icccm4 libxcb-keysyms1 \
        libxcb-xinerama0 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 \
        libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1 libdbus-1-3 x11-utils praat fluid-soundfont-gm \
        ffmpeg chromium npm"   # npm: the corpus build's npm sources (npm pack)
  EXTRAS="gui,train,test,bench,cluster,monitor"
fi
# Debian's and Ubuntu's own Python lacks ensurepip until pythonX.Y-venv is installed
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  DEBS="$DEBS python${PYVER}-venv"
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $DEBS >/dev/null
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  rm -rf .venv
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
$VPY -m pip install -q --upgrade pip
$VPY -m pip install -q -e ".[${EXTRAS}]"
if [ "${1:-}" = "--all" ]; then
  # silero-vad for the peer benchmark: only its bundled ONNX model is used, so not its torch dependency
  $VPY -m pip install -q --no-deps silero-vad
fi
