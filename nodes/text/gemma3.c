/* gemma3.c — Gemma 3 text model: weights over the mapped checkpoint and the forward
 * on the real tokens only (positions 0..n-1; left padding never reaches it). */
#include "text/gemma3.h"
#include "common/layers.h"
#include "node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_prefixes[] = {"language_model.model.", "model.language_model.", "model.", ""};

void ltx2_gemma3_free(ltx2_gemma3 *m)
{
    if (!m) return;
    if (m->layers) {
        for (int64_t i = 0; i < m->cfg.n_layers; ++i) {
            ltx2_gemma3_layer *l = &m->layers[i];
            free(l->ln_in), free(l->ln_post_attn), free(l->ln_pre_ff), free(l->ln_post_ff);
            free(l->q_norm), free(l->k_norm);
        }
        free(m->layers);
    }
    free(m->final_norm);
    ltx2_gemma3_config_free(&m->cfg);
    ltx2_checkpoint_release(m->ckpt);
    free(m);
}

/* Fills the dims the config left at 0 from the tensor shapes. */
static ltx2_status derive_dims(const ltx2_checkpoint *c, const char *p, ltx2_gemma3_config *g, ltx2_error *err)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_findf(c, "%sembed_tokens.weight", p);
    if (!t || t->ndim != 2) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%sembed_tokens.weight: missing or not 2-D", p);
    if (!g->vocab) g->vocab = t->shape[0];
    if (!g->hidden) g->hidden = t->shape[1];
    if (!g->n_layers)
        while (ltx2_checkpoint_findf(c, "%slayers.%lld.input_layernorm.weight", p, (long long)g->n_layers))
            ++g->n_layers;
    if (g->n_layers < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%slayers.0.*: no Gemma layers", p);
    if (!g->head_dim && (t = ltx2_checkpoint_findf(c, "%slayers.0.self_attn.q_norm.weight", p)))
        g->head_dim = t->shape[0];
    if (g->head_dim < 2 || g->head_dim % 2)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%slayers.0.self_attn.q_norm.weight: bad head_dim %lld", p,
                        (long long)g->head_dim);
    if (!g->n_heads && (t = ltx2_checkpoint_findf(c, "%slayers.0.self_attn.q_proj.weight", p)))
        g->n_heads = t->shape[0] / g->head_dim;
    if (!g->n_kv_heads && (t = ltx2_checkpoint_findf(c, "%slayers.0.self_attn.k_proj.weight", p)))
        g->n_kv_heads = t->shape[0] / g->head_dim;
    if (!g->intermediate && (t = ltx2_checkpoint_findf(c, "%slayers.0.mlp.gate_proj.weight", p)))
        g->intermediate = t->shape[0];
    if (g->n_heads < 1 || g->n_kv_heads < 1 || g->n_heads % g->n_kv_heads || g->intermediate < 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma: heads %lld / kv heads %lld / intermediate %lld invalid",
                        (long long)g->n_heads, (long long)g->n_kv_heads, (long long)g->intermediate);
    if (!(g->query_pre_attn_scalar > 0)) g->query_pre_attn_scalar = (double)g->head_dim;
    if (!g->sliding) {
        g->sliding = malloc((size_t)g->n_layers);
        if (!g->sliding) return ltx2_err(err, LTX2_ERR_OOM, "Gemma: out of memory");
        int64_t pat = g->sliding_pattern > 0 ? g->sliding_pattern : 1;
        for (int64_t i = 0; i < g->n_layers; ++i) g->sliding[i] = (i + 1) % pat != 0;
    }
    return LTX2_OK;
}

