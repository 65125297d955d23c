/* layers.c — attention, feed-forward and timestep embedding shared by the models (see
 * layers.h). */
#include "common/layers.h"

#include <math.h>
#include <stdlib.h>

#include "node.h"

#define LX_ARENA_CHUNK ((size_t)4 << 20) /* chunks of a workspace made for one call */

const kctx *lx_workspace(const kctx *kc, kctx *local, karena **own)
{
    *own = NULL;
    if (kc->arena)
        return kc;
    *local = *kc;
    if (k_arena_create(kc, LX_ARENA_CHUNK, 0, own) != KS_OK)
        return NULL;
    local->arena = *own;
    return local;
}

static float *falloc(const kctx *kc, int64_t n)
{
    void *p = NULL;
    return k_arena_alloc(kc->arena, (size_t)(n > 0 ? n : 1) * sizeof(float), &p) == KS_OK ? p : NULL;
}

/* q or k in place: RMSNorm over the whole inner width (w NULL: none, as SigLIP), then
 * RoPE (r NULL or without tables: none); both in one op where both apply. */
static kstatus norm_rope(const kctx *kc, int64_t n, int64_t inner, float *x, const float *w, float eps,
                         const lx_rope *r)
{
    const bool rope = r && r->cos;
    if (w && rope)
        return k_rmsnorm_rope(kc, n, inner, x, inner, w, eps, r->layout, r->head_dim, r->cos, r->sin, r->dim / 2);
    kstatus ks = KS_OK;
    if (w)
        K_THEN(ks, k_rmsnorm(kc, n, inner, x, inner, w, 0.0f, eps, x, inner));
    if (rope)
        K_THEN(ks, k_rope(kc, r->layout, n, inner, r->head_dim, x, inner, r->cos, r->sin, r->dim / 2));
    return ks;
}

ltx2_status lx_attention(const kctx *kc_in, const lx_attn *a, float eps, int64_t nq, const float *xq, int64_t nkv,
                         const float *xkv, const lx_rope *rq, const lx_rope *rk, const float *key_bias, float *out,
                         int accumulate)
{
    kctx local;
    karena *own;
    const kctx *kc = lx_workspace(kc_in, &local, &own);
    if (!kc)
        return LTX2_ERR_OOM;
    const int64_t inner = (int64_t)a->heads * a->head_dim;
    const kmark mark = k_arena_mark(kc->arena);
    float *q = falloc(kc, nq * inner), *k = falloc(kc, nkv * inner), *v = falloc(kc, nkv * inner);
    float *o = falloc(kc, nq * inner);
    kstatus ks = q && k && v && o ? KS_OK : KS_OOM;
    K_THEN(ks, k_linear(kc, nq, xq, a->q.cols, &a->q, NULL, a->bq, q, inner, 0));
    K_THEN(ks, k_linear(kc, nkv, xkv, a->k.cols, &a->k, NULL, a->bk, k, inner, 0));
    K_THEN(ks, k_linear(kc, nkv, xkv, a->v.cols, &a->v, NULL, a->bv, v, inner, 0));
    K_THEN(ks, norm_rope(kc, nq, inner, q, a->q_norm, eps, rq));
    K_THEN(ks, norm_rope(kc, nkv, inner, k, a->k_norm, eps, rk));
    kattn at = {.nq = nq, .nkv = nkv, .n_heads = a->heads, .n_kv_heads = a->heads, .head_dim = a->head_dim,
                .q = q, .ldq = inner, .k = k, .ldk = inner, .v = v, .ldv = inner, .out = o, .ldo = inner,
                .key_bias = key_bias, .scale = 1.0f / sqrtf((float)a->head_dim)};
    K_THEN(ks, k_attention(kc, &at));
    K_THEN(ks, k_linear(kc, nq, o, inner, &a->o, NULL, a->bo, out, a->o.rows, accumulate));
    k_arena_release(kc->arena, mark);
    k_arena_destroy(own);
    return ltx2_kstatus(ks);
}

ltx2_status lx_ff_run(const kctx *kc, const lx_ff *f, int64_t n, const float *x, float *out, int accumulate)
{
    const int64_t dim = f->w1.cols, od = f->w2.rows;
    return ltx2_kstatus(k_feedforward(kc, n, x, dim, &f->w1, f->b1, &f->w2, f->b2, out, od, accumulate));
}

void lx_timestep_features(float t, float *out)
{
    const float neg_log = (float)-log(10000.0);
    for (int k = 0; k < 128; k++) {
        float f = expf(neg_log * (float)k / 128.0f);
        float a = t * f;
        out[k] = cosf(a);
        out[128 + k] = sinf(a);
    }
}

ltx2_status lx_timestep_embed(const kctx *kc_in, const kmat *l1, const float *b1, const kmat *l2, const float *b2,
                              int nu, const float *t, float *emb)
{
    kctx local;
    karena *own;
    const kctx *kc = lx_workspace(kc_in, &local, &own);
    if (!kc)
        return LTX2_ERR_OOM;
    const int64_t d = l1->rows;
    const kmark mark = k_arena_mark(kc->arena);
    float *feat = falloc(kc, (int64_t)nu * 256), *h = falloc(kc, (int64_t)nu * d);
    kstatus ks = feat && h ? KS_OK : KS_OOM;
    /* a handful of features computed on the host (the timesteps are host values) */
    float *host = kc->backend == KB_CPU ? feat : malloc((size_t)nu * 256 * sizeof(float));
    if (ks == KS_OK && !host)
        ks = KS_OOM;
    if (ks == KS_OK) {
        for (int u = 0; u < nu; u++)
            lx_timestep_features(t[u], host + (int64_t)u * 256);
        if (kc->prec == KP_FAST)
            k_round_bf16(host, (int64_t)nu * 256);
        if (host != feat)
            ks = k_copy(kc, feat, host, (size_t)nu * 256 * sizeof(float), K_H2D);
    }
    if (host != feat)
        free(host);
    K_THEN(ks, k_linear(kc, nu, feat, 256, l1, NULL, b1, h, d, 0));
    K_THEN(ks, k_silu(kc, h, h, (int64_t)nu * d));
    K_THEN(ks, k_linear(kc, nu, h, d, l2, NULL, b2, emb, l2->rows, 0));
    k_arena_release(kc->arena, mark);
    k_arena_destroy(own);
    return ltx2_kstatus(ks);
}
