/* bench_cuda.c — the CUDA backend at transformer shapes, on cuda:0 when one is usable:
 * kcuda_linear with M = 4992 tokens, K = 4096, N = 4096 / 16384 (fast: bf16 weights,
 * FP8 E4M3 weights widened per call; exact: f32 weights, TF32 off), flash attention
 * with 32 heads × 128 at 4992 and 24576 tokens (f32, bf16 mma.sync, bf16 wgmma), and
 * one VAE-sized conv3d.
 * Each timed run ends with a
 * device sync; the best of the runs is reported. */
#include "bench.h"
#include "bench_cuda.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct gemm_run {
    kctx ctx;
    int64_t m;
    const float *x;
    const kmat *w;
    float *y;
    kstatus status;
} gemm_run;

static void run_gemm(void *arg)
{
    gemm_run *r = arg;
    kstatus s = kcuda_linear(&r->ctx, r->m, r->x, r->w->cols, r->w, NULL, r->y, r->w->rows, 0);
    if (s == KS_OK) s = kcuda_sync(r->ctx.cuda);
    if (s != KS_OK) r->status = s;
}

typedef struct att_run {
    kctx ctx;
    kattn a;
    kstatus status;
} att_run;

static void run_att(void *arg)
{
    att_run *r = arg;
    kstatus s = kcuda_attention(&r->ctx, &r->a);
    if (s == KS_OK) s = kcuda_sync(r->ctx.cuda);
    if (s != KS_OK) r->status = s;
}

static void gemm_rows(bench *b, kcuda *d, const kctx *base)
{
    const int64_t M = 4992, K = 4096;
    static const int64_t Ns[2] = {4096, 16384};
    float *x = bench_dev_random(d, M * K, 1), *y = NULL;
    if (!x || kcuda_alloc(d, sizeof(float) * (size_t)(M * Ns[1]), (void **)&y) != KS_OK) {
        bench_row(b, "cuda_gemm", "CUDA GEMM", 0, 0, kcuda_last_error(d));
        kcuda_free(d, x);
        return;
    }
    for (int si = 0; si < 2; si++) {
        int64_t N = Ns[si];
        float *wf = malloc(sizeof(float) * (size_t)(N * K));
        uint16_t *wb = malloc(sizeof(uint16_t) * (size_t)(N * K));
        uint8_t *w8 = malloc((size_t)(N * K));
        if (wf && wb && w8) {
            bench_fill(wf, N * K, 2 + (uint64_t)si);
            for (int64_t i = 0; i < N * K; i++) {
                wb[i] = k_f32_to_bf16(wf[i]);
                w8[i] = k_f32_to_e4m3(wf[i] * 400.0f);
            }
            struct { const char *tag, *label; kmat host; kprec prec; } v[3] = {
                {"fast_bf16w", "CUDA fast bf16 weights", {KD_BF16, wb, N, K, K, 1.0f}, KP_FAST},
                {"fast_fp8w", "CUDA fast fp8 e4m3 weights", {KD_F8_E4M3, w8, N, K, K, 1.0f / 400.0f}, KP_FAST},
                {"exact_f32", "CUDA exact f32 (no TF32)", {KD_F32, wf, N, K, K, 1.0f}, KP_EXACT},
            };
            for (int i = 0; i < 3; i++) {
                char key[64], label[96];
                snprintf(key, sizeof key, "cuda_gemm_%s_n%lld", v[i].tag, (long long)N);
                if (!bench_selected(b, key)) continue;
                snprintf(label, sizeof label, "%s %lldx%lldx%lld", v[i].label, (long long)M, (long long)K,
                         (long long)N);
                gemm_run r = {*base, M, x, NULL, y, KS_OK};
                r.ctx.prec = v[i].prec;
                kmat wd;
                kstatus s = kcuda_mat_upload(&r.ctx, &v[i].host, &wd);
                if (s != KS_OK) {
                    bench_row(b, key, label, 0, 0, kcuda_last_error(d));
                    continue;
                }
                r.w = &wd;
                double t = bench_time(run_gemm, &r, 20, 3.0);
                const char *note = v[i].host.dtype != KD_F8_E4M3 ? "cuBLASLt"
                                   : kcuda_fp8_unavailable(d) ? kcuda_fp8_unavailable(d)
                                                              : "FP8 tensor cores, activations quantised per call";
                bench_row(b, key, label, 2.0 * (double)M * (double)N * (double)K, r.status == KS_OK ? t : 0,
                          r.status == KS_OK ? note : kcuda_last_error(d));
                kcuda_mat_free(&r.ctx, &wd);
            }
        }
        free(wf);
        free(wb);
        free(w8);
    }
    kcuda_free(d, x);
    kcuda_free(d, y);
}

/* Exact: the f32 kernel; fast: bf16 mma.sync (forced, so the row keeps meaning the same
 * kernel on every card); wgmma: the Hopper kernel (forced; on other cards kcuda falls back
 * and the note names the kernel that ran). The bf16 rounding passes are included. */
