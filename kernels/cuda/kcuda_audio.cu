/* kcuda_audio.cu — the audio VAE's, vocoder's and mel front end's steps besides convs and
 * activations (kernels/audio_ops.c): per-column (un)normalisation with latent statistics,
 * the strided 3-D copy, STFT framing, magnitude and log. One grid-stride launch each;
 * products and sums are rounded one at a time (__fmul_rn / __fadd_rn, no fused
 * multiply-add), as the CPU computes them. */
#include "kcuda_internal.h"

#define AU_THREADS 256
#define AU_MAX_BLOCKS 65535u

#define GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

static unsigned grid_for(int64_t n) { return kcuda_blocks_for(n, AU_THREADS, AU_MAX_BLOCKS); }

template <bool INVERSE>
__global__ void stats_kernel(int64_t rows, int64_t dim, const float *x, const float *mean, const float *std, float *y)
{
    GRID_STRIDE(i, rows * dim)
    {
        int64_t c = i % dim;
        y[i] = INVERSE ? __fdiv_rn(__fsub_rn(x[i], mean[c]), std[c]) : __fadd_rn(__fmul_rn(x[i], std[c]), mean[c]);
    }
}

template <bool INVERSE>
static kstatus stats_op(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                        const float *std, float *y)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (rows < 0 || dim < 0) return KS_BAD_ARG;
    if (!rows || !dim) return KS_OK;
    if (!x || !mean || !std || !y) return KS_BAD_ARG;
    stats_kernel<INVERSE><<<grid_for(rows * dim), AU_THREADS, 0, ctx->cuda->stream>>>(rows, dim, x, mean, std, y);
    return kcuda_check_launch(ctx->cuda, INVERSE ? "normalize_rows" : "denormalize_rows");
}

extern "C" kstatus kcuda_denormalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x,
                                          const float *mean, const float *std, float *y)
{
    return stats_op<false>(ctx, rows, dim, x, mean, std, y);
}

extern "C" kstatus kcuda_normalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x,
                                        const float *mean, const float *std, float *y)
{
    return stats_op<true>(ctx, rows, dim, x, mean, std, y);
}

struct copy3d_params {
    int64_t n1, n2, total;
    int64_t xs0, xs1, xs2, ys0, ys1, ys2;
};

__global__ void strided_copy3d_kernel(copy3d_params p, const float *x, float *y)
{
    GRID_STRIDE(i, p.total)
    {
        int64_t k = i % p.n2, j = (i / p.n2) % p.n1, a = i / (p.n2 * p.n1);
        y[a * p.ys0 + j * p.ys1 + k * p.ys2] = x[a * p.xs0 + j * p.xs1 + k * p.xs2];
    }
}

extern "C" kstatus kcuda_strided_copy3d(const kctx *ctx, const int64_t *n, const float *x, const int64_t *xs,
                                        float *y, const int64_t *ys)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (!n || !xs || !ys || n[0] < 0 || n[1] < 0 || n[2] < 0) return KS_BAD_ARG;
    if (!n[0] || !n[1] || !n[2]) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    copy3d_params p = {n[1], n[2], n[0] * n[1] * n[2], xs[0], xs[1], xs[2], ys[0], ys[1], ys[2]};
    strided_copy3d_kernel<<<grid_for(p.total), AU_THREADS, 0, ctx->cuda->stream>>>(p, x, y);
    return kcuda_check_launch(ctx->cuda, "strided_copy3d");
}

/* ---------------------------------------------------------------- mel front end */
__device__ __forceinline__ int64_t reflect_index(int64_t i, int64_t n)
{
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

__global__ void stft_frames_kernel(int64_t n, const float *x, int n_fft, int hop, int64_t total, float *y)
{
    GRID_STRIDE(i, total)
    {
        int64_t t = i / n_fft, j = i % n_fft;
        y[i] = x[reflect_index(t * hop + j - n_fft / 2, n)];
    }
}

extern "C" kstatus kcuda_stft_frames(const kctx *ctx, int64_t n, const float *x, int n_fft, int hop, int64_t frames,
                                     float *y)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (n < 1 || n_fft < 1 || hop < 1 || frames < 0 || n <= n_fft / 2) return KS_BAD_ARG;
    if (!frames) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    int64_t total = frames * n_fft;
    stft_frames_kernel<<<grid_for(total), AU_THREADS, 0, ctx->cuda->stream>>>(n, x, n_fft, hop, total, y);
    return kcuda_check_launch(ctx->cuda, "stft_frames");
}

