/* bench_attention.c — k_attention self-attention, 32 heads × 128 dims, at 1024 and 4096
 * tokens; FLOP count 4·n²·heads·dim (QKᵀ and PV). Ratio against our exact F32 GEMM rate. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct attn_arg {
    const kctx *ctx;
    const kattn *a;
} attn_arg;

static void run_attention(void *v) {
    attn_arg *a = v;
    BENCH_OK(k_attention(a->ctx, a->a));
}

void bench_attention(bench *b) {
    if (!bench_selected(b, "attention")) return;
    const int heads = 32, dim = 128;
    static const int64_t ns[2] = {1024, 4096};
    kctx ctx = kctx_default(bench_pool(b));
    double last_s = 0, rate = 0;
    for (int s = 0; s < 2; s++) {
        int64_t n = ns[s], width = (int64_t)heads * dim;
        double flop = 4.0 * (double)n * (double)n * heads * dim;
        char key[64], label[96];
        snprintf(key, sizeof key, "attention_n%lld", (long long)n);
        snprintf(label, sizeof label, "k_attention self %lld tok, %dx%d heads", (long long)n, heads, dim);
        if (last_s * 16.0 > 60.0) { /* the previous size predicts more than a minute */
            bench_row(b, key, label, flop, 0, "skipped: too slow at the smaller size");
            continue;
        }
        float *q = malloc(sizeof(float) * (size_t)(n * width));
        float *k = malloc(sizeof(float) * (size_t)(n * width));
        float *vv = malloc(sizeof(float) * (size_t)(n * width));
        float *o = malloc(sizeof(float) * (size_t)(n * width));
        if (q && k && vv && o) {
            bench_fill(q, n * width, 11);
            bench_fill(k, n * width, 12);
            bench_fill(vv, n * width, 13);
            kattn a = {n, n, heads, heads, dim, q, width, k, width, vv, width, o, width, NULL, 0, 0,
                       1.0f / sqrtf((float)dim)};
            attn_arg arg = {&ctx, &a};
            last_s = bench_time(run_attention, &arg, 3, 4.0);
            bench_row(b, key, label, flop, last_s, "flash (online softmax)");
            rate = flop / last_s * 1e-9;
        } else {
            bench_row(b, key, label, flop, 0, "out of memory");
        }
        free(q);
        free(k);
        free(vv);
        free(o);
    }
    double g = bench_rate(b, "gemm_f32_n4096");
    if (g > 0 && rate > 0) bench_ratio(b, "attention_vs_gemm", rate / g);
}
