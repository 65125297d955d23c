/* vocoder.c — conv_pre, then per stage LeakyReLU(0.1) → transposed conv → mean of
 * the multi-receptive-field ResBlocks, then LeakyReLU(0.01) → conv_post → tanh.
 * Activations are channels-last [time][channel]. */
#include "audio/vocoder.h"
#include "audio/audio_common.h"
#include "common/layers.h"
#include "node.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finite.h"
#include "json_util.h"
#include "loaders/loaders.h"
#include "object.h"

static ltx2_status conv1d_load(voc_conv1d *c, const ltx2_checkpoint *ck, const char *prefix,
                               int64_t cout, int64_t cin, int k, int dilation, bool transposed,
                               ltx2_error *err)
{
    char name[256];
    const ltx2_st_tensor *st;
    snprintf(name, sizeof name, "%s.weight", prefix);
    int64_t shape[3] = {transposed ? cin : cout, transposed ? cout : cin, k};
    ltx2_status s = ltx2_ckpt_require(ck, name, 3, shape, &st, err);
    if (s != LTX2_OK)
        return s;
    kmat m = {.dtype = (kdtype)st->dtype, .data = st->data, .rows = shape[0],
              .cols = shape[1] * k, .ld = shape[1] * k, .scale = 1.0f};
    kctx pctx = kctx_default(NULL);
    kstatus ks = transposed ? k_convw_pack_transposed1d(&pctx, &m, cout, k, &c->w)
                            : k_convw_pack(&pctx, &m, cin, 1, 1, k, &c->w);
    if ((s = ltx2_kerr(err, ks, name)) != LTX2_OK)
        return s;
    c->stored = m;
    c->transposed = transposed;
    c->cin = cin;
    c->cout = cout;
    c->k = k;
    c->dilation = dilation;
    c->pad = dilation * (k - 1) / 2;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return ltx2_ckpt_vec(ck, name, cout, &c->bias, err);
}

static void conv1d_free(voc_conv1d *c)
{
    k_convw_free(c->w);
    free(c->bias);
    c->w = NULL;
    c->bias = NULL;
}

/* Every conv of the vocoder's weight tree in turn. */
typedef void (*conv_fn)(voc_conv1d *c, void *arg);

static void each_conv(vocoder *v, conv_fn fn, void *arg)
{
    fn(&v->conv_pre, arg);
    fn(&v->conv_post, arg);
    for (int i = 0; i < LTX2_VOC_MAX_UPS; i++)
        fn(&v->ups[i], arg);
    if (v->res)
        for (int i = 0; i < v->n_ups * v->n_kernels; i++)
            for (int j = 0; j < v->res[i].n; j++) {
                fn(&v->res[i].c1[j], arg);
                fn(&v->res[i].c2[j], arg);
            }
}

static void conv_free_fn(voc_conv1d *c, void *arg)
{
    (void)arg;
    conv1d_free(c);
}

/* ---------------------------------------------------------------- device residency */
/* The mirror: the model struct with a copy of the resblock array, its conv weights made on
 * the device and its biases in the upload block. */
static void conv_forget(voc_conv1d *c, void *arg)
{
    (void)arg;
    c->w = NULL; /* the host's packed weights stay the model's */
}

static void conv_device_free(voc_conv1d *c, void *arg)
{
    (void)arg;
    k_convw_free(c->w);
    c->w = NULL;
}

static void mirror_free(void *mirror)
{
    vocoder *m = mirror;
    each_conv(m, conv_device_free, NULL);
    free(m->res);
    free(m);
}

static void *mirror_make(const void *model)
{
    const vocoder *v = model;
    vocoder *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    *m = *v;
    size_t n = (size_t)(v->n_ups * v->n_kernels);
    m->res = malloc((n ? n : 1) * sizeof *m->res);
    if (!m->res) {
        free(m);
        return NULL;
    }
    memcpy(m->res, v->res, n * sizeof *m->res);
    each_conv(m, conv_forget, NULL);
    return m;
}

static void conv_upload(voc_conv1d *c, void *u)
{
    audio_conv_upload(u, &c->w, &c->bias, &c->stored, c->cin, c->cout, 1, c->k, c->transposed);
}

static void mirror_walk(void *mirror, lx_upload *u) { each_conv(mirror, conv_upload, u); }

static const lx_mirror_ops vocoder_mirror = {mirror_make, mirror_walk, mirror_free};

