/* test_vae_ops.c — the video VAE's and upscaler's steps (kernels/vae_ops.c) against
 * scalar references written from their documented formulas, in f32 with the documented
 * order of operations (so the results must be equal), on random odd sizes, inline and on
 * a pool, outputs poisoned first; plus the bad arguments each op refuses. */
#include "ops_check.h"

#include <string.h>

/* Exact equality (NaN fails), one line per check. */
static void check_equal(kcheck *k, const char *what, const float *got, const float *ref, int64_t n)
{
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(got[i] == ref[i])) bad++;
    printf("%s %-36s %lld of %lld differ\n", bad ? "FAIL" : "ok  ", what, (long long)bad, (long long)n);
    k->checks++;
    k->failures += bad != 0;
}

static void run(kcheck *k, krng *r, const kctx *ctx, const char *tag)
{
    char what[96];
    /* un-normalize with and without the noise mix, then normalize with a stride */
    const int64_t C = 13, n = 37, ld = 15;
    float *z = rand_buf(r, C * n, 2), *nz = rand_buf(r, C * n, 1), *mean = rand_buf(r, C, 1);
    float *std = rand_buf(r, C, 1), *x = poisoned(C * n), *ref = malloc(sizeof(float) * (size_t)(ld * n));
    for (int64_t c = 0; c < C; c++) std[c] = 0.5f + fabsf(std[c]);
    for (int with_noise = 0; with_noise < 2; with_noise++) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < C; c++) {
                float v = z[c * n + i];
                if (with_noise) v = nz[c * n + i] * 0.3f + (1.0f - 0.3f) * v;
                ref[i * C + c] = v * std[c] + mean[c];
            }
        KOK(k_latent_unnormalize(ctx, C, n, z, with_noise ? nz : NULL, 0.3f, mean, std, x));
        snprintf(what, sizeof what, "latent_unnormalize%s %s", with_noise ? " noise" : "", tag);
        check_equal(k, what, x, ref, C * n);
    }
    float *xs = rand_buf(r, ld * n, 3), *zo = poisoned(C * n);
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < n; i++) ref[c * n + i] = (xs[i * ld + c] - mean[c]) / std[c];
    KOK(k_latent_normalize(ctx, n, C, xs, ld, mean, std, zo));
    snprintf(what, sizeof what, "latent_normalize %s", tag);
    check_equal(k, what, zo, ref, C * n);

    /* residuals: channels repeated, group means */
    const int64_t rows = 29, dim = 24, xdim = 6, g = 3;
    float *y0 = rand_buf(r, rows * dim, 1), *src = rand_buf(r, rows * dim * g, 1);
    float *y = malloc(sizeof(float) * (size_t)(rows * dim)), *yr = malloc(sizeof(float) * (size_t)(rows * dim));
    memcpy(y, y0, sizeof(float) * (size_t)(rows * dim));
    for (int64_t i = 0; i < rows * dim; i++) yr[i] = y0[i] + src[(i / dim) * xdim + (i % dim) % xdim];
    KOK(k_add_repeat(ctx, rows, dim, src, xdim, y));
    snprintf(what, sizeof what, "add_repeat %s", tag);
    check_equal(k, what, y, yr, rows * dim);
    memcpy(y, y0, sizeof(float) * (size_t)(rows * dim));
    for (int64_t i = 0; i < rows * dim; i++) {
        float acc = 0.0f;
        for (int64_t q = 0; q < g; q++) acc += src[i * g + q];
        yr[i] = y0[i] + acc / (float)g;
    }
    KOK(k_add_group_mean(ctx, rows, dim, g, src, y));
    snprintf(what, sizeof what, "add_group_mean %s", tag);
    check_equal(k, what, y, yr, rows * dim);

    /* blur: 5×5, stride 2 and 1 */
    const int64_t bt = 2, bh = 9, bw = 11, bc = 7;
    float *bx = rand_buf(r, bt * bh * bw * bc, 1), *kern = rand_buf(r, 25, 1);
    for (int stride = 1; stride <= 2; stride++) {
        const int64_t ho = (bh - 1) / stride + 1, wo = (bw - 1) / stride + 1, no = bt * ho * wo * bc;
        float *by = poisoned(no), *br = malloc(sizeof(float) * (size_t)no);
        for (int64_t t = 0; t < bt; t++)
            for (int64_t i = 0; i < ho; i++)
                for (int64_t j = 0; j < wo; j++)
                    for (int64_t c = 0; c < bc; c++) {
                        float acc = 0.0f;
                        for (int a = 0; a < 5; a++)
                            for (int b = 0; b < 5; b++) {
                                int64_t si = i * stride + a - 2, sj = j * stride + b - 2;
                                if (si < 0 || si >= bh || sj < 0 || sj >= bw) continue;
                                acc += kern[a * 5 + b] * bx[((t * bh + si) * bw + sj) * bc + c];
                            }
                        br[((t * ho + i) * wo + j) * bc + c] = acc;
                    }
        KOK(k_blur2d(ctx, bt, bh, bw, bc, kern, 5, stride, bx, by));
        snprintf(what, sizeof what, "blur2d stride %d %s", stride, tag);
        check_equal(k, what, by, br, no);
        free(by);
        free(br);
    }

    /* tiles: crop, blend, separable average */
    const kbox3d box = {6, 7, 9, 1, 2, 3, 4, 3, 5};
    const int64_t slabs = 3, nb = slabs * box.nt * box.nh * box.nw;
    float *grid = rand_buf(r, slabs * box.t * box.h * box.w, 1), *cr = poisoned(nb), *crr = malloc(sizeof(float) * (size_t)nb);
    for (int64_t q = 0, e = 0; q < slabs; q++)
        for (int64_t a = 0; a < box.nt; a++)
            for (int64_t i = 0; i < box.nh; i++)
                for (int64_t j = 0; j < box.nw; j++, e++)
                    crr[e] = grid[((q * box.t + box.t0 + a) * box.h + box.h0 + i) * box.w + box.w0 + j];
    KOK(k_crop3d(ctx, slabs, &box, grid, cr));
    snprintf(what, sizeof what, "crop3d %s", tag);
    check_equal(k, what, cr, crr, nb);
    const int64_t ch = 3, xh = box.nh + 1, xw = box.nw + 2, nv = box.t * box.h * box.w * ch;
    float *tile = rand_buf(r, box.nt * xh * xw * ch, 1), *mt = rand_buf(r, box.nt, 1), *mh = rand_buf(r, box.nh, 1);
    float *mw = rand_buf(r, box.nw, 1), *vid = rand_buf(r, nv, 1), *vr = malloc(sizeof(float) * (size_t)nv);
    memcpy(vr, vid, sizeof(float) * (size_t)nv);
    for (int64_t a = 0; a < box.nt; a++)
        for (int64_t i = 0; i < box.nh; i++)
            for (int64_t j = 0; j < box.nw; j++)
                for (int64_t c = 0; c < ch; c++) {
                    float m = (mt[a] * mh[i]) * mw[j];
                    vr[(((box.t0 + a) * box.h + box.h0 + i) * box.w + box.w0 + j) * ch + c] +=
                        tile[((a * xh + i) * xw + j) * ch + c] * m;
                }
    KOK(k_blend_box3d(ctx, &box, ch, tile, xh, xw, mt, mh, mw, vid));
    snprintf(what, sizeof what, "blend_box3d %s", tag);
    check_equal(k, what, vid, vr, nv);
    float *wt = rand_buf(r, box.t, 1), *wh = rand_buf(r, box.h, 1), *ww = rand_buf(r, box.w, 1);
    wt[0] = 0.0f; /* a weight below the floor */
    for (int64_t e = 0; e < nv; e++) {
        const int64_t j = (e / ch) % box.w, i = (e / (ch * box.w)) % box.h, a = e / (ch * box.w * box.h);
        float ws = (wt[a] * wh[i]) * ww[j];
        if (ws < 1e-8f) ws = 1e-8f;
        vr[e] = vid[e] / ws;
    }
    KOK(k_div_separable(ctx, box.t, box.h, box.w, ch, wt, wh, ww, 1e-8f, vid));
    snprintf(what, sizeof what, "div_separable %s", tag);
    check_equal(k, what, vid, vr, nv);

    /* refusals */
    const kbox3d outside = {4, 4, 4, 2, 0, 0, 3, 1, 1};
    int refused = k_crop3d(ctx, 1, &outside, grid, cr) == KS_BAD_ARG &&
                  k_blur2d(ctx, 1, 4, 4, 1, kern, 4, 1, bx, cr) == KS_BAD_ARG &&
                  k_add_group_mean(ctx, 2, 2, 0, src, y) == KS_BAD_ARG &&
                  k_latent_normalize(ctx, n, C, xs, C - 1, mean, std, zo) == KS_BAD_ARG;
    printf("%s bad arguments refused %s\n", refused ? "ok  " : "FAIL", tag);
    k->checks++;
    k->failures += !refused;

    free(z), free(nz), free(mean), free(std), free(x), free(ref), free(xs), free(zo);
    free(y0), free(src), free(y), free(yr), free(bx), free(kern), free(grid), free(cr), free(crr);
    free(tile), free(mt), free(mh), free(mw), free(vid), free(vr), free(wt), free(wh), free(ww);
}

int main(void)
{
    kcheck k = {0};
    krng r = {0x9e3779b97f4a7c15ull};
    kpool *pool = kpool_create(2);
    kctx inl = kctx_default(NULL), pooled = kctx_default(pool);
    run(&k, &r, &inl, "(inline)");
    run(&k, &r, &pooled, "(pool)");
    kpool_destroy(pool);
    printf("%d checks, %d failures\n", k.checks, k.failures);
    return k.failures ? 1 : 0;
}
