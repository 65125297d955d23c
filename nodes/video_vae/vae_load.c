/* vae_load.c — builds ltx2_video_vae from config["vae"] and the vae.* keys. The block
 * lists of the config give the structure; every width is read off the tensor shapes and
 * checked, so a missing or misshapen weight is an error naming its key. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "loaders/loaders.h"
#include "video_vae/vae_model.h"

static ltx2_status pad_mode(const char *s, const char *field, kpad *out, ltx2_error *err)
{
    if (!strcmp(s, "zeros")) *out = KPAD_ZEROS;
    else if (!strcmp(s, "reflect")) *out = KPAD_REFLECT;
    else if (!strcmp(s, "replicate")) *out = KPAD_REPLICATE;
    else return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.%s: padding mode \"%s\" is not supported", field, s);
    return LTX2_OK;
}

/* Far above any LTX-2 VAE; a bound so that a bad config fails before allocating. */
enum { max_layers = 1024, max_blocks = 256, max_channels = 1 << 16, max_patch = 64 };

/* One entry of a block list: ["name", {params}] or ["name", n_layers]. */
static ltx2_status block_entry(json_object *list, size_t i, const char *field, const char **name,
                               json_object **params, int64_t *n_layers, ltx2_error *err)
{
    json_object *e = json_object_array_get_idx(list, i);
    if (!e || !json_object_is_type(e, json_type_array) || json_object_array_length(e) != 2 ||
        !json_object_is_type(json_object_array_get_idx(e, 0), json_type_string))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.%s[%zu]: expected [name, params]", field, i);
    *name = json_object_get_string(json_object_array_get_idx(e, 0));
    json_object *p = json_object_array_get_idx(e, 1);
    *params = json_object_is_type(p, json_type_object) ? p : NULL;
    char where[128];
    snprintf(where, sizeof where, "config vae.%s[%zu]", field, i);
    if (*params)
        return ltx2_cfg_int(p, where, "num_layers", 1, 1, max_layers, n_layers, err);
    return ltx2_cfg_int_value(p, where, 1, max_layers, n_layers, err);
}

static ltx2_status load_res_x(vblock *b, const ltx2_checkpoint *ck, const char *pre, int64_t c,
                              int n, bool ts_cond, ltx2_error *err)
{
    char name[512];
    ltx2_status s;
    b->kind = VB_RES;
    b->cin = b->cout = c;
    /* The file must hold the last block before n of them are allocated. */
    snprintf(name, sizeof name, "%sres_blocks.%d.conv1.conv.weight", pre, n - 1);
    if (n < 1 || !ltx2_checkpoint_find(ck, name))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: missing (the config asks for %d res blocks)", name, n);
    b->res = calloc((size_t)n, sizeof *b->res);
    if (!b->res) return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    b->n_res = n;
    for (int j = 0; j < n; j++) {
        snprintf(name, sizeof name, "%sres_blocks.%d.conv1.conv.", pre, j);
        if ((s = vconv_load(&b->res[j].conv1, ck, name, c, c, 3, 3, 3, err)) != LTX2_OK) return s;
        snprintf(name, sizeof name, "%sres_blocks.%d.conv2.conv.", pre, j);
        if ((s = vconv_load(&b->res[j].conv2, ck, name, c, c, 3, 3, 3, err)) != LTX2_OK) return s;
        if (ts_cond) {
            snprintf(name, sizeof name, "%sres_blocks.%d.scale_shift_table", pre, j);
            const ltx2_st_tensor *st;
            if ((s = ltx2_ckpt_require(ck, name, 2, (const int64_t[]){4, c}, &st, err)) != LTX2_OK) return s;
            if ((s = ltx2_ckpt_f32(ck, name, 4 * c, &b->res[j].sst, err)) != LTX2_OK) return s;
        }
    }
    if (ts_cond) {
        snprintf(name, sizeof name, "%stime_embedder.timestep_embedder.", pre);
        if ((s = vtembed_load(&b->te, ck, name, 4 * c, err)) != LTX2_OK) return s;
        b->has_te = true;
    }
    return LTX2_OK;
}

static void free_coder(vcoder *c)
{
    vconv_free(&c->conv_in);
    vconv_free(&c->conv_out);
    for (int i = 0; i < c->n_blocks; i++) {
        vblock *b = &c->blocks[i];
        for (int j = 0; j < b->n_res; j++) {
            vconv_free(&b->res[j].conv1);
            vconv_free(&b->res[j].conv2);
            free(b->res[j].sst);
        }
        free(b->res);
        vtembed_free(&b->te);
        vconv_free(&b->conv);
    }
    free(c->blocks);
    memset(c, 0, sizeof *c);
}

