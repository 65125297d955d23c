#!/usr/bin/env bash
# Runs one example graph with host-sim, filling every ${VAR} with its documented
# default (docs/EXAMPLES.md) unless given as NAME=VALUE.
#
#   examples/run.sh 2 PROMPT="a fox in the snow" SEED=7
#   MODELS=/data/ltx2 examples/run.sh 2 CKPT=/data/ltx2/ltx-2-19b-distilled.safetensors ...
#
# Environment: MODELS (default models/tiny), HOST_SIM (default build/bin/host-sim),
# HOST_SIM_ARGS (extra host-sim arguments, e.g. "--quiet" or "--events x.ndjson").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
[ $# -ge 1 ] || { echo "usage: $0 N|GRAPH.json [NAME=VALUE]..." >&2; exit 2; }
graph=$1; shift
if [ ! -f "$graph" ]; then
  m=("$here/${graph}"_*.json)
  [ -f "${m[0]}" ] || { echo "$0: no example graph $graph" >&2; exit 2; }
  graph=${m[0]}
fi
name=$(basename "$graph" .json)
MODELS=${MODELS:-$root/models/tiny}
HOST_SIM=${HOST_SIM:-$root/build/bin/host-sim}

declare -A v=(
  [CKPT]="$MODELS/ltx-2-tiny-distilled.safetensors"
  [GEMMA]="$MODELS/gemma"
  [SPATIAL_UPSCALER]="$MODELS/ltx-2-tiny-spatial-upscaler-x2.safetensors"
  [TEMPORAL_UPSCALER]="$MODELS/ltx-2-tiny-temporal-upscaler-x2.safetensors"
  [LORA]="$MODELS/ltx-2-tiny-lora.safetensors"
  [LORA_STRENGTH]=1.0
  [IMAGE]="$MODELS/images/start.png"
  [END_IMAGE]="$MODELS/images/end.png"
  [IMAGE_STRENGTH]=1.0
  [PROMPT]="A red kite drifts above the harbour at sunset while gulls call and waves break on the rocks."
  [NEGATIVE_PROMPT]="blurry, out of focus, overexposed, low contrast, flickering, distorted voice, background noise"
  [MAX_LENGTH]=1024
  [PRECISION]=fast
  [SEED]=10
  [WIDTH]=512 [HEIGHT]=320 [HALF_WIDTH]=256 [HALF_HEIGHT]=160
  [FRAMES]=41 [FPS]=24 [OUT_FPS]=48 [END_FRAME]=40
  [STEPS]=40
  [VIDEO_CFG]=3.0 [VIDEO_STG]=1.0 [VIDEO_MODALITY]=3.0 [VIDEO_RESCALE]=0.7
  [AUDIO_CFG]=7.0 [AUDIO_STG]=1.0 [AUDIO_MODALITY]=3.0 [AUDIO_RESCALE]=0.7
  [STG_BLOCKS]=1
  [TILE_SIZE]=256 [TILE_OVERLAP]=64 [TEMPORAL_TILE_SIZE]=24 [TEMPORAL_OVERLAP]=8
  [OUT]="$root/out/$name"
)
for kv in "$@"; do
  case $kv in
    *=*) v[${kv%%=*}]=${kv#*=} ;;
    *) echo "$0: expected NAME=VALUE, got '$kv'" >&2; exit 2 ;;
  esac
done
args=()
for k in "${!v[@]}"; do
  # pass only the variables this graph uses
  grep -q "\${$k}" "$graph" && args+=(--var "$k=${v[$k]}")
done
# shellcheck disable=SC2086
exec "$HOST_SIM" run "$graph" "${args[@]}" ${HOST_SIM_ARGS:-}
