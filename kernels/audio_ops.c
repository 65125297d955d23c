/*
 * audio_ops.c — the steps around the audio VAE and the vocoder that are neither convs nor
 * activations: (un)normalising a latent with per-column statistics and a strided 3-D copy
 * (a permutation, crop, zero pad or channel slice in one pass). Single passes over small
 * tensors (latents, mel spectrograms, waveforms), so no pool.
 */
#include "kbackend.h"

static kstatus rows_check(int64_t rows, int64_t dim, const float *x, const float *mean, const float *std, float *y)
{
    if (rows < 0 || dim < 0) return KS_BAD_ARG;
    if (rows && dim && (!x || !mean || !std || !y)) return KS_BAD_ARG;
    return KS_OK;
}

kstatus k_denormalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                           const float *std, float *y)
{
    K_DISPATCH(ctx, kcuda_denormalize_rows(ctx, rows, dim, x, mean, std, y));
    kstatus st = rows_check(rows, dim, x, mean, std, y);
    for (int64_t r = 0; st == KS_OK && r < rows; r++)
        for (int64_t i = 0; i < dim; i++)
            y[r * dim + i] = x[r * dim + i] * std[i] + mean[i];
    return st;
}

kstatus k_normalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                         const float *std, float *y)
{
    K_DISPATCH(ctx, kcuda_normalize_rows(ctx, rows, dim, x, mean, std, y));
    kstatus st = rows_check(rows, dim, x, mean, std, y);
    for (int64_t r = 0; st == KS_OK && r < rows; r++)
        for (int64_t i = 0; i < dim; i++)
            y[r * dim + i] = (x[r * dim + i] - mean[i]) / std[i];
    return st;
}

kstatus k_strided_copy3d(const kctx *ctx, const int64_t n[3], const float *x, const int64_t xs[3], float *y,
                         const int64_t ys[3])
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
