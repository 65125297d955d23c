/*
 * layout.c — channels-last layout changes: depth-to-space / space-to-depth in 3D,
 * nearest upsampling, and 2D transpose ([c][n] ↔ [n][c]). Pure copies, split over
 * output rows.
 */
#include "kbackend.h"

#include <string.h>

/* ---------------------------------------------------------------- block transpose */
typedef struct tb_args {
    int64_t rows, cols, width;
    const float *x;
    float *y;
} tb_args;

/* one item = one output row j: the j-th block of every input row */
static void tb_task(void *arg, int64_t j0, int64_t j1, int tid)
{
    (void)tid;
    const tb_args *a = arg;
    for (int64_t j = j0; j < j1; j++)
        for (int64_t i = 0; i < a->rows; i++)
            memcpy(a->y + (j * a->rows + i) * a->width, a->x + (i * a->cols + j) * a->width,
                   sizeof(float) * (size_t)a->width);
}

kstatus k_transpose_blocks(const kctx *ctx, int64_t rows, int64_t cols, int64_t width, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_transpose_blocks(ctx, rows, cols, width, x, y));
    if (rows < 0 || cols < 0 || width < 0) return KS_BAD_ARG;
    if (!rows || !cols || !width) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    tb_args a = {rows, cols, width, x, y};
    return k_par(ctx, cols, 16384 / (rows * width) + 1, tb_task, &a);
}

/* ---------------------------------------------------------------- depth/space */
typedef struct d2s_args {
    int64_t t, h, w, c;
    int pt, ph, pw;
    const float *x;
    float *y;
    int inverse; /* 0: depth-to-space, 1: space-to-depth */
    int w_major; /* channel sub-index (i, k, j) instead of (i, j, k): the VAE's patch order */
} d2s_args;

/* One task item = one input position (ti, hi, wi): its c*pt*ph*pw channels map to a
 * pt×ph×pw block of output pixels of c channels (or the reverse). */
static void d2s_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const d2s_args *a = arg;
    int64_t T = a->t * a->pt, H = a->h * a->ph, W = a->w * a->pw;
    (void)T;
    int64_t cin = a->c * a->pt * a->ph * a->pw;
    for (int64_t pos = begin; pos < end; pos++) {
        int64_t wi = pos % a->w, hi = (pos / a->w) % a->h, ti = pos / (a->w * a->h);
        const float *xs = a->x + pos * cin;
        float *ys = a->y + pos * cin;
        for (int i = 0; i < a->pt; i++)
            for (int j = 0; j < a->ph; j++)
                for (int k = 0; k < a->pw; k++) {
                    int64_t big = (((ti * a->pt + i) * H + hi * a->ph + j) * W + wi * a->pw + k) * a->c;
                    int64_t sub = a->w_major ? ((int64_t)i * a->pw + k) * a->ph + j
                                             : ((int64_t)i * a->ph + j) * a->pw + k;
                    int64_t stride = (int64_t)a->pt * a->ph * a->pw;
                    if (!a->inverse) {
                        float *yo = a->y + big;
                        for (int64_t ci = 0; ci < a->c; ci++) yo[ci] = xs[ci * stride + sub];
                    } else {
                        const float *xi = a->x + big;
                        for (int64_t ci = 0; ci < a->c; ci++) ys[ci * stride + sub] = xi[ci];
                    }
                }
    }
}

/* Sizes of a channels-last layout op: OK (empty), bad, or runnable (KS_UNSUPPORTED). */
static kstatus dims_check(int64_t t, int64_t h, int64_t w, int64_t c, int ft, int fh, int fw, const float *x,
                          const float *y)
{
    if (t < 0 || h < 0 || w < 0 || c < 0 || ft <= 0 || fh <= 0 || fw <= 0) return KS_BAD_ARG;
    if (!t || !h || !w || !c) return KS_OK;
    return x && y ? KS_UNSUPPORTED : KS_BAD_ARG;
}

