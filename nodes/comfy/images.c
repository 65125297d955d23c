/* images.c — ComfyUI's image utilities over LTX2ImageResize: ImageScale, ImageScaleBy,
 * ResizeImagesByLongerEdge, GetImageSize, EmptyImage. Every upscale_method resamples
 * bilinearly (the engine's one resampler); sizes follow ComfyUI's rounding. */
#include <math.h>
#include <string.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"

static const char *const methods[] = {"nearest-exact", "bilinear", "area", "bicubic", "lanczos", NULL};

static ltx2_status image_in(ltx2_exec_ctx *ctx, const ltx2_node_type *T, const ltx2_value *in, uint32_t i,
                            ltx2_tensor **img)
{
    ltx2_status st = ltx2_in_tensor(ctx, T, in, i, img);
    if (!st && ((*img)->ndim != 4 || (*img)->shape[3] != 3))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, T->inputs[i].name, "expected an IMAGE [B, H, W, 3]");
    return st;
}

/* The image at w x h (stretched, or cropped to the centre when crop). */
static ltx2_status resize(void *inst, ltx2_exec_ctx *ctx, ltx2_tensor *img, int64_t w, int64_t h, bool crop,
                          ltx2_value *out)
{
    if (w == img->shape[2] && h == img->shape[1]) {
        ltx2_tensor_retain(img);
        out[0] = ltx2_value_tensor(img);
        return LTX2_OK;
    }
    return COMFY_CALL(inst, ctx, "LTX2ImageResize", 0x1, out, COMFY_TEN("image", img), COMFY_INT("width", w),
                      COMFY_INT("height", h), COMFY_STR("mode", crop ? "crop" : "stretch"));
}

/* ---------------------------------------------------------------- ImageScale */
static const char *const crop_options[] = {"disabled", "center", NULL};
static const ltx2_port is_inputs[] = {
    LTX2_PORT("image", "IMAGE", 0, NULL),
    LTX2_PORT_COMBO("upscale_method", methods, "nearest-exact", 0, "all resample bilinearly here"),
    LTX2_PORT_INT("width", 512, 0, 16384, 1, 0, "0 = keep the aspect ratio from height"),
    LTX2_PORT_INT("height", 512, 0, 16384, 1, 0, "0 = keep the aspect ratio from width"),
    LTX2_PORT_COMBO("crop", crop_options, "disabled", 0, NULL),
};
static const ltx2_port image_out[] = {LTX2_PORT("IMAGE", "IMAGE", 0, NULL)};
static ltx2_status is_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_tensor *img = NULL;
    ltx2_status st = image_in(ctx, &comfy_image_scale, in, 0, &img);
    if (st)
        return st;
    int64_t w = ltx2_in_int(in, 2), h = ltx2_in_int(in, 3);
    const int64_t iw = img->shape[2], ih = img->shape[1];
    if (w == 0 && h == 0) {
        w = iw;
        h = ih;
    } else if (w == 0) {
        w = (int64_t)fmax(1.0, round((double)iw * h / ih));
    } else if (h == 0) {
        h = (int64_t)fmax(1.0, round((double)ih * w / iw));
    }
    return resize(inst, ctx, img, w, h, !strcmp(ltx2_in_string(in, 4), "center"), out);
}
const ltx2_node_type comfy_image_scale = LTX2_NODE_TYPE("ImageScale", "Upscale Image", "image/upscaling", 0,
                                                        "Resizes the frames to width x height.", is_inputs,
                                                        image_out, is_execute);

/* ---------------------------------------------------------------- ImageScaleBy */
static const ltx2_port isb_inputs[] = {
    LTX2_PORT("image", "IMAGE", 0, NULL),
    LTX2_PORT_COMBO("upscale_method", methods, "nearest-exact", 0, "all resample bilinearly here"),
    LTX2_PORT_FLOAT("scale_by", 1.0, 0.01, 8.0, 0.01, 0, NULL),
};
static ltx2_status isb_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_tensor *img = NULL;
    ltx2_status st = image_in(ctx, &comfy_image_scale_by, in, 0, &img);
    if (st)
        return st;
    const double s = ltx2_in_float(in, 2);
    const int64_t w = (int64_t)fmax(1.0, round(img->shape[2] * s)), h = (int64_t)fmax(1.0, round(img->shape[1] * s));
    return resize(inst, ctx, img, w, h, false, out);
}
const ltx2_node_type comfy_image_scale_by =
    LTX2_NODE_TYPE("ImageScaleBy", "Upscale Image By", "image/upscaling", 0, "Scales the frames by a factor.",
                   isb_inputs, image_out, isb_execute);

