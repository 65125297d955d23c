#!/usr/bin/env bash
# One ComfyUI-class graph on the tiny model in ComfyUI's layout:
#   run_graph.sh HOST_SIM CHECKER GRAPH WORKDIR TINYDIR "FRAMES W H FPS CHANNELS SECONDS" [NAME=VALUE]...
# runs it (MODELS, INPUT and OUT point into TINYDIR / WORKDIR), then decodes every
# MP4 it wrote and checks it against the expectation; no temporary file may be left.
set -euo pipefail
host_sim=$1 checker=$2 graph=$3 work=$4 tiny=$5 expect=$6
shift 6
rm -rf "$work"
mkdir -p "$work"
args=(--var "MODELS=$tiny/models" --var "INPUT=$tiny/input" --var "OUT=$work")
for kv in "$@"; do args+=(--var "$kv"); done
if ! "$host_sim" run "$graph" "${args[@]}" --quiet > "$work/log" 2>&1; then
  echo "FAIL: $graph exited with an error"; cat "$work/log"; exit 1
fi
shopt -s nullglob
mp4=("$work"/*.mp4)
if [ ${#mp4[@]} -eq 0 ]; then echo "FAIL: no MP4 written"; cat "$work/log"; exit 1; fi
if [ -n "$(find "$work" -name '*.tmp*' -o -name '.*' -type f)" ]; then
  echo "FAIL: temporary files left in $work"; exit 1
fi
# shellcheck disable=SC2086
for f in "${mp4[@]}"; do "$checker" "$f" $expect; done
