/* audio_vae_forward.c — the audio VAE encoder/decoder over channels-last (time, mel,
 * channel) activations, on either backend. Every 2-D conv is causal in time: k−1 zero rows
 * in front, none behind. The activations rotate through three buffers of the pass's
 * largest feature map, taken once from the workspace arena. */
#include "audio/audio_vae.h"

#include "audio/audio_common.h"
#include "node.h"

static const float pixnorm_eps = 1e-6f;

/* A feature map [t][f][c] in one of the three buffers. */
typedef struct fmap {
    float *d;
    int64_t t, f, c;
} fmap;

typedef struct fbufs {
    float *b[3];
} fbufs;

/* The two buffers x does not occupy. */
static void others(const fbufs *p, const float *x, float **a, float **b)
{
    float *o[3] = {NULL, NULL, NULL};
    int n = 0;
    for (int i = 0; i < 3; i++)
        if (p->b[i] != x)
            o[n++] = p->b[i];
    *a = o[0];
    *b = o[1];
}

/* Causal 2-D conv of stride 1 into y: `front` zero rows before the first time row (k − 1
 * keeps the length; k − 2 also drops the first output row, as the upsampler does). */
static kstatus causal_conv(const kctx *ctx, const vconv *c, const fmap *x, int front, float *y)
{
    const kconvw *w = NULL;
    kstatus ks = vconv_weights(ctx, c, &w);
    if (ks != KS_OK)
        return ks;
    kconv kc = {.t = 1, .h = x->t, .w = x->f, .cin = c->cin, .cout = c->cout, .kt = 1, .kh = c->kh,
                .kw = c->kw, .st = 1, .sh = 1, .sw = 1, .dt = 1, .dh = 1, .dw = 1,
                .ph0 = front, .ph1 = 0, .pw0 = (c->kw - 1) / 2, .pw1 = (c->kw - 1) / 2,
                .tpad = KPAD_ZEROS, .hpad = KPAD_ZEROS, .wpad = KPAD_ZEROS,
                .x = x->d, .weights = w, .bias = c->bias, .y = y};
    return k_conv(ctx, &kc);
}

/* y = conv(silu(pixnorm(x))) with h as the normalised copy. */
static kstatus norm_act_conv(const kctx *ctx, const vconv *c, const fmap *x, float *h, float *y)
{
    int64_t n = x->t * x->f;
    kstatus ks = k_pixelnorm(ctx, n, x->c, x->d, pixnorm_eps, h);
    K_THEN(ks, k_silu(ctx, h, h, n * x->c));
    fmap hx = {h, x->t, x->f, x->c};
    K_THEN(ks, causal_conv(ctx, c, &hx, c->kh - 1, y));
    return ks;
}

/* Replaces *x by resblock(*x). */
static kstatus resblock_run(const kctx *ctx, const fbufs *p, const audio_resblock *b, fmap *x)
{
    float *a, *h;
    others(p, x->d, &a, &h);
    fmap h1 = {h, x->t, x->f, b->conv1.c.cout};
    kstatus ks = norm_act_conv(ctx, &b->conv1.c, x, a, h);
    K_THEN(ks, norm_act_conv(ctx, &b->conv2.c, &h1, a, h));
    const int64_t n = x->t * x->f * b->conv2.c.cout;
    if (b->has_nin) {
        K_THEN(ks, causal_conv(ctx, &b->nin.c, x, b->nin.c.kh - 1, a));
        K_THEN(ks, k_add(ctx, a, h, h, n));
    } else {
        K_THEN(ks, k_add(ctx, x->d, h, h, n));
    }
    *x = (fmap){h, x->t, x->f, b->conv2.c.cout};
    return ks;
}

/* Nearest ×2 on time and mel, then the causal conv without its first output row. */
static kstatus upsample_run(const kctx *ctx, const fbufs *p, const vconv *c, fmap *x)
{
    float *up, *y;
    others(p, x->d, &up, &y);
    fmap u = {up, 2 * x->t, 2 * x->f, x->c};
    kstatus ks = k_upsample_nearest3d(ctx, 1, x->t, x->f, x->c, 1, 2, 2, x->d, up);
    K_THEN(ks, causal_conv(ctx, c, &u, c->kh - 2, y));
    *x = (fmap){y, 2 * x->t - 1, 2 * x->f, c->cout};
    return ks;
}

