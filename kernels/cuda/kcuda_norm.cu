/* kcuda_norm.cu — RMSNorm (PixelNorm), LayerNorm, GroupNorm and row softmax. Row ops
 * take one block per row (block reductions in shared memory); GroupNorm sums each
 * group over all positions in double (atomics), then normalises in a second launch. */
#include "kcuda_internal.h"

#include <math.h>
#include <stdint.h>

#define NORM_THREADS 256

/* Sum of v over the block (every thread gets the result). */
__device__ float block_sum(float v, float *red)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads(); /* red may still be read from the previous call */
    if (lane == 0) red[warp] = v;
    __syncthreads();
    float s = 0;
    for (int w = 0; w < (int)(blockDim.x / 32); w++) s += red[w];
    return s;
}

__device__ float block_max(float v, float *red)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads();
    if (lane == 0) red[warp] = v;
    __syncthreads();
    float m = -INFINITY;
    for (int w = 0; w < (int)(blockDim.x / 32); w++) m = fmaxf(m, red[w]);
    return m;
}

__global__ void rms_kernel(int64_t dim, const float *x, int64_t ldx, const float *w, float w_offset, float eps,
                           float *y, int64_t ldy)
{
    __shared__ float red[32];
    const float *xr = x + blockIdx.x * ldx;
    float *yr = y + blockIdx.x * ldy;
    float ss = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) ss += xr[i] * xr[i];
    ss = block_sum(ss, red);
    float inv = (float)(1.0 / sqrt((double)ss / (double)dim + eps));
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
        float v = xr[i] * inv;
        yr[i] = w ? v * (w_offset + w[i]) : v;
    }
}

/* The same for rows of a multiple of 4 floats on 16-byte boundaries (the transformer's
 * widths): 16-byte loads, and the row kept in registers between the sum and the scaling
 * when it fits (RMS_VEC float4 per thread), so it is read from memory once. */
#define RMS_VEC 4
__global__ void rms_kernel4(int64_t dim4, const float4 *x, int64_t ldx4, const float4 *w, float w_offset, float eps,
                            const float4 *ms, const float4 *mh, float4 *y, int64_t ldy4)
{
    __shared__ float red[32];
    const float4 *xr = x + blockIdx.x * ldx4;
    float4 *yr = y + blockIdx.x * ldy4;
    const bool held = dim4 <= (int64_t)RMS_VEC * blockDim.x;
    float4 keep[RMS_VEC];
    float ss = 0;
    if (held) {
#pragma unroll
        for (int j = 0; j < RMS_VEC; j++) {
            int64_t i = threadIdx.x + (int64_t)j * blockDim.x;
            keep[j] = i < dim4 ? xr[i] : make_float4(0.f, 0.f, 0.f, 0.f);
            ss += keep[j].x * keep[j].x + keep[j].y * keep[j].y + keep[j].z * keep[j].z + keep[j].w * keep[j].w;
        }
    } else {
        for (int64_t i = threadIdx.x; i < dim4; i += blockDim.x) {
            float4 v = xr[i];
            ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
        }
    }
    ss = block_sum(ss, red);
    const float inv = (float)(1.0 / sqrt((double)ss / (double)(dim4 * 4) + eps));
    for (int64_t j = 0, i = threadIdx.x; i < dim4; i += blockDim.x, j++) {
        float4 v = held ? keep[0] : xr[i];
        if (held) { /* registers indexed with constants only */
            if (j == 1) v = keep[1];
            if (j == 2) v = keep[2];
            if (j == 3) v = keep[3];
        }
        v.x *= inv, v.y *= inv, v.z *= inv, v.w *= inv;
        if (w) {
            const float4 g = w[i];
            v.x *= w_offset + g.x, v.y *= w_offset + g.y, v.z *= w_offset + g.z, v.w *= w_offset + g.w;
        }
        if (ms) { /* AdaLN modulation, as kcuda_modulate applies it to the stored result */
            const float4 a = ms[i], b = mh[i];
            v.x = v.x * (1.0f + a.x) + b.x, v.y = v.y * (1.0f + a.y) + b.y;
            v.z = v.z * (1.0f + a.z) + b.z, v.w = v.w * (1.0f + a.w) + b.w;
        }
        yr[i] = v;
    }
}

static bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

__global__ void ln_kernel(int64_t dim, const float *x, int64_t ldx, float eps, float *y, int64_t ldy)
{
    __shared__ float red[32];
    const float *xr = x + blockIdx.x * ldx;
    float *yr = y + blockIdx.x * ldy;
    float s = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i];
    float mean = (float)((double)block_sum(s, red) / (double)dim);
    float sd = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sd += (xr[i] - mean) * (xr[i] - mean);
    float inv = (float)(1.0 / sqrt((double)block_sum(sd, red) / (double)dim + eps));
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = (xr[i] - mean) * inv;
}

