/* test_kcuda_oom.c — the device budget: allocations past it are KS_OOM with the bytes
 * asked and free in kcuda_last_error, in-use and peak bytes are exact, and an op whose
 * scratch does not fit fails with KS_OOM instead of crashing. Exits 77 without a GPU. */
#include "kcuda_test.h"

#define BUDGET ((size_t)4 << 20)

int main(void)
{
    kcheck k = {0};
    kcuda *probe = open_device_or_skip(0);
    kcuda_destroy(probe);

    kcuda *bad = NULL;
    check_true(&k, kcuda_create(1 << 20, 0, &bad, NULL, 0) == KS_BAD_ARG && !bad, "a device that does not exist");

    kcuda *d = NULL;
    die_on(kcuda_create(0, BUDGET, &d, NULL, 0), d, "kcuda_create with a budget");
    check_true(&k, kcuda_budget(d) == BUDGET, "budget as given");
    void *a = NULL, *b = NULL, *c = (void *)1;
    die_on(kcuda_alloc(d, 3 << 20, &a), d, "alloc within the budget");
    check_true(&k, kcuda_bytes_in_use(d) == (size_t)3 << 20, "bytes in use");
    kstatus s = kcuda_alloc(d, 2 << 20, &c);
    check_true(&k, s == KS_OOM && c == NULL, "alloc past the budget is KS_OOM");
    printf("OOM message: %s\n", kcuda_last_error(d));
    check_true(&k, strstr(kcuda_last_error(d), "2097152") != NULL, "the message names the bytes asked");
    kcuda_free(d, a);
    check_true(&k, kcuda_bytes_in_use(d) == 0, "free returns the bytes");
    die_on(kcuda_alloc(d, 1 << 20, &b), d, "alloc after free");
    check_true(&k, kcuda_peak_bytes(d) == (size_t)3 << 20, "peak tracked");

    /* a GEMM whose scratch (cuBLASLt workspace) cannot fit the remaining budget */
    kctx ctx = kctx_default(NULL);
    ctx.backend = KB_CUDA;
    ctx.cuda = d;
    float *x = b, *y = (float *)b + 1024;
    kmat w = {KD_F32, (float *)b + 2048, 16, 16, 16, 1.0f};
    s = kcuda_linear(&ctx, 16, x, 16, &w, NULL, y, 16, 0);
    check_true(&k, s == KS_OOM, "an op whose scratch does not fit is KS_OOM");
    printf("OOM message: %s\n", kcuda_last_error(d));
    kcuda_free(d, b);
    kcuda_destroy(d);
    printf("%d checks, %d failed\n", k.checks, k.failures);
    return k.failures ? 1 : 0;
}
