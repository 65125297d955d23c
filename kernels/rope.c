/*
 * rope.c — rotary position embedding in place on [tokens][dim] rows with precomputed
 * cos/sin tables [tokens][dim/2]. Split layout rotates (j, j + head_dim/2) inside each
 * head; interleaved rotates (2p, 2p+1).
 */
#include "kbackend.h"

#include <math.h>

typedef struct rope_args {
    krope_layout layout;
    int64_t dim, head_dim, ldx, ld_cs;
    float *x;
    const float *cos, *sin;
} rope_args;

static void rope_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const rope_args *a = arg;
    int64_t pairs = a->dim / 2;
    for (int64_t t = begin; t < end; t++) {
        float *x = a->x + t * a->ldx;
        const float *c = a->cos + t * a->ld_cs;
        const float *s = a->sin + t * a->ld_cs;
        if (a->layout == KROPE_INTERLEAVED) {
            for (int64_t p = 0; p < pairs; p++) {
                float xa = x[2 * p], xb = x[2 * p + 1];
                x[2 * p] = xa * c[p] - xb * s[p];
                x[2 * p + 1] = xb * c[p] + xa * s[p];
            }
        } else {
            int64_t half = a->head_dim / 2;
            for (int64_t h0 = 0; h0 + 2 * half <= a->dim && half > 0; h0 += 2 * half) {
                float *xa = x + h0, *xb = x + h0 + half;
                const float *ch = c + h0 / 2, *sh = s + h0 / 2;
                for (int64_t j = 0; j < half; j++) {
                    float va = xa[j], vb = xb[j];
                    xa[j] = va * ch[j] - vb * sh[j];
                    xb[j] = vb * ch[j] + va * sh[j];
                }
            }
        }
    }
}

kstatus k_rope(const kctx *ctx, krope_layout layout, int64_t tokens, int64_t dim, int64_t head_dim,
               float *x, int64_t ldx, const float *cos, const float *sin, int64_t ld_cs)
{
    K_DISPATCH(ctx, kcuda_rope(ctx, layout, tokens, dim, head_dim, x, ldx, cos, sin, ld_cs));
    if (tokens < 0) return KS_BAD_ARG;
    if (tokens == 0) return KS_OK;
    /* never a silent identity: every shape that cannot be rotated is refused */
    if (dim < 2 || dim % 2 || !x || !cos || !sin || ldx < dim || ld_cs < dim / 2 ||
        (layout == KROPE_SPLIT && (head_dim < 2 || head_dim % 2 || dim % head_dim)) ||
        (layout != KROPE_SPLIT && layout != KROPE_INTERLEAVED))
        return KS_BAD_ARG;
    rope_args a = {layout, dim, head_dim, ldx, ld_cs, x, cos, sin};
    return k_par(ctx, tokens, 16384 / dim + 1, rope_task, &a);
}

kstatus k_rmsnorm_rope(const kctx *ctx, int64_t rows, int64_t dim, float *x, int64_t ldx, const float *w, float eps,
                       krope_layout layout, int64_t head_dim, const float *cos, const float *sin, int64_t ld_cs)
{
    K_DISPATCH(ctx, kcuda_rmsnorm_rope(ctx, rows, dim, x, ldx, w, eps, layout, head_dim, cos, sin, ld_cs));
    kstatus st = k_rmsnorm(ctx, rows, dim, x, ldx, w, 0.0f, eps, x, ldx);
    K_THEN(st, k_rope(ctx, layout, rows, dim, head_dim, x, ldx, cos, sin, ld_cs));
    return st;
}

typedef struct table_args {
    const krope_table *t;
    float *cos, *sin;
} table_args;

static float round_bf16_if(float v, int on) { return on ? k_bf16_to_f32(k_f32_to_bf16(v)) : v; }

static void table_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const table_args *a = arg;
    const krope_table *t = a->t;
    const float one = round_bf16_if(1.0f, t->round_bf16);
    for (int64_t i = begin; i < end; i++) {
        float *c = a->cos + i * t->half, *s = a->sin + i * t->half;
        for (int p = 0; p < t->pad; p++) c[p] = one, s[p] = 0.0f;
        float w[3] = {0, 0, 0};
        for (int ax = 0; ax < t->n_axes; ax++) {
            const float *pa = t->positions + (int64_t)ax * t->n * 2 + 2 * i;
            const float pos = t->middle ? (pa[0] + pa[1]) / 2.0f : pa[0];
            w[ax] = pos / t->max_pos[ax] * 2.0f - 1.0f;
        }
        for (int k = 0; k < t->nf; k++)
            for (int ax = 0; ax < t->n_axes; ax++) {
                const float ang = t->freq[k] * w[ax];
                c[t->pad + k * t->n_axes + ax] = round_bf16_if(cosf(ang), t->round_bf16);
                s[t->pad + k * t->n_axes + ax] = round_bf16_if(sinf(ang), t->round_bf16);
            }
        for (int p = t->pad + t->nf * t->n_axes; p < t->half; p++) c[p] = one, s[p] = 0.0f;
    }
}

kstatus k_rope_table(const kctx *ctx, const krope_table *t, float *cos, float *sin)
{
    K_DISPATCH(ctx, kcuda_rope_table(ctx, t, cos, sin));
    if (!k_rope_table_ok(t, cos, sin))
        return KS_BAD_ARG;
    table_args a = {t, cos, sin};
    return k_par(ctx, t->n, 64, table_task, &a);
}
