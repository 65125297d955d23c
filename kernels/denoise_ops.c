/* denoise_ops.c — the sampler's per-element steps (noising, velocity to x0, the Euler
 * update with mask blending, guidance combine) and the std reduction of its rescale, as
 * pooled ops so that no node loops over activation memory. */
#include <math.h>

#include "kbackend.h"

#define DN_GRAIN 16384 /* elements per chunk */

typedef struct dn_args {
    int64_t ch;
    const float *mask, *a, *b, *c, *t;
    float *y;
    float s0, s1, s2;
} dn_args;

/* rows of ch channels: per-token noising, x = noise·m + x·(1 − m), m = mask·scale */
static void noise_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const dn_args *d = arg;
    for (int64_t i = r0; i < r1; i++) {
        const float m = d->mask[i] * d->s0, keep = 1.0f - m;
        float *x = d->y + i * d->ch;
        const float *z = d->a + i * d->ch;
        for (int64_t c = 0; c < d->ch; c++) x[c] = z[c] * m + x[c] * keep;
    }
}

static void x0_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const dn_args *d = arg;
    for (int64_t i = r0; i < r1; i++) {
        const float *x = d->a + i * d->ch, *v = d->b + i * d->ch;
        float *o = d->y + i * d->ch;
        for (int64_t c = 0; c < d->ch; c++) o[c] = x[c] - v[c] * d->t[i];
    }
}

static void euler_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const dn_args *d = arg;
    const float sigma = d->s0, dt = d->s1 - d->s0;
    for (int64_t i = r0; i < r1; i++) {
        const float m = d->mask[i], keep = 1.0f - m;
        float *x = d->y + i * d->ch;
        const float *x0 = d->a + i * d->ch, *cl = d->b + i * d->ch;
        for (int64_t c = 0; c < d->ch; c++) {
            const float den = x0[c] * m + cl[c] * keep;
            if (sigma == 0.0f) { /* a manual list may repeat 0: nothing left to remove */
                x[c] = den;
                continue;
            }
            const float vel = (x[c] - den) / sigma;
            x[c] = x[c] + vel * dt;
        }
    }
}

/* elements: p = c; p += kt(c − ut); p += ks(c − up); p += km(c − ui) (absent terms skipped) */
static void guide_task(void *arg, int64_t i0, int64_t i1, int tid)
{
    (void)tid;
    const dn_args *d = arg;
    for (int64_t i = i0; i < i1; i++) {
        const float c = d->y[i];
        float p = c;
        if (d->a) p = p + d->s0 * (c - d->a[i]);
        if (d->b) p = p + d->s1 * (c - d->b[i]);
        if (d->c) p = p + d->s2 * (c - d->c[i]);
        d->y[i] = p;
    }
}

/* Token rows of ch channels: the row grain keeps chunks near DN_GRAIN elements. */
static kstatus rows_run(const kctx *ctx, int64_t n, int64_t ch, kpool_task fn, dn_args *d)
{
    if (n < 0 || ch < 0) return KS_BAD_ARG;
    if (n == 0 || ch == 0) return KS_OK;
    d->ch = ch;
    return k_par(ctx, n, DN_GRAIN / ch + 1, fn, d);
}

kstatus k_noise_blend(const kctx *ctx, int64_t n, int64_t ch, const float *mask, float scale, const float *noise,
                      float *x)
{
    K_DISPATCH(ctx, kcuda_noise_blend(ctx, n, ch, mask, scale, noise, x));
    if (n > 0 && ch > 0 && (!mask || !noise || !x)) return KS_BAD_ARG;
    dn_args d = {.mask = mask, .a = noise, .y = x, .s0 = scale};
    return rows_run(ctx, n, ch, noise_task, &d);
}

kstatus k_x0_from_velocity(const kctx *ctx, int64_t n, int64_t ch, const float *x, const float *v, const float *t,
                           float *x0)
{
    K_DISPATCH(ctx, kcuda_x0_from_velocity(ctx, n, ch, x, v, t, x0));
    if (n > 0 && ch > 0 && (!x || !v || !t || !x0)) return KS_BAD_ARG;
    dn_args d = {.a = x, .b = v, .t = t, .y = x0};
    return rows_run(ctx, n, ch, x0_task, &d);
}

kstatus k_euler_step(const kctx *ctx, int64_t n, int64_t ch, const float *mask, const float *clean, const float *x0,
                     float sigma, float sigma_next, float *x)
{
    K_DISPATCH(ctx, kcuda_euler_step(ctx, n, ch, mask, clean, x0, sigma, sigma_next, x));
    if (n > 0 && ch > 0 && (!mask || !clean || !x0 || !x)) return KS_BAD_ARG;
    dn_args d = {.mask = mask, .a = x0, .b = clean, .y = x, .s0 = sigma, .s1 = sigma_next};
    return rows_run(ctx, n, ch, euler_task, &d);
}

kstatus k_guidance_combine(const kctx *ctx, int64_t n, float *cond, const float *uncond_text, float k_text,
                           const float *uncond_perturbed, float k_stg, const float *uncond_isolated, float k_mod)
{
    K_DISPATCH(ctx, kcuda_guidance_combine(ctx, n, cond, uncond_text, k_text, uncond_perturbed, k_stg,
                                           uncond_isolated, k_mod));
    if (n < 0 || (n > 0 && !cond)) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    dn_args d = {.a = uncond_text, .b = uncond_perturbed, .c = uncond_isolated, .y = cond,
                 .s0 = k_text, .s1 = k_stg, .s2 = k_mod};
    return k_par(ctx, n, DN_GRAIN, guide_task, &d);
}

/* ---------------------------------------------------------------- std */
typedef struct std_args {
    const float *x;
    int64_t n;
    double mean;
    double *part; /* one partial sum per block of DN_GRAIN elements */
    int pass;     /* 0: sums, 1: squared deviations */
} std_args;

static void std_task(void *arg, int64_t b0, int64_t b1, int tid)
{
    (void)tid;
    const std_args *s = arg;
    for (int64_t b = b0; b < b1; b++) {
        const int64_t i1 = (b + 1) * DN_GRAIN < s->n ? (b + 1) * DN_GRAIN : s->n;
        double acc = 0.0;
        for (int64_t i = b * DN_GRAIN; i < i1; i++) {
            const double v = s->pass ? s->x[i] - s->mean : s->x[i];
            acc += s->pass ? v * v : v;
        }
        s->part[b] = acc;
    }
}

/* Partial sums per fixed block, added in block order: the same result on any pool. */
kstatus k_std(const kctx *ctx, const float *x, int64_t n, float *out)
{
    K_DISPATCH(ctx, kcuda_std(ctx, x, n, out));
    if (!out || n < 0 || (n > 0 && !x)) return KS_BAD_ARG;
    if (n < 2) {
        *out = NAN;
        return KS_OK;
    }
    const int64_t blocks = (n + DN_GRAIN - 1) / DN_GRAIN;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    void *mem;
    kstatus st = k_scratch(&sc, (size_t)blocks * sizeof(double), &mem);
    std_args s = {x, n, 0.0, mem, 0};
    double tot[2] = {0.0, 0.0};
    for (int pass = 0; st == KS_OK && pass < 2; pass++) {
        s.pass = pass;
        st = k_par(ctx, blocks, 1, std_task, &s);
        for (int64_t b = 0; st == KS_OK && b < blocks; b++) tot[pass] += s.part[b];
        s.mean = tot[0] / (double)n;
    }
    k_scratch_close(&sc);
    if (st == KS_OK) *out = (float)sqrt(tot[1] / (double)(n - 1));
    return st;
}
