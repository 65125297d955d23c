/* weights.c — uploads a model's weights to a device once (see weights.h). */
#include "common/weights.h"

#include "node.h"
#include "weights_internal.h"

#define LX_WEIGHT_ALIGN 256 /* every weight starts on a 256-byte boundary (vector loads) */

static size_t aligned(size_t n) { return (n + LX_WEIGHT_ALIGN - 1) / LX_WEIGHT_ALIGN * LX_WEIGHT_ALIGN; }

static void put(lx_upload *u, const void **data, size_t bytes)
{
    if (u->st != KS_OK || !*data)
        return;
    if (u->block) {
        char *dst = u->block + u->bytes;
        if (!u->repoint)
            u->st = k_copy(u->dev, dst, *data, bytes, K_H2D);
        *data = dst;
    }
    u->bytes += aligned(bytes);
}

void lx_upload_mat(lx_upload *u, kmat *slot)
{
    if (!slot || slot->rows <= 0)
        return;
    const size_t elems = (size_t)((slot->rows - 1) * slot->ld + slot->cols);
    put(u, &slot->data, elems * k_dtype_size(slot->dtype));
}

void lx_upload_vec(lx_upload *u, float **slot, int64_t n)
{
    if (!slot || n <= 0)
        return;
    const void *p = *slot;
    put(u, &p, (size_t)n * sizeof(float));
    *slot = (float *)p;
}

void lx_upload_conv(lx_upload *u, kconvw **slot, const kmat *w, int64_t cin, int kt, int kh, int kw)
{
    if (!slot || !w || !w->data)
        return;
    if (u->repoint) { /* units hold no conv weights (weights.h) */
        u->st = KS_BAD_ARG;
        return;
    }
    if (!u->block) {
        *slot = NULL;
        u->conv_bytes += (size_t)(w->rows * w->cols) * k_dtype_size(w->dtype);
        return;
    }
    if (u->st == KS_OK)
        u->st = k_convw_pack(u->dev, w, cin, kt, kh, kw, slot);
}

void lx_resident_init(lx_resident *r)
{
    pthread_mutex_init(&r->lock, NULL);
    r->block = NULL;
    r->bytes = 0;
    r->mirror = NULL;
    r->planned = false;
    r->streamed = NULL;
    pthread_mutex_init(&r->pass, NULL);
}

void lx_resident_fini(lx_resident *r, const lx_mirror_ops *ops)
{
    if (r->mirror) {
        lx_streamed_free(&r->dev, r->streamed);
        r->streamed = NULL;
        k_free(&r->dev, r->block);
        ops->free(r->mirror);
        r->mirror = NULL;
    }
    pthread_mutex_destroy(&r->pass);
    pthread_mutex_destroy(&r->lock);
}

/* One walk over what stays on the device: everything (plan NULL), or the fixed weights
 * and the units the plan keeps resident. */
static void walk_placed(const lx_mirror_ops *ops, const lx_unit_ops *units, void *mirror, const lx_plan *plan,
                        lx_upload *u)
{
    if (!plan) {
        ops->walk(mirror, u);
        return;
    }
    units->walk_fixed(mirror, u);
    for (int i = 0; i < plan->n_units; i++)
        if (lx_plan_unit_resident(plan, i))
            units->walk_unit(mirror, i, u);
}

ltx2_status lx_place_block(const kctx *dev, const lx_mirror_ops *ops, const lx_unit_ops *units, void *mirror,
                           const lx_plan *plan, const char *what, void **block_out, size_t *bytes_out,
                           ltx2_error *err)
{
    *block_out = NULL;
    lx_upload u = {.dev = dev};
    walk_placed(ops, units, mirror, plan, &u); /* sizing */
    const size_t bytes = u.bytes, need = u.bytes + u.conv_bytes;
    void *block = NULL;
    kstatus ks = k_alloc(dev, bytes, &block);
    if (ks != KS_OK)
        return ltx2_err(err, ltx2_kstatus(ks), "%s: the weights need %zu bytes (%.2f GiB) of device memory: %s",
                        what, need, (double)need / (1u << 30), k_status_name(ks));
    u = (lx_upload){.dev = dev, .block = block};
    walk_placed(ops, units, mirror, plan, &u);
    K_THEN(u.st, k_sync(dev));
    if (u.st != KS_OK) {
        k_free(dev, block);
        if (u.st == KS_OOM)
            return ltx2_err(err, LTX2_ERR_OOM, "%s: the weights need %zu bytes (%.2f GiB) of device memory: %s",
                            what, need, (double)need / (1u << 30), k_status_name(u.st));
        return ltx2_kerr(err, u.st, what);
    }
    *block_out = block;
    *bytes_out = bytes;
    return LTX2_OK;
}

static ltx2_status upload(lx_resident *r, const lx_mirror_ops *ops, const void *model, const kctx *kc,
                          const char *what, ltx2_error *err)
{
    kctx dev = {.backend = kc->backend, .cuda = kc->cuda, .prec = kc->prec, .isa = kc->isa};
    void *mirror = ops->make(model);
    if (!mirror)
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of host memory for the device weights", what);
    void *block = NULL;
    size_t bytes = 0;
    ltx2_status st = lx_place_block(&dev, ops, NULL, mirror, NULL, what, &block, &bytes, err);
    if (st != LTX2_OK) {
        ops->free(mirror);
        return st;
    }
    r->dev = dev;
    r->block = block;
    r->bytes = bytes;
    r->mirror = mirror;
    return LTX2_OK;
}

ltx2_status lx_resident_get(lx_resident *r, const lx_mirror_ops *ops, const void *model, const kctx *kc,
                            const char *what, void **mirror, ltx2_error *err)
{
    *mirror = NULL;
    ltx2_status st = LTX2_OK;
    pthread_mutex_lock(&r->lock);
    if (!r->mirror)
        st = upload(r, ops, model, kc, what, err);
    else if (r->dev.backend != kc->backend || r->dev.cuda != kc->cuda)
        st = ltx2_err(err, LTX2_ERR_UNSUPPORTED, "%s: the weights already live on another device", what);
    if (st == LTX2_OK)
        *mirror = r->mirror;
    pthread_mutex_unlock(&r->lock);
    return st;
}