static ltx2_status load_layer(const ltx2_checkpoint *c, const char *p, int64_t i, const ltx2_gemma3_config *g,
                              ltx2_gemma3_layer *l, ltx2_error *err)
{
    char n[256];
    const int64_t D = g->hidden, hq = g->n_heads * g->head_dim, hkv = g->n_kv_heads * g->head_dim;
    const int64_t I = g->intermediate, hd = g->head_dim;
#define MAT(field, key, r, cc) \
    (snprintf(n, sizeof n, "%slayers.%lld.%s", p, (long long)i, key), ltx2_ckpt_mat(c, n, r, cc, &l->field, err))
#define VEC(field, key, len) \
    (snprintf(n, sizeof n, "%slayers.%lld.%s", p, (long long)i, key), ltx2_ckpt_vec(c, n, len, &l->field, err))
    ltx2_status st;
    if ((st = MAT(q, "self_attn.q_proj.weight", hq, D)) || (st = MAT(k, "self_attn.k_proj.weight", hkv, D)) ||
        (st = MAT(v, "self_attn.v_proj.weight", hkv, D)) || (st = MAT(o, "self_attn.o_proj.weight", D, hq)) ||
        (st = MAT(gate, "mlp.gate_proj.weight", I, D)) || (st = MAT(up, "mlp.up_proj.weight", I, D)) ||
        (st = MAT(down, "mlp.down_proj.weight", D, I)) || (st = VEC(ln_in, "input_layernorm.weight", D)) ||
        (st = VEC(ln_post_attn, "post_attention_layernorm.weight", D)) ||
        (st = VEC(ln_pre_ff, "pre_feedforward_layernorm.weight", D)) ||
        (st = VEC(ln_post_ff, "post_feedforward_layernorm.weight", D)) ||
        (st = VEC(q_norm, "self_attn.q_norm.weight", hd)) || (st = VEC(k_norm, "self_attn.k_norm.weight", hd)))
        return st;
#undef MAT
#undef VEC
    return LTX2_OK;
}

ltx2_status ltx2_gemma3_load(ltx2_checkpoint *ckpt, ltx2_gemma3_config *cfg, ltx2_gemma3 **out,
                             ltx2_error *err)
{
    *out = NULL;
    ltx2_gemma3 *m = calloc(1, sizeof *m);
    if (!m) {
        ltx2_gemma3_config_free(cfg);
        return ltx2_err(err, LTX2_ERR_OOM, "Gemma: out of memory");
    }
    m->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    ltx2_checkpoint_retain(ckpt);
    m->ckpt = ckpt;

    const char *p = NULL;
    for (size_t i = 0; i < sizeof k_prefixes / sizeof *k_prefixes && !p; ++i)
        if (ltx2_checkpoint_findf(ckpt, "%sembed_tokens.weight", k_prefixes[i])) p = k_prefixes[i];
    ltx2_status st;
    if (!p) {
        st = ltx2_err(err, LTX2_ERR_BAD_INPUT, "language_model.model.embed_tokens.weight: missing (no Gemma weights)");
        goto fail;
    }
    ltx2_gemma3_config *g = &m->cfg;
    if ((st = derive_dims(ckpt, p, g, err))) goto fail;
    char n[256];
    snprintf(n, sizeof n, "%sembed_tokens.weight", p);
    if ((st = ltx2_ckpt_mat(ckpt, n, g->vocab, g->hidden, &m->embed, err))) goto fail;
    snprintf(n, sizeof n, "%snorm.weight", p);
    if ((st = ltx2_ckpt_vec(ckpt, n, g->hidden, &m->final_norm, err))) goto fail;
    m->layers = calloc((size_t)g->n_layers, sizeof *m->layers);
    if (!m->layers) {
        st = ltx2_err(err, LTX2_ERR_OOM, "Gemma: out of memory");
        goto fail;
    }
    for (int64_t i = 0; i < g->n_layers; ++i)
        if ((st = load_layer(ckpt, p, i, g, &m->layers[i], err))) goto fail;
    *out = m;
    return LTX2_OK;
fail:
    ltx2_gemma3_free(m);
    return st;
}

/* cos/sin [n][n_heads*head_dim/2] for positions pos0..pos0+n-1 (every head the same),
 * as HF computes them in f32: inv_freq[j] = 1 / theta^(2j/hd) / factor, angle = pos * inv_freq[j]. */
static void rope_table(int64_t pos0, int64_t n, int64_t heads, int64_t hd, double theta, double factor, float *cs,
                       float *sn)
{
    const int64_t half = hd / 2, ld = heads * half;
    for (int64_t j = 0; j < half; ++j) {
        float expo = (float)(2 * j) / (float)hd;
        float inv = (float)(1.0 / (double)powf((float)theta, expo));
        inv = inv / (float)factor;
        for (int64_t t = 0; t < n; ++t) {
            float a = (float)(pos0 + t) * inv;
            float c = (float)cos((double)a), s = (float)sin((double)a);
            for (int64_t h = 0; h < heads; ++h) {
                cs[t * ld + h * half + j] = c;
                sn[t * ld + h * half + j] = s;
            }
        }
    }
}

