/* RMSNorm (plain, weighted, (1+w)), LayerNorm, GroupNorm, PixelNorm and softmax
 * against double references, with row strides wider than the rows. */
#include "ops_check.h"

static const int64_t SHAPES[][2] = {{1, 1}, {3, 17}, {33, 129}, {257, 77}, {5, 4099}};
#define NSHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

static void case_rms_ln(const kctx *c, krng *r, kcheck *k)
{
    for (int s = 0; s < NSHAPES; s++) {
        int64_t rows = SHAPES[s][0], dim = SHAPES[s][1], ldx = dim + 3, ldy = dim + 5;
        float *x = rand_buf(r, rows * ldx, 3.0f), *w = rand_buf(r, dim, 1.0f);
        float *y = poisoned(rows * ldy), *yc = malloc(sizeof(float) * (size_t)(rows * dim));
        double *ref = dbuf(rows * dim);
        for (int variant = 0; variant < 4; variant++) {
            const float eps = 1e-6f;
            for (int64_t i = 0; i < rows; i++) {
                const float *xr = x + i * ldx;
                double ss = 0, sum = 0;
                for (int64_t j = 0; j < dim; j++) {
                    ss += (double)xr[j] * xr[j];
                    sum += xr[j];
                }
                double mean = sum / dim, var = 0;
                for (int64_t j = 0; j < dim; j++) var += (xr[j] - mean) * (xr[j] - mean);
                var /= dim;
                double inv = 1.0 / sqrt(ss / dim + eps);
                for (int64_t j = 0; j < dim; j++) {
                    double v = variant == 0 ? xr[j] * inv
                             : variant == 1 ? xr[j] * inv * w[j]
                             : variant == 2 ? xr[j] * inv * (1.0 + w[j])
                                            : (xr[j] - mean) / sqrt(var + eps);
                    ref[i * dim + j] = v;
                }
            }
            for (int64_t i = 0; i < rows * ldy; i++) y[i] = NAN;
            if (variant == 0) KOK(k_rmsnorm(c, rows, dim, x, ldx, NULL, 0.0f, eps, y, ldy));
            if (variant == 1) KOK(k_rmsnorm(c, rows, dim, x, ldx, w, 0.0f, eps, y, ldy));
            if (variant == 2) KOK(k_rmsnorm(c, rows, dim, x, ldx, w, 1.0f, eps, y, ldy));
            if (variant == 3) KOK(k_layernorm(c, rows, dim, x, ldx, eps, y, ldy));
            for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < dim; j++) yc[i * dim + j] = y[i * ldy + j];
            static const char *names[] = {"rmsnorm", "rmsnorm w", "rmsnorm 1+w", "layernorm"};
            check_close(k, names[variant], yc, ref, rows * dim, 1e-6, 1e-6);
            int pad_ok = 1; /* the gap between rows stays untouched */
            for (int64_t i = 0; i + 1 < rows; i++)
                for (int64_t j = dim; j < ldy; j++) pad_ok &= isnan(y[i * ldy + j]);
            check_true(k, pad_ok, "norm leaves the row padding alone");
        }
        /* in place, as the header allows */
        for (int64_t i = 0; i < rows; i++) {
            const float *xr = x + i * ldx;
            double ss = 0;
            for (int64_t j = 0; j < dim; j++) ss += (double)xr[j] * xr[j];
            for (int64_t j = 0; j < dim; j++) ref[i * dim + j] = xr[j] / sqrt(ss / dim + 1e-5);
        }
        KOK(k_rmsnorm(c, rows, dim, x, ldx, NULL, 0.0f, 1e-5f, x, ldx));
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < dim; j++) yc[i * dim + j] = x[i * ldx + j];
        check_close(k, "rmsnorm in place", yc, ref, rows * dim, 1e-6, 1e-6);
        free(x);
        free(w);
        free(y);
        free(yc);
        free(ref);
    }
}

