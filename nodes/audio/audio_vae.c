/* audio_vae.c — the audio VAE's configuration, its weights (loaded once, and mirrored on a
 * device at the first device pass) and its release. The forward is audio_vae_forward.c. */
#include "audio/audio_vae.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_common.h"
#include "json_util.h"
#include "loaders/loaders.h"
#include "node.h"
#include "object.h"

#define AVAE "audio_vae."

/* ------------------------------------------------------------------ config */
ltx2_status audio_vae_config_read(const ltx2_checkpoint *ck, audio_vae_config *cfg, bool *present,
                                  ltx2_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    *present = false;
    json_object *root = ltx2_json_get(ltx2_checkpoint_config(ck), "audio_vae");
    if (!root)
        return LTX2_OK;
    *present = true;
    json_object *params = ltx2_json_get(ltx2_json_get(root, "model"), "params");
    json_object *dd = ltx2_json_get(params, "ddconfig");
    if (!dd)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config.audio_vae.model.params.ddconfig is missing");
    /* Bounds far above any LTX-2 audio VAE, so that sizes built from them fit. */
    static const char dd_where[] = "config audio_vae.model.params.ddconfig";
    const int max_ch = 1 << 16;
    ltx2_status s;
#define CFG_INT(o, where, key, def, lo, hi, dst) \
    if ((s = ltx2_cfg_int32(o, where, key, def, lo, hi, dst, err)) != LTX2_OK) return s
    CFG_INT(dd, dd_where, "ch", 0, 1, max_ch, &cfg->ch);
    CFG_INT(dd, dd_where, "z_channels", 0, 1, max_ch, &cfg->z_channels);
    CFG_INT(dd, dd_where, "in_channels", 2, 1, 64, &cfg->in_channels);
    CFG_INT(dd, dd_where, "out_ch", 2, 1, 64, &cfg->out_ch);
    CFG_INT(dd, dd_where, "mel_bins", 64, 1, 4096, &cfg->mel_bins);
    CFG_INT(dd, dd_where, "num_res_blocks", 0, 1, 64, &cfg->num_res_blocks);
    if (cfg->ch == 0 || cfg->z_channels == 0 || cfg->num_res_blocks == 0)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: ch, z_channels and num_res_blocks are required", dd_where);
    json_object *dz = ltx2_json_get(dd, "double_z");
    cfg->double_z = dz ? json_object_get_boolean(dz) : true;
    if ((s = ltx2_cfg_ints(dd, dd_where, "ch_mult", cfg->ch_mult, LTX2_AUDIO_MAX_LEVELS, 1, 64, &cfg->n_levels,
                           err)) != LTX2_OK)
        return s;
    for (int i = 0; i < cfg->n_levels; i++)
        if ((int64_t)cfg->ch * cfg->ch_mult[i] > max_ch)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: ch %d x ch_mult[%d] %d exceeds %d", dd_where, cfg->ch, i,
                            cfg->ch_mult[i], max_ch);
    const char *norm = json_object_get_string(ltx2_json_get(dd, "norm_type"));
    if (norm && strcmp(norm, "pixel") != 0)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config.audio_vae norm_type '%s' (only 'pixel')", norm);
    json_object *attn = ltx2_json_get(dd, "attn_resolutions");
    json_object *midattn = ltx2_json_get(dd, "mid_block_add_attention");
    if ((attn && json_object_array_length(attn) > 0) || (midattn && json_object_get_boolean(midattn)))
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config.audio_vae: attention blocks are not supported");
    CFG_INT(params, "config audio_vae.model.params", "sampling_rate", 16000, 1, 1000000, &cfg->sample_rate);
    json_object *pre = ltx2_json_get(root, "preprocessing");
    json_object *stft = ltx2_json_get(pre, "stft"), *mel = ltx2_json_get(pre, "mel");
    static const char stft_where[] = "config audio_vae.preprocessing.stft";
    static const char mel_where[] = "config audio_vae.preprocessing.mel";
    CFG_INT(stft, stft_where, "filter_length", 1024, 2, 1 << 16, &cfg->n_fft);
    CFG_INT(stft, stft_where, "hop_length", 160, 1, cfg->n_fft, &cfg->hop);
    CFG_INT(stft, stft_where, "win_length", cfg->n_fft, 1, cfg->n_fft, &cfg->win);
    CFG_INT(mel, mel_where, "n_mel_channels", cfg->mel_bins, 1, 4096, &cfg->n_mels);
