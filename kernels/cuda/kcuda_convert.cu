/* kcuda_convert.cu — per-call conversions into the scratch for the GEMMs: f32
 * activations rounded to bf16 (fast precision), and stored weights widened to f32
 * (exact) or to bf16(w·scale) (fast). */
#include "kcuda_dtype.cuh"
#include "kcuda_internal.h"

#include <cuda_fp8.h>

/* One row per block step, threads along the row (no index division); four values per
 * thread step where the rows allow 16-byte loads. */
__global__ void f32_to_bf16_kernel(const float *src, int64_t rows, int64_t cols, int64_t ld, __nv_bfloat16 *dst)
{
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float *s = src + r * ld;
        __nv_bfloat16 *d = dst + r * cols;
        for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) d[c] = __float2bfloat16_rn(s[c]);
    }
}

__global__ void f32_to_bf16_vec4_kernel(const float4 *src, int64_t rows, int64_t cols4, int64_t ld4, uint2 *dst)
{
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float4 *s = src + r * ld4;
        uint2 *d = dst + r * cols4;
        for (int64_t c = threadIdx.x; c < cols4; c += blockDim.x) {
            float4 v = s[c];
            __nv_bfloat162 lo = __floats2bfloat162_rn(v.x, v.y), hi = __floats2bfloat162_rn(v.z, v.w);
            d[c] = make_uint2(*(uint32_t *)&lo, *(uint32_t *)&hi);
        }
    }
}

__global__ void widen_kernel(kdtype dt, const void *w, int64_t rows, int64_t cols, int64_t ld, float scale,
                             int to_bf16, void *dst)
{
    int64_t n = rows * cols;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i / cols, c = i - r * cols;
        float v = kcuda_load_as_f32(dt, w, r * ld + c);
        if (to_bf16)
            ((__nv_bfloat16 *)dst)[i] = __float2bfloat16_rn(v * scale);
        else
            ((float *)dst)[i] = v;
    }
}

extern "C" void kcuda_launch_f32_to_bf16(cudaStream_t s, const float *src, int64_t rows, int64_t cols, int64_t ld,
                                         uint16_t *dst)
{
    if (rows <= 0 || cols <= 0) return;
    const unsigned blocks = rows < 65535 ? (unsigned)rows : 65535u;
    const int threads = cols >= 1024 ? 256 : 128;
    if (cols % 4 == 0 && ld % 4 == 0 && ((uintptr_t)src & 15) == 0 && ((uintptr_t)dst & 7) == 0)
        f32_to_bf16_vec4_kernel<<<blocks, threads, 0, s>>>((const float4 *)src, rows, cols / 4, ld / 4, (uint2 *)dst);
    else
        f32_to_bf16_kernel<<<blocks, threads, 0, s>>>(src, rows, cols, ld, (__nv_bfloat16 *)dst);
}

extern "C" void kcuda_launch_widen(cudaStream_t s, kdtype dt, const void *w, int64_t rows, int64_t cols, int64_t ld,
                                   float scale, int to_bf16, void *dst)
{
    widen_kernel<<<kcuda_blocks_for(rows * cols, 256, 65535), 256, 0, s>>>(dt, w, rows, cols, ld, scale, to_bf16, dst);
}

/* Largest |x| over rows×cols (ld apart) into *amax (zeroed by the launcher): a block
 * reduction, then one atomic per block on the bits (non-negative floats order as ints). */
__global__ void amax_kernel(const float *src, int64_t rows, int64_t cols, int64_t ld, unsigned *amax)
{
    float m = 0.0f;
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x)
        for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, fabsf(src[r * ld + c]));
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
    __shared__ float warp_max[32];
    if (threadIdx.x % 32 == 0) warp_max[threadIdx.x / 32] = m;
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < (int)(blockDim.x / 32); w++) m = fmaxf(m, warp_max[w]);
        atomicMax(amax, __float_as_uint(m));
    }
}

/* dst dense = e4m3(x · 448 / amax), saturating; scale[0] = amax / 448 (what the GEMM
 * multiplies back), 1 when amax is 0. */
__global__ void to_e4m3_kernel(const float *src, int64_t rows, int64_t cols, int64_t ld, const unsigned *amax,
                               float *scale, __nv_fp8_storage_t *dst)
{
    const float a = __uint_as_float(*amax);
    const float q = a > 0.0f ? 448.0f / a : 1.0f;
    if (blockIdx.x == 0 && threadIdx.x == 0) *scale = a > 0.0f ? a / 448.0f : 1.0f;
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x)
        for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
            dst[r * cols + c] = __nv_cvt_float_to_fp8(src[r * ld + c] * q, __NV_SATFINITE, __NV_E4M3);
}

extern "C" void kcuda_launch_f32_to_e4m3(cudaStream_t s, const float *src, int64_t rows, int64_t cols, int64_t ld,
                                         float *scale_amax, uint8_t *dst)
{
    if (rows <= 0 || cols <= 0) return;
    const unsigned blocks = rows < 4096 ? (unsigned)rows : 4096u;
    unsigned *amax = (unsigned *)(scale_amax + 4);
    cudaMemsetAsync(amax, 0, sizeof(unsigned), s);
    amax_kernel<<<blocks, 256, 0, s>>>(src, rows, cols, ld, amax);
    to_e4m3_kernel<<<blocks, 256, 0, s>>>(src, rows, cols, ld, amax, scale_amax,
                                          (__nv_fp8_storage_t *)dst);
}
