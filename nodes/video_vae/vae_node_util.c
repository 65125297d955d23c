/* vae_node_util.c — input adapters shared by the VAE and upscaler nodes. */
#include <string.h>

#include "video_vae/vae_node_util.h"

static const char *port(const ltx2_node_type *type, uint32_t idx)
{
    return idx < type->n_inputs ? type->inputs[idx].name : "?";
}

ltx2_status vae_in_latent(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                          uint32_t lat_idx, uint32_t ten_idx, int64_t channels, const kctx *k, ltx2_tensor **out)
{
    *out = NULL;
    ltx2_object *lat = NULL;
    ltx2_tensor *t = NULL;
    ltx2_status s = ltx2_in_object(ctx, type, in, lat_idx, "LATENT", &lat);
    if (s != LTX2_OK) return s;
    if ((s = ltx2_in_tensor(ctx, type, in, ten_idx, &t)) != LTX2_OK) return s;
    const char *name = port(type, ten_idx);
    if (lat) {
        if (t)
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, name, "connect either %s or %s, not both",
                             port(type, lat_idx), name);
        t = ltx2_object_tensor(lat, "samples");
        name = port(type, lat_idx);
        if (!t) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, name, "the LATENT has no video \"samples\"");
    }
    if (!t)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port(type, lat_idx), "no latent: connect %s or %s",
                         port(type, lat_idx), port(type, ten_idx));
    char buf[96];
    if (t->ndim != 5 || t->shape[0] != 1 || t->shape[1] != channels)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, name, "expected a latent [1, %lld, F, H, W], got %s",
                         (long long)channels, ltx2_tensor_str(t, buf, sizeof buf));
    if (t->dtype != LTX2_F32 && t->dtype != LTX2_BF16 && t->dtype != LTX2_F16)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, name, "expected a float latent, got %s",
                         ltx2_tensor_str(t, buf, sizeof buf));
    ltx2_error err = {0};
    if (ltx2_tensor_f32_on(k, t, out, &err) != LTX2_OK) return ltx2_fail_err(ctx, name, &err);
    return LTX2_OK;
}

ltx2_status vae_in_vae(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                       uint32_t idx, const ltx2_video_vae **out)
{
    ltx2_object *o = NULL;
    *out = NULL;
    ltx2_status s = ltx2_in_object(ctx, type, in, idx, "VAE", &o);
    if (s != LTX2_OK) return s;
    if (!o) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port(type, idx), "no VAE connected");
    *out = ltx2_object_payload(o, LTX2_VIDEO_VAE_KIND);
    if (!*out) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port(type, idx), "the VAE object carries no video VAE");
    return LTX2_OK;
}

double vae_in_float_or(const ltx2_value *in, uint32_t idx, double def)
{
    return in[idx].kind == LTX2_V_NONE ? def : ltx2_in_float(in, idx);
}

int64_t vae_in_int_or(const ltx2_value *in, uint32_t idx, int64_t def)
{
    return in[idx].kind == LTX2_V_NONE ? def : ltx2_in_int(in, idx);
}

ltx2_status vae_make_latent(ltx2_tensor *samples, const ltx2_object *like, ltx2_object **out)
{
    /* entries tied to the video token grid do not survive a change of its shape */
    static const char *const video_keys[] = {"video_denoise_mask", "video_cond_tokens",
                                             "video_cond_mask", "video_cond_positions"};
    ltx2_object *o = like ? ltx2_object_clone(like) : ltx2_object_new("LATENT");
    if (!o) return LTX2_ERR_OOM;
    for (size_t i = 0; like && i < sizeof video_keys / sizeof *video_keys; i++)
        ltx2_object_remove(o, video_keys[i]);
    if (ltx2_object_set_tensor(o, "samples", samples) != LTX2_OK) {
        ltx2_object_release(o);
        return LTX2_ERR_OOM;
    }
    *out = o;
    return LTX2_OK;
}