ltx2_status vocoder_on(const vocoder *v, const kctx *kc, const vocoder **out, ltx2_error *err)
{
    *out = v;
    if (kc->backend == KB_CPU)
        return LTX2_OK;
    void *mirror = NULL;
    /* the residency state is the one mutable part of a shared model (locked inside) */
    ltx2_status st = lx_resident_get((lx_resident *)&v->resident, &vocoder_mirror, v, kc, "vocoder", &mirror, err);
    if (st == LTX2_OK)
        *out = mirror;
    return st;
}

void vocoder_free(void *p)
{
    vocoder *v = p;
    if (!v)
        return;
    lx_resident_fini(&v->resident, &vocoder_mirror);
    each_conv(v, conv_free_fn, NULL);
    free(v->res);
    ltx2_checkpoint_release(v->ckpt);
    free(v);
}

static ltx2_status vocoder_build(vocoder *v, const ltx2_checkpoint *ck, json_object *cfg,
                                 ltx2_error *err)
{
    int dil[LTX2_VOC_MAX_KERNELS][LTX2_VOC_MAX_DIL], n_dil[LTX2_VOC_MAX_KERNELS];
    int kernels[LTX2_VOC_MAX_KERNELS];
    static const char where[] = "config vocoder";
    ltx2_status s;
    int nk_up, n_dl;
    /* Bounds far above the LTX-2 vocoder, so that lengths built from them fit. */
    if ((s = ltx2_cfg_ints(cfg, where, "upsample_rates", v->up_rates, LTX2_VOC_MAX_UPS, 1, 64, &v->n_ups,
                           err)) != LTX2_OK ||
        (s = ltx2_cfg_ints(cfg, where, "upsample_kernel_sizes", v->up_kernels, LTX2_VOC_MAX_UPS, 1, 1024,
                           &nk_up, err)) != LTX2_OK ||
        (s = ltx2_cfg_ints(cfg, where, "resblock_kernel_sizes", kernels, LTX2_VOC_MAX_KERNELS, 1, 1024,
                           &v->n_kernels, err)) != LTX2_OK)
        return s;
    json_object *dl = ltx2_json_get(cfg, "resblock_dilation_sizes");
    if (nk_up != v->n_ups || !dl || !json_object_is_type(dl, json_type_array) ||
        (n_dl = (int)json_object_array_length(dl)) != v->n_kernels)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config vocoder: upsample_kernel_sizes must match upsample_rates and "
                        "resblock_dilation_sizes resblock_kernel_sizes in length");
    for (int j = 0; j < v->n_kernels; j++) {
        char what[64];
        snprintf(what, sizeof what, "%s.resblock_dilation_sizes[%d]", where, j);
        if ((s = ltx2_cfg_int_list(json_object_array_get_idx(dl, (size_t)j), what, dil[j], LTX2_VOC_MAX_DIL, 1,
                                   1024, &n_dil[j], err)) != LTX2_OK)
            return s;
    }
    const char *rb = json_object_get_string(ltx2_json_get(cfg, "resblock"));
    if (rb && strcmp(rb, "1") != 0)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config.vocoder.resblock '%s' (only '1')", rb);
    json_object *stereo = ltx2_json_get(cfg, "stereo");
    v->stereo = stereo ? json_object_get_boolean(stereo) : true;
    if ((s = ltx2_cfg_int32(cfg, where, "output_sample_rate", 24000, 1, 1000000, &v->sample_rate, err)) !=
            LTX2_OK ||
        (s = ltx2_cfg_int32(cfg, where, "upsample_initial_channel", 0, 1, 1 << 16, &v->initial_channels,
                            err)) != LTX2_OK)
        return s;
    if (!v->initial_channels)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config vocoder.upsample_initial_channel: missing");
    v->out_channels = v->stereo ? 2 : 1;
    const ltx2_st_tensor *pre = ltx2_checkpoint_find(ck, "vocoder.conv_pre.weight");
    if (!pre || pre->ndim != 3)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "vocoder.conv_pre.weight: missing or not 3-D");
    int64_t cin = pre->shape[1];
    v->mel_bins = (int)(cin / v->out_channels);
    s = conv1d_load(&v->conv_pre, ck, "vocoder.conv_pre", v->initial_channels, cin,
                                (int)pre->shape[2], 1, false, err);
    if (s != LTX2_OK)
        return s;
    v->res = calloc((size_t)(v->n_ups * v->n_kernels), sizeof *v->res);
    if (!v->res)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    int64_t ch = v->initial_channels;
    char name[128];
    for (int i = 0; i < v->n_ups; i++) {
        int64_t co = ch / 2;
        snprintf(name, sizeof name, "vocoder.ups.%d", i);
        if ((s = conv1d_load(&v->ups[i], ck, name, co, ch, v->up_kernels[i], 1, true, err)))
            return s;
        v->ups[i].pad = (v->up_kernels[i] - v->up_rates[i]) / 2;
        for (int j = 0; j < v->n_kernels; j++) {
            voc_resblock *r = &v->res[i * v->n_kernels + j];
            r->n = n_dil[j];
            for (int p = 0; p < r->n; p++) {
                snprintf(name, sizeof name, "vocoder.resblocks.%d.convs1.%d", i * v->n_kernels + j, p);
                if ((s = conv1d_load(&r->c1[p], ck, name, co, co, kernels[j], dil[j][p], false, err)))
                    return s;
                snprintf(name, sizeof name, "vocoder.resblocks.%d.convs2.%d", i * v->n_kernels + j, p);
                if ((s = conv1d_load(&r->c2[p], ck, name, co, co, kernels[j], 1, false, err)))
                    return s;
            }
        }
        ch = co;
    }
    const ltx2_st_tensor *post = ltx2_checkpoint_find(ck, "vocoder.conv_post.weight");
    if (!post || post->ndim != 3)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "vocoder.conv_post.weight: missing or not 3-D");
    return conv1d_load(&v->conv_post, ck, "vocoder.conv_post", v->out_channels, ch,
                       (int)post->shape[2], 1, false, err);
}

