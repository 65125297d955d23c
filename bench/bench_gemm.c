/* bench_gemm.c — k_linear at LTX-2 transformer shapes (M=1024 tokens, K=4096, N=4096 and
 * 16384) with F32 / BF16 / FP8 weights (exact) and fast precision, against OpenBLAS
 * cblas_sgemm on the same F32 weights, same thread count, same run. Weights are
 * pre-packed with k_pack (done once at load in the engine; not timed). */
#include "bench.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct lin_arg {
    const kctx *ctx;
    int64_t m;
    const float *x;
    const kmat *w;
    const kpacked *p;
    float *y;
} lin_arg;

static void run_linear(void *v) {
    lin_arg *a = v;
    k_linear(a->ctx, a->m, a->x, a->w->cols, a->w, a->p, NULL, a->y, a->w->rows, 0);
}

typedef struct blas_arg {
    int64_t m, n, k;
    const float *x, *w;
    float *y;
} blas_arg;

static void run_openblas(void *v) {
    blas_arg *a = v;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->m, (int)a->n, (int)a->k, 1.0f, a->x, (int)a->k,
                a->w, (int)a->k, 0.0f, a->y, (int)a->n);
}

static double time_linear(bench *b, const char *key, const char *label, const kctx *ctx, int64_t m, const float *x,
                          const kmat *w, int pack, float *y, double flop) {
    if (!bench_selected(b, key)) return 0;
    kpacked *p = pack ? k_pack(ctx, w) : NULL;
    lin_arg a = {ctx, m, x, w, p, y};
    double s = bench_time(run_linear, &a, 4, 3.0);
    bench_row(b, key, label, flop, s, pack ? "pre-packed (k_pack)" : "packed per call");
    k_packed_free(p);
    return s;
}

void bench_gemm(bench *b) {
    if (!bench_selected(b, "gemm")) return;
    openblas_set_num_threads(bench_threads(b));
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("# OpenBLAS: %s; kernel core: %s; OPENBLAS_CORETYPE=%s\n", openblas_get_config(), openblas_get_corename(),
           ct ? ct : "(unset)");
    const int64_t M = 1024, K = 4096;
    static const int64_t Ns[2] = {4096, 16384};
    float *x = malloc(sizeof(float) * (size_t)(M * K));
    float *y = malloc(sizeof(float) * (size_t)(M * Ns[1]));
    if (!x || !y) {
        free(x);
        free(y);
        bench_row(b, "gemm", "GEMM", 0, 0, "out of memory");
        return;
    }
    bench_fill(x, M * K, 1);
    kctx exact = kctx_default(bench_pool(b));
    kctx fast = exact;
    fast.prec = KP_FAST;
    double r_f32 = 0, r_bf16 = 0, r_fast = 0;
    int shapes = 0;
    for (int s = 0; s < 2; s++) {
        int64_t N = Ns[s];
        double flop = 2.0 * (double)M * (double)N * (double)K;
        float *wf = malloc(sizeof(float) * (size_t)(N * K));
        uint16_t *wb = malloc(sizeof(uint16_t) * (size_t)(N * K));
        uint8_t *w8 = malloc((size_t)(N * K));
        if (!wf || !wb || !w8) {
            free(wf);
            free(wb);
            free(w8);
            bench_row(b, "gemm", "GEMM", 0, 0, "out of memory");
            continue;
        }
        bench_fill(wf, N * K, 2 + (uint64_t)s);
        for (int64_t i = 0; i < N * K; i++) {
            wb[i] = k_f32_to_bf16(wf[i]);
            w8[i] = k_f32_to_e4m3(wf[i] * 400.0f);
        }
        kmat Wf = {KD_F32, wf, N, K, K, 1.0f};
        kmat Wb = {KD_BF16, wb, N, K, K, 1.0f};
        kmat W8 = {KD_F8_E4M3, w8, N, K, K, 1.0f / 400.0f};
        char key[64], label[96];
        snprintf(key, sizeof key, "gemm_openblas_n%lld", (long long)N);
        snprintf(label, sizeof label, "OpenBLAS sgemm f32 %lldx%lldx%lld", (long long)M, (long long)K, (long long)N);
        blas_arg ba = {M, N, K, x, wf, y};
        double t_ob = 0;
        if (bench_selected(b, key)) {
            t_ob = bench_time(run_openblas, &ba, 4, 3.0);
            bench_row(b, key, label, flop, t_ob, "cblas_sgemm(NoTrans, Trans)");
        }
#define ROW(tag, what, ctx, W, pack)                                                                   \
    (snprintf(key, sizeof key, "gemm_%s_n%lld", tag, (long long)N),                                     \
     snprintf(label, sizeof label, "ours %s %lldx%lldx%lld", what, (long long)M, (long long)K, (long long)N), \
     time_linear(b, key, label, ctx, M, x, W, pack, y, flop))
        double t_f32 = ROW("f32", "exact f32 weights", &exact, &Wf, 1);
        double t_bf16 = ROW("bf16w", "exact bf16 weights", &exact, &Wb, 1);
        ROW("fp8w", "exact fp8 e4m3 weights (scale)", &exact, &W8, 1);
        double t_fast = ROW("fast", "fast bf16 (bf16 weights)", &fast, &Wb, 1);
        if (s == 0) {
            ROW("f32_onfly", "exact f32 weights, no k_pack", &exact, &Wf, 0);
            ROW("bf16w_onfly", "exact bf16 weights, no k_pack", &exact, &Wb, 0);
        }
#undef ROW
        if (t_ob > 0 && t_f32 > 0 && t_bf16 > 0 && t_fast > 0) {
            r_f32 += t_ob / t_f32;
            r_bf16 += t_ob / t_bf16;
            r_fast += t_ob / t_fast;
            shapes++;
        }
        free(wf);
        free(wb);
        free(w8);
    }
    if (shapes) {
        /* mean over the two shapes of (our rate / OpenBLAS rate) */
        bench_ratio(b, "gemm_f32_vs_openblas", r_f32 / shapes);
        bench_ratio(b, "gemm_bf16w_vs_openblas", r_bf16 / shapes);
        bench_ratio(b, "gemm_fast_vs_openblas", r_fast / shapes);
    }
    free(x);
    free(y);
}
