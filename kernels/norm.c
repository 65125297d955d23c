/*
 * norm.c — RMSNorm, LayerNorm (no affine), GroupNorm (channels-last), PixelNorm and
 * row softmax. Rows are independent and split over the pool; row sums use eight
 * partial sums so the compiler can vectorise them and rounding stays small.
 */
#include "kbackend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NORM_GRAIN_ELEMS 16384

static double sum_sq(const float *x, int64_t n)
{
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[i + l] * x[i + l];
    double s = 0;
    for (; i < n; i++) s += (double)x[i] * x[i];
    for (int l = 0; l < 8; l++) s += acc[l];
    return s;
}

static double sum1(const float *x, int64_t n)
{
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[i + l];
    double s = 0;
    for (; i < n; i++) s += x[i];
    for (int l = 0; l < 8; l++) s += acc[l];
    return s;
}

/* Σ (x - mean)² */
static double sum_dev_sq(const float *x, int64_t n, float mean)
{
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            float d = x[i + l] - mean;
            acc[l] += d * d;
        }
    double s = 0;
    for (; i < n; i++) s += (double)(x[i] - mean) * (x[i] - mean);
    for (int l = 0; l < 8; l++) s += acc[l];
    return s;
}

static int64_t row_grain(int64_t dim) { return NORM_GRAIN_ELEMS / (dim > 0 ? dim : 1) + 1; }

/* ---------------------------------------------------------------- RMSNorm / PixelNorm */
typedef struct rms_args {
    int64_t dim, ldx, ldy;
    const float *x, *w;
    float w_offset, eps;
    float *y;
} rms_args;

static void rms_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const rms_args *a = arg;
    for (int64_t r = begin; r < end; r++) {
        const float *x = a->x + r * a->ldx;
        float *y = a->y + r * a->ldy;
        float inv = (float)(1.0 / sqrt(sum_sq(x, a->dim) / (double)a->dim + a->eps));
        if (a->w) {
            for (int64_t i = 0; i < a->dim; i++) y[i] = x[i] * inv * (a->w_offset + a->w[i]);
        } else {
            for (int64_t i = 0; i < a->dim; i++) y[i] = x[i] * inv;
        }
    }
}

/* rows × dim rows of x (ldx) into y (ldy): OK (nothing to do), bad, or runnable. */
static kstatus rows_check(int64_t rows, int64_t dim, const float *x, int64_t ldx, const float *y, int64_t ldy)
{
    if (rows < 0 || dim < 0) return KS_BAD_ARG;
    if (rows == 0 || dim == 0) return KS_OK;
    return x && y && ldx >= dim && ldy >= dim ? KS_UNSUPPORTED : KS_BAD_ARG;
}
#define ROWS_OK(st) ((st) == KS_UNSUPPORTED) /* rows_check: there is work to do */

kstatus k_rmsnorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                  const float *w, float w_offset, float eps, float *y, int64_t ldy)
{
    K_DISPATCH(ctx, kcuda_rmsnorm(ctx, rows, dim, x, ldx, w, w_offset, eps, y, ldy));
    kstatus st = rows_check(rows, dim, x, ldx, y, ldy);
    if (!ROWS_OK(st)) return st;
    rms_args a = {dim, ldx, ldy, x, w, w_offset, eps, y};
    return k_par(ctx, rows, row_grain(dim), rms_task, &a);
}

kstatus k_rmsnorm_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, float eps, const float *scale,
                           const float *shift, float *y)
{
    K_DISPATCH(ctx, kcuda_rmsnorm_modulate(ctx, rows, dim, x, eps, scale, shift, y));
    kstatus st = k_rmsnorm(ctx, rows, dim, x, dim, NULL, 0.0f, eps, y, dim);
    K_THEN(st, k_modulate(ctx, rows, dim, y, scale, shift, y));
    return st;
}

kstatus k_pixelnorm(const kctx *ctx, int64_t n_pos, int64_t c, const float *x, float eps, float *y)
{
    K_DISPATCH(ctx, kcuda_pixelnorm(ctx, n_pos, c, x, eps, y));
    return k_rmsnorm(ctx, n_pos, c, x, c, NULL, 0.0f, eps, y, c);
}

/* ---------------------------------------------------------------- LayerNorm */
typedef struct ln_args {
    int64_t dim, ldx, ldy;
    const float *x;
    float eps;
    float *y;
} ln_args;

static void ln_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const ln_args *a = arg;
    for (int64_t r = begin; r < end; r++) {
        const float *x = a->x + r * a->ldx;
        float *y = a->y + r * a->ldy;
        float mean = (float)(sum1(x, a->dim) / (double)a->dim);
        double var = sum_dev_sq(x, a->dim, mean) / (double)a->dim;
        float inv = (float)(1.0 / sqrt(var + a->eps));
        for (int64_t i = 0; i < a->dim; i++) y[i] = (x[i] - mean) * inv;
    }
}

kstatus k_layernorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                    float eps, float *y, int64_t ldy)
{
    K_DISPATCH(ctx, kcuda_layernorm(ctx, rows, dim, x, ldx, eps, y, ldy));
    kstatus st = rows_check(rows, dim, x, ldx, y, ldy);
    if (!ROWS_OK(st)) return st;
    ln_args a = {dim, ldx, ldy, x, eps, y};
    return k_par(ctx, rows, row_grain(dim), ln_task, &a);
}

