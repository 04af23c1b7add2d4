#!/usr/bin/env bash
# The README's "Monitoring" trial: a replay with 12 s of dead air and a dead-air alert (25 s), then
# two file feeds watched by `stream-tagger monitor` in real time (56.5 s), one of them the one
# with dead air; prints the lines, the messages and the as-run log of the feed with dead air.
# Needs ffmpeg (to make dead_air.wav) and the set-up .venv/.
#   bash scripts/monitor_demo.sh [STREAM_TAGGER]     # default: .venv/bin/stream-tagger
set -euo pipefail
cd "$(dirname "$0")/.."
tagger=${1:-.venv/bin/stream-tagger}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp assets/example.ogg "$work/"
cd "$work"
# the example's first 25 s with 5..17 s silenced
ffmpeg -loglevel error -i example.ogg -af "aeval='if(between(t,5,17),0,val(ch))':c=same" -t 25 dead_air.wav
echo '$ stream-tagger replay dead_air.wav --headless --alert "silence>=10" | grep alert'
$tagger replay dead_air.wav --headless --alert "silence>=10" 2>/dev/null | grep alert
cat > trial.toml <<'TOML'
log_dir = "logs"

[[feeds]]
name = "radio1"
file = "example.ogg"
alerts = ["silence>=10", "!music>=300"]

[[feeds]]
name = "studio"
file = "dead_air.wav"
alerts = ["silence>=10"]
TOML
echo '$ stream-tagger monitor trial.toml'
$tagger monitor trial.toml  # unquoted: a command of several words is allowed
echo '$ cat logs/studio/*.csv'
cat logs/studio/*.csv
