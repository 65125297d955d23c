/* gemm.c — the blocked GEMM driver behind k_linear and k_sgemm (BLIS loop order:
 * columns block → k block (B panels packed or read in place) → row block (A packed) →
 * 32-column panel → MR-row micro-tile), threads over a grid of row × column ranges. */
#include "gemm_internal.h"

#include <stdlib.h>
#include <string.h>

#ifndef GEMM_MC_TARGET
#define GEMM_MC_TARGET 168 /* rows of A per packed block (A block ~ 170 KB in L2) */
#endif
#define GEMM_NC_PACKED 8192 /* columns per B block when B is packed per call */

typedef struct gemm_call {
    const gemm_arch *arch;
    kfmt fmt;
    int64_t m, n, k;
    const float *a;
    int64_t lda;
    int ta;
    float a_mult;
    int a_round;
    gemm_bsrc bsrc;
    int direct; /* B read in place from bsrc.packed */
    float b_scale;
    int b_round;
    float *c;
    int64_t ldc;
    float beta; /* 0: C is overwritten; 1: added to; else scaled first */
    const float *bias;
    int round_out;
    int64_t rows_per, cols_per, tn;
    int failed; /* a scratch allocation failed (written only as 1) */
} gemm_call;

const gemm_arch *gemm_arch_for(kisa isa) {
#if defined(LTX2_X86)
    switch (isa) {
    case KISA_AVX512BF16: return gemm_arch_avx512bf16();
    case KISA_AVX512: return gemm_arch_avx512();
    case KISA_AVX2: return gemm_arch_avx2();
    case KISA_SCALAR: break;
    }
#else
    (void)isa;
#endif
    return gemm_arch_scalar();
}

static void epilogue(const gemm_call *g, float *c, int64_t rows, int64_t j0, int64_t cols) {
    if (!g->bias && !g->round_out) return;
    for (int64_t i = 0; i < rows; i++) {
        float *ci = c + i * g->ldc;
        for (int64_t j = 0; j < cols; j++) {
            float v = ci[j] + (g->bias ? g->bias[j0 + j] : 0.0f);
            ci[j] = g->round_out ? k_bf16_to_f32(k_f32_to_bf16(v)) : v;
        }
    }
}