static ltx2_status build_decoder(ltx2_video_vae *v, const ltx2_checkpoint *ck, json_object *cfg,
                                 ltx2_error *err)
{
    ltx2_status s;
    char pre[256];
    json_object *list = ltx2_json_get(cfg, "decoder_blocks");
    if (!list || !json_object_is_type(list, json_type_array))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.decoder_blocks: missing or not a list");
    if ((s = pad_mode(ltx2_json_str(cfg, "decoder_spatial_padding_mode", "reflect"),
                      "decoder_spatial_padding_mode", &v->dec_spad, err)) != LTX2_OK)
        return s;
    v->causal_dec = ltx2_json_bool(cfg, "causal_decoder", false);
    /* The reference defaults to conditioning on; without the key in the config, the
     * file decides (the 19B file may carry none of those weights). */
    v->ts_cond = ltx2_json_get(cfg, "timestep_conditioning")
                     ? ltx2_json_bool(cfg, "timestep_conditioning", true)
                     : ltx2_checkpoint_find(ck, "vae.decoder.timestep_scale_multiplier") != NULL;

    int64_t c = vae_dim0(ck, "vae.decoder.conv_in.conv.weight");
    if (c <= 0) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "vae.decoder.conv_in.conv.weight: missing");
    if ((s = vconv_load(&v->dec.conv_in, ck, "vae.decoder.conv_in.conv.", c, v->latent_ch, 3, 3, 3, err)) != LTX2_OK)
        return s;
    size_t nb = json_object_array_length(list);
    if (nb > max_blocks)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.decoder_blocks: %zu blocks (at most %d)", nb, (int)max_blocks);
    v->dec.blocks = calloc(nb ? nb : 1, sizeof *v->dec.blocks);
    if (!v->dec.blocks) return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    for (size_t k = 0; k < nb; k++) {
        size_t i = nb - 1 - k; /* the decoder is built from the reversed list */
        const char *name;
        json_object *p;
        int64_t nl;
        if ((s = block_entry(list, i, "decoder_blocks", &name, &p, &nl, err)) != LTX2_OK) return s;
        vblock *b = &v->dec.blocks[k];
        v->dec.n_blocks = (int)k + 1;
        snprintf(pre, sizeof pre, "vae.decoder.up_blocks.%zu.", k);
        if (!strcmp(name, "res_x")) {
            if (ltx2_json_bool(p, "inject_noise", false))
                return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.decoder_blocks[%zu]: inject_noise is not supported", i);
            if ((s = load_res_x(b, ck, pre, c, (int)nl, v->ts_cond, err)) != LTX2_OK) return s;
        } else if (ltx2_vae_block_stride(name, false, &b->st, &b->sh, &b->sw)) {
            int P = b->st * b->sh * b->sw;
            b->kind = VB_UP;
            char where[128];
            snprintf(where, sizeof where, "config vae.decoder_blocks[%zu]", i);
            if ((s = ltx2_cfg_int32(p, where, "multiplier", 1, 1, max_channels, &b->mult, err)) != LTX2_OK) return s;
            b->residual = ltx2_json_bool(p, "residual", false);
            if (b->mult <= 0 || (P * c) % b->mult || c % P)
                return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.decoder_blocks[%zu]: multiplier %d does not fit width %lld", i, b->mult, (long long)c);
            b->cin = c;
            b->cout = c / b->mult;
            snprintf(pre, sizeof pre, "vae.decoder.up_blocks.%zu.conv.conv.", k);
            if ((s = vconv_load(&b->conv, ck, pre, P * c / b->mult, c, 3, 3, 3, err)) != LTX2_OK) return s;
            c = b->cout;
        } else {
            return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.decoder_blocks[%zu]: block \"%s\" is not supported", i, name);
        }
    }
    int64_t out_ch = v->in_ch * v->patch * v->patch;
    if ((s = vconv_load(&v->dec.conv_out, ck, "vae.decoder.conv_out.conv.", out_ch, c, 3, 3, 3, err)) != LTX2_OK)
        return s;
    if (v->ts_cond) {
        float *m = NULL;
        const ltx2_st_tensor *st;
        if ((s = ltx2_ckpt_require(ck, "vae.decoder.timestep_scale_multiplier", 0, NULL, &st, err)) != LTX2_OK)
            return s;
        if ((s = ltx2_ckpt_f32(ck, "vae.decoder.timestep_scale_multiplier", 1, &m, err)) != LTX2_OK) return s;
        v->ts_mult = m[0];
        free(m);
        if ((s = vtembed_load(&v->last_te, ck, "vae.decoder.last_time_embedder.timestep_embedder.", 2 * c, err)) != LTX2_OK)
            return s;
        if ((s = ltx2_ckpt_require(ck, "vae.decoder.last_scale_shift_table", 2, (const int64_t[]){2, c}, &st, err)) != LTX2_OK)
            return s;
        if ((s = ltx2_ckpt_f32(ck, "vae.decoder.last_scale_shift_table", 2 * c, &v->last_sst, err)) != LTX2_OK)
            return s;
    }
    return LTX2_OK;
}

