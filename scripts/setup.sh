#!/usr/bin/env bash
# The README's main command: install the Debian packages, build into build/, generate
# the tiny LTX-2 model set into models/tiny/ and run example graph 2 (distilled
# two-stage text → video + audio) on it.
#
#   scripts/setup.sh [PROMPT]
#
# Environment: JOBS (build parallelism, default 2), SEED (default 10),
# LTX2_SKIP_DEPS=1 to skip the package installation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
prompt=${1:-"A red kite drifts above the harbour at sunset while gulls call and waves break on the rocks."}
jobs=${JOBS:-2}

if [ "${LTX2_SKIP_DEPS:-0}" != 1 ]; then
  echo "== installing dependencies (scripts/install-deps.sh)"
  scripts/install-deps.sh
fi

echo "== building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

echo "== generating the tiny model set into models/tiny/"
build/bin/ltx2-make-tiny models/tiny --seed 42

out=$root/out/2_distilled_t2v_two_stage
echo "== running examples/2_distilled_t2v_two_stage.json"
rm -rf "$out"
MODELS=$root/models/tiny HOST_SIM=$root/build/bin/host-sim \
  examples/run.sh 2 PROMPT="$prompt" SEED="${SEED:-10}" OUT="$out"

n=$(find "$out/frames" -name 'frame_0*.png' | wc -l)
echo
echo "Done. Results:"
echo "  frames:        $out/frames/frame_00001.png ... ($n PNG frames)"
echo "  contact sheet: $out/frames/frame_contact.png"
echo "  audio:         $out/audio.wav"
echo "The tiny model has random weights: expect coloured noise, not a picture."
echo "Other graphs: examples/run.sh N [NAME=VALUE]... (docs/EXAMPLES.md)."
