/* The node types of nodes/upscaler: LTX2LatentUpscale (the reference's upsample_video:
 * un-normalize with the VAE statistics, upsample, re-normalize). */
#include <stdlib.h>

#include "stages.h"
#include "upscaler/upscaler_model.h"
#include "video_vae/vae_node_util.h"

enum { IN_SAMPLES, IN_LATENT, IN_MODEL, IN_VAE, IN_PRECISION };

static const ltx2_port up_inputs[] = {
    LTX2_PORT("samples", "LATENT", LTX2_PORT_OPTIONAL, "normalized video latent"),
    LTX2_PORT("latent", "TENSOR", LTX2_PORT_OPTIONAL, "the latent as a tensor [1, C, F, H, W] instead of a LATENT"),
    LTX2_PORT("upscale_model", "LATENT_UPSCALE_MODEL", 0, "spatial or temporal ×2 upsampler (LTX2UpscalerLoader)"),
    LTX2_PORT("vae", "VAE", LTX2_PORT_OPTIONAL, "video VAE whose per-channel statistics frame the upsampler (default: the statistics bundled in the upsampler file)"),
    LTX2_PORT_PRECISION,
};
static const ltx2_port up_outputs[] = {
    LTX2_PORT("LATENT", "LATENT", 0, "upscaled normalized latent"),
    LTX2_PORT("latent", "TENSOR", 0, "the same latent as a tensor [1, C, F', H', W']"),
};

static const ltx2_node_type ltx2_node_latent_upscale;

static ltx2_status exec_upscale(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *type = &ltx2_node_latent_upscale;
    ltx2_object *mo = NULL, *vo = NULL, *lat_obj = NULL;
    ltx2_status s = ltx2_in_object(ctx, type, in, IN_MODEL, "LATENT_UPSCALE_MODEL", &mo);
    if (s != LTX2_OK) return s;
    const ltx2_upscaler *u = mo ? ltx2_object_payload(mo, LTX2_UPSCALER_KIND) : NULL;
    if (!u) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "upscale_model", "no upsampler connected");
    if ((s = ltx2_in_object(ctx, type, in, IN_VAE, "VAE", &vo)) != LTX2_OK) return s;
    if ((s = ltx2_in_object(ctx, type, in, IN_SAMPLES, "LATENT", &lat_obj)) != LTX2_OK) return s;
    const float *mean = u->mean, *std = u->std;
    if (vo) {
        const ltx2_video_vae *v = ltx2_object_payload(vo, LTX2_VIDEO_VAE_KIND);
        if (!v) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vae", "the VAE object carries no video VAE");
        if (v->latent_ch != u->in_ch)
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vae", "VAE latent has %lld channels, the upsampler %lld",
                             (long long)v->latent_ch, (long long)u->in_ch);
        mean = v->mean;
        std = v->std;
    }
    if (!mean || !std)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vae", "connect a VAE: the upsampler file has no per-channel statistics");
    ltx2_tensor *lat = NULL, *y = NULL;
    kctx k;
    if ((s = ltx2_node_kctx_get(inst, ctx, ltx2_in_fast(in, IN_PRECISION), &k)) != LTX2_OK) return s;
    if ((s = vae_in_latent(ctx, type, in, IN_SAMPLES, IN_LATENT, u->in_ch, &k, &lat)) != LTX2_OK) return s;
    int64_t f = lat->shape[2], h = lat->shape[3], w = lat->shape[4], fo, ho, wo;
    ltx2_upscaler_out_size(u, f, h, w, &fo, &ho, &wo);
    /* on a device the result stays there: the boundary gives CPU consumers host copies */
    y = ltx2_tensor_new_on(&k, LTX2_F32, 5, (const int64_t[]){1, u->in_ch, fo, ho, wo});
    if (!y) { s = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for the upscaled latent"); goto out; }
    if ((s = ltx2_progress(ctx, 0, 1, "upscale")) != LTX2_OK) goto out;
    ltx2_error err = {0};
    if ((s = ltx2_upscaler_run(&k, u, mean, std, ltx2_tensor_cf32(lat), f, h, w, ltx2_tensor_f32(y), &err)) != LTX2_OK) {
        s = ltx2_fail_err(ctx, lat_obj ? "samples" : "latent", &err);
        goto out;
    }
    if ((s = ltx2_progress(ctx, 1, 1, "upscale")) != LTX2_OK) goto out;
    ltx2_object *o = NULL;
    if (vae_make_latent(y, lat_obj, &o) != LTX2_OK) { s = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); goto out; }
    out[0] = ltx2_value_object(o);
    out[1] = ltx2_value_tensor(y);
    y = NULL;
out:
    ltx2_tensor_release(y);
    ltx2_tensor_release(lat);
    return s;
}

static const ltx2_node_type ltx2_node_latent_upscale = LTX2_NODE_TYPE(
    "LTX2LatentUpscale", "LTX-2 Latent Upscale", "ltx2/latent", LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE | LTX2_NODE_CUDA,
    "Spatial ×2 or temporal ×2 latent upsampling with the reference's un-normalize / upsample / re-normalize wrapping.",
    up_inputs, up_outputs, exec_upscale);

static const ltx2_node_type *const upscaler_nodes[] = {&ltx2_node_latent_upscale};

const ltx2_node_type *const *ltx2_nodes_upscaler(size_t *count)
{
    *count = sizeof upscaler_nodes / sizeof *upscaler_nodes;
    return upscaler_nodes;
}
