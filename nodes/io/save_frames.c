/* SaveImage / SaveVideoFrames: IMAGE [F, H, W, 3] → <prefix>_00001.png …, and for
 * video also <prefix>_contact.png (downscaled frames in a grid). All files are
 * written as temps (each closed once written, so any frame count fits the open-file
 * limit) and renamed together at the end; a failure or a cancel leaves none of
 * them. After the rename, frames of an earlier, longer save under the same prefix
 * (<prefix>_NNNNN.png past the new count) are removed, so the folder holds exactly
 * the new sequence. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io_internal.h"
#include "node.h"

enum { IN_IMAGES, IN_PREFIX, IN_FPS };
#define THUMB_MAX 256 /* contact-sheet thumbnails are at most this wide or tall */

/* One frame of x (f32 [H][W][3]) to 8-bit. */
static void frame_to_u8(const float *x, int64_t n, uint8_t *rgb)
{
    for (int64_t i = 0; i < n; i++)
        rgb[i] = io_to_u8(x[i]);
}

/* Box-downscaled frames in a near-square grid, black where no frame falls. */
static uint8_t *contact_sheet(const float *x, int64_t F, int64_t H, int64_t W, int *sw, int *sh)
{
    int64_t longest = H > W ? H : W, f = (longest + THUMB_MAX - 1) / THUMB_MAX;
    int64_t th = H / f > 0 ? H / f : 1, tw = W / f > 0 ? W / f : 1;
    int64_t cols = (int64_t)ceil(sqrt((double)F)), rows = (F + cols - 1) / cols;
    *sw = (int)(cols * tw);
    *sh = (int)(rows * th);
    uint8_t *img = calloc((size_t)(*sw) * (size_t)(*sh) * 3, 1);
    if (!img)
        return NULL;
    for (int64_t k = 0; k < F; k++) {
        const float *fr = x + k * H * W * 3;
        int64_t ox = (k % cols) * tw, oy = (k / cols) * th;
        for (int64_t y = 0; y < th; y++)
            for (int64_t xx = 0; xx < tw; xx++)
                for (int c = 0; c < 3; c++) {
                    float s = 0;
                    int64_t cnt = 0;
                    for (int64_t dy = 0; dy < f && y * f + dy < H; dy++)
                        for (int64_t dx = 0; dx < f && xx * f + dx < W; dx++, cnt++)
                            s += fr[((y * f + dy) * W + xx * f + dx) * 3 + c];
                    img[((oy + y) * (*sw) + ox + xx) * 3 + c] = io_to_u8(cnt ? s / (float)cnt : 0);
                }
    }
    return img;
}

/* The frame number of `name` when it is <base>_NNNNN.png (5 or more digits), else 0. */
static long long frame_number(const char *name, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) != 0 || name[bl] != '_')
        return 0;
    const char *d = name + bl + 1;
    size_t nd = 0;
    long long v = 0;
    while (d[nd] >= '0' && d[nd] <= '9' && nd < 18)
        v = v * 10 + (d[nd++] - '0');
    return nd >= 5 && strcmp(d + nd, ".png") == 0 ? v : 0;
}

/* Removes <prefix>_NNNNN.png for NNNNN > n_frames: what a longer earlier save left. */
static ltx2_status remove_stale_frames(const char *prefix, int64_t n_frames, ltx2_error *err)
{
    char *dir = strdup(prefix);
    if (!dir)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir, *dname = ".";
    if (slash) {
        *slash = 0;
        dname = slash == dir ? "/" : dir;
    }
    DIR *d = opendir(dname);
    ltx2_status st = LTX2_OK;
    if (!d) {
        st = ltx2_err(err, LTX2_ERR_IO, "cannot list %s for stale frames: %s", dname, strerror(errno));
    } else {
        struct dirent *e;
        while (st == LTX2_OK && (e = readdir(d))) {
            if (frame_number(e->d_name, base) > n_frames &&
                unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT)
                st = ltx2_err(err, LTX2_ERR_IO, "cannot remove the stale frame %s/%s: %s", dname,
                              e->d_name, strerror(errno));
        }
        closedir(d);
    }
    free(dir);
    return st;
}

