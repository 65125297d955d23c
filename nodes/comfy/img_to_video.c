/* img_to_video.c — LTXVImgToVideoInplace (resize to the latent's pixel size, encode
 * with LTX2VAEEncode, replace the first latent frames with LTX2ImageConditioning) and
 * LTXVPreprocess (the H.264 round trip that makes a still look like a video frame). */
#include <stdlib.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"
#include "io/video_io.h"
#include "sampler/latent.h"

/* ---------------------------------------------------------------- LTXVImgToVideoInplace */
static const ltx2_port iv_inputs[] = {
    LTX2_PORT("vae", "VAE", 0, NULL),
    LTX2_PORT("image", "IMAGE", 0, NULL),
    LTX2_PORT("latent", "LATENT", 0, NULL),
    LTX2_PORT_FLOAT("strength", 1.0, 0.0, 1.0, 0.01, 0, NULL),
    LTX2_PORT_BOOL("bypass", false, 0, "Bypass the conditioning."),
};
static const ltx2_port iv_outputs[] = {LTX2_PORT("latent", "LATENT", 0, NULL)};
static ltx2_status iv_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *T = &comfy_ltxv_img_to_video_inplace;
    ltx2_object *lat = NULL;
    ltx2_tensor *img = NULL;
    ltx2_status st;
    if ((st = ltx2_in_object(ctx, T, in, 2, "LATENT", &lat)) || (st = ltx2_in_tensor(ctx, T, in, 1, &img)))
        return st;
    if (ltx2_in_bool(in, 4)) {
        ltx2_object_retain(lat);
        out[0] = ltx2_value_object(lat);
        return LTX2_OK;
    }
    const ltx2_tensor *s = ltx2_object_tensor(lat, LTX2_LAT_VIDEO);
    if (!s || s->ndim != 5)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "latent", "expected a video latent");
    if (img->ndim != 4 || img->shape[3] != 3)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "image", "expected an IMAGE [B, H, W, 3]");
    ltx2_latent_geom g; /* the VAE's grid: its encoding of the image matches the latent */
    ltx2_error gerr = {0};
    if (ltx2_latent_geom_of(in[0].u.o, &LTX2_LATENT_GEOM_DEFAULT, &g, &gerr))
        return ltx2_fail_err(ctx, "vae", &gerr);
    const int64_t w = s->shape[4] * g.scale_s, h = s->shape[3] * g.scale_s;
    ltx2_value px[COMFY_MAX_OUT], enc[COMFY_MAX_OUT];
    if (img->shape[1] == h && img->shape[2] == w) {
        ltx2_tensor_retain(img);
        px[0] = ltx2_value_tensor(img);
    } else if ((st = COMFY_CALL(inst, ctx, "LTX2ImageResize", 0x1, px, COMFY_TEN("image", img),
                                COMFY_INT("width", w), COMFY_INT("height", h), COMFY_STR("mode", "crop")))) {
        return st;
    }
    st = COMFY_CALL(inst, ctx, "LTX2VAEEncode", 0x1, enc, COMFY_OBJ("vae", in[0].u.o), COMFY_TEN("pixels", px[0].u.t));
    comfy_release(px, 1);
    if (st)
        return st;
    st = COMFY_CALL(inst, ctx, "LTX2ImageConditioning", 0x1, out, COMFY_OBJ("latent", lat),
                    COMFY_OBJ("image", enc[0].u.o), COMFY_INT("latent_index", 0),
                    COMFY_FLT("strength", ltx2_in_float(in, 3)));
    comfy_release(enc, 2);
    return st;
}
const ltx2_node_type comfy_ltxv_img_to_video_inplace = LTX2_NODE_TYPE(
    "LTXVImgToVideoInplace", "LTXVImgToVideoInplace", "conditioning/video_models", 0,
    "Encodes the image into the first latent frames (denoise mask 1 - strength).", iv_inputs, iv_outputs,
    iv_execute);

/* ---------------------------------------------------------------- LTXVPreprocess */
static const ltx2_port pp_inputs[] = {
    LTX2_PORT("image", "IMAGE", 0, NULL),
    LTX2_PORT_INT("img_compression", 35, 0, 100, 1, 0, "Amount of compression to apply on image."),
};
static const ltx2_port pp_outputs[] = {LTX2_PORT("output_image", "IMAGE", 0, NULL)};
static ltx2_status pp_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_tensor *img = NULL;
    ltx2_status st = ltx2_in_tensor(ctx, &comfy_ltxv_preprocess, in, 0, &img);
    if (st)
        return st;
    if (img->ndim != 4 || img->shape[3] != 3)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "image", "expected an IMAGE [B, H, W, 3]");
    const int crf = (int)ltx2_in_int(in, 1);
    if (crf == 0) { /* ComfyUI returns the frames untouched */
        ltx2_tensor_retain(img);
        out[0] = ltx2_value_tensor(img);
        return LTX2_OK;
    }
    const int64_t B = img->shape[0], H = img->shape[1], W = img->shape[2], He = H & ~1, We = W & ~1;
    ltx2_tensor *f = ltx2_tensor_to_f32(img);
    ltx2_tensor *o = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){B, He, We, 3});
    uint8_t *src = malloc((size_t)(H * W * 3)), *dst = malloc((size_t)(He * We * 3) + 1);
    if (!f || !o || !src || !dst) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        goto done;
    }
    for (int64_t b = 0; b < B && !st; b++) {
        const float *x = ltx2_tensor_cf32(f) + b * H * W * 3;
        for (int64_t i = 0; i < H * W * 3; i++) /* ComfyUI: (x * 255).byte(), truncation */
            src[i] = x[i] <= 0.0f ? 0 : x[i] >= 1.0f ? 255 : (uint8_t)(x[i] * 255.0f);
        ltx2_error err = {0};
        if (io_h264_roundtrip(src, (int)W, (int)H, crf, dst, &err)) {
            st = ltx2_fail_err(ctx, "image", &err);
            break;
        }
        float *y = ltx2_tensor_f32(o) + b * He * We * 3;
        for (int64_t i = 0; i < He * We * 3; i++)
            y[i] = dst[i] / 255.0f;
        st = ltx2_progress(ctx, (double)(b + 1), (double)B, "compress");
    }
    if (!st) {
        out[0] = ltx2_value_tensor(o);
        o = NULL;
    }
done:
    free(src);
    free(dst);
    ltx2_tensor_release(f);
    ltx2_tensor_release(o);
    return st;
}
const ltx2_node_type comfy_ltxv_preprocess =
    LTX2_NODE_TYPE("LTXVPreprocess", "LTXV Preprocess", "video/preprocessors", LTX2_NODE_CANCELLABLE,
                   "H.264 compression round trip per frame (CRF = img_compression; even sizes).", pp_inputs,
                   pp_outputs, pp_execute);
