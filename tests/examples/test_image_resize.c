/* LTX2ImageResize's arithmetic: PyTorch bilinear (align_corners = false, no antialias)
 * values, the cover/fit sizes and centre offsets of the reference's
 * resize_and_center_crop, black padding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "image/image_resize.h"

static int failures;
#define CHECK(c, ...)                                  \
    do {                                               \
        if (!(c)) {                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);              \
            fputc('\n', stderr);                       \
            failures++;                                \
        }                                              \
    } while (0)

/* 2×2 grey ramp [[0,1],[2,3]] → 4×4: the values torch.nn.functional.interpolate gives */
static void upsample_values(void)
{
    float src[2 * 2 * 3], dst[4 * 4 * 3];
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
            src[i * 3 + c] = (float)i;
    ltx2_resize_frame(src, 2, 2, dst, 4, 4, 4, 4);
    static const float want[16] = {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f,
                                   1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
    for (int i = 0; i < 16; i++)
        for (int c = 0; c < 3; c++)
            CHECK(fabsf(dst[i * 3 + c] - want[i]) < 1e-6f, "pixel %d: %g, want %g", i, dst[i * 3 + c], want[i]);
}

static void sizes(void)
{
    int64_t nw, nh;
    ltx2_fit_size(320, 200, 256, 192, LTX2_FIT_CROP, &nw, &nh); /* scale max(0.8, 0.96) */
    CHECK(nw == 308 && nh == 192, "crop: %lldx%lld, want 308x192", (long long)nw, (long long)nh);
    ltx2_fit_size(320, 200, 256, 192, LTX2_FIT_PAD, &nw, &nh); /* scale min = 0.8 */
    CHECK(nw == 256 && nh == 160, "pad: %lldx%lld, want 256x160", (long long)nw, (long long)nh);
    ltx2_fit_size(320, 200, 256, 192, LTX2_FIT_STRETCH, &nw, &nh);
    CHECK(nw == 256 && nh == 192, "stretch: %lldx%lld", (long long)nw, (long long)nh);
    ltx2_fit_size(512, 512, 512, 512, LTX2_FIT_CROP, &nw, &nh);
    CHECK(nw == 512 && nh == 512, "same size: %lldx%lld", (long long)nw, (long long)nh);
}

/* Identity at the same size; a crop takes the centre columns; pad leaves black bars. */
static void crop_and_pad(void)
{
    enum { W = 8, H = 4 };
    float src[H * W * 3], dst[H * W * 3], small[H * 4 * 3];
    for (int i = 0; i < H * W; i++)
        for (int c = 0; c < 3; c++)
            src[i * 3 + c] = (float)(i % W) / W + 0.01f * (float)c;
    ltx2_resize_frame(src, W, H, dst, W, H, W, H);
    for (int i = 0; i < H * W * 3; i++)
        CHECK(dst[i] == src[i], "identity differs at %d", i);
    /* 8x4 → 4x4 by cropping (scale 1): columns 2..5 */
    ltx2_resize_frame(src, W, H, small, 4, H, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < 4; x++)
            CHECK(small[(y * 4 + x) * 3] == src[(y * W + x + 2) * 3], "crop column %d", x);
    /* 8x4 into 8x8 padded: rows 0-1 and 6-7 black, rows 2-5 the picture */
    float tall[8 * W * 3];
    ltx2_resize_frame(src, W, H, tall, W, 8, W, H);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < W; x++) {
            float v = tall[(y * W + x) * 3 + 1], want = (y < 2 || y >= 6) ? 0.0f : src[((y - 2) * W + x) * 3 + 1];
            CHECK(v == want, "pad (%d,%d): %g want %g", x, y, v, want);
        }
}

int main(void)
{
    upsample_values();
    sizes();
    crop_and_pad();
    if (!failures)
        printf("ok\n");
    return failures ? 1 : 0;
}
