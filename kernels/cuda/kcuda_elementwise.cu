/* kcuda_elementwise.cu — activations, binary ops, the decoder clamp and the row
 * broadcasts (AdaLN modulate, gated residual, bias add): one grid-stride launch each,
 * the same formulas as kernels/elementwise.c. */
#include <cuda_bf16.h>

#include "kcuda_internal.h"

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

template <kcuda_ew OP>
__global__ void ew_kernel(const float *a, const float *b, float s, float *y, int64_t n)
{
    GRID_STRIDE(i, n)
    {
        float v = a[i];
        switch (OP) {
        case KCUDA_GELU_TANH: v = gelu_tanh1(v); break;
        case KCUDA_SILU: v = v / (1.0f + expf(-v)); break;
        case KCUDA_TANH: v = tanhf(v); break;
        case KCUDA_LEAKY_RELU: v = v >= 0.0f ? v : v * s; break;
        case KCUDA_ADD: v = v + b[i]; break;
        case KCUDA_MUL: v = v * b[i]; break;
        case KCUDA_SCALE: v = v * s; break;
        case KCUDA_ROUND_BF16: v = __bfloat162float(__float2bfloat16_rn(v)); break;
        }
        y[i] = v;
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
__global__ void row_kernel(int64_t rows, int64_t dim, const float *x, const float *p, const float *q, float *y)
{
    GRID_STRIDE(i, rows * dim)
    {
        int64_t c = i % dim;
        if (OP == ROW_MODULATE) y[i] = x[i] * (1.0f + p[c]) + q[c];
        if (OP == ROW_GATED_ADD) y[i] += p[c] * x[i];
        if (OP == ROW_ADD) y[i] = x[i] + p[c];
    }
}

static unsigned grid_for(int64_t n) { return kcuda_blocks_for(n, EW_THREADS, EW_MAX_BLOCKS); }

extern "C" kstatus kcuda_elementwise(const kctx *ctx, kcuda_ew op, const float *a, const float *b, float s, float *y,
                                     int64_t n)
{
    kstatus st = kcuda_op_begin(ctx);
    if (st != KS_OK || n <= 0) return st;
    if ((op == KCUDA_ADD || op == KCUDA_MUL) && !b) return KS_BAD_ARG;
    cudaStream_t str = ctx->cuda->stream;
    unsigned g = grid_for(n);
    switch (op) {
    case KCUDA_GELU_TANH: ew_kernel<KCUDA_GELU_TANH><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_SILU: ew_kernel<KCUDA_SILU><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_TANH: ew_kernel<KCUDA_TANH><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_LEAKY_RELU: ew_kernel<KCUDA_LEAKY_RELU><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_ADD: ew_kernel<KCUDA_ADD><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_MUL: ew_kernel<KCUDA_MUL><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_SCALE: ew_kernel<KCUDA_SCALE><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
    case KCUDA_ROUND_BF16: ew_kernel<KCUDA_ROUND_BF16><<<g, EW_THREADS, 0, str>>>(a, b, s, y, n); break;
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
    row_kernel<OP><<<grid_for(rows * dim), EW_THREADS, 0, ctx->cuda->stream>>>(rows, dim, x, p, q, y);
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
