/* bench_list.h — the row groups of ltx2-bench, in run order (later groups may compare
 * against rates recorded by earlier ones). Add a group: write bench/bench_<x>.c with
 * `void bench_<x>(bench *b)` and add one BENCH(<x>) line here. */
#ifndef LTX2_BENCH_CUDA_ONLY /* kernels-only and GPU-bundle builds bench the device alone */
BENCH(gemm)
BENCH(attention)
BENCH(conv3d)
BENCH(text)
BENCH(vae)
BENCH(transformer)
BENCH(pipeline)
BENCH(store)
#endif
#ifdef LTX2_CUDA
BENCH(cuda)
#ifndef LTX2_BENCH_NO_MODEL /* kernels-only builds have no model code */
BENCH(cuda_step)
#endif
#endif
