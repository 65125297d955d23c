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

/* cos/sin [n][n_heads*head_dim/2] (every head the same), as HF computes them in f32:
 * inv_freq[j] = 1 / theta^(2j/hd) / factor, angle = pos * inv_freq[j]. */
static void rope_table(int64_t n, int64_t heads, int64_t hd, double theta, double factor, float *cs, float *sn)
{
    const int64_t half = hd / 2, ld = heads * half;
    for (int64_t j = 0; j < half; ++j) {
        float expo = (float)(2 * j) / (float)hd;
        float inv = (float)(1.0 / (double)powf((float)theta, expo));
        inv = inv / (float)factor;
        for (int64_t t = 0; t < n; ++t) {
            float a = (float)t * inv;
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

/* One decoder layer, h [n][D] updated in place. */
static kstatus layer_forward(const kctx *ctx, const ltx2_gemma3_config *g, const ltx2_gemma3_layer *l,
                             int sliding, int64_t n, float *h, scratch *s)
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
    kattn at = {.nq = n, .nkv = n, .n_heads = (int)H, .n_kv_heads = (int)Hkv, .head_dim = (int)hd,
                .q = s->q, .ldq = hq, .k = s->k, .ldk = hkv, .v = s->v, .ldv = hkv, .out = s->att, .ldo = hq,
                .causal = 1, .window = sliding ? g->sliding_window : 0,
                .scale = (float)pow(g->query_pre_attn_scalar, -0.5)};
    K_THEN(ks, k_attention(ctx, &at));
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

static ltx2_status ltx2_gemma3_forward_run(const kctx *ctx, const ltx2_gemma3 *m, const int32_t *ids, int64_t n, float *hidden,
                                ltx2_layer_progress progress, void *user, ltx2_error *err)
{
    const ltx2_gemma3_config *g = &m->cfg;
    const int64_t D = g->hidden, NL = g->n_layers;
    if (n < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma: no tokens");
    for (int64_t t = 0; t < n; ++t)
        if (ids[t] < 0 || ids[t] >= g->vocab)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "token id %d outside the vocabulary (%lld)", ids[t],
                            (long long)g->vocab);
    ltx2_status st = progress ? progress(user, 0, NL) : LTX2_OK;
    if (st) return st;

    /* Embeddings times sqrt(hidden) in the activation precision (bf16 in fast mode,
     * as the bf16 pipeline casts the scale to the weight dtype). */
    float scale = sqrtf((float)D);
    if (ctx->prec == KP_FAST) scale = k_bf16_to_f32(k_f32_to_bf16(scale));
    const size_t esz = k_dtype_size(m->embed.dtype);
    for (int64_t t = 0; t < n; ++t) {
        const char *row = (const char *)m->embed.data + (size_t)ids[t] * (size_t)m->embed.ld * esz;
        k_to_f32(m->embed.dtype, row, hidden + t * D, D);
        for (int64_t d = 0; d < D; ++d) hidden[t * D + d] = hidden[t * D + d] * m->embed.scale * scale;
    }

    scratch s;
    if (!scratch_alloc(&s, g, n)) {
        scratch_free(&s);
        return ltx2_err(err, LTX2_ERR_OOM, "Gemma: out of memory for %lld tokens", (long long)n);
    }
    rope_table(n, g->n_heads, g->head_dim, g->theta_local, g->factor_local, s.cos_l, s.sin_l);
    rope_table(n, g->n_heads, g->head_dim, g->theta_global, g->factor_global, s.cos_g, s.sin_g);
    for (int64_t i = 0; i < NL; ++i) {
        float *h = hidden + (i + 1) * n * D;
        kstatus ks = k_copy(ctx, h, hidden + i * n * D, (size_t)(n * D) * sizeof(float), K_D2D);
        K_THEN(ks, layer_forward(ctx, g, &m->layers[i], g->sliding[i], n, h, &s));
        if (i == NL - 1) K_THEN(ks, k_rmsnorm(ctx, n, D, h, D, m->final_norm, 1.0f, (float)g->rms_eps, h, D));
        if ((st = ltx2_kerr(err, ks, "Gemma layer")) != LTX2_OK) break;
        if (progress && (st = progress(user, i + 1, NL))) break;
    }
    scratch_free(&s);
    return st;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status ltx2_gemma3_forward(const kctx *ctx, const ltx2_gemma3 *m, const int32_t *ids, int64_t n,
                                float *hidden, ltx2_layer_progress progress, void *user, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = ltx2_gemma3_forward_run(ws, m, ids, n, hidden, progress, user, err);
    k_arena_destroy(own);
    return st;
}
