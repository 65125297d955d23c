/* kcuda_text.cu — the Gemma text encoder's embedding gather and the feature extractor's
 * per-slab statistics (kernels/text_ops.c). The gather rounds each product on its own
 * (__fmul_rn), in the CPU's order; the statistics reduce each slab in one block in a
 * fixed tree order (deterministic; the double sum differs from the CPU's sequential one
 * only in its last bits). */
#include <float.h>

#include "kcuda_dtype.cuh"

#define TX_THREADS 256
#define TX_MAX_BLOCKS 65535u

__global__ void embed_rows_kernel(kdtype dt, const void *table, int64_t rows, int64_t ld, int64_t cols, float wscale,
                                  float scale, const int32_t *ids, int64_t n, float *y, int64_t ldy)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n * cols;
         i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t t = i / cols, d = i % cols;
        const int32_t id = ids[t];
        if (id < 0 || id >= rows) continue; /* the caller fills this row */
        y[t * ldy + d] = __fmul_rn(__fmul_rn(kcuda_load_as_f32(dt, table, (int64_t)id * ld + d), wscale), scale);
    }
}

extern "C" kstatus kcuda_embed_rows(const kctx *ctx, const kmat *table, const int32_t *ids, int64_t n, float scale,
                                    float *y, int64_t ldy)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (!table || n < 0 || ldy < table->cols) return KS_BAD_ARG;
    if (!n || !table->cols) return KS_OK;
    if (!ids || !y || !table->data) return KS_BAD_ARG;
    const unsigned blocks = kcuda_blocks_for(n * table->cols, TX_THREADS, TX_MAX_BLOCKS);
    embed_rows_kernel<<<blocks, TX_THREADS, 0, ctx->cuda->stream>>>(table->dtype, table->data, table->rows, table->ld,
                                                                    table->cols, table->scale, scale, ids, n, y, ldy);
    return kcuda_check_launch(ctx->cuda, "embed_rows");
}

/* One block per slab: strided partials, then a tree in shared memory. */
__global__ void sum_min_max_kernel(int64_t n, const float *x, double *sum, float *lo, float *hi)
{
    __shared__ double s_sum[TX_THREADS];
    __shared__ float s_lo[TX_THREADS], s_hi[TX_THREADS];
    const float *p = x + (int64_t)blockIdx.x * n;
    double acc = 0.0;
    float l = FLT_MAX, h = -FLT_MAX;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = p[i];
        acc += (double)v;
        l = v < l ? v : l;
        h = v > h ? v : h;
    }
    s_sum[threadIdx.x] = acc, s_lo[threadIdx.x] = l, s_hi[threadIdx.x] = h;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            const unsigned o = threadIdx.x + half;
            s_sum[threadIdx.x] += s_sum[o];
            s_lo[threadIdx.x] = s_lo[o] < s_lo[threadIdx.x] ? s_lo[o] : s_lo[threadIdx.x];
            s_hi[threadIdx.x] = s_hi[o] > s_hi[threadIdx.x] ? s_hi[o] : s_hi[threadIdx.x];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) sum[blockIdx.x] = s_sum[0], lo[blockIdx.x] = s_lo[0], hi[blockIdx.x] = s_hi[0];
}

extern "C" kstatus kcuda_sum_min_max(const kctx *ctx, int64_t slabs, int64_t n, const float *x, double *sum,
                                     float *lo, float *hi)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (slabs < 0 || n < 0 || slabs > (int64_t)INT32_MAX) return KS_BAD_ARG;
    if (!slabs) return KS_OK;
    if (!sum || !lo || !hi || (n && !x)) return KS_BAD_ARG;
    kcuda *d = ctx->cuda;
    const size_t bs = (size_t)slabs * sizeof(double), bf = (size_t)slabs * sizeof(float);
    char *buf;
    if ((st = kcuda_scratch(d, bs + 2 * bf, (void **)&buf)) != KS_OK) return st;
    double *dsum = (double *)buf;
    float *dlo = (float *)(buf + bs), *dhi = (float *)(buf + bs + bf);
    sum_min_max_kernel<<<(unsigned)slabs, TX_THREADS, 0, d->stream>>>(n, x, dsum, dlo, dhi);
    if ((st = kcuda_check_launch(d, "sum_min_max")) != KS_OK) return st;
    if ((st = kcuda_copy(d, sum, dsum, bs, KCUDA_D2H)) != KS_OK) return st;
    if ((st = kcuda_copy(d, lo, dlo, bf, KCUDA_D2H)) != KS_OK) return st;
    return kcuda_copy(d, hi, dhi, bf, KCUDA_D2H);
}