#undef CFG_INT
    const double nyquist = cfg->sample_rate / 2.0;
    if ((s = ltx2_cfg_num(mel, mel_where, "mel_fmin", 0.0, 0.0, nyquist, &cfg->fmin, err)) != LTX2_OK ||
        (s = ltx2_cfg_num(mel, mel_where, "mel_fmax", nyquist, cfg->fmin, nyquist, &cfg->fmax, err)) != LTX2_OK)
        return s;
    cfg->latent_freq = cfg->mel_bins >> (cfg->n_levels - 1);
    if (cfg->latent_freq < 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config.audio_vae: mel_bins too small for the levels");
    return LTX2_OK;
}

/* ------------------------------------------------------------------ loading */
/* The vconv, then the stored weight it was packed from (its shape already checked). */
static ltx2_status conv2d_load(audio_conv *c, const ltx2_checkpoint *ck, const char *prefix,
                               int64_t cout, int64_t cin, int k, ltx2_error *err)
{
    ltx2_status s = vconv_load(&c->c, ck, prefix, cout, cin, 0, k, k, err);
    if (s != LTX2_OK)
        return s;
    char name[512];
    snprintf(name, sizeof name, "%sweight", prefix);
    const ltx2_st_tensor *st = ltx2_checkpoint_find(ck, name);
    c->stored = (kmat){.dtype = (kdtype)st->dtype, .data = st->data, .rows = cout, .cols = cin * k * k,
                       .ld = cin * k * k, .scale = 1.0f};
    return LTX2_OK;
}

static ltx2_status resblock_load(audio_resblock *b, const ltx2_checkpoint *ck, const char *prefix,
                                 int64_t cin, int64_t cout, ltx2_error *err)
{
    char name[256];
    ltx2_status s;
    snprintf(name, sizeof name, "%sconv1.conv.", prefix);
    if ((s = conv2d_load(&b->conv1, ck, name, cout, cin, 3, err)) != LTX2_OK)
        return s;
    snprintf(name, sizeof name, "%sconv2.conv.", prefix);
    if ((s = conv2d_load(&b->conv2, ck, name, cout, cout, 3, err)) != LTX2_OK)
        return s;
    b->has_nin = cin != cout;
    if (b->has_nin) {
        snprintf(name, sizeof name, "%snin_shortcut.conv.", prefix);
        if ((s = conv2d_load(&b->nin, ck, name, cout, cin, 1, err)) != LTX2_OK)
            return s;
    }
    return LTX2_OK;
}

/* Every conv of a coder in turn (both coders' weight trees share this walk). */
typedef void (*conv_fn)(audio_conv *c, void *arg);

static void resblock_each(audio_resblock *b, conv_fn fn, void *arg)
{
    fn(&b->conv1, arg);
    fn(&b->conv2, arg);
    fn(&b->nin, arg);
}

static void coder_each(audio_coder *c, conv_fn fn, void *arg)
{
    fn(&c->conv_in, arg);
    fn(&c->conv_out, arg);
    resblock_each(&c->mid1, fn, arg);
    resblock_each(&c->mid2, fn, arg);
    for (int i = 0; i < LTX2_AUDIO_MAX_LEVELS; i++) {
        for (int j = 0; j < c->levels[i].n_blocks; j++)
            resblock_each(&c->levels[i].blocks[j], fn, arg);
        fn(&c->levels[i].resample, arg);
    }
}

static void conv_free(audio_conv *c, void *arg)
{
    (void)arg;
    vconv_free(&c->c);
}

static void coder_free(audio_coder *c)
{
    coder_each(c, conv_free, NULL);
    for (int i = 0; i < LTX2_AUDIO_MAX_LEVELS; i++)
        free(c->levels[i].blocks);
}