__global__ void softmax_kernel(int64_t n, float *x, int64_t ld)
{
    __shared__ float red[32];
    float *xr = x + blockIdx.x * ld;
    float m = -INFINITY;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m, red);
    if (m == -INFINITY) m = 0; /* all masked: zeros, not NaN */
    float s = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        float e = expf(xr[i] - m);
        xr[i] = e;
        s += e;
    }
    s = block_sum(s, red);
    float inv = s > 0 ? 1.0f / s : 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) xr[i] *= inv;
}

/* Per-group Σx and Σx² (double) over a chunk of positions per block row. */
__global__ void gn_sums_kernel(int64_t n_pos, int64_t c, int64_t cg, int64_t chunk, const float *x, double *sums)
{
    int64_t p0 = blockIdx.y * chunk, p1 = p0 + chunk < n_pos ? p0 + chunk : n_pos;
    for (int64_t ch = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; ch < c; ch += (int64_t)gridDim.x * blockDim.x) {
        double s = 0, ss = 0;
        for (int64_t p = p0; p < p1; p++) {
            double v = x[p * c + ch];
            s += v;
            ss += v * v;
        }
        int64_t g = ch / cg;
        atomicAdd(&sums[2 * g], s);
        atomicAdd(&sums[2 * g + 1], ss);
    }
}

__global__ void gn_apply_kernel(int64_t n_pos, int64_t c, int64_t cg, const double *sums, const float *gamma,
                                const float *beta, float eps, const float *x, float *y)
{
    double count = (double)n_pos * (double)cg;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n_pos * c;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t ch = i % c, g = ch / cg;
        double mean = sums[2 * g] / count;
        double var = sums[2 * g + 1] / count - mean * mean;
        float inv = (float)(1.0 / sqrt((var > 0 ? var : 0) + eps));
        float v = (x[i] - (float)mean) * inv;
        if (gamma) v *= gamma[ch];
        if (beta) v += beta[ch];
        y[i] = v;
    }
}

extern "C" kstatus kcuda_rmsnorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                                 const float *w, float w_offset, float eps, float *y, int64_t ldy)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK || rows <= 0 || dim <= 0) return s;
    if (rows > 0x7fffffff) return KS_BAD_ARG;
    if (dim % 4 == 0 && ldx % 4 == 0 && ldy % 4 == 0 && aligned16(x) && aligned16(y) && (!w || aligned16(w)))
        rms_kernel4<<<(unsigned)rows, NORM_THREADS, 0, ctx->cuda->stream>>>(
            dim / 4, (const float4 *)x, ldx / 4, (const float4 *)w, w_offset, eps, NULL, NULL, (float4 *)y, ldy / 4);
    else
        rms_kernel<<<(unsigned)rows, NORM_THREADS, 0, ctx->cuda->stream>>>(dim, x, ldx, w, w_offset, eps, y, ldy);
    return kcuda_check_launch(ctx->cuda, "rmsnorm");
}

extern "C" kstatus kcuda_pixelnorm(const kctx *ctx, int64_t n_pos, int64_t c, const float *x, float eps, float *y)
{
    return kcuda_rmsnorm(ctx, n_pos, c, x, c, NULL, 0.0f, eps, y, c);
}

extern "C" kstatus kcuda_layernorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                                   float eps, float *y, int64_t ldy)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK || rows <= 0 || dim <= 0) return s;
    if (rows > 0x7fffffff) return KS_BAD_ARG;
    ln_kernel<<<(unsigned)rows, NORM_THREADS, 0, ctx->cuda->stream>>>(dim, x, ldx, eps, y, ldy);
    return kcuda_check_launch(ctx->cuda, "layernorm");
}

extern "C" kstatus kcuda_softmax(const kctx *ctx, int64_t rows, int64_t n, float *x, int64_t ld)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK || rows <= 0 || n <= 0) return s;
    if (rows > 0x7fffffff) return KS_BAD_ARG;
    softmax_kernel<<<(unsigned)rows, NORM_THREADS, 0, ctx->cuda->stream>>>(n, x, ld);
    return kcuda_check_launch(ctx->cuda, "softmax");
}

extern "C" kstatus kcuda_groupnorm(const kctx *ctx, int64_t n_pos, int64_t c, int groups, const float *x,
                                   const float *gamma, const float *beta, float eps, float *y)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (n_pos <= 0 || c <= 0 || groups <= 0 || c % groups) return KS_BAD_ARG;
    kcuda *d = ctx->cuda;
    double *sums;
    if ((s = kcuda_scratch(d, sizeof(double) * 2 * (size_t)groups, (void **)&sums)) != KS_OK) return s;
    cudaError_t e = cudaMemsetAsync(sums, 0, sizeof(double) * 2 * (size_t)groups, d->stream);
    if (e != cudaSuccess) return kcuda_fail(d, e, "groupnorm memset");
    /* 256 positions per block row (enough blocks to fill the device), more when the
     * grid's y limit would be exceeded (full-resolution VAE activations) */
    int64_t chunk = (n_pos + 65534) / 65535;
    if (chunk < 256) chunk = 256;
    int64_t chunks = (n_pos + chunk - 1) / chunk;
    dim3 grid(kcuda_blocks_for(c, NORM_THREADS, 64), (unsigned)chunks);
    gn_sums_kernel<<<grid, NORM_THREADS, 0, d->stream>>>(n_pos, c, c / groups, chunk, x, sums);
    gn_apply_kernel<<<kcuda_blocks_for(n_pos * c, NORM_THREADS, 65535), NORM_THREADS, 0, d->stream>>>(
        n_pos, c, c / groups, sums, gamma, beta, eps, x, y);
    return kcuda_check_launch(d, "groupnorm");
}

