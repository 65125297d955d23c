/* text_encoder.c — builds the TEXT_ENCODER payload and runs prompt → contexts. */
#include "text/text_encoder.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/layers.h"
#include "loaders/loaders.h"
#include "node.h"
#include "text/features.h"
#include "text/tokenize.h"

#define PROJ_KEY "text_embedding_projection.aggregate_embed.weight"
#define VIDEO_PREFIX "model.diffusion_model.video_embeddings_connector."
#define AUDIO_PREFIX "model.diffusion_model.audio_embeddings_connector."

static int jget(struct json_object *o, const char *key, struct json_object **v)
{
    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, v) &&
           !json_object_is_type(*v, json_type_null);
}

/* The projection's device copy: one kmat. */
static void *proj_make(const void *model)
{
    const kmat *m = model;
    kmat *d = malloc(sizeof *d);
    if (d) *d = *m;
    return d;
}
static void proj_walk(void *mirror, lx_upload *u) { lx_upload_mat(u, mirror); }
static const lx_mirror_ops proj_mirror = {proj_make, proj_walk, free};

void ltx2_text_encoder_free(void *p)
{
    ltx2_text_encoder *te = p;
    if (!te) return;
    lx_resident_fini(&te->proj_resident, &proj_mirror);
    ltx2_spm_free(te->spm);
    free(te->gemma_path);
    free(te->gemma_dir);
    ltx2_gemma3_config_free(&te->gemma_cfg);
    ltx2_gemma3_free(te->gemma);
    ltx2_gemma3_vision_free(te->vision);
    ltx2_connector_free(&te->video);
    ltx2_connector_free(&te->audio);
    ltx2_checkpoint_release(te->ltx);
    pthread_mutex_destroy(&te->lock);
    free(te);
}

void ltx2_text_encoder_release_gemma(ltx2_text_encoder *te)
{
    pthread_mutex_lock(&te->lock);
    ltx2_gemma3_free(te->gemma);
    ltx2_gemma3_vision_free(te->vision);
    te->gemma = NULL;
    te->vision = NULL;
    pthread_mutex_unlock(&te->lock);
}

