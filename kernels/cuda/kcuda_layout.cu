/* kcuda_layout.cu — RoPE (split and interleaved, and its tables) and the channels-last layout ops:
 * one thread per output element (per rotated pair for RoPE), index maps as in
 * kernels/rope.c and kernels/layout.c. */
#include <cuda_bf16.h>

#include "kcuda_internal.h"

#define LAYOUT_THREADS 256

#define GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

static unsigned grid_for(int64_t n) { return kcuda_blocks_for(n, LAYOUT_THREADS, 65535u); }

/* pairs: rotated pairs per token (dim/2 interleaved; whole heads only for split) */
__global__ void rope_kernel(int interleaved, int64_t tokens, int64_t pairs, int64_t half, float *x, int64_t ldx,
                            const float *cs, const float *sn, int64_t ld_cs)
{
    GRID_STRIDE(i, tokens * pairs)
    {
        int64_t t = i / pairs, p = i % pairs;
        float *xr = x + t * ldx;
        int64_t ia, ib;
        if (interleaved) {
            ia = 2 * p;
            ib = ia + 1;
        } else {
            int64_t h = p / half, j = p % half;
            ia = h * 2 * half + j;
            ib = ia + half;
        }
        float c = cs[t * ld_cs + p], s = sn[t * ld_cs + p];
        float va = xr[ia], vb = xr[ib];
        xr[ia] = va * c - vb * s;
        xr[ib] = vb * c + va * s;
    }
}

/* depth-to-space (d2s = 1) or its inverse: the big side is [t*pt][h*ph][w*pw][c], the
 * small side [t][h][w][c*pt*ph*pw]; one thread per element of the big side. The small
 * side's channel is ci*pt*ph*pw + sub, sub = (i*ph + j)*pw + k, or (i*pw + k)*ph + j
 * when w_major (the video VAE's patch order). */
__global__ void d2s_kernel(int d2s, int w_major, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph, int pw,
                           const float *x, float *y)
{
    int64_t H = h * ph, W = w * pw, n = t * pt * H * W * c;
    GRID_STRIDE(i, n)
    {
        int64_t ci = i % c, r = i / c;
        int64_t wo = r % W, ho = (r / W) % H, to = r / (W * H);
        int64_t pi = to % pt, pj = ho % ph, pk = wo % pw;
        int64_t sub = w_major ? (pi * pw + pk) * ph + pj : (pi * ph + pj) * pw + pk;
        int64_t cs = ci * pt * ph * pw + sub;
        int64_t small = (((to / pt) * h + ho / ph) * w + wo / pw) * (c * pt * ph * pw) + cs;
        if (d2s)
            y[i] = x[small];
        else
            y[small] = x[i];
    }
}

__global__ void upsample_kernel(int64_t t, int64_t h, int64_t w, int64_t c, int ft, int fh, int fw, const float *x,
                                float *y)
{
    int64_t H = h * fh, W = w * fw, n = t * ft * H * W * c;
    GRID_STRIDE(i, n)
    {
        int64_t ci = i % c, r = i / c;
        int64_t wo = r % W, ho = (r / W) % H, to = r / (W * H);
        y[i] = x[(((to / ft) * h + ho / fh) * w + wo / fw) * c + ci];
    }
}

#define TR_TILE 32

__global__ void transpose_kernel(int64_t rows, int64_t cols, const float *x, float *y)
{
    __shared__ float tile[TR_TILE][TR_TILE + 1];
    int64_t r0 = blockIdx.y * (int64_t)TR_TILE, c0 = blockIdx.x * (int64_t)TR_TILE;
    for (int k = threadIdx.y; k < TR_TILE; k += blockDim.y) {
        int64_t r = r0 + k, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[k][threadIdx.x] = x[r * cols + c];
    }
    __syncthreads();
    for (int k = threadIdx.y; k < TR_TILE; k += blockDim.y) {
        int64_t c = c0 + k, r = r0 + threadIdx.x;
        if (r < rows && c < cols) y[c * rows + r] = tile[threadIdx.x][k];
    }
}

extern "C" kstatus kcuda_rope(const kctx *ctx, krope_layout layout, int64_t tokens, int64_t dim, int64_t head_dim,
                              float *x, int64_t ldx, const float *cos, const float *sin, int64_t ld_cs)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK || tokens <= 0 || dim <= 1) return s;
    int interleaved = layout == KROPE_INTERLEAVED;
    int64_t half = head_dim / 2;
    if (!interleaved && half <= 0) return KS_OK; /* the CPU rotates nothing either */
    int64_t pairs = interleaved ? dim / 2 : (dim / (2 * half)) * half;
    rope_kernel<<<grid_for(tokens * pairs), LAYOUT_THREADS, 0, ctx->cuda->stream>>>(interleaved, tokens, pairs, half,
                                                                                    x, ldx, cos, sin, ld_cs);
    return kcuda_check_launch(ctx->cuda, "rope");
}

static kstatus d2s(const kctx *ctx, int dir, int w_major, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph,
                   int pw, const float *x, float *y)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (t < 0 || h < 0 || w < 0 || c < 0 || pt <= 0 || ph <= 0 || pw <= 0) return KS_BAD_ARG;
    if (!t || !h || !w || !c) return KS_OK;
    d2s_kernel<<<grid_for(t * h * w * c * pt * ph * pw), LAYOUT_THREADS, 0, ctx->cuda->stream>>>(dir, w_major, t, h, w,
                                                                                                c, pt, ph, pw, x, y);
    return kcuda_check_launch(ctx->cuda, "depth/space");
}