typedef struct scratch {
    float *a, *q, *k, *v, *att, *tmp, *g, *u;
    float *cos_l, *sin_l, *cos_g, *sin_g;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->a), free(s->q), free(s->k), free(s->v), free(s->att), free(s->tmp), free(s->g), free(s->u);
    free(s->cos_l), free(s->sin_l), free(s->cos_g), free(s->sin_g);
}

static int scratch_alloc(scratch *s, const ltx2_gemma3_config *g, int64_t n)
{
    memset(s, 0, sizeof *s);
    const size_t D = (size_t)g->hidden, hq = (size_t)(g->n_heads * g->head_dim);
    const size_t hkv = (size_t)(g->n_kv_heads * g->head_dim), I = (size_t)g->intermediate, N = (size_t)n;
    s->a = malloc(N * D * 4), s->tmp = malloc(N * D * 4);
    s->q = malloc(N * hq * 4), s->att = malloc(N * hq * 4);
    s->k = malloc(N * hkv * 4), s->v = malloc(N * hkv * 4);
    s->g = malloc(N * I * 4), s->u = malloc(N * I * 4);
    s->cos_l = malloc(N * hq / 2 * 4), s->sin_l = malloc(N * hq / 2 * 4);
    s->cos_g = malloc(N * hq / 2 * 4), s->sin_g = malloc(N * hq / 2 * 4);
    return s->a && s->tmp && s->q && s->att && s->k && s->v && s->g && s->u && s->cos_l && s->sin_l &&
           s->cos_g && s->sin_g;
}

/* ---------------------------------------------------------------- KV cache */
void ltx2_gemma3_kv_free(ltx2_gemma3_kv *kv)
{
    if (!kv) return;
    for (int64_t i = 0; kv->k && i < kv->n_layers; ++i) free(kv->k[i]), free(kv->v[i]);
    free(kv->k), free(kv->v), free(kv->rows);
    free(kv);
}

