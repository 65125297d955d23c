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

void ltx2_gemma3_vision_free(ltx2_gemma3_vision *v)
{
    if (!v) return;
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

/* y = LayerNorm(x) * w + b over rows of D. */
static kstatus layernorm(const kctx *ctx, int64_t rows, int64_t D, const float *x, const float *w, const float *b,
                         float eps, float *y)
{
    kstatus ks = k_layernorm(ctx, rows, D, x, D, eps, y, D);
    if (ks) return ks;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t d = 0; d < D; ++d) y[r * D + d] = y[r * D + d] * w[d] + b[d];
    return KS_OK;
}

static ltx2_status vision_body(const kctx *ctx, const ltx2_gemma3_vision *v, const float *pixels, float *soft,
                               ltx2_error *err)
{
    const int64_t S = v->image_size, p = v->patch, side = S / p, P = side * side, D = v->hidden, K = 3 * p * p;
    const int64_t per = (int64_t)llround(sqrt((double)v->tokens)), pool = side / per, T = v->tokens;
    float *x = malloc((size_t)(P * K) * sizeof(float)), *h = malloc((size_t)(P * D) * sizeof(float));
    float *a = malloc((size_t)(P * D) * sizeof(float)), *pooled = calloc((size_t)(T * D), sizeof(float));
    ltx2_status st = LTX2_OK;
    if (!x || !h || !a || !pooled) {
        st = ltx2_err(err, LTX2_ERR_OOM, "Gemma vision: out of memory");
        goto done;
    }
    /* Patches in the conv weight's order (channel, row, column): the stride-p conv as a GEMM. */
    for (int64_t pi = 0; pi < side; ++pi)
        for (int64_t pj = 0; pj < side; ++pj)
            for (int64_t c = 0; c < 3; ++c)
                for (int64_t r = 0; r < p; ++r)
                    memcpy(x + (pi * side + pj) * K + (c * p + r) * p, pixels + (c * S + pi * p + r) * S + pj * p,
                           (size_t)p * sizeof(float));
    kstatus ks = k_linear(ctx, P, x, K, &v->patch_w, NULL, v->patch_b, h, D, 0);
    K_THEN(ks, k_add(ctx, h, v->pos, h, P * D));
    if ((st = ltx2_kerr(err, ks, "Gemma vision embeddings"))) goto done;
    const float eps = (float)v->eps;
    for (int64_t i = 0; i < v->n_layers; ++i) {
        const ltx2_siglip_layer *l = &v->layers[i];
        if ((st = ltx2_kerr(err, layernorm(ctx, P, D, h, l->ln1_w, l->ln1_b, eps, a), "Gemma vision norm")) ||
            (st = lx_attention(ctx, &l->attn, eps, P, a, P, a, NULL, NULL, NULL, h, 1)) ||
            (st = ltx2_kerr(err, layernorm(ctx, P, D, h, l->ln2_w, l->ln2_b, eps, a), "Gemma vision norm")) ||
            (st = lx_ff_run(ctx, &l->ff, P, a, h, 1))) {
            if (st != LTX2_CANCELLED && !err->msg[0]) ltx2_err(err, st, "Gemma vision layer %lld failed", (long long)i);
            goto done;
        }
    }
    if ((st = ltx2_kerr(err, layernorm(ctx, P, D, h, v->post_w, v->post_b, eps, a), "Gemma vision norm"))) goto done;
    /* Average pooling of pool × pool patches per token, row-major over the token grid. */
    for (int64_t ti = 0; ti < per; ++ti)
        for (int64_t tj = 0; tj < per; ++tj)
            for (int64_t di = 0; di < pool; ++di)
                for (int64_t dj = 0; dj < pool; ++dj) {
                    const float *src = a + ((ti * pool + di) * side + tj * pool + dj) * D;
                    float *dst = pooled + (ti * per + tj) * D;
                    for (int64_t d = 0; d < D; ++d) dst[d] += src[d];
                }
    for (int64_t i = 0; i < T * D; ++i) pooled[i] /= (float)(pool * pool);
    ks = k_rmsnorm(ctx, T, D, pooled, D, v->mm_norm, 1.0f, eps, pooled, D);
    K_THEN(ks, k_sgemm(ctx, 0, 0, T, v->text_hidden, D, 1.0f, pooled, D, v->mm_proj, v->text_hidden, 0.0f, soft,
                       v->text_hidden));
    st = ltx2_kerr(err, ks, "Gemma multimodal projector");
done:
    free(x), free(h), free(a), free(pooled);
    return st;
}

ltx2_status ltx2_gemma3_vision_forward(const kctx *ctx, const ltx2_gemma3_vision *v, const float *pixels,
                                       float *soft, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws) return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = vision_body(ws, v, pixels, soft, err);
    k_arena_destroy(own);
    return st;
}
