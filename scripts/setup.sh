#!/usr/bin/env bash
# Installs what stream-tagger needs on a fresh Debian machine (run as root, or with sudo).
#   scripts/setup.sh            runtime + GUI (for the quick start)
#   scripts/setup.sh --all      also training and test extras, and the test system packages
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
DEBS="libsndfile1 libportaudio2"
EXTRAS="gui"
if [ "${1:-}" = "--all" ]; then
  DEBS="$DEBS pulseaudio pulseaudio-utils libasound2-plugins xvfb libxcb-icccm4 libxcb-keysyms1 \
        libxcb-xinerama0 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 \
        libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1 libdbus-1-3 x11-utils praat fluid-soundfont-gm"
  EXTRAS="gui,train,test,bench"
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $DEBS >/dev/null
python3 -m pip install -q --upgrade pip
python3 -m pip install -q -e ".[${EXTRAS}]"
if [ "${1:-}" = "--all" ]; then
  # silero-vad for the peer benchmark: only its bundled ONNX model is used, so not its torch dependency
  python3 -m pip install -q --no-deps silero-vad
fi
