/* bench_cuda.h — helpers of the CUDA row groups (bench_cuda*.c). */
#ifndef LTX2_BENCH_CUDA_H
#define LTX2_BENCH_CUDA_H
#include "kcuda.h"

/* A device buffer of n random floats (uniform [-1, 1)), or NULL. */
float *bench_dev_random(kcuda *d, int64_t n, uint64_t seed);

#endif
