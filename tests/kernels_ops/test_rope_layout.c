/* RoPE (split and interleaved) against the rotation formula; depth-to-space,
 * space-to-depth, nearest upsampling and transpose against index formulas (exact). */
#include "ops_check.h"

static void case_rope(const kctx *c, krng *r, kcheck *k)
{
    static const int64_t shapes[][3] = {{1, 2, 2}, {5, 24, 8}, {37, 96, 32}, {300, 128, 64}};
    for (int s = 0; s < 4; s++)
        for (int layout = 0; layout < 2; layout++) {
            int64_t tok = shapes[s][0], dim = shapes[s][1], hd = shapes[s][2];
            int64_t ldx = dim + 1, ldcs = dim / 2 + 3;
            float *x = rand_buf(r, tok * ldx, 2.0f), *cs = rand_buf(r, tok * ldcs, 1.0f);
            float *sn = rand_buf(r, tok * ldcs, 1.0f), *got = malloc(sizeof(float) * (size_t)(tok * dim));
            double *ref = dbuf(tok * dim);
            for (int64_t t = 0; t < tok; t++)
                for (int64_t p = 0; p < dim / 2; p++) {
                    int64_t ia, ib;
                    if (layout == KROPE_INTERLEAVED) {
                        ia = 2 * p;
                        ib = 2 * p + 1;
                    } else {
                        int64_t h = p / (hd / 2), j = p % (hd / 2);
                        ia = h * hd + j;
                        ib = ia + hd / 2;
                    }
                    double xa = x[t * ldx + ia], xb = x[t * ldx + ib];
                    double co = cs[t * ldcs + p], si = sn[t * ldcs + p];
                    ref[t * dim + ia] = xa * co - xb * si;
                    ref[t * dim + ib] = xb * co + xa * si;
                }
            float keep = x[ldx - 1]; /* the stride gap must stay */
            KOK(k_rope(c, (krope_layout)layout, tok, dim, hd, x, ldx, cs, sn, ldcs));
            for (int64_t t = 0; t < tok; t++)
                for (int64_t j = 0; j < dim; j++) got[t * dim + j] = x[t * ldx + j];
            check_close(k, layout ? "rope interleaved" : "rope split", got, ref, tok * dim, 1e-6, 3e-7); /* cancellation: bound by the terms, not the result */
            check_true(k, x[ldx - 1] == keep, "rope leaves the row gap alone");
            free(x);
            free(cs);
            free(sn);
            free(got);
            free(ref);
        }
}

static int same(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!(a[i] == b[i])) return 0;
    return 1;
}

static void case_layout(const kctx *c, krng *r, kcheck *k)
{
    static const int dims[][7] = {/* t h w c pt ph pw */
                                  {1, 1, 1, 1, 1, 1, 1}, {3, 5, 7, 3, 2, 2, 2},
                                  {2, 9, 4, 5, 1, 2, 3}, {4, 16, 16, 8, 2, 1, 2}};
    for (int s = 0; s < 4; s++) {
        int64_t t = dims[s][0], h = dims[s][1], w = dims[s][2], ch = dims[s][3];
        int pt = dims[s][4], ph = dims[s][5], pw = dims[s][6];
        int64_t n = t * h * w * ch * pt * ph * pw;
        int64_t T = t * pt, H = h * ph, W = w * pw;
        float *x = rand_buf(r, n, 1.0f), *y = poisoned(n), *ref = malloc(sizeof(float) * (size_t)n);
        for (int64_t ti = 0; ti < t; ti++)
            for (int64_t hi = 0; hi < h; hi++)
                for (int64_t wi = 0; wi < w; wi++)
                    for (int64_t ci = 0; ci < ch; ci++)
                        for (int i = 0; i < pt; i++)
                            for (int j = 0; j < ph; j++)
                                for (int l = 0; l < pw; l++) {
                                    int64_t cin = ((ci * pt + i) * ph + j) * pw + l;
                                    int64_t src = ((ti * h + hi) * w + wi) * (ch * pt * ph * pw) + cin;
                                    int64_t dst = (((ti * pt + i) * H + hi * ph + j) * W + wi * pw + l) * ch + ci;
                                    ref[dst] = x[src];
                                }
        KOK(k_depth_to_space3d(c, t, h, w, ch, pt, ph, pw, x, y));
        check_true(k, same(y, ref, n), "depth_to_space3d");
        float *back = poisoned(n);
        KOK(k_space_to_depth3d(c, t, h, w, ch, pt, ph, pw, y, back));
        check_true(k, same(back, x, n), "space_to_depth3d inverts depth_to_space3d");
        free(back);
        /* nearest upsampling by (pt, ph, pw) of x seen as [t][h][w][ch*...] → use c = ch */
        int64_t nin = t * h * w * ch, nout = nin * pt * ph * pw;
        float *u = poisoned(nout), *uref = malloc(sizeof(float) * (size_t)nout);
        for (int64_t to = 0; to < T; to++)
            for (int64_t ho = 0; ho < H; ho++)
                for (int64_t wo = 0; wo < W; wo++)
                    for (int64_t ci = 0; ci < ch; ci++)
                        uref[((to * H + ho) * W + wo) * ch + ci] =
                            x[(((to / pt) * h + ho / ph) * w + wo / pw) * ch + ci];
        KOK(k_upsample_nearest3d(c, t, h, w, ch, pt, ph, pw, x, u));
        check_true(k, same(u, uref, nout), "upsample_nearest3d");
        free(u);
        free(uref);
        free(x);
        free(y);
        free(ref);
    }
    static const int64_t tr[][2] = {{1, 1}, {1, 37}, {37, 1}, {33, 65}, {129, 300}};
    for (int s = 0; s < 5; s++) {
        int64_t rows = tr[s][0], cols = tr[s][1], n = rows * cols;
        float *x = rand_buf(r, n, 1.0f), *y = poisoned(n), *ref = malloc(sizeof(float) * (size_t)n);
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) ref[j * rows + i] = x[i * cols + j];
        KOK(k_transpose2d(c, rows, cols, x, y));
        check_true(k, same(y, ref, n), "transpose2d");
        free(x);
        free(y);
        free(ref);
    }
}

/* The VAE patch order against its formula: patched channel ci*p*p + p*col + row. */
static void case_patchify(const kctx *c, krng *r, kcheck *k)
{
    const int64_t t = 2, h = 3, w = 5, ch = 3;
    const int p = 4;
    const int64_t n = t * h * p * w * p * ch, W = w * p;
    float *x = rand_buf(r, n, 1.0f), *y = poisoned(n), *back = poisoned(n);
    double *ref = dbuf(n);
    for (int64_t f = 0; f < t; f++)
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++)
                for (int q = 0; q < p; q++)
                    for (int o = 0; o < p; o++)
                        for (int64_t ci = 0; ci < ch; ci++)
                            ref[((f * h + i) * w + j) * ch * p * p + ci * p * p + p * o + q] =
                                x[((f * h * p + i * p + q) * W + j * p + o) * ch + ci];
    KOK(k_patchify2d(c, t, h, w, ch, p, x, y));
    check_close(k, "patchify2d", y, ref, n, 0, 0);
    KOK(k_unpatchify2d(c, t, h, w, ch, p, y, back));
    check_true(k, same(back, x, n), "unpatchify2d inverts patchify2d");
    free(x), free(y), free(back), free(ref);
}

int main(void)
{
    kcheck k = {0, 0};
    for_each_ctx(case_rope, &k);
    for_each_ctx(case_layout, &k);
    for_each_ctx(case_patchify, &k);
    return check_report(&k, "kernels_ops_rope_layout");
}
