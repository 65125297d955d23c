/*
 * elementwise.c — activations and broadcast arithmetic on contiguous f32 buffers.
 * Work is split over the pool in large chunks; every op is safe in place (y == x).
 * The transcendental activations have AVX-512 versions (elementwise_avx512.c).
 */
#include "kbackend.h"
#include "elementwise_impl.h"

#include <math.h>

#define EW_GRAIN 16384 /* elements per chunk: enough work to amortise a wake-up */

typedef struct ew_args {
    const float *a, *b;
    float *y;
    float s;
    int op;
    kisa isa;
    float off, lo, hi; /* OP_SHIFT_SCALE_CLAMP */
} ew_args;

enum { OP_GELU, OP_SILU, OP_LEAKY, OP_TANH, OP_ADD, OP_MUL, OP_SCALE, OP_SHIFT_SCALE_CLAMP, OP_FILL };

/* x·sigmoid(2z) == 0.5·x·(1 + tanh z) without the cancellation near x << 0. */
static float gelu_tanh1(float x)
{
    const float c = 0.7978845608028654f; /* sqrt(2/pi) */
    float z = c * (x + 0.044715f * x * x * x);
    return x / (1.0f + expf(-2.0f * z));
}

static float silu1(float x) { return x / (1.0f + expf(-x)); }

static void ew_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const ew_args *e = arg;
    const float *a = e->a, *b = e->b;
    float *y = e->y;
    int64_t n = end - begin;
    a += begin;
    if (b) b += begin;
    y += begin;
#if defined(LTX2_X86)
    int act = e->op == OP_GELU ? KACT_GELU_TANH
            : e->op == OP_SILU ? KACT_SILU
            : e->op == OP_TANH ? KACT_TANH
                               : -1;
    if (e->isa >= KISA_AVX512 && k_ew_act_avx512(act, a, y, n)) return;
    if (e->isa >= KISA_AVX2 && k_ew_act_avx2(act, a, y, n)) return;
#endif
    switch (e->op) {
    case OP_GELU: for (int64_t i = 0; i < n; i++) y[i] = gelu_tanh1(a[i]); break;
    case OP_SILU: for (int64_t i = 0; i < n; i++) y[i] = silu1(a[i]); break;
    case OP_TANH: for (int64_t i = 0; i < n; i++) y[i] = tanhf(a[i]); break;
    case OP_LEAKY:
        for (int64_t i = 0; i < n; i++) y[i] = a[i] >= 0.0f ? a[i] : a[i] * e->s;
        break;
    case OP_ADD: for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i]; break;
    case OP_MUL: for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i]; break;
    case OP_SCALE: for (int64_t i = 0; i < n; i++) y[i] = a[i] * e->s; break;
    case OP_FILL: for (int64_t i = 0; i < n; i++) y[i] = e->s; break;
    case OP_SHIFT_SCALE_CLAMP:
        for (int64_t i = 0; i < n; i++) {
            float v = (a[i] + e->off) * e->s;
            y[i] = v < e->lo ? e->lo : (v > e->hi ? e->hi : v);
        }
        break;
    default: break;
    }
}

static kstatus ew_run(const kctx *ctx, int op, const float *a, const float *b, float s, float *y,
                      int64_t n)
{
    if (n < 0 || (n > 0 && (!a || !y || ((op == OP_ADD || op == OP_MUL) && !b)))) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    ew_args e = {a, b, y, s, op, ctx->isa, 0, 0, 0};
    return k_par(ctx, n, EW_GRAIN, ew_task, &e);
}

kstatus k_shift_scale_clamp(const kctx *ctx, const float *x, float shift, float scale, float lo, float hi, float *y,
                            int64_t n)
{
    K_DISPATCH(ctx, kcuda_shift_scale_clamp(ctx, x, shift, scale, lo, hi, y, n));
    if (n < 0 || (n > 0 && (!x || !y))) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    ew_args e = {x, NULL, y, scale, OP_SHIFT_SCALE_CLAMP, ctx->isa, shift, lo, hi};
    return k_par(ctx, n, EW_GRAIN, ew_task, &e);
}

kstatus k_fill(const kctx *ctx, float *y, float value, int64_t n)
{
    K_DISPATCH(ctx, kcuda_fill(ctx, y, value, n));
    if (n < 0 || (n > 0 && !y)) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    ew_args e = {y, NULL, y, value, OP_FILL, ctx->isa, 0, 0, 0};
    return k_par(ctx, n, EW_GRAIN, ew_task, &e);
}

