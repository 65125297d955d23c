/* gemma3_vision.c — SigLIP encoder + Gemma 3 multimodal projector. */
#include "text/gemma3_vision.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "node.h"

static const char *const k_vprefix[] = {"model.vision_tower.vision_model.", "vision_tower.vision_model."};
static const char *const k_pprefix[] = {"model.multi_modal_projector.", "multi_modal_projector."};

static const lx_mirror_ops vision_mirror;

void ltx2_gemma3_vision_free(ltx2_gemma3_vision *v)
{
    if (!v) return;
    lx_resident_fini(&v->resident, &vision_mirror);
    for (int64_t i = 0; v->layers && i < v->n_layers; ++i) {
        ltx2_siglip_layer *l = &v->layers[i];
        free(l->ln1_w), free(l->ln1_b), free(l->ln2_w), free(l->ln2_b);
        free(l->attn.bq), free(l->attn.bk), free(l->attn.bv), free(l->attn.bo);
        free(l->ff.b1), free(l->ff.b2);
    }
    free(v->layers);
    free(v->patch_f32), free(v->patch_b), free(v->pos), free(v->post_w), free(v->post_b), free(v->mm_norm), free(v->mm_proj);
    ltx2_checkpoint_release(v->ckpt);
    free(v);
}

/* Gemma 3's values, then whatever config.json says. */
static ltx2_status read_config(struct json_object *j, ltx2_gemma3_vision *v, ltx2_error *err)
{
    static const char where[] = "Gemma config";
    v->image_size = 896, v->patch = 14, v->hidden = 1152, v->intermediate = 4304, v->n_layers = 27;
    v->n_heads = 16, v->eps = 1e-6, v->tokens = 256, v->image_token = 262144;
    struct json_object *vc = NULL;
    if (!j) return LTX2_OK;
    int64_t tok = v->image_token;
    ltx2_status st = ltx2_cfg_int(j, where, "mm_tokens_per_image", v->tokens, 1, 1 << 20, &v->tokens, err);
    if (!st) st = ltx2_cfg_int(j, where, "image_token_index", tok, 0, INT32_MAX, &tok, err);
    v->image_token = (int32_t)tok;
    if (st || !json_object_object_get_ex(j, "vision_config", &vc)) return st;
#define INT(key, dst) \
    if ((st = ltx2_cfg_int(vc, where, key, *(dst), 1, 1 << 24, dst, err)) != LTX2_OK) return st
    INT("image_size", &v->image_size);
    INT("patch_size", &v->patch);
    INT("hidden_size", &v->hidden);
    INT("intermediate_size", &v->intermediate);
    INT("num_hidden_layers", &v->n_layers);
    INT("num_attention_heads", &v->n_heads);
#undef INT
    return ltx2_cfg_num(vc, where, "layer_norm_eps", v->eps, 1e-30, 1.0, &v->eps, err);
}

static ltx2_status load_layer(const ltx2_checkpoint *c, const char *p, int64_t i, ltx2_gemma3_vision *v,
                              ltx2_siglip_layer *l, ltx2_error *err)
{
    char n[256];
    const int64_t D = v->hidden, I = v->intermediate;
#define KEY(s) (snprintf(n, sizeof n, "%sencoder.layers.%lld.%s", p, (long long)i, s), n)
    ltx2_status st;
    if ((st = ltx2_ckpt_vec(c, KEY("layer_norm1.weight"), D, &l->ln1_w, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("layer_norm1.bias"), D, &l->ln1_b, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("layer_norm2.weight"), D, &l->ln2_w, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("layer_norm2.bias"), D, &l->ln2_b, err)) ||
        (st = ltx2_ckpt_mat(c, KEY("self_attn.q_proj.weight"), D, D, &l->attn.q, err)) ||
        (st = ltx2_ckpt_mat(c, KEY("self_attn.k_proj.weight"), D, D, &l->attn.k, err)) ||
        (st = ltx2_ckpt_mat(c, KEY("self_attn.v_proj.weight"), D, D, &l->attn.v, err)) ||
        (st = ltx2_ckpt_mat(c, KEY("self_attn.out_proj.weight"), D, D, &l->attn.o, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("self_attn.q_proj.bias"), D, &l->attn.bq, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("self_attn.k_proj.bias"), D, &l->attn.bk, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("self_attn.v_proj.bias"), D, &l->attn.bv, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("self_attn.out_proj.bias"), D, &l->attn.bo, err)) ||
        (st = ltx2_ckpt_mat(c, KEY("mlp.fc1.weight"), I, D, &l->ff.w1, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("mlp.fc1.bias"), I, &l->ff.b1, err)) ||
        (st = ltx2_ckpt_mat(c, KEY("mlp.fc2.weight"), D, I, &l->ff.w2, err)) ||
        (st = ltx2_ckpt_vec(c, KEY("mlp.fc2.bias"), D, &l->ff.b2, err)))
        return st;
#undef KEY
    l->attn.heads = (int)v->n_heads, l->attn.head_dim = (int)(D / v->n_heads);
    l->ff.hidden = (int)I;
    return LTX2_OK;
}

