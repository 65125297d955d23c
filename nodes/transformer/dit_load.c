/* dit_load.c — builds the transformer from a checkpoint: every weight is visited once
 * by name with its expected shape (one walker serves loading, freeing and lookup), the
 * matrices stay kernel matrices over the mapping, small vectors are widened to f32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loaders/loaders.h"
#include "transformer.h"

typedef struct visitor visitor;
struct visitor {
    ltx2_status (*mat)(visitor *v, const char *name, kmat *slot, int64_t rows, int64_t cols);
    ltx2_status (*vec)(visitor *v, const char *name, float **slot, int64_t numel);
};

#define TRY(x) do { ltx2_status st_ = (x); if (st_ != LTX2_OK) return st_; } while (0)

static ltx2_status visit_linear(visitor *v, const char *p, const char *sub, kmat *w, float **b,
                                int64_t out, int64_t in)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s.weight", p, sub);
    TRY(v->mat(v, name, w, out, in));
    snprintf(name, sizeof name, "%s%s.bias", p, sub);
    return v->vec(v, name, b, out);
}

static ltx2_status visit_attn(visitor *v, const char *blk, const char *mod, ltx2_dit_attn *a,
                              int qdim, int kvdim, int heads, int head_dim, int outdim)
{
    char p[200], name[256];
    snprintf(p, sizeof p, "%s%s.", blk, mod);
    const int inner = heads * head_dim;
    a->heads = heads;
    a->head_dim = head_dim;
    TRY(visit_linear(v, p, "to_q", &a->q, &a->bq, inner, qdim));
    TRY(visit_linear(v, p, "to_k", &a->k, &a->bk, inner, kvdim));
    TRY(visit_linear(v, p, "to_v", &a->v, &a->bv, inner, kvdim));
    TRY(visit_linear(v, p, "to_out.0", &a->o, &a->bo, outdim, inner));
    snprintf(name, sizeof name, "%sq_norm.weight", p);
    TRY(v->vec(v, name, &a->q_norm, inner));
    snprintf(name, sizeof name, "%sk_norm.weight", p);
    return v->vec(v, name, &a->k_norm, inner);
}

static ltx2_status visit_ff(visitor *v, const char *blk, const char *mod, ltx2_dit_ff *f, int dim)
{
    char p[200];
    f->hidden = 4 * dim;
    snprintf(p, sizeof p, "%s%s.net.", blk, mod);
    TRY(visit_linear(v, p, "0.proj", &f->w1, &f->b1, f->hidden, dim));
    return visit_linear(v, p, "2", &f->w2, &f->b2, dim, f->hidden);
}

static ltx2_status visit_adaln(visitor *v, const char *p, ltx2_dit_adaln *a, int dim, int coef)
{
    char q[200];
    a->dim = dim;
    a->coef = coef;
    snprintf(q, sizeof q, "%s.emb.timestep_embedder.", p);
    TRY(visit_linear(v, q, "linear_1", &a->l1, &a->b1, dim, 256));
    TRY(visit_linear(v, q, "linear_2", &a->l2, &a->b2, dim, dim));
    snprintf(q, sizeof q, "%s.", p);
    return visit_linear(v, q, "linear", &a->lin, &a->blin, (int64_t)coef * dim, dim);
}

/* Top-level weights of one modality; pre is "" (video) or "audio_". */
static ltx2_status visit_io(visitor *v, const ltx2_dit_config *c, ltx2_dit_io *io, bool audio)
{
    const char *pre = audio ? "audio_" : "";
    const int dim = audio ? c->a_dim : c->v_dim, in = audio ? c->a_in : c->v_in;
    const int out = audio ? c->a_out : c->v_out;
    char p[200];
    snprintf(p, sizeof p, "%s", pre);
    TRY(visit_linear(v, p, "patchify_proj", &io->patchify, &io->b_patchify, dim, in));
    TRY(visit_linear(v, p, "proj_out", &io->proj_out, &io->b_proj_out, out, dim));
    snprintf(p, sizeof p, "%scaption_projection.", pre);
    TRY(visit_linear(v, p, "linear_1", &io->cap1, &io->b_cap1, dim, c->caption_channels));
    TRY(visit_linear(v, p, "linear_2", &io->cap2, &io->b_cap2, dim, dim));
    snprintf(p, sizeof p, "%sscale_shift_table", pre);
    TRY(v->vec(v, p, &io->sst_out, 2 * (int64_t)dim));
    snprintf(p, sizeof p, "%sadaln_single", pre);
    TRY(visit_adaln(v, p, &io->adaln, dim, 6));
    if (c->has_video && c->has_audio) {
        snprintf(p, sizeof p, "av_ca_%s_scale_shift_adaln_single", audio ? "audio" : "video");
        TRY(visit_adaln(v, p, &io->cross_ss, dim, 4));
        snprintf(p, sizeof p, "av_ca_%s_gate_adaln_single", audio ? "v2a" : "a2v");
        TRY(visit_adaln(v, p, &io->cross_gate, dim, 1));
    }
    return LTX2_OK;
}

