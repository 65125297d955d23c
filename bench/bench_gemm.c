/* bench_gemm.c — k_linear at LTX-2 transformer shapes (M=1024 tokens, K=4096, N=4096 and
 * 16384) with F32 / BF16 / FP8 weights (exact) and fast precision, against OpenBLAS
 * cblas_sgemm on the same F32 weights, same thread count, same run. The variants of a
 * shape run interleaved (one timed call each per round, best of the rounds), so a
 * change of machine load hits all of them alike. Weights are pre-packed with k_pack
 * (once at load in the engine; not timed) except in the "no k_pack" rows. */
#include "bench.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5
#define MAX_VARIANTS 8

typedef struct variant {
    char key[64], label[96];
    const char *note;
    const kctx *ctx;
    const kmat *w;
    kpacked *packed;
    int openblas;
    double best, best_cpu; /* wall seconds; process CPU seconds of the same run */
} variant;

typedef struct shape {
    int64_t m, n, k;
    const float *x;
    float *y;
} shape;

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_variant(const shape *s, const variant *v) {
    if (v->openblas)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)s->m, (int)s->n, (int)s->k, 1.0f, s->x, (int)s->k,
                    (const float *)v->w->data, (int)s->k, 0.0f, s->y, (int)s->n);
    else
        BENCH_OK(k_linear(v->ctx, s->m, s->x, s->k, v->w, v->packed, NULL, s->y, s->n, 0));
}

static void add(bench *b, variant *vs, int *nv, const char *tag, const char *what, const shape *s, const kctx *ctx,
                const kmat *w, int pack, int openblas) {
    variant *v = &vs[*nv];
    snprintf(v->key, sizeof v->key, "gemm_%s_n%lld", tag, (long long)s->n);
    if (!bench_selected(b, v->key)) return;
    snprintf(v->label, sizeof v->label, "%s %lldx%lldx%lld", what, (long long)s->m, (long long)s->k, (long long)s->n);
    v->note = openblas ? "cblas_sgemm(NoTrans, Trans)" : (pack ? "pre-packed (k_pack)" : "packed per call");
    v->ctx = ctx;
    v->w = w;
    v->packed = NULL;
    if (pack) BENCH_OK(k_pack(ctx, w, &v->packed));
    v->openblas = openblas;
    v->best = v->best_cpu = 1e30;
    (*nv)++;
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
    for (int si = 0; si < 2; si++) {
        int64_t N = Ns[si];
        shape s = {M, N, K, x, y};
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
        bench_fill(wf, N * K, 2 + (uint64_t)si);
        for (int64_t i = 0; i < N * K; i++) {
            wb[i] = k_f32_to_bf16(wf[i]);
            w8[i] = k_f32_to_e4m3(wf[i] * 400.0f);
        }
        kmat Wf = {KD_F32, wf, N, K, K, 1.0f};
        kmat Wb = {KD_BF16, wb, N, K, K, 1.0f};
        kmat W8 = {KD_F8_E4M3, w8, N, K, K, 1.0f / 400.0f};
        variant vs[MAX_VARIANTS];
        int nv = 0;
        add(b, vs, &nv, "openblas", "OpenBLAS sgemm f32", &s, &exact, &Wf, 0, 1);
        add(b, vs, &nv, "f32", "ours exact f32 weights", &s, &exact, &Wf, 1, 0);
        add(b, vs, &nv, "bf16w", "ours exact bf16 weights", &s, &exact, &Wb, 1, 0);
        add(b, vs, &nv, "fp8w", "ours exact fp8 e4m3 weights", &s, &exact, &W8, 1, 0);
        add(b, vs, &nv, "fast", "ours fast (bf16 weights)", &s, &fast, &Wb, 1, 0);
        if (si == 0) {
            add(b, vs, &nv, "f32_onfly", "ours exact f32, no k_pack", &s, &exact, &Wf, 0, 0);
            add(b, vs, &nv, "bf16w_onfly", "ours exact bf16, no k_pack", &s, &exact, &Wb, 0, 0);
            add(b, vs, &nv, "fast_onfly", "ours fast bf16, no k_pack", &s, &fast, &Wb, 0, 0);
        }
        for (int v = 0; v < nv; v++) run_variant(&s, &vs[v]); /* warm-up */
        struct timespec settle = {0, 300000000};
        nanosleep(&settle, NULL);
        double spent = 0;
        for (int r = 0; r < ROUNDS && spent < 12.0; r++)
            for (int v = 0; v < nv; v++) {
                double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
                run_variant(&s, &vs[v]);
                double d = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
                spent += d;
                if (d < vs[v].best) vs[v].best = d;
                if (dc < vs[v].best_cpu) vs[v].best_cpu = dc;
                if (vs[v].openblas) {
                    /* OpenBLAS workers spin (sched_yield) for about 2^28 cycles after a call
                     * (THREAD_TIMEOUT); let them fall asleep so they do not take the cores
                     * from the variant timed next */
                    struct timespec pause = {0, 300000000};
                    nanosleep(&pause, NULL);
                }
            }
        double t_ob = 0, t_f32 = 0, t_bf16 = 0, t_fast = 0;
        for (int v = 0; v < nv; v++) {
            /* CPU-time rate per thread: flop / (CPU seconds of all threads). Our idle threads
             * sleep and OpenBLAS's spin, so it is not a like-for-like speed; it shows how
             * much of the wall time our threads actually ran. */
            char note[160];
            snprintf(note, sizeof note, "%s; %.0f GFLOP/s per thread by CPU time", vs[v].note,
                     flop / vs[v].best_cpu * 1e-9);
            bench_row(b, vs[v].key, vs[v].label, flop, vs[v].best, note);
            const char *tag = vs[v].key + 5;
            if (vs[v].openblas) t_ob = vs[v].best;
            else if (strncmp(tag, "f32_n", 5) == 0) t_f32 = vs[v].best;
            else if (strncmp(tag, "bf16w_n", 7) == 0) t_bf16 = vs[v].best;
            else if (strncmp(tag, "fast_n", 6) == 0) t_fast = vs[v].best;
            k_packed_free(vs[v].packed);
        }
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
