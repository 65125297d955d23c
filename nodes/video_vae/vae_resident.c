/* vae_resident.c — the video VAE's weights on a device (common/weights.h): a mirror of the
 * model whose block arrays are copies, with conv weights packed on the device and the
 * statistics, scale-shift tables and timestep embedders in the model's device block. */
#include <stdlib.h>
#include <string.h>

#include "video_vae/vae_model.h"

/* Deep copies of a coder's block arrays (the slots are repointed in the copies). */
static int copy_coder(vcoder *dst, const vcoder *src)
{
    dst->blocks = NULL;
    if (!src->blocks)
        return 1;
    dst->blocks = calloc((size_t)(src->n_blocks ? src->n_blocks : 1), sizeof *dst->blocks);
    if (!dst->blocks)
        return 0;
    for (int i = 0; i < src->n_blocks; i++) {
        dst->blocks[i] = src->blocks[i];
        dst->blocks[i].res = NULL;
    }
    for (int i = 0; i < src->n_blocks; i++) {
        const vblock *b = &src->blocks[i];
        if (!b->res)
            continue;
        dst->blocks[i].res = malloc((size_t)b->n_res * sizeof *b->res);
        if (!dst->blocks[i].res)
            return 0;
        memcpy(dst->blocks[i].res, b->res, (size_t)b->n_res * sizeof *b->res);
    }
    return 1;
}

static void free_coder(vcoder *c, int device)
{
    if (device) {
        vconv_mirror_free(&c->conv_in);
        vconv_mirror_free(&c->conv_out);
    }
    for (int i = 0; c->blocks && i < c->n_blocks; i++) {
        vblock *b = &c->blocks[i];
        for (int j = 0; device && b->res && j < b->n_res; j++) {
            vconv_mirror_free(&b->res[j].conv1);
            vconv_mirror_free(&b->res[j].conv2);
        }
        if (device)
            vconv_mirror_free(&b->conv);
        free(b->res);
    }
    free(c->blocks);
}

static void walk_coder(vcoder *c, lx_upload *u)
{
    vconv_upload(u, &c->conv_in);
    vconv_upload(u, &c->conv_out);
    for (int i = 0; i < c->n_blocks; i++) {
        vblock *b = &c->blocks[i];
        for (int j = 0; b->res && j < b->n_res; j++) {
            vconv_upload(u, &b->res[j].conv1);
            vconv_upload(u, &b->res[j].conv2);
            if (b->res[j].sst)
                lx_upload_vec(u, &b->res[j].sst, 4 * b->cin);
        }
        if (b->has_te)
            vtembed_upload(u, &b->te);
        if (b->kind != VB_RES)
            vconv_upload(u, &b->conv);
    }
}

static void mirror_free(void *mirror)
{
    ltx2_video_vae *d = mirror;
    free_coder(&d->dec, 1);
    free_coder(&d->enc, 1);
    free(d);
}

/* The struct (config and host slots) with copies of its arrays; the walk repoints them. */
static void *mirror_make(const void *model)
{
    const ltx2_video_vae *v = model;
    ltx2_video_vae *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = *v;
    int ok_dec = copy_coder(&d->dec, &v->dec);
    int ok_enc = ok_dec && copy_coder(&d->enc, &v->enc);
    if (!ok_enc) {
        if (!ok_dec)
            d->enc.blocks = NULL;
        free_coder(&d->dec, 0);
        free_coder(&d->enc, 0);
        free(d);
        return NULL;
    }
    return d;
}

static void mirror_walk(void *mirror, lx_upload *u)
{
    ltx2_video_vae *v = mirror;
    lx_upload_vec(u, &v->mean, v->latent_ch);
    lx_upload_vec(u, &v->std, v->latent_ch);
    if (v->has_dec) {
        walk_coder(&v->dec, u);
        if (v->ts_cond) {
            vtembed_upload(u, &v->last_te);
            lx_upload_vec(u, &v->last_sst, 2 * v->dec.conv_out.cin);
        }
    }
    if (v->has_enc)
        walk_coder(&v->enc, u);
}

static const lx_mirror_ops vae_mirror = {mirror_make, mirror_walk, mirror_free};

void ltx2_vae_resident_init(ltx2_video_vae *v) { lx_resident_init(&v->resident); }

void ltx2_vae_resident_fini(ltx2_video_vae *v) { lx_resident_fini(&v->resident, &vae_mirror); }

ltx2_status ltx2_vae_on(const ltx2_video_vae *v, const kctx *kc, const ltx2_video_vae **out, ltx2_error *err)
{
    *out = v;
    if (kc->backend == KB_CPU)
        return LTX2_OK;
    void *mirror = NULL;
    /* the residency state is the one mutable part of a shared model (locked inside) */
    ltx2_status st = lx_resident_get((lx_resident *)&v->resident, &vae_mirror, v, kc, "video VAE", &mirror, err);
    if (st == LTX2_OK)
        *out = mirror;
    return st;
}

size_t ltx2_vae_weight_bytes(const ltx2_video_vae *v)
{
    /* the upload's sizing walk over a throwaway mirror: the block plus the conv weights */
    ltx2_video_vae *d = mirror_make(v);
    if (!d)
        return 0;
    lx_upload u = {.st = KS_OK};
    mirror_walk(d, &u);
    mirror_free(d);
    return u.bytes + u.conv_bytes;
}

bool ltx2_vae_resident_on(const ltx2_video_vae *v, const kctx *kc)
{
    if (kc->backend == KB_CPU)
        return false;
    lx_resident *r = (lx_resident *)&v->resident; /* the lock is the one mutable part */
    pthread_mutex_lock(&r->lock);
    const bool on = r->mirror != NULL;
    pthread_mutex_unlock(&r->lock);
    return on;
}
