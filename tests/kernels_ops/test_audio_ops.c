/* test_audio_ops.c — the audio VAE's and vocoder's steps on the CPU: per-column
 * (un)normalisation against double references, the strided 3-D copy against index
 * arithmetic (a permutation with a crop into a zero pad), the mel front end's framing
 * (reflect padding), magnitude and floored log, resampling (a sine from 44.1 and from 8 to
 * 16 kHz), and the arguments each op refuses. */
#include "ops_check.h"


static void stats_case(const kctx *ctx, krng *r, kcheck *k)
{
    const int64_t rows = 29, dim = 41, n = rows * dim;
    float *x = rand_buf(r, n, 3), *mean = rand_buf(r, dim, 1), *std = rand_buf(r, dim, 1), *y = poisoned(n);
    for (int64_t i = 0; i < dim; i++) std[i] = 0.25f + fabsf(std[i]);
    double *ref = dbuf(n);
    for (int64_t i = 0; i < n; i++) ref[i] = (double)x[i] * std[i % dim] + mean[i % dim];
    KOK(k_denormalize_rows(ctx, rows, dim, x, mean, std, y));
    check_close(k, "denormalize_rows", y, ref, n, 1e-6, 1e-7);
    for (int64_t i = 0; i < n; i++) ref[i] = ((double)x[i] - mean[i % dim]) / std[i % dim];
    KOK(k_normalize_rows(ctx, rows, dim, x, mean, std, y));
    check_close(k, "normalize_rows", y, ref, n, 1e-6, 1e-7);
    KOK(k_normalize_rows(ctx, rows, dim, x, mean, std, x)); /* in place */
    check_close(k, "normalize_rows in place", x, ref, n, 1e-6, 1e-7);
    check_true(k, k_normalize_rows(ctx, -1, dim, x, mean, std, y) == KS_BAD_ARG, "normalize_rows: rows < 0");
    check_true(k, k_denormalize_rows(ctx, rows, dim, x, NULL, std, y) == KS_BAD_ARG, "denormalize_rows: no mean");
    free(x), free(mean), free(std), free(y), free(ref);
}

static void copy_case(const kctx *ctx, krng *r, kcheck *k)
{
    /* x [a][b][c] → y [c][a][b'] for c < Cc, b' of Bp > B (zero pad) */
    const int64_t A = 3, B = 5, C = 7, Cc = 4, Bp = 6, m = Cc * A * Bp;
    float *x = rand_buf(r, A * B * C, 1), *y = calloc((size_t)m, sizeof(float));
    double *ref = dbuf(m);
    for (int64_t a = 0; a < A; a++)
        for (int64_t b = 0; b < B; b++)
            for (int64_t c = 0; c < Cc; c++) ref[(c * A + a) * Bp + b] = x[(a * B + b) * C + c];
    const int64_t sh[3] = {A, B, Cc}, xs[3] = {B * C, C, 1}, ys[3] = {Bp, 1, A * Bp};
    KOK(k_strided_copy3d(ctx, sh, x, xs, y, ys));
    check_close(k, "strided_copy3d", y, ref, m, 0, 0);
    const int64_t bad[3] = {A, -1, Cc};
    check_true(k, k_strided_copy3d(ctx, bad, x, xs, y, ys) == KS_BAD_ARG, "strided_copy3d: negative size");
    free(x), free(y), free(ref);
}