static ltx2_status build_encoder(ltx2_video_vae *v, const ltx2_checkpoint *ck, json_object *cfg,
                                 ltx2_error *err)
{
    ltx2_status s;
    char pre[256];
    json_object *list = ltx2_json_get(cfg, "encoder_blocks");
    if (!list || !json_object_is_type(list, json_type_array))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.encoder_blocks: missing or not a list");
    if ((s = pad_mode(ltx2_json_str(cfg, "encoder_spatial_padding_mode", "zeros"),
                      "encoder_spatial_padding_mode", &v->enc_spad, err)) != LTX2_OK)
        return s;
    const char *lv = ltx2_json_str(cfg, "latent_log_var", "uniform");
    if (!strcmp(lv, "uniform") || !strcmp(lv, "constant")) v->enc_out_ch = v->latent_ch + 1;
    else if (!strcmp(lv, "per_channel")) v->enc_out_ch = 2 * v->latent_ch;
    else if (!strcmp(lv, "none")) v->enc_out_ch = v->latent_ch;
    else return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.latent_log_var: \"%s\" is not supported", lv);

    int64_t c = vae_dim0(ck, "vae.encoder.conv_in.conv.weight");
    if (c <= 0) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "vae.encoder.conv_in.conv.weight: missing");
    if ((s = vconv_load(&v->enc.conv_in, ck, "vae.encoder.conv_in.conv.", c,
                        v->in_ch * v->patch * v->patch, 3, 3, 3, err)) != LTX2_OK)
        return s;
    size_t nb = json_object_array_length(list);
    if (nb > max_blocks)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.encoder_blocks: %zu blocks (at most %d)", nb, (int)max_blocks);
    v->enc.blocks = calloc(nb ? nb : 1, sizeof *v->enc.blocks);
    if (!v->enc.blocks) return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    for (size_t i = 0; i < nb; i++) {
        const char *name;
        json_object *p;
        int64_t nl;
        if ((s = block_entry(list, i, "encoder_blocks", &name, &p, &nl, err)) != LTX2_OK) return s;
        vblock *b = &v->enc.blocks[i];
        v->enc.n_blocks = (int)i + 1;
        snprintf(pre, sizeof pre, "vae.encoder.down_blocks.%zu.", i);
        if (!strcmp(name, "res_x")) {
            if ((s = load_res_x(b, ck, pre, c, (int)nl, false, err)) != LTX2_OK) return s;
        } else if (ltx2_vae_block_stride(name, true, &b->st, &b->sh, &b->sw)) {
            int P = b->st * b->sh * b->sw;
            int64_t mult;
            char where[128];
            snprintf(where, sizeof where, "config vae.encoder_blocks[%zu]", i);
            if ((s = ltx2_cfg_int(p, where, "multiplier", 2, 1, max_channels, &mult, err)) != LTX2_OK) return s;
            b->kind = VB_DOWN;
            b->cin = c;
            b->cout = c * mult;
            if (mult <= 0 || b->cout % P || (c * P) % b->cout)
                return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.encoder_blocks[%zu]: multiplier %lld does not fit width %lld", i, (long long)mult, (long long)c);
            snprintf(pre, sizeof pre, "vae.encoder.down_blocks.%zu.conv.conv.", i);
            if ((s = vconv_load(&b->conv, ck, pre, b->cout / P, c, 3, 3, 3, err)) != LTX2_OK) return s;
            c = b->cout;
        } else {
            return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.encoder_blocks[%zu]: block \"%s\" is not supported", i, name);
        }
    }
    return vconv_load(&v->enc.conv_out, ck, "vae.encoder.conv_out.conv.", v->enc_out_ch, c, 3, 3, 3, err);
}

