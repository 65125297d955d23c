/* gemm_avx2.c — AVX2+FMA micro-kernel: a 6 × 32 tile done as two 6 × 16 halves
 * (12 ymm accumulators + 2 B vectors + 1 broadcast fit the 16 registers). */
#include "gemm_internal.h"

#include <immintrin.h>

#define MR 6

static void ukr_f32(int64_t kc, const void *av, const void *bv, float *c, int64_t ldc, int add) {
    for (int half = 0; half < 2; half++) {
        const float *a = av, *b = (const float *)bv + 16 * half;
        __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) acc0[i] = acc1[i] = _mm256_setzero_ps();
        for (int64_t t = 0; t < kc; t++) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
            for (int i = 0; i < MR; i++) {
                __m256 ai = _mm256_broadcast_ss(a + i);
                acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
                acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
            }
            a += MR;
            b += GEMM_NR;
        }
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc + 16 * half;
            if (add) {
                acc0[i] = _mm256_add_ps(acc0[i], _mm256_loadu_ps(ci));
                acc1[i] = _mm256_add_ps(acc1[i], _mm256_loadu_ps(ci + 8));
            }
            _mm256_storeu_ps(ci, acc0[i]);
            _mm256_storeu_ps(ci + 8, acc1[i]);
        }
    }
}

const gemm_arch *gemm_arch_avx2(void) {
    static const gemm_arch arch = {MR, {ukr_f32, NULL, NULL}, NULL, NULL, NULL};
    return &arch;
}
