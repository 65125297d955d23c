/* gemv_avx512.c — y rows for a few activation rows against bf16 weights read straight
 * from their storage (no panel packing): the decode-step shape of a language model,
 * where packing the whole weight matrix for one row costs more than the product. */
#include "gemm_internal.h"

#include <immintrin.h>

static inline __m512 widen_bf16(const uint16_t *p)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

void gemm_gemv_bf16_avx512(int64_t m, const float *xa, int64_t k, const uint16_t *w, int64_t ldw, int64_t n0,
                           int64_t n1, float *out, int64_t ldo)
{
    const int64_t k32 = k & ~(int64_t)31;
    for (int64_t n = n0; n < n1; n++) {
        const uint16_t *wr = w + n * ldw;
        __m512 acc[GEMV_MAX_M][2];
        for (int r = 0; r < GEMV_MAX_M; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
        for (int64_t kk = 0; kk < k32; kk += 32) {
            const __m512 w0 = widen_bf16(wr + kk), w1 = widen_bf16(wr + kk + 16);
            for (int r = 0; r < m; r++) {
                acc[r][0] = _mm512_fmadd_ps(_mm512_loadu_ps(xa + r * k + kk), w0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(_mm512_loadu_ps(xa + r * k + kk + 16), w1, acc[r][1]);
            }
        }
        for (int r = 0; r < m; r++) {
            float s = _mm512_reduce_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]));
            for (int64_t kk = k32; kk < k; kk++) s += xa[r * k + kk] * k_bf16_to_f32(wr[kk]);
            out[r * ldo + (n - n0)] = s;
        }
    }
}
