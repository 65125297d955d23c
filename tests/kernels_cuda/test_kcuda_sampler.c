/* test_kcuda_sampler.c — the CUDA sampler steps, std, fill and the VAE patch layouts
 * against host references written from their documented formulas (kernels.h of the
 * backend seam), on fresh random inputs, outputs poisoned first. Exits 77 without a
 * GPU. */
#include "kcuda_test.h"

#include <time.h>

#define TOL 1e-6

int main(void)
{
    kcheck k = {0};
    krng r;
    kctx g = kcuda_test_begin(&r, 0x2545f4914f6cdd1dull);
    kcuda *d = g.cuda;
    const int64_t n = 517, ch = 48, nc = n * ch;
    float *x = rand_buf(&r, nc, 2), *z = rand_buf(&r, nc, 1), *v = rand_buf(&r, nc, 1), *mask = rand_buf(&r, n, 1);
    float *t = rand_buf(&r, n, 1), *ref = malloc(sizeof(float) * (size_t)nc);
    for (int64_t i = 0; i < n; i++) mask[i] = i % 5 == 0 ? 0.0f : (i % 5 == 1 ? 1.0f : fabsf(mask[i]));
    float *xd = dev_f32(d, x, nc), *zd = dev_f32(d, z, nc), *vd = dev_f32(d, v, nc), *md = dev_f32(d, mask, n);
    float *td = dev_f32(d, t, n), *od = dev_poisoned(d, nc);

    /* noising: x = noise·m + x·(1 − m), m = mask·scale */
    for (int64_t i = 0; i < nc; i++) {
        float m = mask[i / ch] * 0.8f;
        ref[i] = z[i] * m + x[i] * (1.0f - m);
    }
    float *xw = dev_f32(d, x, nc);
    die_on(kcuda_noise_blend(&g, n, ch, md, 0.8f, zd, xw), d, "noise_blend");
    check_dev(&k, d, "noise_blend", xw, ref, nc, TOL);

    /* x0 = x − v·t */
    for (int64_t i = 0; i < nc; i++) ref[i] = x[i] - v[i] * t[i / ch];
    die_on(kcuda_x0_from_velocity(&g, n, ch, xd, vd, td, od), d, "x0_from_velocity");
    check_dev(&k, d, "x0_from_velocity", od, ref, nc, TOL);

    /* Euler with mask blending, then sigma == 0 (x = den) */
    for (int sz = 0; sz < 2; sz++) {
        float sigma = sz ? 0.0f : 0.7f, next = sz ? 0.0f : 0.55f;
        for (int64_t i = 0; i < nc; i++) {
            float m = mask[i / ch], den = v[i] * m + z[i] * (1.0f - m);
            ref[i] = sigma == 0.0f ? den : x[i] + (x[i] - den) / sigma * (next - sigma);
        }
        die_on(kcuda_copy(d, xw, x, sizeof(float) * (size_t)nc, KCUDA_H2D), d, "reset");
        die_on(kcuda_euler_step(&g, n, ch, md, zd, vd, sigma, next, xw), d, "euler_step");
        check_dev(&k, d, sz ? "euler_step (sigma 0)" : "euler_step", xw, ref, nc, TOL);
    }

    /* guidance: p = c + kt(c − ut) + ks(c − up), the isolated term absent */
    for (int64_t i = 0; i < nc; i++) {
        float c = x[i], p = c;
        p = p + 3.0f * (c - z[i]);
        p = p + 1.5f * (c - v[i]);
        ref[i] = p;
    }
    die_on(kcuda_copy(d, xw, x, sizeof(float) * (size_t)nc, KCUDA_H2D), d, "reset");
    die_on(kcuda_guidance_combine(&g, nc, xw, zd, 3.0f, vd, 1.5f, NULL, 9.0f), d, "guidance_combine");
    check_dev(&k, d, "guidance_combine (two terms)", xw, ref, nc, TOL);

    /* std: divisor n − 1, double accumulation; NaN for one element */
    double mean = 0, ss = 0;
    for (int64_t i = 0; i < nc; i++) mean += x[i];
    mean /= (double)nc;
    for (int64_t i = 0; i < nc; i++) ss += (x[i] - mean) * (x[i] - mean);
    float want = (float)sqrt(ss / (double)(nc - 1)), got = 0, one = 0;
    die_on(kcuda_std(&g, xd, nc, &got), d, "std");
    check_rel_l2(&k, "std", &got, &want, 1, TOL);
    die_on(kcuda_std(&g, xd, 1, &one), d, "std of one");
    check_true(&k, isnan(one), "std of one value is NaN");

    /* fill */
    for (int64_t i = 0; i < nc; i++) ref[i] = -2.5f;
    die_on(kcuda_fill(&g, od, -2.5f, nc), d, "fill");
    check_dev(&k, d, "fill", od, ref, nc, 0);

    /* patchify (w-major patch order) and its inverse; transpose_blocks */
    {
        const int64_t T = 3, H = 4, W = 5, C = 4;
        const int p = 2, P = p * p;
        int64_t np = T * H * W * C * P;
        float *big = rand_buf(&r, np, 1), *small = malloc(sizeof(float) * (size_t)np);
        for (int64_t ti = 0; ti < T; ti++)
            for (int64_t hi = 0; hi < H * p; hi++)
                for (int64_t wi = 0; wi < W * p; wi++)
                    for (int64_t ci = 0; ci < C; ci++) {
                        int64_t q = hi % p, rr = wi % p; /* row and column offsets */
                        int64_t oc = (ci * p + rr) * p + q;
                        small[(((ti * H + hi / p) * W + wi / p) * C * P) + oc] =
                            big[((ti * H * p + hi) * W * p + wi) * C + ci];
                    }
        float *bd = dev_f32(d, big, np), *sd = dev_poisoned(d, np), *bd2 = dev_poisoned(d, np);
        die_on(kcuda_patchify2d(&g, T, H, W, C, p, bd, sd), d, "patchify2d");
        check_dev(&k, d, "patchify2d", sd, small, np, 0);
        die_on(kcuda_unpatchify2d(&g, T, H, W, C, p, sd, bd2), d, "unpatchify2d");
        check_dev(&k, d, "unpatchify2d (inverse)", bd2, big, np, 0);
        const int64_t rows = 7, cols = 9, width = 5;
        float *tb = malloc(sizeof(float) * (size_t)(rows * cols * width));
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                for (int64_t e = 0; e < width; e++) tb[(j * rows + i) * width + e] = big[(i * cols + j) * width + e];
        die_on(kcuda_transpose_blocks(&g, rows, cols, width, bd, bd2), d, "transpose_blocks");
        check_dev(&k, d, "transpose_blocks", bd2, tb, rows * cols * width, 0);
        kcuda_free(d, bd), kcuda_free(d, sd), kcuda_free(d, bd2);
        free(big), free(small), free(tb);
    }

    kcuda_free(d, xd), kcuda_free(d, zd), kcuda_free(d, vd), kcuda_free(d, md), kcuda_free(d, td);
    kcuda_free(d, od), kcuda_free(d, xw);
    free(x), free(z), free(v), free(mask), free(t), free(ref);
    kcuda_destroy(d);
    printf("%d checks, %d failed\n", k.checks, k.failures);
    return k.failures ? 1 : 0;
}