/* Zero pad 2 rows in front (time) and 1 column behind (mel), 3×3 conv of stride 2. */
static kstatus downsample_run(const kctx *ctx, const fbufs *p, const vconv *c, fmap *x)
{
    float *y, *unused;
    others(p, x->d, &y, &unused);
    const kconvw *w = NULL;
    kstatus ks = vconv_weights(ctx, c, &w);
    if (ks != KS_OK)
        return ks;
    int64_t to = k_conv_out_len(x->t, 3, 2, 1, 2, 0), fo = k_conv_out_len(x->f, 3, 2, 1, 0, 1);
    kconv kc = {.t = 1, .h = x->t, .w = x->f, .cin = c->cin, .cout = c->cout, .kt = 1, .kh = 3,
                .kw = 3, .st = 1, .sh = 2, .sw = 2, .dt = 1, .dh = 1, .dw = 1, .ph0 = 2, .ph1 = 0,
                .pw0 = 0, .pw1 = 1, .x = x->d, .weights = w, .bias = c->bias, .y = y};
    *x = (fmap){y, to, fo, c->cout};
    return k_conv(ctx, &kc);
}

/* Replaces *x by conv(x) (same size). */
static kstatus conv_run(const kctx *ctx, const fbufs *p, const vconv *c, fmap *x)
{
    float *y, *unused;
    others(p, x->d, &y, &unused);
    kstatus ks = causal_conv(ctx, c, x, c->kh - 1, y);
    *x = (fmap){y, x->t, x->f, c->cout};
    return ks;
}

/* Replaces *x by conv_out(silu(pixnorm(x))), the last layer of both coders. */
static kstatus out_head(const kctx *ctx, const fbufs *p, const vconv *conv_out, fmap *x)
{
    int64_t n = x->t * x->f;
    kstatus ks = k_pixelnorm(ctx, n, x->c, x->d, pixnorm_eps, x->d);
    K_THEN(ks, k_silu(ctx, x->d, x->d, n * x->c));
    K_THEN(ks, conv_run(ctx, p, conv_out, x));
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

/* ------------------------------------------------------------------ buffer sizes */
/* The largest feature map (elements) of a pass: the steps of the forward on shapes only. */
typedef struct peak {
    int64_t t, f, most;
} peak;

static void peak_see(peak *p, int64_t c)
{
    if (p->t * p->f * c > p->most)
        p->most = p->t * p->f * c;
}

static void peak_level(peak *p, const audio_level *lv, bool up)
{
    for (int j = 0; j < lv->n_blocks; j++) {
        peak_see(p, lv->blocks[j].conv1.c.cin);
        peak_see(p, lv->blocks[j].conv1.c.cout);
    }
    if (!lv->has_resample)
        return;
    if (up) {
        p->t *= 2, p->f *= 2;
        peak_see(p, lv->resample.c.cin); /* the nearest-upsampled map */
        p->t -= 1;
    } else {
        p->t = k_conv_out_len(p->t, 3, 2, 1, 2, 0);
        p->f = k_conv_out_len(p->f, 3, 2, 1, 0, 1);
    }
    peak_see(p, lv->resample.c.cout);
}

static int64_t coder_peak(const audio_vae *v, const audio_coder *c, bool up, int64_t t, int64_t f, int64_t cin)
{
    peak p = {t, f, 0};
    peak_see(&p, cin);
    peak_see(&p, c->conv_in.c.cout);
    if (up) /* the decoder's middle blocks come first, the encoder's last */
        peak_see(&p, c->mid1.conv1.c.cout);
    for (int k = 0; k < v->cfg.n_levels; k++)
        peak_level(&p, &c->levels[up ? v->cfg.n_levels - 1 - k : k], up);
    if (!up)
        peak_see(&p, c->mid1.conv1.c.cout);
    peak_see(&p, c->conv_out.c.cout);
    return p.most;
}

/* Three buffers of `elems` floats from ctx's arena (above the caller's mark). */
static kstatus fbufs_take(const kctx *ctx, int64_t elems, fbufs *p)
{
    kstatus ks = KS_OK;
    for (int i = 0; i < 3; i++) {
        void *b = NULL;
        K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)elems * sizeof(float), &b));
        p->b[i] = b;
    }
    return ks;
}

