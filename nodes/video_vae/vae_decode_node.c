/* vae_decode_node.c — LTX2VAEDecode and LTX2VAEDecodeTiled: normalized latent → frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "finite.h"
#include "sampler/latent.h"
#include "sampler/rng.h"
#include "video_vae/vae_memory.h"
#include "video_vae/vae_node_util.h"
#include "video_vae/vae_tiling.h"

enum {
    IN_VAE, IN_SAMPLES, IN_LATENT, IN_SEED, IN_TIMESTEP, IN_NOISE_SCALE, IN_NOISE, IN_TIMESTEP_T,
    IN_PRECISION,
    /* tiled only */
    IN_TILE, IN_TILE_OV, IN_TTILE, IN_TTILE_OV, IN_TILE_NOISE, IN_TILE_NOISE_PREFIX
};

#define COMMON_INPUTS \
    LTX2_PORT("vae", "VAE", 0, "video VAE (from LTX2CheckpointLoader)"), \
    LTX2_PORT("samples", "LATENT", LTX2_PORT_OPTIONAL, "normalized video latent (entry \"samples\")"), \
    LTX2_PORT("latent", "TENSOR", LTX2_PORT_OPTIONAL, "the latent as a tensor [1, C, F, H, W] instead of a LATENT"), \
    LTX2_PORT_INT("seed", 0, 0, INT64_MAX, 1, LTX2_PORT_SEED | LTX2_PORT_OPTIONAL, "seed of the decode noise (timestep-conditioned VAEs only)"), \
    LTX2_PORT_FLOAT("decode_timestep", 0.05, 0.0, 1.0, 0.001, LTX2_PORT_ADVANCED | LTX2_PORT_OPTIONAL, "decoder timestep (timestep-conditioned VAEs only)"), \
    LTX2_PORT_FLOAT("decode_noise_scale", 0.025, 0.0, 1.0, 0.001, LTX2_PORT_ADVANCED | LTX2_PORT_OPTIONAL, "noise mixed into the latent before decoding (timestep-conditioned VAEs only)"), \
    LTX2_PORT("noise", "TENSOR", LTX2_PORT_OPTIONAL, "decode noise [1, C, F, H, W] replacing the seeded draw"), \
    LTX2_PORT("timestep", "TENSOR", LTX2_PORT_OPTIONAL, "decode timestep as a 1-element tensor (overrides decode_timestep)"), \
    LTX2_PORT_PRECISION

static const ltx2_port dec_inputs[] = {COMMON_INPUTS};
static const ltx2_port tiled_inputs[] = {
    COMMON_INPUTS,
    LTX2_PORT_INT("tile_size", 512, 0, 1 << 20, 32, LTX2_PORT_OPTIONAL, "spatial tile in pixels (multiple of 32; 0 = no spatial tiling)"),
    LTX2_PORT_INT("tile_overlap", 64, 0, 1 << 20, 32, LTX2_PORT_OPTIONAL, "spatial overlap in pixels (multiple of 32, < tile_size)"),
    LTX2_PORT_INT("temporal_tile_size", 64, 0, 1 << 20, 8, LTX2_PORT_OPTIONAL, "temporal tile in frames (multiple of 8; 0 = no temporal tiling)"),
    LTX2_PORT_INT("temporal_overlap", 24, 0, 1 << 20, 8, LTX2_PORT_OPTIONAL, "temporal overlap in frames (multiple of 8, < temporal_tile_size)"),
    LTX2_PORT("tile_noise", "TENSORS", LTX2_PORT_OPTIONAL, "per-tile decode noise replacing the seeded draws: entries <tile_noise_prefix>NN, tiles in processing order (one tile: the prefix alone, trailing '.' dropped, also works)"),
    LTX2_PORT_STRING("tile_noise_prefix", "noise.", LTX2_PORT_ADVANCED | LTX2_PORT_OPTIONAL, "entry name prefix in tile_noise"),
};
static const ltx2_port dec_outputs[] = {
    LTX2_PORT("IMAGE", "IMAGE", 0, "frames [F, H, W, 3] in [0, 1]"),
    LTX2_PORT("video", "TENSOR", 0, "raw decoder output [1, 3, F, H, W] (about [-1, 1], not clamped)"),
};

