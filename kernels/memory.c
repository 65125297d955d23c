/* memory.c — buffers of the context's backend: host memory for the CPU, device memory
 * (through kcuda) for CUDA. Nodes allocate activations and copy at boundaries here. */
#include <stdlib.h>
#include <string.h>

#include "kbackend.h"

#define HOST_ALIGN 64

kstatus k_alloc(const kctx *ctx, size_t bytes, void **out)
{
    *out = NULL;
    K_DISPATCH(ctx, kcuda_alloc(ctx->cuda, bytes, out));
    size_t n = (bytes + HOST_ALIGN - 1) / HOST_ALIGN * HOST_ALIGN;
    *out = aligned_alloc(HOST_ALIGN, n ? n : HOST_ALIGN);
    return *out ? KS_OK : KS_OOM;
}

void k_free(const kctx *ctx, void *p)
{
    if (!p)
        return;
#ifdef LTX2_CUDA
    if (ctx->backend == KB_CUDA) {
        kcuda_free(ctx->cuda, p);
        return;
    }
#endif
    (void)ctx;
    free(p);
}

kstatus k_copy(const kctx *ctx, void *dst, const void *src, size_t bytes, kcopy_dir dir)
{
    if (bytes && (!dst || !src))
        return KS_BAD_ARG;
    K_DISPATCH(ctx, kcuda_copy(ctx->cuda, dst, src, bytes, (kcuda_dir)dir));
    if (bytes)
        memmove(dst, src, bytes);
    return KS_OK;
}

kstatus k_memset0(const kctx *ctx, void *p, size_t bytes)
{
    if (bytes && !p)
        return KS_BAD_ARG;
    K_DISPATCH(ctx, kcuda_memset0(ctx->cuda, p, bytes));
    if (bytes)
        memset(p, 0, bytes);
    return KS_OK;
}

kstatus k_sync(const kctx *ctx)
{
    K_DISPATCH(ctx, kcuda_sync(ctx->cuda));
    return KS_OK;
}