static ltx2_status save_frames(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, int video)
{
    const ltx2_node_type *type = ((ltx2_node *)inst)->type;
    ltx2_tensor *images = NULL;
    ltx2_status st = ltx2_in_tensor(ctx, type, in, IN_IMAGES, &images);
    if (st != LTX2_OK)
        return st;
    const char *prefix = ltx2_in_string(in, IN_PREFIX);
    if (!prefix[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "filename_prefix", "empty file name prefix");
    int nd = images->ndim;
    if ((nd != 4 && nd != 3) || images->shape[nd - 1] != 3)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "images", "expected IMAGE [F, H, W, 3]");
    int64_t F = nd == 4 ? images->shape[0] : 1, H = images->shape[nd - 3], W = images->shape[nd - 2];
    if (F < 1 || H < 1 || W < 1 || H > 65535 || W > 65535)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "images", "empty or oversized image batch");
    ltx2_tensor *x = ltx2_tensor_as_f32(images);
    size_t n_files = (size_t)F + (video ? 1 : 0);
    io_tmp *tmps = calloc(n_files, sizeof *tmps);
    uint8_t *rgb = malloc((size_t)(H * W * 3));
    size_t plen = strlen(prefix) + 32;
    char *path = malloc(plen);
    if (!x || !tmps || !rgb || !path) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, "images", "out of memory");
        goto done;
    }
    char fps_text[32];
    snprintf(fps_text, sizeof fps_text, "%g", video && ltx2_in_present(in, IN_FPS) ? ltx2_in_float(in, IN_FPS) : 0.0);
    ltx2_error err = {0};
    size_t opened = 0;
    for (int64_t k = 0; k < F && st == LTX2_OK; k++) {
        if (ltx2_progress(ctx, (double)k, (double)F, "writing frames") == LTX2_CANCELLED) {
            st = LTX2_CANCELLED;
            break;
        }
        snprintf(path, plen, "%s_%05lld.png", prefix, (long long)(k + 1));
        if (io_tmp_open(&tmps[opened], path, &err) != LTX2_OK) {
            st = ltx2_fail_err(ctx, "filename_prefix", &err);
            break;
        }
        opened++;
        frame_to_u8(ltx2_tensor_cf32(x) + k * H * W * 3, H * W * 3, rgb);
        if (io_png_write(tmps[opened - 1].f, rgb, (int)W, (int)H, video ? "fps" : NULL, fps_text, &err) != LTX2_OK ||
            io_tmp_finish(&tmps[opened - 1], &err) != LTX2_OK)
            st = ltx2_fail_err(ctx, "filename_prefix", &err);
    }
    if (st == LTX2_OK && video) {
        int sw = 0, sh = 0;
        uint8_t *sheet = contact_sheet(ltx2_tensor_cf32(x), F, H, W, &sw, &sh);
        snprintf(path, plen, "%s_contact.png", prefix);
        if (!sheet)
            st = ltx2_fail(ctx, LTX2_ERR_OOM, "images", "out of memory for the contact sheet");
        else if (io_tmp_open(&tmps[opened], path, &err) != LTX2_OK)
            st = ltx2_fail_err(ctx, "filename_prefix", &err);
        else if (opened++, io_png_write(tmps[opened - 1].f, sheet, sw, sh, "fps", fps_text, &err) != LTX2_OK)
            st = ltx2_fail_err(ctx, "filename_prefix", &err);
        free(sheet);
    }
    if (st == LTX2_OK && ltx2_cancelled(ctx))
        st = LTX2_CANCELLED;
    if (st == LTX2_OK) {
        if (io_tmp_commit_all(tmps, opened, &err) != LTX2_OK ||
            remove_stale_frames(prefix, F, &err) != LTX2_OK)
            st = ltx2_fail_err(ctx, "filename_prefix", &err);
        opened = 0;
    }
    for (size_t i = opened; i-- > 0;) /* last first: the first holds the folder it created */
        io_tmp_discard(&tmps[i], 0);
    if (st == LTX2_OK)
        ltx2_progress(ctx, (double)F, (double)F, "writing frames");
done:
    free(path);
    free(rgb);
    free(tmps);
    ltx2_tensor_release(x);
    return st;
}

static ltx2_status save_image(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)out;
    return save_frames(inst, ctx, in, 0);
}

static ltx2_status save_video_frames(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)out;
    return save_frames(inst, ctx, in, 1);
}

static const ltx2_port image_inputs[] = {
    LTX2_PORT("images", "IMAGE", 0, "Frames [F, H, W, 3] in [0, 1]."),
    LTX2_PORT_STRING("filename_prefix", "ltx2/image", 0,
                     "Path prefix (folders are created): writes <prefix>_00001.png, ..."),
};
const ltx2_node_type ltx2_node_save_image =
    IO_WRITER_NODE_TYPE("SaveImage", "Save Image",
                        "Writes each frame as an 8-bit PNG, all files or none.", image_inputs, save_image);

static const ltx2_port video_inputs[] = {
    LTX2_PORT("images", "IMAGE", 0, "Frames [F, H, W, 3] in [0, 1]."),
    LTX2_PORT_STRING("filename_prefix", "ltx2/video", 0,
                     "Path prefix (folders are created): <prefix>_00001.png ... and <prefix>_contact.png."),
    LTX2_PORT_FLOAT("fps", 24.0, 0.0, 1000.0, 0.001, LTX2_PORT_OPTIONAL,
                    "Frame rate, recorded in each PNG's text chunk."),
};
const ltx2_node_type ltx2_node_save_video_frames =
    IO_WRITER_NODE_TYPE("SaveVideoFrames", "Save Video Frames",
                        "Writes numbered PNG frames and a contact sheet of downscaled frames.",
                        video_inputs, save_video_frames);
