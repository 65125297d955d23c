/* geometry.c — the latent geometry from a checkpoint's config, and its record on a LATENT.
 * Where each value lives: vae-audio-upsampler-formats.md §1 (video VAE patch and block
 * strides) and §2.1 (audio VAE sampling rate, STFT hop, levels). */
#include <json-c/json.h>
#include <stddef.h>
#include <string.h>

#include "common/geometry.h"
#include "json_util.h"

/* Bounds far above any LTX-2 VAE (the loaders use the same per-key ones), tight enough
 * that latent sizes built from them fit. */
enum { max_patch = 64, max_scale = 4096, max_rate = 1000000, max_hop = 1 << 16, max_levels = 8 };
/* The release VAE's space compression after its 4x4 patchify (3 blocks of x2). */
enum { release_space_strides = 8 };

bool ltx2_vae_block_stride(const char *name, bool res_suffix, int *st, int *sh, int *sw)
{
    static const char *const base[] = {"compress_time", "compress_space", "compress_all"};
    static const int s3[3][3] = {{2, 1, 1}, {1, 2, 2}, {2, 2, 2}};
    for (int k = 0; k < 3; k++) {
        const size_t lb = strlen(base[k]);
        if (strncmp(name, base[k], lb) != 0) continue;
        if ((res_suffix && strcmp(name + lb, "_res") == 0) || (!res_suffix && name[lb] == 0)) {
            *st = s3[k][0];
            *sh = s3[k][1];
            *sw = s3[k][2];
            return true;
        }
    }
    return false;
}

/* The product of the block strides of vae.<field> (entries ["name", params]). */
static ltx2_status block_strides(struct json_object *list, const char *field, bool res_suffix, int *ft,
                                 int *fs, ltx2_error *err)
{
    const size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        struct json_object *name = json_object_is_type(e, json_type_array) ? json_object_array_get_idx(e, 0) : NULL;
        if (!name || !json_object_is_type(name, json_type_string))
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.%s[%zu]: expected [name, params]", field, i);
        int st, sh, sw;
        if (!ltx2_vae_block_stride(json_object_get_string(name), res_suffix, &st, &sh, &sw)) continue;
        if (*ft * st > max_scale || *fs * sh > max_scale)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vae.%s: compression beyond %d", field, max_scale);
        *ft *= st;
        *fs *= sh;
    }
    return LTX2_OK;
}

static ltx2_status read_video(struct json_object *vae, ltx2_latent_geom *g, ltx2_error *err)
{
    if (!vae) return LTX2_OK;
    int patch;
    ltx2_status s = ltx2_cfg_int32(vae, "config vae", "patch_size", 4, 1, max_patch, &patch, err);
    if (s != LTX2_OK) return s;
    /* The encoder's strides, else the decoder's: both give the same latent grid. */
    struct json_object *enc = ltx2_json_get(vae, "encoder_blocks"), *dec = ltx2_json_get(vae, "decoder_blocks");
    const bool use_enc = enc && json_object_is_type(enc, json_type_array);
    struct json_object *list = use_enc ? enc : dec;
    if (!list || !json_object_is_type(list, json_type_array)) {
        g->scale_s = release_space_strides * patch; /* no block lists: the release strides */
        return LTX2_OK;
    }
    int ft = 1, fs = patch;
    if ((s = block_strides(list, use_enc ? "encoder_blocks" : "decoder_blocks", use_enc, &ft, &fs, err)) != LTX2_OK)
        return s;
    g->scale_t = ft;
    g->scale_s = fs;
    return LTX2_OK;
}