ltx2_status ltx2_gemma3_vision_load(ltx2_checkpoint *ckpt, struct json_object *json, int64_t text_hidden,
                                    ltx2_gemma3_vision **out, ltx2_error *err)
{
    *out = NULL;
    const char *vp = NULL, *pp = NULL;
    for (size_t i = 0; i < 2 && !vp; ++i)
        if (ltx2_checkpoint_findf(ckpt, "%sembeddings.patch_embedding.weight", k_vprefix[i])) vp = k_vprefix[i], pp = k_pprefix[i];
    if (!vp) return LTX2_OK; /* a text-only Gemma */
    ltx2_gemma3_vision *v = calloc(1, sizeof *v);
    if (!v) return ltx2_err(err, LTX2_ERR_OOM, "Gemma vision: out of memory");
    lx_resident_init(&v->resident);
    ltx2_checkpoint_retain(ckpt);
    v->ckpt = ckpt, v->text_hidden = text_hidden;
    ltx2_status st = read_config(json, v, err);
    const int64_t side = v->image_size / (v->patch > 0 ? v->patch : 1), per = (int64_t)llround(sqrt((double)v->tokens));
    if (!st && (v->image_size % v->patch || v->hidden % v->n_heads || per * per != v->tokens || side % per))
        st = ltx2_err(err, LTX2_ERR_BAD_INPUT,
                      "Gemma vision config: image %lld / patch %lld / hidden %lld / heads %lld / %lld tokens do not fit",
                      (long long)v->image_size, (long long)v->patch, (long long)v->hidden, (long long)v->n_heads,
                      (long long)v->tokens);
    char n[256];
#define KEY(pre, s) (snprintf(n, sizeof n, "%s%s", pre, s), n)
    /* The conv weight [hidden][3][p][p] widened once (small) and seen as [hidden][3·p·p]. */
    const int64_t K = 3 * v->patch * v->patch;
    if (!st) st = ltx2_ckpt_f32(ckpt, KEY(vp, "embeddings.patch_embedding.weight"), v->hidden * K, &v->patch_f32, err);
    if (!st) v->patch_w = (kmat){.dtype = KD_F32, .data = v->patch_f32, .rows = v->hidden, .cols = K, .ld = K, .scale = 1.0f};
    if (!st) st = ltx2_ckpt_vec(ckpt, KEY(vp, "embeddings.patch_embedding.bias"), v->hidden, &v->patch_b, err);
    if (!st) st = ltx2_ckpt_f32(ckpt, KEY(vp, "embeddings.position_embedding.weight"), side * side * v->hidden, &v->pos, err);
    if (!st) st = ltx2_ckpt_vec(ckpt, KEY(vp, "post_layernorm.weight"), v->hidden, &v->post_w, err);
    if (!st) st = ltx2_ckpt_vec(ckpt, KEY(vp, "post_layernorm.bias"), v->hidden, &v->post_b, err);
    if (!st) st = ltx2_ckpt_vec(ckpt, KEY(pp, "mm_soft_emb_norm.weight"), v->hidden, &v->mm_norm, err);
    if (!st) st = ltx2_ckpt_f32(ckpt, KEY(pp, "mm_input_projection_weight"), v->hidden * text_hidden, &v->mm_proj, err);
#undef KEY
    if (!st && !(v->layers = calloc((size_t)v->n_layers, sizeof *v->layers)))
        st = ltx2_err(err, LTX2_ERR_OOM, "Gemma vision: out of memory");
    for (int64_t i = 0; !st && i < v->n_layers; ++i) st = load_layer(ckpt, vp, i, v, &v->layers[i], err);
    if (st) {
        ltx2_gemma3_vision_free(v);
        return st;
    }
    *out = v;
    return LTX2_OK;
}

/* ---------------------------------------------------------------- device weights */
/* The mirror: the struct with its own copy of the layer array; the walk repoints the
 * slots (patch_w.data is the host patch_f32, uploaded as the kmat). */