extern "C" kstatus kcuda_depth_to_space3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph,
                                          int pw, const float *x, float *y)
{
    return d2s(ctx, 1, 0, t, h, w, c, pt, ph, pw, x, y);
}

extern "C" kstatus kcuda_space_to_depth3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph,
                                          int pw, const float *x, float *y)
{
    return d2s(ctx, 0, 0, t, h, w, c, pt, ph, pw, x, y);
}

/* The VAE's patchify is space-to-depth over (1, p, p) in w-major patch order. */
extern "C" kstatus kcuda_patchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x,
                                    float *y)
{
    return d2s(ctx, 0, 1, t, h, w, c, 1, p, p, x, y);
}

extern "C" kstatus kcuda_unpatchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p,
                                      const float *x, float *y)
{
    return d2s(ctx, 1, 1, t, h, w, c, 1, p, p, x, y);
}

/* x [rows][cols][width] → y [cols][rows][width] */
__global__ void transpose_blocks_kernel(int64_t rows, int64_t cols, int64_t width, const float *x, float *y)
{
    GRID_STRIDE(o, rows * cols * width)
    {
        int64_t e = o % width, r = (o / width) % rows, j = o / (width * rows);
        y[o] = x[(r * cols + j) * width + e];
    }
}

extern "C" kstatus kcuda_transpose_blocks(const kctx *ctx, int64_t rows, int64_t cols, int64_t width, const float *x,
                                          float *y)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (rows < 0 || cols < 0 || width < 0) return KS_BAD_ARG;
    if (!rows || !cols || !width) return KS_OK;
    transpose_blocks_kernel<<<grid_for(rows * cols * width), LAYOUT_THREADS, 0, ctx->cuda->stream>>>(rows, cols, width,
                                                                                                     x, y);
    return kcuda_check_launch(ctx->cuda, "transpose_blocks");
}

extern "C" kstatus kcuda_upsample_nearest3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int ft,
                                            int fh, int fw, const float *x, float *y)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK || t <= 0 || h <= 0 || w <= 0 || c <= 0 || ft <= 0 || fh <= 0 || fw <= 0) return s;
    upsample_kernel<<<grid_for(t * ft * h * fh * w * fw * c), LAYOUT_THREADS, 0, ctx->cuda->stream>>>(t, h, w, c, ft,
                                                                                                      fh, fw, x, y);
    return kcuda_check_launch(ctx->cuda, "upsample_nearest3d");
}

extern "C" kstatus kcuda_transpose2d(const kctx *ctx, int64_t rows, int64_t cols, const float *x, float *y)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK || rows <= 0 || cols <= 0) return s;
    int64_t gy = (rows + TR_TILE - 1) / TR_TILE;
    if (gy > 65535) return KS_BAD_ARG;
    dim3 grid((unsigned)((cols + TR_TILE - 1) / TR_TILE), (unsigned)gy), block(TR_TILE, 8);
    transpose_kernel<<<grid, block, 0, ctx->cuda->stream>>>(rows, cols, x, y);
    return kcuda_check_launch(ctx->cuda, "transpose2d");
}

/* One thread per (token, slot): kernels/rope.c's k_rope_table, same f32 arithmetic. */
__global__ void rope_table_kernel(krope_table t, const float *freq, float *cos_t, float *sin_t)
{
    const int64_t total = t.n * t.half;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        const int64_t i = e / t.half;
        const int slot = (int)(e - i * t.half), r = slot - t.pad;
        float c = 1.0f, s = 0.0f;
        if (r >= 0 && r < t.nf * t.n_axes) {
            const int k = r / t.n_axes, ax = r - k * t.n_axes;
            const float *pa = t.positions + (int64_t)ax * t.n * 2 + 2 * i;
            const float pos = t.middle ? (pa[0] + pa[1]) / 2.0f : pa[0];
            const float w = pos / t.max_pos[ax] * 2.0f - 1.0f;
            const float ang = freq[k] * w;
            c = cosf(ang);
            s = sinf(ang);
        }
        if (t.round_bf16) {
            c = __bfloat162float(__float2bfloat16_rn(c));
            s = __bfloat162float(__float2bfloat16_rn(s));
        }
        cos_t[e] = c;
        sin_t[e] = s;
    }
}

extern "C" kstatus kcuda_rope_table(const kctx *ctx, const krope_table *t, float *cos_t, float *sin_t)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (!k_rope_table_ok(t, cos_t, sin_t)) return KS_BAD_ARG;
    if (t->n == 0 || t->half == 0) return KS_OK;
    kcuda *d = ctx->cuda;
    float *freq = NULL;
    if ((st = kcuda_scratch(d, sizeof(float) * (size_t)(t->nf > 0 ? t->nf : 1), (void **)&freq)) != KS_OK) return st;
    /* pageable source: the copy is staged before cudaMemcpyAsync returns */
    cudaError_t e = cudaMemcpyAsync(freq, t->freq, sizeof(float) * (size_t)t->nf, cudaMemcpyHostToDevice, d->stream);
    if (e != cudaSuccess) return kcuda_fail(d, e, "RoPE frequencies");
    rope_table_kernel<<<grid_for(t->n * t->half), LAYOUT_THREADS, 0, d->stream>>>(*t, freq, cos_t, sin_t);
    return kcuda_check_launch(d, "rope table");
}