/* IMAGE [F,H,W,c] in [0,1] and the raw NCFHW tensor from channels-last pixels. */
static ltx2_status emit(ltx2_exec_ctx *ctx, const kctx *k, const float *px, int64_t F, int64_t H, int64_t W,
                        int64_t c, ltx2_value *outputs)
{
    /* The raw NCFHW copy is as large as the frames: made only when something reads it. */
    bool want_img = ltx2_output_wanted(ctx, 0), want_raw = ltx2_output_wanted(ctx, 1);
    /* on a device they stay there: the boundary gives CPU consumers host copies */
    ltx2_tensor *img = want_img ? ltx2_tensor_new_on(k, LTX2_F32, 4, (const int64_t[]){F, H, W, c}) : NULL;
    ltx2_tensor *raw = want_raw ? ltx2_tensor_new_on(k, LTX2_F32, 5, (const int64_t[]){1, c, F, H, W}) : NULL;
    if ((want_img && !img) || (want_raw && !raw)) {
        ltx2_tensor_release(img);
        ltx2_tensor_release(raw);
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for the frames");
    }
    int64_t n = F * H * W;
    kstatus ks = KS_OK;
    if (img)
        K_THEN(ks, k_shift_scale_clamp(k, px, 1.0f, 0.5f, 0.0f, 1.0f, ltx2_tensor_f32(img), n * c));
    if (raw)
        K_THEN(ks, k_transpose2d(k, n, c, px, ltx2_tensor_f32(raw)));
    if (ks != KS_OK) { /* a cancelled pooled copy stopped early: the frames are incomplete */
        ltx2_tensor_release(img);
        ltx2_tensor_release(raw);
        return ltx2_fail_k(ctx, "samples", ks, "frames from the decoder output");
    }
    outputs[0] = ltx2_value_tensor(img);
    outputs[1] = ltx2_value_tensor(raw);
    return LTX2_OK;
}

/* True when F x H x W x c f32 pixels have a byte size that fits. */
static bool frames_fit(int64_t F, int64_t H, int64_t W, int64_t c)
{
    int64_t bytes;
    return ltx2_product_i64((const int64_t[]){F, H, W, c, (int64_t)sizeof(float)}, 5, &bytes);
}

/* One pass over the decoded pixels (memory of k's backend): NaN/Inf (bad weights) would be
 * clamped into black frames and saved as if all went well. */
static ltx2_status check_frames(ltx2_exec_ctx *ctx, const kctx *k, const float *px, int64_t F, int64_t H, int64_t W,
                                int64_t c)
{
    int64_t at = -1;
    kstatus ks = ltx2_find_nonfinite_on(k, px, F * H * W * c, &at);
    if (ks != KS_OK)
        return ltx2_fail_k(ctx, "samples", ks, "finite check of the frames");
    if (at < 0)
        return LTX2_OK;
    return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vae",
                     "the decoded frames hold NaN or Inf (frame %lld of %lld); check the VAE weights and the latent",
                     (long long)(at / (H * W * c)), (long long)F);
}

typedef struct dec_args {
    const ltx2_video_vae *v;
    ltx2_tensor *lat;
    int64_t f, h, w;
    float timestep, noise_scale;
    uint64_t seed;
    kctx k;
} dec_args;

