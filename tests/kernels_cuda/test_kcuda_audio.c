/* test_kcuda_audio.c — the CUDA twins of the audio VAE's, vocoder's and mel front end's
 * steps (k_denormalize_rows, k_normalize_rows, k_strided_copy3d, k_stft_frames,
 * k_complex_magnitude, k_log_clamp, k_resample_sinc) against the CPU kernels on fresh
 * random inputs, outputs poisoned first. Every step but the log and the resampler
 * (device cos/sin) rounds each product and sum as the CPU does, so they must match exactly.
 * Exits 77 without a GPU. */
#include "kcuda_test.h"

#include <time.h>

int main(void)
{
    kcheck k = {0};
    krng r;
    kctx g = kcuda_test_begin(&r, 0x9e3779b97f4a7c15ull), c = kctx_default(NULL);
    kcuda *d = g.cuda;

    /* per-column statistics, both directions (std kept away from zero) */
    const int64_t rows = 37, dim = 53, n = rows * dim;
    float *x = rand_buf(&r, n, 3), *mean = rand_buf(&r, dim, 1), *std = rand_buf(&r, dim, 1);
    for (int64_t i = 0; i < dim; i++) std[i] = 0.25f + fabsf(std[i]);
    float *ref = malloc(sizeof(float) * (size_t)n);
    float *xd = dev_f32(d, x, n), *md = dev_f32(d, mean, dim), *sd = dev_f32(d, std, dim), *od = dev_poisoned(d, n);
    CPU(k_denormalize_rows(&c, rows, dim, x, mean, std, ref));
    die_on(kcuda_denormalize_rows(&g, rows, dim, xd, md, sd, od), d, "denormalize_rows");
    check_dev(&k, d, "denormalize_rows", od, ref, n, 0);
    CPU(k_normalize_rows(&c, rows, dim, x, mean, std, ref));
    die_on(kcuda_normalize_rows(&g, rows, dim, xd, md, sd, od), d, "normalize_rows");
    check_dev(&k, d, "normalize_rows", od, ref, n, 0);
    die_on(kcuda_copy(d, od, x, sizeof(float) * (size_t)n, KCUDA_H2D), d, "reset");
    die_on(kcuda_normalize_rows(&g, rows, dim, od, md, sd, od), d, "normalize_rows in place");
    check_dev(&k, d, "normalize_rows (in place)", od, ref, n, 0);

    /* strided copy: [a][b][c] → [c][a][b] with the last axis cropped, into a zeroed pad */
    {
        const int64_t A = 5, B = 7, C = 6, Cc = 4, Bp = 9;
        float *src = rand_buf(&r, A * B * C, 1);
        const int64_t m = Cc * A * Bp;
        float *want = calloc((size_t)m, sizeof(float));
        const int64_t sh[3] = {A, B, Cc}, xs[3] = {B * C, C, 1}, ys[3] = {Bp, 1, A * Bp};
        CPU(k_strided_copy3d(&c, sh, src, xs, want, ys));
        float *srcd = dev_f32(d, src, A * B * C), *dst = dev_poisoned(d, m);
        die_on(kcuda_memset0(d, dst, sizeof(float) * (size_t)m), d, "memset0");
        die_on(kcuda_strided_copy3d(&g, sh, srcd, xs, dst, ys), d, "strided_copy3d");
        check_dev(&k, d, "strided_copy3d (permute, crop, pad)", dst, want, m, 0);
        kcuda_free(d, srcd), kcuda_free(d, dst);
        free(src), free(want);
    }

    /* mel front end: framing and magnitude exactly, the log within a few ulp */
    {
        const int64_t len = 5003, frames = len / 160 + 1, rows = 29, bins = 513;
        const int nfft = 1024;
        float *w = rand_buf(&r, len, 1), *fr = malloc(sizeof(float) * (size_t)(frames * nfft));
        float *spec = rand_buf(&r, rows * 2 * bins, 2), *mag = malloc(sizeof(float) * (size_t)(rows * bins));
        CPU(k_stft_frames(&c, len, w, nfft, 160, frames, fr));
        float *wd = dev_f32(d, w, len), *frd = dev_poisoned(d, frames * nfft);
        die_on(kcuda_stft_frames(&g, len, wd, nfft, 160, frames, frd), d, "stft_frames");
        check_dev(&k, d, "stft_frames", frd, fr, frames * nfft, 0);
        CPU(k_complex_magnitude(&c, rows, bins, spec, mag));
        float *specd = dev_f32(d, spec, rows * 2 * bins), *magd = dev_poisoned(d, rows * bins);
        die_on(kcuda_complex_magnitude(&g, rows, bins, specd, magd), d, "complex_magnitude");
        check_dev(&k, d, "complex_magnitude", magd, mag, rows * bins, 0);
        for (int64_t i = 0; i < rows * bins; i += 5) mag[i] = 0.0f; /* below the floor */
        die_on(kcuda_copy(d, magd, mag, sizeof(float) * (size_t)(rows * bins), KCUDA_H2D), d, "upload");
        CPU(k_log_clamp(&c, mag, 1e-5f, mag, rows * bins));
        die_on(kcuda_log_clamp(&g, magd, 1e-5f, magd, rows * bins), d, "log_clamp");
        check_dev(&k, d, "log_clamp", magd, mag, rows * bins, 1e-6);
        kcuda_free(d, wd), kcuda_free(d, frd), kcuda_free(d, specd), kcuda_free(d, magd);
        free(w), free(fr), free(spec), free(mag);
    }

    /* resampling 44.1 -> 16 kHz: the same double-precision sum per output sample */
    {
        const int64_t len = 9001, up = 160, down = 441, m = k_resample_len(len, up, down);
        float *w = rand_buf(&r, 2 * len, 1), *want = malloc(sizeof(float) * (size_t)(2 * m));
        CPU(k_resample_sinc(&c, 2, len, w, up, down, 6.0, 0.99, want));
        float *wd = dev_f32(d, w, 2 * len), *yd = dev_poisoned(d, 2 * m);
        die_on(kcuda_resample_sinc(&g, 2, len, wd, up, down, 6.0, 0.99, yd), d, "resample_sinc");
        check_dev(&k, d, "resample_sinc", yd, want, 2 * m, 1e-7);
        kcuda_free(d, wd), kcuda_free(d, yd);
        free(w), free(want);
    }

    kcuda_free(d, xd), kcuda_free(d, md), kcuda_free(d, sd), kcuda_free(d, od);
    free(x), free(mean), free(std), free(ref);
    kcuda_destroy(d);
    printf("%d checks, %d failed\n", k.checks, k.failures);
    return k.failures ? 1 : 0;
}
