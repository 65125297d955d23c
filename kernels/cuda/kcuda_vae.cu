/* kcuda_vae.cu — the video VAE's and latent upscaler's per-element steps (latent
 * (un)normalization with the layout change, the up/down residuals, the rational
 * upsampler's blur, the tiled decode's crop / blend / weighted average) with the formulas
 * of kernels/vae_ops.c. Products and sums use the _rn intrinsics so nvcc does not fuse
 * them into FMAs: the results are the CPU's bit for bit. */
#include "kcuda_internal.h"

#define VO_THREADS 256

#define GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

static unsigned grid_for(int64_t n) { return kcuda_blocks_for(n, VO_THREADS, 65535u); }

/* one thread per output element x[i][c] */
__global__ void unnorm_kernel(int64_t C, int64_t n, const float *z, const float *noise, float s, const float *mean,
                              const float *std, float *x)
{
    GRID_STRIDE(e, C * n)
    {
        const int64_t i = e / C, c = e % C;
        float v = z[c * n + i];
        if (noise) v = __fadd_rn(__fmul_rn(noise[c * n + i], s), __fmul_rn(1.0f - s, v));
        x[e] = __fadd_rn(__fmul_rn(v, std[c]), mean[c]);
    }
}

/* one thread per output element z[c][i] */
__global__ void norm_kernel(int64_t n, int64_t C, const float *x, int64_t ldx, const float *mean, const float *std,
                            float *z)
{
    GRID_STRIDE(e, C * n)
    {
        const int64_t c = e / n, i = e % n;
        z[e] = __fsub_rn(x[i * ldx + c], mean[c]) / std[c];
    }
}

__global__ void add_repeat_kernel(int64_t rows, int64_t dim, const float *x, int64_t xdim, float *y)
{
    GRID_STRIDE(e, rows * dim)
    {
        const int64_t r = e / dim, j = e % dim;
        y[e] = __fadd_rn(y[e], x[r * xdim + j % xdim]);
    }
}

__global__ void group_mean_kernel(int64_t rows, int64_t dim, int64_t g, const float *x, float *y)
{
    GRID_STRIDE(e, rows * dim)
    {
        const float *s = x + e * g; /* row r, group k: (r·dim + k)·g */
        float acc = 0.0f;
        for (int64_t q = 0; q < g; q++) acc = __fadd_rn(acc, s[q]);
        y[e] = __fadd_rn(y[e], acc / (float)g);
    }
}

/* one thread per output element y[t][i][j][ch] */
__global__ void blur_kernel(int64_t t, int64_t h, int64_t w, int64_t c, int64_t ho, int64_t wo, const float *kern,
                            int k, int stride, const float *x, float *y)
{
    const int half = k / 2;
    GRID_STRIDE(e, t * ho * wo * c)
    {
        const int64_t ch = e % c, j = (e / c) % wo, i = (e / (c * wo)) % ho, f = e / (c * wo * ho);
        float acc = 0.0f;
        for (int di = 0; di < k; di++) {
            const int64_t si = i * stride + di - half;
            if (si < 0 || si >= h) continue;
            for (int dj = 0; dj < k; dj++) {
                const int64_t sj = j * stride + dj - half;
                if (sj < 0 || sj >= w) continue;
                acc = __fadd_rn(acc, __fmul_rn(kern[di * k + dj], x[((f * h + si) * w + sj) * c + ch]));
            }
        }
        y[e] = acc;
    }
}

__global__ void crop_kernel(int64_t n, kbox3d b, const float *x, float *y)
{
    GRID_STRIDE(e, n * b.nt * b.nh * b.nw)
    {
        const int64_t j = e % b.nw, i = (e / b.nw) % b.nh, a = (e / (b.nw * b.nh)) % b.nt;
        const int64_t q = e / (b.nw * b.nh * b.nt);
        y[e] = x[((q * b.t + b.t0 + a) * b.h + b.h0 + i) * b.w + b.w0 + j];
    }
}

__global__ void blend_kernel(kbox3d b, int64_t ch, const float *x, int64_t xh, int64_t xw, const float *mt,
                             const float *mh, const float *mw, float *y)
{
    GRID_STRIDE(e, b.nt * b.nh * b.nw * ch)
    {
        const int64_t k = e % ch, j = (e / ch) % b.nw, i = (e / (ch * b.nw)) % b.nh, a = e / (ch * b.nw * b.nh);
        const float m = __fmul_rn(__fmul_rn(mt[a], mh[i]), mw[j]);
        float *dst = y + (((b.t0 + a) * b.h + b.h0 + i) * b.w + b.w0 + j) * ch + k;
        *dst = __fadd_rn(*dst, __fmul_rn(x[((a * xh + i) * xw + j) * ch + k], m));
    }
}

__global__ void div_kernel(int64_t t, int64_t h, int64_t w, int64_t ch, const float *wt, const float *wh,
                           const float *ww, float min_w, float *y)
{
    GRID_STRIDE(e, t * h * w * ch)
    {
        const int64_t j = (e / ch) % w, i = (e / (ch * w)) % h, a = e / (ch * w * h);
        float ws = __fmul_rn(__fmul_rn(wt[a], wh[i]), ww[j]);
        if (ws < min_w) ws = min_w;
        y[e] = y[e] / ws;
    }
}

/* The prologue: *run when there are n > 0 elements and the pointers are given. */
static kstatus op_begin(const kctx *ctx, int64_t n, int pointers_ok, int *run)
{
    *run = 0;
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (n <= 0) return KS_OK;
    if (!pointers_ok) return KS_BAD_ARG;
    *run = 1;
    return KS_OK;
}