/* The CPU op and its kcuda_elementwise twin. */
#define EW_OP(name, params, op, cop, a, b, s)                   \
    kstatus name params                                         \
    {                                                           \
        K_DISPATCH(ctx, kcuda_elementwise(ctx, cop, a, b, s, y, n)); \
        return ew_run(ctx, op, a, b, s, y, n);                  \
    }
EW_OP(k_gelu_tanh, (const kctx *ctx, const float *x, float *y, int64_t n), OP_GELU, KCUDA_GELU_TANH, x, NULL, 0)
EW_OP(k_silu, (const kctx *ctx, const float *x, float *y, int64_t n), OP_SILU, KCUDA_SILU, x, NULL, 0)
EW_OP(k_tanh, (const kctx *ctx, const float *x, float *y, int64_t n), OP_TANH, KCUDA_TANH, x, NULL, 0)
EW_OP(k_leaky_relu, (const kctx *ctx, const float *x, float *y, int64_t n, float slope), OP_LEAKY,
      KCUDA_LEAKY_RELU, x, NULL, slope)
EW_OP(k_add, (const kctx *ctx, const float *a, const float *b, float *y, int64_t n), OP_ADD, KCUDA_ADD, a, b, 0)
EW_OP(k_mul, (const kctx *ctx, const float *a, const float *b, float *y, int64_t n), OP_MUL, KCUDA_MUL, a, b, 0)
EW_OP(k_scale, (const kctx *ctx, const float *x, float s, float *y, int64_t n), OP_SCALE, KCUDA_SCALE, x, NULL, s)

kstatus k_round_bf16_on(const kctx *ctx, float *x, int64_t n)
{
    K_DISPATCH(ctx, kcuda_elementwise(ctx, KCUDA_ROUND_BF16, x, NULL, 0.0f, x, n));
    k_round_bf16(x, n);
    return KS_OK;
}

/* ---------------------------------------------------------------- row broadcasts */
typedef struct row_args {
    int64_t dim;
    const float *x, *p, *q; /* per-column vectors */
    float *y;
    int op;
} row_args;

enum { ROW_MODULATE, ROW_GATED_ADD, ROW_ADD };

static void row_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const row_args *r = arg;
    int64_t d = r->dim;
    for (int64_t row = begin; row < end; row++) {
        const float *x = r->x + row * d;
        float *y = r->y + row * d;
        switch (r->op) {
        case ROW_MODULATE:
            for (int64_t i = 0; i < d; i++) y[i] = x[i] * (1.0f + r->p[i]) + r->q[i];
            break;
        case ROW_GATED_ADD:
            for (int64_t i = 0; i < d; i++) y[i] += r->p[i] * x[i];
            break;
        default:
            for (int64_t i = 0; i < d; i++) y[i] = x[i] + r->p[i];
            break;
        }
    }
}

static kstatus row_run(const kctx *ctx, int op, int64_t rows, int64_t dim, const float *x,
                       const float *p, const float *q, float *y)
{
    if (rows < 0 || dim < 0) return KS_BAD_ARG;
    if (rows == 0 || dim == 0) return KS_OK;
    if (!x || !p || !y || (op == ROW_MODULATE && !q)) return KS_BAD_ARG;
    row_args r = {dim, x, p, q, y, op};
    int64_t grain = EW_GRAIN / dim + 1;
    return k_par(ctx, rows, grain, row_task, &r);
}

kstatus k_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *scale,
                   const float *shift, float *y)
{
    K_DISPATCH(ctx, kcuda_modulate(ctx, rows, dim, x, scale, shift, y));
    return row_run(ctx, ROW_MODULATE, rows, dim, x, scale, shift, y);
}
kstatus k_gated_add(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *gate,
                    float *y)
{
    K_DISPATCH(ctx, kcuda_gated_add(ctx, rows, dim, x, gate, y));
    return row_run(ctx, ROW_GATED_ADD, rows, dim, x, gate, NULL, y);
}
kstatus k_add_row(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *b, float *y)
{
    K_DISPATCH(ctx, kcuda_add_row(ctx, rows, dim, x, b, y));
    return row_run(ctx, ROW_ADD, rows, dim, x, b, NULL, y);
}
