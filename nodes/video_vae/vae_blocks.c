/* vae_blocks.c — the VAE's blocks on channels-last activations: ResnetBlock3D stacks
 * (with the optional timestep AdaLN), DepthToSpaceUpsample and SpaceToDepthDownsample. */
#include <stdlib.h>
#include <string.h>

#include "video_vae/vae_blocks.h"
#include "node.h"

#define PIXNORM_EPS 1e-8f

ltx2_status vblock_res(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                       float *x, vtpad tpad, kpad spad, const float *temb)
{
    int64_t c = b->cin, n = t * h * w;
    float *a = malloc((size_t)(n * c) * sizeof *a);
    float *z = malloc((size_t)(n * c) * sizeof *z);
    float *ada = temb ? malloc((size_t)(4 * c) * sizeof *ada) : NULL;
    if (!a || !z || (temb && !ada)) {
        free(a);
        free(z);
        free(ada);
        return LTX2_ERR_OOM;
    }
    kstatus ks = KS_OK;
    for (int j = 0; ks == KS_OK && j < b->n_res; j++) {
        const vres *r = &b->res[j];
        if (temb) /* rows: shift1, scale1, shift2, scale2 */
            K_THEN(ks, k_add(ctx, r->sst, temb, ada, 4 * c));
        K_THEN(ks, k_pixelnorm(ctx, n, c, x, PIXNORM_EPS, a));
        if (temb) K_THEN(ks, k_modulate(ctx, n, c, a, ada + c, ada, a));
        K_THEN(ks, k_silu(ctx, a, a, n * c));
        K_THEN(ks, vconv_run(ctx, &r->conv1, t, h, w, a, z, tpad, spad));
        K_THEN(ks, k_pixelnorm(ctx, n, c, z, PIXNORM_EPS, z));
        if (temb) K_THEN(ks, k_modulate(ctx, n, c, z, ada + 3 * c, ada + 2 * c, z));
        K_THEN(ks, k_silu(ctx, z, z, n * c));
        K_THEN(ks, vconv_run(ctx, &r->conv2, t, h, w, z, a, tpad, spad));
        K_THEN(ks, k_add(ctx, x, a, x, n * c));
    }
    free(a);
    free(z);
    free(ada);
    return ltx2_kstatus(ks);
}

ltx2_status vblock_up(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                      const float *x, vtpad tpad, kpad spad, float **out, int64_t *to)
{
    int P = b->st * b->sh * b->sw;
    int64_t n = t * h * w, c = b->cin, co = b->cout;
    int64_t T = t * b->st, H = h * b->sh, W = w * b->sw, drop = b->st == 2 ? 1 : 0;
    int64_t frame = H * W * co;
    float *y = malloc((size_t)(n * P * co) * sizeof *y);
    float *d = malloc((size_t)(T * frame) * sizeof *d);
    float *res = b->residual ? malloc((size_t)(T * H * W * (c / P)) * sizeof *res) : NULL;
    if (!y || !d || (b->residual && !res)) {
        free(y);
        free(d);
        free(res);
        return LTX2_ERR_OOM;
    }
    kstatus ks = vconv_run(ctx, &b->conv, t, h, w, x, y, tpad, spad);
    K_THEN(ks, k_depth_to_space3d(ctx, t, h, w, co, b->st, b->sh, b->sw, y, d));
    free(y);
    if (b->residual) /* depth-to-space of the input, its channels tiled P/mult times */
        K_THEN(ks, k_depth_to_space3d(ctx, t, h, w, c / P, b->st, b->sh, b->sw, x, res));
    if (drop)
        K_THEN(ks, k_copy(ctx, d, d + frame, (size_t)((T - 1) * frame) * sizeof *d, K_D2D));
    if (ks != KS_OK) {
        free(d);
        free(res);
        return ltx2_kstatus(ks);
    }
    if (b->residual) {
        int64_t cr = c / P;
        const float *rs = res + drop * H * W * cr;
        int64_t np = (T - drop) * H * W;
        for (int64_t i = 0; i < np; i++) {
            float *o = d + i * co;
            const float *r = rs + i * cr;
            for (int64_t j = 0; j < co; j++) o[j] += r[j % cr];
        }
        free(res);
    }
    *to = T - drop;
    *out = d;
    return LTX2_OK;
}

ltx2_status vblock_down(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                        const float *x, vtpad tpad, kpad spad, float **out, int64_t *to)
{
    int P = b->st * b->sh * b->sw;
    int64_t c = b->cin, co = b->cout, cc = co / P, g = c * P / co;
    int64_t tp = t + (b->st == 2 ? 1 : 0), frame = h * w * c;
    if (tp % b->st || h % b->sh || w % b->sw) return LTX2_ERR_BAD_INPUT;
    int64_t T = tp / b->st, H = h / b->sh, W = w / b->sw, np = T * H * W;
    float *xp = malloc((size_t)(tp * frame) * sizeof *xp);
    float *s2d = malloc((size_t)(np * c * P) * sizeof *s2d);
    float *y = malloc((size_t)(tp * h * w * cc) * sizeof *y);
    float *o = malloc((size_t)(np * co) * sizeof *o);
    if (!xp || !s2d || !y || !o) {
        free(xp);
        free(s2d);
        free(y);
        free(o);
        return LTX2_ERR_OOM;
    }
    /* a time stride of 2 first duplicates frame 0 */
    kstatus ks = tp > t ? k_copy(ctx, xp, x, (size_t)frame * sizeof *xp, K_D2D) : KS_OK;
    K_THEN(ks, k_copy(ctx, xp + (tp - t) * frame, x, (size_t)(t * frame) * sizeof *xp, K_D2D));
    K_THEN(ks, k_space_to_depth3d(ctx, T, H, W, c, b->st, b->sh, b->sw, xp, s2d));
    K_THEN(ks, vconv_run(ctx, &b->conv, tp, h, w, xp, y, tpad, spad));
    free(xp);
    K_THEN(ks, k_space_to_depth3d(ctx, T, H, W, cc, b->st, b->sh, b->sw, y, o));
    free(y);
    if (ks != KS_OK) {
        free(s2d);
        free(o);
        return ltx2_kstatus(ks);
    }
    /* skip: mean of each group of g consecutive space-to-depth channels */
    for (int64_t i = 0; i < np; i++) {
        const float *s = s2d + i * c * P;
        float *d = o + i * co;
        for (int64_t k = 0; k < co; k++) {
            float acc = 0.0f;
            for (int64_t q = 0; q < g; q++) acc += s[k * g + q];
            d[k] += acc / (float)g;
        }
    }
    free(s2d);
    *to = T;
    *out = o;
    return LTX2_OK;
}