/* ---------------------------------------------------------------- GroupNorm */
/* Statistics need a reduction over all positions: each chunk of positions adds its
 * per-group partial sums into its thread's slot; slots are summed afterwards. */
typedef struct gn_args {
    int64_t c, cg;
    int groups;
    const float *x;
    double *part;        /* [threads][groups] */
    const float *mean;   /* [groups], for the second pass */
    const float *gamma, *beta;
    const float *inv;    /* [groups] */
    float *y;
} gn_args;

static void gn_mean_task(void *arg, int64_t begin, int64_t end, int tid)
{
    const gn_args *a = arg;
    double *p = a->part + (int64_t)tid * a->groups;
    for (int64_t r = begin; r < end; r++)
        for (int g = 0; g < a->groups; g++) p[g] += sum1(a->x + r * a->c + g * a->cg, a->cg);
}

static void gn_var_task(void *arg, int64_t begin, int64_t end, int tid)
{
    const gn_args *a = arg;
    double *p = a->part + (int64_t)tid * a->groups;
    for (int64_t r = begin; r < end; r++)
        for (int g = 0; g < a->groups; g++)
            p[g] += sum_dev_sq(a->x + r * a->c + g * a->cg, a->cg, a->mean[g]);
}

static void gn_apply_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const gn_args *a = arg;
    for (int64_t r = begin; r < end; r++) {
        const float *x = a->x + r * a->c;
        float *y = a->y + r * a->c;
        for (int64_t ch = 0; ch < a->c; ch++) {
            int64_t g = ch / a->cg;
            float v = (x[ch] - a->mean[g]) * a->inv[g];
            if (a->gamma) v *= a->gamma[ch];
            if (a->beta) v += a->beta[ch];
            y[ch] = v;
        }
    }
}

static void gn_reduce(double *part, int threads, int groups, double *out)
{
    for (int g = 0; g < groups; g++) {
        double s = 0;
        for (int t = 0; t < threads; t++) s += part[(int64_t)t * groups + g];
        out[g] = s;
    }
}

kstatus k_groupnorm(const kctx *ctx, int64_t n_pos, int64_t c, int groups, const float *x,
                    const float *gamma, const float *beta, float eps, float *y)
{
    K_DISPATCH(ctx, kcuda_groupnorm(ctx, n_pos, c, groups, x, gamma, beta, eps, y));
    if (n_pos < 0 || c <= 0 || groups <= 0 || c % groups || (n_pos > 0 && (!x || !y))) return KS_BAD_ARG;
    if (n_pos == 0) return KS_OK;
    int threads = kpool_threads(ctx->pool);
    kscratch sc;
    k_scratch_open(ctx, &sc);
    void *pm, *sm;
    kstatus st = k_scratch(&sc, ((size_t)threads * groups + groups) * sizeof(double), &pm);
    if (st == KS_OK) st = k_scratch(&sc, sizeof(float) * 2 * (size_t)groups, &sm);
    if (st != KS_OK) {
        k_scratch_close(&sc);
        return st;
    }
    double *part = pm;
    float *stats = sm;
    memset(part, 0, ((size_t)threads * groups + groups) * sizeof(double));
    double *tot = part + (int64_t)threads * groups;
    gn_args a = {c, c / groups, groups, x, part, stats, gamma, beta, stats + groups, y};
    double count = (double)n_pos * (double)(c / groups);
    int64_t grain = row_grain(c);

    st = k_par(ctx, n_pos, grain, gn_mean_task, &a);
    if (st == KS_OK) {
        gn_reduce(part, threads, groups, tot);
        for (int g = 0; g < groups; g++) stats[g] = (float)(tot[g] / count);
        for (int64_t i = 0; i < (int64_t)threads * groups; i++) part[i] = 0;
        st = k_par(ctx, n_pos, grain, gn_var_task, &a);
    }
    if (st == KS_OK) {
        gn_reduce(part, threads, groups, tot);
        for (int g = 0; g < groups; g++) stats[groups + g] = (float)(1.0 / sqrt(tot[g] / count + eps));
        st = k_par(ctx, n_pos, grain, gn_apply_task, &a);
    }
    k_scratch_close(&sc);
    return st;
}

/* ---------------------------------------------------------------- softmax */
typedef struct sm_args {
    int64_t n, ld;
    float *x;
} sm_args;

static void sm_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const sm_args *a = arg;
    for (int64_t r = begin; r < end; r++) {
        float *x = a->x + r * a->ld;
        float m = -INFINITY;
        for (int64_t i = 0; i < a->n; i++) m = x[i] > m ? x[i] : m;
        if (m == -INFINITY) m = 0; /* all masked: exp gives zeros, not NaN */
        double s = 0;
        for (int64_t i = 0; i < a->n; i++) {
            x[i] = expf(x[i] - m);
            s += x[i];
        }
        float inv = s > 0 ? (float)(1.0 / s) : 0.0f;
        for (int64_t i = 0; i < a->n; i++) x[i] *= inv;
    }
}

kstatus k_softmax(const kctx *ctx, int64_t rows, int64_t n, float *x, int64_t ld)
{
    K_DISPATCH(ctx, kcuda_softmax(ctx, rows, n, x, ld));
    kstatus st = rows_check(rows, n, x, ld, x, ld);
    if (!ROWS_OK(st)) return st;
    sm_args a = {n, ld, x};
    return k_par(ctx, rows, row_grain(n), sm_task, &a);
}
