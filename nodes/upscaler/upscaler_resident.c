/* upscaler_resident.c — the latent upsampler's weights on a device (common/weights.h): a
 * mirror whose res-block arrays are copies, conv weights packed on the device, and the
 * group-norm vectors, statistics and blur kernel in the model's device block. */
#include <stdlib.h>
#include <string.h>

#include "upscaler/upscaler_model.h"

static ures *copy_res(const ures *r, int n)
{
    ures *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);
    if (d && n > 0)
        memcpy(d, r, (size_t)n * sizeof *d);
    return d;
}

static void walk_res(ures *r, int n, int64_t c, lx_upload *u)
{
    for (int i = 0; i < n; i++) {
        vconv_upload(u, &r[i].conv1);
        vconv_upload(u, &r[i].conv2);
        float **vecs[4] = {&r[i].n1w, &r[i].n1b, &r[i].n2w, &r[i].n2b};
        for (int j = 0; j < 4; j++)
            lx_upload_vec(u, vecs[j], c);
    }
}

static void free_res(ures *r, int n)
{
    for (int i = 0; r && i < n; i++) {
        vconv_mirror_free(&r[i].conv1);
        vconv_mirror_free(&r[i].conv2);
    }
    free(r);
}

static void mirror_free(void *mirror)
{
    ltx2_upscaler *d = mirror;
    vconv_mirror_free(&d->initial_conv);
    vconv_mirror_free(&d->up);
    vconv_mirror_free(&d->final_conv);
    free_res(d->res, d->n_blocks);
    free_res(d->post, d->n_blocks);
    free(d);
}

static void *mirror_make(const void *model)
{
    const ltx2_upscaler *u = model;
    ltx2_upscaler *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = *u;
    d->res = copy_res(u->res, u->n_blocks);
    d->post = copy_res(u->post, u->n_blocks);
    if (!d->res || !d->post) {
        free(d->res);
        free(d->post);
        free(d);
        return NULL;
    }
    return d;
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    ltx2_upscaler *d = mirror;
    vconv_upload(u, &d->initial_conv);
    vconv_upload(u, &d->up);
    vconv_upload(u, &d->final_conv);
    lx_upload_vec(u, &d->in_w, d->mid);
    lx_upload_vec(u, &d->in_b, d->mid);
    walk_res(d->res, d->n_blocks, d->mid, u);
    walk_res(d->post, d->n_blocks, d->mid, u);
    lx_upload_vec(u, &d->mean, d->in_ch);
    lx_upload_vec(u, &d->std, d->in_ch);
    lx_upload_vec(u, &d->blur, 25);
}

static const lx_mirror_ops upscaler_mirror = {mirror_make, mirror_walk, mirror_free};

void ltx2_upscaler_resident_fini(ltx2_upscaler *u) { lx_resident_fini(&u->resident, &upscaler_mirror); }

ltx2_status ltx2_upscaler_on(const ltx2_upscaler *u, const kctx *kc, const ltx2_upscaler **out, ltx2_error *err)
{
    *out = u;
    if (kc->backend == KB_CPU)
        return LTX2_OK;
    void *mirror = NULL;
    /* the residency state is the one mutable part of a shared model (locked inside) */
    ltx2_status st =
        lx_resident_get((lx_resident *)&u->resident, &upscaler_mirror, u, kc, "latent upsampler", &mirror, err);
    if (st == LTX2_OK)
        *out = mirror;
    return st;
}