/* ------------------------------------------------------------------ passes */
/* One level: its resblocks (cancel polled before each), then the up- or downsample. */
static ltx2_status level_run(const kctx *ctx, const fbufs *p, const audio_level *lv, bool up,
                             const volatile int32_t *cancel, fmap *x)
{
    for (int j = 0; j < lv->n_blocks; j++) {
        if (cancel && *cancel)
            return LTX2_CANCELLED;
        kstatus ks = resblock_run(ctx, p, &lv->blocks[j], x);
        if (ks != KS_OK)
            return ltx2_kstatus(ks);
    }
    if (lv->has_resample)
        return ltx2_kstatus(up ? upsample_run(ctx, p, &lv->resample.c, x)
                               : downsample_run(ctx, p, &lv->resample.c, x));
    return LTX2_OK;
}

/* The pass's three buffers, and its input in[ch][t][f] channels-last into the first. */
static kstatus coder_begin(const audio_vae *v, const kctx *ctx, const audio_coder *c, bool up, int64_t t, int64_t f,
                           int64_t ch, const float *in, fbufs *p, fmap *x)
{
    kstatus ks = fbufs_take(ctx, coder_peak(v, c, up, t, f, ch), p);
    *x = (fmap){p->b[0], t, f, ch};
    K_THEN(ks, k_transpose2d(ctx, ch, t * f, in, x->d));
    return ks;
}

static ltx2_status coder_error(ltx2_status st, const char *which, ltx2_error *err)
{
    if (st == LTX2_CANCELLED)
        return ltx2_err(err, st, "cancelled");
    return ltx2_err(err, st, "audio VAE %s: %s", which, st == LTX2_ERR_OOM ? "out of memory" : "a kernel failed");
}

static ltx2_status decode_run(const void *model, const kctx *ctx, int64_t t_latent, const float *latent, float *mel,
                              const volatile int32_t *cancel, ltx2_error *err)
{
    const audio_vae *v = model;
    const audio_vae_config *cfg = &v->cfg;
    const audio_coder *c = &v->dec;
    int64_t zc = cfg->z_channels, F = cfg->latent_freq;
    fbufs p;
    fmap x;
    kstatus ks = coder_begin(v, ctx, c, true, t_latent, F, zc, latent, &p, &x);
    /* un-normalised with the statistics in the same [F][z] order */
    K_THEN(ks, k_denormalize_rows(ctx, t_latent, F * zc, x.d, v->mean, v->std, x.d));
    K_THEN(ks, conv_run(ctx, &p, &c->conv_in.c, &x));
    K_THEN(ks, resblock_run(ctx, &p, &c->mid1, &x));
    K_THEN(ks, resblock_run(ctx, &p, &c->mid2, &x));
    ltx2_status st = ltx2_kstatus(ks);
    for (int i = cfg->n_levels - 1; st == LTX2_OK && i >= 0; i--)
        st = level_run(ctx, &p, &c->levels[i], true, cancel, &x);
    if (st == LTX2_OK)
        st = ltx2_kstatus(out_head(ctx, &p, &c->conv_out.c, &x));
    if (st != LTX2_OK)
        return coder_error(st, "decoder", err);
    /* Crop / zero-pad to (out_ch, T_mel, mel_bins), back to channel-major. */
    int64_t T = audio_vae_mel_frames(v, t_latent), M = cfg->mel_bins;
    int64_t n[3] = {cfg->out_ch, x.t < T ? x.t : T, x.f < M ? x.f : M};
    if (n[1] < T || n[2] < M)
        K_THEN(ks, k_memset0(ctx, mel, (size_t)(cfg->out_ch * T * M) * sizeof(float)));
    K_THEN(ks, k_strided_copy3d(ctx, n, x.d, (const int64_t[3]){1, x.f * x.c, x.c}, mel,
                                (const int64_t[3]){T * M, M, 1}));
    return ks == KS_OK ? LTX2_OK : coder_error(ltx2_kstatus(ks), "decoder", err);
}

