/* vae_ops.c — the video VAE's and latent upscaler's per-element steps as pooled ops
 * (latent (un)normalization with the layout change, the up/down blocks' residuals, the
 * rational upsampler's blur, and the tiled decode's crop, blend and weighted average), so
 * that no node loops over activation memory. Each loop keeps the arithmetic order the
 * model code had, so results are bit-identical to it. */
#include "kbackend.h"

#define VO_GRAIN 16384 /* elements per chunk */

typedef struct vo_args {
    int64_t a, b, c, d;        /* sizes (meaning per op) */
    const float *x, *x2, *p, *q, *r;
    float *y;
    float s;
    int k, stride;
    const kbox3d *box;
} vo_args;

static int64_t grain_of(int64_t per_item)
{
    return per_item >= VO_GRAIN ? 1 : VO_GRAIN / (per_item > 0 ? per_item : 1);
}

/* ---------------------------------------------------------------- latent (un)normalization */
/* items: positions i; a = C, b = n; x = z, x2 = noise, p = mean, q = std */
static void unnorm_task(void *arg, int64_t i0, int64_t i1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const int64_t C = v->a, n = v->b;
    for (int64_t i = i0; i < i1; i++)
        for (int64_t c = 0; c < C; c++) {
            float z = v->x[c * n + i];
            if (v->x2) z = v->x2[c * n + i] * v->s + (1.0f - v->s) * z;
            v->y[i * C + c] = z * v->q[c] + v->p[c];
        }
}

kstatus k_latent_unnormalize(const kctx *ctx, int64_t C, int64_t n, const float *z, const float *noise, float s,
                             const float *mean, const float *std, float *x)
{
    K_DISPATCH(ctx, kcuda_latent_unnormalize(ctx, C, n, z, noise, s, mean, std, x));
    if (C < 0 || n < 0) return KS_BAD_ARG;
    if (C == 0 || n == 0) return KS_OK;
    if (!z || !mean || !std || !x) return KS_BAD_ARG;
    vo_args v = {.a = C, .b = n, .x = z, .x2 = noise, .p = mean, .q = std, .y = x, .s = s};
    return k_par(ctx, n, grain_of(C), unnorm_task, &v);
}

/* items: channels c; a = n, b = C, c = ldx; x = x, p = mean, q = std, y = z */
static void norm_task(void *arg, int64_t c0, int64_t c1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const int64_t n = v->a, ldx = v->c;
    for (int64_t c = c0; c < c1; c++)
        for (int64_t i = 0; i < n; i++) v->y[c * n + i] = (v->x[i * ldx + c] - v->p[c]) / v->q[c];
}

kstatus k_latent_normalize(const kctx *ctx, int64_t n, int64_t C, const float *x, int64_t ldx, const float *mean,
                           const float *std, float *z)
{
    K_DISPATCH(ctx, kcuda_latent_normalize(ctx, n, C, x, ldx, mean, std, z));
    if (C < 0 || n < 0 || ldx < C) return KS_BAD_ARG;
    if (C == 0 || n == 0) return KS_OK;
    if (!x || !mean || !std || !z) return KS_BAD_ARG;
    vo_args v = {.a = n, .b = C, .c = ldx, .x = x, .p = mean, .q = std, .y = z};
    return k_par(ctx, C, grain_of(n), norm_task, &v);
}

/* ---------------------------------------------------------------- block residuals */
/* items: rows; a = dim, b = xdim */
static void repeat_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    for (int64_t r = r0; r < r1; r++) {
        float *o = v->y + r * v->a;
        const float *s = v->x + r * v->b;
        for (int64_t j = 0; j < v->a; j++) o[j] += s[j % v->b];
    }
}

kstatus k_add_repeat(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t xdim, float *y)
{
    K_DISPATCH(ctx, kcuda_add_repeat(ctx, rows, dim, x, xdim, y));
    if (rows < 0 || dim < 0 || xdim <= 0) return KS_BAD_ARG;
    if (rows == 0 || dim == 0) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    vo_args v = {.a = dim, .b = xdim, .x = x, .y = y};
    return k_par(ctx, rows, grain_of(dim), repeat_task, &v);
}

/* items: rows; a = dim, b = g */
static void group_mean_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const int64_t dim = v->a, g = v->b;
    for (int64_t r = r0; r < r1; r++) {
        const float *s = v->x + r * dim * g;
        float *d = v->y + r * dim;
        for (int64_t k = 0; k < dim; k++) {
            float acc = 0.0f;
            for (int64_t q = 0; q < g; q++) acc += s[k * g + q];
            d[k] += acc / (float)g;
        }
    }
}

kstatus k_add_group_mean(const kctx *ctx, int64_t rows, int64_t dim, int64_t g, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_add_group_mean(ctx, rows, dim, g, x, y));
    if (rows < 0 || dim < 0 || g <= 0) return KS_BAD_ARG;
    if (rows == 0 || dim == 0) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    vo_args v = {.a = dim, .b = g, .x = x, .y = y};
    return k_par(ctx, rows, grain_of(dim * g), group_mean_task, &v);
}

/* ---------------------------------------------------------------- blur */
static int64_t blur_out(int64_t len, int stride) { return (len - 1) / stride + 1; }

