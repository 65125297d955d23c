/* kcuda_elementwise.cu — activations, binary ops, the decoder clamp and the row
 * broadcasts (AdaLN modulate, gated residual, bias add): one grid-stride launch each,
 * the same formulas as kernels/elementwise.c. */
#include <cuda_bf16.h>

#include "kcuda_internal.h"

#include <stdint.h>

#define EW_THREADS 256
#define EW_MAX_BLOCKS 65535u

#define GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

__device__ __forceinline__ float gelu_tanh1(float x)
{
    const float c = 0.7978845608028654f; /* sqrt(2/pi); x·sigmoid(2z) == 0.5·x·(1 + tanh z) */
    float z = c * (x + 0.044715f * x * x * x);
    return x / (1.0f + expf(-2.0f * z));
}

#define EW_BINARY(op) ((op) == KCUDA_ADD || (op) == KCUDA_MUL) /* the ops that read b */

template <kcuda_ew OP>
__device__ __forceinline__ float ew1(float v, float b, float s)
{
    switch (OP) {
    case KCUDA_GELU_TANH: return gelu_tanh1(v);
    case KCUDA_SILU: return v / (1.0f + expf(-v));
    case KCUDA_TANH: return tanhf(v);
    case KCUDA_LEAKY_RELU: return v >= 0.0f ? v : v * s;
    case KCUDA_ADD: return v + b;
    case KCUDA_MUL: return v * b;
    case KCUDA_SCALE: return v * s;
    case KCUDA_ROUND_BF16: return __bfloat162float(__float2bfloat16_rn(v));
    }
    return v;
}

template <kcuda_ew OP>
__global__ void ew_kernel(const float *a, const float *b, float s, float *y, int64_t n)
{
    GRID_STRIDE(i, n) y[i] = ew1<OP>(a[i], EW_BINARY(OP) ? b[i] : 0.0f, s);
}

/* Four at a time: n4 float4 (n a multiple of 4, the pointers 16-byte aligned). */
template <kcuda_ew OP>
__global__ void ew_kernel4(const float4 *a, const float4 *b, float s, float4 *y, int64_t n4)
{
    GRID_STRIDE(i, n4)
    {
        const float4 v = a[i], w = EW_BINARY(OP) ? b[i] : make_float4(0.f, 0.f, 0.f, 0.f);
        y[i] = make_float4(ew1<OP>(v.x, w.x, s), ew1<OP>(v.y, w.y, s), ew1<OP>(v.z, w.z, s), ew1<OP>(v.w, w.w, s));
    }
}

__global__ void clamp_kernel(const float *x, float shift, float scale, float lo, float hi, float *y, int64_t n)
{
    GRID_STRIDE(i, n)
    {
        float v = (x[i] + shift) * scale;
        y[i] = v < lo ? lo : (v > hi ? hi : v);
    }
}

__global__ void fill_kernel(float *y, float value, int64_t n)
{
    GRID_STRIDE(i, n) y[i] = value;
}

enum { ROW_MODULATE, ROW_GATED_ADD, ROW_ADD };

template <int OP>
__device__ __forceinline__ float row1(float x, float p, float q, float y)
{
    if (OP == ROW_MODULATE) return x * (1.0f + p) + q;
    if (OP == ROW_GATED_ADD) return y + p * x;
    return x + p; /* ROW_ADD */
}

/* Row r, column c of a broadcast, in floats (VEC 0: cols = dim) or float4 (cols = dim / 4).
 * Wide rows (cols >= the block): blocks of rows (y) × threads over columns (x). Narrow
 * rows (the VAE's channels, per > 0): each block pass covers `per` whole rows, thread t
 * at row t / cols, column t % cols, worked out once. No division per element either way. */
template <int OP>
__device__ __forceinline__ float4 row4(float4 a, float4 b, float4 d, float4 o)
{
    return make_float4(row1<OP>(a.x, b.x, d.x, o.x), row1<OP>(a.y, b.y, d.y, o.y), row1<OP>(a.z, b.z, d.z, o.z),
                       row1<OP>(a.w, b.w, d.w, o.w));
}

template <int OP>
__device__ __forceinline__ void row_at(int64_t i, int64_t c, const float *x, const float *p, const float *q, float *y)
{
    y[i] = row1<OP>(x[i], p[c], q ? q[c] : 0.0f, OP == ROW_GATED_ADD ? y[i] : 0.0f);
}

template <int OP>
__device__ __forceinline__ void row_at4(int64_t i, int64_t c, const float4 *x, const float4 *p, const float4 *q,
                                        float4 *y)
{
    const float4 z = make_float4(0.f, 0.f, 0.f, 0.f);
    y[i] = row4<OP>(x[i], p[c], q ? q[c] : z, OP == ROW_GATED_ADD ? y[i] : z);
}

template <int OP, int VEC>
__global__ void row_kernel(int64_t rows, int64_t cols, int64_t per, const float *x, const float *p, const float *q,
                           float *y)
{
    if (per == 0) {
        for (int64_t r = blockIdx.y; r < rows; r += gridDim.y)
            for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < cols;
                 c += (int64_t)gridDim.x * blockDim.x) {
                if (VEC)
                    row_at4<OP>(r * cols + c, c, (const float4 *)x, (const float4 *)p, (const float4 *)q, (float4 *)y);
                else
                    row_at<OP>(r * cols + c, c, x, p, q, y);
            }
        return;
    }
    const int64_t sub = threadIdx.x / cols, c = threadIdx.x % cols;
    if (sub >= per) return;
    for (int64_t r = blockIdx.x * per + sub; r < rows; r += (int64_t)gridDim.x * per) {
        if (VEC)
            row_at4<OP>(r * cols + c, c, (const float4 *)x, (const float4 *)p, (const float4 *)q, (float4 *)y);
        else
            row_at<OP>(r * cols + c, c, x, p, q, y);
    }
}

static bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

static unsigned grid_for(int64_t n) { return kcuda_blocks_for(n, EW_THREADS, EW_MAX_BLOCKS); }

template <kcuda_ew OP>
static void ew_launch(cudaStream_t str, const float *a, const float *b, float s, float *y, int64_t n)
{
    if (n % 4 == 0 && aligned16(a) && (!EW_BINARY(OP) || aligned16(b)) && aligned16(y))
        ew_kernel4<OP><<<grid_for(n / 4), EW_THREADS, 0, str>>>((const float4 *)a, (const float4 *)b, s, (float4 *)y,
                                                               n / 4);
    else
        ew_kernel<OP><<<grid_for(n), EW_THREADS, 0, str>>>(a, b, s, y, n);
}

extern "C" kstatus kcuda_elementwise(const kctx *ctx, kcuda_ew op, const float *a, const float *b, float s, float *y,
                                     int64_t n)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK || n <= 0) return st;
    if ((op == KCUDA_ADD || op == KCUDA_MUL) && !b) return KS_BAD_ARG;
    cudaStream_t str = ctx->cuda->stream;
    switch (op) {
    case KCUDA_GELU_TANH: ew_launch<KCUDA_GELU_TANH>(str, a, b, s, y, n); break;
    case KCUDA_SILU: ew_launch<KCUDA_SILU>(str, a, b, s, y, n); break;
    case KCUDA_TANH: ew_launch<KCUDA_TANH>(str, a, b, s, y, n); break;
    case KCUDA_LEAKY_RELU: ew_launch<KCUDA_LEAKY_RELU>(str, a, b, s, y, n); break;
    case KCUDA_ADD: ew_launch<KCUDA_ADD>(str, a, b, s, y, n); break;
    case KCUDA_MUL: ew_launch<KCUDA_MUL>(str, a, b, s, y, n); break;
    case KCUDA_SCALE: ew_launch<KCUDA_SCALE>(str, a, b, s, y, n); break;
    case KCUDA_ROUND_BF16: ew_launch<KCUDA_ROUND_BF16>(str, a, b, s, y, n); break;
    default: return KS_BAD_ARG;
    }
    return kcuda_check_launch(ctx->cuda, "elementwise");
}

extern "C" kstatus kcuda_fill(const kctx *ctx, float *y, float value, int64_t n)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK) return st;
    if (n < 0 || (n > 0 && !y)) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    fill_kernel<<<grid_for(n), EW_THREADS, 0, ctx->cuda->stream>>>(y, value, n);
    return kcuda_check_launch(ctx->cuda, "fill");
}

extern "C" kstatus kcuda_shift_scale_clamp(const kctx *ctx, const float *x, float shift, float scale, float lo,
                                           float hi, float *y, int64_t n)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK || n <= 0) return st;
    clamp_kernel<<<grid_for(n), EW_THREADS, 0, ctx->cuda->stream>>>(x, shift, scale, lo, hi, y, n);
    return kcuda_check_launch(ctx->cuda, "shift_scale_clamp");
}

template <int OP>
static kstatus row_op(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *p, const float *q,
                      float *y)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK || rows <= 0 || dim <= 0) return st;
    const bool vec = dim % 4 == 0 && aligned16(x) && aligned16(p) && (!q || aligned16(q)) && aligned16(y);
    const int64_t cols = vec ? dim / 4 : dim;
    const int64_t per = cols >= EW_THREADS ? 0 : EW_THREADS / cols; /* rows per block pass */
    dim3 grid;
    if (per == 0) {
        const int64_t gx = (cols + EW_THREADS - 1) / EW_THREADS;
        grid = dim3((unsigned)(gx > 1024 ? 1024 : gx), (unsigned)(rows < 65535 ? rows : 65535));
    } else {
        const int64_t gx = (rows + per - 1) / per;
        grid = dim3((unsigned)(gx > (int64_t)EW_MAX_BLOCKS ? EW_MAX_BLOCKS : gx));
    }
    cudaStream_t str = ctx->cuda->stream;
    if (vec)
        row_kernel<OP, 1><<<grid, EW_THREADS, 0, str>>>(rows, cols, per, x, p, q, y);
    else
        row_kernel<OP, 0><<<grid, EW_THREADS, 0, str>>>(rows, cols, per, x, p, q, y);
    return kcuda_check_launch(ctx->cuda, "row broadcast");
}

extern "C" kstatus kcuda_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *scale,
                                  const float *shift, float *y)
{
    return row_op<ROW_MODULATE>(ctx, rows, dim, x, scale, shift, y);
}

extern "C" kstatus kcuda_gated_add(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *gate,
                                   float *y)
{
    return row_op<ROW_GATED_ADD>(ctx, rows, dim, x, gate, NULL, y);
}

extern "C" kstatus kcuda_add_row(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *b, float *y)
{
    return row_op<ROW_ADD>(ctx, rows, dim, x, b, NULL, y);
}
