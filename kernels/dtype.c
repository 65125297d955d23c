/* dtype.c — scalar conversions between the stored weight dtypes and f32. */
#include "kernels.h"

#include <math.h>
#include <string.h>

static uint32_t f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

size_t k_dtype_size(kdtype dt) {
    switch (dt) {
    case KD_F32: return 4;
    case KD_F16:
    case KD_BF16: return 2;
    case KD_F8_E4M3:
    case KD_F8_E5M2: return 1;
    }
    return 0;
}

float k_bf16_to_f32(uint16_t v) { return u2f((uint32_t)v << 16); }

uint16_t k_f32_to_bf16(float v) {
    uint32_t u = f2u(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even */
    return (uint16_t)(u >> 16);
}

float k_f16_to_f32(uint16_t v) {
    uint32_t sign = (uint32_t)(v & 0x8000) << 16;
    uint32_t e = (v >> 10) & 0x1f, m = v & 0x3ff;
    if (e == 0x1f) return u2f(sign | 0x7f800000u | (m << 13)); /* inf / NaN */
    if (e == 0) {
        float f = ldexpf((float)m, -24); /* zero and subnormals */
        return sign ? -f : f;
    }
    return u2f(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t k_f32_to_f16(float v) {
    uint32_t u = f2u(v);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00 | (uint16_t)((a >> 13) & 0x3ff); /* NaN */
    if (a >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: inf */
    if (a < 0x38800000u) {
        /* subnormal half (or zero): value / 2^-24, rounded to nearest even */
        float f = u2f(a);
        return sign | (uint16_t)nearbyintf(f * 16777216.0f);
    }
    uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
    return sign | (uint16_t)((r - (112u << 23)) >> 13);
}

float k_e4m3_to_f32(uint8_t v) {
    int e = (v >> 3) & 0xf, m = v & 7;
    float f;
    if (e == 0xf && m == 7) return NAN;
    if (e == 0)
        f = ldexpf((float)m, -9);
    else
        f = ldexpf((float)(8 + m), e - 10);
    return (v & 0x80) ? -f : f;
}

float k_e5m2_to_f32(uint8_t v) {
    int e = (v >> 2) & 0x1f, m = v & 3;
    float f;
    if (e == 0x1f) f = m ? NAN : INFINITY;
    else if (e == 0) f = ldexpf((float)m, -16);
    else f = ldexpf((float)(4 + m), e - 17);
    return (v & 0x80) ? -f : f;
}

uint8_t k_f32_to_e4m3(float v) {
    uint8_t sign = signbit(v) ? 0x80 : 0;
    if (isnan(v)) return 0x7f | sign;
    float a = fabsf(v);
    if (a >= 448.0f) return sign | 0x7e; /* saturate (inf included) */
    int e;
    frexpf(a, &e); /* a = f * 2^e, f in [0.5, 1) */
    e -= 1;        /* a in [2^e, 2^(e+1)) */
    if (e < -6) e = -6; /* subnormal range keeps the 2^-9 quantum */
    float q = ldexpf(1.0f, e - 3);
    float r = nearbyintf(a / q) * q; /* round to nearest even on the 3-bit mantissa grid */
    if (r > 448.0f) r = 448.0f;
    if (r == 0.0f) return sign;
    if (r < ldexpf(1.0f, -6)) return sign | (uint8_t)(r * 512.0f);
    frexpf(r, &e);
    e -= 1;
    int m = (int)(ldexpf(r, -e) * 8.0f) - 8;
    return sign | (uint8_t)(((e + 7) << 3) | m);
}

void k_to_f32(kdtype dt, const void *src, float *dst, int64_t n) {
    switch (dt) {
    case KD_F32: memmove(dst, src, (size_t)n * 4); break;
    case KD_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = k_f16_to_f32(((const uint16_t *)src)[i]);
        break;
    case KD_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = k_bf16_to_f32(((const uint16_t *)src)[i]);
        break;
    case KD_F8_E4M3:
        for (int64_t i = 0; i < n; i++) dst[i] = k_e4m3_to_f32(((const uint8_t *)src)[i]);
        break;
    case KD_F8_E5M2:
        for (int64_t i = 0; i < n; i++) dst[i] = k_e5m2_to_f32(((const uint8_t *)src)[i]);
        break;
    }
}

void k_round_bf16(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = k_bf16_to_f32(k_f32_to_bf16(x[i]));
}