static ltx2_status common_args(void *inst, ltx2_exec_ctx *ctx, const ltx2_node_type *type,
                               const ltx2_value *in, dec_args *a)
{
    memset(a, 0, sizeof *a);
    ltx2_status s = vae_in_vae(ctx, type, in, IN_VAE, &a->v);
    if (s != LTX2_OK) return s;
    if (!a->v->has_dec) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vae", "this VAE has no decoder weights (vae.decoder.*)");
    if ((s = ltx2_node_kctx_get(inst, ctx, ltx2_in_fast(in, IN_PRECISION), &a->k)) != LTX2_OK) return s;
    if ((s = vae_in_latent(ctx, type, in, IN_SAMPLES, IN_LATENT, a->v->latent_ch, &a->k, &a->lat)) != LTX2_OK)
        return s;
    a->f = a->lat->shape[2];
    a->h = a->lat->shape[3];
    a->w = a->lat->shape[4];
    int64_t F, H, W;
    if (a->f < 1 || a->h < 1 || a->w < 1) {
        s = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, in[IN_SAMPLES].kind != LTX2_V_NONE ? "samples" : "latent",
                      "the latent has %lld x %lld x %lld positions: nothing to decode", (long long)a->f,
                      (long long)a->h, (long long)a->w);
        goto fail;
    }
    ltx2_vae_pixel_size(a->v, a->f, a->h, a->w, &F, &H, &W);
    if (!frames_fit(F, H, W, a->v->in_ch)) {
        s = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "samples", "%lld x %lld x %lld frames are too large to hold",
                      (long long)F, (long long)H, (long long)W);
        goto fail;
    }
    a->timestep = (float)vae_in_float_or(in, IN_TIMESTEP, 0.05);
    a->noise_scale = (float)vae_in_float_or(in, IN_NOISE_SCALE, 0.025);
    a->seed = (uint64_t)vae_in_int_or(in, IN_SEED, 0);
    ltx2_tensor *ts = NULL;
    if ((s = ltx2_in_tensor(ctx, type, in, IN_TIMESTEP_T, &ts)) != LTX2_OK) goto fail;
    if (ts) {
        const kctx host = kctx_default(NULL); /* a host scalar */
        ltx2_tensor *t32 = NULL;
        ltx2_error terr = {0};
        if (ltx2_tensor_numel(ts) != 1 || ltx2_tensor_f32_on(&host, ts, &t32, &terr) != LTX2_OK) {
            s = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "timestep", "expected a 1-element float tensor");
            goto fail;
        }
        a->timestep = ltx2_tensor_f32(t32)[0];
        ltx2_tensor_release(t32);
    }
    return LTX2_OK;
fail:
    ltx2_tensor_release(a->lat);
    a->lat = NULL;
    return s;
}

/* ---------------------------------------------------------------- tiled */
typedef struct tile_ud {
    ltx2_exec_ctx *ctx;
    const ltx2_object *tile_noise;
    const char *prefix;
    int n_tiles;
    uint64_t seed, drawn; /* normals drawn so far from the seeded stream */
    /* LTX2VAEDecode tiled by the budget with a noise input: each tile's crop of the
     * whole latent's noise (host NCFHW [C][f][h][w]) under the plan */
    const float *whole;
    int64_t f, h, w;
    const vae_tile_plan *plan;
} tile_ud;

/* Tile `tile` (processing order) of the whole noise into out [C][tf][th][tw]. */
static void crop_whole_noise(const tile_ud *ud, int tile, const int64_t shape[4], float *out)
{
    const int nh = ud->plan->n[1], nw = ud->plan->n[2];
    const int64_t t0 = ud->plan->iv[0][tile / (nh * nw)].start, h0 = ud->plan->iv[1][tile / nw % nh].start,
                  w0 = ud->plan->iv[2][tile % nw].start;
    for (int64_t c = 0; c < shape[0]; c++)
        for (int64_t t = 0; t < shape[1]; t++)
            for (int64_t y = 0; y < shape[2]; y++)
                memcpy(out + ((c * shape[1] + t) * shape[2] + y) * shape[3],
                       ud->whole + ((c * ud->f + t0 + t) * ud->h + h0 + y) * ud->w + w0,
                       (size_t)shape[3] * sizeof *out);
}

/* A one-tile layout may name its noise without the NN suffix: "<prefix>" with a trailing '.'
 * dropped (the fixtures' convention: "in.decode_noise" alone, "in.decode_noise.NN" for several). */
static ltx2_tensor *single_tile_noise(const tile_ud *ud, char *key, size_t cap)
{
    size_t n = strlen(ud->prefix);
    if (ud->n_tiles != 1 || n == 0 || n >= cap) return NULL;
    memcpy(key, ud->prefix, n + 1);
    if (key[n - 1] == '.') key[n - 1] = '\0';
    return ltx2_object_tensor(ud->tile_noise, key);
}