static ltx2_status visit_block(visitor *v, const ltx2_dit_config *c, int i, ltx2_dit_block *b)
{
    char p[64], name[128];
    snprintf(p, sizeof p, "transformer_blocks.%d.", i);
    const int vd = c->v_dim, ad = c->a_dim;
    if (c->has_video) {
        TRY(visit_attn(v, p, "attn1", &b->attn1, vd, vd, c->v_heads, c->v_head_dim, vd));
        TRY(visit_attn(v, p, "attn2", &b->attn2, vd, c->v_ctx_dim, c->v_heads, c->v_head_dim, vd));
        TRY(visit_ff(v, p, "ff", &b->ff, vd));
        snprintf(name, sizeof name, "%sscale_shift_table", p);
        TRY(v->vec(v, name, &b->sst, 6 * (int64_t)vd));
    }
    if (c->has_audio) {
        TRY(visit_attn(v, p, "audio_attn1", &b->audio_attn1, ad, ad, c->a_heads, c->a_head_dim, ad));
        TRY(visit_attn(v, p, "audio_attn2", &b->audio_attn2, ad, c->a_ctx_dim, c->a_heads, c->a_head_dim,
                       ad));
        TRY(visit_ff(v, p, "audio_ff", &b->audio_ff, ad));
        snprintf(name, sizeof name, "%saudio_scale_shift_table", p);
        TRY(v->vec(v, name, &b->audio_sst, 6 * (int64_t)ad));
    }
    if (c->has_video && c->has_audio) {
        /* A<->V attention uses the audio head geometry in both directions. */
        TRY(visit_attn(v, p, "audio_to_video_attn", &b->a2v, vd, ad, c->a_heads, c->a_head_dim, vd));
        TRY(visit_attn(v, p, "video_to_audio_attn", &b->v2a, ad, vd, c->a_heads, c->a_head_dim, ad));
        snprintf(name, sizeof name, "%sscale_shift_table_a2v_ca_video", p);
        TRY(v->vec(v, name, &b->sst_a2v_video, 5 * (int64_t)vd));
        snprintf(name, sizeof name, "%sscale_shift_table_a2v_ca_audio", p);
        TRY(v->vec(v, name, &b->sst_a2v_audio, 5 * (int64_t)ad));
    }
    return LTX2_OK;
}

/* The weights outside the blocks (patchify, AdaLN, caption projection, output head). */
static ltx2_status visit_fixed(visitor *v, ltx2_dit *m)
{
    const ltx2_dit_config *c = &m->cfg;
    if (c->has_video)
        TRY(visit_io(v, c, &m->video, false));
    if (c->has_audio)
        TRY(visit_io(v, c, &m->audio, true));
    return LTX2_OK;
}

static ltx2_status visit_all(visitor *v, ltx2_dit *m)
{
    TRY(visit_fixed(v, m));
    for (int i = 0; i < m->cfg.num_layers; i++)
        TRY(visit_block(v, &m->cfg, i, &m->blocks[i]));
    return LTX2_OK;
}

/* ---------------------------------------------------------------- loading */
typedef struct {
    visitor v;
    lx_upload *u;
} upload_visitor;

typedef struct {
    visitor v;
    const ltx2_checkpoint *ck;
    const char *prefix;
    ltx2_error *err;
} load_visitor;