static void attention_rows(bench *b, kcuda *d, const kctx *base)
{
    static const int64_t Ns[2] = {4992, 24576};
    static const char *const kind[3] = {"exact", "fast", "wgmma"};
    const int heads = 32, hd = 128;
    for (int si = 0; si < 2; si++)
        for (int ki = 0; ki < 3; ki++) {
            int64_t n = Ns[si], w = (int64_t)heads * hd;
            char key[64], label[96], note[96];
            snprintf(key, sizeof key, "cuda_attention_%s_n%lld", kind[ki], (long long)n);
            if (!bench_selected(b, key)) continue;
            snprintf(label, sizeof label, "CUDA %s flash attention %lld tok, 32x128",
                     ki == 0 ? "f32" : ki == 1 ? "bf16 mma.sync" : "bf16 wgmma", (long long)n);
            float *q = bench_dev_random(d, n * w, 3), *k = bench_dev_random(d, n * w, 4),
                  *v = bench_dev_random(d, n * w, 5), *o = NULL;
            if (q && k && v && kcuda_alloc(d, sizeof(float) * (size_t)(n * w), (void **)&o) == KS_OK) {
                att_run r = {*base, {n, n, heads, heads, hd, q, w, k, w, v, w, o, w, NULL, 0, 0, 0.08838834764f},
                             KS_OK};
                r.ctx.prec = ki ? KP_FAST : KP_EXACT;
                kcuda_set_attention_kernel(d, ki == 2 ? KCUDA_ATTN_WGMMA : KCUDA_ATTN_TC);
                double t = bench_time(run_att, &r, 5, 5.0);
                snprintf(note, sizeof note, "kernel %s%s", kcuda_attention_kernel_used(d),
                         ki == 0 ? ", f32 CUDA cores, online softmax" : ", bf16 operands, f32 softmax");
                bench_row(b, key, label, 4.0 * (double)n * (double)n * hd * heads, r.status == KS_OK ? t : 0,
                          r.status != KS_OK ? kcuda_last_error(d) : note);
                kcuda_set_attention_kernel(d, KCUDA_ATTN_AUTO);
            } else {
                bench_row(b, key, label, 0, 0, kcuda_last_error(d));
            }
            kcuda_free(d, q);
            kcuda_free(d, k);
            kcuda_free(d, v);
            kcuda_free(d, o);
        }
}

typedef struct conv_run {
    kctx ctx;
    kconv c;
    const kcuda_convw *w;
    kstatus status;
} conv_run;

static void run_conv(void *arg)
{
    conv_run *r = arg;
    kstatus s = kcuda_conv(&r->ctx, &r->c, r->w);
    if (s == KS_OK) s = kcuda_sync(r->ctx.cuda);
    if (s != KS_OK) r->status = s;
}

/* A VAE-decoder-like causal conv: 128 -> 128 channels, 3x3x3, bf16 weights. */
static void conv_rows(bench *b, kcuda *d, const kctx *base)
{
    const char *key = "cuda_conv3d_128_16x64x64_bf16w";
    if (!bench_selected(b, key)) return;
    const char *label = "CUDA conv3d 128->128 3x3x3 on 16x64x64, bf16 weights";
    kconv c = {.t = 16, .h = 64, .w = 64, .cin = 128, .cout = 128, .kt = 3, .kh = 3, .kw = 3, .st = 1, .sh = 1,
               .sw = 1, .dt = 1, .dh = 1, .dw = 1, .pt0 = 2, .ph0 = 1, .ph1 = 1, .pw0 = 1, .pw1 = 1,
               .tpad = KPAD_REPLICATE, .hpad = KPAD_ZEROS, .wpad = KPAD_ZEROS};
    int64_t n = c.t * c.h * c.w * c.cin, cols = c.cin * 27;
    float *wf = malloc(sizeof(float) * (size_t)(c.cout * cols));
    uint16_t *wb = malloc(sizeof(uint16_t) * (size_t)(c.cout * cols));
    kcuda_convw *cw = NULL;
    float *y = NULL;
    c.x = bench_dev_random(d, n, 6);
    if (wf && wb && c.x && kcuda_alloc(d, sizeof(float) * (size_t)n, (void **)&y) == KS_OK) {
        bench_fill(wf, c.cout * cols, 7);
        for (int64_t i = 0; i < c.cout * cols; i++) wb[i] = k_f32_to_bf16(wf[i] * 0.05f);
        kmat w = {KD_BF16, wb, c.cout, cols, cols, 1.0f};
        c.y = y;
        conv_run r = {*base, c, NULL, KS_OK};
        if (kcuda_convw_create(base, &w, c.cin, 3, 3, 3, &cw) == KS_OK) {
            r.w = cw;
            double t = bench_time(run_conv, &r, 10, 3.0);
            double npos = (double)(c.t * c.h * c.w);
            bench_row(b, key, label, 2.0 * npos * (double)c.cout * (double)cols, r.status == KS_OK ? t : 0,
                      r.status == KS_OK ? "f32 implicit GEMM, CUDA cores" : kcuda_last_error(d));
        } else {
            bench_row(b, key, label, 0, 0, kcuda_last_error(d));
        }
    } else {
        bench_row(b, key, label, 0, 0, "out of memory");
    }
    kcuda_convw_free(base, cw);
    kcuda_free(d, (void *)c.x);
    kcuda_free(d, y);
    free(wf);
    free(wb);
}

void bench_cuda(bench *b)
{
    if (!bench_selected(b, "cuda")) return;
    kcuda *d = NULL;
    char why[256] = "";
    if (kcuda_device_count() == 0 || kcuda_create(0, 0, &d, why, sizeof why) != KS_OK) {
        bench_row(b, "cuda", "CUDA backend", 0, 0, why[0] ? why : "no CUDA device");
        return;
    }
    printf("# CUDA device: %s\n", kcuda_name(d));
    kctx base = kctx_default(NULL);
    base.backend = KB_CUDA;
    base.cuda = d;
    gemm_rows(b, d, &base);
    attention_rows(b, d, &base);
    conv_rows(b, d, &base);
    kcuda_destroy(d);
}
