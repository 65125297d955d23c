/* kcuda_attention.cuh — what the CUDA attention kernels (f32, mma.sync, wgmma) share. */
#ifndef LTX2_KCUDA_ATTENTION_CUH
#define LTX2_KCUDA_ATTENTION_CUH
#include <stdint.h>

/* Row i's visible keys [lo, hi) (k_attn_key_range of attention_impl.h), for any launch
 * parameters P with nq, nkv, causal and window. */
template <class P>
__device__ __forceinline__ void kcuda_key_range(const P &a, int64_t i, int64_t *lo, int64_t *hi)
{
    int64_t off = a.nkv - a.nq, l = 0, h = a.nkv;
    if (a.causal && i + off + 1 < h) h = i + off + 1;
    if (a.window > 0 && i + off - a.window + 1 > l) l = i + off - a.window + 1;
    *lo = l;
    *hi = h;
}

/* The tensor-core kernels' accumulator layout puts each of a thread's two rows in the 4
 * lanes of its quad: the row maximum and the row sum over those lanes, both rows at once. */
__device__ __forceinline__ void kcuda_quad_max2(float &a, float &b)
{
#pragma unroll
    for (int x = 1; x < 4; x <<= 1) {
        a = fmaxf(a, __shfl_xor_sync(0xffffffffu, a, x));
        b = fmaxf(b, __shfl_xor_sync(0xffffffffu, b, x));
    }
}

__device__ __forceinline__ void kcuda_quad_sum2(float &a, float &b)
{
#pragma unroll
    for (int x = 1; x < 4; x <<= 1) {
        a += __shfl_xor_sync(0xffffffffu, a, x);
        b += __shfl_xor_sync(0xffffffffu, b, x);
    }
}

#endif
