/* finite.c — see finite.h; the scan is the CPU backend's k_find_nonfinite. */
#include "finite.h"

#include "kernels.h"

int64_t ltx2_find_nonfinite(const float *x, int64_t n)
{
    const kctx cpu = {.backend = KB_CPU};
    int64_t at = -1;
    return k_find_nonfinite(&cpu, x, n, &at) == KS_OK ? at : -1;
}