/* RMSNorm (weight w) then RoPE in place on one row per block: the normalised row is
 * staged in shared memory, since a rotated pair spans half a head (split layout). Pair p
 * of a row: interleaved (2p, 2p+1); split, head h = p / half, j = p % half:
 * (2·half·h + j, 2·half·h + j + half); its angle is cos/sin[row][p]. */
__global__ void rms_rope_kernel(int dim, float *x, int64_t ldx, const float *w, float eps, int interleaved, int half,
                                int pairs, const float *cs, const float *sn, int64_t ld_cs)
{
    extern __shared__ float row[];
    __shared__ float red[32];
    float *xr = x + blockIdx.x * ldx;
    float ss = 0;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        const float v = xr[i];
        row[i] = v;
        ss += v * v;
    }
    ss = block_sum(ss, red); /* its barriers also publish row[] */
    const float inv = (float)(1.0 / sqrt((double)ss / (double)dim + eps));
    const float *c = cs + blockIdx.x * ld_cs, *s = sn + blockIdx.x * ld_cs;
    for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
        int ia, ib;
        if (interleaved) {
            ia = 2 * p;
            ib = ia + 1;
        } else {
            const int h = p / half, j = p - h * half;
            ia = 2 * half * h + j;
            ib = ia + half;
        }
        float va = row[ia] * inv, vb = row[ib] * inv;
        if (w) va *= w[ia], vb *= w[ib];
        const float cv = c[p], sv = s[p];
        xr[ia] = va * cv - vb * sv;
        xr[ib] = vb * cv + va * sv;
    }
}

extern "C" kstatus kcuda_rmsnorm_rope(const kctx *ctx, int64_t rows, int64_t dim, float *x, int64_t ldx,
                                      const float *w, float eps, krope_layout layout, int64_t head_dim,
                                      const float *cos, const float *sin, int64_t ld_cs)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    const int interleaved = layout == KROPE_INTERLEAVED;
    if (rows < 0 || dim < 2 || dim % 2 || !x || !cos || !sin || ldx < dim || ld_cs < dim / 2 || rows > 0x7fffffff ||
        (!interleaved && (layout != KROPE_SPLIT || head_dim < 2 || head_dim % 2 || dim % head_dim)))
        return KS_BAD_ARG;
    if (rows == 0) return KS_OK;
    kcuda *d = ctx->cuda;
    const size_t smem = (size_t)dim * sizeof(float);
    if (smem > d->smem_optin) { /* a row too wide to stage: the two ops */
        s = kcuda_rmsnorm(ctx, rows, dim, x, ldx, w, 0.0f, eps, x, ldx);
        return s != KS_OK ? s : kcuda_rope(ctx, layout, rows, dim, head_dim, x, ldx, cos, sin, ld_cs);
    }
    if (smem > 48 * 1024 &&
        cudaFuncSetAttribute(rms_rope_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess)
        return kcuda_check_launch(d, "rmsnorm+rope shared memory");
    const int half = interleaved ? 1 : (int)(head_dim / 2);
    rms_rope_kernel<<<(unsigned)rows, NORM_THREADS, smem, d->stream>>>((int)dim, x, ldx, w, eps, interleaved, half,
                                                                       (int)(dim / 2), cos, sin, ld_cs);
    return kcuda_check_launch(d, "rmsnorm+rope");
}

extern "C" kstatus kcuda_rmsnorm_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, float eps,
                                          const float *scale, const float *shift, float *y)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (rows < 0 || dim <= 0 || rows > 0x7fffffff || !scale || !shift) return KS_BAD_ARG;
    if (rows == 0) return KS_OK;
    if (dim % 4 || !aligned16(x) || !aligned16(y) || !aligned16(scale) || !aligned16(shift)) { /* the two ops */
        s = kcuda_rmsnorm(ctx, rows, dim, x, dim, NULL, 0.0f, eps, y, dim);
        return s != KS_OK ? s : kcuda_modulate(ctx, rows, dim, y, scale, shift, y);
    }
    rms_kernel4<<<(unsigned)rows, NORM_THREADS, 0, ctx->cuda->stream>>>(
        dim / 4, (const float4 *)x, dim / 4, NULL, 0.0f, eps, (const float4 *)scale, (const float4 *)shift,
        (float4 *)y, dim / 4);
    return kcuda_check_launch(ctx->cuda, "rmsnorm+modulate");
}
