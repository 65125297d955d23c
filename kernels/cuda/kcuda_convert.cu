/* kcuda_convert.cu — per-call conversions into the scratch for the GEMMs: f32
 * activations rounded to bf16 (fast precision), and stored weights widened to f32
 * (exact) or to bf16(w·scale) (fast). */
#include "kcuda_dtype.cuh"
#include "kcuda_internal.h"

__global__ void f32_to_bf16_kernel(const float *src, int64_t rows, int64_t cols, int64_t ld, __nv_bfloat16 *dst)
{
    int64_t n = rows * cols;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i / cols, c = i - r * cols;
        dst[i] = __float2bfloat16_rn(src[r * ld + c]);
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
    f32_to_bf16_kernel<<<kcuda_blocks_for(rows * cols, 256, 65535), 256, 0, s>>>(src, rows, cols, ld,
                                                                                 (__nv_bfloat16 *)dst);
}

extern "C" void kcuda_launch_widen(cudaStream_t s, kdtype dt, const void *w, int64_t rows, int64_t cols, int64_t ld,
                                   float scale, int to_bf16, void *dst)
{
    widen_kernel<<<kcuda_blocks_for(rows * cols, 256, 65535), 256, 0, s>>>(dt, w, rows, cols, ld, scale, to_bf16, dst);
}
