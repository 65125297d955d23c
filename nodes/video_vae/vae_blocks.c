/* vae_blocks.c — the VAE's blocks on channels-last activations: ResnetBlock3D stacks
 * (with the optional timestep AdaLN), DepthToSpaceUpsample and SpaceToDepthDownsample. */
#include "video_vae/vae_blocks.h"
#include "node.h"

#define PIXNORM_EPS 1e-8f

ltx2_status vblock_res(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                       float *x, vtpad tpad, kpad spad, const float *temb)
{
    int64_t c = b->cin, n = t * h * w;
    float *a = vae_alloc(ctx, n * c);
    float *z = vae_alloc(ctx, n * c);
    float *ada = temb ? vae_alloc(ctx, 4 * c) : NULL;
    kstatus ks = a && z && (!temb || ada) ? KS_OK : KS_OOM;
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
    k_free(ctx, a);
    k_free(ctx, z);
    k_free(ctx, ada);
    return ltx2_kstatus(ks);
}

ltx2_status vblock_up(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                      const float *x, vtpad tpad, kpad spad, float **out, int64_t *to)
{
    int P = b->st * b->sh * b->sw;
    int64_t n = t * h * w, c = b->cin, co = b->cout;
    int64_t T = t * b->st, H = h * b->sh, W = w * b->sw, drop = b->st == 2 ? 1 : 0;
    int64_t frame = H * W * co, cr = c / P;
    float *y = vae_alloc(ctx, n * P * co);
    float *d = vae_alloc(ctx, T * frame);
    float *res = b->residual ? vae_alloc(ctx, T * H * W * cr) : NULL;
    kstatus ks = y && d && (!b->residual || res) ? KS_OK : KS_OOM;
    K_THEN(ks, vconv_run(ctx, &b->conv, t, h, w, x, y, tpad, spad));
    K_THEN(ks, k_depth_to_space3d(ctx, t, h, w, co, b->st, b->sh, b->sw, y, d));
    k_free(ctx, y);
    if (b->residual) /* depth-to-space of the input, its channels tiled P/mult times */
        K_THEN(ks, k_depth_to_space3d(ctx, t, h, w, cr, b->st, b->sh, b->sw, x, res));
    if (drop) /* in place: k_copy moves overlapping ranges like memmove */
        K_THEN(ks, k_copy(ctx, d, d + frame, (size_t)((T - 1) * frame) * sizeof *d, K_D2D));
    if (b->residual)
        K_THEN(ks, k_add_repeat(ctx, (T - drop) * H * W, co, res + drop * H * W * cr, cr, d));
    k_free(ctx, res);
    if (ks != KS_OK) {
        k_free(ctx, d);
        return ltx2_kstatus(ks);
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
    float *xp = vae_alloc(ctx, tp * frame);
    float *s2d = vae_alloc(ctx, np * c * P);
    float *y = vae_alloc(ctx, tp * h * w * cc);
    float *o = vae_alloc(ctx, np * co);
    kstatus ks = xp && s2d && y && o ? KS_OK : KS_OOM;
    /* a time stride of 2 first duplicates frame 0 */
    if (tp > t) K_THEN(ks, k_copy(ctx, xp, x, (size_t)frame * sizeof *xp, K_D2D));
    K_THEN(ks, k_copy(ctx, xp + (tp - t) * frame, x, (size_t)(t * frame) * sizeof *xp, K_D2D));
    K_THEN(ks, k_space_to_depth3d(ctx, T, H, W, c, b->st, b->sh, b->sw, xp, s2d));
    K_THEN(ks, vconv_run(ctx, &b->conv, tp, h, w, xp, y, tpad, spad));
    k_free(ctx, xp);
    K_THEN(ks, k_space_to_depth3d(ctx, T, H, W, cc, b->st, b->sh, b->sw, y, o));
    k_free(ctx, y);
    /* skip: mean of each group of g consecutive space-to-depth channels */
    K_THEN(ks, k_add_group_mean(ctx, np, co, g, s2d, o));
    k_free(ctx, s2d);
    if (ks != KS_OK) {
        k_free(ctx, o);
        return ltx2_kstatus(ks);
    }
    *to = T;
    *out = o;
    return LTX2_OK;
}
