/* connector.c — LTX-2 embeddings connector (1-D transformer over the text tokens). */
#include "text/connector.h"
#include "common/layers.h"
#include "common/rope_grid.h"
#include "node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void block_free(ltx2_connector_block *b)
{
    free(b->bq), free(b->bk), free(b->bv), free(b->bo), free(b->b_ff_in), free(b->b_ff_out);
    free(b->q_norm), free(b->k_norm);
}

/* ---------------------------------------------------------------- device residency */
/* The mirror: the struct and a copy of its block array (registers stay on the host). */
static void *mirror_make(const void *model)
{
    const ltx2_connector *c = model;
    ltx2_connector *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    *d = *c;
    d->blocks = malloc((size_t)c->geom.n_layers * sizeof *d->blocks);
    if (!d->blocks) {
        free(d);
        return NULL;
    }
    memcpy(d->blocks, c->blocks, (size_t)c->geom.n_layers * sizeof *d->blocks);
    return d;
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    ltx2_connector *c = mirror;
    const int64_t D = c->dim, F = c->ff_dim;
    for (int64_t i = 0; i < c->geom.n_layers; ++i) {
        ltx2_connector_block *b = &c->blocks[i];
        kmat *mats[6] = {&b->q, &b->k, &b->v, &b->o, &b->ff_in, &b->ff_out};
        for (int j = 0; j < 6; j++)
            lx_upload_mat(u, mats[j]);
        float **vecs[8] = {&b->bq, &b->bk, &b->bv, &b->bo, &b->b_ff_in, &b->b_ff_out, &b->q_norm, &b->k_norm};
        for (int j = 0; j < 8; j++)
            lx_upload_vec(u, vecs[j], j == 4 ? F : D);
    }
}

static void mirror_free(void *mirror)
{
    ltx2_connector *d = mirror;
    free(d->blocks);
    free(d);
}

static const lx_mirror_ops connector_mirror = {mirror_make, mirror_walk, mirror_free};

void ltx2_connector_free(ltx2_connector *c)
{
    lx_resident_fini(&c->resident, &connector_mirror);
    if (c->blocks)
        for (int64_t i = 0; i < c->geom.n_layers; ++i) block_free(&c->blocks[i]);
    free(c->blocks);
    free(c->registers);
    memset(c, 0, sizeof *c);
}

static ltx2_status load_block(const ltx2_checkpoint *ck, const char *p, int64_t i, int64_t D, int64_t F,
                              ltx2_connector_block *b, ltx2_error *err)
{
    char n[300];
#define MAT(f, key, r, cc) \
    (snprintf(n, sizeof n, "%stransformer_1d_blocks.%lld.%s", p, (long long)i, key), ltx2_ckpt_mat(ck, n, r, cc, &b->f, err))
#define VEC(f, key, len) \
    (snprintf(n, sizeof n, "%stransformer_1d_blocks.%lld.%s", p, (long long)i, key), ltx2_ckpt_vec(ck, n, len, &b->f, err))
    ltx2_status st;
    if ((st = MAT(q, "attn1.to_q.weight", D, D)) || (st = MAT(k, "attn1.to_k.weight", D, D)) ||
        (st = MAT(v, "attn1.to_v.weight", D, D)) || (st = MAT(o, "attn1.to_out.0.weight", D, D)) ||
        (st = MAT(ff_in, "ff.net.0.proj.weight", F, D)) || (st = MAT(ff_out, "ff.net.2.weight", D, F)) ||
        (st = VEC(bq, "attn1.to_q.bias", D)) || (st = VEC(bk, "attn1.to_k.bias", D)) ||
        (st = VEC(bv, "attn1.to_v.bias", D)) || (st = VEC(bo, "attn1.to_out.0.bias", D)) ||
        (st = VEC(b_ff_in, "ff.net.0.proj.bias", F)) || (st = VEC(b_ff_out, "ff.net.2.bias", D)) ||
        (st = VEC(q_norm, "attn1.q_norm.weight", D)) || (st = VEC(k_norm, "attn1.k_norm.weight", D)))
        return st;
#undef MAT
#undef VEC
    return LTX2_OK;
}

