/* finite.c — the first NaN or infinity of a buffer (the cheap scan run on sampler latents
 * and on decoder and vocoder outputs, so bad weights or inputs fail loudly instead of
 * giving black frames or a full-scale WAV). */
#include "kbackend.h"

#include <string.h>

enum { chunk = 4096 };

/* True when some value of x[0..n) has all exponent bits set (NaN or infinity).
 * GCC vectorises this integer OR-reduction only when asked to at -O2. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize")))
#endif
static int chunk_has_nonfinite(const float *x, int64_t n)
{
    uint32_t any = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        any |= (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
    }
    return any != 0;
}

kstatus k_find_nonfinite(const kctx *ctx, const float *x, int64_t n, int64_t *at)
{
    if (!at) return KS_BAD_ARG;
    *at = -1;
    K_DISPATCH(ctx, kcuda_find_nonfinite(ctx, x, n, at));
    if (n < 0 || (n > 0 && !x)) return KS_BAD_ARG;
    for (int64_t start = 0; start < n; start += chunk) {
        int64_t len = n - start < chunk ? n - start : chunk;
        if (!chunk_has_nonfinite(x + start, len)) continue;
        for (int64_t i = start; i < start + len; i++)
            if (chunk_has_nonfinite(x + i, 1)) {
                *at = i;
                return KS_OK;
            }
    }
    return KS_OK;
}
