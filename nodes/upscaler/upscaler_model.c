/* upscaler_model.c — LatentUpsampler: load from the bare config + keys, and forward on
 * channels-last activations. Convs pad with zeros on every axis; GroupNorm eps 1e-5. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "upscaler/upscaler_model.h"
#include "common/layers.h"
#include "node.h"

#define GN_EPS 1e-5f

static ltx2_status load_res(ures *r, const ltx2_checkpoint *ck, const char *pre, int64_t c,
                            ltx2_error *err)
{
    char n[256];
    ltx2_status s;
    snprintf(n, sizeof n, "%sconv1.", pre);
    if ((s = vconv_load(&r->conv1, ck, n, c, c, 3, 3, 3, err)) != LTX2_OK) return s;
    snprintf(n, sizeof n, "%sconv2.", pre);
    if ((s = vconv_load(&r->conv2, ck, n, c, c, 3, 3, 3, err)) != LTX2_OK) return s;
    snprintf(n, sizeof n, "%snorm1.weight", pre);
    if ((s = ltx2_ckpt_vec(ck, n, c, &r->n1w, err)) != LTX2_OK) return s;
    snprintf(n, sizeof n, "%snorm1.bias", pre);
    if ((s = ltx2_ckpt_vec(ck, n, c, &r->n1b, err)) != LTX2_OK) return s;
    snprintf(n, sizeof n, "%snorm2.weight", pre);
    if ((s = ltx2_ckpt_vec(ck, n, c, &r->n2w, err)) != LTX2_OK) return s;
    snprintf(n, sizeof n, "%snorm2.bias", pre);
    return ltx2_ckpt_vec(ck, n, c, &r->n2b, err);
}

static void free_res(ures *r, int n)
{
    for (int i = 0; r && i < n; i++) {
        vconv_free(&r[i].conv1);
        vconv_free(&r[i].conv2);
        free(r[i].n1w);
        free(r[i].n1b);
        free(r[i].n2w);
        free(r[i].n2b);
    }
    free(r);
}

void ltx2_upscaler_free(ltx2_upscaler *u)
{
    if (!u) return;
    ltx2_upscaler_resident_fini(u);
    vconv_free(&u->initial_conv);
    vconv_free(&u->up);
    vconv_free(&u->final_conv);
    free(u->in_w);
    free(u->in_b);
    free_res(u->res, u->n_blocks);
    free_res(u->post, u->n_blocks);
    free(u->mean);
    free(u->std);
    free(u->blur);
    ltx2_checkpoint_release(u->ckpt);
    free(u);
}

/* spatial_scale → num/den as the reference's rational resampler */
static int scale_ratio(double s, int *num, int *den)
{
    static const struct { double s; int n, d; } t[] = {{0.75, 3, 4}, {1.5, 3, 2}, {2.0, 2, 1}, {4.0, 4, 1}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (fabs(s - t[i].s) < 1e-6) {
            *num = t[i].n;
            *den = t[i].d;
            return 1;
        }
    return 0;
}

static ltx2_status load_upsampler(ltx2_upscaler *u, const ltx2_checkpoint *ck, bool rational,
                                  ltx2_error *err)
{
    int64_t m = u->mid;
    if (u->temporal) return vconv_load(&u->up, ck, "upsampler.0.", 2 * m, m, 3, 3, 3, err);
    /* spatial: "upsampler.0.*" (plain ×2) or "upsampler.conv.*" + blur (rational); for
     * scale 2 the two spell the same computation, so either key set is accepted. */
    int64_t co = (int64_t)u->num * u->num * m;
    const char *first = rational ? "upsampler.conv." : "upsampler.0.";
    const char *second = rational ? "upsampler.0." : "upsampler.conv.";
    const char *pre = first;
    if (!ltx2_checkpoint_find(ck, rational ? "upsampler.conv.weight" : "upsampler.0.weight") &&
        u->num == 2 && u->den == 1 &&
        ltx2_checkpoint_find(ck, rational ? "upsampler.0.weight" : "upsampler.conv.weight"))
        pre = second;
    ltx2_status s = vconv_load(&u->up, ck, pre, co, m, 0, 3, 3, err);
    if (s != LTX2_OK || u->den == 1) return s;
    const ltx2_st_tensor *st;
    if ((s = ltx2_ckpt_require(ck, "upsampler.blur_down.kernel", 4, (const int64_t[]){1, 1, 5, 5}, &st, err)) != LTX2_OK)
        return s;
    return ltx2_ckpt_f32(ck, "upsampler.blur_down.kernel", 25, &u->blur, err);
}

ltx2_status ltx2_upscaler_build(ltx2_checkpoint *ck, ltx2_upscaler **out, ltx2_error *err)
{
    *out = NULL;
    json_object *cfg = ltx2_checkpoint_config(ck);
    bool keys = ltx2_checkpoint_find(ck, "initial_conv.weight") != NULL;
    json_object *cls = ltx2_json_get(cfg, "_class_name");
    if (!keys && !(cls && !strcmp(json_object_get_string(cls), "LatentUpsampler"))) return LTX2_OK;
    if (!cfg || !json_object_is_type(cfg, json_type_object))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config: missing (an upsampler file carries its config dict in the metadata)");
    json_object *v;
    if (!(v = ltx2_json_get(cfg, "dims")) || json_object_get_int(v) != 3)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config dims: only 3 is supported");
    ltx2_upscaler *u = calloc(1, sizeof *u);
    if (!u) return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    lx_resident_init(&u->resident);
    ltx2_checkpoint_retain(ck);
    u->ckpt = ck;
    /* Bounds far above any LTX-2 upsampler; blocks are counted before they are allocated. */
    ltx2_status s = ltx2_cfg_int(cfg, "config", "in_channels", 128, 1, 1 << 16, &u->in_ch, err);
    if (s == LTX2_OK) s = ltx2_cfg_int(cfg, "config", "mid_channels", 512, 1, 1 << 16, &u->mid, err);
    if (s == LTX2_OK) s = ltx2_cfg_int32(cfg, "config", "num_blocks_per_stage", 4, 0, 256, &u->n_blocks, err);
    u->spatial = (v = ltx2_json_get(cfg, "spatial_upsample")) ? json_object_get_boolean(v) : true;
    u->temporal = (v = ltx2_json_get(cfg, "temporal_upsample")) ? json_object_get_boolean(v) : false;
    bool rational = (v = ltx2_json_get(cfg, "rational_resampler")) ? json_object_get_boolean(v) : false;
    double scale = 2.0;
    if (s == LTX2_OK) s = ltx2_cfg_num(cfg, "config", "spatial_scale", 2.0, 0.01, 100.0, &scale, err);
    u->groups = 32;
    u->num = 2;
    u->den = 1;
    char pre[128];
    if (s == LTX2_OK && u->mid % u->groups)
        s = ltx2_err(err, LTX2_ERR_BAD_INPUT, "config mid_channels: %lld is not a multiple of %d", (long long)u->mid, u->groups);
    else if (s == LTX2_OK && u->spatial == u->temporal)
        s = ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config: exactly one of spatial_upsample and temporal_upsample must be true");
    else if (s == LTX2_OK && u->spatial && rational && !scale_ratio(scale, &u->num, &u->den))
        s = ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config spatial_scale: %g is not supported", scale);
    else if (s == LTX2_OK && u->spatial && !rational && fabs(scale - 2.0) > 1e-6)
        s = ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config spatial_scale: %g needs rational_resampler", scale);
    if (s == LTX2_OK) s = vconv_load(&u->initial_conv, ck, "initial_conv.", u->mid, u->in_ch, 3, 3, 3, err);
    if (s == LTX2_OK) s = ltx2_ckpt_vec(ck, "initial_norm.weight", u->mid, &u->in_w, err);
    if (s == LTX2_OK) s = ltx2_ckpt_vec(ck, "initial_norm.bias", u->mid, &u->in_b, err);
    if (s == LTX2_OK) {
        u->res = calloc((size_t)u->n_blocks + 1, sizeof *u->res);
        u->post = calloc((size_t)u->n_blocks + 1, sizeof *u->post);
        if (!u->res || !u->post) s = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    for (int i = 0; s == LTX2_OK && i < u->n_blocks; i++) {
        snprintf(pre, sizeof pre, "res_blocks.%d.", i);
        s = load_res(&u->res[i], ck, pre, u->mid, err);
        snprintf(pre, sizeof pre, "post_upsample_res_blocks.%d.", i);
        if (s == LTX2_OK) s = load_res(&u->post[i], ck, pre, u->mid, err);
    }
    if (s == LTX2_OK) s = load_upsampler(u, ck, rational, err);
    if (s == LTX2_OK) s = vconv_load(&u->final_conv, ck, "final_conv.", u->in_ch, u->mid, 3, 3, 3, err);
    /* optional bundled statistics (the pipeline takes them from the video VAE) */
    if (s == LTX2_OK && ltx2_checkpoint_find(ck, "vae.per_channel_statistics.mean-of-means")) {
        s = ltx2_ckpt_vec(ck, "vae.per_channel_statistics.mean-of-means", u->in_ch, &u->mean, err);
        if (s == LTX2_OK) s = ltx2_ckpt_vec(ck, "vae.per_channel_statistics.std-of-means", u->in_ch, &u->std, err);
    }
    if (s != LTX2_OK) {
        ltx2_upscaler_free(u);
        return s;
    }
    *out = u;
    return LTX2_OK;
}

void ltx2_upscaler_out_size(const ltx2_upscaler *u, int64_t f, int64_t h, int64_t w, int64_t *fo,
                            int64_t *ho, int64_t *wo)
{
    *fo = f;
    *ho = h;
    *wo = w;
    if (u->temporal) {
        *fo = 2 * f - 1;
        return;
    }
    *ho = h * u->num;
    *wo = w * u->num;
    if (u->den > 1) { /* 5×5 blur, stride den, zero padding 2 */
        *ho = (*ho - 1) / u->den + 1;
        *wo = (*wo - 1) / u->den + 1;
    }
}

/* x = silu(GN(x)) */
static kstatus gn_silu(const kctx *ctx, const ltx2_upscaler *u, int64_t n, const float *g,
                       const float *b, float *x)
{
    kstatus ks = k_groupnorm(ctx, n, u->mid, u->groups, x, g, b, GN_EPS, x);
    K_THEN(ks, k_silu(ctx, x, x, n * u->mid));
    return ks;
}

static ltx2_status res_stack(const kctx *ctx, const ltx2_upscaler *u, const ures *r, int64_t f,
                             int64_t h, int64_t w, float *x)
{
    int64_t n = f * h * w, c = u->mid;
    float *a = vae_alloc(ctx, n * c), *b = vae_alloc(ctx, n * c);
    kstatus ks = a && b ? KS_OK : KS_OOM;
    for (int i = 0; ks == KS_OK && i < u->n_blocks; i++) {
        K_THEN(ks, vconv_run(ctx, &r[i].conv1, f, h, w, x, a, VT_ZEROS, KPAD_ZEROS));
        K_THEN(ks, gn_silu(ctx, u, n, r[i].n1w, r[i].n1b, a));
        K_THEN(ks, vconv_run(ctx, &r[i].conv2, f, h, w, a, b, VT_ZEROS, KPAD_ZEROS));
        K_THEN(ks, k_groupnorm(ctx, n, c, u->groups, b, r[i].n2w, r[i].n2b, GN_EPS, b));
        K_THEN(ks, k_add(ctx, x, b, x, n * c)); /* activation after the residual add */
        K_THEN(ks, k_silu(ctx, x, x, n * c));
    }
    k_free(ctx, a);
    k_free(ctx, b);
    return ltx2_kstatus(ks);
}

/* mean and std (host memory) where ctx's ops read them: themselves on the CPU, else a copy
 * in the workspace arena (released with the call's arena). */
static kstatus stats_on(const kctx *ctx, const float *mean, const float *std, int64_t C, const float **dm,
                        const float **ds)
{
    *dm = mean;
    *ds = std;
    if (ctx->backend == KB_CPU) return KS_OK;
    float *d = NULL;
    kstatus ks = k_arena_alloc(ctx->arena, (size_t)(2 * C) * sizeof(float), (void **)&d);
    K_THEN(ks, k_copy(ctx, d, mean, (size_t)C * sizeof(float), K_H2D));
    K_THEN(ks, k_copy(ctx, d + C, std, (size_t)C * sizeof(float), K_H2D));
    if (ks == KS_OK) {
        *dm = d;
        *ds = d + C;
    }
    return ks;
}

static ltx2_status ltx2_upscaler_run_run(const kctx *ctx, const ltx2_upscaler *u, const float *mean,
                              const float *std, const float *latent, int64_t f, int64_t h,
                              int64_t w, float *y, ltx2_error *err)
{
    ltx2_status s = ltx2_upscaler_on(u, ctx, &u, err); /* the weights on ctx's backend */
    if (s != LTX2_OK) return s;
    int64_t C = u->in_ch, m = u->mid, n = f * h * w, fo, ho, wo;
    ltx2_upscaler_out_size(u, f, h, w, &fo, &ho, &wo);
    float *x = vae_alloc(ctx, n * C), *a = NULL, *b = NULL, *o = NULL;
    s = LTX2_ERR_OOM;
    if (!x || !(a = vae_alloc(ctx, n * m))) goto out;
    if ((s = ltx2_kstatus(stats_on(ctx, mean, std, C, &mean, &std))) != LTX2_OK) goto out;
    /* un-normalize into channels-last */
    if ((s = ltx2_kstatus(k_latent_unnormalize(ctx, C, n, latent, NULL, 0.0f, mean, std, x))) != LTX2_OK ||
        (s = ltx2_kstatus(vconv_run(ctx, &u->initial_conv, f, h, w, x, a, VT_ZEROS, KPAD_ZEROS))) != LTX2_OK ||
        (s = ltx2_kstatus(gn_silu(ctx, u, n, u->in_w, u->in_b, a))) != LTX2_OK ||
        (s = res_stack(ctx, u, u->res, f, h, w, a)) != LTX2_OK)
        goto out;
    s = LTX2_ERR_OOM;

    int64_t f2 = f, h2 = h, w2 = w;
    if (u->temporal) {
        if (!(b = vae_alloc(ctx, n * 2 * m))) goto out;
        if ((s = ltx2_kstatus(vconv_run(ctx, &u->up, f, h, w, a, b, VT_ZEROS, KPAD_ZEROS))) != LTX2_OK) goto out;
        k_free(ctx, a);
        s = LTX2_ERR_OOM;
        if (!(a = vae_alloc(ctx, 2 * n * m))) goto out;
        if ((s = ltx2_kstatus(k_depth_to_space3d(ctx, f, h, w, m, 2, 1, 1, b, a))) != LTX2_OK) goto out;
        s = LTX2_ERR_OOM;
        /* drop frame 0 (in place: k_copy moves overlapping ranges like memmove) */
        if ((s = ltx2_kstatus(k_copy(ctx, a, a + h * w * m, (size_t)((2 * f - 1) * h * w * m) * sizeof *a, K_D2D))))
            goto out;
        f2 = 2 * f - 1;
    } else {
        int64_t r = u->num, hs = h * r, ws = w * r;
        if (!(b = vae_alloc(ctx, n * r * r * m))) goto out;
        /* kt = 1: per frame */
        if ((s = ltx2_kstatus(vconv_run(ctx, &u->up, f, h, w, a, b, VT_ZEROS, KPAD_ZEROS))) != LTX2_OK) goto out;
        k_free(ctx, a);
        s = LTX2_ERR_OOM;
        if (!(a = vae_alloc(ctx, f * hs * ws * m))) goto out;
        if ((s = ltx2_kstatus(k_depth_to_space3d(ctx, f, h, w, m, 1, (int)r, (int)r, b, a))) != LTX2_OK) goto out;
        s = LTX2_ERR_OOM;
        h2 = hs;
        w2 = ws;
        if (u->den > 1) { /* 5×5 blur, stride den, zero padding 2 */
            k_free(ctx, b);
            if (!(b = vae_alloc(ctx, f * ho * wo * m))) goto out;
            if ((s = ltx2_kstatus(k_blur2d(ctx, f, hs, ws, m, u->blur, 5, u->den, a, b))) != LTX2_OK) goto out;
            float *t = a;
            a = b;
            b = t;
            h2 = ho;
            w2 = wo;
        }
    }
    k_free(ctx, b);
    b = NULL;
    if ((s = res_stack(ctx, u, u->post, f2, h2, w2, a)) != LTX2_OK) goto out;
    s = LTX2_ERR_OOM;
    int64_t n2 = f2 * h2 * w2;
    if (!(o = vae_alloc(ctx, n2 * C))) goto out;
    if ((s = ltx2_kstatus(vconv_run(ctx, &u->final_conv, f2, h2, w2, a, o, VT_ZEROS, KPAD_ZEROS))) != LTX2_OK)
        goto out;
    /* re-normalize back to NCFHW */
    s = ltx2_kstatus(k_latent_normalize(ctx, n2, C, o, C, mean, std, y));
out:
    k_free(ctx, x);
    k_free(ctx, a);
    k_free(ctx, b);
    k_free(ctx, o);
    if (s == LTX2_ERR_OOM) return ltx2_err(err, s, "out of memory while upscaling");
    if (s != LTX2_OK) return ltx2_err(err, s, "upscaling %s", s == LTX2_CANCELLED ? "cancelled" : "failed in a kernel");
    return LTX2_OK;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status ltx2_upscaler_run(const kctx *ctx, const ltx2_upscaler *u, const float *mean, const float *std,
                              const float *latent, int64_t f, int64_t h, int64_t w, float *y, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = ltx2_upscaler_run_run(ws, u, mean, std, latent, f, h, w, y, err);
    k_arena_destroy(own);
    return st;
}