__global__ void complex_magnitude_kernel(int64_t rows, int64_t n, const float *x, float *y)
{
    GRID_STRIDE(i, rows * n)
    {
        int64_t r = i / n, k = i % n;
        float re = x[r * 2 * n + k], im = x[r * 2 * n + n + k];
        y[i] = __fsqrt_rn(__fadd_rn(__fmul_rn(re, re), __fmul_rn(im, im)));
    }
}

extern "C" kstatus kcuda_complex_magnitude(const kctx *ctx, int64_t rows, int64_t n, const float *x, float *y)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (rows < 0 || n < 0) return KS_BAD_ARG;
    if (!rows || !n) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    complex_magnitude_kernel<<<grid_for(rows * n), AU_THREADS, 0, ctx->cuda->stream>>>(rows, n, x, y);
    return kcuda_check_launch(ctx->cuda, "complex_magnitude");
}

__global__ void log_clamp_kernel(const float *x, float lo, float *y, int64_t n)
{
    GRID_STRIDE(i, n) y[i] = logf(x[i] > lo ? x[i] : lo);
}

extern "C" kstatus kcuda_log_clamp(const kctx *ctx, const float *x, float lo, float *y, int64_t n)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (n < 0) return KS_BAD_ARG;
    if (!n) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    log_clamp_kernel<<<grid_for(n), AU_THREADS, 0, ctx->cuda->stream>>>(x, lo, y, n);
    return kcuda_check_launch(ctx->cuda, "log_clamp");
}

/* ---------------------------------------------------------------- resampling */
#define RS_PI 3.14159265358979323846

struct rs_params {
    int64_t n, up, down, m, total, half;
    double width, base;
};

/* One thread per output sample, the CPU's double-precision sum in the same order. */
__global__ void resample_sinc_kernel(rs_params p, const float *x, float *y)
{
    GRID_STRIDE(o, p.total)
    {
        const int64_t r = o / p.m, i = o % p.m;
        const float *xr = x + r * p.n;
        double tpos = (double)i * p.down / p.up;
        int64_t c0 = (int64_t)floor(tpos);
        double acc = 0.0;
        for (int64_t j = c0 - p.half; j <= c0 + p.half + 1; j++) {
            if (j < 0 || j >= p.n) continue;
            double d = (tpos - j) * p.base / p.down;
            if (fabs(d) > p.width) continue;
            double w = 0.5 * (1.0 + cos(RS_PI * d / p.width));
            double s = d == 0.0 ? 1.0 : sin(RS_PI * d) / (RS_PI * d);
            acc = __dadd_rn(acc, __dmul_rn(__dmul_rn((double)xr[j], s), w));
        }
        y[o] = (float)(acc * p.base / p.down);
    }
}

extern "C" kstatus kcuda_resample_sinc(const kctx *ctx, int64_t rows, int64_t n, const float *x, int64_t up,
                                       int64_t down, double width, double rolloff, float *y)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (rows < 0 || n < 0 || up < 1 || down < 1 || !(width > 0) || !(rolloff > 0)) return KS_BAD_ARG;
    const int64_t m = (n * up + down - 1) / down; /* k_resample_len (kernels/audio_ops.c) */
    if (!rows || !m) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    rs_params p = {n, up, down, m, rows * m, 0, width, (up < down ? up : down) * rolloff};
    p.half = (int64_t)ceil(width * down / p.base);
    resample_sinc_kernel<<<grid_for(p.total), AU_THREADS, 0, ctx->cuda->stream>>>(p, x, y);
    return kcuda_check_launch(ctx->cuda, "resample_sinc");
}