static ltx2_status load_mat(visitor *v, const char *name, kmat *slot, int64_t rows, int64_t cols)
{
    load_visitor *l = (load_visitor *)v;
    char full[300];
    snprintf(full, sizeof full, "%s%s", l->prefix, name);
    return ltx2_ckpt_mat(l->ck, full, rows, cols, slot, l->err);
}

static ltx2_status load_vec(visitor *v, const char *name, float **slot, int64_t numel)
{
    load_visitor *l = (load_visitor *)v;
    char full[300];
    snprintf(full, sizeof full, "%s%s", l->prefix, name);
    return ltx2_ckpt_f32(l->ck, full, numel, slot, l->err);
}

static ltx2_status free_mat(visitor *v, const char *name, kmat *slot, int64_t rows, int64_t cols)
{
    (void)v, (void)name, (void)slot, (void)rows, (void)cols;
    return LTX2_OK;
}

static ltx2_status free_vec(visitor *v, const char *name, float **slot, int64_t numel)
{
    (void)v, (void)name, (void)numel;
    free(*slot);
    *slot = NULL;
    return LTX2_OK;
}

/* ---------------------------------------------------------------- device residency */
static ltx2_status upload_mat(visitor *v, const char *name, kmat *slot, int64_t rows, int64_t cols)
{
    (void)name, (void)rows, (void)cols;
    lx_upload_mat(((upload_visitor *)v)->u, slot);
    return LTX2_OK;
}

static ltx2_status upload_vec(visitor *v, const char *name, float **slot, int64_t numel)
{
    (void)name;
    lx_upload_vec(((upload_visitor *)v)->u, slot, numel);
    return LTX2_OK;
}

/* The weight tree only: config, io structs and a copy of the block array. */
static void *mirror_make(const void *model)
{
    const ltx2_dit *m = model;
    ltx2_dit *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = m->cfg;
    d->video = m->video;
    d->audio = m->audio;
    d->blocks = malloc((size_t)m->cfg.num_layers * sizeof *d->blocks);
    if (!d->blocks) {
        free(d);
        return NULL;
    }
    memcpy(d->blocks, m->blocks, (size_t)m->cfg.num_layers * sizeof *d->blocks);
    return d;
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    upload_visitor uv = {{upload_mat, upload_vec}, u};
    visit_all(&uv.v, mirror);
}

static void mirror_free(void *mirror)
{
    ltx2_dit *d = mirror;
    free(d->blocks);
    free(d);
}

static int mirror_n_units(const void *mirror) { return ((const ltx2_dit *)mirror)->cfg.num_layers; }

static void mirror_walk_fixed(void *mirror, lx_upload *u)
{
    upload_visitor uv = {{upload_mat, upload_vec}, u};
    visit_fixed(&uv.v, mirror);
}

static void mirror_walk_block(void *mirror, int i, lx_upload *u)
{
    ltx2_dit *d = mirror;
    upload_visitor uv = {{upload_mat, upload_vec}, u};
    visit_block(&uv.v, &d->cfg, i, &d->blocks[i]);
}

static const lx_mirror_ops dit_mirror = {mirror_make, mirror_walk, mirror_free};
/* The blocks are the units that stream under a budget (nodes/common/stream.h). */
static const lx_unit_ops dit_units = {&dit_mirror, mirror_n_units, mirror_walk_fixed, mirror_walk_block, "block"};

void ltx2_dit_init_resident(ltx2_dit *m) { lx_resident_init(&m->resident); }

/* The residency state is the one mutable part of a shared model (locked inside). */
static lx_resident *resident_of(const ltx2_dit *m) { return (lx_resident *)&m->resident; }

ltx2_status ltx2_dit_on(const ltx2_dit *m, const kctx *kc, const lx_mem_ask *workspace, const ltx2_dit **out,
                        ltx2_error *err)
{
    *out = m;
    if (kc->backend == KB_CPU && !kc->budget)
        return LTX2_OK;
    void *mirror = NULL;
    ltx2_status st =
        lx_resident_get_planned(resident_of(m), &dit_units, m, kc, "transformer", workspace, &mirror, err);
    if (st == LTX2_OK)
        *out = mirror;
    return st;
}