static void gemm_task(void *arg, int64_t t0, int64_t t1, int tid) {
    (void)tid;
    gemm_call *g = arg;
    const int mr = g->arch->mr;
    const int es = kfmt_size(g->fmt);
    const gemm_ukr ukr = g->arch->ukr[g->fmt];
    const int64_t mc_max = (int64_t)mr * ((GEMM_MC_TARGET + mr - 1) / mr);
    for (int64_t t = t0; t < t1; t++) {
        int64_t r0 = (t / g->tn) * g->rows_per, c0 = (t % g->tn) * g->cols_per;
        int64_t r1 = r0 + g->rows_per < g->m ? r0 + g->rows_per : g->m;
        int64_t c1 = c0 + g->cols_per < g->n ? c0 + g->cols_per : g->n;
        if (r0 >= r1 || c0 >= c1) continue;
        if (g->beta != 0.0f && g->beta != 1.0f)
            for (int64_t i = r0; i < r1; i++)
                for (int64_t j = c0; j < c1; j++) g->c[i * g->ldc + j] *= g->beta;
        if (g->k == 0) { /* nothing to multiply: C = beta*C + bias */
            for (int64_t i = r0; i < r1; i++)
                if (g->beta == 0.0f) memset(g->c + i * g->ldc + c0, 0, sizeof(float) * (size_t)(c1 - c0));
            epilogue(g, g->c + r0 * g->ldc + c0, r1 - r0, c0, c1 - c0);
            continue;
        }
        int64_t nc_max = g->direct ? c1 - c0 : GEMM_NC_PACKED;
        int64_t np_max = (nc_max + GEMM_NR - 1) / GEMM_NR;
        /* bf16 pair panels are half the bytes per k: a twice longer k block keeps the
         * same cache footprint and halves the C tile updates */
        const int64_t kc_max = g->fmt == KF_DP ? 2 * GEMM_KC : GEMM_KC;
        void *abuf = malloc((size_t)(mc_max * (kc_max + 2)) * sizeof(float));
        void *bbuf = g->direct ? NULL : malloc((size_t)(np_max * (kc_max + 2) * GEMM_NR) * (size_t)es);
        if (!abuf || (!g->direct && !bbuf)) {
            free(abuf);
            free(bbuf);
            g->failed = 1;
            return;
        }
        float tile[32 * GEMM_NR];
        for (int64_t jc = c0; jc < c1; jc += nc_max) {
            int64_t nc = c1 - jc < nc_max ? c1 - jc : nc_max;
            int64_t np = (nc + GEMM_NR - 1) / GEMM_NR;
            for (int64_t pc = 0; pc < g->k; pc += kc_max) {
                int64_t kc = g->k - pc < kc_max ? g->k - pc : kc_max;
                int64_t kcp = g->fmt == KF_DP ? (kc + 1) & ~(int64_t)1 : kc;
                int first = pc == 0, last = pc + kc >= g->k;
                int add = !first || g->beta != 0.0f;
                const char *bbase;
                int64_t bstride; /* bytes between consecutive 32-column panels */
                if (g->direct) {
                    const kpacked *p = g->bsrc.packed;
                    bstride = p->kp * GEMM_NR * es;
                    bbase = (const char *)p->data + (jc / GEMM_NR) * bstride + pc * GEMM_NR * es;
                } else {
                    bstride = kcp * GEMM_NR * es;
                    for (int64_t jp = 0; jp < np; jp++)
                        gemm_pack_b_any(g->arch, &g->bsrc, g->n, g->k, jc + jp * GEMM_NR, pc, kc, g->fmt,
                                        g->b_scale, g->b_round, (char *)bbuf + jp * bstride);
                    bbase = bbuf;
                }
                for (int64_t ic = r0; ic < r1; ic += mc_max) {
                    int64_t mc = r1 - ic < mc_max ? r1 - ic : mc_max;
                    int64_t a_panel = kcp * mr; /* elements of f32 (or bf16 pairs × 2) */
                    size_t a_bytes = (size_t)a_panel * (g->fmt == KF_DP ? 2 : 4);
                    for (int64_t ir = 0; ir < mc; ir += mr)
                        if (!g->arch->pack_a ||
                            !g->arch->pack_a(g->a, g->lda, g->ta, r1, ic + ir, pc, kc, g->fmt, g->a_mult, g->a_round,
                                             (char *)abuf + (size_t)(ir / mr) * a_bytes))
                            gemm_pack_a(g->a, g->lda, g->ta, r1, g->k, ic + ir, pc, kc, mr, g->fmt, g->a_mult,
                                        g->a_round, (char *)abuf + (size_t)(ir / mr) * a_bytes);
                    for (int64_t jp = 0; jp < np; jp++) {
                        int64_t j = jc + jp * GEMM_NR;
                        int64_t cols = c1 - j < GEMM_NR ? c1 - j : GEMM_NR;
                        const char *bp = bbase + jp * bstride;
                        for (int64_t ir = 0; ir < mc; ir += mr) {
                            int64_t i = ic + ir;
                            int64_t rows = r1 - i < mr ? r1 - i : mr;
                            const char *ap = (const char *)abuf + (size_t)(ir / mr) * a_bytes;
                            float *cp = g->c + i * g->ldc + j;
                            if (rows == mr && cols == GEMM_NR) {
                                ukr(kcp, ap, bp, cp, g->ldc, add);
                            } else {
                                memset(tile, 0, sizeof(float) * (size_t)(mr * GEMM_NR));
                                if (add)
                                    for (int64_t r = 0; r < rows; r++)
                                        memcpy(tile + r * GEMM_NR, cp + r * g->ldc, sizeof(float) * (size_t)cols);
                                ukr(kcp, ap, bp, tile, GEMM_NR, add);
                                for (int64_t r = 0; r < rows; r++)
                                    memcpy(cp + r * g->ldc, tile + r * GEMM_NR, sizeof(float) * (size_t)cols);
                            }
                            if (last) epilogue(g, cp, rows, j, cols);
                        }
                    }
                }
            }
        }
        free(abuf);
        free(bbuf);
    }
}