static void *mirror_make(const void *model)
{
    const ltx2_gemma3_vision *v = model;
    ltx2_gemma3_vision *d = malloc(sizeof *d);
    ltx2_siglip_layer *layers = malloc((size_t)v->n_layers * sizeof *layers);
    if (!d || !layers) {
        free(d), free(layers);
        return NULL;
    }
    *d = *v;
    memcpy(layers, v->layers, (size_t)v->n_layers * sizeof *layers);
    d->layers = layers;
    d->patch_f32 = NULL; /* the device copy is patch_w.data */
    return d;
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    ltx2_gemma3_vision *v = mirror;
    const int64_t D = v->hidden, I = v->intermediate, side = v->image_size / v->patch;
    lx_upload_mat(u, &v->patch_w);
    lx_upload_vec(u, &v->patch_b, D), lx_upload_vec(u, &v->pos, side * side * D);
    lx_upload_vec(u, &v->post_w, D), lx_upload_vec(u, &v->post_b, D), lx_upload_vec(u, &v->mm_norm, D);
    lx_upload_vec(u, &v->mm_proj, D * v->text_hidden);
    for (int64_t i = 0; i < v->n_layers; ++i) {
        ltx2_siglip_layer *l = &v->layers[i];
        lx_upload_vec(u, &l->ln1_w, D), lx_upload_vec(u, &l->ln1_b, D);
        lx_upload_vec(u, &l->ln2_w, D), lx_upload_vec(u, &l->ln2_b, D);
        lx_upload_mat(u, &l->attn.q), lx_upload_mat(u, &l->attn.k), lx_upload_mat(u, &l->attn.v);
        lx_upload_mat(u, &l->attn.o);
        lx_upload_vec(u, &l->attn.bq, D), lx_upload_vec(u, &l->attn.bk, D), lx_upload_vec(u, &l->attn.bv, D);
        lx_upload_vec(u, &l->attn.bo, D);
        lx_upload_mat(u, &l->ff.w1), lx_upload_mat(u, &l->ff.w2);
        lx_upload_vec(u, &l->ff.b1, I), lx_upload_vec(u, &l->ff.b2, D);
    }
}

static void mirror_free(void *mirror)
{
    ltx2_gemma3_vision *d = mirror;
    free(d->layers);
    free(d);
}

static const lx_mirror_ops vision_mirror = {mirror_make, mirror_walk, mirror_free};

/* ---------------------------------------------------------------- forward */
/* y = LayerNorm(x) * w + b over rows of D (the affine as y·std + mean per column). */
static kstatus layernorm(const kctx *ctx, int64_t rows, int64_t D, const float *x, const float *w, const float *b,
                         float eps, float *y)
{
    kstatus ks = k_layernorm(ctx, rows, D, x, D, eps, y, D);
    K_THEN(ks, k_denormalize_rows(ctx, rows, D, y, b, w, y));
    return ks;
}

/* Patches in the conv weight's order (channel, row, column): x[pi·side + pj][(c·p + r)·p + q]
 * = pixels[c][pi·p + r][pj·p + q], one strided copy per (channel, row in the patch). */
static kstatus patches(const kctx *ctx, int64_t S, int64_t p, const float *pixels, float *x)
{
    const int64_t side = S / p, K = 3 * p * p;
    kstatus ks = KS_OK;
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t r = 0; r < p; ++r) {
            const int64_t n[3] = {side, side, p}, xs[3] = {p * S, p, 1}, ys[3] = {side * K, K, 1};
            K_THEN(ks, k_strided_copy3d(ctx, n, pixels + (c * S + r) * S, xs, x + (c * p + r) * p, ys));
        }
    return ks;
}

/* Average pooling of pool × pool patches per token, row-major over the token grid: the
 * patches summed in (row, column) order, then divided by pool². */