static kstatus d2s_run(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph,
                       int pw, const float *x, float *y, int inverse, int w_major)
{
    kstatus st = dims_check(t, h, w, c, pt, ph, pw, x, y);
    if (st != KS_UNSUPPORTED) return st;
    d2s_args a = {t, h, w, c, pt, ph, pw, x, y, inverse, w_major};
    int64_t per = c * pt * ph * pw;
    return k_par(ctx, t * h * w, 16384 / per + 1, d2s_task, &a);
}

kstatus k_depth_to_space3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt,
                           int ph, int pw, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_depth_to_space3d(ctx, t, h, w, c, pt, ph, pw, x, y));
    return d2s_run(ctx, t, h, w, c, pt, ph, pw, x, y, 0, 0);
}

/* t, h, w, c describe the depth-to-space INPUT (the space-to-depth output):
 * x [t*pt][h*ph][w*pw][c] → y [t][h][w][c*pt*ph*pw]. */
kstatus k_space_to_depth3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt,
                           int ph, int pw, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_space_to_depth3d(ctx, t, h, w, c, pt, ph, pw, x, y));
    return d2s_run(ctx, t, h, w, c, pt, ph, pw, x, y, 1, 0);
}

kstatus k_patchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_patchify2d(ctx, t, h, w, c, p, x, y));
    return d2s_run(ctx, t, h, w, c, 1, p, p, x, y, 1, 1);
}

kstatus k_unpatchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_unpatchify2d(ctx, t, h, w, c, p, x, y));
    return d2s_run(ctx, t, h, w, c, 1, p, p, x, y, 0, 1);
}

/* ---------------------------------------------------------------- nearest upsample */
typedef struct up_args {
    int64_t t, h, w, c;
    int ft, fh, fw;
    const float *x;
    float *y;
} up_args;

static void up_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const up_args *a = arg;
    int64_t H = a->h * a->fh, W = a->w * a->fw;
    for (int64_t row = begin; row < end; row++) { /* output row (to, ho) */
        int64_t ho = row % H, to = row / H;
        const float *xs = a->x + ((to / a->ft) * a->h + ho / a->fh) * a->w * a->c;
        float *ys = a->y + row * W * a->c;
        for (int64_t wo = 0; wo < W; wo++)
            memcpy(ys + wo * a->c, xs + (wo / a->fw) * a->c, sizeof(float) * (size_t)a->c);
    }
}

kstatus k_upsample_nearest3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int ft,
                             int fh, int fw, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_upsample_nearest3d(ctx, t, h, w, c, ft, fh, fw, x, y));
    kstatus st = dims_check(t, h, w, c, ft, fh, fw, x, y);
    if (st != KS_UNSUPPORTED) return st;
    up_args a = {t, h, w, c, ft, fh, fw, x, y};
    int64_t per = w * fw * c;
    return k_par(ctx, t * ft * h * fh, 16384 / per + 1, up_task, &a);
}

/* ---------------------------------------------------------------- transpose */
typedef struct tr_args {
    int64_t rows, cols;
    const float *x;
    float *y;
} tr_args;

#define TR_BLOCK 32

/* Item = a block of TR_BLOCK output rows (= input columns), walked in square tiles so
 * both sides stay in cache. */
static void tr_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const tr_args *a = arg;
    for (int64_t b = begin; b < end; b++) {
        int64_t c0 = b * TR_BLOCK, c1 = c0 + TR_BLOCK < a->cols ? c0 + TR_BLOCK : a->cols;
        for (int64_t r0 = 0; r0 < a->rows; r0 += TR_BLOCK) {
            int64_t r1 = r0 + TR_BLOCK < a->rows ? r0 + TR_BLOCK : a->rows;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t r = r0; r < r1; r++) a->y[c * a->rows + r] = a->x[r * a->cols + c];
        }
    }
}

kstatus k_transpose2d(const kctx *ctx, int64_t rows, int64_t cols, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_transpose2d(ctx, rows, cols, x, y));
    kstatus st = dims_check(1, 1, rows, cols, 1, 1, 1, x, y);
    if (st != KS_UNSUPPORTED) return st;
    tr_args a = {rows, cols, x, y};
    int64_t blocks = (cols + TR_BLOCK - 1) / TR_BLOCK;
    return k_par(ctx, blocks, 16384 / (rows * TR_BLOCK) + 1, tr_task, &a);
}
