/* bench_cuda_util.c — see bench_cuda.h. */
#include "bench.h"
#include "bench_cuda.h"

#include <stdlib.h>

/* A device buffer of n random floats (uniform [-1, 1)), or NULL. */
float *bench_dev_random(kcuda *d, int64_t n, uint64_t seed)
{
    float *h = malloc(sizeof(float) * (size_t)n), *p = NULL;
    if (h) {
        bench_fill(h, n, seed);
        if (kcuda_alloc(d, sizeof(float) * (size_t)n, (void **)&p) == KS_OK &&
            kcuda_copy(d, p, h, sizeof(float) * (size_t)n, KCUDA_H2D) != KS_OK) {
            kcuda_free(d, p);
            p = NULL;
        }
    }
    free(h);
    return p;
}