static kstatus avg_pool(const kctx *ctx, int64_t side, int64_t per, int64_t D, const float *a, float *tmp,
                        float *pooled)
{
    const int64_t pool = side / per, T = per * per;
    const int64_t n[3] = {per, per, D}, xs[3] = {pool * side * D, pool * D, 1}, ys[3] = {per * D, D, 1};
    kstatus ks = KS_OK;
    for (int64_t di = 0; di < pool; ++di)
        for (int64_t dj = 0; dj < pool; ++dj) {
            const float *src = a + (di * side + dj) * D;
            if (di == 0 && dj == 0) {
                K_THEN(ks, k_strided_copy3d(ctx, n, src, xs, pooled, ys));
            } else {
                K_THEN(ks, k_strided_copy3d(ctx, n, src, xs, tmp, ys));
                K_THEN(ks, k_add(ctx, pooled, tmp, pooled, T * D));
            }
        }
    /* (x − 0) / pool² per column: a division, as the reference divides */
    float *zero = tmp, *div = tmp + D;
    K_THEN(ks, k_fill(ctx, zero, 0.0f, D));
    K_THEN(ks, k_fill(ctx, div, (float)(pool * pool), D));
    K_THEN(ks, k_normalize_rows(ctx, T, D, pooled, zero, div, pooled));
    return ks;
}

static ltx2_status vision_body(const kctx *ctx, const ltx2_gemma3_vision *v, const float *pixels, float *soft,
                               ltx2_error *err)
{
    const int64_t S = v->image_size, p = v->patch, side = S / p, P = side * side, D = v->hidden, K = 3 * p * p;
    const int64_t per = (int64_t)llround(sqrt((double)v->tokens)), T = v->tokens;
    float *x = NULL, *h = NULL, *a = NULL, *pooled = NULL, *tmp = NULL;
    kstatus ks = KS_OK;
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(P * K) * sizeof(float), (void **)&x));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(P * D) * sizeof(float), (void **)&h));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(P * D) * sizeof(float), (void **)&a));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(T * D) * sizeof(float), (void **)&pooled));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)((T > 2 ? T : 2) * D) * sizeof(float), (void **)&tmp));
    /* the stride-p conv as a GEMM over the patches */
    K_THEN(ks, patches(ctx, S, p, pixels, x));
    K_THEN(ks, k_linear(ctx, P, x, K, &v->patch_w, NULL, v->patch_b, h, D, 0));
    K_THEN(ks, k_add(ctx, h, v->pos, h, P * D));
    ltx2_status st = ltx2_kerr(err, ks, "Gemma vision embeddings");
    if (st) return st;
    const float eps = (float)v->eps;
    for (int64_t i = 0; i < v->n_layers; ++i) {
        const ltx2_siglip_layer *l = &v->layers[i];
        if ((st = ltx2_kerr(err, layernorm(ctx, P, D, h, l->ln1_w, l->ln1_b, eps, a), "Gemma vision norm")) ||
            (st = lx_attention(ctx, &l->attn, eps, P, a, P, a, NULL, NULL, NULL, h, 1)) ||
            (st = ltx2_kerr(err, layernorm(ctx, P, D, h, l->ln2_w, l->ln2_b, eps, a), "Gemma vision norm")) ||
            (st = lx_ff_run(ctx, &l->ff, P, a, h, 1))) {
            if (st != LTX2_CANCELLED && !err->msg[0]) ltx2_err(err, st, "Gemma vision layer %lld failed", (long long)i);
            return st;
        }
    }
    ks = layernorm(ctx, P, D, h, v->post_w, v->post_b, eps, a);
    K_THEN(ks, avg_pool(ctx, side, per, D, a, tmp, pooled));
    K_THEN(ks, k_rmsnorm(ctx, T, D, pooled, D, v->mm_norm, 1.0f, eps, pooled, D));
    K_THEN(ks, k_sgemm(ctx, 0, 0, T, v->text_hidden, D, 1.0f, pooled, D, v->mm_proj, v->text_hidden, 0.0f, soft,
                       v->text_hidden));
    return ltx2_kerr(err, ks, "Gemma multimodal projector");
}

ltx2_status ltx2_gemma3_vision_forward(const kctx *ctx, const ltx2_gemma3_vision *v, const float *pixels,
                                       float *soft, ltx2_error *err)
{
    kctx local;
    karena *own;
    const ltx2_gemma3_vision *w = v; /* the weights as ctx's backend reads them */
    if (ctx->backend != KB_CPU) {
        void *mirror = NULL;
        /* the residency state is the one mutable part of a loaded tower (locked inside) */
        ltx2_status rs = lx_resident_get((lx_resident *)&v->resident, &vision_mirror, v, ctx, "Gemma 3 vision tower",
                                         &mirror, err);
        if (rs) return rs;
        w = mirror;
    }
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws) return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    const kmark mark = k_arena_mark(ws->arena);
    ltx2_status st = vision_body(ws, w, pixels, soft, err);
    k_arena_release(ws->arena, mark);
    k_arena_destroy(own);
    return st;
}
