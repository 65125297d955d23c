/* finite.c — see finite.h. */
#include "finite.h"

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
