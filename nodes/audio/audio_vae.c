/* audio_vae.c — audio VAE encoder/decoder over channels-last (time, mel, channel)
 * activations. Every 2-D conv is causal in time: k−1 zero rows in front, none behind. */
#include "audio/audio_vae.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "loaders/loaders.h"
#include "common/layers.h"
#include "node.h"
#include "object.h"

#define AVAE "audio_vae."
static const float pixnorm_eps = 1e-6f;

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
static ltx2_status conv2d_load(vconv *c, const ltx2_checkpoint *ck, const char *prefix,
                               int64_t cout, int64_t cin, int k, ltx2_error *err)
{
    return vconv_load(c, ck, prefix, cout, cin, 0, k, k, err);
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

static void resblock_free(audio_resblock *b)
{
    vconv_free(&b->conv1);
    vconv_free(&b->conv2);
    vconv_free(&b->nin);
}

static void coder_free(audio_coder *c)
{
    vconv_free(&c->conv_in);
    vconv_free(&c->conv_out);
    resblock_free(&c->mid1);
    resblock_free(&c->mid2);
    for (int i = 0; i < LTX2_AUDIO_MAX_LEVELS; i++) {
        for (int j = 0; j < c->levels[i].n_blocks; j++)
            resblock_free(&c->levels[i].blocks[j]);
        free(c->levels[i].blocks);
        vconv_free(&c->levels[i].resample);
    }
}

void audio_vae_free(void *p)
{
    audio_vae *v = p;
    if (!v)
        return;
    coder_free(&v->enc);
    coder_free(&v->dec);
    free(v->mean);
    free(v->std);
    ltx2_checkpoint_release(v->ckpt);
    free(v);
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
    v->cfg = cfg;
    if ((s = ltx2_latent_geom_read(ltx2_checkpoint_config(ck), &v->geom, err)) != LTX2_OK)
        goto fail;
    int64_t nstat = (int64_t)cfg.z_channels * cfg.latent_freq;
    if ((s = ltx2_ckpt_vec(ck, AVAE "per_channel_statistics.mean-of-means", nstat, &v->mean, err)) ||
        (s = ltx2_ckpt_vec(ck, AVAE "per_channel_statistics.std-of-means", nstat, &v->std, err)))
        goto fail;
    if (has_dec) {
        v->dec.present = true;
        if ((s = decoder_load(&v->dec, &cfg, ck, err)) != LTX2_OK)
            goto fail;
    }
    if (has_enc) {
        v->enc.present = true;
        if ((s = encoder_load(&v->enc, &cfg, ck, err)) != LTX2_OK)
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

/* ------------------------------------------------------------------ forward */
/* A feature map [t][f][c] (channels-last over time × mel). */
typedef struct fmap {
    float *d;
    int64_t t, f, c;
} fmap;

static void fmap_free(fmap *m)
{
    free(m->d);
    m->d = NULL;
}

static bool fmap_alloc(fmap *m, int64_t t, int64_t f, int64_t c)
{
    m->t = t;
    m->f = f;
    m->c = c;
    m->d = malloc((size_t)(t * f * c) * sizeof(float) + 64);
    return m->d != NULL;
}

/* Causal 2-D conv, stride 1, output same size. */
static kstatus causal_conv(const kctx *ctx, const vconv *c, const fmap *x, fmap *y)
{
    int k = c->kh;
    kconv kc = {.t = 1, .h = x->t, .w = x->f, .cin = c->cin, .cout = c->cout, .kt = 1, .kh = k,
                .kw = c->kw, .st = 1, .sh = 1, .sw = 1, .dt = 1, .dh = 1, .dw = 1,
                .ph0 = k - 1, .ph1 = 0, .pw0 = (c->kw - 1) / 2, .pw1 = (c->kw - 1) / 2,
                .tpad = KPAD_ZEROS, .hpad = KPAD_ZEROS, .wpad = KPAD_ZEROS,
                .x = x->d, .weights = c->w, .bias = c->bias, .y = y->d};
    return k_conv(ctx, &kc);
}

/* y = conv(silu(pixnorm(x))), allocating y. */
static kstatus norm_act_conv(const kctx *ctx, const vconv *c, const fmap *x, fmap *y)
{
    int64_t n = x->t * x->f;
    float *h = malloc((size_t)(n * x->c) * sizeof(float) + 64);
    if (!h || !fmap_alloc(y, x->t, x->f, c->cout)) {
        free(h);
        return KS_OOM;
    }
    kstatus ks = k_pixelnorm(ctx, n, x->c, x->d, pixnorm_eps, h);
    K_THEN(ks, k_silu(ctx, h, h, n * x->c));
    fmap hx = {h, x->t, x->f, x->c};
    K_THEN(ks, causal_conv(ctx, c, &hx, y));
    free(h);
    return ks;
}

/* Replaces *x by resblock(*x). */
static kstatus resblock_run(const kctx *ctx, const audio_resblock *b, fmap *x)
{
    fmap h1 = {0}, h2 = {0}, skip = {0};
    kstatus ks = norm_act_conv(ctx, &b->conv1, x, &h1);
    K_THEN(ks, norm_act_conv(ctx, &b->conv2, &h1, &h2));
    fmap_free(&h1);
    if (ks == KS_OK && b->has_nin) {
        ks = fmap_alloc(&skip, x->t, x->f, b->nin.cout) ? KS_OK : KS_OOM;
        K_THEN(ks, causal_conv(ctx, &b->nin, x, &skip));
        K_THEN(ks, k_add(ctx, skip.d, h2.d, h2.d, h2.t * h2.f * h2.c));
        fmap_free(&skip);
    } else {
        K_THEN(ks, k_add(ctx, x->d, h2.d, h2.d, h2.t * h2.f * h2.c));
    }
    if (ks != KS_OK) {
        fmap_free(&h2);
        return ks;
    }
    fmap_free(x);
    *x = h2;
    return KS_OK;
}

/* Nearest ×2 on time and mel, causal conv, then the first time row dropped. */
static kstatus upsample_run(const kctx *ctx, const vconv *c, fmap *x)
{
    fmap up = {0}, y = {0};
    kstatus ks = fmap_alloc(&up, 2 * x->t, 2 * x->f, x->c) && fmap_alloc(&y, 2 * x->t, 2 * x->f, c->cout) ? KS_OK
                                                                                                          : KS_OOM;
    K_THEN(ks, k_upsample_nearest3d(ctx, 1, x->t, x->f, x->c, 1, 2, 2, x->d, up.d));
    K_THEN(ks, causal_conv(ctx, c, &up, &y));
    fmap_free(&up);
    if (ks != KS_OK) {
        fmap_free(&y);
        return ks;
    }
    int64_t row = y.f * y.c;
    if ((ks = k_copy(ctx, y.d, y.d + row, (size_t)((y.t - 1) * row) * sizeof(float), K_D2D)) != KS_OK) {
        fmap_free(&y);
        return ks;
    }
    y.t -= 1;
    fmap_free(x);
    *x = y;
    return KS_OK;
}

/* Zero pad 2 rows in front (time) and 1 column behind (mel), 3×3 conv of stride 2. */
static kstatus downsample_run(const kctx *ctx, const vconv *c, fmap *x)
{
    int64_t to = k_conv_out_len(x->t, 3, 2, 1, 2, 0), fo = k_conv_out_len(x->f, 3, 2, 1, 0, 1);
    fmap y = {0};
    if (!fmap_alloc(&y, to, fo, c->cout))
        return KS_OOM;
    kconv kc = {.t = 1, .h = x->t, .w = x->f, .cin = c->cin, .cout = c->cout, .kt = 1, .kh = 3,
                .kw = 3, .st = 1, .sh = 2, .sw = 2, .dt = 1, .dh = 1, .dw = 1, .ph0 = 2, .ph1 = 0,
                .pw0 = 0, .pw1 = 1, .x = x->d, .weights = c->w, .bias = c->bias, .y = y.d};
    kstatus ks = k_conv(ctx, &kc);
    if (ks != KS_OK) {
        fmap_free(&y);
        return ks;
    }
    fmap_free(x);
    *x = y;
    return KS_OK;
}

/* Replaces *x by conv(x) (same size). */
static kstatus conv_run(const kctx *ctx, const vconv *c, fmap *x)
{
    fmap y = {0};
    if (!fmap_alloc(&y, x->t, x->f, c->cout))
        return KS_OOM;
    kstatus ks = causal_conv(ctx, c, x, &y);
    if (ks != KS_OK) {
        fmap_free(&y);
        return ks;
    }
    fmap_free(x);
    *x = y;
    return KS_OK;
}

/* Replaces *x by conv_out(silu(pixnorm(x))), the last layer of both coders. */
static kstatus out_head(const kctx *ctx, const vconv *conv_out, fmap *x)
{
    int64_t n = x->t * x->f;
    kstatus ks = k_pixelnorm(ctx, n, x->c, x->d, pixnorm_eps, x->d);
    K_THEN(ks, k_silu(ctx, x->d, x->d, n * x->c));
    K_THEN(ks, conv_run(ctx, conv_out, x));
    return ks;
}

int64_t audio_vae_mel_frames(const audio_vae *v, int64_t t_latent)
{
    int64_t t = t_latent;
    for (int i = 1; i < v->cfg.n_levels; i++)
        t = 2 * t - 1;
    return t < 1 ? 1 : t;
}

int64_t audio_vae_latent_frames(const audio_vae *v, int64_t t_mel)
{
    int64_t t = t_mel;
    for (int i = 1; i < v->cfg.n_levels; i++)
        t = k_conv_out_len(t, 3, 2, 1, 2, 0);
    return t;
}

/* One level: its resblocks (cancel polled before each), then the up- or downsample. */
static ltx2_status level_run(const kctx *ctx, const audio_level *lv, bool up,
                             const volatile int32_t *cancel, fmap *x)
{
    for (int j = 0; j < lv->n_blocks; j++) {
        if (cancel && *cancel)
            return LTX2_CANCELLED;
        kstatus ks = resblock_run(ctx, &lv->blocks[j], x);
        if (ks != KS_OK)
            return ltx2_kstatus(ks);
    }
    if (lv->has_resample)
        return ltx2_kstatus(up ? upsample_run(ctx, &lv->resample, x) : downsample_run(ctx, &lv->resample, x));
    return LTX2_OK;
}

static ltx2_status audio_vae_decode_run(const audio_vae *v, const kctx *ctx, int64_t t_latent,
                             const float *latent, float *mel, const volatile int32_t *cancel,
                             ltx2_error *err)
{
    const audio_vae_config *cfg = &v->cfg;
    const audio_coder *c = &v->dec;
    if (!c->present)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this audio VAE has no decoder weights");
    int64_t zc = cfg->z_channels, F = cfg->latent_freq;
    fmap x = {0};
    if (!fmap_alloc(&x, t_latent, F, zc))
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    /* Un-normalize (statistic index c*F + f) while going channels-last. */
    for (int64_t ci = 0; ci < zc; ci++)
        for (int64_t t = 0; t < t_latent; t++)
            for (int64_t f = 0; f < F; f++) {
                int64_t s = ci * F + f;
                x.d[(t * F + f) * zc + ci] = latent[(ci * t_latent + t) * F + f] * v->std[s] + v->mean[s];
            }
    kstatus ks = conv_run(ctx, &c->conv_in, &x);
    K_THEN(ks, resblock_run(ctx, &c->mid1, &x));
    K_THEN(ks, resblock_run(ctx, &c->mid2, &x));
    ltx2_status st = ltx2_kstatus(ks);
    for (int i = cfg->n_levels - 1; st == LTX2_OK && i >= 0; i--)
        st = level_run(ctx, &c->levels[i], true, cancel, &x);
    if (st == LTX2_OK)
        st = ltx2_kstatus(out_head(ctx, &c->conv_out, &x));
    if (st != LTX2_OK) {
        fmap_free(&x);
        return st == LTX2_CANCELLED ? ltx2_err(err, st, "cancelled")
                                    : ltx2_err(err, st, "audio VAE decoder: %s", st == LTX2_ERR_OOM ? "out of memory" : "a kernel failed");
    }
    /* Crop / zero-pad to (out_ch, T_mel, mel_bins), back to channel-major. */
    int64_t T = audio_vae_mel_frames(v, t_latent), M = cfg->mel_bins;
    for (int64_t ci = 0; ci < cfg->out_ch; ci++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t m = 0; m < M; m++)
                mel[(ci * T + t) * M + m] =
                    (t < x.t && m < x.f) ? x.d[(t * x.f + m) * x.c + ci] : 0.0f;
    fmap_free(&x);
    return LTX2_OK;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status audio_vae_decode(const audio_vae *v, const kctx *ctx, int64_t t_latent, const float *latent,
                             float *mel, const volatile int32_t *cancel, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = audio_vae_decode_run(v, ws, t_latent, latent, mel, cancel, err);
    k_arena_destroy(own);
    return st;
}

static ltx2_status audio_vae_encode_run(const audio_vae *v, const kctx *ctx, int64_t t_mel, const float *mel,
                             float *latent, const volatile int32_t *cancel, ltx2_error *err)
{
    const audio_vae_config *cfg = &v->cfg;
    const audio_coder *c = &v->enc;
    if (!c->present)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this audio VAE has no encoder weights");
    int64_t M = cfg->mel_bins, C = cfg->in_channels;
    fmap x = {0};
    if (!fmap_alloc(&x, t_mel, M, C))
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    for (int64_t ci = 0; ci < C; ci++)
        for (int64_t t = 0; t < t_mel; t++)
            for (int64_t m = 0; m < M; m++)
                x.d[(t * M + m) * C + ci] = mel[(ci * t_mel + t) * M + m];
    ltx2_status st = ltx2_kstatus(conv_run(ctx, &c->conv_in, &x));
    for (int i = 0; st == LTX2_OK && i < cfg->n_levels; i++)
        st = level_run(ctx, &c->levels[i], false, cancel, &x);
    if (st == LTX2_OK) {
        kstatus ks = resblock_run(ctx, &c->mid1, &x);
        K_THEN(ks, resblock_run(ctx, &c->mid2, &x));
        K_THEN(ks, out_head(ctx, &c->conv_out, &x));
        st = ltx2_kstatus(ks);
    }
    if (st != LTX2_OK) {
        fmap_free(&x);
        return st == LTX2_CANCELLED ? ltx2_err(err, st, "cancelled")
                                    : ltx2_err(err, st, "audio VAE encoder: %s", st == LTX2_ERR_OOM ? "out of memory" : "a kernel failed");
    }
    /* Keep the means (first z channels) and normalize with index c*F + f. */
    int64_t zc = cfg->z_channels, F = x.f;
    if (F != cfg->latent_freq || x.t != audio_vae_latent_frames(v, t_mel)) {
        fmap_free(&x);
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "mel input has %lld bins, the audio VAE expects %d",
                        (long long)M, cfg->mel_bins);
    }
    for (int64_t ci = 0; ci < zc; ci++)
        for (int64_t t = 0; t < x.t; t++)
            for (int64_t f = 0; f < F; f++) {
                int64_t s = ci * F + f;
                latent[(ci * x.t + t) * F + f] = (x.d[(t * F + f) * x.c + ci] - v->mean[s]) / v->std[s];
            }
    fmap_free(&x);
    return LTX2_OK;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status audio_vae_encode(const audio_vae *v, const kctx *ctx, int64_t t_mel, const float *mel,
                             float *latent, const volatile int32_t *cancel, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = audio_vae_encode_run(v, ws, t_mel, mel, latent, cancel, err);
    k_arena_destroy(own);
    return st;
}