void ltx2_video_vae_free(ltx2_video_vae *v)
{
    if (!v) return;
    ltx2_vae_resident_fini(v);
    free_coder(&v->dec);
    free_coder(&v->enc);
    vtembed_free(&v->last_te);
    free(v->last_sst);
    free(v->mean);
    free(v->std);
    ltx2_checkpoint_release(v->ckpt);
    free(v);
}

/* A file with only the latent statistics (an upsampler file bundling them): a VAE that
 * can frame latents (upscaler) but neither decode nor encode. */
static ltx2_status build_stats_only(ltx2_checkpoint *ck, const ltx2_st_tensor *stats,
                                    ltx2_video_vae **out, ltx2_error *err)
{
    if (stats->ndim != 1 || stats->shape[0] <= 0)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "vae.per_channel_statistics.mean-of-means: expected a vector");
    ltx2_video_vae *v = calloc(1, sizeof *v);
    if (!v) return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    ltx2_vae_resident_init(v);
    ltx2_checkpoint_retain(ck);
    v->ckpt = ck;
    v->latent_ch = stats->shape[0];
    v->patch = 1;
    v->in_ch = 3;
    ltx2_status s = ltx2_latent_geom_read(ltx2_checkpoint_config(ck), &v->geom, err);
    if (s == LTX2_OK)
        s = ltx2_ckpt_vec(ck, "vae.per_channel_statistics.mean-of-means", v->latent_ch, &v->mean, err);
    if (s == LTX2_OK)
        s = ltx2_ckpt_vec(ck, "vae.per_channel_statistics.std-of-means", v->latent_ch, &v->std, err);
    if (s != LTX2_OK) {
        ltx2_video_vae_free(v);
        return s;
    }
    *out = v;
    return LTX2_OK;
}

ltx2_status ltx2_video_vae_build(ltx2_checkpoint *ck, ltx2_video_vae **out, ltx2_error *err)
{
    *out = NULL;
    json_object *root = ltx2_checkpoint_config(ck);
    json_object *cfg = ltx2_json_get(root, "vae");
    bool dec = ltx2_checkpoint_has_prefix(ck, "vae.decoder."), enc = ltx2_checkpoint_has_prefix(ck, "vae.encoder.");
    const ltx2_st_tensor *stats = ltx2_checkpoint_find(ck, "vae.per_channel_statistics.mean-of-means");
    if (!dec && !enc && !stats) return LTX2_OK; /* no video VAE in this file */
    if (!dec && !enc) return build_stats_only(ck, stats, out, err);
    if (!cfg || !json_object_is_type(cfg, json_type_object))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae: missing (the file has vae.* weights but no \"vae\" section in its config metadata)");
    if (ltx2_json_int(cfg, "dims", 3) != 3)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.dims: only 3 is supported");
    const char *norm = ltx2_json_str(cfg, "norm_layer", "pixel_norm");
    if (strcmp(norm, "pixel_norm") != 0)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config vae.norm_layer: \"%s\" is not supported", norm);

    ltx2_video_vae *v = calloc(1, sizeof *v);
    if (!v) return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    ltx2_vae_resident_init(v);
    ltx2_checkpoint_retain(ck);
    v->ckpt = ck;
    v->has_dec = dec;
    v->has_enc = enc;
    ltx2_status s = ltx2_latent_geom_read(root, &v->geom, err);
    if (s == LTX2_OK)
        s = ltx2_cfg_int(cfg, "config vae", "latent_channels", 128, 1, max_channels, &v->latent_ch, err);
    if (s == LTX2_OK)
        s = ltx2_cfg_int32(cfg, "config vae", "patch_size", 4, 1, max_patch, &v->patch, err);
    if (s == LTX2_OK)
        s = ltx2_cfg_int(cfg, "config vae", "out_channels", 3, 1, max_channels, &v->in_ch, err);
    if (s == LTX2_OK)
        s = ltx2_ckpt_vec(ck, "vae.per_channel_statistics.mean-of-means", v->latent_ch, &v->mean, err);
    if (s == LTX2_OK)
        s = ltx2_ckpt_vec(ck, "vae.per_channel_statistics.std-of-means", v->latent_ch, &v->std, err);
    if (s == LTX2_OK && dec) s = build_decoder(v, ck, cfg, err);
    if (s == LTX2_OK && enc) s = build_encoder(v, ck, cfg, err);
    if (s != LTX2_OK) {
        ltx2_video_vae_free(v);
        return s;
    }
    *out = v;
    return LTX2_OK;
}