ltx2_status ltx2_gemma3_kv_new(const ltx2_gemma3_config *g, int64_t capacity, ltx2_gemma3_kv **out,
                               ltx2_error *err)
{
    *out = NULL;
    if (capacity < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma KV cache: capacity %lld < 1", (long long)capacity);
    ltx2_gemma3_kv *kv = calloc(1, sizeof *kv);
    const int64_t NL = g->n_layers, hkv = g->n_kv_heads * g->head_dim;
    if (kv) {
        kv->n_layers = NL, kv->capacity = capacity;
        kv->k = calloc((size_t)NL, sizeof *kv->k), kv->v = calloc((size_t)NL, sizeof *kv->v);
        kv->rows = calloc((size_t)NL, sizeof *kv->rows);
    }
    int ok = kv && kv->k && kv->v && kv->rows;
    for (int64_t i = 0; ok && i < NL; ++i) {
        /* Sliding layers never look further back than the window: a ring of that many rows. */
        kv->rows[i] = g->sliding[i] && g->sliding_window < capacity ? g->sliding_window : capacity;
        kv->k[i] = malloc((size_t)(kv->rows[i] * hkv) * sizeof(float));
        kv->v[i] = malloc((size_t)(kv->rows[i] * hkv) * sizeof(float));
        ok = kv->k[i] && kv->v[i];
    }
    if (!ok) {
        ltx2_gemma3_kv_free(kv);
        return ltx2_err(err, LTX2_ERR_OOM, "Gemma KV cache: out of memory for %lld positions", (long long)capacity);
    }
    *out = kv;
    return LTX2_OK;
}

/* ---------------------------------------------------------------- one layer */
typedef struct pass_geom {
    int64_t pos0;                  /* position of the first of the n rows */
    const ltx2_gemma3_span *bidir; /* prefill only: spans whose positions see each other */
    int64_t n_bidir;
    ltx2_gemma3_kv *kv;            /* NULL: no cache */
    int64_t layer;
} pass_geom;

/* Rows inside a bidirectional span (an image) also see the later keys of their span:
 * row i of span [b, e) sees keys [lo, e) with lo = the causal/window start or b,
 * whichever is smaller — one contiguous range, so one call per row. */
static kstatus attend_spans(const kctx *ctx, const kattn *base, const pass_geom *pg, int64_t window)
{
    kstatus ks = KS_OK;
    const int64_t hq = base->ldq, hkv = base->ldk;
    for (int64_t s = 0; s < pg->n_bidir; ++s) {
        const int64_t b = pg->bidir[s].begin, e = pg->bidir[s].end;
        for (int64_t i = b; i < e && ks == KS_OK; ++i) {
            int64_t lo = window > 0 ? i - window + 1 : 0;
            if (lo > b) lo = b;
            if (lo < 0) lo = 0;
            kattn a = *base;
            a.nq = 1, a.nkv = e - lo, a.causal = 0, a.window = 0;
            a.q = base->q + i * hq, a.out = base->out + i * hq;
            a.k = base->k + lo * hkv, a.v = base->v + lo * hkv;
            ks = k_attention(ctx, &a);
        }
    }
    return ks;
}

/* Self-attention of the n rows in s->q/k/v (RoPE applied) into s->att. Without a cache
 * or at position 0 the rows attend among themselves (and are then kept in the cache);
 * a decode row (pos0 > 0, n == 1) is written to the cache first and attends to it. */
static kstatus attend(const kctx *ctx, const ltx2_gemma3_config *g, int sliding, int64_t n, const pass_geom *pg,
                      scratch *s)
{
    const int64_t hd = g->head_dim, hq = g->n_heads * hd, hkv = g->n_kv_heads * hd;
    const int64_t window = sliding ? g->sliding_window : 0;
    kattn at = {.nq = n, .nkv = n, .n_heads = (int)g->n_heads, .n_kv_heads = (int)g->n_kv_heads, .head_dim = (int)hd,
                .q = s->q, .ldq = hq, .k = s->k, .ldk = hkv, .v = s->v, .ldv = hkv, .out = s->att, .ldo = hq,
                .causal = 1, .window = window, .scale = (float)pow(g->query_pre_attn_scalar, -0.5)};
    ltx2_gemma3_kv *kv = pg->kv;
    const size_t row = (size_t)hkv * sizeof(float);
    kstatus ks = KS_OK;
    if (!kv || pg->pos0 == 0) {
        K_THEN(ks, k_attention(ctx, &at));
        if (pg->n_bidir) K_THEN(ks, attend_spans(ctx, &at, pg, window));
        if (!kv) return ks;
        const int64_t R = kv->rows[pg->layer];
        for (int64_t t = n > R ? n - R : 0; t < n; ++t) { /* a ring keeps the last R rows */
            K_THEN(ks, k_copy(ctx, kv->k[pg->layer] + (t % R) * hkv, s->k + t * hkv, row, K_D2D));
            K_THEN(ks, k_copy(ctx, kv->v[pg->layer] + (t % R) * hkv, s->v + t * hkv, row, K_D2D));
        }
        return ks;
    }
    const int64_t R = kv->rows[pg->layer], p = pg->pos0, slot = p % R;
    K_THEN(ks, k_copy(ctx, kv->k[pg->layer] + slot * hkv, s->k, row, K_D2D));
    K_THEN(ks, k_copy(ctx, kv->v[pg->layer] + slot * hkv, s->v, row, K_D2D));
    /* Every cached row is at or before p and (for a ring) inside the window: no mask,
     * and softmax does not care about the ring's order. */
    at.nq = 1, at.nkv = p + 1 < R ? p + 1 : R, at.causal = 0, at.window = 0;
    at.k = kv->k[pg->layer], at.v = kv->v[pg->layer];
    K_THEN(ks, k_attention(ctx, &at));
    return ks;
}

/* One decoder layer, h [n][D] updated in place. */
static kstatus layer_forward(const kctx *ctx, const ltx2_gemma3_config *g, const ltx2_gemma3_layer *l,
                             int sliding, int64_t n, float *h, scratch *s, const pass_geom *pg)
{
    const int64_t D = g->hidden, hd = g->head_dim, H = g->n_heads, Hkv = g->n_kv_heads;
    const int64_t hq = H * hd, hkv = Hkv * hd, I = g->intermediate;
    const float eps = (float)g->rms_eps;
    kstatus ks = KS_OK;

    K_THEN(ks, k_rmsnorm(ctx, n, D, h, D, l->ln_in, 1.0f, eps, s->a, D));
    K_THEN(ks, k_linear(ctx, n, s->a, D, &l->q, NULL, NULL, s->q, hq, 0));
    K_THEN(ks, k_linear(ctx, n, s->a, D, &l->k, NULL, NULL, s->k, hkv, 0));
    K_THEN(ks, k_linear(ctx, n, s->a, D, &l->v, NULL, NULL, s->v, hkv, 0));
    /* q/k norms are per head: rows of head_dim. */
    K_THEN(ks, k_rmsnorm(ctx, n * H, hd, s->q, hd, l->q_norm, 1.0f, eps, s->q, hd));
    K_THEN(ks, k_rmsnorm(ctx, n * Hkv, hd, s->k, hd, l->k_norm, 1.0f, eps, s->k, hd));
    const float *cs = sliding ? s->cos_l : s->cos_g, *sn = sliding ? s->sin_l : s->sin_g;
    K_THEN(ks, k_rope(ctx, KROPE_SPLIT, n, hq, hd, s->q, hq, cs, sn, hq / 2));
    K_THEN(ks, k_rope(ctx, KROPE_SPLIT, n, hkv, hd, s->k, hkv, cs, sn, hq / 2));
    K_THEN(ks, attend(ctx, g, sliding, n, pg, s));
    K_THEN(ks, k_linear(ctx, n, s->att, hq, &l->o, NULL, NULL, s->tmp, D, 0));
    K_THEN(ks, k_rmsnorm(ctx, n, D, s->tmp, D, l->ln_post_attn, 1.0f, eps, s->tmp, D));
    K_THEN(ks, k_add(ctx, h, s->tmp, h, n * D));

    K_THEN(ks, k_rmsnorm(ctx, n, D, h, D, l->ln_pre_ff, 1.0f, eps, s->a, D));
    K_THEN(ks, k_linear(ctx, n, s->a, D, &l->gate, NULL, NULL, s->g, I, 0));
    K_THEN(ks, k_linear(ctx, n, s->a, D, &l->up, NULL, NULL, s->u, I, 0));
    K_THEN(ks, k_gelu_tanh(ctx, s->g, s->g, n * I));
    K_THEN(ks, k_mul(ctx, s->g, s->u, s->g, n * I));
    K_THEN(ks, k_linear(ctx, n, s->g, I, &l->down, NULL, NULL, s->tmp, D, 0));
    K_THEN(ks, k_rmsnorm(ctx, n, D, s->tmp, D, l->ln_post_ff, 1.0f, eps, s->tmp, D));
    K_THEN(ks, k_add(ctx, h, s->tmp, h, n * D));
    return ks;
}

/* Token embeddings times sqrt(hidden) in the activation precision (bf16 in fast mode, as
 * the bf16 pipeline casts the scale to the weight dtype); rows whose id is soft_id take
 * the next row of soft instead, unscaled (image features replace the placeholders). */
static void embed_rows(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gemma3_pass *p, float *h)
{
    const int64_t D = m->cfg.hidden;
    float scale = sqrtf((float)D);
    if (ctx->prec == KP_FAST) scale = k_bf16_to_f32(k_f32_to_bf16(scale));
    const size_t esz = k_dtype_size(m->embed.dtype);
    int64_t next_soft = 0;
    for (int64_t t = 0; t < p->n; ++t) {
        if (p->soft && p->ids[t] == p->soft_id) {
            memcpy(h + t * D, p->soft + next_soft++ * D, (size_t)D * sizeof(float));
            continue;
        }
        const char *row = (const char *)m->embed.data + (size_t)p->ids[t] * (size_t)m->embed.ld * esz;
        k_to_f32(m->embed.dtype, row, h + t * D, D);
        for (int64_t d = 0; d < D; ++d) h[t * D + d] = h[t * D + d] * m->embed.scale * scale;
    }
}

static ltx2_status check_pass(const ltx2_gemma3 *m, const ltx2_gemma3_pass *p, int64_t pos0, ltx2_error *err)
{
    const ltx2_gemma3_config *g = &m->cfg;
    if (p->n < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma: no tokens");
    if (!p->hidden && !p->out) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma: no output buffer");
    for (int64_t t = 0; t < p->n; ++t)
        if ((p->ids[t] < 0 || p->ids[t] >= g->vocab) && !(p->soft && p->ids[t] == p->soft_id))
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "token id %d outside the vocabulary (%lld)", p->ids[t],
                            (long long)g->vocab);
    if (p->kv) {
        if (p->kv->n_layers != g->n_layers)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma KV cache: made for %lld layers, model has %lld",
                            (long long)p->kv->n_layers, (long long)g->n_layers);
        if (pos0 + p->n > p->kv->capacity)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma KV cache: %lld positions exceed its capacity %lld",
                            (long long)(pos0 + p->n), (long long)p->kv->capacity);
        if (pos0 > 0 && p->n != 1)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma: after the prefill, tokens go one at a time");
    }
    for (int64_t s = 0; s < p->n_bidir; ++s)
        if (pos0 > 0 || p->bidir[s].begin < 0 || p->bidir[s].end > p->n || p->bidir[s].begin >= p->bidir[s].end)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma: bidirectional span %lld invalid", (long long)s);
    return LTX2_OK;
}

