/* kbackend.h — what every public op of kernels/ shares (internal to kernels/): the
 * backend dispatch, the pooled loop as a status, and per-call scratch from the arena. */
#ifndef LTX2_KBACKEND_H
#define LTX2_KBACKEND_H

#include "kernels.h"
#include "cuda/kcuda.h"

/* First statement of every public op: a CUDA context runs the kcuda_* twin (a forwarder
 * into libltx2cuda.so, kernels/kcuda_loader.c). Without LTX2_CUDA the twin is only
 * type-checked (sizeof does not evaluate or link it) and the op refuses every non-CPU
 * backend. */
#ifdef LTX2_CUDA
#define K_DISPATCH(ctx, cuda_call)                          \
    do {                                                    \
        if ((ctx)->backend == KB_CUDA) return (cuda_call);  \
        if ((ctx)->backend != KB_CPU) return KS_UNSUPPORTED; \
    } while (0)
#else
#define K_DISPATCH(ctx, cuda_call)                          \
    do {                                                    \
        (void)sizeof(cuda_call);                            \
        if ((ctx)->backend != KB_CPU) return KS_UNSUPPORTED; \
    } while (0)
#endif

/* k_for as a status: KS_CANCELLED when chunks were skipped. */
static inline kstatus k_par(const kctx *ctx, int64_t n, int64_t grain, kpool_task fn, void *arg)
{
    return k_for(ctx, n, grain, fn, arg) ? KS_CANCELLED : KS_OK;
}

/* One op's scratch: taken from ctx->arena above a mark and given back at close; without
 * an arena each request is its own block of backend memory, freed at close. */
#define K_SCRATCH_DEV_BLOCKS 8 /* device blocks one op may hold without an arena */
typedef struct kscratch {
    karena *arena;
    kmark mark;
    void *blocks; /* without an arena, CPU: the last block (each starts with a link to the one before) */
    void *dev[K_SCRATCH_DEV_BLOCKS]; /* without an arena, a device: its blocks (no host link inside) */
    int n_dev;
    kctx owner;
} kscratch;
void k_scratch_open(const kctx *ctx, kscratch *s);
/* 64-byte aligned; KS_OOM when the arena cannot grow. */
kstatus k_scratch(kscratch *s, size_t bytes, void **out);
void k_scratch_close(kscratch *s);

#endif
