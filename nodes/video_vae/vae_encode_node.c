/* vae_encode_node.c — LTX2VAEEncode: frames (1 + 8k) → normalized LATENT. */
#include <math.h>
#include <stdlib.h>

#include "video_vae/vae_node_util.h"

enum { IN_VAE, IN_PIXELS, IN_VIDEO, IN_PRECISION };

static const ltx2_port enc_inputs[] = {
    LTX2_PORT("vae", "VAE", 0, "video VAE with encoder weights"),
    LTX2_PORT("pixels", "IMAGE", LTX2_PORT_OPTIONAL, "frames [F, H, W, 3] in [0, 1]; F = 1 + 8k (extra frames are dropped), H and W multiples of 32"),
    LTX2_PORT("video", "TENSOR", LTX2_PORT_OPTIONAL, "the video as a tensor [1, 3, F, H, W] in [-1, 1] instead of pixels"),
    LTX2_PORT_PRECISION,
};
static const ltx2_port enc_outputs[] = {
    LTX2_PORT("LATENT", "LATENT", 0, "normalized latent (entry \"samples\" [1, C, F', H', W'])"),
    LTX2_PORT("latent", "TENSOR", 0, "the same latent as a tensor"),
};

static ltx2_status exec_encode(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *type = &ltx2_node_vae_encode;
    const ltx2_video_vae *v;
    ltx2_tensor *pix = NULL, *vid = NULL, *src = NULL, *lat = NULL;
    float *ncf = NULL;
    char buf[96];
    ltx2_status s = vae_in_vae(ctx, type, in, IN_VAE, &v);
    if (s != LTX2_OK) return s;
    if (!v->has_enc) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vae", "this VAE has no encoder weights (vae.encoder.*)");
    if ((s = ltx2_in_tensor(ctx, type, in, IN_PIXELS, &pix)) != LTX2_OK) return s;
    if ((s = ltx2_in_tensor(ctx, type, in, IN_VIDEO, &vid)) != LTX2_OK) return s;
    if (!pix == !vid) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "pixels", "connect exactly one of pixels and video");
    int64_t c = v->in_ch, F, H, W;
    const char *name = pix ? "pixels" : "video";
    ltx2_tensor *t = pix ? pix : vid;
    if (pix ? (t->ndim != 4 || t->shape[3] != c) : (t->ndim != 5 || t->shape[0] != 1 || t->shape[1] != c))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, name, "expected %s, got %s",
                         pix ? "frames [F, H, W, 3]" : "a video [1, 3, F, H, W]", ltx2_tensor_str(t, buf, sizeof buf));
    F = pix ? t->shape[0] : t->shape[2];
    H = pix ? t->shape[1] : t->shape[3];
    W = pix ? t->shape[2] : t->shape[4];
    int64_t lf, lh, lw;
    ltx2_error err = {0};
    if ((s = ltx2_vae_latent_size(v, F, H, W, &lf, &lh, &lw, &err)) != LTX2_OK) return ltx2_fail_err(ctx, name, &err);
    kctx k;
    if ((s = ltx2_node_kctx_get(inst, ctx, ltx2_in_fast(in, IN_PRECISION), &k)) != LTX2_OK) return s;
    if (ltx2_tensor_f32_on(&k, t, &src, &err) != LTX2_OK) return ltx2_fail_err(ctx, name, &err);
    const float *video = ltx2_tensor_cf32(src);
    if (pix) { /* [0,1] channels-last → [-1,1] NCFHW */
        int64_t n = F * H * W;
        if (!(ncf = vae_alloc(&k, n * c))) { s = ltx2_fail(ctx, LTX2_ERR_OOM, name, "out of memory"); goto out; }
        kstatus ks = k_transpose2d(&k, n, c, video, ncf);
        K_THEN(ks, k_shift_scale_clamp(&k, ncf, -0.5f, 2.0f, -INFINITY, INFINITY, ncf, n * c)); /* 2x - 1 */
        if (ks != KS_OK) { s = ltx2_fail_k(ctx, name, ks, "pixels to NCFHW"); goto out; }
        video = ncf;
    }
    lat = ltx2_tensor_new_on(&k, LTX2_F32, 5, (const int64_t[]){1, v->latent_ch, lf, lh, lw});
    if (!lat) { s = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for the latent"); goto out; }
    if ((s = ltx2_progress(ctx, 0, 1, "encode")) != LTX2_OK) goto out;
    if ((s = ltx2_vae_encode(&k, v, video, F, H, W, ltx2_tensor_f32(lat), &lf, &lh, &lw, &err)) != LTX2_OK) {
        s = ltx2_fail_err(ctx, name, &err);
        goto out;
    }
    if ((s = ltx2_progress(ctx, 1, 1, "encode")) != LTX2_OK) goto out;
    ltx2_object *o = NULL;
    if (vae_make_latent(lat, NULL, &o) != LTX2_OK) { s = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); goto out; }
    out[0] = ltx2_value_object(o);
    out[1] = ltx2_value_tensor(lat);
    lat = NULL;
out:
    ltx2_tensor_release(lat);
    ltx2_tensor_release(src);
    k_free(&k, ncf);
    return s;
}

const ltx2_node_type ltx2_node_vae_encode = LTX2_NODE_TYPE(
    "LTX2VAEEncode", "LTX-2 VAE Encode", "ltx2/vae", LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE | LTX2_NODE_CUDA,
    "Encodes frames (1 + 8k, sides multiples of 32) into a normalized video latent (the posterior mean).",
    enc_inputs, enc_outputs, exec_encode);
