/* gemm_avx512bf16.c — fast-precision micro-kernel on vdpbf16ps: 14 × 32 tiles, each
 * instruction multiplies pairs along k (bf16 × bf16 exact, accumulated in f32). */
#include "gemm_internal.h"

#include <immintrin.h>
#include <string.h>

#define MR 14

static void ukr_dp(int64_t kc, const void *av, const void *bv, float *c, int64_t ldc, int add) {
    const uint16_t *a = av, *b = bv;
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; p += 2) {
        /* one C tile row every 4 pair steps (see gemm_avx512.c), and A/B ahead */
        if ((p & 7) == 0 && (p >> 3) < MR) {
            __builtin_prefetch(c + (p >> 3) * ldc, 1, 3);
            __builtin_prefetch(c + (p >> 3) * ldc + 16, 1, 3);
        }
        _mm_prefetch((const char *)(b + 24 * GEMM_NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 24 * GEMM_NR + 32), _MM_HINT_T0);
        _mm_prefetch((const char *)(a + 24 * MR), _MM_HINT_T0);
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)b);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + 32));
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            int32_t pair;
            memcpy(&pair, a + 2 * i, 4);
            __m512bh ai = (__m512bh)_mm512_set1_epi32(pair);
            acc0[i] = _mm512_dpbf16_ps(acc0[i], ai, b0);
            acc1[i] = _mm512_dpbf16_ps(acc1[i], ai, b1);
        }
        a += 2 * MR;
        b += 2 * GEMM_NR;
    }
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        if (add) {
            acc0[i] = _mm512_add_ps(acc0[i], _mm512_loadu_ps(ci));
            acc1[i] = _mm512_add_ps(acc1[i], _mm512_loadu_ps(ci + 16));
        }
        _mm512_storeu_ps(ci, acc0[i]);
        _mm512_storeu_ps(ci + 16, acc1[i]);
    }
}

const gemm_arch *gemm_arch_avx512bf16(void) {
    static const gemm_arch arch = {MR, {gemm_ukr_avx512_f32, gemm_ukr_avx512_bf16w, ukr_dp}, gemm_packb_avx512};
    return &arch;
}
