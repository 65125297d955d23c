/* transpose16_avx512.h — in-place transpose of a 16 × 16 block of 32-bit words, shared
 * by the AVX-512 GEMM packers (f32 and bf16-pair words). Include only from sources
 * compiled with AVX-512 flags. */
#ifndef LTX2_TRANSPOSE16_AVX512_H
#define LTX2_TRANSPOSE16_AVX512_H
#include <immintrin.h>

/* r[i] = row i on entry, column i on return. */
static inline void transpose16(__m512i r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        __m512 a = _mm512_castsi512_ps(r[2 * i]), b = _mm512_castsi512_ps(r[2 * i + 1]);
        t[2 * i] = _mm512_unpacklo_ps(a, b);
        t[2 * i + 1] = _mm512_unpackhi_ps(a, b);
    }
    for (int q = 0; q < 4; q++) { /* rows 4q..4q+3 → u[4q + j] holds column 4L + j */
        __m512d t0 = _mm512_castps_pd(t[4 * q]), t1 = _mm512_castps_pd(t[4 * q + 1]);
        __m512d t2 = _mm512_castps_pd(t[4 * q + 2]), t3 = _mm512_castps_pd(t[4 * q + 3]);
        u[4 * q + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        u[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        u[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        u[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    for (int j = 0; j < 4; j++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd);
        __m512 w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
        r[j] = _mm512_castps_si512(_mm512_shuffle_f32x4(v0, w0, 0x88));
        r[j + 8] = _mm512_castps_si512(_mm512_shuffle_f32x4(v0, w0, 0xdd));
        r[j + 4] = _mm512_castps_si512(_mm512_shuffle_f32x4(v1, w1, 0x88));
        r[j + 12] = _mm512_castps_si512(_mm512_shuffle_f32x4(v1, w1, 0xdd));
    }
}

#endif
