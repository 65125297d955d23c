/* kcuda_dtype.cuh — device-side widening of stored weight dtypes to f32 (the same
 * values as k_to_f32 on the host). */
#ifndef LTX2_KCUDA_DTYPE_CUH
#define LTX2_KCUDA_DTYPE_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "kcuda_internal.h"

__device__ __forceinline__ float kcuda_e4m3_to_f32(uint8_t v)
{
    int e = (v >> 3) & 0xf, m = v & 7;
    if (e == 0xf && m == 7) return __int_as_float(0x7fc00000);
    float f = e == 0 ? ldexpf((float)m, -9) : ldexpf((float)(8 + m), e - 10);
    return (v & 0x80) ? -f : f;
}

/* E5M2 is the upper byte of an IEEE half. */
__device__ __forceinline__ float kcuda_e5m2_to_f32(uint8_t v)
{
    return __half2float(__ushort_as_half((unsigned short)((unsigned)v << 8)));
}

/* Element i of a weight stored as dt, as f32 (unscaled). */
__device__ __forceinline__ float kcuda_load_as_f32(kdtype dt, const void *p, int64_t i)
{
    switch (dt) {
    case KD_F32: return ((const float *)p)[i];
    case KD_BF16: return __uint_as_float((unsigned)((const uint16_t *)p)[i] << 16);
    case KD_F16: return __half2float(__ushort_as_half(((const uint16_t *)p)[i]));
    case KD_F8_E4M3: return kcuda_e4m3_to_f32(((const uint8_t *)p)[i]);
    case KD_F8_E5M2: return kcuda_e5m2_to_f32(((const uint8_t *)p)[i]);
    }
    return 0.0f;
}

#endif