ltx2_status ltx2_load_vocoder(ltx2_checkpoint *ck, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    json_object *cfg = ltx2_json_get(ltx2_checkpoint_config(ck), "vocoder");
    bool has_keys = ltx2_checkpoint_find(ck, "vocoder.conv_pre.weight") != NULL;
    if (!cfg) {
        if (has_keys)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "vocoder weights present but config.vocoder is missing");
        return LTX2_OK;
    }
    if (!has_keys)
        return LTX2_OK;
    vocoder *v = calloc(1, sizeof *v);
    if (!v)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    lx_resident_init(&v->resident);
    ltx2_status s = vocoder_build(v, ck, cfg, err);
    if (s != LTX2_OK) {
        vocoder_free(v);
        return s;
    }
    ltx2_checkpoint_retain(ck);
    v->ckpt = ck;
    ltx2_object *o = ltx2_object_new("VOCODER");
    if (!o || ltx2_object_set_payload(o, LTX2_VOCODER_PAYLOAD, v, vocoder_free) != LTX2_OK) {
        ltx2_object_release(o);
        vocoder_free(v);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    ltx2_object_set_int(o, "sample_rate", v->sample_rate);
    *out = o;
    return LTX2_OK;
}

int64_t vocoder_samples(const vocoder *v, int64_t t)
{
    for (int i = 0; i < v->n_ups; i++)
        t = (t - 1) * v->up_rates[i] - 2 * v->ups[i].pad + v->up_kernels[i];
    return t;
}

/* y [len][cout] = conv1d(x [len][cin]) with "same" zero padding. */
static kstatus conv1d(const kctx *ctx, const voc_conv1d *c, int64_t len, const float *x, float *y)
{
    kconv k = {.t = 1, .h = 1, .w = len, .cin = c->cin, .cout = c->cout, .kt = 1, .kh = 1,
               .kw = c->k, .st = 1, .sh = 1, .sw = 1, .dt = 1, .dh = 1, .dw = c->dilation,
               .pw0 = c->pad, .pw1 = c->pad, .x = x, .weights = c->w, .bias = c->bias, .y = y};
    return k_conv(ctx, &k);
}