static ltx2_status tile_noise(void *ud_, int tile, const int64_t shape[4], float *out, int *used,
                              ltx2_error *err)
{
    tile_ud *ud = ud_;
    int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    *used = 1;
    if (ud->whole) {
        crop_whole_noise(ud, tile, shape, out);
        return LTX2_OK;
    }
    if (!ud->tile_noise) {
        ltx2_rng_normal(ud->seed, LTX2_RNG_STREAM_VAE_DECODE, ud->drawn, n, out);
        ud->drawn += (uint64_t)n;
        return LTX2_OK;
    }
    char key[256];
    snprintf(key, sizeof key, "%s%02d", ud->prefix, tile);
    ltx2_tensor *t = ltx2_object_tensor(ud->tile_noise, key);
    if (!t && tile == 0) {
        char alt[256];
        if ((t = single_tile_noise(ud, alt, sizeof alt))) memcpy(key, alt, sizeof alt);
    }
    if (!t) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "tile_noise has no entry \"%s\" for tile %d", key, tile);
    const kctx host = kctx_default(NULL); /* the hook fills host memory */
    if (t->ndim != 5 || t->shape[0] != 1 || t->shape[1] != shape[0] || t->shape[2] != shape[1] ||
        t->shape[3] != shape[2] || t->shape[4] != shape[3])
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "tile_noise entry \"%s\" is not [1, %lld, %lld, %lld, %lld]", key,
                        (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3]);
    ltx2_tensor *f = NULL;
    ltx2_status st = ltx2_tensor_f32_on(&host, t, &f, err);
    if (st != LTX2_OK) return st;
    memcpy(out, ltx2_tensor_cf32(f), (size_t)n * sizeof *out);
    ltx2_tensor_release(f);
    return LTX2_OK;
}

static ltx2_status tile_tick(void *ud_, int done, int total)
{
    tile_ud *ud = ud_;
    return ltx2_progress(ud->ctx, done, total, "decode tiles");
}

/* Output tensors the node makes beside the frames (the memory plan counts them). */
static int out_copies(const ltx2_exec_ctx *ctx) { return ltx2_output_wanted(ctx, 0) + ltx2_output_wanted(ctx, 1); }

/* The tiled decode of a's latent under cfg into the node's outputs: the one code path of
 * LTX2VAEDecodeTiled and of LTX2VAEDecode tiled by the budget. Noise: tn's entries, else
 * crops of `whole` (host NCFHW of the latent's shape), else seeded draws per tile. */
static ltx2_status decode_tiled(ltx2_exec_ctx *ctx, const ltx2_value *in, const dec_args *a, const vae_tiling *cfg,
                                const ltx2_object *tn, const char *prefix, const float *whole, ltx2_value *out)
{
    const ltx2_video_vae *v = a->v;
    kctx k = a->k;
    int64_t F, H, W;
    ltx2_vae_pixel_size(v, a->f, a->h, a->w, &F, &H, &W);
    float *px = vae_alloc(&k, F * H * W * v->in_ch);
    if (!px)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for the frames");
    /* the plan gives the one-tile noise name and the crops; a bad layout is reported below */
    vae_tile_plan plan;
    ltx2_error err = {0};
    const bool planned = vae_tile_plan_make(v, a->f, a->h, a->w, cfg, &plan, &err) == LTX2_OK;
    tile_ud ud = {.ctx = ctx, .tile_noise = tn, .seed = a->seed, .n_tiles = planned ? plan.n[0] * plan.n[1] * plan.n[2] : 0,
                  .prefix = prefix, .whole = planned ? whole : NULL, .f = a->f, .h = a->h, .w = a->w,
                  .plan = planned ? &plan : NULL};
    vae_tile_hooks hooks = {.ud = &ud, .noise = tile_noise, .tick = tile_tick, .cancel = ctx->cancel_flag};
    ltx2_status s = ltx2_vae_decode_tiled(&k, v, ltx2_tensor_cf32(a->lat), a->f, a->h, a->w, cfg, a->timestep,
                                          a->noise_scale, &hooks, px, &err);
    if (planned)
        vae_tile_plan_free(&plan);
    if (s == LTX2_CANCELLED) goto out;
    if (s != LTX2_OK) {
        const char *who = strstr(err.msg, "tile_noise") ? "tile_noise"
                        : strstr(err.msg, "temporal tile") ? "temporal_tile_size"
                        : strstr(err.msg, "spatial tile") ? "tile_size"
                        : in[IN_SAMPLES].kind != LTX2_V_NONE ? "samples" : "latent";
        s = ltx2_fail_err(ctx, who, &err);
        goto out;
    }
    if ((s = ltx2_progress(ctx, 1, 1, "decode")) != LTX2_OK) goto out; /* before the frame copies */
    if ((s = check_frames(ctx, &k, px, F, H, W, v->in_ch)) != LTX2_OK) goto out;
    s = emit(ctx, &k, px, F, H, W, v->in_ch, out);
out:
    k_free(&k, px);
    return s;
}

