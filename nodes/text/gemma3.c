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

static const lx_mirror_ops gemma3_mirror;

void ltx2_gemma3_free(ltx2_gemma3 *m)
{
    if (!m) return;
    lx_resident_fini(&m->resident, &gemma3_mirror);
    if (m->layers && !m->base) { /* a view's vectors are its base's */
        for (int64_t i = 0; i < m->cfg.n_layers; ++i) {
            ltx2_gemma3_layer *l = &m->layers[i];
            free(l->ln_in), free(l->ln_post_attn), free(l->ln_pre_ff), free(l->ln_post_ff);
            free(l->q_norm), free(l->k_norm);
        }
    }
    free(m->layers);
    if (!m->base) free(m->final_norm);
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
    lx_resident_init(&m->resident);
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

/* ---------------------------------------------------------------- device weights */
void ltx2_gemma3_layer_upload(lx_upload *u, ltx2_gemma3_layer *l, const ltx2_gemma3_config *g)
{
    lx_upload_mat(u, &l->q), lx_upload_mat(u, &l->k), lx_upload_mat(u, &l->v), lx_upload_mat(u, &l->o);
    lx_upload_mat(u, &l->gate), lx_upload_mat(u, &l->up), lx_upload_mat(u, &l->down);
    lx_upload_vec(u, &l->ln_in, g->hidden), lx_upload_vec(u, &l->ln_post_attn, g->hidden);
    lx_upload_vec(u, &l->ln_pre_ff, g->hidden), lx_upload_vec(u, &l->ln_post_ff, g->hidden);
    lx_upload_vec(u, &l->q_norm, g->head_dim), lx_upload_vec(u, &l->k_norm, g->head_dim);
}

/* The mirror: the struct (config shared with the host model, never freed through the
 * mirror) with its own copy of the layer array, whose slots the walk repoints. */
static void *mirror_make(const void *model)
{
    const ltx2_gemma3 *m = model;
    ltx2_gemma3 *d = malloc(sizeof *d);
    ltx2_gemma3_layer *layers = malloc((size_t)m->cfg.n_layers * sizeof *layers);
    if (!d || !layers) {
        free(d), free(layers);
        return NULL;
    }
    *d = *m;
    memcpy(layers, m->layers, (size_t)m->cfg.n_layers * sizeof *layers);
    d->layers = layers;
    return d;
}

/* The fixed weights: the embedding table (also the LM head; 262k × 3840 bf16 = 1.88 GiB
 * on the 12B, always on the device) and the final norm. */
static void mirror_walk_fixed(void *mirror, lx_upload *u)
{
    ltx2_gemma3 *d = mirror;
    lx_upload_mat(u, &d->embed);
    lx_upload_vec(u, &d->final_norm, d->cfg.hidden);
}

static void mirror_walk_layer(void *mirror, int i, lx_upload *u)
{
    ltx2_gemma3 *d = mirror;
    ltx2_gemma3_layer_upload(u, &d->layers[i], &d->cfg);
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    ltx2_gemma3 *d = mirror;
    mirror_walk_fixed(mirror, u);
    for (int64_t i = 0; i < d->cfg.n_layers; ++i) mirror_walk_layer(mirror, (int)i, u);
}

static int mirror_n_units(const void *mirror) { return (int)((const ltx2_gemma3 *)mirror)->cfg.n_layers; }

static void mirror_free(void *mirror)
{
    ltx2_gemma3 *d = mirror;
    free(d->layers);
    free(d);
}

static const lx_mirror_ops gemma3_mirror = {mirror_make, mirror_walk, mirror_free};
/* The decoder layers are the units that stream under a budget (nodes/common/stream.h). */
static const lx_unit_ops gemma3_units = {&gemma3_mirror, mirror_n_units, mirror_walk_fixed, mirror_walk_layer,
                                         "layer"};

/* The residency state is the one mutable part of a loaded model (locked inside). */
static lx_resident *resident_of(const ltx2_gemma3 *m) { return (lx_resident *)&m->resident; }

/* The mirror on kc's device, placed under the budget for a run asking `ask`. */
static ltx2_status place(const ltx2_gemma3 *m, const kctx *kc, const lx_mem_ask *ask, const ltx2_gemma3 **out,
                         ltx2_error *err)
{
    *out = m;
    if (kc->backend == KB_CPU && !kc->budget) return LTX2_OK;
    void *mirror = NULL;
    ltx2_status st =
        lx_resident_get_planned(resident_of(m), &gemma3_units, m, kc, "Gemma 3 text model", ask, &mirror, err);
    if (st == LTX2_OK) *out = mirror;
    return st;
}

ltx2_status ltx2_gemma3_on(const ltx2_gemma3 *m, const kctx *kc, const ltx2_gemma3 **out, ltx2_error *err)
{
    const lx_mem_ask none = {.workspace_for = "no tokens"};
    return place(m, kc, &none, out, err);
}

/* The ask of a run of n tokens (what sizes it, for the messages, into what[]). */
static lx_mem_ask ask_of(const ltx2_gemma3 *m, const kctx *kc, int64_t n, int64_t kv_capacity, int gen, char *what,
                         size_t size, size_t *arena)
{
    const ltx2_gemma3_mem mem = ltx2_gemma3_workspace(m, kc, n, kv_capacity, gen);
    if (arena) *arena = mem.arena;
    if (kv_capacity > 0)
        snprintf(what, size, "%lld tokens and a KV cache of %lld positions", (long long)n, (long long)kv_capacity);
    else
        snprintf(what, size, "%lld tokens", (long long)n);
    return (lx_mem_ask){.workspace = mem.total, .workspace_new = mem.fresh, .workspace_for = what};
}

ltx2_status ltx2_gemma3_prepare(const ltx2_gemma3 *m, const kctx *kc, int64_t n, int64_t kv_capacity, int gen,
                                ltx2_error *err)
{
    char what[96];
    size_t arena = 0;
    const lx_mem_ask ask = ask_of(m, kc, n, kv_capacity, gen, what, sizeof what, &arena);
    const ltx2_gemma3 *w = NULL;
    ltx2_status st = place(m, kc, &ask, &w, err);
    /* the arena's peak in one chunk: nothing made or wasted inside the passes */
    if (!st && kc->arena)
        st = ltx2_kerr(err, k_arena_reserve(kc->arena, arena), "Gemma: the workspace");
    return st;
}

const lx_plan *ltx2_gemma3_plan(const ltx2_gemma3 *m) { return lx_resident_plan(&m->resident); }

void ltx2_gemma3_weight_bytes(const ltx2_gemma3 *m, size_t *fixed, size_t *layer_max)
{
    *fixed = *layer_max = 0;
    void *d = mirror_make(m); /* the walks write the slots' fields: a copy's */
    if (!d) return;
    lx_upload u = {0};
    mirror_walk_fixed(d, &u);
    *fixed = u.bytes;
    for (int64_t i = 0; i < m->cfg.n_layers; ++i) {
        u = (lx_upload){0};
        mirror_walk_layer(d, (int)i, &u);
        *layer_max = u.bytes > *layer_max ? u.bytes : *layer_max;
    }
    mirror_free(d);
}

ltx2_status ltx2_gemma3_repeat_layers(const ltx2_gemma3 *m, int64_t n_layers, ltx2_gemma3 **out, ltx2_error *err)
{
    *out = NULL;
    const int64_t n0 = m->cfg.n_layers;
    ltx2_gemma3 *r = n_layers >= 1 ? calloc(1, sizeof *r) : NULL;
    if (!r) return ltx2_err(err, n_layers < 1 ? LTX2_ERR_BAD_INPUT : LTX2_ERR_OOM, "Gemma: repeat to %lld layers",
                            (long long)n_layers);
    r->cfg = m->cfg;
    r->cfg.n_layers = n_layers;
    r->cfg.sliding = malloc((size_t)n_layers);
    r->layers = malloc((size_t)n_layers * sizeof *r->layers);
    r->base = m;
    r->embed = m->embed;
    r->final_norm = m->final_norm;
    lx_resident_init(&r->resident);
    ltx2_checkpoint_retain(m->ckpt);
    r->ckpt = m->ckpt;
    if (!r->cfg.sliding || !r->layers) {
        ltx2_gemma3_free(r);
        return ltx2_err(err, LTX2_ERR_OOM, "Gemma: out of memory");
    }
    for (int64_t i = 0; i < n_layers; ++i) {
        r->layers[i] = m->layers[i % n0];
        r->cfg.sliding[i] = m->cfg.sliding[i % n0];
    }
    *out = r;
    return LTX2_OK;
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

/* The pass's activations from the workspace arena (ctx's memory). */
static kstatus scratch_alloc(const kctx *ctx, scratch *s, const ltx2_gemma3_config *g, int64_t n)
{
    const size_t D = (size_t)g->hidden, hq = (size_t)(g->n_heads * g->head_dim);
    const size_t hkv = (size_t)(g->n_kv_heads * g->head_dim), I = (size_t)g->intermediate, N = (size_t)n, f = 4;
    struct {
        float **p;
        size_t bytes;
    } want[] = {{&s->a, N * D * f},      {&s->tmp, N * D * f},    {&s->q, N * hq * f},     {&s->att, N * hq * f},
                {&s->k, N * hkv * f},    {&s->v, N * hkv * f},    {&s->g, N * I * f},      {&s->u, N * I * f},
                {&s->cos_l, N * hq / 2 * f}, {&s->sin_l, N * hq / 2 * f}, {&s->cos_g, N * hq / 2 * f},
                {&s->sin_g, N * hq / 2 * f}};
    kstatus ks = KS_OK;
    for (size_t i = 0; i < sizeof want / sizeof *want; ++i)
        K_THEN(ks, k_arena_alloc(ctx->arena, want[i].bytes, (void **)want[i].p));
    return ks;
}

/* The local and global RoPE tables of positions pos0.. into s (ctx's memory). They are
 * computed on the host (the host's cos/sin, so both backends rotate by the same angles)
 * and, on a device, copied there once per pass. */
static kstatus rope_tables(const kctx *ctx, const ltx2_gemma3_config *g, int64_t pos0, int64_t n, scratch *s)
{
    const size_t half = (size_t)(n * g->n_heads * g->head_dim / 2);
    float *t[4] = {s->cos_l, s->sin_l, s->cos_g, s->sin_g};
    float *host = NULL;
    if (ctx->backend != KB_CPU) {
        host = malloc(4 * half * sizeof(float));
        if (!host) return KS_OOM;
        for (int i = 0; i < 4; ++i) t[i] = host + (size_t)i * half;
    }
    rope_table(pos0, n, g->n_heads, g->head_dim, g->theta_local, g->factor_local, t[0], t[1]);
    rope_table(pos0, n, g->n_heads, g->head_dim, g->theta_global, g->factor_global, t[2], t[3]);
    kstatus ks = KS_OK;
    if (host) {
        K_THEN(ks, k_copy(ctx, s->cos_l, t[0], half * sizeof(float), K_H2D));
        K_THEN(ks, k_copy(ctx, s->sin_l, t[1], half * sizeof(float), K_H2D));
        K_THEN(ks, k_copy(ctx, s->cos_g, t[2], half * sizeof(float), K_H2D));
        K_THEN(ks, k_copy(ctx, s->sin_g, t[3], half * sizeof(float), K_H2D));
        K_THEN(ks, k_sync(ctx)); /* the host tables go next */
        free(host);
    }
    return ks;
}

/* ---------------------------------------------------------------- KV cache */
void ltx2_gemma3_kv_free(ltx2_gemma3_kv *kv)
{
    if (!kv) return;
    for (int64_t i = 0; kv->k && i < kv->n_layers; ++i) k_free(&kv->mem, kv->k[i]), k_free(&kv->mem, kv->v[i]);
    free(kv->k), free(kv->v), free(kv->rows);
    free(kv);
}

ltx2_status ltx2_gemma3_kv_new(const kctx *ctx, const ltx2_gemma3_config *g, int64_t capacity, ltx2_gemma3_kv **out,
                               ltx2_error *err)
{
    *out = NULL;
    if (capacity < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma KV cache: capacity %lld < 1", (long long)capacity);
    ltx2_gemma3_kv *kv = calloc(1, sizeof *kv);
    const int64_t NL = g->n_layers, hkv = g->n_kv_heads * g->head_dim;
    if (kv) {
        kv->n_layers = NL, kv->capacity = capacity;
        kv->mem = (kctx){.backend = ctx->backend, .cuda = ctx->cuda, .prec = ctx->prec, .isa = ctx->isa};
        kv->k = calloc((size_t)NL, sizeof *kv->k), kv->v = calloc((size_t)NL, sizeof *kv->v);
        kv->rows = calloc((size_t)NL, sizeof *kv->rows);
    }
    kstatus ks = kv && kv->k && kv->v && kv->rows ? KS_OK : KS_OOM;
    size_t bytes = 0;
    for (int64_t i = 0; ks == KS_OK && i < NL; ++i) {
        /* Sliding layers never look further back than the window: a ring of that many rows. */
        kv->rows[i] = g->sliding[i] && g->sliding_window < capacity ? g->sliding_window : capacity;
        const size_t b = (size_t)(kv->rows[i] * hkv) * sizeof(float);
        bytes += 2 * b;
        K_THEN(ks, k_alloc(&kv->mem, b, (void **)&kv->k[i]));
        K_THEN(ks, k_alloc(&kv->mem, b, (void **)&kv->v[i]));
    }
    if (ks != KS_OK) {
        ltx2_gemma3_kv_free(kv);
        return ltx2_err(err, ltx2_kstatus(ks), "Gemma KV cache: %s for %lld positions (%zu bytes so far)",
                        k_status_name(ks), (long long)capacity, bytes);
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
static kstatus embed_rows(const kctx *ctx, const ltx2_gemma3 *w, const ltx2_gemma3_pass *p, float *h)
{
    const int64_t D = w->cfg.hidden, n = p->n;
    float scale = sqrtf((float)D);
    if (ctx->prec == KP_FAST) scale = k_bf16_to_f32(k_f32_to_bf16(scale));
    /* ids in ctx's memory, soft tokens marked -1 (k_embed_rows leaves those rows) */
    const int32_t *ids = p->ids;
    int32_t *marked = NULL, *dev = NULL;
    kstatus ks = KS_OK;
    if (p->soft) {
        if (!(marked = malloc((size_t)n * sizeof *marked))) return KS_OOM;
        for (int64_t t = 0; t < n; ++t) marked[t] = p->ids[t] == p->soft_id ? -1 : p->ids[t];
        ids = marked;
    }
    if (ctx->backend != KB_CPU) {
        K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)n * sizeof *dev, (void **)&dev));
        K_THEN(ks, k_copy(ctx, dev, ids, (size_t)n * sizeof *dev, K_H2D));
        K_THEN(ks, k_sync(ctx)); /* `marked` is freed below */
        ids = dev;
    }
    K_THEN(ks, k_embed_rows(ctx, &w->embed, ids, n, scale, h, D));
    /* each run of soft tokens takes the next rows of soft in one copy */
    int64_t next = 0;
    for (int64_t t = 0; p->soft && t < n && ks == KS_OK;) {
        int64_t e = t;
        while (e < n && p->ids[e] == p->soft_id) ++e;
        if (e > t) {
            ks = k_copy(ctx, h + t * D, p->soft + next * D, (size_t)((e - t) * D) * sizeof(float), K_D2D);
            next += e - t;
            t = e;
        } else {
            ++t;
        }
    }
    free(marked);
    return ks;
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
    const ltx2_gemma3 *w = m; /* the weights as ctx's backend reads them */
    char what[96];
    /* placed (or checked) for this pass's workspace before any work; a cache passed in is
     * already held */
    size_t arena = 0;
    const lx_mem_ask ask = ask_of(m, ctx, n, 0, 0, what, sizeof what, &arena);
    if (!st) st = place(m, ctx, &ask, &w, err);
    if (!st) st = ltx2_kerr(err, k_arena_reserve(ctx->arena, arena), "Gemma: the workspace");
    if (!st && p->progress) st = p->progress(p->user, 0, NL);
    if (st) return st;
    /* a streamed model's first uploads overlap the embeddings */
    if ((st = ltx2_kerr(err, lx_resident_pass_begin(resident_of(m)), "Gemma: weight streaming"))) return st;

    float *h = p->hidden ? p->hidden : p->out;
    scratch s;
    kstatus ks = embed_rows(ctx, w, p, h);
    K_THEN(ks, scratch_alloc(ctx, &s, g, n));
    K_THEN(ks, rope_tables(ctx, g, pos0, n, &s));
    if (ks != KS_OK) st = ltx2_kerr(err, ks, "Gemma embeddings");
    pass_geom pg = {.pos0 = pos0, .bidir = p->bidir, .n_bidir = p->n_bidir, .kv = p->kv};
    for (int64_t i = 0; st == LTX2_OK && i < NL; ++i) {
        if (p->hidden) { /* every state kept: layer i writes slice i+1 */
            float *next = p->hidden + (i + 1) * n * D;
            ks = k_copy(ctx, next, h, (size_t)(n * D) * sizeof(float), K_D2D);
            h = next;
        }
        pg.layer = i;
        /* a streamed layer: the device waits for its upload; its slot is freed after */
        K_THEN(ks, lx_resident_unit_begin(resident_of(m), &gemma3_units, (int)i));
        K_THEN(ks, layer_forward(ctx, g, &w->layers[i], g->sliding[i], n, h, &s, &pg));
        K_THEN(ks, lx_resident_unit_end(resident_of(m), (int)i));
        if (i == NL - 1) K_THEN(ks, k_rmsnorm(ctx, n, D, h, D, w->final_norm, 1.0f, (float)g->rms_eps, h, D));
        if ((st = ltx2_kerr(err, ks, "Gemma layer")) != LTX2_OK) break;
        if (p->progress && (st = p->progress(p->user, i + 1, NL))) break;
    }
    lx_resident_pass_end(resident_of(m));
    if (p->hidden && p->out && st == LTX2_OK)
        st = ltx2_kerr(err, k_copy(ctx, p->out, h, (size_t)(n * D) * sizeof(float), K_D2D), "Gemma output");
    if (st == LTX2_OK && p->kv) p->kv->len = pos0 + n;
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
    const kmark mark = k_arena_mark(ws->arena);
    ltx2_status st = run_body(ws, m, p, err);
    k_arena_release(ws->arena, mark);
    k_arena_destroy(own);
    return st;
}

ltx2_status ltx2_gemma3_forward(const kctx *ctx, const ltx2_gemma3 *m, const int32_t *ids, int64_t n,
                                float *hidden, ltx2_layer_progress progress, void *user, ltx2_error *err)
{
    ltx2_gemma3_pass p = {.ids = ids, .n = n, .hidden = hidden, .progress = progress, .user = user};
    return ltx2_gemma3_run(ctx, m, &p, err);
}
