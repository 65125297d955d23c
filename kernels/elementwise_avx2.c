/* elementwise_avx2.c — AVX2+FMA activations (GELU-tanh, SiLU, tanh), mirroring
 * elementwise_avx512.c. */
#include "elementwise_impl.h"
#include "elementwise_vmath_avx2.h"

/* tanh(|x|) = 1 − 2/(e^{2|x|} + 1) for |x| >= 0.55; below that the odd Taylor series
 * to x¹⁵ (error < 1e-9), which avoids the cancellation of the first form near 0. */
static inline __m256 v8_tanh(__m256 x)
{
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    __m256 ax = _mm256_andnot_ps(sign_bit, x);
    ax = _mm256_min_ps(ax, _mm256_set1_ps(9.0f));
    __m256 e = kv8_exp(_mm256_add_ps(ax, ax));
    __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                               _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    /* tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925
     *          + 21844x¹³/6081075 − 929569x¹⁵/638512875 */
    __m256 x2 = _mm256_mul_ps(ax, ax);
    __m256 p = _mm256_set1_ps(-929569.0f / 638512875.0f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(21844.0f / 6081075.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1382.0f / 155925.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(62.0f / 2835.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-17.0f / 315.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, x2), ax, ax);
    __m256 t = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.55f), _CMP_LT_OQ));
    return _mm256_or_ps(t, _mm256_and_ps(x, sign_bit));
}

static inline __m256 v8_act(int act, __m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    if (act == KACT_GELU_TANH) {
        __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 z = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                                 _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
        __m256 e = kv8_exp(_mm256_mul_ps(z, _mm256_set1_ps(-2.0f)));
        return _mm256_div_ps(x, _mm256_add_ps(one, e));
    }
    if (act == KACT_SILU) {
        __m256 e = kv8_exp(_mm256_sub_ps(_mm256_setzero_ps(), x));
        return _mm256_div_ps(x, _mm256_add_ps(one, e));
    }
    return v8_tanh(x);
}

int k_ew_act_avx2(int act, const float *x, float *y, int64_t n)
{
    if (act != KACT_GELU_TANH && act != KACT_SILU && act != KACT_TANH) return 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, v8_act(act, _mm256_loadu_ps(x + i)));
    if (i < n) {
        float buf[8] = {0};
        for (int64_t j = i; j < n; j++) buf[j - i] = x[j];
        __m256 r = v8_act(act, _mm256_loadu_ps(buf));
        _mm256_storeu_ps(buf, r);
        for (int64_t j = i; j < n; j++) y[j] = buf[j - i];
    }
    return 1;
}
