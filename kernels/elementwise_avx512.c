/* elementwise_avx512.c — AVX-512 activations (GELU-tanh, SiLU, tanh) with a vector exp. */
#include "elementwise_impl.h"
#include "elementwise_vmath_avx512.h"

/* tanh(|x|) = expm1(2|x|) / (expm1(2|x|) + 2), sign restored; saturates past |x| = 9. */
static inline __m512 v_tanh(__m512 x)
{
    __m512 ax = _mm512_abs_ps(x);
    ax = _mm512_min_ps(ax, _mm512_set1_ps(9.0f));
    __m512 e = kv_expm1(_mm512_add_ps(ax, ax));
    __m512 t = _mm512_div_ps(e, _mm512_add_ps(e, _mm512_set1_ps(2.0f)));
    /* copy the sign bit of x */
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), sign));
}

static inline __m512 v_act(int act, __m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    switch (act) {
    case KACT_GELU_TANH: {
        /* x·sigmoid(2z), z = sqrt(2/pi)(x + 0.044715x³) */
        __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 z = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                                 _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
        __m512 e = kv_exp(_mm512_mul_ps(z, _mm512_set1_ps(-2.0f)));
        return _mm512_div_ps(x, _mm512_add_ps(one, e));
    }
    case KACT_SILU: {
        __m512 e = kv_exp(_mm512_sub_ps(_mm512_setzero_ps(), x));
        return _mm512_div_ps(x, _mm512_add_ps(one, e));
    }
    default:
        return v_tanh(x);
    }
}

int k_ew_act_avx512(int act, const float *x, float *y, int64_t n)
{
    if (act != KACT_GELU_TANH && act != KACT_SILU && act != KACT_TANH) return 0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, v_act(act, _mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, m, v_act(act, _mm512_maskz_loadu_ps(m, x + i)));
    }
    return 1;
}
