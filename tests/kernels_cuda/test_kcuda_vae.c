/* test_kcuda_vae.c — the CUDA twins of the video VAE's and upscaler's steps
 * (kernels/vae_ops.c: latent (un)normalize, add_repeat, add_group_mean, blur2d, crop3d,
 * blend_box3d, div_separable) against their CPU kernels on fresh random inputs, outputs
 * poisoned first, and overlapping device-to-device copies (memmove semantics) both ways.
 * The twins avoid fused multiply-adds, so the bound is tight. Exits 77 without a GPU. */
#include "kcuda_test.h"

#include <time.h>

#define TOL 1e-7

/* host buffer of n floats (the CPU side's outputs) */
static float *hbuf(int64_t n) { return malloc(sizeof(float) * (size_t)(n > 0 ? n : 1)); }

int main(void)
{
    kcheck k = {0};
    krng r;
    kctx g = kcuda_test_begin(&r, 0x2545f4914f6cdd1dull), c = kctx_default(NULL);
    kcuda *d = g.cuda;

    /* latent (un)normalize */
    const int64_t C = 19, n = 301, ld = 21;
    float *z = rand_buf(&r, C * n, 2), *nz = rand_buf(&r, C * n, 1), *mean = rand_buf(&r, C, 1);
    float *std = rand_buf(&r, C, 1), *ref = hbuf(ld * n);
    for (int64_t i = 0; i < C; i++) std[i] = 0.5f + fabsf(std[i]);
    float *zd = dev_f32(d, z, C * n), *nzd = dev_f32(d, nz, C * n), *md = dev_f32(d, mean, C), *sd = dev_f32(d, std, C);
    for (int with_noise = 0; with_noise < 2; with_noise++) {
        float *xd = dev_poisoned(d, C * n);
        CPU(k_latent_unnormalize(&c, C, n, z, with_noise ? nz : NULL, 0.025f, mean, std, ref));
        die_on(kcuda_latent_unnormalize(&g, C, n, zd, with_noise ? nzd : NULL, 0.025f, md, sd, xd), d, "unnormalize");
        check_dev(&k, d, with_noise ? "latent_unnormalize (noise mix)" : "latent_unnormalize", xd, ref, C * n, TOL);
        kcuda_free(d, xd);
    }
    float *xs = rand_buf(&r, ld * n, 3), *xsd = dev_f32(d, xs, ld * n), *zo = dev_poisoned(d, C * n);
    CPU(k_latent_normalize(&c, n, C, xs, ld, mean, std, ref));
    die_on(kcuda_latent_normalize(&g, n, C, xsd, ld, md, sd, zo), d, "normalize");
    check_dev(&k, d, "latent_normalize (strided rows)", zo, ref, C * n, TOL);

    /* residuals */
    const int64_t rows = 211, dim = 96, xdim = 24, gsz = 4;
    float *y0 = rand_buf(&r, rows * dim, 1), *src = rand_buf(&r, rows * dim * gsz, 1), *yc = hbuf(rows * dim);
    float *srcd = dev_f32(d, src, rows * dim * gsz), *yd = dev_f32(d, y0, rows * dim);
    memcpy(yc, y0, sizeof(float) * (size_t)(rows * dim));
    CPU(k_add_repeat(&c, rows, dim, src, xdim, yc));
    die_on(kcuda_add_repeat(&g, rows, dim, srcd, xdim, yd), d, "add_repeat");
    check_dev(&k, d, "add_repeat", yd, yc, rows * dim, TOL);
    kcuda_free(d, yd);
    yd = dev_f32(d, y0, rows * dim);
    memcpy(yc, y0, sizeof(float) * (size_t)(rows * dim));
    CPU(k_add_group_mean(&c, rows, dim, gsz, src, yc));
    die_on(kcuda_add_group_mean(&g, rows, dim, gsz, srcd, yd), d, "add_group_mean");
    check_dev(&k, d, "add_group_mean", yd, yc, rows * dim, TOL);

    /* blur 5×5, strides 1 and 2 (the rational upsampler) */
    const int64_t bt = 3, bh = 17, bw = 23, bc = 40;
    float *bx = rand_buf(&r, bt * bh * bw * bc, 1), *kern = rand_buf(&r, 25, 1);
    float *bxd = dev_f32(d, bx, bt * bh * bw * bc), *kd = dev_f32(d, kern, 25);
    for (int stride = 1; stride <= 2; stride++) {
        const int64_t no = bt * ((bh - 1) / stride + 1) * ((bw - 1) / stride + 1) * bc;
        float *br = hbuf(no), *byd = dev_poisoned(d, no);
        CPU(k_blur2d(&c, bt, bh, bw, bc, kern, 5, stride, bx, br));
        die_on(kcuda_blur2d(&g, bt, bh, bw, bc, kd, 5, stride, bxd, byd), d, "blur2d");
        check_dev(&k, d, stride == 1 ? "blur2d stride 1" : "blur2d stride 2", byd, br, no, TOL);
        free(br);
        kcuda_free(d, byd);
    }

    /* tiles: crop of an NCFHW latent, blend into a video, separable average */
    const kbox3d box = {7, 12, 16, 2, 3, 5, 4, 8, 9};
    const int64_t slabs = 11, nb = slabs * box.nt * box.nh * box.nw, ng = slabs * box.t * box.h * box.w;
    float *grid = rand_buf(&r, ng, 1), *crc = hbuf(nb), *gd = dev_f32(d, grid, ng), *crd = dev_poisoned(d, nb);
    CPU(k_crop3d(&c, slabs, &box, grid, crc));
    die_on(kcuda_crop3d(&g, slabs, &box, gd, crd), d, "crop3d");
    check_dev(&k, d, "crop3d", crd, crc, nb, 0.0);
    const int64_t ch = 3, xh = box.nh + 2, xw = box.nw + 1, nv = box.t * box.h * box.w * ch, ntile = box.nt * xh * xw * ch;
    float *tile = rand_buf(&r, ntile, 1), *mt = rand_buf(&r, box.nt, 1), *mh = rand_buf(&r, box.nh, 1);
    float *mw = rand_buf(&r, box.nw, 1), *vid = rand_buf(&r, nv, 1);
    float *tiled = dev_f32(d, tile, ntile), *mtd = dev_f32(d, mt, box.nt), *mhd = dev_f32(d, mh, box.nh);
    float *mwd = dev_f32(d, mw, box.nw), *vidd = dev_f32(d, vid, nv);
    CPU(k_blend_box3d(&c, &box, ch, tile, xh, xw, mt, mh, mw, vid));
    die_on(kcuda_blend_box3d(&g, &box, ch, tiled, xh, xw, mtd, mhd, mwd, vidd), d, "blend_box3d");
    check_dev(&k, d, "blend_box3d", vidd, vid, nv, TOL);
    float *wt = rand_buf(&r, box.t, 1), *wh = rand_buf(&r, box.h, 1), *ww = rand_buf(&r, box.w, 1);
    wt[1] = 0.0f; /* below the floor */
    float *wtd = dev_f32(d, wt, box.t), *whd = dev_f32(d, wh, box.h), *wwd = dev_f32(d, ww, box.w);
    CPU(k_div_separable(&c, box.t, box.h, box.w, ch, wt, wh, ww, 1e-8f, vid));
    die_on(kcuda_div_separable(&g, box.t, box.h, box.w, ch, wtd, whd, wwd, 1e-8f, vidd), d, "div_separable");
    check_dev(&k, d, "div_separable", vidd, vid, nv, TOL);

    /* overlapping copies: shift down by one frame (the decoder's dropped frame), then up */
    const int64_t frame = 1000, frames = 9, all = frame * frames;
    float *seq = rand_buf(&r, all, 1), *want = hbuf(all), *seqd = dev_f32(d, seq, all);
    memcpy(want, seq, sizeof(float) * (size_t)all);
    memmove(want, want + frame, sizeof(float) * (size_t)(all - frame));
    die_on(kcuda_copy(d, seqd, seqd + frame, sizeof(float) * (size_t)(all - frame), KCUDA_D2D), d, "copy down");
    check_dev(&k, d, "overlapping D2D copy (down)", seqd, want, all, 0.0);
    memmove(want + 3 * frame + 7, want, sizeof(float) * (size_t)(all - 3 * frame - 7));
    die_on(kcuda_copy(d, seqd + 3 * frame + 7, seqd, sizeof(float) * (size_t)(all - 3 * frame - 7), KCUDA_D2D), d,
           "copy up");
    check_dev(&k, d, "overlapping D2D copy (up)", seqd, want, all, 0.0);

    kcuda_destroy(d);
    printf("%d checks, %d failures\n", k.checks, k.failures);
    return k.failures ? 1 : 0;
}
