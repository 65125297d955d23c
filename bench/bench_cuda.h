/* bench_cuda.h — helpers of the CUDA row groups (bench_cuda*.c). */
#ifndef LTX2_BENCH_CUDA_H
#define LTX2_BENCH_CUDA_H
#include "kcuda.h"

/* Device buffers of n floats, or NULL: a copy of host h (NULL h: NULL), random values
 * (uniform [-1, 1)), or the constant v. */
float *bench_dev_copy(kcuda *d, const float *h, int64_t n);
float *bench_dev_random(kcuda *d, int64_t n, uint64_t seed);
float *bench_dev_const(kcuda *d, int64_t n, float v);

#endif
