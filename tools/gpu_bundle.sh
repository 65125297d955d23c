#!/usr/bin/env bash
# Builds what a GPU test machine runs when it has the NVIDIA driver and CUDA runtime but
# none of our -dev packages (the lent device of docs/TESTING.md): a Release build for
# sm_90 without FFmpeg (LTX2_VIDEO=OFF), reduced to the programs the gpu-labelled tests
# run, the non-system shared libraries they load (build-gpu/deplibs), and the fixtures
# those tests read (.gpuwt/fixtures). Then, on that machine, from the repository root
# (the same absolute path as here), with build-gpu and .gpuwt carried:
#   LD_LIBRARY_PATH=$PWD/build-gpu/deplibs ctest --test-dir build-gpu -L gpu
#   LD_LIBRARY_PATH=$PWD/build-gpu/deplibs build-gpu/bin/ltx2-bench --device cuda
# or both, with the official PyTorch forward beside the bench: tools/gpu_session.sh.
# A carried call holds 64 MiB: the fixtures go in two groups (CASE_REGEX, SKIP_REGEX),
# by default everything but the 39 MB two-stage pipeline, then that one alone; PACK=1
# packs them; TINY=1 adds what writing the example tests' tiny model on the device needs
# (then there: ltx2-make-tiny /tmp/tiny --seed 42 --spm-train $PWD/.gpuwt/spm/spm_train;
# export LTX2_TINY_MODELS=/tmp/tiny).
# usage: [PACK=1] [TINY=1] tools/gpu_bundle.sh [FIXTURES_DIR] [CASE_REGEX] [SKIP_REGEX]
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/fixtures}
cases=${2:-'.'}
skip=${3:-'^pipeline_'}
root=$PWD
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DLTX2_VIDEO=OFF -DLTX2_SERVE=OFF -DLTX2_CUDA=ON -DLTX2_BENCH=ON -DLTX2_BENCH_CUDA_ONLY=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DLTX2_FIXTURES="$root/.gpuwt/fixtures" >/dev/null
cmake --build build-gpu -j"$(nproc)" >/dev/null

# Keep the programs the gpu tests name, the plugin and the CUDA module; drop the rest.
keep=$(ctest --test-dir build-gpu -L gpu -N -V 2>/dev/null | sed -n 's/.*Test command: //p' |
  tr ' "' '\n\n' | grep "^$root/build-gpu/bin/" | sort -u | tr '\n' ' ')
keep="$keep $root/build-gpu/bin/ltx2-bench"
for f in build-gpu/bin/*; do
  case " $keep " in *" $root/$f "*) strip "$f" ;; *) rm -f "$f" ;; esac
done
# cuBLASLt's FP8 layouts on the card (a diagnostic, tools/fp8_probe.c)
cc -O2 -Wall -Wextra tools/fp8_probe.c -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcublasLt -lcudart \
  -o build-gpu/bin/fp8_probe
find build-gpu -name CMakeFiles -type d -prune -exec rm -rf {} +
find build-gpu -name '*.a' -delete

# Libraries outside the base system (json-c, png, zlib, sentencepiece, uv, ...); the CUDA
# runtime and cuBLASLt are the machine's own.
rm -rf build-gpu/deplibs && mkdir -p build-gpu/deplibs
for f in build-gpu/bin/* build-gpu/lib/*.so; do
  ldd "$f" | awk '/=> \//{print $3}'
done | sort -u | grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libgcc_s|libstdc\+\+|libcudart|libcublasLt|libcublas)\.so' |
  while read -r lib; do cp -L "$lib" build-gpu/deplibs/; done

rm -rf .gpuwt && mkdir -p .gpuwt/fixtures
for f in "$src"/*; do
  b=$(basename "$f")
  if echo "$b" | grep -q -E "$cases" && ! echo "$b" | grep -q -E "$skip"; then cp "$f" .gpuwt/fixtures/; fi
done
# Packed (about 45% smaller): unpack on the device with
#   python3 -c 'import tarfile; tarfile.open(".gpuwt/fixtures.tar.xz").extractall(".gpuwt")'
if [ "${PACK:-0}" = 1 ]; then
  tar cf - -C .gpuwt fixtures | xz -6 -T2 > .gpuwt/fixtures.tar.xz && rm -rf .gpuwt/fixtures
fi
# The example tests' tiny model is written on the device (ltx2-make-tiny is in the
# bundle); SentencePiece's spm_train is not there, so its tokenizer, made here, is copied
# in by a stand-in: ltx2-make-tiny DIR --spm-train $PWD/.gpuwt/spm/spm_train
if [ "${TINY:-0}" = 1 ]; then
  mkdir -p .gpuwt/spm
  build-gpu/bin/ltx2-make-tiny .gpuwt/spm/tiny --seed 42 >/dev/null
  cp .gpuwt/spm/tiny/gemma/tokenizer.model .gpuwt/spm/ && rm -rf .gpuwt/spm/tiny
  printf '#!/bin/sh\nexec cp "$(dirname "$0")/tokenizer.model" tokenizer.model\n' > .gpuwt/spm/spm_train
  chmod +x .gpuwt/spm/spm_train
fi
du -sh build-gpu .gpuwt | tr '\n' ' '
echo
