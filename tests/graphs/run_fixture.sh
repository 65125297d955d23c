#!/usr/bin/env bash
# One fixture-graph test: run GRAPH in host-sim with the fixture's graph_vars, then
# compare what it saved to ${OUT}/<case>.out.safetensors against the fixture's out.* tensors.
# usage: run_fixture.sh HOST_SIM LTX2_FIXTURE GRAPH IO.safetensors TOLFILE FIXTURES_DIR OUT_DIR exact|fast [DEVICE]
# DEVICE (default cpu) goes to host-sim --device; a cuda device that is not usable
# (no GPU, driver or CUDA module) skips the test (exit 77) with host-sim's reason.
set -u
if [ $# -ne 8 ] && [ $# -ne 9 ]; then
  echo "usage: $0 HOST_SIM LTX2_FIXTURE GRAPH IO TOLFILE FIXTURES_DIR OUT_DIR exact|fast [DEVICE]" >&2
  exit 2
fi
host_sim=$1 tool=$2 graph=$3 io=$4 tol=$5 fixtures=$6 out=$7 precision=$8 device=${9:-cpu}

# A fresh output folder for every run: stale results must never pass.
rm -rf -- "$out" && mkdir -p -- "$out" || exit 1

"$tool" vars "$io" > "$out/vars.txt" || exit 1
vars=()
while IFS= read -r line || [ -n "$line" ]; do
  [ -z "$line" ] && continue
  vars+=(--var "${line#--var }")   # values keep their spaces exactly
done < "$out/vars.txt"

echo "+ host-sim run $graph --device $device (PRECISION=$precision, ${#vars[@]} graph var args)"
"$host_sim" run "$graph" --device "$device" --var "FIXTURES=$fixtures" --var "OUT=$out" \
  --var "PRECISION=$precision" "${vars[@]}" 2> "$out/stderr.txt"
rc=$?
cat "$out/stderr.txt" >&2
if [ $rc -eq 2 ] && [ "$device" != cpu ] && grep -q "^error: --device $device: " "$out/stderr.txt"; then
  echo "SKIP: no usable CUDA device ($(sed -n 's/^error: --device [^:]*: //p' "$out/stderr.txt" | head -1))"
  exit 77
fi
[ $rc -eq 0 ] || { echo "host-sim failed" >&2; exit 1; }

case_name=$(basename "$graph" .json)
result="$out/$case_name.out.safetensors"
if [ ! -f "$result" ]; then
  echo "the graph did not write \${OUT}/$case_name.out.safetensors" >&2
  exit 1
fi
fast=()
[ "$precision" = fast ] && fast=(--fast)
"$tool" compare "$io" "$result" "$tol" "${fast[@]}"
