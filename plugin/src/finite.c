/* finite.c — see finite.h. */
#include "finite.h"

#include <math.h>
#include <stdlib.h>
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

int64_t ltx2_find_nonfinite(const float *x, int64_t n)
{
    for (int64_t start = 0; start < n; start += chunk) {
        int64_t len = n - start < chunk ? n - start : chunk;
        if (!chunk_has_nonfinite(x + start, len))
            continue;
        for (int64_t i = start; i < start + len; i++)
            if (chunk_has_nonfinite(x + i, 1))
                return i;
    }
    return -1;
}

kstatus ltx2_find_nonfinite_on(const kctx *kc, const float *x, int64_t n, int64_t *at)
{
    *at = -1;
    if (kc->backend == KB_CPU) {
        *at = ltx2_find_nonfinite(x, n);
        return KS_OK;
    }
    float sd = 0.0f;
    kstatus ks = n >= 2 ? k_std(kc, x, n, &sd) : KS_OK;
    if (ks != KS_OK || (n >= 2 && isfinite(sd)))
        return ks;
    float *h = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    ks = h ? k_copy(kc, h, x, (size_t)n * sizeof(float), K_D2H) : KS_OOM;
    if (ks == KS_OK)
        *at = ltx2_find_nonfinite(h, n);
    free(h);
    return ks;
}
