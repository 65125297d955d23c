/* xfer.c — weight streaming's memory and transfer queue on each backend (kernels.h):
 * pinned host memory and kcuda_xfer on CUDA; on the CPU plain memory and memcpy, so the
 * streaming code above runs (and is tested) without a GPU. */
#include <stdlib.h>
#include <string.h>

#include "kbackend.h"

#define PINNED_ALIGN 64

struct kxfer {
    kctx owner;
    int n_slots;
    kcuda_xfer *dev; /* CUDA only */
};

kstatus k_pinned_alloc(const kctx *ctx, size_t bytes, void **out)
{
    *out = NULL;
    K_DISPATCH(ctx, kcuda_pinned_alloc(ctx->cuda, bytes, out));
    size_t n = (bytes + PINNED_ALIGN - 1) / PINNED_ALIGN * PINNED_ALIGN;
    *out = aligned_alloc(PINNED_ALIGN, n ? n : PINNED_ALIGN);
    return *out ? KS_OK : KS_OOM;
}

void k_pinned_free(const kctx *ctx, void *p)
{
    if (!p)
        return;
#ifdef LTX2_CUDA
    if (ctx->backend == KB_CUDA) {
        kcuda_pinned_free(ctx->cuda, p);
        return;
    }
#endif
    (void)ctx;
    free(p);
}

kstatus k_xfer_create(const kctx *ctx, int n_slots, kxfer **out)
{
    *out = NULL;
    if (n_slots < 1)
        return KS_BAD_ARG;
    if (ctx->backend != KB_CPU && ctx->backend != KB_CUDA)
        return KS_UNSUPPORTED;
    kxfer *x = calloc(1, sizeof *x);
    if (!x)
        return KS_OOM;
    x->owner = *ctx;
    x->owner.arena = NULL;
    x->n_slots = n_slots;
    kstatus st = KS_OK;
#ifdef LTX2_CUDA
    if (ctx->backend == KB_CUDA)
        st = kcuda_xfer_create(ctx->cuda, n_slots, &x->dev);
#else
    if (ctx->backend == KB_CUDA)
        st = KS_UNSUPPORTED;
#endif
    if (st != KS_OK) {
        free(x);
        return st;
    }
    *out = x;
    return KS_OK;
}

void k_xfer_destroy(kxfer *x)
{
    if (!x)
        return;
#ifdef LTX2_CUDA
    if (x->dev)
        kcuda_xfer_destroy(x->dev);
#endif
    free(x);
}

kstatus k_xfer_load(kxfer *x, int slot, void *dst, const void *src, size_t bytes)
{
    if (slot < 0 || slot >= x->n_slots || (bytes && (!dst || !src)))
        return KS_BAD_ARG;
    K_DISPATCH(&x->owner, kcuda_xfer_load(x->dev, slot, dst, src, bytes));
    if (bytes)
        memcpy(dst, src, bytes);
    return KS_OK;
}

kstatus k_xfer_acquire(kxfer *x, int slot)
{
    if (slot < 0 || slot >= x->n_slots)
        return KS_BAD_ARG;
    K_DISPATCH(&x->owner, kcuda_xfer_acquire(x->dev, slot));
    return KS_OK;
}

kstatus k_xfer_release(kxfer *x, int slot)
{
    if (slot < 0 || slot >= x->n_slots)
        return KS_BAD_ARG;
    K_DISPATCH(&x->owner, kcuda_xfer_release(x->dev, slot));
    return KS_OK;
}
