/*
 * audio_ops.c — the steps around the audio VAE and the vocoder that are neither convs nor
 * activations: (un)normalising a latent with per-column statistics, a strided 3-D copy
 * (a permutation, crop, zero pad or channel slice in one pass), and the mel front end's
 * STFT framing, magnitude and log. Single passes over small tensors (latents, mel
 * spectrograms, waveforms), so no pool.
 */
#include "kbackend.h"

#include <math.h>

/* y = x·std + mean, or (x − mean) / std when inverse, per column of rows × dim. */
static kstatus stats_rows(int64_t rows, int64_t dim, const float *x, const float *mean, const float *std, float *y,
                          int inverse)
{
    if (rows < 0 || dim < 0) return KS_BAD_ARG;
    if (rows && dim && (!x || !mean || !std || !y)) return KS_BAD_ARG;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < dim; i++) {
            const float v = x[r * dim + i];
            y[r * dim + i] = inverse ? (v - mean[i]) / std[i] : v * std[i] + mean[i];
        }
    return KS_OK;
}

kstatus k_denormalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                           const float *std, float *y)
{
    K_DISPATCH(ctx, kcuda_denormalize_rows(ctx, rows, dim, x, mean, std, y));
    return stats_rows(rows, dim, x, mean, std, y, 0);
}

kstatus k_normalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                         const float *std, float *y)
{
    K_DISPATCH(ctx, kcuda_normalize_rows(ctx, rows, dim, x, mean, std, y));
    return stats_rows(rows, dim, x, mean, std, y, 1);
}

kstatus k_strided_copy3d(const kctx *ctx, const int64_t *n, const float *x, const int64_t *xs, float *y,
                         const int64_t *ys)
{
    K_DISPATCH(ctx, kcuda_strided_copy3d(ctx, n, x, xs, y, ys));
    if (!n || !xs || !ys || n[0] < 0 || n[1] < 0 || n[2] < 0) return KS_BAD_ARG;
    if (!n[0] || !n[1] || !n[2]) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    for (int64_t i = 0; i < n[0]; i++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t k = 0; k < n[2]; k++)
                y[i * ys[0] + j * ys[1] + k * ys[2]] = x[i * xs[0] + j * xs[1] + k * xs[2]];
    return KS_OK;
}

/* ---------------------------------------------------------------- mel front end */
/* Index i of a signal of n samples reflected at both ends (torch's "reflect" padding). */
static int64_t reflect_index(int64_t i, int64_t n)
{
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

kstatus k_stft_frames(const kctx *ctx, int64_t n, const float *x, int n_fft, int hop, int64_t frames, float *y)
{
    K_DISPATCH(ctx, kcuda_stft_frames(ctx, n, x, n_fft, hop, frames, y));
    if (n < 1 || n_fft < 1 || hop < 1 || frames < 0 || n <= n_fft / 2) return KS_BAD_ARG;
    if (frames && (!x || !y)) return KS_BAD_ARG;
    for (int64_t t = 0; t < frames; t++)
        for (int j = 0; j < n_fft; j++)
            y[t * n_fft + j] = x[reflect_index(t * hop + j - n_fft / 2, n)];
    return KS_OK;
}

kstatus k_complex_magnitude(const kctx *ctx, int64_t rows, int64_t n, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_complex_magnitude(ctx, rows, n, x, y));
    if (rows < 0 || n < 0) return KS_BAD_ARG;
    if (rows && n && (!x || !y)) return KS_BAD_ARG;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < n; k++) {
            float re = x[r * 2 * n + k], im = x[r * 2 * n + n + k];
            y[r * n + k] = sqrtf(re * re + im * im);
        }
    return KS_OK;
}

kstatus k_log_clamp(const kctx *ctx, const float *x, float lo, float *y, int64_t n)
{
    K_DISPATCH(ctx, kcuda_log_clamp(ctx, x, lo, y, n));
    if (n < 0 || (n && (!x || !y))) return KS_BAD_ARG;
    for (int64_t i = 0; i < n; i++)
        y[i] = logf(x[i] > lo ? x[i] : lo);
    return KS_OK;
}

/* ---------------------------------------------------------------- resampling */
#define RS_PI 3.14159265358979323846

typedef struct rs_args {
    int64_t n, up, down, m;
    const float *x;
    double width, base;
    int64_t half;
    float *y;
} rs_args;

/* one item = one output sample of one row (rows are consecutive blocks of m) */
static void rs_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const rs_args *a = arg;
    for (int64_t o = begin; o < end; o++) {
        const int64_t r = o / a->m, i = o % a->m;
        const float *x = a->x + r * a->n;
        /* Output sample i sits at input time i*down/up. */
        double tpos = (double)i * a->down / a->up;
        int64_t c0 = (int64_t)floor(tpos);
        double acc = 0.0;
        for (int64_t j = c0 - a->half; j <= c0 + a->half + 1; j++) {
            if (j < 0 || j >= a->n) continue;
            double d = (tpos - j) * a->base / a->down; /* in zero crossings of the cutoff */
            if (fabs(d) > a->width) continue;
            double w = 0.5 * (1.0 + cos(RS_PI * d / a->width));
            double s = d == 0.0 ? 1.0 : sin(RS_PI * d) / (RS_PI * d);
            acc += x[j] * s * w;
        }
        a->y[o] = (float)(acc * a->base / a->down);
    }
}

int64_t k_resample_len(int64_t n, int64_t up, int64_t down) { return up > 0 && down > 0 ? (n * up + down - 1) / down : 0; }

kstatus k_resample_sinc(const kctx *ctx, int64_t rows, int64_t n, const float *x, int64_t up, int64_t down,
                        double width, double rolloff, float *y)
{
    K_DISPATCH(ctx, kcuda_resample_sinc(ctx, rows, n, x, up, down, width, rolloff, y));
    if (rows < 0 || n < 0 || up < 1 || down < 1 || !(width > 0) || !(rolloff > 0)) return KS_BAD_ARG;
    const int64_t m = k_resample_len(n, up, down);
    if (!rows || !m) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    rs_args a = {n, up, down, m, x, width, (up < down ? up : down) * rolloff, 0, y};
    a.half = (int64_t)ceil(width * down / a.base);
    return k_par(ctx, rows * m, 256, rs_task, &a);
}