void ltx2_dit_weight_bytes(const ltx2_dit *m, size_t *fixed, size_t *block_max)
{
    *fixed = *block_max = 0;
    ltx2_dit *d = mirror_make(m); /* the walks write the slots' fields: a copy's */
    if (!d)
        return;
    lx_upload u = {0};
    mirror_walk_fixed(d, &u);
    *fixed = u.bytes;
    for (int i = 0; i < d->cfg.num_layers; i++) {
        u = (lx_upload){0};
        mirror_walk_block(d, i, &u);
        *block_max = u.bytes > *block_max ? u.bytes : *block_max;
    }
    mirror_free(d);
}

const lx_plan *ltx2_dit_plan(const ltx2_dit *m) { return lx_resident_plan(&m->resident); }

kstatus ltx2_dit_pass_begin(const ltx2_dit *m) { return lx_resident_pass_begin(resident_of(m)); }

kstatus ltx2_dit_block_begin(const ltx2_dit *m, int i) { return lx_resident_unit_begin(resident_of(m), &dit_units, i); }

kstatus ltx2_dit_block_end(const ltx2_dit *m, int i) { return lx_resident_unit_end(resident_of(m), i); }

void ltx2_dit_pass_end(const ltx2_dit *m) { lx_resident_pass_end(resident_of(m)); }

static void dit_free(ltx2_dit *m)
{
    lx_resident_fini(&m->resident, &dit_mirror);
    if (!m->base && m->blocks) {
        visitor fv = {free_mat, free_vec};
        visit_all(&fv, m);
    }
    for (int i = 0; i < m->n_fused; i++) {
        free(m->fused[i]);
        free(m->fused_names[i]);
    }
    free(m->fused);
    free(m->fused_names);
    free(m->fused_slots);
    for (int i = 0; i < m->n_loras; i++)
        ltx2_checkpoint_release(m->loras[i].ckpt);
    free(m->loras);
    free(m->blocks);
    ltx2_checkpoint_release(m->ckpt);
    ltx2_dit_release(m->base);
    free(m);
}

void ltx2_dit_retain(ltx2_dit *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
}

void ltx2_dit_release(ltx2_dit *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        dit_free(m);
}

/* Widths from the config must agree with the tensors (checked by the visitor), and the
 * A<->V RoPE width is the audio attention's inner width. */
static ltx2_status check_geometry(const ltx2_dit_config *c, ltx2_error *err)
{
    if (c->has_video && c->v_ctx_dim != c->v_dim)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer.cross_attention_dim %d differs from the video width %d",
                        c->v_ctx_dim, c->v_dim);
    if (c->has_audio && c->a_ctx_dim != c->a_dim)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer.audio_cross_attention_dim %d differs from the audio width %d",
                        c->a_ctx_dim, c->a_dim);
    if (c->has_video && c->has_audio && (c->a_ctx_dim % (2 * c->v_heads)))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer: audio_cross_attention_dim %d not divisible by 2 x %d video heads",
                        c->a_ctx_dim, c->v_heads);
    return LTX2_OK;
}