static ltx2_status encode_run(const void *model, const kctx *ctx, int64_t t_mel, const float *mel, float *latent,
                              const volatile int32_t *cancel, ltx2_error *err)
{
    const audio_vae *v = model;
    const audio_vae_config *cfg = &v->cfg;
    const audio_coder *c = &v->enc;
    int64_t M = cfg->mel_bins, C = cfg->in_channels;
    fbufs p;
    fmap x;
    kstatus ks = coder_begin(v, ctx, c, false, t_mel, M, C, mel, &p, &x);
    K_THEN(ks, conv_run(ctx, &p, &c->conv_in.c, &x));
    ltx2_status st = ltx2_kstatus(ks);
    for (int i = 0; st == LTX2_OK && i < cfg->n_levels; i++)
        st = level_run(ctx, &p, &c->levels[i], false, cancel, &x);
    if (st == LTX2_OK) {
        K_THEN(ks, resblock_run(ctx, &p, &c->mid1, &x));
        K_THEN(ks, resblock_run(ctx, &p, &c->mid2, &x));
        K_THEN(ks, out_head(ctx, &p, &c->conv_out.c, &x));
        st = ltx2_kstatus(ks);
    }
    if (st != LTX2_OK)
        return coder_error(st, "encoder", err);
    int64_t zc = cfg->z_channels, F = x.f;
    if (F != cfg->latent_freq || x.t != audio_vae_latent_frames(v, t_mel))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "mel input has %lld bins, the audio VAE expects %d",
                        (long long)M, cfg->mel_bins);
    /* The means (first z channels), normalised with the [F][z] statistics, channel-major. */
    float *y, *unused;
    others(&p, x.d, &y, &unused);
    K_THEN(ks, k_strided_copy3d(ctx, (const int64_t[3]){x.t, F, zc}, x.d, (const int64_t[3]){F * x.c, x.c, 1}, y,
                                (const int64_t[3]){F * zc, zc, 1}));
    K_THEN(ks, k_normalize_rows(ctx, x.t, F * zc, y, v->mean, v->std, y));
    K_THEN(ks, k_transpose2d(ctx, x.t * F, zc, y, latent));
    return ks == KS_OK ? LTX2_OK : coder_error(ltx2_kstatus(ks), "encoder", err);
}

/* A body above with the weights on ctx's backend, on a workspace arena. */
static ltx2_status pass_run(audio_model_fn fn, const audio_vae *v, const kctx *ctx, int64_t t, const float *in,
                            float *out, const volatile int32_t *cancel, ltx2_error *err)
{
    const audio_vae *w = v;
    ltx2_status st = audio_vae_on(v, ctx, &w, err);
    return st != LTX2_OK ? st : audio_model_pass(ctx, fn, w, t, in, out, cancel, err);
}

ltx2_status audio_vae_decode(const audio_vae *v, const kctx *ctx, int64_t t_latent, const float *latent,
                             float *mel, const volatile int32_t *cancel, ltx2_error *err)
{
    if (!v->dec.present)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this audio VAE has no decoder weights");
    return pass_run(decode_run, v, ctx, t_latent, latent, mel, cancel, err);
}

ltx2_status audio_vae_mel(const audio_vae *v, const kctx *ctx, int channels, int64_t n, const float *wave,
                          float *mel, ltx2_error *err)
{
    if (!v->mel_basis)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this audio VAE has no encoder (no mel front end)");
    const audio_vae *w = v;
    ltx2_status st = audio_vae_on(v, ctx, &w, err);
    if (st != LTX2_OK)
        return st;
    mel_config mc = audio_vae_mel_config(v);
    return mel_compute(&mc, ctx, w->mel_basis, w->mel_fb, channels, n, wave, mel, err);
}

ltx2_status audio_vae_encode(const audio_vae *v, const kctx *ctx, int64_t t_mel, const float *mel, float *latent,
                             const volatile int32_t *cancel, ltx2_error *err)
{
    if (!v->enc.present)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this audio VAE has no encoder weights");
    return pass_run(encode_run, v, ctx, t_mel, mel, latent, cancel, err);
}