static ltx2_status run_body(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gemma3_pass *p, ltx2_error *err)
{
    const ltx2_gemma3_config *g = &m->cfg;
    const int64_t D = g->hidden, NL = g->n_layers, n = p->n;
    const int64_t pos0 = p->kv ? p->kv->len : 0;
    ltx2_status st = check_pass(m, p, pos0, err);
    if (st) return st;
    if (p->progress && (st = p->progress(p->user, 0, NL))) return st;

    float *h = p->hidden ? p->hidden : p->out;
    embed_rows(ctx, m, p, h);
    scratch s;
    if (!scratch_alloc(&s, g, n)) {
        scratch_free(&s);
        return ltx2_err(err, LTX2_ERR_OOM, "Gemma: out of memory for %lld tokens", (long long)n);
    }
    rope_table(pos0, n, g->n_heads, g->head_dim, g->theta_local, g->factor_local, s.cos_l, s.sin_l);
    rope_table(pos0, n, g->n_heads, g->head_dim, g->theta_global, g->factor_global, s.cos_g, s.sin_g);
    pass_geom pg = {.pos0 = pos0, .bidir = p->bidir, .n_bidir = p->n_bidir, .kv = p->kv};
    for (int64_t i = 0; i < NL; ++i) {
        kstatus ks = KS_OK;
        if (p->hidden) { /* every state kept: layer i writes slice i+1 */
            float *next = p->hidden + (i + 1) * n * D;
            ks = k_copy(ctx, next, h, (size_t)(n * D) * sizeof(float), K_D2D);
            h = next;
        }
        pg.layer = i;
        K_THEN(ks, layer_forward(ctx, g, &m->layers[i], g->sliding[i], n, h, &s, &pg));
        if (i == NL - 1) K_THEN(ks, k_rmsnorm(ctx, n, D, h, D, m->final_norm, 1.0f, (float)g->rms_eps, h, D));
        if ((st = ltx2_kerr(err, ks, "Gemma layer")) != LTX2_OK) break;
        if (p->progress && (st = p->progress(p->user, i + 1, NL))) break;
    }
    if (p->hidden && p->out && st == LTX2_OK) memcpy(p->out, h, (size_t)(n * D) * sizeof(float));
    if (st == LTX2_OK && p->kv) p->kv->len = pos0 + n;
    scratch_free(&s);
    return st;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status ltx2_gemma3_run(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gemma3_pass *p, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws) return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = run_body(ws, m, p, err);
    k_arena_destroy(own);
    return st;
}

ltx2_status ltx2_gemma3_forward(const kctx *ctx, const ltx2_gemma3 *m, const int32_t *ids, int64_t n,
                                float *hidden, ltx2_layer_progress progress, void *user, ltx2_error *err)
{
    ltx2_gemma3_pass p = {.ids = ids, .n = n, .hidden = hidden, .progress = progress, .user = user};
    return ltx2_gemma3_run(ctx, m, &p, err);
}
