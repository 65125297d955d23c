/* feedforward.c — k_feedforward (kernels.h): linear, GELU (tanh), linear over chunks of
 * rows, the hidden chunk in the op's scratch; a CUDA context tries its fused form first. */
#include "kbackend.h"

#define FF_CHUNK_CPU 1024  /* rows per chunk: the hidden chunk stays near the caches */
#define FF_CHUNK_DEV 8192  /* on a device: GEMMs big enough to fill it */

kstatus k_feedforward(const kctx *ctx, int64_t n, const float *x, int64_t ldx, const kmat *w1, const float *b1,
                      const kmat *w2, const float *b2, float *y, int64_t ldy, int accumulate)
{
#ifdef LTX2_CUDA
    if (ctx->backend == KB_CUDA) {
        kstatus fs = kcuda_feedforward_fused(ctx, n, x, ldx, w1, b1, w2, b2, y, ldy, accumulate);
        if (fs != KS_UNSUPPORTED) return fs;
    }
#endif
    if (ctx->backend != KB_CPU && ctx->backend != KB_CUDA) return KS_UNSUPPORTED;
    if (!w1 || !w2 || n < 0 || w2->cols != w1->rows || ldx < w1->cols || ldy < w2->rows) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    const int64_t hid = w1->rows;
    const int64_t cap = ctx->backend == KB_CPU ? FF_CHUNK_CPU : FF_CHUNK_DEV;
    const int64_t chunk = n < cap ? n : cap;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    void *mem = NULL;
    kstatus s = k_scratch(&sc, sizeof(float) * (size_t)(chunk * hid), &mem);
    float *h = mem;
    for (int64_t r = 0; s == KS_OK && r < n; r += chunk) {
        const int64_t m = n - r < chunk ? n - r : chunk;
        K_THEN(s, k_linear(ctx, m, x + r * ldx, ldx, w1, NULL, b1, h, hid, 0));
        K_THEN(s, k_gelu_tanh(ctx, h, h, m * hid));
        K_THEN(s, k_linear(ctx, m, h, hid, w2, NULL, b2, y + r * ldy, ldy, accumulate));
    }
    k_scratch_close(&sc);
    return s;
}
