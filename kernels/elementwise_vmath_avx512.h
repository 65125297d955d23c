/*
 * elementwise_vmath_avx512.h — vectorised exp/expm1 for AVX-512 sources of kops
 * (attention, activations). Include only from *_avx512.c files.
 * exp: x = n·ln2 + r, |r| <= ln2/2, e^r by its degree-8 Taylor polynomial (error far
 * below an f32 ulp), 2^n applied with scalef, which also rounds denormal results.
 */
#ifndef LTX2_ELEMENTWISE_VMATH_AVX512_H
#define LTX2_ELEMENTWISE_VMATH_AVX512_H

#include <immintrin.h>

/* (e^r - 1) for |r| <= ln2/2, Horner form of r + r²/2! + ... + r⁸/8!. */
static inline __m512 kv_expm1_poly(__m512 r)
{
    __m512 p = _mm512_set1_ps(1.0f / 40320.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 5040.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_mul_ps(p, r);
}

/* Splits clamped x into n (integral, as float) and r. */
static inline __m512 kv_reduce(__m512 x, __m512 *n)
{
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(104.0f)), _mm512_set1_ps(-104.0f));
    *n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(*n, _mm512_set1_ps(0.693145751953125f), x);
    return _mm512_fnmadd_ps(*n, _mm512_set1_ps(1.428606765330187e-06f), r);
}

/* e^x; -inf and NaN-free inputs below -104 give 0, above 104 give +inf. */
static inline __m512 kv_exp(__m512 x)
{
    __m512 n;
    __m512 r = kv_reduce(x, &n);
    __m512 p = _mm512_add_ps(kv_expm1_poly(r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* e^x - 1 without cancellation near 0: 2^n·q + (2^n - 1), exact when n == 0. */
static inline __m512 kv_expm1(__m512 x)
{
    __m512 n;
    __m512 r = kv_reduce(x, &n);
    __m512 q = kv_expm1_poly(r);
    __m512 two_n = _mm512_scalef_ps(_mm512_set1_ps(1.0f), n);
    return _mm512_add_ps(_mm512_scalef_ps(q, n), _mm512_sub_ps(two_n, _mm512_set1_ps(1.0f)));
}

#endif
