/* LTX2ImageResize: IMAGE [F, H, W, 3] → IMAGE [F, height, width, 3] with width and
 * height snapped down to multiples of 32 (the video VAE's pixel grid), by centre
 * crop (the reference's resize_and_center_crop), black padding, or stretching. */
#include <string.h>
#include "image_resize.h"
#include "node.h"

enum { IN_IMAGE, IN_WIDTH, IN_HEIGHT, IN_MODE };
#define GRID 32

static const char *const mode_options[] = {"crop", "pad", "stretch", NULL};

static int64_t snap(int64_t v)
{
    int64_t s = v / GRID * GRID;
    return s < GRID ? GRID : s;
}

static ltx2_status image_resize(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *type = ((ltx2_node *)inst)->type;
    ltx2_tensor *img = NULL;
    ltx2_status st = ltx2_in_tensor(ctx, type, in, IN_IMAGE, &img);
    if (st != LTX2_OK)
        return st;
    if (img->ndim != 4 || img->shape[3] != 3 || img->shape[1] < 1 || img->shape[2] < 1)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "image", "expected IMAGE [F, H, W, 3]");
    const char *m = ltx2_in_string(in, IN_MODE);
    ltx2_fit_mode mode = strcmp(m, "pad") == 0       ? LTX2_FIT_PAD
                         : strcmp(m, "stretch") == 0 ? LTX2_FIT_STRETCH
                                                     : LTX2_FIT_CROP;
    int64_t w0 = ltx2_in_int(in, IN_WIDTH), h0 = ltx2_in_int(in, IN_HEIGHT);
    int64_t tw = snap(w0), th = snap(h0);
    if (tw != w0 || th != h0)
        ltx2_logf(ctx, LTX2_LOG_WARN, "size %lldx%lld snapped to %lldx%lld (multiples of %d)", (long long)w0,
                  (long long)h0, (long long)tw, (long long)th, GRID);
    ltx2_tensor *src = ltx2_tensor_to_f32(img); /* contiguous f32 copy whatever came in */
    ltx2_tensor *dst = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){img->shape[0], th, tw, 3});
    if (!src || !dst) {
        ltx2_tensor_release(src);
        ltx2_tensor_release(dst);
        return ltx2_fail(ctx, LTX2_ERR_OOM, "image", "out of memory for %lldx%lld frames", (long long)tw,
                         (long long)th);
    }
    const int64_t F = img->shape[0], h = img->shape[1], w = img->shape[2];
    int64_t nw, nh;
    ltx2_fit_size(w, h, tw, th, mode, &nw, &nh);
    for (int64_t f = 0; f < F; f++) {
        if ((st = ltx2_progress(ctx, (double)f, (double)F, "resize")) != LTX2_OK)
            break;
        ltx2_resize_frame(ltx2_tensor_cf32(src) + f * h * w * 3, w, h, ltx2_tensor_f32(dst) + f * th * tw * 3, tw,
                          th, nw, nh);
    }
    ltx2_tensor_release(src);
    if (st != LTX2_OK) {
        ltx2_tensor_release(dst);
        return st;
    }
    ltx2_progress(ctx, (double)F, (double)F, "resize");
    out[0] = ltx2_value_tensor(dst);
    return LTX2_OK;
}

static const ltx2_port inputs[] = {
    LTX2_PORT("image", "IMAGE", 0, "Frames [F, H, W, 3] in [0, 1]."),
    LTX2_PORT_INT("width", 768, GRID, 16384, GRID, 0, "Output width; snapped down to a multiple of 32 (with a warning)."),
    LTX2_PORT_INT("height", 512, GRID, 16384, GRID, 0, "Output height; snapped down to a multiple of 32 (with a warning)."),
    LTX2_PORT_COMBO("mode", mode_options, "crop", 0,
                    "crop: scale to cover, centre crop (as the reference's image conditioning). pad: scale to fit, "
                    "black borders. stretch: ignore the aspect ratio."),
};
static const ltx2_port outputs[] = {
    LTX2_PORT("IMAGE", "IMAGE", 0, "[F, height, width, 3], bilinear (align_corners = false, no antialias)."),
};
const ltx2_node_type ltx2_node_image_resize =
    LTX2_NODE_TYPE("LTX2ImageResize", "LTX-2 Image Resize", "ltx2/image", LTX2_NODE_CANCELLABLE | LTX2_NODE_PROGRESS,
                   "Resizes frames to the video grid (multiples of 32) for image-to-video and keyframe conditioning.",
                   inputs, outputs, image_resize);