static ltx2_status exec_tiled(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *type = &ltx2_node_vae_decode_tiled;
    dec_args a;
    ltx2_status s = common_args(inst, ctx, type, in, &a);
    if (s != LTX2_OK) return s;
    vae_tiling cfg = {vae_in_int_or(in, IN_TILE, 512), vae_in_int_or(in, IN_TILE_OV, 64),
                      vae_in_int_or(in, IN_TTILE, 64), vae_in_int_or(in, IN_TTILE_OV, 24)};
    ltx2_object *tn = NULL;
    ltx2_error err = {0};
    vae_dec_fit fit;
    if (in[IN_NOISE].kind != LTX2_V_NONE) {
        s = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "noise", "the tiled decode draws noise per tile: use tile_noise");
        goto out;
    }
    if ((s = ltx2_in_object(ctx, type, in, IN_TILE_NOISE, "TENSORS", &tn)) != LTX2_OK) goto out;
    /* the user's tiles must fit what the budget leaves: refused before any work, never
     * changed (a bad layout is left to the decode's own words) */
    if (vae_decode_fit_budget(a.v, &a.k, a.f, a.h, a.w, &cfg, out_copies(ctx), &fit, &err) == LTX2_ERR_OOM) {
        s = ltx2_fail_err(ctx, "tile_size", &err);
        goto out;
    }
    s = decode_tiled(ctx, in, &a, &cfg, tn,
                     in[IN_TILE_NOISE_PREFIX].kind == LTX2_V_NONE ? "noise." : ltx2_in_string(in, IN_TILE_NOISE_PREFIX),
                     NULL, out);
out:
    ltx2_tensor_release(a.lat);
    return s;
}

/* LTX2VAEDecode over budget: says so, then LTX2VAEDecodeTiled's path with the chosen
 * tiles (its seeded per-tile noise, or crops of the noise input). Releases a->lat. */
static ltx2_status decode_budget_tiled(ltx2_exec_ctx *ctx, const ltx2_value *in, dec_args *a, const vae_dec_fit *fit,
                                       ltx2_value *out)
{
    char t[160];
    vae_tiling_describe(&fit->cfg, t, sizeof t);
    ltx2_logf(ctx, LTX2_LOG_INFO,
              "the whole decode needs %zu bytes, the device memory budget leaves %zu (%s): decoding in %d %s (%zu bytes)",
              fit->whole, fit->room.bytes, fit->room.why, fit->mem.tiles, t, fit->mem.total);
    ltx2_tensor *nz = NULL, *host_nz = NULL;
    ltx2_error err = {0};
    ltx2_status s = ltx2_in_tensor(ctx, &ltx2_node_vae_decode, in, IN_NOISE, &nz);
    if (s == LTX2_OK && nz && a->v->ts_cond) {
        char b1[96];
        const kctx host = kctx_default(NULL); /* the tile hook crops on the host */
        if (!ltx2_tensor_same_shape(nz, a->lat))
            s = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "noise", "shape %s differs from the latent's", ltx2_tensor_str(nz, b1, sizeof b1));
        else if (ltx2_tensor_f32_on(&host, nz, &host_nz, &err) != LTX2_OK)
            s = ltx2_fail_err(ctx, "noise", &err);
    }
    if (s == LTX2_OK)
        s = decode_tiled(ctx, in, a, &fit->cfg, NULL, "noise.", host_nz ? ltx2_tensor_cf32(host_nz) : NULL, out);
    ltx2_tensor_release(host_nz);
    ltx2_tensor_release(a->lat);
    return s;
}