ltx2_status ltx2_connector_load(const ltx2_checkpoint *ck, const char *p, const ltx2_connector_geom *geom,
                                ltx2_connector *c, ltx2_error *err)
{
    memset(c, 0, sizeof *c);
    lx_resident_init(&c->resident);
    c->geom = *geom;
    ltx2_connector_geom *g = &c->geom;
    const ltx2_st_tensor *reg = ltx2_checkpoint_findf(ck, "%slearnable_registers", p);
    if (!reg) return LTX2_OK; /* absent */
    if (reg->ndim != 2) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%slearnable_registers: expected 2-D", p);
    c->dim = reg->shape[1];
    if (!g->n_registers) g->n_registers = reg->shape[0];
    if (!g->n_layers)
        while (ltx2_checkpoint_findf(ck, "%stransformer_1d_blocks.%lld.attn1.to_q.weight", p, (long long)g->n_layers))
            ++g->n_layers;
    if (!g->head_dim) g->head_dim = g->n_heads ? c->dim / g->n_heads : 128;
    if (!g->n_heads) g->n_heads = g->head_dim ? c->dim / g->head_dim : 0;
    if (g->n_layers < 1 || g->n_heads < 1 || g->n_heads * g->head_dim != c->dim || g->head_dim % 2)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %lld layers, %lld heads x %lld for width %lld do not fit", p,
                        (long long)g->n_layers, (long long)g->n_heads, (long long)g->head_dim, (long long)c->dim);
    if (!(g->theta > 0) || !(g->max_pos > 0))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: RoPE theta and max_pos must be > 0", p);
    const ltx2_st_tensor *ff = ltx2_checkpoint_findf(ck, "%stransformer_1d_blocks.0.ff.net.0.proj.weight", p);
    if (!ff || ff->ndim != 2)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%stransformer_1d_blocks.0.ff.net.0.proj.weight: missing", p);
    c->ff_dim = ff->shape[0];

    ltx2_status st;
    char n[300];
    snprintf(n, sizeof n, "%slearnable_registers", p);
    if ((st = ltx2_ckpt_f32(ck, n, g->n_registers * c->dim, &c->registers, err))) goto fail;
    c->blocks = calloc((size_t)g->n_layers, sizeof *c->blocks);
    if (!c->blocks) {
        st = ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", p);
        goto fail;
    }
    for (int64_t i = 0; i < g->n_layers; ++i)
        if ((st = load_block(ck, p, i, c->dim, c->ff_dim, &c->blocks[i], err))) goto fail;
    return LTX2_OK;
fail:
    ltx2_connector_free(c);
    return st;
}