/* ---------------------------------------------------------------- device residency */
/* The mirror: the model struct with copies of the block arrays, its conv weights made on
 * the device and its biases and statistics in the upload block. */
static void conv_forget(audio_conv *c, void *arg)
{
    (void)arg;
    c->c.w = NULL; /* the host's packed weights stay the model's */
}

static void conv_mirror_free(audio_conv *c, void *arg)
{
    (void)arg;
    k_convw_free(c->c.w);
    c->c.w = NULL;
}

static void coder_mirror_free(audio_coder *c)
{
    coder_each(c, conv_mirror_free, NULL);
    for (int i = 0; i < LTX2_AUDIO_MAX_LEVELS; i++)
        free(c->levels[i].blocks);
}

static bool coder_copy(audio_coder *c)
{
    bool ok = true;
    for (int i = 0; i < LTX2_AUDIO_MAX_LEVELS; i++) {
        audio_resblock *host = c->levels[i].blocks;
        c->levels[i].blocks = NULL;
        if (!host || !ok) {
            c->levels[i].n_blocks = 0;
            continue;
        }
        c->levels[i].blocks = malloc((size_t)c->levels[i].n_blocks * sizeof *host);
        if (!c->levels[i].blocks) {
            c->levels[i].n_blocks = 0;
            ok = false;
        } else {
            memcpy(c->levels[i].blocks, host, (size_t)c->levels[i].n_blocks * sizeof *host);
        }
    }
    coder_each(c, conv_forget, NULL);
    return ok;
}

static void mirror_free(void *mirror)
{
    audio_vae *m = mirror;
    coder_mirror_free(&m->enc);
    coder_mirror_free(&m->dec);
    free(m);
}

static void *mirror_make(const void *model)
{
    audio_vae *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    *m = *(const audio_vae *)model;
    bool ok = coder_copy(&m->enc);
    ok = coder_copy(&m->dec) && ok;
    if (!ok) {
        mirror_free(m);
        return NULL;
    }
    return m;
}

static void conv_upload(audio_conv *c, void *u)
{
    audio_conv_upload(u, &c->c.w, &c->c.bias, &c->stored, c->c.cin, c->c.cout, c->c.kh, c->c.kw, false);
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    audio_vae *m = mirror;
    const int64_t nstat = (int64_t)m->cfg.z_channels * m->cfg.latent_freq;
    const int64_t nbins = m->cfg.n_fft / 2 + 1;
    lx_upload_vec(u, &m->mean, nstat);
    lx_upload_vec(u, &m->std, nstat);
    lx_upload_vec(u, &m->mel_basis, 2 * nbins * m->cfg.n_fft); /* NULL without the encoder */
    lx_upload_vec(u, &m->mel_fb, nbins * m->cfg.n_mels);
    coder_each(&m->enc, conv_upload, u);
    coder_each(&m->dec, conv_upload, u);
}

static const lx_mirror_ops audio_vae_mirror = {mirror_make, mirror_walk, mirror_free};

ltx2_status audio_vae_on(const audio_vae *v, const kctx *kc, const audio_vae **out, ltx2_error *err)
{
    *out = v;
    if (kc->backend == KB_CPU)
        return LTX2_OK;
    void *mirror = NULL;
    /* the residency state is the one mutable part of a shared model (locked inside) */
    ltx2_status st = lx_resident_get((lx_resident *)&v->resident, &audio_vae_mirror, v, kc, "audio VAE", &mirror,
                                     err);
    if (st == LTX2_OK)
        *out = mirror;
    return st;
}

void audio_vae_free(void *p)
{
    audio_vae *v = p;
    if (!v)
        return;
    lx_resident_fini(&v->resident, &audio_vae_mirror);
    coder_free(&v->enc);
    coder_free(&v->dec);
    free(v->mean);
    free(v->std);
    free(v->mel_basis);
    free(v->mel_fb);
    ltx2_checkpoint_release(v->ckpt);
    free(v);
}

