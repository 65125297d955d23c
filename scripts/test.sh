#!/usr/bin/env bash
# Runs every test: the release build's ctest suite, the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, and short libFuzzer runs.
# Usage: scripts/test.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

# The CUDA backend (-DLTX2_CUDA=ON) is built wherever nvcc is: CI has it but no GPU, so
# the gpu-labelled tests skip there with a message (docs/TESTING.md says how they ran on
# a GPU). The sanitizer and fuzz builds leave it out: device code is not instrumented,
# and nvcc would triple their build time.
nvcc_path=$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
if [ -n "$nvcc_path" ]; then
  cuda_args=(-DLTX2_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc_path")
else
  echo "note: no nvcc found: the CUDA backend is not built"
  cuda_args=(-DLTX2_CUDA=OFF)
fi

echo "== release build + tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== AddressSanitizer + UBSan build + tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTX2_SANITIZE=ON -DLTX2_BENCH=OFF -DLTX2_CUDA=OFF >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# LeakSanitizer's own stop-the-world tracer sometimes crashes at process exit ("Tracer
# caught signal 11 ... LeakSanitizer has encountered a fatal error": google/sanitizers
# #1353; seen once here in examples.graph_4, not reproduced in ten reruns). That is not a
# leak report ("detected memory leaks") nor a test failure, so when the log shows it the
# failed tests run once more, and must pass then; anything else fails as it is.
if ! ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE nosan; then
  log=build-asan/Testing/Temporary/LastTest.log
  grep -q "LeakSanitizer has encountered a fatal error" "$log" || exit 1
  echo "note: LeakSanitizer's tracer crashed (not a leak report); rerunning the failed tests once"
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE nosan --rerun-failed
fi

unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== libFuzzer smoke runs"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTX2_FUZZ=ON -DLTX2_BENCH=OFF \
  -DLTX2_CUDA=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
ctest --test-dir build-fuzz --output-on-failure -L fuzz
