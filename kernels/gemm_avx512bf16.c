/* gemm_avx512bf16.c — fast-precision micro-kernel on vdpbf16ps: 14 × 32 tiles, each
 * instruction multiplies pairs along k (bf16 × bf16 exact, accumulated in f32). */
#include "gemm_internal.h"
#include "transpose16_avx512.h"

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

/* A for vdpbf16ps: 14 rows × 32 k per step, rounded to bf16 pairs (vcvtne2ps2bf16, round
 * to nearest even), then the 14 × 16 pair words transposed so each k pair holds the 14
 * rows side by side ([k/2][14][2]). */
static int packa_dp(const float *a, int64_t lda, int trans, int64_t m, int64_t i0, int64_t k0, int64_t kc, kfmt fmt,
                    float mult, int round_bf16, void *dst) {
    if (fmt != KF_DP) return gemm_packa_avx512(a, lda, trans, m, i0, k0, kc, fmt, mult, round_bf16, dst);
    if (trans) return 0;
    uint16_t *d = dst;
    int rows = m - i0 < MR ? (int)(m - i0) : MR;
    if (rows < 0) rows = 0;
    int64_t np = (kc + 1) / 2;
    const __m512 vm = _mm512_set1_ps(mult);
    __m512i r[16];
    for (int64_t p0 = 0; p0 < np; p0 += 16) {
        int64_t ne = kc - 2 * p0 < 32 ? kc - 2 * p0 : 32; /* floats of this step */
        __mmask16 mlo = ne >= 16 ? 0xffff : (__mmask16)((1u << ne) - 1u);
        __mmask16 mhi = ne >= 32 ? 0xffff : (ne <= 16 ? 0 : (__mmask16)((1u << (ne - 16)) - 1u));
        for (int i = 0; i < 16; i++) {
            if (i < rows) {
                const float *src = a + (i0 + i) * lda + k0 + 2 * p0;
                __m512 lo = _mm512_mul_ps(vm, _mm512_maskz_loadu_ps(mlo, src));
                __m512 hi = _mm512_mul_ps(vm, _mm512_maskz_loadu_ps(mhi, src + 16));
                r[i] = (__m512i)_mm512_cvtne2ps_pbh(hi, lo); /* element e = float e of [lo, hi] */
            } else {
                r[i] = _mm512_setzero_si512();
            }
        }
        transpose16(r);
        int64_t ns = np - p0 < 16 ? np - p0 : 16;
        for (int64_t p = 0; p < ns; p++) _mm512_mask_storeu_epi32(d + (p0 + p) * MR * 2, (__mmask16)0x3fff, r[p]);
    }
    return 1;
}

const gemm_arch *gemm_arch_avx512bf16(void) {
    static const gemm_arch arch = {MR, {gemm_ukr_avx512_f32, gemm_ukr_avx512_bf16w, ukr_dp}, gemm_packb_avx512, packa_dp,
                                      gemm_gemv_bf16_avx512};
    return &arch;
}