static ltx2_status vocoder_pass(const void *model, const kctx *ctx, int64_t t, const float *mel, float *wave,
                                const volatile int32_t *cancel, ltx2_error *err)
{
    const vocoder *v = model;
    int64_t M = v->mel_bins, S = v->out_channels, C = S * M, len = t;
    /* The largest activation over all stages bounds every buffer. */
    int64_t cap = t * (C > v->initial_channels ? C : v->initial_channels);
    int64_t li = t;
    for (int i = 0; i < v->n_ups; i++) {
        li = (li - 1) * v->up_rates[i] - 2 * v->ups[i].pad + v->up_kernels[i];
        if (li * v->ups[i].cout > cap)
            cap = li * v->ups[i].cout;
    }
    float *buf[5] = {NULL};
    kstatus ks = KS_OK;
    for (int i = 0; i < 5; i++) {
        void *b = NULL;
        K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)cap * sizeof(float), &b));
        buf[i] = b;
    }
    float *x = buf[0], *y = buf[1], *acc = buf[2], *h = buf[3], *h2 = buf[4];
    /* (stereo, t, mel) → [t][s*M + m] */
    K_THEN(ks, k_transpose_blocks(ctx, S, t, M, mel, y));
    K_THEN(ks, conv1d(ctx, &v->conv_pre, len, y, x));
    int64_t ch = v->initial_channels;
    for (int i = 0; ks == KS_OK && i < v->n_ups; i++) {
        K_THEN(ks, k_leaky_relu(ctx, x, x, len * ch, 0.1f));
        const voc_conv1d *u = &v->ups[i];
        int64_t lo = (len - 1) * v->up_rates[i] - 2 * u->pad + u->k;
        kconvt1d kt = {.len = len, .cin = ch, .cout = u->cout, .k = u->k, .stride = v->up_rates[i],
                       .pad = u->pad, .dilation = 1, .output_padding = 0, .x = x,
                       .weights = u->w, .bias = u->bias, .y = y};
        K_THEN(ks, k_conv_transpose1d(ctx, &kt));
        len = lo;
        ch = u->cout;
        int64_t n = len * ch;
        K_THEN(ks, k_memset0(ctx, acc, (size_t)n * sizeof(float)));
        for (int j = 0; ks == KS_OK && j < v->n_kernels; j++) {
            if (cancel && *cancel)
                return ltx2_err(err, LTX2_CANCELLED, "cancelled");
            const voc_resblock *r = &v->res[i * v->n_kernels + j];
            K_THEN(ks, k_copy(ctx, x, y, (size_t)n * sizeof(float), K_D2D));
            for (int p = 0; p < r->n; p++) {
                K_THEN(ks, k_leaky_relu(ctx, x, h, n, 0.1f));
                K_THEN(ks, conv1d(ctx, &r->c1[p], len, h, h2));
                K_THEN(ks, k_leaky_relu(ctx, h2, h2, n, 0.1f));
                K_THEN(ks, conv1d(ctx, &r->c2[p], len, h2, h));
                K_THEN(ks, k_add(ctx, x, h, x, n));
            }
            K_THEN(ks, k_add(ctx, acc, x, acc, n));
        }
        K_THEN(ks, k_scale(ctx, acc, 1.0f / (float)v->n_kernels, x, n));
    }
    K_THEN(ks, k_leaky_relu(ctx, x, x, len * ch, 0.01f));
    K_THEN(ks, conv1d(ctx, &v->conv_post, len, x, y));
    /* Checked before tanh, which would squash NaN/Inf into a full-scale waveform. */
    int64_t bad = -1;
    K_THEN(ks, ltx2_find_nonfinite_on(ctx, y, len * S, &bad));
    ltx2_status st = ltx2_kerr(err, ks, "vocoder");
    if (st != LTX2_OK)
        return st;
    if (bad >= 0)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "the vocoder output holds NaN or Inf (sample %lld of %lld); check the vocoder weights "
                        "and the mel input", (long long)(bad / S), (long long)len);
    K_THEN(ks, k_tanh(ctx, y, y, len * S));
    /* [len][s] → (s, len) */
    K_THEN(ks, k_transpose2d(ctx, len, S, y, wave));
    return ltx2_kerr(err, ks, "vocoder");
}

/* The body above with the weights on ctx's backend, on a workspace arena. */
ltx2_status vocoder_run(const vocoder *v, const kctx *ctx, int64_t t, const float *mel, float *wave,
                        const volatile int32_t *cancel, ltx2_error *err)
{
    const vocoder *w = v;
    ltx2_status st = vocoder_on(v, ctx, &w, err);
    return st != LTX2_OK ? st : audio_model_pass(ctx, vocoder_pass, w, t, mel, wave, cancel, err);
}
