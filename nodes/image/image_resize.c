/* image_resize.c — bilinear (align_corners = false) resize + centre crop / pad. */
#include <math.h>
#include <string.h>
#include "image_resize.h"

void ltx2_fit_size(int64_t w, int64_t h, int64_t tw, int64_t th, ltx2_fit_mode mode, int64_t *nw, int64_t *nh)
{
    double sx = (double)tw / (double)w, sy = (double)th / (double)h;
    if (mode == LTX2_FIT_CROP) {
        double s = sx > sy ? sx : sy;
        *nw = (int64_t)ceil((double)w * s - 1e-9);
        *nh = (int64_t)ceil((double)h * s - 1e-9);
        if (*nw < tw) *nw = tw;
        if (*nh < th) *nh = th;
    } else if (mode == LTX2_FIT_PAD) {
        double s = sx < sy ? sx : sy;
        *nw = (int64_t)floor((double)w * s + 1e-9);
        *nh = (int64_t)floor((double)h * s + 1e-9);
        if (*nw < 1) *nw = 1;
        if (*nh < 1) *nh = 1;
        if (*nw > tw) *nw = tw;
        if (*nh > th) *nh = th;
    } else {
        *nw = tw;
        *nh = th;
    }
}

/* Source coordinate of output index i when n_in samples are scaled to n_out
 * (PyTorch's half-pixel rule, clamped at 0 as it does). */
static void src_index(int64_t i, int64_t n_in, int64_t n_out, int64_t *i0, int64_t *i1, float *frac)
{
    double s = ((double)i + 0.5) * (double)n_in / (double)n_out - 0.5;
    if (s < 0) s = 0;
    int64_t a = (int64_t)s;
    if (a > n_in - 1) a = n_in - 1;
    *i0 = a;
    *i1 = a + 1 < n_in ? a + 1 : n_in - 1;
    *frac = (float)(s - (double)a);
}

void ltx2_resize_frame(const float *src, int64_t w, int64_t h, float *dst, int64_t tw, int64_t th, int64_t nw,
                       int64_t nh)
{
    /* offset of the target window inside the scaled frame: > 0 crops, < 0 pads */
    int64_t ox = nw >= tw ? (nw - tw) / 2 : -((tw - nw) / 2);
    int64_t oy = nh >= th ? (nh - th) / 2 : -((th - nh) / 2);
    for (int64_t y = 0; y < th; y++) {
        int64_t Y = y + oy;
        float *row = dst + y * tw * 3;
        if (Y < 0 || Y >= nh) {
            memset(row, 0, sizeof(float) * (size_t)(tw * 3));
            continue;
        }
        int64_t y0, y1;
        float fy;
        src_index(Y, h, nh, &y0, &y1, &fy);
        for (int64_t x = 0; x < tw; x++) {
            int64_t X = x + ox;
            if (X < 0 || X >= nw) {
                row[x * 3] = row[x * 3 + 1] = row[x * 3 + 2] = 0.0f;
                continue;
            }
            int64_t x0, x1;
            float fx;
            src_index(X, w, nw, &x0, &x1, &fx);
            for (int c = 0; c < 3; c++) {
                float a = src[(y0 * w + x0) * 3 + c], b = src[(y0 * w + x1) * 3 + c];
                float p = src[(y1 * w + x0) * 3 + c], q = src[(y1 * w + x1) * 3 + c];
                float top = a + (b - a) * fx, bot = p + (q - p) * fx;
                row[x * 3 + c] = top + (bot - top) * fy;
            }
        }
    }
}