ltx2_status ltx2_dit_load(ltx2_checkpoint *ckpt, ltx2_dit **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_dit_config cfg;
    bool present;
    TRY(ltx2_dit_config_read(ckpt, &cfg, &present, err));
    if (!present)
        return LTX2_OK;
    TRY(check_geometry(&cfg, err));
    /* The file must hold the last block before num_layers of them are allocated. */
    const bool prefixed = ltx2_checkpoint_find(ckpt, LTX2_DIT_PREFIX "patchify_proj.weight") ||
                          ltx2_checkpoint_find(ckpt, LTX2_DIT_PREFIX "audio_patchify_proj.weight");
    const char *pfx = prefixed ? LTX2_DIT_PREFIX : "";
    const char *probe = cfg.has_video ? "attn1.to_q.weight" : "audio_attn1.to_q.weight";
    if (!ltx2_checkpoint_findf(ckpt, "%stransformer_blocks.%d.%s", pfx, cfg.num_layers - 1, probe))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer.num_layers %d but the file has no %stransformer_blocks.%d.%s",
                        cfg.num_layers, pfx, cfg.num_layers - 1, probe);
    ltx2_dit *m = calloc(1, sizeof *m);
    if (!m)
        return ltx2_err(err, LTX2_ERR_OOM, "transformer: out of memory");
    atomic_init(&m->refs, 1);
    ltx2_dit_init_resident(m);
    m->cfg = cfg;
    m->blocks = calloc((size_t)cfg.num_layers, sizeof *m->blocks);
    if (!m->blocks) {
        free(m);
        return ltx2_err(err, LTX2_ERR_OOM, "transformer: out of memory");
    }
    ltx2_checkpoint_retain(ckpt);
    m->ckpt = ckpt;
    load_visitor lv = {{load_mat, load_vec}, ckpt, pfx, err};
    ltx2_status st = visit_all(&lv.v, m);
    if (st != LTX2_OK) {
        ltx2_dit_release(m);
        return st;
    }
    /* More blocks in the file than the config says would be silently ignored. */
    if (ltx2_checkpoint_findf(ckpt, "%stransformer_blocks.%d.%s", pfx, cfg.num_layers, probe)) {
        ltx2_dit_release(m);
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer.num_layers %d but the file has block %d", cfg.num_layers,
                        cfg.num_layers);
    }
    *out = m;
    return LTX2_OK;
}

/* ---------------------------------------------------------------- lookup */
typedef struct {
    visitor v;
    const char *key;
    kmat *found;
} find_visitor;

static ltx2_status find_mat(visitor *v, const char *name, kmat *slot, int64_t rows, int64_t cols)
{
    find_visitor *f = (find_visitor *)v;
    (void)rows, (void)cols;
    if (!f->found && !strcmp(name, f->key))
        f->found = slot;
    return LTX2_OK;
}

static ltx2_status find_vec(visitor *v, const char *name, float **slot, int64_t numel)
{
    (void)v, (void)name, (void)slot, (void)numel;
    return LTX2_OK;
}

kmat *ltx2_dit_find_mat(ltx2_dit *m, const char *key)
{
    find_visitor fv = {{find_mat, find_vec}, key, NULL};
    visit_all(&fv.v, m);
    return fv.found;
}

/* ---------------------------------------------------------------- MODEL objects */
static void payload_destroy(void *p) { ltx2_dit_release(p); }

ltx2_dit *ltx2_dit_of(const ltx2_object *model)
{
    return model ? ltx2_object_payload(model, LTX2_DIT_PAYLOAD) : NULL;
}

ltx2_status ltx2_dit_wrap(ltx2_dit *m, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_object *o = ltx2_object_new("MODEL");
    if (!o)
        return ltx2_err(err, LTX2_ERR_OOM, "MODEL: out of memory");
    ltx2_dit_retain(m);
    if (ltx2_object_set_payload(o, LTX2_DIT_PAYLOAD, m, payload_destroy) != LTX2_OK) {
        ltx2_dit_release(m);
        ltx2_object_release(o);
        return ltx2_err(err, LTX2_ERR_OOM, "MODEL: out of memory");
    }
    char meta[512];
    const ltx2_dit_config *c = &m->cfg;
    snprintf(meta, sizeof meta,
             "{\"kind\":\"ltx2.transformer\",\"video\":%s,\"audio\":%s,\"num_layers\":%d,"
             "\"video_dim\":%d,\"audio_dim\":%d,\"loras\":%d}",
             c->has_video ? "true" : "false", c->has_audio ? "true" : "false", c->num_layers, c->v_dim,
             c->a_dim, m->n_loras);
    if (ltx2_object_set_metadata(o, meta) != LTX2_OK) {
        ltx2_object_release(o);
        return ltx2_err(err, LTX2_ERR_OOM, "MODEL: out of memory");
    }
    *out = o;
    return LTX2_OK;
}

ltx2_status ltx2_load_transformer(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_dit *m = NULL;
    TRY(ltx2_dit_load(ckpt, &m, err));
    if (!m)
        return LTX2_OK;
    ltx2_status st = ltx2_dit_wrap(m, out, err);
    ltx2_dit_release(m);
    return st;
}