/* The folder that holds a checkpoint (itself when the path is a folder). malloc'd. */
static char *checkpoint_dir(const char *path)
{
    struct stat sb;
    char *d = strdup(path ? path : ".");
    if (!d) return NULL;
    if (stat(d, &sb) == 0 && S_ISDIR(sb.st_mode)) return d;
    char *slash = strrchr(d, '/');
    if (slash) *(slash == d ? slash + 1 : slash) = '\0';
    else strcpy(d, ".");
    return d;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The Gemma config: metadata `gemma3_text_config`, else config.json beside the weights,
 * else NULL (12B values + dims from the shapes). The caller puts the result. */
static struct json_object *gemma_config_json(const ltx2_checkpoint *gemma, const char *dir)
{
    const char *meta = ltx2_checkpoint_meta(gemma, "gemma3_text_config");
    if (meta) return json_tokener_parse(meta);
    char *cfg = path_join(dir, "config.json");
    struct json_object *j = NULL;
    struct stat sb;
    if (cfg && stat(cfg, &sb) == 0) j = json_object_from_file(cfg);
    free(cfg);
    return j;
}

/* Connector geometry: the reference's hard-coded 19B values when the checkpoint has no
 * config; the config's `transformer` keys (with the code defaults) when it has one;
 * the tiny fixtures' `tiny_text_encoder.connector` metadata overrides both. */
static void connector_geom(const ltx2_checkpoint *ltx, ltx2_connector_geom *g, int64_t *max_length)
{
    memset(g, 0, sizeof *g);
    g->theta = 10000.0;
    g->max_pos = 4096.0;
    g->f64_grid = 1;
    *max_length = 1024;
    struct json_object *cfg = ltx2_checkpoint_config(ltx), *tr, *v;
    if (jget(cfg, "transformer", &tr)) {
        g->interleaved = !(jget(tr, "rope_type", &v) && strcmp(json_object_get_string(v), "split") == 0);
        g->f64_grid = jget(tr, "frequencies_precision", &v) && strcmp(json_object_get_string(v), "float64") == 0;
        g->max_pos = 1.0;
        if (jget(tr, "connector_positional_embedding_max_pos", &v) && json_object_is_type(v, json_type_array) &&
            json_object_array_length(v) > 0)
            g->max_pos = json_object_get_double(json_object_array_get_idx(v, 0));
        if (jget(tr, "positional_embedding_theta", &v)) g->theta = json_object_get_double(v);
        if (jget(tr, "connector_num_attention_heads", &v)) g->n_heads = json_object_get_int64(v);
        if (jget(tr, "connector_attention_head_dim", &v)) g->head_dim = json_object_get_int64(v);
        if (jget(tr, "connector_num_layers", &v)) g->n_layers = json_object_get_int64(v);
        if (jget(tr, "connector_num_learnable_registers", &v)) g->n_registers = json_object_get_int64(v);
    }
    const char *tiny = ltx2_checkpoint_meta(ltx, "tiny_text_encoder");
    struct json_object *t = tiny ? json_tokener_parse(tiny) : NULL, *c;
    if (jget(t, "connector", &c)) {
        if (jget(c, "num_attention_heads", &v)) g->n_heads = json_object_get_int64(v);
        if (jget(c, "attention_head_dim", &v)) g->head_dim = json_object_get_int64(v);
        if (jget(c, "num_layers", &v)) g->n_layers = json_object_get_int64(v);
        if (jget(c, "num_learnable_registers", &v)) g->n_registers = json_object_get_int64(v);
        if (jget(c, "positional_embedding_theta", &v)) g->theta = json_object_get_double(v);
        if (jget(c, "positional_embedding_max_pos", &v) && json_object_is_type(v, json_type_array) &&
            json_object_array_length(v) > 0)
            g->max_pos = json_object_get_double(json_object_array_get_idx(v, 0));
        if (jget(c, "rope_type", &v)) g->interleaved = strcmp(json_object_get_string(v), "split") != 0;
        if (jget(c, "double_precision_rope", &v)) g->f64_grid = json_object_get_boolean(v);
    }
    if (jget(t, "tokenizer_max_length", &v)) *max_length = json_object_get_int64(v);
    json_object_put(t);
}

static ltx2_status copy_config(const ltx2_gemma3_config *src, ltx2_gemma3_config *dst, ltx2_error *err)
{
    *dst = *src;
    dst->sliding = malloc((size_t)src->n_layers);
    if (!dst->sliding) return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory");
    memcpy(dst->sliding, src->sliding, (size_t)src->n_layers);
    return LTX2_OK;
}

static ltx2_status build(ltx2_text_encoder *te, ltx2_checkpoint *gemma, ltx2_checkpoint *ltx, const char *tok_path,
                         ltx2_error *err)
{
    ltx2_status st = LTX2_OK;
    char *dir = checkpoint_dir(ltx2_checkpoint_path(gemma));
    te->gemma_path = strdup(ltx2_checkpoint_path(gemma));
    if (!dir || !te->gemma_path) {
        free(dir);
        return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory");
    }
    /* Tokenizer: the given file, else tokenizer.model beside the Gemma weights. */
    char *tok_default = (!tok_path || !*tok_path) ? path_join(dir, "tokenizer.model") : NULL;
    const char *tp = tok_default ? tok_default : tok_path;
    char msg[256] = {0};
    te->spm = tp ? ltx2_spm_load(tp, msg, sizeof msg) : NULL;
    if (!te->spm) st = ltx2_err(err, LTX2_ERR_IO, "tokenizer %s: %s", tp ? tp : "?", msg);
    free(tok_default);
    if (!te->spm) {
        free(dir);
        return st;
    }

    struct json_object *gj = gemma_config_json(gemma, dir);
    te->gemma_dir = dir;
    ltx2_gemma3_config cfg;
    st = ltx2_gemma3_config_parse(gj, &cfg, err);
    json_object_put(gj);
    if (st) return st;
    if ((st = ltx2_gemma3_load(gemma, &cfg, &te->gemma, err))) return st;
    if ((st = copy_config(&te->gemma->cfg, &te->gemma_cfg, err))) return st;

    const ltx2_gemma3_config *g = &te->gemma->cfg;
    const ltx2_st_tensor *pt = ltx2_checkpoint_find(ltx, PROJ_KEY);
    if (!pt || pt->ndim != 2) return ltx2_err(err, LTX2_ERR_BAD_INPUT, PROJ_KEY ": missing or not 2-D");
    if ((st = ltx2_ckpt_mat(ltx, PROJ_KEY, pt->shape[0], g->hidden * (g->n_layers + 1), &te->proj, err))) return st;

    ltx2_connector_geom geom;
    connector_geom(ltx, &geom, &te->default_max_length);
    if ((st = ltx2_connector_load(ltx, VIDEO_PREFIX, &geom, &te->video, err))) return ltx2_err_prefix(err, "video connector");
    if ((st = ltx2_connector_load(ltx, AUDIO_PREFIX, &geom, &te->audio, err))) return ltx2_err_prefix(err, "audio connector");
    if (!te->video.blocks) return ltx2_err(err, LTX2_ERR_BAD_INPUT, VIDEO_PREFIX "learnable_registers: missing");
    if (te->video.dim != te->proj.rows || (te->audio.blocks && te->audio.dim != te->proj.rows))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "connector width %lld differs from the projection's %lld outputs",
                        (long long)te->video.dim, (long long)te->proj.rows);
    ltx2_checkpoint_retain(ltx);
    te->ltx = ltx;
    return LTX2_OK;
}