/* items: output rows (t, i); a = h, b = w, c = channels, d = t; p = kernel */
static void blur_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const int64_t h = v->a, w = v->b, c = v->c, ho = blur_out(h, v->stride), wo = blur_out(w, v->stride);
    const int k = v->k, half = v->k / 2;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t t = r / ho, i = r % ho;
        for (int64_t j = 0; j < wo; j++) {
            float *o = v->y + ((t * ho + i) * wo + j) * c;
            for (int64_t ch = 0; ch < c; ch++) o[ch] = 0.0f;
            for (int di = 0; di < k; di++) {
                const int64_t si = i * v->stride + di - half;
                if (si < 0 || si >= h) continue;
                for (int dj = 0; dj < k; dj++) {
                    const int64_t sj = j * v->stride + dj - half;
                    if (sj < 0 || sj >= w) continue;
                    const float kv = v->p[di * k + dj];
                    const float *s = v->x + ((t * h + si) * w + sj) * c;
                    for (int64_t ch = 0; ch < c; ch++) o[ch] += kv * s[ch];
                }
            }
        }
    }
}

kstatus k_blur2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, const float *kern, int k, int stride,
                 const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_blur2d(ctx, t, h, w, c, kern, k, stride, x, y));
    if (t < 0 || h < 0 || w < 0 || c < 0 || k < 1 || k % 2 == 0 || stride < 1) return KS_BAD_ARG;
    if (t == 0 || h == 0 || w == 0 || c == 0) return KS_OK;
    if (!kern || !x || !y) return KS_BAD_ARG;
    vo_args v = {.a = h, .b = w, .c = c, .d = t, .p = kern, .k = k, .stride = stride, .x = x, .y = y};
    return k_par(ctx, t * blur_out(h, stride), grain_of(blur_out(w, stride) * c * k * k), blur_task, &v);
}

/* ---------------------------------------------------------------- tiled decode */
static int box_ok(const kbox3d *b)
{
    return b && b->t0 >= 0 && b->h0 >= 0 && b->w0 >= 0 && b->nt >= 0 && b->nh >= 0 && b->nw >= 0 &&
           b->t0 + b->nt <= b->t && b->h0 + b->nh <= b->h && b->w0 + b->nw <= b->w;
}

/* items: (slab, box frame, box row) */
static void crop_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const kbox3d *b = v->box;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i = r % b->nh, a = (r / b->nh) % b->nt, q = r / (b->nh * b->nt);
        const float *s = v->x + ((q * b->t + b->t0 + a) * b->h + b->h0 + i) * b->w + b->w0;
        float *d = v->y + r * b->nw;
        for (int64_t j = 0; j < b->nw; j++) d[j] = s[j];
    }
}

kstatus k_crop3d(const kctx *ctx, int64_t n, const kbox3d *b, const float *x, float *y)
{
    K_DISPATCH(ctx, kcuda_crop3d(ctx, n, b, x, y));
    if (n < 0 || !box_ok(b)) return KS_BAD_ARG;
    if (n == 0 || b->nt == 0 || b->nh == 0 || b->nw == 0) return KS_OK;
    if (!x || !y) return KS_BAD_ARG;
    vo_args v = {.box = b, .x = x, .y = y};
    return k_par(ctx, n * b->nt * b->nh, grain_of(b->nw), crop_task, &v);
}

/* items: (box frame, box row); a = ch, b = xh, c = xw; p, q, r = masks */
static void blend_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const kbox3d *b = v->box;
    const int64_t ch = v->a;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t a = r / b->nh, i = r % b->nh;
        const float m2 = v->p[a] * v->q[i];
        const float *src = v->x + ((a * v->b + i) * v->c) * ch;
        float *dst = v->y + (((b->t0 + a) * b->h + b->h0 + i) * b->w + b->w0) * ch;
        for (int64_t j = 0; j < b->nw; j++) {
            const float m = m2 * v->r[j];
            for (int64_t k = 0; k < ch; k++) dst[j * ch + k] += src[j * ch + k] * m;
        }
    }
}

kstatus k_blend_box3d(const kctx *ctx, const kbox3d *b, int64_t ch, const float *x, int64_t xh, int64_t xw,
                      const float *mt, const float *mh, const float *mw, float *y)
{
    K_DISPATCH(ctx, kcuda_blend_box3d(ctx, b, ch, x, xh, xw, mt, mh, mw, y));
    if (!box_ok(b) || ch < 0 || xh < b->nh || xw < b->nw) return KS_BAD_ARG;
    if (ch == 0 || b->nt == 0 || b->nh == 0 || b->nw == 0) return KS_OK;
    if (!x || !mt || !mh || !mw || !y) return KS_BAD_ARG;
    vo_args v = {.box = b, .a = ch, .b = xh, .c = xw, .x = x, .p = mt, .q = mh, .r = mw, .y = y};
    return k_par(ctx, b->nt * b->nh, grain_of(b->nw * ch), blend_task, &v);
}

/* items: rows (a, i); a = h, b = w, c = ch; p, q, r = weights; s = min_w */
static void div_task(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const vo_args *v = arg;
    const int64_t h = v->a, w = v->b, ch = v->c;
    for (int64_t r = r0; r < r1; r++) {
        float *row = v->y + r * w * ch;
        const float wti = v->p[r / h] * v->q[r % h];
        for (int64_t j = 0; j < w; j++) {
            float ws = wti * v->r[j];
            if (ws < v->s) ws = v->s;
            for (int64_t k = 0; k < ch; k++) row[j * ch + k] /= ws;
        }
    }
}

kstatus k_div_separable(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t ch, const float *wt,
                        const float *wh, const float *ww, float min_w, float *y)
{
    K_DISPATCH(ctx, kcuda_div_separable(ctx, t, h, w, ch, wt, wh, ww, min_w, y));
    if (t < 0 || h < 0 || w < 0 || ch < 0) return KS_BAD_ARG;
    if (t == 0 || h == 0 || w == 0 || ch == 0) return KS_OK;
    if (!wt || !wh || !ww || !y) return KS_BAD_ARG;
    vo_args v = {.a = h, .b = w, .c = ch, .p = wt, .q = wh, .r = ww, .s = min_w, .y = y};
    return k_par(ctx, t * h, grain_of(w * ch), div_task, &v);
}