/* ---------------------------------------------------------------- ResizeImagesByLongerEdge */
static const ltx2_port rle_inputs[] = {
    LTX2_PORT("images", "IMAGE", 0, NULL),
    LTX2_PORT_INT("longer_edge", 1024, 1, 8192, 1, 0, "Target length for the longer edge."),
};
static const ltx2_port rle_outputs[] = {LTX2_PORT("images", "IMAGE", 0, NULL)};
static ltx2_status rle_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_tensor *img = NULL;
    ltx2_status st = image_in(ctx, &comfy_resize_longer_edge, in, 0, &img);
    if (st)
        return st;
    const int64_t e = ltx2_in_int(in, 1), iw = img->shape[2], ih = img->shape[1];
    int64_t w = e, h = e; /* ComfyUI truncates the other edge */
    if (iw > ih)
        h = (int64_t)((double)ih * ((double)e / iw));
    else
        w = (int64_t)((double)iw * ((double)e / ih));
    return resize(inst, ctx, img, w > 0 ? w : 1, h > 0 ? h : 1, false, out);
}
const ltx2_node_type comfy_resize_longer_edge = LTX2_NODE_TYPE(
    "ResizeImagesByLongerEdge", "Resize Images by Longer Edge", "image/transform", 0,
    "Resize images so that the longer edge matches the specified length while preserving aspect ratio.",
    rle_inputs, rle_outputs, rle_execute);

/* ---------------------------------------------------------------- GetImageSize */
static const ltx2_port gis_inputs[] = {LTX2_PORT("image", "IMAGE", 0, NULL)};
static const ltx2_port gis_outputs[] = {
    LTX2_PORT("width", "INT", 0, NULL),
    LTX2_PORT("height", "INT", 0, NULL),
    LTX2_PORT("batch_size", "INT", 0, NULL),
};
static ltx2_status gis_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_tensor *img = NULL;
    ltx2_status st = image_in(ctx, &comfy_get_image_size, in, 0, &img);
    if (st)
        return st;
    out[0] = (ltx2_value){.kind = LTX2_V_INT, .u = {.i = img->shape[2]}};
    out[1] = (ltx2_value){.kind = LTX2_V_INT, .u = {.i = img->shape[1]}};
    out[2] = (ltx2_value){.kind = LTX2_V_INT, .u = {.i = img->shape[0]}};
    return LTX2_OK;
}
const ltx2_node_type comfy_get_image_size = LTX2_NODE_TYPE("GetImageSize", "Get Image Size", "image", 0,
                                                           "Width, height and frame count of an IMAGE.",
                                                           gis_inputs, gis_outputs, gis_execute);

/* ---------------------------------------------------------------- EmptyImage */
static const ltx2_port ei_inputs[] = {
    LTX2_PORT_INT("width", 512, 1, 16384, 1, 0, NULL),
    LTX2_PORT_INT("height", 512, 1, 16384, 1, 0, NULL),
    LTX2_PORT_INT("batch_size", 1, 1, 4096, 1, 0, NULL),
    LTX2_PORT_INT("color", 0, 0, 0xFFFFFF, 1, 0, "0xRRGGBB"),
};
static ltx2_status ei_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    const int64_t w = ltx2_in_int(in, 0), h = ltx2_in_int(in, 1), b = ltx2_in_int(in, 2), c = ltx2_in_int(in, 3);
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){b, h, w, 3});
    if (!t)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    const float rgb[3] = {(float)((c >> 16) & 0xFF) / 255.0f, (float)((c >> 8) & 0xFF) / 255.0f,
                          (float)(c & 0xFF) / 255.0f};
    float *d = ltx2_tensor_f32(t);
    for (int64_t i = 0; i < b * h * w; i++)
        for (int k = 0; k < 3; k++)
            d[i * 3 + k] = rgb[k];
    out[0] = ltx2_value_tensor(t);
    return LTX2_OK;
}
const ltx2_node_type comfy_empty_image = LTX2_NODE_TYPE("EmptyImage", "EmptyImage", "image", 0,
                                                        "Frames of one colour.", ei_inputs, image_out, ei_execute);
