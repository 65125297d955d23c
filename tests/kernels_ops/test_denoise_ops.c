/* The sampler's ops against scalar double references: the Euler step with mask
 * blending (including sigma == 0 and masks of 0, 1 and in between), the noise blend, x0
 * from the velocity, the guidance combine with absent terms, and k_std (same value on
 * every pool). Odd token counts and channel widths, outputs poisoned first. */
#include "ops_check.h"

#include <string.h>

static float *rand_mask(krng *r, int64_t n)
{
    float *m = rand_buf(r, n, 1.0f);
    for (int64_t i = 0; i < n; i++) /* whole tokens kept, whole tokens noised, and partial ones */
        m[i] = i % 5 == 0 ? 0.0f : i % 5 == 1 ? 1.0f : (float)fabs(m[i]);
    return m;
}

static void euler_case(const kctx *c, krng *r, kcheck *k)
{
    const int64_t sizes[][2] = {{1, 1}, {7, 3}, {133, 128}, {517, 17}};
    const float sig[][2] = {{1.0f, 0.725f}, {0.4219f, 0.0f}, {0.0f, 0.0f}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t g = 0; g < sizeof sig / sizeof sig[0]; g++) {
            const int64_t n = sizes[s][0], ch = sizes[s][1], e = n * ch;
            float *mask = rand_mask(r, n), *clean = rand_buf(r, e, 1.0f), *x0 = rand_buf(r, e, 1.0f);
            float *x = rand_buf(r, e, 1.5f);
            double *ref = dbuf(e);
            const double sigma = sig[g][0], next = sig[g][1];
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < ch; j++) {
                    const int64_t at = i * ch + j;
                    const double den = (double)x0[at] * mask[i] + (double)clean[at] * (1.0 - mask[i]);
                    ref[at] = sigma == 0.0 ? den : x[at] + (x[at] - den) / sigma * (next - sigma);
                }
            KOK(k_euler_step(c, n, ch, mask, clean, x0, sig[g][0], sig[g][1], x));
            check_close(k, "euler step", x, ref, e, 1e-6, 1e-6); /* f32 cancellation: bound by the rms */
            free(mask), free(clean), free(x0), free(x), free(ref);
        }
}

static void blend_case(const kctx *c, krng *r, kcheck *k) /* and k_fill */
{
    const int64_t n = 301, ch = 19, e = n * ch;
    float *mask = rand_mask(r, n), *noise = rand_buf(r, e, 1.0f), *x = rand_buf(r, e, 1.0f);
    float *v = rand_buf(r, e, 1.0f), *t = rand_buf(r, n, 1.0f), *x0 = poisoned(e);
    double *ref = dbuf(e), *ref0 = dbuf(e);
    const float scale = 0.8f;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < ch; j++) {
            const int64_t at = i * ch + j;
            const double m = (double)mask[i] * scale;
            ref[at] = noise[at] * m + x[at] * (1.0 - m);
        }
    KOK(k_noise_blend(c, n, ch, mask, scale, noise, x));
    check_close(k, "noise blend", x, ref, e, 1e-6, 1e-6);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < ch; j++) ref0[i * ch + j] = (double)x[i * ch + j] - (double)v[i * ch + j] * t[i];
    KOK(k_x0_from_velocity(c, n, ch, x, v, t, x0));
    check_close(k, "x0 from velocity", x0, ref0, e, 1e-6, 1e-6);
    /* a full mask at scale 1 is pure noise, a zero mask keeps x */
    for (int64_t i = 0; i < n; i++) mask[i] = (float)(i % 2);
    memcpy(x0, x, sizeof(float) * (size_t)e);
    KOK(k_noise_blend(c, n, ch, mask, 1.0f, noise, x));
    int exact = 1;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < ch; j++)
            exact &= x[i * ch + j] == (i % 2 ? noise[i * ch + j] : x0[i * ch + j]);
    check_true(k, exact, "noise blend: masks 0 and 1 keep or replace exactly");
    KOK(k_fill(c, t + 1, 0.25f, n - 2)); /* conditioning masks */
    int filled = isnan(t[0]) || t[0] != 0.25f;
    for (int64_t i = 1; i < n - 1; i++) filled &= t[i] == 0.25f;
    check_true(k, filled && t[n - 1] != 0.25f, "fill: exactly the range");
    free(mask), free(noise), free(x), free(v), free(t), free(x0), free(ref), free(ref0);
}

static void guide_case(const kctx *c, krng *r, kcheck *k)
{
    const int64_t n = 40000; /* several chunks and std blocks */
    float *cond = rand_buf(r, n, 1.0f), *ut = rand_buf(r, n, 1.0f), *up = rand_buf(r, n, 1.0f);
    double *ref = dbuf(n);
    for (int64_t i = 0; i < n; i++) ref[i] = cond[i] + 2.0 * (cond[i] - ut[i]) + 0.5 * (cond[i] - up[i]);
    KOK(k_guidance_combine(c, n, cond, ut, 2.0f, NULL, 0.0f, up, 0.5f));
    check_close(k, "guidance combine (no stg term)", cond, ref, n, 1e-6, 1e-7);
    double mean = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) mean += cond[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) ss += (cond[i] - mean) * (cond[i] - mean);
    const double want = sqrt(ss / (double)(n - 1));
    float got = 0.0f;
    KOK(k_std(c, cond, n, &got));
    double ref1 = want;
    check_close(k, "std", &got, &ref1, 1, 1e-6, 0);
    float one = 0.0f;
    KOK(k_std(c, cond, 1, &one));
    check_true(k, isnan(one), "std of one value is NaN");
    free(cond), free(ut), free(up), free(ref);
}

/* k_std sums fixed blocks in order: the same bits with or without threads. */
static void std_determinism(kcheck *k)
{
    krng r = {42};
    const int64_t n = 100003;
    float *x = rand_buf(&r, n, 3.0f);
    kpool *pool = kpool_create(3);
    kctx a = kctx_default(NULL), b = kctx_default(pool);
    float sa = 0, sb = 0;
    KOK(k_std(&a, x, n, &sa));
    KOK(k_std(&b, x, n, &sb));
    check_true(k, memcmp(&sa, &sb, sizeof sa) == 0, "std: same bits on any pool");
    kpool_destroy(pool);
    free(x);
}

int main(void)
{
    kcheck k = {0};
    for_each_ctx(euler_case, &k);
    for_each_ctx(blend_case, &k);
    for_each_ctx(guide_case, &k);
    std_determinism(&k);
    return check_report(&k, "kernels_ops_denoise_ops");
}