ltx2_status ltx2_connector_forward(const kctx *ctx, const ltx2_connector *c, const float *x, int64_t n_valid,
                                   int64_t seq, float *out, ltx2_error *err)
{
    const ltx2_connector_geom *g = &c->geom;
    const int64_t D = c->dim, F = c->ff_dim, R = g->n_registers, hd = g->head_dim;
    if (seq < 1 || seq % R)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "max_length %lld must be a multiple of the connector's %lld registers",
                        (long long)seq, (long long)R);
    if (n_valid < 0 || n_valid > seq) return ltx2_err(err, LTX2_ERR_INTERNAL, "connector: %lld valid tokens", (long long)n_valid);

    /* Valid tokens first, then registers tiled by row index (the valid rows of a device
     * context's x join them on the device below). */
    if (ctx->backend == KB_CPU) memcpy(out, x, (size_t)(n_valid * D) * sizeof(float));
    for (int64_t r = n_valid; r < seq; ++r) memcpy(out + r * D, c->registers + (r % R) * D, (size_t)D * sizeof(float));

    const ltx2_connector *w = c; /* the weights as ctx's backend reads them */
    if (ctx->backend != KB_CPU) {
        void *mirror = NULL;
        /* the residency state is the one mutable part of a loaded connector (locked inside) */
        ltx2_status rs = lx_resident_get((lx_resident *)&c->resident, &connector_mirror, c, ctx, "text connector",
                                         &mirror, err);
        if (rs != LTX2_OK)
            return rs;
        w = mirror;
    }
    float *pos = malloc((size_t)(seq * 2) * 4);
    float *cs = malloc((size_t)(seq * D / 2) * 4), *sn = malloc((size_t)(seq * D / 2) * 4);
    kctx local;
    karena *own = NULL;
    const kctx *kc = lx_workspace(ctx, &local, &own); /* one workspace for all blocks */
    ltx2_status st = LTX2_OK;
    const lx_rope_grid grid = {g->theta, g->f64_grid, !g->interleaved, false};
    for (int64_t t = 0; pos && t < seq; ++t) /* 1-D positions 0..seq-1 */
        pos[2 * t] = pos[2 * t + 1] = (float)t;
    /* the sequence, its normed copy and the RoPE tables in the backend's memory (the
     * host arrays themselves on the CPU) */
    float *h = NULL, *a = NULL, *dcs = cs, *dsn = sn;
    const kmark mark = kc ? k_arena_mark(kc->arena) : (kmark){0};
    const kctx hk = kctx_default(ctx->pool); /* the tables are made on the host, then copied */
    kstatus ks = kc && pos && cs && sn ? KS_OK : KS_OOM;
    K_THEN(ks, lx_rope_tables(&hk, &grid, seq, 1, pos, &g->max_pos, (int)D, false, cs, sn));
    K_THEN(ks, k_arena_alloc(kc->arena, (size_t)(seq * D) * sizeof(float), (void **)&a));
    if (ctx->backend == KB_CPU) {
        h = out;
    } else {
        const size_t half = (size_t)(seq * D / 2) * sizeof(float);
        K_THEN(ks, k_arena_alloc(kc->arena, (size_t)(seq * D) * sizeof(float), (void **)&h));
        K_THEN(ks, k_arena_alloc(kc->arena, half, (void **)&dcs));
        K_THEN(ks, k_arena_alloc(kc->arena, half, (void **)&dsn));
        K_THEN(ks, k_copy(kc, h, x, (size_t)(n_valid * D) * sizeof(float), K_D2D));
        K_THEN(ks, k_copy(kc, h + n_valid * D, out + n_valid * D, (size_t)((seq - n_valid) * D) * sizeof(float),
                          K_H2D));
        K_THEN(ks, k_copy(kc, dcs, cs, half, K_H2D));
        K_THEN(ks, k_copy(kc, dsn, sn, half, K_H2D));
    }
    if (ks != KS_OK) {
        st = ltx2_kerr(err, ks, "connector: buffers");
        goto done;
    }
    const lx_rope rope = {dcs, dsn, (int)D, (int)hd, g->interleaved ? KROPE_INTERLEAVED : KROPE_SPLIT};
    for (int64_t i = 0; st == LTX2_OK && i < g->n_layers; ++i) {
        const ltx2_connector_block *b = &w->blocks[i];
        const lx_attn at = {b->q, b->k, b->v, b->o, b->bq, b->bk, b->bv, b->bo, b->q_norm, b->k_norm,
                            (int)g->n_heads, (int)hd};
        const lx_ff ff = {b->ff_in, b->ff_out, b->b_ff_in, b->b_ff_out, (int)F};
        /* pre-norm residual blocks: out += attn(norm(out)); out += ff(norm(out)) */
        st = ltx2_kstatus(k_rmsnorm(kc, seq, D, h, D, NULL, 0.0f, 1e-6f, a, D));
        if (st == LTX2_OK)
            st = lx_attention(kc, &at, 1e-6f, seq, a, seq, a, &rope, &rope, NULL, h, 1);
        if (st == LTX2_OK)
            st = ltx2_kstatus(k_rmsnorm(kc, seq, D, h, D, NULL, 0.0f, 1e-6f, a, D));
        if (st == LTX2_OK)
            st = lx_ff_run(kc, &ff, seq, a, h, 1);
    }
    if (st == LTX2_OK)
        st = ltx2_kstatus(k_rmsnorm(kc, seq, D, h, D, NULL, 0.0f, 1e-6f, h, D));
    if (st == LTX2_OK && h != out)
        st = ltx2_kstatus(k_copy(kc, out, h, (size_t)(seq * D) * sizeof(float), K_D2H));
    if (st != LTX2_OK)
        st = st == LTX2_CANCELLED ? st : ltx2_err(err, st, "connector: %s", st == LTX2_ERR_OOM ? "out of memory"
                                                                                              : "a kernel failed");
done:
    if (kc)
        k_arena_release(kc->arena, mark);
    k_arena_destroy(own);
    free(pos), free(cs), free(sn);
    return st;
}
