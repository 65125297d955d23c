/* gemma3_image.c — Pillow-exact bilinear resize of 8-bit RGB, then SigLIP normalisation. */
#include "text/gemma3_image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PREC_BITS 22 /* Pillow's fixed point for 8-bit images: 32 - 8 - 2 */

void ltx2_image_to_u8(const float *src, int64_t n, uint8_t *dst)
{
    for (int64_t i = 0; i < n; ++i) {
        float v = src[i] * 255.0f;
        dst[i] = v >= 255.0f ? 255 : v > 0.0f ? (uint8_t)v : 0;
    }
}

/* Taps of one axis: out pixel o reads in[first[o] .. first[o]+count[o]) with weights
 * k[o * ksize ..] in fixed point. Pillow's triangle filter widened by the shrink factor. */
typedef struct taps {
    int64_t ksize;
    int64_t *first, *count;
    int32_t *k;
} taps;

static void taps_free(taps *t)
{
    free(t->first), free(t->count), free(t->k);
}

static int taps_make(int64_t in, int64_t out, taps *t)
{
    const double scale = (double)in / (double)out, fscale = scale < 1.0 ? 1.0 : scale, support = fscale;
    t->ksize = (int64_t)ceil(support) * 2 + 1;
    t->first = malloc((size_t)out * sizeof *t->first), t->count = malloc((size_t)out * sizeof *t->count);
    t->k = calloc((size_t)(out * t->ksize), sizeof *t->k);
    double *w = malloc((size_t)t->ksize * sizeof *w);
    if (!t->first || !t->count || !t->k || !w) {
        free(w);
        return 0;
    }
    for (int64_t o = 0; o < out; ++o) {
        const double center = ((double)o + 0.5) * scale;
        int64_t lo = (int64_t)(center - support + 0.5), hi = (int64_t)(center + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        double sum = 0;
        for (int64_t x = 0; x < hi - lo; ++x) {
            double d = fabs(((double)(x + lo) - center + 0.5) / fscale);
            w[x] = d < 1.0 ? 1.0 - d : 0.0;
            sum += w[x];
        }
        for (int64_t x = 0; x < hi - lo; ++x) {
            double v = sum != 0.0 ? w[x] / sum : w[x];
            t->k[o * t->ksize + x] = (int32_t)(v < 0 ? -0.5 + v * (1 << PREC_BITS) : 0.5 + v * (1 << PREC_BITS));
        }
        t->first[o] = lo, t->count[o] = hi - lo;
    }
    free(w);
    return 1;
}

static uint8_t clip8(int64_t ss)
{
    ss >>= PREC_BITS;
    return ss < 0 ? 0 : ss > 255 ? 255 : (uint8_t)ss;
}

/* One axis pass over 8-bit RGB: stride_in/out between taps, n_lines lines of `line` apart. */
static void pass(const uint8_t *src, uint8_t *dst, const taps *t, int64_t out, int64_t n_lines, int64_t in_line,
                 int64_t out_line, int64_t in_step, int64_t out_step)
{
    for (int64_t l = 0; l < n_lines; ++l)
        for (int64_t o = 0; o < out; ++o)
            for (int c = 0; c < 3; ++c) {
                int64_t ss = (int64_t)1 << (PREC_BITS - 1);
                const int32_t *k = t->k + o * t->ksize;
                for (int64_t x = 0; x < t->count[o]; ++x)
                    ss += (int64_t)src[l * in_line + (t->first[o] + x) * in_step + c] * k[x];
                dst[l * out_line + o * out_step + c] = clip8(ss);
            }
}

ltx2_status ltx2_gemma3_image_prep(const uint8_t *rgb, int64_t w, int64_t h, int64_t size, float *out,
                                   ltx2_error *err)
{
    if (w < 1 || h < 1 || size < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "image: empty (%lldx%lld)", (long long)w, (long long)h);
    taps th = {0}, tv = {0};
    uint8_t *mid = malloc((size_t)(h * size * 3)), *fin = malloc((size_t)(size * size * 3));
    ltx2_status st = LTX2_OK;
    if (!mid || !fin || !taps_make(w, size, &th) || !taps_make(h, size, &tv)) {
        st = ltx2_err(err, LTX2_ERR_OOM, "image: out of memory");
        goto done;
    }
    /* Pillow skips an axis whose size does not change. */
    if (w != size) pass(rgb, mid, &th, size, h, w * 3, size * 3, 3, 3);
    else memcpy(mid, rgb, (size_t)(h * w * 3));
    if (h != size) pass(mid, fin, &tv, size, size, 3, 3, size * 3, size * 3);
    else memcpy(fin, mid, (size_t)(size * size * 3));
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < size * size; ++i) {
            float v = (float)((double)fin[i * 3 + c] * (1.0 / 255.0));
            out[c * size * size + i] = (v - 0.5f) / 0.5f;
        }
done:
    taps_free(&th), taps_free(&tv);
    free(mid), free(fin);
    return st;
}
