/* png_codec.c — PNG through libpng: 8-bit RGB out; any colour type and bit depth in,
 * normalised to f32 RGB in [0, 1]. libpng reports errors by longjmp, so every
 * allocation that must survive a jump is made before setjmp or kept volatile. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io_internal.h"
#include "store/regular_file.h"

/* Decoded images larger than this many pixels are refused before decoding (a small
 * PNG can declare a huge image: 16384 x 16384 is 3 GiB of f32 RGB). The environment
 * variable LTX2_MAX_IMAGE_PIXELS raises or lowers it. */
#define DEFAULT_MAX_PIXELS ((uint64_t)8192 * 8192)

static uint64_t max_image_pixels(void)
{
    const char *v = getenv("LTX2_MAX_IMAGE_PIXELS");
    char *end = NULL;
    unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
    return n > 0 && end && !*end ? (uint64_t)n : DEFAULT_MAX_PIXELS;
}

typedef struct png_err_ctx {
    char msg[200];
} png_err_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_err_ctx *e = png_get_error_ptr(png);
    if (e)
        snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings are not errors; nothing prints */
}

ltx2_status io_png_write(FILE *f, const uint8_t *rgb, int w, int h, const char *text_key,
                         const char *text_value, ltx2_error *err)
{
    png_err_ctx ectx = {{0}};
    png_bytep *rows = malloc(sizeof(png_bytep) * (size_t)(h > 0 ? h : 1));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ectx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!rows || !png || !info) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory encoding PNG");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        return ltx2_err(err, LTX2_ERR_IO, "PNG encoding failed: %s", ectx.msg);
    }
    png_init_io(png, f);
    /* zlib level 1 instead of the default 6: measured on 41 frames of 512x320 (tiny
     * model, noisy content) SaveVideoFrames went from 1.1-1.2 s to 0.73-0.75 s with
     * the same total size; smoother real frames compress somewhat less. */
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_text text;
    if (text_key && text_value) {
        memset(&text, 0, sizeof text);
        text.compression = PNG_TEXT_COMPRESSION_NONE;
        text.key = (png_charp)text_key;
        text.text = (png_charp)text_value;
        png_set_text(png, info, &text, 1);
    }
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)(rgb + (size_t)y * (size_t)w * 3);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    return LTX2_OK;
}

/* Decodes into 8- or 16-bit RGB rows; the state lives in a struct so setjmp cannot
 * clobber it. */
typedef struct png_read_state {
    FILE *f;
    png_structp png;
    png_infop info;
    uint8_t *pixels;
    png_bytep *rows;
} png_read_state;

static void read_cleanup(png_read_state *s)
{
    png_destroy_read_struct(&s->png, &s->info, NULL);
    free(s->rows);
    free(s->pixels);
    if (s->f)
        fclose(s->f);
}

ltx2_status io_png_read(const char *path, float **out, int *out_w, int *out_h, ltx2_error *err)
{
    png_err_ctx ectx = {{0}};
    png_read_state s = {0};
    *out = NULL;
    struct stat sb;
    char msg[256];
    int fd = ltx2_open_regular(path, 0, &sb, msg, sizeof msg);
    if (fd < 0)
        return ltx2_err(err, LTX2_ERR_IO, "%s: %s", path, msg);
    s.f = fdopen(fd, "rb");
    if (!s.f) {
        close(fd);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory opening %s", path);
    }
    uint8_t sig[8];
    if (fread(sig, 1, 8, s.f) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        read_cleanup(&s);
        return ltx2_err(err, LTX2_ERR_IO, "%s is not a PNG file", path);
    }
    s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ectx, on_png_error, on_png_warning);
    s.info = s.png ? png_create_info_struct(s.png) : NULL;
    if (!s.png || !s.info) {
        read_cleanup(&s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory decoding %s", path);
    }
    png_read_state *volatile sp = &s;
    if (setjmp(png_jmpbuf(s.png))) {
        read_cleanup(sp);
        return ltx2_err(err, LTX2_ERR_IO, "%s: corrupt PNG: %s", path, ectx.msg);
    }
    png_init_io(s.png, s.f);
    png_set_sig_bytes(s.png, 8);
    /* Refuse absurd sizes before allocating (a hostile header). */
    png_set_user_limits(s.png, 1u << 15, 1u << 15);
    png_read_info(s.png, s.info);
    uint64_t pixels = (uint64_t)png_get_image_width(s.png, s.info) * png_get_image_height(s.png, s.info);
    if (pixels > max_image_pixels()) {
        read_cleanup(&s);
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED,
                        "%s: the image is %llu pixels, more than the limit of %llu "
                        "(set LTX2_MAX_IMAGE_PIXELS to raise it)",
                        path, (unsigned long long)pixels, (unsigned long long)max_image_pixels());
    }
    png_set_expand(s.png);             /* palette → RGB, grey < 8 bit → 8 bit, tRNS → alpha */
    png_set_gray_to_rgb(s.png);
    png_set_strip_alpha(s.png);
    png_set_interlace_handling(s.png);
    png_read_update_info(s.png, s.info);
    int w = (int)png_get_image_width(s.png, s.info), h = (int)png_get_image_height(s.png, s.info);
    int depth = png_get_bit_depth(s.png, s.info);
    int ch = png_get_channels(s.png, s.info);
    size_t rowbytes = png_get_rowbytes(s.png, s.info);
    if (ch != 3 || (depth != 8 && depth != 16)) {
        read_cleanup(&s);
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "%s: unexpected PNG layout after conversion", path);
    }
    s.pixels = malloc(rowbytes * (size_t)h);
    s.rows = malloc(sizeof(png_bytep) * (size_t)h);
    if (!s.pixels || !s.rows) {
        read_cleanup(&s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory decoding %s", path);
    }
    for (int y = 0; y < h; y++)
        s.rows[y] = s.pixels + (size_t)y * rowbytes;
    png_read_image(s.png, s.rows);
    png_read_end(s.png, NULL);
    /* Allocated after the last libpng call, so no longjmp can leak it. */
    float *rgb = malloc(sizeof(float) * 3 * (size_t)w * (size_t)h);
    if (!rgb) {
        read_cleanup(&s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory decoding %s", path);
    }
    size_t n = (size_t)w * (size_t)h * 3;
    for (size_t i = 0; i < n; i++) {
        if (depth == 8)
            rgb[i] = s.pixels[i] / 255.0f;
        else
            rgb[i] = (float)((s.pixels[2 * i] << 8) | s.pixels[2 * i + 1]) / 65535.0f;
    }
    read_cleanup(&s);
    *out = rgb;
    *out_w = w;
    *out_h = h;
    return LTX2_OK;
}
