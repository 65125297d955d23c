/* tiny_images.c — two procedural PNG pictures (a sun over hills, morning and evening)
 * as inputs for the image-to-video and keyframe examples. 320 × 200 on purpose: not
 * a multiple of 32, so the examples exercise LTX2ImageResize. */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include "tiny_images.h"

enum { W = 320, H = 200 };

static void paint(unsigned char *rgb, double t)
{
    double sx = 60 + 200 * t, sy = 60 + 40 * t, r = 26; /* the sun moves right and down */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = (double)y / H, hill = 140 + 18 * sin(x * 0.03 + 1.3) + 10 * sin(x * 0.071);
            double R = 90 + 150 * v * (0.6 + 0.4 * t), G = 140 + 60 * v - 50 * t, B = 230 - 120 * v * t;
            double d = hypot(x - sx, y - sy);
            if (d < r) {
                R = 255, G = 220 - 60 * t, B = 90;
            } else if (d < 2 * r) { /* glow */
                double g = 1 - (d - r) / r;
                R += (255 - R) * 0.5 * g, G += (200 - G) * 0.5 * g;
            }
            if (y > hill) {
                double k = (y - hill) / (H - hill + 1);
                R = 40 + 40 * k, G = 110 - 40 * k - 30 * t, B = 50;
                if (((x / 8) + (y / 8)) % 5 == 0) G += 20; /* some texture on the grass */
            }
            unsigned char *p = rgb + ((size_t)y * W + (size_t)x) * 3;
            p[0] = (unsigned char)fmin(255, fmax(0, R));
            p[1] = (unsigned char)fmin(255, fmax(0, G));
            p[2] = (unsigned char)fmin(255, fmax(0, B));
        }
}

static int write_png(const char *path, const unsigned char *rgb)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    int rc = -1;
    if (png && info && !setjmp(png_jmpbuf(png))) {
        png_init_io(png, f);
        png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < H; y++)
            png_write_row(png, (png_const_bytep)(rgb + (size_t)y * W * 3));
        png_write_end(png, NULL);
        rc = 0;
    }
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int tiny_write_images(const char *dir)
{
    unsigned char *rgb = malloc((size_t)W * H * 3);
    char path[4096];
    int rc = rgb ? 0 : -1;
    static const char *const names[2] = {"start.png", "end.png"};
    for (int i = 0; i < 2 && rc == 0; i++) {
        paint(rgb, (double)i);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = write_png(path, rgb);
        if (rc)
            fprintf(stderr, "ltx2-make-tiny: cannot write %s\n", path);
        else
            printf("wrote %s\n", path);
    }
    free(rgb);
    return rc;
}