static void gemm_run(const kctx *ctx, gemm_call *g) {
    if (g->m <= 0 || g->n <= 0) return;
    int threads = kpool_threads(ctx->pool);
    int mr = g->arch->mr;
    int64_t mp = (g->m + mr - 1) / mr, np = (g->n + GEMM_NR - 1) / GEMM_NR;
    int64_t tm, tn;
    if (g->direct) {
        /* B is read in place: split rows, every thread streams the same shared panels */
        tm = mp < threads ? mp : threads;
        tn = (threads + tm - 1) / tm;
        if (tn > np) tn = np;
    } else {
        /* B is packed per call: split columns so no panel is packed twice */
        tn = np < threads ? np : threads;
        tm = (threads + tn - 1) / tn;
        if (tm > mp) tm = mp;
    }
    g->rows_per = ((mp + tm - 1) / tm) * mr;
    g->cols_per = ((np + tn - 1) / tn) * GEMM_NR;
    tm = (g->m + g->rows_per - 1) / g->rows_per;
    g->tn = (g->n + g->cols_per - 1) / g->cols_per;
    kpool_for(ctx->pool, tm * g->tn, 1, gemm_task, g);
}

static kisa usable_isa(const kctx *ctx) {
    kisa best = k_isa_best();
    return ctx->isa > best ? best : ctx->isa;
}

static void linear_core(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
                        const kpacked *packed, const float *bias, float *y, int64_t ldy, int accumulate) {
    int fast = ctx->prec == KP_FAST;
    gemm_call g;
    memset(&g, 0, sizeof g);
    g.arch = gemm_arch_for(usable_isa(ctx));
    int usable = packed && packed->data && packed->fast == fast && packed->n == w->rows && packed->k == w->cols;
    if (fast && g.arch->ukr[KF_DP]) g.fmt = KF_DP;
    else if (usable && g.arch->ukr[packed->fmt]) g.fmt = packed->fmt;
    else g.fmt = KF_F32;
    g.direct = usable && packed->fmt == g.fmt;
    g.m = m;
    g.n = w->rows;
    g.k = w->cols;
    g.a = x;
    g.lda = ldx;
    g.ta = 0;
    g.a_mult = fast ? 1.0f : w->scale; /* exact: the weight scale rides on A */
    g.a_round = fast;
    g.bsrc = (gemm_bsrc){usable ? packed : NULL, w->dtype, w->data, w->ld, 1};
    g.b_scale = (fast && !usable) ? w->scale : 1.0f;
    g.b_round = fast;
    g.c = y;
    g.ldc = ldy;
    g.beta = accumulate ? 1.0f : 0.0f;
    g.bias = bias;
    g.round_out = 0; /* fast keeps f32 outputs: see KP_FAST in kernels.h */
    gemm_run(ctx, &g);
}

void k_linear(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
              const kpacked *packed, const float *bias, float *y, int64_t ldy, int accumulate) {
    linear_core(ctx, m, x, ldx, w, packed, bias, y, ldy, accumulate);
}

void k_sgemm(const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
             float *c, int64_t ldc) {
    gemm_call g;
    memset(&g, 0, sizeof g);
    g.arch = gemm_arch_for(usable_isa(ctx));
    g.fmt = KF_F32;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = a;
    g.lda = lda;
    g.ta = trans_a != 0;
    g.a_mult = alpha;
    g.bsrc = (gemm_bsrc){NULL, KD_F32, b, ldb, trans_b != 0};
    g.b_scale = 1.0f;
    g.c = c;
    g.ldc = ldc;
    g.beta = beta;
    gemm_run(ctx, &g);
}