static ltx2_status exec_decode(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *type = &ltx2_node_vae_decode;
    dec_args a;
    ltx2_status s = common_args(inst, ctx, type, in, &a);
    if (s != LTX2_OK) return s;
    const ltx2_video_vae *v = a.v;
    const char *lat_in = in[IN_SAMPLES].kind != LTX2_V_NONE ? "samples" : "latent";
    {   /* before any work: the whole latent at once, or tiles the budget leaves room for */
        vae_dec_fit fit;
        ltx2_error ferr = {0};
        if ((s = vae_decode_fit_budget(v, &a.k, a.f, a.h, a.w, NULL, out_copies(ctx), &fit, &ferr)) != LTX2_OK) {
            s = ltx2_fail_err(ctx, lat_in, &ferr);
            ltx2_tensor_release(a.lat);
            return s;
        }
        if (fit.tiled)
            return decode_budget_tiled(ctx, in, &a, &fit, out);
    }
    int64_t C = v->latent_ch, n = C * a.f * a.h * a.w, F, H, W;
    ltx2_vae_pixel_size(v, a.f, a.h, a.w, &F, &H, &W);
    ltx2_tensor *nz = NULL, *nz32 = NULL;
    float *drawn = NULL, *px = NULL; /* memory of a.k's backend */
    const float *noise = NULL;
    ltx2_error err = {0};
    if ((s = ltx2_in_tensor(ctx, type, in, IN_NOISE, &nz)) != LTX2_OK) goto out;
    if (v->ts_cond) {
        if (nz) {
            char b1[96];
            if (!ltx2_tensor_same_shape(nz, a.lat)) {
                s = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "noise", "shape %s differs from the latent's",
                              ltx2_tensor_str(nz, b1, sizeof b1));
                goto out;
            }
            if (ltx2_tensor_f32_on(&a.k, nz, &nz32, &err) != LTX2_OK) { s = ltx2_fail_err(ctx, "noise", &err); goto out; }
            noise = ltx2_tensor_cf32(nz32);
        } else { /* drawn on the host, then moved to a.k's memory */
            if (!(drawn = malloc((size_t)n * sizeof *drawn))) { s = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); goto out; }
            ltx2_rng_normal(a.seed, LTX2_RNG_STREAM_VAE_DECODE, 0, n, drawn);
            kstatus ks = ltx2_host_to_backend(&a.k, &drawn, n);
            if (ks != KS_OK) { s = ltx2_fail_k(ctx, "seed", ks, "decode noise to the device"); goto out; }
            noise = drawn;
        }
    }
    if ((s = ltx2_progress(ctx, 0, 1, "decode")) != LTX2_OK) goto out;
    if (!(px = vae_alloc(&a.k, F * H * W * v->in_ch))) {
        s = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for %lldx%lldx%lld frames", (long long)F, (long long)H, (long long)W);
        goto out;
    }
    vae_dec_opts o = {.timestep = a.timestep, .noise_scale = a.noise_scale, .noise = noise,
                      .cancel = ctx->cancel_flag};
    if ((s = ltx2_vae_decode(&a.k, v, ltx2_tensor_cf32(a.lat), a.f, a.h, a.w, &o, px, &err)) != LTX2_OK) {
        s = ltx2_fail_err(ctx, lat_in, &err);
        goto out;
    }
    if ((s = ltx2_progress(ctx, 1, 1, "decode")) != LTX2_OK) goto out;
    if ((s = check_frames(ctx, &a.k, px, F, H, W, v->in_ch)) != LTX2_OK) goto out;
    s = emit(ctx, &a.k, px, F, H, W, v->in_ch, out);
out:
    k_free(&a.k, px);
    k_free(&a.k, drawn); /* malloc'd on the CPU: k_free is free there */
    ltx2_tensor_release(nz32);
    ltx2_tensor_release(a.lat);
    return s;
}

const ltx2_node_type ltx2_node_vae_decode = LTX2_NODE_TYPE(
    "LTX2VAEDecode", "LTX-2 VAE Decode", "ltx2/vae", LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE | LTX2_NODE_CUDA,
    "Decodes a normalized video latent into frames (un-normalization, and the decode timestep and noise mix when the VAE is timestep-conditioned).",
    dec_inputs, dec_outputs, exec_decode);

const ltx2_node_type ltx2_node_vae_decode_tiled = LTX2_NODE_TYPE(
    "LTX2VAEDecodeTiled", "LTX-2 VAE Decode (Tiled)", "ltx2/vae", LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE | LTX2_NODE_CUDA,
    "Decodes a normalized video latent tile by tile (the reference's tile layout and blending); memory is bounded by the tile size.",
    tiled_inputs, dec_outputs, exec_tiled);
