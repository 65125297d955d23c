#!/usr/bin/env bash
# One lent-GPU call's work, run there from the repository root with build-gpu, .gpuwt
# (tools/gpu_bundle.sh, PACK=1 TINY=1) and .ref (the official LTX-2 ltx-core, for the
# PyTorch baseline) carried: the gpu-labelled tests, the official forward's times and
# our CUDA bench rows beside them (RATIO lines), everything logged under $OUT.
#   tools/gpu_session.sh [CTEST_EXCLUDE_REGEX] [BENCH_ONLY...]
# Defaults: every gpu test the packed fixtures allow (none excluded) and the 768x512x121
# forward rows. LTX2_CUDA_PROFILE=1 in the environment adds a per-op table to each step row.
set -uo pipefail
out=${OUT:-/tmp/gpu_session}
mkdir -p "$out"
exclude=${1:-'^$'}
shift || true
[ $# -gt 0 ] || set -- 'cuda_step_768x512x121_fast!' cuda_step_768x512x121_fp8
export LD_LIBRARY_PATH=$PWD/build-gpu/deplibs:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
[ -x build-gpu/bin/fp8_probe ] && build-gpu/bin/fp8_probe > "$out/fp8.txt" 2>&1 && tail -2 "$out/fp8.txt"
python3 -c 'import tarfile; tarfile.open(".gpuwt/fixtures.tar.xz").extractall(".gpuwt")'
if [ -x .gpuwt/spm/spm_train ]; then
  build-gpu/bin/ltx2-make-tiny /tmp/tiny --seed 42 --spm-train "$PWD/.gpuwt/spm/spm_train" > /dev/null
  export LTX2_TINY_MODELS=/tmp/tiny
fi
timeout "${CTEST_SECONDS:-240}" ctest --test-dir build-gpu -L gpu -E "$exclude" -j8 --timeout 200 -V > "$out/ctest.txt" 2>&1
grep -E "tests passed|\*\*\*Failed|Not Run|frames: mean|: FAIL" "$out/ctest.txt" | head -40
shapes=${TORCH_SHAPES:-768x512x121}
PYTHONPATH=$PWD/.ref/ltx2/packages/ltx-core/src timeout "${TORCH_SECONDS:-150}" \
  python3 tools/torch_ref_forward.py --shapes "$shapes" --batches "${TORCH_BATCHES:-1}" --reps 3 > "$out/torch.txt" 2>&1
grep forward_ms "$out/torch.txt"
only=()
for o in "$@"; do only+=(--only "$o"); done
timeout "${BENCH_SECONDS:-240}" build-gpu/bin/ltx2-bench --device cuda --torch "$out/torch.txt" "${only[@]}" > "$out/bench.txt" 2>&1
grep -E "^cuda_|RATIO" "$out/bench.txt"
