/* vae_object.c — the loader builder: a "VAE" object carrying the video VAE payload. */
#include "loaders/loaders.h"
#include "video_vae/vae_model.h"

static void destroy_vae(void *p) { ltx2_video_vae_free(p); }

ltx2_status ltx2_load_video_vae(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_video_vae *v = NULL;
    ltx2_status s = ltx2_video_vae_build(ckpt, &v, err);
    if (s != LTX2_OK || !v) return s;
    ltx2_object *o = ltx2_object_new("VAE");
    if (!o || ltx2_object_set_payload(o, LTX2_VIDEO_VAE_KIND, v, destroy_vae) != LTX2_OK) {
        ltx2_object_release(o);
        ltx2_video_vae_free(v);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    ltx2_object_set_int(o, "latent_channels", v->latent_ch);
    ltx2_object_set_bool(o, "has_decoder", v->has_dec);
    ltx2_object_set_bool(o, "has_encoder", v->has_enc);
    ltx2_object_set_bool(o, "timestep_conditioning", v->ts_cond);
    ltx2_latent_geom_record(o, &v->geom);
    *out = o;
    return LTX2_OK;
}
