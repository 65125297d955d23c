/* upscaler_object.c — the loader builder: a "LATENT_UPSCALE_MODEL" object. */
#include "loaders/loaders.h"
#include "upscaler/upscaler_model.h"

static void destroy_upscaler(void *p) { ltx2_upscaler_free(p); }

ltx2_status ltx2_load_upscaler(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_upscaler *u = NULL;
    ltx2_status s = ltx2_upscaler_build(ckpt, &u, err);
    if (s != LTX2_OK || !u) return s;
    ltx2_object *o = ltx2_object_new("LATENT_UPSCALE_MODEL");
    if (!o || ltx2_object_set_payload(o, LTX2_UPSCALER_KIND, u, destroy_upscaler) != LTX2_OK) {
        ltx2_object_release(o);
        ltx2_upscaler_free(u);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    ltx2_object_set_string(o, "kind", u->temporal ? "temporal" : "spatial");
    ltx2_object_set_int(o, "latent_channels", u->in_ch);
    *out = o;
    return LTX2_OK;
}
