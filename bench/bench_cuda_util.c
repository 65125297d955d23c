/* bench_cuda_util.c — see bench_cuda.h. */
#include "bench.h"
#include "bench_cuda.h"

#include <stdlib.h>

float *bench_dev_copy(kcuda *d, const float *h, int64_t n)
{
    float *p = NULL;
    if (h && kcuda_alloc(d, sizeof(float) * (size_t)n, (void **)&p) == KS_OK &&
        kcuda_copy(d, p, h, sizeof(float) * (size_t)n, KCUDA_H2D) != KS_OK) {
        kcuda_free(d, p);
        p = NULL;
    }
    return p;
}

float *bench_dev_random(kcuda *d, int64_t n, uint64_t seed)
{
    float *h = malloc(sizeof(float) * (size_t)n);
    if (h) bench_fill(h, n, seed);
    float *p = bench_dev_copy(d, h, n);
    free(h);
    return p;
}

float *bench_dev_const(kcuda *d, int64_t n, float v)
{
    float *h = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; h && i < n; i++) h[i] = v;
    float *p = bench_dev_copy(d, h, n);
    free(h);
    return p;
}
