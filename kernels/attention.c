/*
 * attention.c — flash-style attention: for each (head, query row) an online softmax
 * over blocks of keys, so no score matrix larger than one block ever exists.
 * This is the portable path; attention_avx512.c tiles queries × keys with register-
 * blocked micro-kernels and is chosen when ctx->isa allows.
 */
#include "attention_impl.h"

#include <math.h>
#include <stdlib.h>

#define ATT_BK 128 /* keys per block of the portable path */
#define ATT_QROWS 16 /* query rows per task */

typedef struct att_args {
    const kattn *a;
    int64_t qblocks;
    float *scratch; /* per thread: scores[ATT_BK] + acc[head_dim] */
    int64_t per_thread;
} att_args;

static float dot(const float *x, const float *y, int n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    for (; i < n; i++) s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

static void att_row(const kattn *a, int h, int64_t i, float *sc, float *acc)
{
    int d = a->head_dim;
    int kvh = h / (a->n_heads / a->n_kv_heads);
    const float *q = a->q + i * a->ldq + (int64_t)h * d;
    float *out = a->out + i * a->ldo + (int64_t)h * d;
    int64_t lo, hi;
    k_attn_key_range(a, i, &lo, &hi);
    float m = -INFINITY, l = 0;
    for (int c = 0; c < d; c++) acc[c] = 0;
    for (int64_t j0 = lo; j0 < hi; j0 += ATT_BK) {
        int64_t nk = hi - j0 < ATT_BK ? hi - j0 : ATT_BK;
        float bm = -INFINITY;
        for (int64_t j = 0; j < nk; j++) {
            const float *k = a->k + (j0 + j) * a->ldk + (int64_t)kvh * d;
            float s = dot(q, k, d) * a->scale;
            if (a->key_bias) s += a->key_bias[j0 + j];
            sc[j] = s;
            bm = s > bm ? s : bm;
        }
        float mnew = bm > m ? bm : m;
        if (mnew == -INFINITY) continue; /* everything so far masked out */
        float alpha = expf(m - mnew);
        if (alpha != 1.0f) {
            for (int c = 0; c < d; c++) acc[c] *= alpha;
            l *= alpha;
        }
        for (int64_t j = 0; j < nk; j++) {
            float p = expf(sc[j] - mnew);
            const float *v = a->v + (j0 + j) * a->ldv + (int64_t)kvh * d;
            l += p;
            for (int c = 0; c < d; c++) acc[c] += p * v[c];
        }
        m = mnew;
    }
    float inv = l > 0 ? 1.0f / l : 0.0f;
    for (int c = 0; c < d; c++) out[c] = acc[c] * inv;
}

static void att_task(void *arg, int64_t begin, int64_t end, int tid)
{
    const att_args *g = arg;
    const kattn *a = g->a;
    float *sc = g->scratch + (int64_t)tid * g->per_thread;
    float *acc = sc + ATT_BK;
    for (int64_t t = begin; t < end; t++) {
        int h = (int)(t / g->qblocks);
        int64_t i0 = (t % g->qblocks) * ATT_QROWS;
        int64_t i1 = i0 + ATT_QROWS < a->nq ? i0 + ATT_QROWS : a->nq;
        for (int64_t i = i0; i < i1; i++) att_row(a, h, i, sc, acc);
    }
}

kstatus k_attention(const kctx *ctx, const kattn *a)
{
    K_DISPATCH(ctx, kcuda_attention(ctx, a));
    if (!a || a->nq < 0 || a->nkv < 0 || a->n_heads <= 0 || a->head_dim <= 0 || a->n_kv_heads <= 0 ||
        a->n_heads % a->n_kv_heads)
        return KS_BAD_ARG;
    if (a->nq == 0) return KS_OK;
    const int64_t qd = (int64_t)a->n_heads * a->head_dim, kvd = (int64_t)a->n_kv_heads * a->head_dim;
    if (!a->q || !a->out || a->ldq < qd || a->ldo < qd ||
        (a->nkv > 0 && (!a->k || !a->v || a->ldk < kvd || a->ldv < kvd)))
        return KS_BAD_ARG;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    kstatus st;
#if defined(LTX2_X86)
    if (ctx->isa >= KISA_AVX512) st = k_attention_avx512(ctx, a, &sc);
    else if (ctx->isa >= KISA_AVX2) st = k_attention_avx2(ctx, a, &sc);
    else
#endif
    {
        int threads = kpool_threads(ctx->pool);
        att_args g = {a, (a->nq + ATT_QROWS - 1) / ATT_QROWS, NULL, ATT_BK + a->head_dim + 16};
        void *mem;
        st = k_scratch(&sc, sizeof(float) * (size_t)(g.per_thread * threads), &mem);
        g.scratch = mem;
        if (st == KS_OK) st = k_par(ctx, g.qblocks * a->n_heads, 1, att_task, &g);
    }
    k_scratch_close(&sc);
    return st;
}
