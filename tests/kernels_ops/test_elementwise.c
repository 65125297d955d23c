/* Activations, elementwise arithmetic and row broadcasts against double references,
 * in place and out of place, on odd lengths (tails of every vector width). */
#include "ops_check.h"

#include <string.h>

static const int64_t LENS[] = {1, 15, 17, 33, 1001, 70001};
#define NLENS (int64_t)(sizeof LENS / sizeof LENS[0])

static double ref_act(int which, double x, double slope)
{
    switch (which) {
    case 0: /* 0.5x(1 + tanh z) written without the cancellation of 1 + tanh z near -1 */
        return x / (1 + exp(-2 * 0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case 1: return x / (1 + exp(-x));
    case 2: return x >= 0 ? x : x * slope;
    default: return tanh(x);
    }
}

static void run_act(const kctx *c, int which, const float *x, float *y, int64_t n)
{
    switch (which) {
    case 0: KOK(k_gelu_tanh(c, x, y, n)); break;
    case 1: KOK(k_silu(c, x, y, n)); break;
    case 2: KOK(k_leaky_relu(c, x, y, n, 0.1f)); break;
    default: KOK(k_tanh(c, x, y, n)); break;
    }
}

static void case_acts(const kctx *c, krng *r, kcheck *k)
{
    static const char *names[] = {"gelu_tanh", "silu", "leaky_relu", "tanh"};
    for (int which = 0; which < 4; which++)
        for (int64_t li = 0; li < NLENS; li++) {
            int64_t n = LENS[li];
            /* gelu's relative error grows with |z| (z is rounded to f32 first), so keep
             * its inputs where that stays within a few ulp */
            float *x = rand_buf(r, n, which == 0 ? 6.0f : 9.0f);
            /* a few tiny inputs: tanh/gelu must stay accurate near 0 */
            for (int64_t i = 0; i < n; i += 7) x[i] *= 1e-4f;
            float *y = poisoned(n);
            double *ref = dbuf(n);
            for (int64_t i = 0; i < n; i++) ref[i] = ref_act(which, x[i], 0.1f);
            run_act(c, which, x, y, n);
            check_close(k, names[which], y, ref, n, 4e-6, 1e-30);
            run_act(c, which, x, x, n); /* in place */
            check_close(k, names[which], x, ref, n, 4e-6, 1e-30);
            free(x);
            free(y);
            free(ref);
        }
}

static void case_arith(const kctx *c, krng *r, kcheck *k)
{
    for (int64_t li = 0; li < NLENS; li++) {
        int64_t n = LENS[li];
        float *a = rand_buf(r, n, 3.0f), *b = rand_buf(r, n, 3.0f), *y = poisoned(n);
        double *ref = dbuf(n);
        static const char *const names[] = {"add", "mul", "scale", "shift_scale_clamp"};
        for (int op = 0; op < 4; op++) {
            for (int64_t i = 0; i < n; i++) {
                double cl = ((double)a[i] + 1.0) * 0.5;
                ref[i] = op == 0 ? (double)a[i] + b[i] : op == 1 ? (double)a[i] * b[i] : op == 2 ? a[i] * -0.37
                         : cl < 0 ? 0 : cl > 1 ? 1 : cl;
            }
            for (int64_t i = 0; i < n; i++) y[i] = NAN;
            if (op == 0) KOK(k_add(c, a, b, y, n));
            if (op == 1) KOK(k_mul(c, a, b, y, n));
            if (op == 2) KOK(k_scale(c, a, -0.37f, y, n));
            if (op == 3) KOK(k_shift_scale_clamp(c, a, 1.0f, 0.5f, 0.0f, 1.0f, y, n));
            check_close(k, names[op], y, ref, n, 1.2e-7, 1e-30);
        }
        free(a);
        free(b);
        free(y);
        free(ref);
    }
}

static void case_rows(const kctx *c, krng *r, kcheck *k)
{
    static const int64_t shapes[][2] = {{1, 1}, {3, 17}, {37, 129}, {301, 77}};
    for (int s = 0; s < 4; s++) {
        int64_t rows = shapes[s][0], dim = shapes[s][1], n = rows * dim;
        float *x = rand_buf(r, n, 2.0f), *p = rand_buf(r, dim, 1.0f), *q = rand_buf(r, dim, 1.0f);
        float *y = poisoned(n), *acc = rand_buf(r, n, 1.0f);
        double *ref = dbuf(n);
        for (int64_t i = 0; i < n; i++) ref[i] = (double)x[i] * (1.0 + p[i % dim]) + q[i % dim];
        KOK(k_modulate(c, rows, dim, x, p, q, y));
        check_close(k, "modulate", y, ref, n, 3e-7, 1e-7);
        for (int64_t i = 0; i < n; i++) ref[i] = (double)acc[i] + (double)p[i % dim] * x[i];
        KOK(k_gated_add(c, rows, dim, x, p, acc));
        check_close(k, "gated_add", acc, ref, n, 3e-7, 1e-7);
        for (int64_t i = 0; i < n; i++) ref[i] = (double)x[i] + q[i % dim];
        for (int64_t i = 0; i < n; i++) y[i] = NAN;
        KOK(k_add_row(c, rows, dim, x, q, y));
        check_close(k, "add_row", y, ref, n, 1.2e-7, 1e-30);
        KOK(k_add_row(c, rows, dim, x, q, x)); /* in place */
        check_close(k, "add_row in place", x, ref, n, 1.2e-7, 1e-30);
        free(x);
        free(p);
        free(q);
        free(y);
        free(acc);
        free(ref);
    }
}

int main(void)
{
    kcheck k = {0, 0};
    for_each_ctx(case_acts, &k);
    for_each_ctx(case_arith, &k);
    for_each_ctx(case_rows, &k);
    return check_report(&k, "kernels_ops_elementwise");
}