static void case_group_pixel(const kctx *c, krng *r, kcheck *k)
{
    static const int64_t g_shapes[][3] = {{1, 4, 1}, {7, 12, 3}, {301, 64, 32}, {1000, 96, 4}};
    for (int s = 0; s < 4; s++) {
        int64_t np = g_shapes[s][0], ch = g_shapes[s][1];
        int groups = (int)g_shapes[s][2];
        int64_t cg = ch / groups, n = np * ch;
        float *x = rand_buf(r, n, 2.0f), *ga = rand_buf(r, ch, 1.0f), *be = rand_buf(r, ch, 1.0f);
        for (int64_t i = 0; i < n; i++) x[i] += 0.5f; /* a non-zero mean */
        float *y = poisoned(n);
        double *ref = dbuf(n);
        for (int g = 0; g < groups; g++) {
            double sum = 0, var = 0;
            for (int64_t p = 0; p < np; p++)
                for (int64_t j = 0; j < cg; j++) sum += x[p * ch + g * cg + j];
            double mean = sum / (double)(np * cg);
            for (int64_t p = 0; p < np; p++)
                for (int64_t j = 0; j < cg; j++) {
                    double d = x[p * ch + g * cg + j] - mean;
                    var += d * d;
                }
            double inv = 1.0 / sqrt(var / (double)(np * cg) + 1e-6);
            for (int64_t p = 0; p < np; p++)
                for (int64_t j = 0; j < cg; j++) {
                    int64_t ci = g * cg + j;
                    ref[p * ch + ci] = (x[p * ch + ci] - mean) * inv * ga[ci] + be[ci];
                }
        }
        KOK(k_groupnorm(c, np, ch, groups, x, ga, be, 1e-6f, y));
        check_close(k, "groupnorm", y, ref, n, 2e-6, 2e-6);
        float *xi = malloc(sizeof(float) * (size_t)n); /* in place, as the VAE/upscaler call it */
        for (int64_t i = 0; i < n; i++) xi[i] = x[i];
        KOK(k_groupnorm(c, np, ch, groups, xi, ga, be, 1e-6f, xi));
        check_close(k, "groupnorm in place", xi, ref, n, 2e-6, 2e-6);
        free(xi);
        /* pixel norm: per position over the channels */
        for (int64_t p = 0; p < np; p++) {
            double ss = 0;
            for (int64_t j = 0; j < ch; j++) ss += (double)x[p * ch + j] * x[p * ch + j];
            for (int64_t j = 0; j < ch; j++) ref[p * ch + j] = x[p * ch + j] / sqrt(ss / ch + 1e-8);
        }
        for (int64_t i = 0; i < n; i++) y[i] = NAN;
        KOK(k_pixelnorm(c, np, ch, x, 1e-8f, y));
        check_close(k, "pixelnorm", y, ref, n, 1e-6, 1e-6);
        free(x);
        free(ga);
        free(be);
        free(y);
        free(ref);
    }
}

static void case_softmax(const kctx *c, krng *r, kcheck *k)
{
    for (int s = 0; s < NSHAPES; s++) {
        int64_t rows = SHAPES[s][0], n = SHAPES[s][1], ld = n + 2;
        float *x = rand_buf(r, rows * ld, 8.0f), *xc = malloc(sizeof(float) * (size_t)(rows * n));
        double *ref = dbuf(rows * n);
        if (rows > 2) x[ld + 0] = -INFINITY; /* a masked entry */
        if (rows > 2) /* a fully masked row must give zeros, not NaN */
            for (int64_t j = 0; j < n; j++) x[2 * ld + j] = -INFINITY;
        for (int64_t i = 0; i < rows; i++) {
            double m = -INFINITY, sum = 0;
            for (int64_t j = 0; j < n; j++) m = fmax(m, x[i * ld + j]);
            for (int64_t j = 0; j < n && m > -INFINITY; j++) sum += exp(x[i * ld + j] - m);
            for (int64_t j = 0; j < n; j++) ref[i * n + j] = m == -INFINITY ? 0 : exp(x[i * ld + j] - m) / sum;
        }
        KOK(k_softmax(c, rows, n, x, ld));
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < n; j++) xc[i * n + j] = x[i * ld + j];
        check_close(k, "softmax", xc, ref, rows * n, 2e-6, 1e-7);
        free(x);
        free(xc);
        free(ref);
    }
}

int main(void)
{
    kcheck k = {0, 0};
    for_each_ctx(case_rms_ln, &k);
    for_each_ctx(case_group_pixel, &k);
    for_each_ctx(case_softmax, &k);
    return check_report(&k, "kernels_ops_norm");
}
