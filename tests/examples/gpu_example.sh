#!/usr/bin/env bash
# GPU parity of one example graph: the tiny model (written into WORK), then the graph on the
# CPU and on cuda:0 with the same seed and precision, and the two outputs compared
# (compare_example: frames in 8-bit levels, audio by relative L2). Exit 77 (skip) where no
# CUDA device is usable. LTX2_TINY_MODELS names a tiny model folder written beforehand
# (machines without SentencePiece's spm_train, which the generator needs).
#   gpu_example.sh HOST_SIM MAKE_TINY COMPARE WORK GRAPH FRAMES PRECISION MEAN MAX AUDIO [NAME=VALUE]...
set -euo pipefail
host_sim=$1 make_tiny=$2 compare=$3 work=$4 graph=$5 frames=$6 prec=$7 mean=$8 max=$9 audio=${10}
shift 10
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work"
mkdir -p "$work"
models=${LTX2_TINY_MODELS:-$work/tiny}
[ -n "${LTX2_TINY_MODELS:-}" ] || "$make_tiny" "$work/tiny" --seed 42 > "$work/make_tiny.log"
run_on() { local dev=$1; shift; MODELS=$models HOST_SIM=$host_sim HOST_SIM_ARGS="--quiet --device $dev" \
  "$root/examples/run.sh" "$graph" OUT="$work/$dev" SEED=10 PRECISION="$prec" "$@" > "$work/$dev.log" 2>&1; }
if ! run_on cuda "${@}"; then
  if grep -q "error: --device" "$work/cuda.log"; then
    echo "SKIP: no usable CUDA device ($(sed -n 's/^error: --device [^:]*: //p' "$work/cuda.log" | head -1))"
    exit 77
  fi
  echo "FAIL: graph $graph on cuda exited with an error"; cat "$work/cuda.log"; exit 1
fi
run_on cpu "${@}" || { echo "FAIL: graph $graph on the CPU exited with an error"; cat "$work/cpu.log"; exit 1; }
"$compare" "$work/cpu" "$work/cuda" "$frames" "$mean" "$max" "$audio"
