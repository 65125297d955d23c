/* kcuda_finite.cu — the first NaN or infinity of a buffer (kernels/finite.c): every thread
 * lowers one shared minimum index with atomicMin; the host reads it back. */
#include "kcuda_internal.h"

#define FN_THREADS 256
#define FN_MAX_BLOCKS 4096u

__global__ void find_nonfinite_kernel(const float *x, int64_t n, unsigned long long *first)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        if ((__float_as_uint(x[i]) & 0x7f800000u) == 0x7f800000u) atomicMin(first, (unsigned long long)i);
}

extern "C" kstatus kcuda_find_nonfinite(const kctx *ctx, const float *x, int64_t n, int64_t *at)
{
    if (!at) return KS_BAD_ARG;
    *at = -1;
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (n < 0 || (n > 0 && !x)) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    kcuda *d = ctx->cuda;
    unsigned long long *first, host = ~0ull;
    if ((s = kcuda_scratch(d, sizeof host, (void **)&first)) != KS_OK) return s;
    cudaError_t e = cudaMemsetAsync(first, 0xff, sizeof host, d->stream); /* all ones: no index yet */
    if (e != cudaSuccess) return kcuda_fail(d, e, "find_nonfinite reset");
    find_nonfinite_kernel<<<kcuda_blocks_for(n, FN_THREADS, FN_MAX_BLOCKS), FN_THREADS, 0, d->stream>>>(x, n, first);
    if ((s = kcuda_check_launch(d, "find_nonfinite")) != KS_OK) return s;
    if ((s = kcuda_copy(d, &host, first, sizeof host, KCUDA_D2H)) != KS_OK) return s;
    *at = host == ~0ull ? -1 : (int64_t)host;
    return KS_OK;
}
