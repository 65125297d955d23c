#!/usr/bin/env bash
# Ctrl-C test: start an example graph (sized so that it runs for seconds), send SIGINT
# after each given delay, and require exit status 130, the "cancelled" line, at most
# 1 s of CPU time spent after the request (host-sim measures it; unlike wall-clock
# time, a busy machine does not inflate it, and the kernels' per-chunk cancel checks
# keep it small for any model size), and nothing partial in the output folder: no temp file, no WAV unless its node
# finished, and frames only as the complete set of a SaveVideoFrames that finished
# before the interrupted node (a save node is atomic; one that completed stays). A
# delay past the end of the run (fast machine) is noted and skipped; at least one must
# interrupt.
#   cancel_example.sh HOST_SIM MODELS WORKDIR GRAPH "DELAYS" [NAME=VALUE]...
set -uo pipefail
host_sim=$1 models=$2 work=$3 graph=$4 delays=$5
shift 5
root=$(cd "$(dirname "$0")/../.." && pwd)
FULL_FRAMES=41 # frames of a complete run: the graph's default, or FRAMES= below
for a in "$@"; do case "$a" in FRAMES=*) FULL_FRAMES=${a#FRAMES=} ;; esac; done
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
  cpu=$(sed -n 's/.* \([0-9]*\) ms of CPU time$/\1/p' "$out.log")
  echo "SIGINT after ${d} s: exit $rc in ${ms} ms wall (${where:-no message})"
  if [ "$rc" -ne 130 ]; then echo "FAIL: exit status $rc, expected 130"; cat "$out.log"; status=1; fi
  if [ -z "$cpu" ]; then echo "FAIL: no CPU time in the cancel line"; status=1
  elif [ "$cpu" -gt 1000 ]; then echo "FAIL: ${cpu} ms of CPU time after the request"; status=1; fi
  if [ -z "$where" ]; then echo "FAIL: no 'cancelled: interrupted at node' line"; status=1; fi
  left=$(find "$out" -type f 2>/dev/null)
  if [ -n "$left" ]; then
    case "$where" in
      *"(SaveAudio)"*)
        # frames were saved by the node before; they must be the full set, nothing else
        bad=$(printf '%s\n' "$left" | grep -v -E '/frames/frame_([0-9]{5}|contact)\.png$' || true)
        n=$(printf '%s\n' "$left" | grep -c -E '/frames/frame_[0-9]{5}\.png$')
        if [ -n "$bad" ] || [ "$n" -ne "$FULL_FRAMES" ] || [ ! -f "$out/frames/frame_contact.png" ]; then
          echo "FAIL: partial files left after the cancel:"; printf '%s\n' "$left"; status=1
        fi ;;
      *) echo "FAIL: files left after the cancel:"; printf '%s\n' "$left"; status=1 ;;
    esac
  fi
done
if [ "$interrupted" -eq 0 ]; then echo "FAIL: every run finished before its SIGINT"; status=1; fi
exit $status
