/* dit_attn.c — the attention module (projections, q/k RMSNorm over the whole inner
 * width, RoPE, scaled dot-product attention, output projection) and the feed-forward. */
#include <math.h>
#include <stdlib.h>

#include "dit_internal.h"
#include "node.h"

float *dit_falloc(const kctx *kc, int64_t n)
{
    void *p = NULL;
    return k_arena_alloc(kc->arena, (size_t)(n > 0 ? n : 1) * sizeof(float), &p) == KS_OK ? p : NULL;
}

ltx2_status dit_attention(const kctx *kc, const ltx2_dit_attn *a, float eps, int64_t nq,
                          const float *xq, int64_t nkv, const float *xkv, const dit_rope *rq,
                          const dit_rope *rk, const float *key_bias, float *out)
{
    const int64_t inner = (int64_t)a->heads * a->head_dim;
    const kmark mark = k_arena_mark(kc->arena);
    float *q = dit_falloc(kc, nq * inner), *k = dit_falloc(kc, nkv * inner), *v = dit_falloc(kc, nkv * inner);
    float *o = dit_falloc(kc, nq * inner);
    if (!q || !k || !v || !o) {
        k_arena_release(kc->arena, mark);
        return LTX2_ERR_OOM;
    }
    kstatus ks = KS_OK;
    K_THEN(ks, k_linear(kc, nq, xq, a->q.cols, &a->q, NULL, a->bq, q, inner, 0));
    K_THEN(ks, k_linear(kc, nkv, xkv, a->k.cols, &a->k, NULL, a->bk, k, inner, 0));
    K_THEN(ks, k_linear(kc, nkv, xkv, a->v.cols, &a->v, NULL, a->bv, v, inner, 0));
    K_THEN(ks, k_rmsnorm(kc, nq, inner, q, inner, a->q_norm, 0.0f, eps, q, inner));
    K_THEN(ks, k_rmsnorm(kc, nkv, inner, k, inner, a->k_norm, 0.0f, eps, k, inner));
    if (rq && rq->cos)
        K_THEN(ks, k_rope(kc, rq->layout, nq, inner, rq->head_dim, q, inner, rq->cos, rq->sin, rq->dim / 2));
    if (rk && rk->cos)
        K_THEN(ks, k_rope(kc, rk->layout, nkv, inner, rk->head_dim, k, inner, rk->cos, rk->sin, rk->dim / 2));
    kattn at = {.nq = nq, .nkv = nkv, .n_heads = a->heads, .n_kv_heads = a->heads,
                .head_dim = a->head_dim, .q = q, .ldq = inner, .k = k, .ldk = inner, .v = v,
                .ldv = inner, .out = o, .ldo = inner, .key_bias = key_bias,
                .scale = 1.0f / sqrtf((float)a->head_dim)};
    K_THEN(ks, k_attention(kc, &at));
    K_THEN(ks, k_linear(kc, nq, o, inner, &a->o, NULL, a->bo, out, a->o.rows, 0));
    k_arena_release(kc->arena, mark);
    return ltx2_kstatus(ks);
}

ltx2_status dit_ff(const kctx *kc, const ltx2_dit_ff *f, int64_t n, const float *x, float *out)
{
    const int64_t dim = f->w1.cols, hid = f->hidden;
    const int64_t chunk = n < 1024 ? n : 1024;
    const kmark mark = k_arena_mark(kc->arena);
    float *h = dit_falloc(kc, chunk * hid);
    if (!h)
        return LTX2_ERR_OOM;
    kstatus ks = KS_OK;
    for (int64_t r = 0; ks == KS_OK && r < n; r += chunk) {
        const int64_t m = n - r < chunk ? n - r : chunk;
        K_THEN(ks, k_linear(kc, m, x + r * dim, dim, &f->w1, NULL, f->b1, h, hid, 0));
        K_THEN(ks, k_gelu_tanh(kc, h, h, m * hid));
        K_THEN(ks, k_linear(kc, m, h, hid, &f->w2, NULL, f->b2, out + r * dim, dim, 0));
    }
    k_arena_release(kc->arena, mark);
    return ltx2_kstatus(ks);
}
