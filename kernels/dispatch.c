/* dispatch.c — which instruction set this CPU runs (CPUID + XGETBV), and the default
 * kernel context. */
#include "kernels.h"

#if defined(LTX2_X86) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

kisa k_isa_best(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return KISA_SCALAR;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!(fma && osxsave && avx && f16c)) return KISA_SCALAR;
    uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return KISA_SCALAR; /* OS saves XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return KISA_SCALAR;
    int avx2 = (b >> 5) & 1;
    if (!avx2) return KISA_SCALAR;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1); /* F DQ BW VL */
    if (!avx512 || (xcr0 & 0xe0) != 0xe0) return KISA_AVX2; /* opmask + ZMM state saved */
    unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && ((a1 >> 5) & 1)) return KISA_AVX512BF16;
    return KISA_AVX512;
}
#else
kisa k_isa_best(void) { return KISA_SCALAR; }
#endif

const char *k_isa_name(kisa isa) {
    switch (isa) {
    case KISA_SCALAR: return "scalar";
    case KISA_AVX2: return "avx2";
    case KISA_AVX512: return "avx512";
    case KISA_AVX512BF16: return "avx512bf16";
    }
    return "unknown";
}

kctx kctx_default(kpool *pool) {
    kctx c;
    c.pool = pool;
    c.prec = KP_EXACT;
    c.isa = k_isa_best();
    c.cancel = NULL;
    c.backend = KB_CPU;
    c.cuda = NULL;
    c.arena = NULL;
    c.budget = 0;
    return c;
}

const char *k_status_name(kstatus s) {
    switch (s) {
    case KS_OK: return "ok";
    case KS_CANCELLED: return "cancelled";
    case KS_OOM: return "out of memory";
    case KS_BAD_ARG: return "invalid arguments";
    case KS_UNSUPPORTED: return "not supported by this backend";
    case KS_DEVICE: return "device error";
    }
    return "unknown status";
}

int k_for(const kctx *ctx, int64_t n, int64_t grain, kpool_task fn, void *arg) {
    return kpool_for(ctx->pool, ctx->cancel, n, grain, fn, arg);
}
