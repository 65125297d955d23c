/* LoadImage: a PNG file → IMAGE [1, H, W, 3] f32 in [0, 1] (any colour type and
 * bit depth; alpha dropped). */
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"
#include "node.h"

static ltx2_status load_image(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    const char *path = ltx2_in_string(in, 0);
    if (!path[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "image", "no file given");
    float *rgb = NULL;
    int w = 0, h = 0;
    ltx2_error err = {0};
    if (io_png_read(path, &rgb, &w, &h, &err) != LTX2_OK)
        return ltx2_fail_err(ctx, "image", &err);
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){1, h, w, 3});
    if (!t) {
        free(rgb);
        return ltx2_fail(ctx, LTX2_ERR_OOM, "image", "out of memory for a %dx%d image", w, h);
    }
    memcpy(t->data, rgb, sizeof(float) * 3 * (size_t)w * (size_t)h);
    free(rgb);
    out[0] = ltx2_value_tensor(t);
    return LTX2_OK;
}

static const ltx2_port inputs[] = {
    LTX2_PORT_STRING("image", "", LTX2_PORT_FILE | LTX2_PORT_UPLOAD, "The PNG file to load."),
};
static const ltx2_port outputs[] = {
    LTX2_PORT("IMAGE", "IMAGE", 0, "[1, H, W, 3] float in [0, 1]."),
};
const ltx2_node_type ltx2_node_load_image =
    LTX2_NODE_TYPE("LoadImage", "Load Image", "ltx2/io", 0,
                   "Loads a PNG image (any colour type or bit depth) as an IMAGE.", inputs, outputs,
                   load_image);