mel_config audio_vae_mel_config(const audio_vae *v)
{
    const audio_vae_config *c = &v->cfg;
    return (mel_config){.sample_rate = c->sample_rate, .n_fft = c->n_fft, .win = c->win, .hop = c->hop,
                        .n_mels = c->n_mels, .fmin = c->fmin, .fmax = c->fmax};
}

/* The checkpoint's statistics [z][F] as [F][z] (the order of a channels-last row). */
static ltx2_status stats_load(const ltx2_checkpoint *ck, const char *name, const audio_vae_config *cfg, float **out,
                              ltx2_error *err)
{
    const int64_t z = cfg->z_channels, F = cfg->latent_freq;
    float *zf = NULL;
    ltx2_status s = ltx2_ckpt_vec(ck, name, z * F, &zf, err);
    if (s != LTX2_OK)
        return s;
    *out = malloc((size_t)(z * F) * sizeof(float));
    if (!*out) {
        free(zf);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    for (int64_t c = 0; c < z; c++)
        for (int64_t f = 0; f < F; f++)
            (*out)[f * z + c] = zf[c * F + f];
    free(zf);
    return LTX2_OK;
}

static ltx2_status mid_load(audio_coder *c, const ltx2_checkpoint *ck, const char *root, int64_t w,
                            ltx2_error *err)
{
    char name[256];
    ltx2_status s;
    snprintf(name, sizeof name, "%smid.block_1.", root);
    if ((s = resblock_load(&c->mid1, ck, name, w, w, err)) != LTX2_OK)
        return s;
    snprintf(name, sizeof name, "%smid.block_2.", root);
    return resblock_load(&c->mid2, ck, name, w, w, err);
}

static ltx2_status decoder_load(audio_coder *c, const audio_vae_config *cfg,
                                const ltx2_checkpoint *ck, ltx2_error *err)
{
    const char *root = AVAE "decoder.";
    char name[256];
    ltx2_status s;
    int64_t block_in = (int64_t)cfg->ch * cfg->ch_mult[cfg->n_levels - 1];
    snprintf(name, sizeof name, "%sconv_in.conv.", root);
    if ((s = conv2d_load(&c->conv_in, ck, name, block_in, cfg->z_channels, 3, err)) != LTX2_OK)
        return s;
    if ((s = mid_load(c, ck, root, block_in, err)) != LTX2_OK)
        return s;
    for (int i = cfg->n_levels - 1; i >= 0; i--) {
        audio_level *lv = &c->levels[i];
        int64_t block_out = (int64_t)cfg->ch * cfg->ch_mult[i];
        lv->blocks = calloc((size_t)cfg->num_res_blocks + 1, sizeof *lv->blocks);
        if (!lv->blocks)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        for (int j = 0; j <= cfg->num_res_blocks; j++) {
            snprintf(name, sizeof name, "%sup.%d.block.%d.", root, i, j);
            lv->n_blocks = j + 1;
            if ((s = resblock_load(&lv->blocks[j], ck, name, block_in, block_out, err)) != LTX2_OK)
                return s;
            block_in = block_out;
        }
        if (i != 0) {
            snprintf(name, sizeof name, "%sup.%d.upsample.conv.conv.", root, i);
            if ((s = conv2d_load(&lv->resample, ck, name, block_in, block_in, 3, err)) != LTX2_OK)
                return s;
            lv->has_resample = true;
        }
    }
    snprintf(name, sizeof name, "%sconv_out.conv.", root);
    return conv2d_load(&c->conv_out, ck, name, cfg->out_ch, block_in, 3, err);
}

static ltx2_status encoder_load(audio_coder *c, const audio_vae_config *cfg,
                                const ltx2_checkpoint *ck, ltx2_error *err)
{
    const char *root = AVAE "encoder.";
    char name[256];
    ltx2_status s;
    int64_t block_in = cfg->ch;
    snprintf(name, sizeof name, "%sconv_in.conv.", root);
    if ((s = conv2d_load(&c->conv_in, ck, name, block_in, cfg->in_channels, 3, err)) != LTX2_OK)
        return s;
    for (int i = 0; i < cfg->n_levels; i++) {
        audio_level *lv = &c->levels[i];
        int64_t block_out = (int64_t)cfg->ch * cfg->ch_mult[i];
        lv->blocks = calloc((size_t)cfg->num_res_blocks, sizeof *lv->blocks);
        if (!lv->blocks)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        for (int j = 0; j < cfg->num_res_blocks; j++) {
            snprintf(name, sizeof name, "%sdown.%d.block.%d.", root, i, j);
            lv->n_blocks = j + 1;
            if ((s = resblock_load(&lv->blocks[j], ck, name, block_in, block_out, err)) != LTX2_OK)
                return s;
            block_in = block_out;
        }
        if (i != cfg->n_levels - 1) {
            snprintf(name, sizeof name, "%sdown.%d.downsample.conv.", root, i);
            if ((s = conv2d_load(&lv->resample, ck, name, block_in, block_in, 3, err)) != LTX2_OK)
                return s;
            lv->has_resample = true;
        }
    }
    if ((s = mid_load(c, ck, root, block_in, err)) != LTX2_OK)
        return s;
    snprintf(name, sizeof name, "%sconv_out.conv.", root);
    int64_t zc = (int64_t)cfg->z_channels * (cfg->double_z ? 2 : 1);
    return conv2d_load(&c->conv_out, ck, name, zc, block_in, 3, err);
}

ltx2_status ltx2_load_audio_vae(ltx2_checkpoint *ck, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    audio_vae_config cfg;
    bool present;
    ltx2_status s = audio_vae_config_read(ck, &cfg, &present, err);
    if (s != LTX2_OK)
        return ltx2_err_prefix(err, "audio VAE");
    bool has_dec = ltx2_checkpoint_has_prefix(ck, AVAE "decoder."), has_enc = ltx2_checkpoint_has_prefix(ck, AVAE "encoder.");
    if (!present) {
        if (has_dec || has_enc)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                            "audio VAE weights (audio_vae.*) present but config.audio_vae is missing");
        return LTX2_OK;
    }
    if (!has_dec && !has_enc)
        return LTX2_OK; /* a config section alone (e.g. a transformer-only file) */
    audio_vae *v = calloc(1, sizeof *v);
    if (!v)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    lx_resident_init(&v->resident);
    v->cfg = cfg;
    if ((s = ltx2_latent_geom_read(ltx2_checkpoint_config(ck), &v->geom, err)) != LTX2_OK)
        goto fail;
    if ((s = stats_load(ck, AVAE "per_channel_statistics.mean-of-means", &cfg, &v->mean, err)) ||
        (s = stats_load(ck, AVAE "per_channel_statistics.std-of-means", &cfg, &v->std, err)))
        goto fail;
    if (has_dec) {
        v->dec.present = true;
        if ((s = decoder_load(&v->dec, &cfg, ck, err)) != LTX2_OK)
            goto fail;
    }
    if (has_enc) {
        v->enc.present = true;
        mel_config mc = audio_vae_mel_config(v);
        if ((s = encoder_load(&v->enc, &cfg, ck, err)) != LTX2_OK ||
            (s = mel_tables_make(&mc, &v->mel_basis, &v->mel_fb, err)) != LTX2_OK)
            goto fail;
    }
    ltx2_checkpoint_retain(ck);
    v->ckpt = ck;
    ltx2_object *o = ltx2_object_new("AUDIO_VAE");
    if (!o || ltx2_object_set_payload(o, LTX2_AUDIO_VAE_PAYLOAD, v, audio_vae_free) != LTX2_OK) {
        ltx2_object_release(o);
        s = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        goto fail;
    }
    ltx2_object_set_int(o, "sample_rate", cfg.sample_rate);
    ltx2_object_set_int(o, "z_channels", cfg.z_channels);
    ltx2_object_set_int(o, "latent_freq", cfg.latent_freq);
    ltx2_latent_geom_record(o, &v->geom);
    *out = o;
    return LTX2_OK;
fail:
    audio_vae_free(v);
    return s;
}