ltx2_status ltx2_load_text_encoder(ltx2_checkpoint *gemma, ltx2_checkpoint *ltx, const char *tokenizer_model_path,
                                   ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    if (!ltx) ltx = gemma;
    if (!gemma) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "text encoder: no Gemma checkpoint");
    /* Neither Gemma weights nor the projection: this file holds no text encoder. */
    if (!ltx2_checkpoint_find(ltx, PROJ_KEY) && !ltx2_checkpoint_find(gemma, "language_model.model.embed_tokens.weight") &&
        !ltx2_checkpoint_find(gemma, "model.language_model.embed_tokens.weight"))
        return LTX2_OK;

    ltx2_text_encoder *te = calloc(1, sizeof *te);
    if (!te) return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory");
    if (pthread_mutex_init(&te->lock, NULL) != 0) {
        free(te);
        return ltx2_err(err, LTX2_ERR_FAILED, "text encoder: mutex init failed");
    }
    lx_resident_init(&te->proj_resident);
    ltx2_status st = build(te, gemma, ltx, tokenizer_model_path, err);
    ltx2_object *o = NULL;
    if (!st && !(o = ltx2_object_new("TEXT_ENCODER"))) st = ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory");
    if (!st && (st = ltx2_object_set_payload(o, LTX2_TEXT_ENCODER_PAYLOAD, te, ltx2_text_encoder_free)))
        ltx2_err(err, st, "text encoder: out of memory");
    if (st) {
        ltx2_object_release(o);
        ltx2_text_encoder_free(te);
        return st;
    }
    char meta[256];
    snprintf(meta, sizeof meta, "{\"hidden_size\":%lld,\"num_hidden_layers\":%lld,\"max_length\":%lld}",
             (long long)te->gemma_cfg.hidden, (long long)te->gemma_cfg.n_layers, (long long)te->default_max_length);
    ltx2_object_set_metadata(o, meta);
    *out = o;
    return LTX2_OK;
}

void ltx2_text_encoding_release(ltx2_text_encoding *e)
{
    ltx2_tensor_release(e->token_ids), ltx2_tensor_release(e->token_mask);
    ltx2_tensor_release(e->hidden_states), ltx2_tensor_release(e->features);
    ltx2_tensor_release(e->video_context), ltx2_tensor_release(e->audio_context);
    ltx2_tensor_release(e->context_mask);
    memset(e, 0, sizeof *e);
}

