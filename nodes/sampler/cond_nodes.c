/* cond_nodes.c — image (latent-index), keyframe and reference-video conditioning nodes. */
#include <string.h>

#include "node.h"
#include "sampler/conditioning.h"
#include "sampler/latent.h"
#include "sampler/sampler_types.h"

/* The encoded image of port idx: a TENSOR, or a LATENT's `samples`. */
static ltx2_status image_in(ltx2_exec_ctx *ctx, const ltx2_value *in, uint32_t idx, const char *name,
                            const ltx2_tensor **out)
{
    *out = NULL;
    if (in[idx].kind == LTX2_V_TENSOR) {
        *out = in[idx].u.t;
        return LTX2_OK;
    }
    if (in[idx].kind == LTX2_V_OBJECT && ltx2_object_is(in[idx].u.o, "LATENT")) {
        *out = ltx2_object_tensor(in[idx].u.o, LTX2_LAT_VIDEO);
        if (*out)
            return LTX2_OK;
    }
    return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, name, "expected an encoded latent (LATENT or TENSOR [1, C, F, H, W])");
}

typedef ltx2_status (*cond_fn)(const ltx2_object *, const ltx2_tensor *, int64_t, double, ltx2_object **,
                               ltx2_error *);

/* All three nodes: (latent, image, int parameter, strength) -> LATENT. */
static ltx2_status run_cond(const ltx2_node_type *type, ltx2_exec_ctx *ctx, const ltx2_value *in,
                            ltx2_value *out, cond_fn fn)
{
    ltx2_object *lat = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, 0, "LATENT", &lat);
    if (st)
        return st;
    const ltx2_tensor *img = NULL;
    if ((st = image_in(ctx, in, 1, type->inputs[1].name, &img)))
        return st;
    ltx2_object *o = NULL;
    ltx2_error err = {0};
    if (fn(lat, img, ltx2_in_int(in, 2), ltx2_in_float(in, 3), &o, &err)) {
        const char *port = strstr(err.msg, "strength") ? "strength"
                           : (strstr(err.msg, "index") || strstr(err.msg, "frames [") || strstr(err.msg, "factor"))
                               ? type->inputs[2].name
                           : strstr(err.msg, "LATENT") ? "latent" : type->inputs[1].name;
        return ltx2_fail_err(ctx, port, &err);
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

static const ltx2_port cond_outputs[] = {LTX2_PORT("LATENT", "LATENT", 0, "the conditioned latent")};

/* ---------------------------------------------------------------- LTX2ImageConditioning */
static const ltx2_port ic_inputs[] = {
    LTX2_PORT("latent", "LATENT", 0, "the latent to generate"),
    LTX2_PORT("image", "LATENT,TENSOR", 0, "the encoded image [1, C, 1, H, W] at the latent's size"),
    LTX2_PORT_INT("latent_index", 0, 0, 100000, 1, 0, "latent frame the image replaces (0 = first frame)"),
    LTX2_PORT_FLOAT("strength", 1.0, 0.0, 1.0, 0.01, 0, "1 keeps the image exactly; lower lets the model change it"),
};

static ltx2_status ic_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    return run_cond(&ltx2_type_image_conditioning, ctx, in, out, ltx2_cond_latent_index);
}

const ltx2_node_type ltx2_type_image_conditioning = LTX2_NODE_TYPE(
    "LTX2ImageConditioning", "LTX-2 Image Conditioning", "ltx2/conditioning", 0,
    "Image-to-video: the tokens of a latent frame are replaced by an encoded image and denoised "
    "with mask 1 - strength (the reference's latent-index conditioning).",
    ic_inputs, cond_outputs, ic_execute);

/* ---------------------------------------------------------------- LTX2KeyframeConditioning */
static const ltx2_port kc_inputs[] = {
    LTX2_PORT("latent", "LATENT", 0, "the latent to generate"),
    LTX2_PORT("image", "LATENT,TENSOR", 0, "the encoded keyframe [1, C, 1, H, W]"),
    LTX2_PORT_INT("frame_index", 0, 0, 100000, 1, 0, "pixel frame the keyframe belongs to"),
    LTX2_PORT_FLOAT("strength", 1.0, 0.0, 1.0, 0.01, 0, "1 holds the keyframe exactly"),
};

static ltx2_status kc_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    return run_cond(&ltx2_type_keyframe_conditioning, ctx, in, out, ltx2_cond_keyframe);
}

const ltx2_node_type ltx2_type_keyframe_conditioning = LTX2_NODE_TYPE(
    "LTX2KeyframeConditioning", "LTX-2 Keyframe Conditioning", "ltx2/conditioning", 0,
    "Keyframe interpolation: the encoded keyframe's tokens are appended to the sequence at "
    "a pixel frame, with mask 1 - strength; chain one node per keyframe. The appended tokens "
    "are dropped after sampling.",
    kc_inputs, cond_outputs, kc_execute);

/* ---------------------------------------------------------------- LTX2ReferenceVideoConditioning */
static const ltx2_port rc_inputs[] = {
    LTX2_PORT("latent", "LATENT", 0, "the latent to generate"),
    LTX2_PORT("reference", "LATENT,TENSOR", 0,
              "the encoded reference video [1, C, F, H/d, W/d] (loaded at 1/d of the size)"),
    LTX2_PORT_INT("downscale_factor", 1, 1, 64, 1, 0,
                  "the IC-LoRA's reference_downscale_factor (its file metadata)"),
    LTX2_PORT_FLOAT("strength", 1.0, 0.0, 1.0, 0.01, 0, "1 keeps the reference clean"),
};

static ltx2_status rc_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    return run_cond(&ltx2_type_reference_conditioning, ctx, in, out, ltx2_cond_reference);
}

const ltx2_node_type ltx2_type_reference_conditioning = LTX2_NODE_TYPE(
    "LTX2ReferenceVideoConditioning", "LTX-2 Reference Video Conditioning", "ltx2/conditioning", 0,
    "IC-LoRA video-to-video control: the reference video's tokens are appended with their "
    "positions scaled by the downscale factor and mask 1 - strength.",
    rc_inputs, cond_outputs, rc_execute);