extern "C" kstatus kcuda_latent_unnormalize(const kctx *ctx, int64_t C, int64_t n, const float *z, const float *noise,
                                            float s, const float *mean, const float *std, float *x)
{
    if (C < 0 || n < 0) return KS_BAD_ARG;
    int run;
    kstatus st = op_begin(ctx, C * n, z && mean && std && x, &run);
    if (st != KS_OK || !run) return st;
    unnorm_kernel<<<grid_for(C * n), VO_THREADS, 0, ctx->cuda->stream>>>(C, n, z, noise, s, mean, std, x);
    return kcuda_check_launch(ctx->cuda, "latent_unnormalize");
}

extern "C" kstatus kcuda_latent_normalize(const kctx *ctx, int64_t n, int64_t C, const float *x, int64_t ldx,
                                          const float *mean, const float *std, float *z)
{
    if (C < 0 || n < 0 || ldx < C) return KS_BAD_ARG;
    int run;
    kstatus st = op_begin(ctx, C * n, x && mean && std && z, &run);
    if (st != KS_OK || !run) return st;
    norm_kernel<<<grid_for(C * n), VO_THREADS, 0, ctx->cuda->stream>>>(n, C, x, ldx, mean, std, z);
    return kcuda_check_launch(ctx->cuda, "latent_normalize");
}

extern "C" kstatus kcuda_add_repeat(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t xdim, float *y)
{
    if (rows < 0 || dim < 0 || xdim <= 0) return KS_BAD_ARG;
    int run;
    kstatus st = op_begin(ctx, rows * dim, x && y, &run);
    if (st != KS_OK || !run) return st;
    add_repeat_kernel<<<grid_for(rows * dim), VO_THREADS, 0, ctx->cuda->stream>>>(rows, dim, x, xdim, y);
    return kcuda_check_launch(ctx->cuda, "add_repeat");
}

extern "C" kstatus kcuda_add_group_mean(const kctx *ctx, int64_t rows, int64_t dim, int64_t g, const float *x,
                                        float *y)
{
    if (rows < 0 || dim < 0 || g <= 0) return KS_BAD_ARG;
    int run;
    kstatus st = op_begin(ctx, rows * dim, x && y, &run);
    if (st != KS_OK || !run) return st;
    group_mean_kernel<<<grid_for(rows * dim), VO_THREADS, 0, ctx->cuda->stream>>>(rows, dim, g, x, y);
    return kcuda_check_launch(ctx->cuda, "add_group_mean");
}

extern "C" kstatus kcuda_blur2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, const float *kern, int k,
                                int stride, const float *x, float *y)
{
    if (t < 0 || h < 0 || w < 0 || c < 0 || k < 1 || k % 2 == 0 || stride < 1) return KS_BAD_ARG;
    const int64_t ho = h ? (h - 1) / stride + 1 : 0, wo = w ? (w - 1) / stride + 1 : 0, n = t * ho * wo * c;
    int run;
    kstatus st = op_begin(ctx, n, kern && x && y, &run);
    if (st != KS_OK || !run) return st;
    blur_kernel<<<grid_for(n), VO_THREADS, 0, ctx->cuda->stream>>>(t, h, w, c, ho, wo, kern, k, stride, x, y);
    return kcuda_check_launch(ctx->cuda, "blur2d");
}

static int box_ok(const kbox3d *b)
{
    return b && b->t0 >= 0 && b->h0 >= 0 && b->w0 >= 0 && b->nt >= 0 && b->nh >= 0 && b->nw >= 0 &&
           b->t0 + b->nt <= b->t && b->h0 + b->nh <= b->h && b->w0 + b->nw <= b->w;
}

extern "C" kstatus kcuda_crop3d(const kctx *ctx, int64_t n, const kbox3d *b, const float *x, float *y)
{
    if (n < 0 || !box_ok(b)) return KS_BAD_ARG;
    const int64_t e = n * b->nt * b->nh * b->nw;
    int run;
    kstatus st = op_begin(ctx, e, x && y, &run);
    if (st != KS_OK || !run) return st;
    crop_kernel<<<grid_for(e), VO_THREADS, 0, ctx->cuda->stream>>>(n, *b, x, y);
    return kcuda_check_launch(ctx->cuda, "crop3d");
}

extern "C" kstatus kcuda_blend_box3d(const kctx *ctx, const kbox3d *b, int64_t ch, const float *x, int64_t xh,
                                     int64_t xw, const float *mt, const float *mh, const float *mw, float *y)
{
    if (!box_ok(b) || ch < 0 || xh < b->nh || xw < b->nw) return KS_BAD_ARG;
    const int64_t e = b->nt * b->nh * b->nw * ch;
    int run;
    kstatus st = op_begin(ctx, e, x && mt && mh && mw && y, &run);
    if (st != KS_OK || !run) return st;
    blend_kernel<<<grid_for(e), VO_THREADS, 0, ctx->cuda->stream>>>(*b, ch, x, xh, xw, mt, mh, mw, y);
    return kcuda_check_launch(ctx->cuda, "blend_box3d");
}

extern "C" kstatus kcuda_div_separable(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t ch, const float *wt,
                                       const float *wh, const float *ww, float min_w, float *y)
{
    if (t < 0 || h < 0 || w < 0 || ch < 0) return KS_BAD_ARG;
    const int64_t e = t * h * w * ch;
    int run;
    kstatus st = op_begin(ctx, e, wt && wh && ww && y, &run);
    if (st != KS_OK || !run) return st;
    div_kernel<<<grid_for(e), VO_THREADS, 0, ctx->cuda->stream>>>(t, h, w, ch, wt, wh, ww, min_w, y);
    return kcuda_check_launch(ctx->cuda, "div_separable");
}
