#!/usr/bin/env bash
# Ctrl-C test: start an example graph (sized so that it runs for seconds), send SIGINT
# after each given delay, and require exit status 130 within 1 s, the "cancelled"
# line, and no frames or WAV (complete or partial) in the output folder. A delay past
# the end of the run (fast machine) is noted and skipped; at least one must interrupt.
#   cancel_example.sh HOST_SIM MODELS WORKDIR GRAPH "DELAYS" [NAME=VALUE]...
set -uo pipefail
host_sim=$1 models=$2 work=$3 graph=$4 delays=$5
shift 5
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
interrupted=0
for d in $delays; do
  out="$work/cancel_$d"
  rm -rf "$out"
  mkdir -p "$work"
  # setsid: a process group of its own, so the signal reaches host-sim only
  MODELS=$models HOST_SIM=$host_sim HOST_SIM_ARGS=--quiet setsid "$root/examples/run.sh" "$graph" OUT="$out" "$@" \
    > "$out.log" 2>&1 &
  pid=$!
  sleep "$d"
  if ! kill -0 "$pid" 2>/dev/null; then
    # a fast machine: this point is past the end of the run, not a failure
    wait "$pid"
    echo "note: the run finished before ${d} s; no SIGINT sent"; continue
  fi
  interrupted=$((interrupted + 1))
  t0=$(date +%s%N)
  kill -INT "$pid"
  wait "$pid"
  rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  where=$(grep -o 'interrupted at node.*' "$out.log" || true)
  echo "SIGINT after ${d} s: exit $rc in ${ms} ms (${where:-no message})"
  if [ "$rc" -ne 130 ]; then echo "FAIL: exit status $rc, expected 130"; cat "$out.log"; status=1; fi
  if [ "$ms" -gt 1000 ]; then echo "FAIL: took ${ms} ms to stop"; status=1; fi
  if [ -z "$where" ]; then echo "FAIL: no 'cancelled: interrupted at node' line"; status=1; fi
  if [ -n "$(find "$out" -type f 2>/dev/null)" ]; then
    echo "FAIL: files left after the cancel:"; find "$out" -type f; status=1
  fi
done
if [ "$interrupted" -eq 0 ]; then echo "FAIL: every run finished before its SIGINT"; status=1; fi
exit $status