static ltx2_status read_audio(struct json_object *avae, ltx2_latent_geom *g, ltx2_error *err)
{
    if (!avae) return LTX2_OK;
    struct json_object *params = ltx2_json_get(ltx2_json_get(avae, "model"), "params");
    struct json_object *stft = ltx2_json_get(ltx2_json_get(avae, "preprocessing"), "stft");
    struct json_object *dd = ltx2_json_get(params, "ddconfig");
    ltx2_status s = ltx2_cfg_int32(params, "config audio_vae.model.params", "sampling_rate", g->audio_rate, 1,
                                   max_rate, &g->audio_rate, err);
    if (s == LTX2_OK)
        s = ltx2_cfg_int32(stft, "config audio_vae.preprocessing.stft", "hop_length", g->audio_hop, 1, max_hop,
                           &g->audio_hop, err);
    if (s != LTX2_OK || !ltx2_json_get(dd, "ch_mult")) return s;
    int mult[max_levels], levels;
    /* each level but the last halves time (stride-2 downsample on both axes) */
    if ((s = ltx2_cfg_ints(dd, "config audio_vae.model.params.ddconfig", "ch_mult", mult, max_levels, 1, 1 << 16,
                           &levels, err)) != LTX2_OK)
        return s;
    g->audio_down = 1 << (levels - 1);
    return LTX2_OK;
}

ltx2_status ltx2_latent_geom_read(struct json_object *root, ltx2_latent_geom *g, ltx2_error *err)
{
    *g = LTX2_LATENT_GEOM_DEFAULT;
    ltx2_status s = read_video(ltx2_json_get(root, "vae"), g, err);
    return s != LTX2_OK ? s : read_audio(ltx2_json_get(root, "audio_vae"), g, err);
}

bool ltx2_latent_geom_equal(const ltx2_latent_geom *a, const ltx2_latent_geom *b)
{
    return a->scale_t == b->scale_t && a->scale_s == b->scale_s && a->audio_rate == b->audio_rate &&
           a->audio_hop == b->audio_hop && a->audio_down == b->audio_down;
}

double ltx2_latent_geom_audio_fps(const ltx2_latent_geom *g)
{
    return (double)g->audio_rate / ((double)g->audio_hop * (double)g->audio_down);
}

/* ---------------------------------------------------------------- LATENT record */
static const struct {
    const char *key;
    size_t off;
    int max;
} rec[] = {
    {"geom_scale_t", offsetof(ltx2_latent_geom, scale_t), max_scale},
    {"geom_scale_s", offsetof(ltx2_latent_geom, scale_s), max_scale},
    {"geom_audio_rate", offsetof(ltx2_latent_geom, audio_rate), max_rate},
    {"geom_audio_hop", offsetof(ltx2_latent_geom, audio_hop), max_hop},
    {"geom_audio_down", offsetof(ltx2_latent_geom, audio_down), 1 << (max_levels - 1)},
};
enum { n_rec = sizeof rec / sizeof rec[0] };

ltx2_status ltx2_latent_geom_record(ltx2_object *lat, const ltx2_latent_geom *g)
{
    ltx2_status s = LTX2_OK;
    for (int i = 0; i < n_rec && s == LTX2_OK; i++)
        s = ltx2_object_set_int(lat, rec[i].key, *(const int *)((const char *)g + rec[i].off));
    return s;
}

ltx2_status ltx2_latent_geom_of(const ltx2_object *lat, const ltx2_latent_geom *fallback, ltx2_latent_geom *g,
                                ltx2_error *err)
{
    *g = *fallback;
    int found = 0;
    for (int i = 0; i < n_rec; i++)
        found += ltx2_object_has(lat, rec[i].key);
    if (found == 0) return LTX2_OK;
    for (int i = 0; i < n_rec; i++) {
        const ltx2_value v = ltx2_object_get(lat, rec[i].key);
        if (v.kind != LTX2_V_INT || v.u.i < 1 || v.u.i > rec[i].max)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "LATENT %s: missing or not an integer in [1, %d]", rec[i].key,
                            rec[i].max);
        *(int *)((char *)g + rec[i].off) = (int)v.u.i;
    }
    return LTX2_OK;
}