ltx2_status ltx2_text_encoder_ensure_gemma(ltx2_text_encoder *te, ltx2_store *store, int want_vision,
                                           ltx2_error *err)
{
    ltx2_status st = LTX2_OK;
    if (!te->gemma) {
        if (!store) return ltx2_err(err, LTX2_ERR_INTERNAL, "text encoder: Gemma released and no store to re-open it");
        ltx2_checkpoint *c = NULL;
        if ((st = ltx2_checkpoint_open(store, te->gemma_path, &c, err))) return st;
        ltx2_gemma3_config cfg;
        if (!(st = copy_config(&te->gemma_cfg, &cfg, err))) st = ltx2_gemma3_load(c, &cfg, &te->gemma, err);
        ltx2_checkpoint_release(c);
        if (st) return st;
    }
    if (!want_vision || te->vision) return LTX2_OK;
    /* The vision tower lives in the same checkpoint as the text model. */
    struct json_object *gj = gemma_config_json(te->gemma->ckpt, te->gemma_dir);
    st = ltx2_gemma3_vision_load(te->gemma->ckpt, gj, te->gemma->cfg.hidden, &te->vision, err);
    json_object_put(gj);
    if (!st && !te->vision)
        st = ltx2_err(err, LTX2_ERR_UNSUPPORTED, "the Gemma checkpoint %s has no vision tower (vision_tower.*)",
                      te->gemma_path);
    return st;
}

/* The valid rows of the hidden states (normalised in place afterwards by the feature
 * extractor) into the host intermediates, left padding zeroed. */
static ltx2_status keep_hidden(const kctx *ctx, const float *hidden, int64_t NS, int64_t n, int64_t L, int64_t D,
                               ltx2_text_encoding *e, ltx2_error *err)
{
    e->hidden_states = ltx2_tensor_zeros(LTX2_F32, 3, (int64_t[]){NS, L, D});
    if (!e->hidden_states) return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory for the intermediates");
    kstatus ks = KS_OK;
    for (int64_t l = 0; l < NS; ++l) /* left padding: the n valid rows are the last ones */
        K_THEN(ks, k_copy(ctx, ltx2_tensor_f32(e->hidden_states) + (l * L + L - n) * D, hidden + l * n * D,
                          (size_t)(n * D) * sizeof(float), K_D2H));
    K_THEN(ks, k_sync(ctx));
    return ltx2_kerr(err, ks, "text encoder: hidden states");
}

/* Gemma → features → connectors for the n valid ids, on ctx's backend. */
static ltx2_status encode_run(ltx2_text_encoder *te, const kctx *ctx, const int32_t *ids, int64_t n, int64_t L,
                              int inter, ltx2_layer_progress progress, void *user, ltx2_text_encoding *e,
                              ltx2_error *err)
{
    const ltx2_gemma3_config *g = &te->gemma->cfg;
    const int64_t D = g->hidden, NS = g->n_layers + 1, Do = te->proj.rows;
    float *hidden = NULL, *feat = NULL;
    const kmat *proj = &te->proj;
    ltx2_status st = LTX2_OK;
    if (ctx->backend != KB_CPU) {
        void *mirror = NULL;
        st = lx_resident_get(&te->proj_resident, &proj_mirror, &te->proj, ctx, "text projection (aggregate_embed)",
                             &mirror, err);
        proj = mirror;
    }
    kstatus ks = KS_OK;
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(NS * n * D) * sizeof(float), (void **)&hidden));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(n * Do) * sizeof(float), (void **)&feat));
    if (!st && ks != KS_OK) st = ltx2_kerr(err, ks, "text encoder: hidden states");
    if (!st) st = ltx2_gemma3_forward(ctx, te->gemma, ids, n, hidden, progress, user, err);
    if (!st && inter) st = keep_hidden(ctx, hidden, NS, n, L, D, e, err);
    if (!st) st = ltx2_text_features(ctx, hidden, NS, n, D, proj, feat, err);
    if (!st) st = ltx2_connector_forward(ctx, &te->video, feat, n, L, ltx2_tensor_f32(e->video_context), err);
    if (!st && te->audio.blocks)
        st = ltx2_connector_forward(ctx, &te->audio, feat, n, L, ltx2_tensor_f32(e->audio_context), err);
    if (!st && inter) {
        if (!(e->features = ltx2_tensor_zeros(LTX2_F32, 3, (int64_t[]){1, L, Do})))
            return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory for the intermediates");
        ks = k_copy(ctx, ltx2_tensor_f32(e->features) + (L - n) * Do, feat, (size_t)(n * Do) * sizeof(float), K_D2H);
        K_THEN(ks, k_sync(ctx));
        st = ltx2_kerr(err, ks, "text encoder: features");
    }
    return st;
}