/* STFT frames with reflect padding at both ends, magnitude, log with a floor. */
static void mel_steps_case(const kctx *ctx, krng *r, kcheck *k)
{
    const int64_t n = 301, frames = 8;
    const int nfft = 64, hop = 40;
    float *x = rand_buf(r, n, 1), *y = poisoned(frames * nfft);
    double *ref = dbuf(frames * nfft);
    for (int64_t t = 0; t < frames; t++)
        for (int j = 0; j < nfft; j++) {
            int64_t i = t * hop + j - nfft / 2;
            i = i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; /* one reflection reaches here */
            ref[t * nfft + j] = x[i];
        }
    KOK(k_stft_frames(ctx, n, x, nfft, hop, frames, y));
    check_close(k, "stft_frames", y, ref, frames * nfft, 0, 0);
    check_true(k, k_stft_frames(ctx, nfft / 2, x, nfft, hop, frames, y) == KS_BAD_ARG, "stft_frames: too short");
    const int64_t rows = 13, bins = 33;
    float *spec = rand_buf(r, rows * 2 * bins, 2), *mag = poisoned(rows * bins);
    double *mref = dbuf(rows * bins);
    for (int64_t q = 0; q < rows; q++)
        for (int64_t b = 0; b < bins; b++) {
            double re = spec[q * 2 * bins + b], im = spec[q * 2 * bins + bins + b];
            mref[q * bins + b] = sqrt(re * re + im * im);
        }
    KOK(k_complex_magnitude(ctx, rows, bins, spec, mag));
    check_close(k, "complex_magnitude", mag, mref, rows * bins, 1e-6, 1e-7);
    for (int64_t i = 0; i < rows * bins; i++) {
        if (i % 7 == 0) mag[i] = 0.0f; /* below the floor */
        mref[i] = log(mag[i] > 1e-5f ? (double)mag[i] : 1e-5);
    }
    KOK(k_log_clamp(ctx, mag, 1e-5f, mag, rows * bins));
    check_close(k, "log_clamp", mag, mref, rows * bins, 1e-6, 1e-7);
    free(x), free(y), free(ref), free(spec), free(mag), free(mref);
}

/* Resampling a slow sine from 44.1 kHz down and from 8 kHz up to 16 kHz lands on the same
 * sine away from the edges (inside the filter's pass band); the output length. */
static void resample_one(const kctx *ctx, kcheck *k, int64_t from, int64_t up, int64_t down, const char *what)
{
    const int64_t n = 4001, m = k_resample_len(n, up, down), lo = 64, cnt = m - 2 * lo;
    const double f = 440.0, two_pi = 2 * 3.14159265358979; /* Hz */
    float *x = poisoned(2 * n), *y = poisoned(2 * m), *got = poisoned(2 * cnt);
    double *want = dbuf(2 * cnt);
    for (int64_t i = 0; i < n; i++) x[i] = x[n + i] = (float)sin(two_pi * f * (double)i / (double)from);
    KOK(k_resample_sinc(ctx, 2, n, x, up, down, 6.0, 0.99, y));
    check_true(k, m == (n * up + down - 1) / down, "resample_len");
    for (int64_t c = 0; c < 2; c++) /* skip the edges, where the window is cut */
        for (int64_t i = 0; i < cnt; i++) {
            got[c * cnt + i] = y[c * m + lo + i];
            want[c * cnt + i] = sin(two_pi * f * (double)(lo + i) / 16000.0);
        }
    check_close(k, what, got, want, 2 * cnt, 0, 2e-2);
    check_true(k, k_resample_sinc(ctx, 2, n, x, 0, down, 6.0, 0.99, y) == KS_BAD_ARG, "resample_sinc: up 0");
    free(x), free(y), free(got), free(want);
}

static void resample_case(const kctx *ctx, krng *r, kcheck *k)
{
    (void)r;
    resample_one(ctx, k, 44100, 160, 441, "resample_sinc 44.1 -> 16 kHz sine");
    resample_one(ctx, k, 8000, 2, 1, "resample_sinc 8 -> 16 kHz sine");
}

static void all_cases(const kctx *ctx, krng *r, kcheck *k)
{
    resample_case(ctx, r, k);
    stats_case(ctx, r, k);
    copy_case(ctx, r, k);
    mel_steps_case(ctx, r, k);
}

int main(void)
{
    kcheck k = {0};
    for_each_ctx(all_cases, &k);
    return check_report(&k, "audio ops");
}