/* The encode proper, under te->lock. */
static ltx2_status encode_locked(ltx2_text_encoder *te, ltx2_store *store, const kctx *ctx, const char *prompt,
                                 int64_t L, int inter, ltx2_layer_progress progress, void *user,
                                 ltx2_text_encoding *e, ltx2_error *err)
{
    ltx2_status st;
    if ((st = ltx2_text_encoder_ensure_gemma(te, store, 0, err))) return st;
    int32_t *ids = malloc((size_t)L * sizeof(int32_t));
    if (!ids) return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory");
    int64_t n = 0;
    if ((st = ltx2_text_tokenize(te->spm, prompt, L, ids, &n, &e->n_dropped, err))) {
        free(ids);
        return st;
    }
    const int64_t pad = L - n;
    int64_t s2[2] = {1, L}, s3[3] = {1, L, te->proj.rows};
    e->max_len = L, e->n_valid = n;
    e->token_ids = ltx2_tensor_new(LTX2_F32, 2, s2);
    e->token_mask = ltx2_tensor_zeros(LTX2_F32, 2, s2);
    e->context_mask = ltx2_tensor_new(LTX2_F32, 2, s2);
    e->video_context = ltx2_tensor_new(LTX2_F32, 3, s3);
    if (te->audio.blocks) e->audio_context = ltx2_tensor_new(LTX2_F32, 3, (int64_t[]){1, L, te->audio.dim});
    if (!e->token_ids || !e->token_mask || !e->context_mask || !e->video_context ||
        (te->audio.blocks && !e->audio_context)) {
        free(ids);
        return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory for %lld tokens", (long long)L);
    }
    for (int64_t i = 0; i < L; ++i) {
        ltx2_tensor_f32(e->token_ids)[i] = (float)ids[i];
        ltx2_tensor_f32(e->token_mask)[i] = i >= pad ? 1.0f : 0.0f;
        ltx2_tensor_f32(e->context_mask)[i] = 1.0f;
    }
    /* one workspace (the node's device arena, or a host one) for the whole chain */
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws) {
        free(ids);
        return ltx2_err(err, LTX2_ERR_OOM, "text encoder: out of memory for the workspace");
    }
    const kmark mark = k_arena_mark(ws->arena);
    st = encode_run(te, ws, ids + pad, n, L, inter, progress, user, e, err);
    k_arena_release(ws->arena, mark);
    k_arena_destroy(own);
    free(ids);
    return st;
}

ltx2_status ltx2_text_encoder_encode(ltx2_text_encoder *te, ltx2_store *store, const kctx *ctx, const char *prompt,
                                     int64_t max_len, int intermediates, ltx2_layer_progress progress, void *user,
                                     ltx2_text_encoding *out, ltx2_error *err)
{
    memset(out, 0, sizeof *out);
    if (max_len <= 0) max_len = te->default_max_length;
    pthread_mutex_lock(&te->lock);
    ltx2_status st = encode_locked(te, store, ctx, prompt, max_len, intermediates, progress, user, out, err);
    pthread_mutex_unlock(&te->lock);
    if (st) ltx2_text_encoding_release(out);
    return st;
}
