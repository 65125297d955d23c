/* gemm.c — the blocked GEMM driver behind k_linear and k_sgemm, BLIS loop order:
 * column block → k block: B panels packed by all threads together → tasks of (row
 * block, column range): A block packed per task → 32-column panel → MR-row micro-tile.
 * Two pool calls per k block; tasks are dealt dynamically. There is one k block (the
 * whole K, each tile summed in registers and written once) when B is pre-packed
 * (k_pack: one pool call per product) and when B is packed per call and all of A packed
 * over K fits GEMM_A_BUDGET (A packed once, then B in column blocks). */
#include "gemm_internal.h"
#include "kbackend.h"

#include <stdlib.h>
#include <string.h>

#ifndef GEMM_MC_TARGET
#define GEMM_MC_TARGET 96 /* rows of A per packed block (A block ~ 200 KB in L2) */
#endif
#ifndef GEMM_PERCALL_FULLK
#define GEMM_PERCALL_FULLK 1 /* 0: B packed per call in k blocks (for A/B measurements) */
#endif
#ifndef GEMM_A_BUDGET
#define GEMM_A_BUDGET ((size_t)24 << 20) /* most bytes of A packed over the whole K (B packed per call) */
#endif
#ifndef GEMM_B_BUDGET
#define GEMM_B_BUDGET ((size_t)8 << 20) /* bytes of B panels packed at once (B packed per call) */
#endif
#ifndef GEMM_DIRECT_FULLK
#define GEMM_DIRECT_FULLK 1 /* 0: pre-packed B in k blocks too (for A/B measurements) */
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
    /* blocking and scratch of this call */
    int64_t mc, kc_max, nc;     /* mc: rows of the largest row block */
    int64_t micro_rows;         /* MR-row micro-panels of A (the last may be partial) */
    int64_t m_tasks, n_tasks, cols_per_task;
    void **abuf; /* one packed A block per thread */
    char *aall;  /* or, B packed per call: all rows of A packed over the whole K */
    void *bbuf;  /* the shared packed B block (B not pre-packed) */
    /* the column block, and the k block being packed (B packed per call) */
    int64_t jc, ncur, pc, kc;
    int64_t bstride; /* bytes between consecutive packed 32-column panels */
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

/* phase 1: the threads pack the panels of the current B block together */
static void pack_b_task(void *arg, int64_t p0, int64_t p1, int tid) {
    (void)tid;
    gemm_call *g = arg;
    for (int64_t jp = p0; jp < p1; jp++)
        gemm_pack_b_any(g->arch, &g->bsrc, g->n, g->k, g->jc + jp * GEMM_NR, g->pc, g->kc, g->fmt, g->b_scale,
                        g->b_round, (char *)g->bbuf + jp * g->bstride);
}

/* one k block of B (in place or packed) as the micro-kernels see it */
typedef struct gemm_kblock {
    int64_t pc, kc, kcp;
    int first, last;
    const char *bbase;
    int64_t bstride; /* bytes between consecutive 32-column panels */
} gemm_kblock;

static gemm_kblock kblock_at(const gemm_call *g, int64_t pc) {
    gemm_kblock kb;
    kb.pc = pc;
    kb.kc = g->k - pc < g->kc_max ? g->k - pc : g->kc_max;
    kb.kcp = g->fmt == KF_DP ? (kb.kc + 1) & ~(int64_t)1 : kb.kc;
    kb.first = pc == 0;
    kb.last = pc + kb.kc >= g->k;
    int es = kfmt_size(g->fmt);
    if (g->direct) {
        const kpacked *p = g->bsrc.packed;
        kb.bstride = p->kp * GEMM_NR * es;
        kb.bbase = (const char *)p->data + (g->jc / GEMM_NR) * kb.bstride + pc * GEMM_NR * es;
    } else {
        kb.bstride = kb.kcp * GEMM_NR * es;
        kb.bbase = g->bbuf;
    }
    return kb;
}

/* Each task packs one block of A rows for a k block and multiplies it with a range of
 * the block's panels. */
static void compute_one(const gemm_call *g, const gemm_kblock *kb, int64_t t0, int64_t t1, int tid) {
    const int mr = g->arch->mr;
    const gemm_ukr ukr = g->arch->ukr[g->fmt];
    const int add = !kb->first || g->beta != 0.0f;
    const size_t a_bytes = (size_t)(kb->kcp * mr) * (g->fmt == KF_DP ? 2 : 4); /* one MR-row panel */
    float tile[32 * GEMM_NR];
    for (int64_t t = t0; t < t1; t++) {
        int64_t rb = t / g->n_tasks, cj = (t % g->n_tasks) * g->cols_per_task;
        /* row blocks share the micro-panels evenly (differ by at most one) */
        int64_t ic = (rb * g->micro_rows / g->m_tasks) * mr, r1 = ((rb + 1) * g->micro_rows / g->m_tasks) * mr;
        if (r1 > g->m) r1 = g->m;
        int64_t c0 = g->jc + cj, c1 = c0 + g->cols_per_task;
        if (c1 > g->jc + g->ncur) c1 = g->jc + g->ncur;
        if (ic >= r1 || c0 >= c1) continue;
        char *abuf = g->aall ? g->aall + (size_t)(ic / mr) * a_bytes : g->abuf[tid];
        for (int64_t i = ic; i < r1 && !g->aall; i += mr)
            if (!g->arch->pack_a || !g->arch->pack_a(g->a, g->lda, g->ta, r1, i, kb->pc, kb->kc, g->fmt, g->a_mult,
                                                     g->a_round, abuf + (size_t)((i - ic) / mr) * a_bytes))
                gemm_pack_a(g->a, g->lda, g->ta, r1, g->k, i, kb->pc, kb->kc, mr, g->fmt, g->a_mult, g->a_round,
                            abuf + (size_t)((i - ic) / mr) * a_bytes);
        for (int64_t j = c0; j < c1; j += GEMM_NR) {
            int64_t cols = c1 - j < GEMM_NR ? c1 - j : GEMM_NR;
            const char *bp = kb->bbase + ((j - g->jc) / GEMM_NR) * kb->bstride;
            for (int64_t i = ic; i < r1; i += mr) {
                int64_t rows = r1 - i < mr ? r1 - i : mr;
                const char *ap = abuf + (size_t)((i - ic) / mr) * a_bytes;
                float *cp = g->c + i * g->ldc + j;
                if (rows == mr && cols == GEMM_NR) {
                    ukr(kb->kcp, ap, bp, cp, g->ldc, add);
                } else {
                    memset(tile, 0, sizeof(float) * (size_t)(mr * GEMM_NR));
                    if (add)
                        for (int64_t r = 0; r < rows; r++)
                            memcpy(tile + r * GEMM_NR, cp + r * g->ldc, sizeof(float) * (size_t)cols);
                    ukr(kb->kcp, ap, bp, tile, GEMM_NR, add);
                    for (int64_t r = 0; r < rows; r++)
                        memcpy(cp + r * g->ldc, tile + r * GEMM_NR, sizeof(float) * (size_t)cols);
                }
                if (kb->last) epilogue(g, cp, rows, j, cols);
            }
        }
    }
}


/* phase 2 when B was packed per call: the current k block of g */
static void compute_task(void *arg, int64_t t0, int64_t t1, int tid) {
    const gemm_call *g = arg;
    gemm_kblock kb = kblock_at(g, g->pc);
    compute_one(g, &kb, t0, t1, tid);
}

/* B read in place: a task runs all k blocks itself, so one pool call covers the whole
 * product and threads never wait for each other between k blocks */
static void direct_task(void *arg, int64_t t0, int64_t t1, int tid) {
    const gemm_call *g = arg;
    for (int64_t t = t0; t < t1; t++)
        for (int64_t pc = 0; pc < g->k; pc += g->kc_max) {
            gemm_kblock kb = kblock_at(g, pc);
            compute_one(g, &kb, t, t + 1, tid);
        }
}

/* rows of C scaled by beta (beta not 0 or 1), or set to beta*C + bias when k == 0 */
static void prologue_task(void *arg, int64_t i0, int64_t i1, int tid) {
    (void)tid;
    gemm_call *g = arg;
    for (int64_t i = i0; i < i1; i++) {
        float *ci = g->c + i * g->ldc;
        for (int64_t j = 0; j < g->n; j++) ci[j] = g->beta == 0.0f ? 0.0f : ci[j] * g->beta;
        if (g->k == 0) epilogue(g, ci, 1, 0, g->n);
    }
}

/* Row blocks (and, for small m, column ranges) of the tasks of one pool call over a
 * column block of np_block panels. */
static void plan_tasks(gemm_call *g, int threads, int64_t np_block) {
    const int mr = g->arch->mr;
    /* row blocks near GEMM_MC_TARGET rows, at least 4 per thread (a thread slowed by
     * another process then holds the others back less at each k block), their count
     * a multiple of the thread count */
    g->micro_rows = (g->m + mr - 1) / mr;
    int64_t m_blocks = (g->m + GEMM_MC_TARGET / 2) / GEMM_MC_TARGET;
    if (m_blocks < 4 * threads) m_blocks = 4 * threads;
    if (m_blocks > (g->micro_rows + 1) / 2) m_blocks = (g->micro_rows + 1) / 2; /* >= 2 micro-rows */
    if (m_blocks < 1) m_blocks = 1;
    m_blocks = (m_blocks + threads - 1) / threads * threads;
    if (m_blocks > g->micro_rows) m_blocks = g->micro_rows;
    g->m_tasks = m_blocks;
    g->mc = (g->micro_rows + m_blocks - 1) / m_blocks * mr;
    /* fewer than 4 row blocks per thread (small m): split the columns of a block too */
    g->n_tasks = (4 * threads + g->m_tasks - 1) / g->m_tasks;
    if (g->n_tasks > np_block) g->n_tasks = np_block;
    g->cols_per_task = (np_block + g->n_tasks - 1) / g->n_tasks * GEMM_NR;
    g->n_tasks = (np_block * GEMM_NR + g->cols_per_task - 1) / g->cols_per_task;
}

/* all micro-panels of A, each over the whole K (B packed per call, no k blocks) */
static void pack_a_all_task(void *arg, int64_t p0, int64_t p1, int tid) {
    (void)tid;
    const gemm_call *g = arg;
    const int mr = g->arch->mr;
    const int64_t kcp = g->fmt == KF_DP ? (g->k + 1) & ~(int64_t)1 : g->k;
    const size_t a_bytes = (size_t)(kcp * mr) * (g->fmt == KF_DP ? 2 : 4);
    for (int64_t p = p0; p < p1; p++) {
        char *dst = g->aall + (size_t)p * a_bytes;
        if (!g->arch->pack_a ||
            !g->arch->pack_a(g->a, g->lda, g->ta, g->m, p * mr, 0, g->k, g->fmt, g->a_mult, g->a_round, dst))
            gemm_pack_a(g->a, g->lda, g->ta, g->m, g->k, p * mr, 0, g->k, mr, g->fmt, g->a_mult, g->a_round, dst);
    }
}

/* B packed per call without k blocks, when all of A packed over the whole K fits in
 * GEMM_A_BUDGET bytes (scratch from sc; *st the outcome when it ran): A is packed once, then per block of columns (packed B within
 * GEMM_B_BUDGET) the panels are packed by all threads together and every tile is
 * summed over the whole K in registers and written once. Returns 0 when A is larger
 * (measured at M=4096, K=4096: 2-5 % slower than k blocks there, as the packed A no
 * longer stays in L3 between column blocks); the k-blocked path then runs. */
static int run_percall_fullk(const kctx *ctx, gemm_call *g, int threads, kscratch *sc, kstatus *st) {
    const int mr = g->arch->mr, es = kfmt_size(g->fmt);
    const int64_t kcp = g->fmt == KF_DP ? (g->k + 1) & ~(int64_t)1 : g->k;
    const size_t a_bytes = (size_t)(kcp * mr) * (g->fmt == KF_DP ? 2 : 4);
    const size_t panel_bytes = (size_t)(kcp * GEMM_NR) * (size_t)es;
    int64_t panels_m = (g->m + mr - 1) / mr;
    if ((size_t)panels_m * a_bytes > GEMM_A_BUDGET) return 0;
    int64_t np_all = (g->n + GEMM_NR - 1) / GEMM_NR;
    int64_t np_block = (int64_t)(GEMM_B_BUDGET / panel_bytes);
    if (np_block < 1) np_block = 1;
    if (np_block > np_all) np_block = np_all;
    void *aall, *bbuf;
    if ((*st = k_scratch(sc, (size_t)panels_m * a_bytes, &aall)) != KS_OK ||
        (*st = k_scratch(sc, (size_t)np_block * panel_bytes, &bbuf)) != KS_OK)
        return 1;
    g->aall = aall;
    g->bbuf = bbuf;
    g->kc_max = g->k;
    g->nc = np_block * GEMM_NR;
    plan_tasks(g, threads, np_block);
    K_THEN(*st, k_par(ctx, g->micro_rows, 1, pack_a_all_task, g));
    for (g->jc = 0; *st == KS_OK && g->jc < g->n; g->jc += g->nc) {
        g->ncur = g->n - g->jc < g->nc ? g->n - g->jc : g->nc;
        g->pc = 0;
        g->kc = g->k;
        g->bstride = (int64_t)panel_bytes;
        K_THEN(*st, k_par(ctx, (g->ncur + GEMM_NR - 1) / GEMM_NR, 1, pack_b_task, g));
        K_THEN(*st, k_par(ctx, g->m_tasks * g->n_tasks, 1, compute_task, g));
    }
    return 1;
}

static kstatus gemm_blocked(const kctx *ctx, gemm_call *g, int threads, kscratch *sc) {
    const int es = kfmt_size(g->fmt);
    int64_t np_block = ((g->nc < g->n ? g->nc : g->n) + GEMM_NR - 1) / GEMM_NR;
    plan_tasks(g, threads, np_block);
    void *p;
    kstatus st = k_scratch(sc, (size_t)threads * sizeof *g->abuf, &p);
    g->abuf = p;
    for (int t = 0; st == KS_OK && t < threads; t++) {
        st = k_scratch(sc, (size_t)(g->mc * (g->kc_max + 2)) * 4, &p);
        g->abuf[t] = p;
    }
    if (st == KS_OK && !g->direct) {
        st = k_scratch(sc, (size_t)(np_block * (g->kc_max + 2) * GEMM_NR) * (size_t)es, &p);
        g->bbuf = p;
    }
    for (g->jc = 0; st == KS_OK && g->jc < g->n; g->jc += g->nc) {
        g->ncur = g->n - g->jc < g->nc ? g->n - g->jc : g->nc;
        int64_t np = (g->ncur + GEMM_NR - 1) / GEMM_NR;
        if (g->direct) {
            st = k_par(ctx, g->m_tasks * g->n_tasks, 1, direct_task, g);
            continue;
        }
        for (g->pc = 0; st == KS_OK && g->pc < g->k; g->pc += g->kc_max) {
            gemm_kblock kb = kblock_at(g, g->pc);
            g->kc = kb.kc;
            g->bstride = kb.bstride;
            K_THEN(st, k_par(ctx, np, 4, pack_b_task, g));
            K_THEN(st, k_par(ctx, g->m_tasks * g->n_tasks, 1, compute_task, g));
        }
    }
    return st;
}

static kstatus gemm_run(const kctx *ctx, gemm_call *g) {
    if (g->m <= 0 || g->n <= 0) return KS_OK;
    int threads = kpool_threads(ctx->pool);
    if (g->k == 0 || (g->beta != 0.0f && g->beta != 1.0f)) {
        kstatus st = k_par(ctx, g->m, 16, prologue_task, g);
        if (st != KS_OK || g->k == 0) return st;
        g->beta = 1.0f;
    }
    /* bf16 pair panels are half the bytes per k: a twice longer k block keeps the same
     * cache footprint and halves the C tile updates */
    g->kc_max = g->fmt == KF_DP ? 2 * GEMM_KC : GEMM_KC;
#if GEMM_DIRECT_FULLK
    /* pre-packed B: no k blocking, each C tile is summed over the whole K in registers
     * and written once (no read when beta is 0); the B panel (32 x K) stays in L2 while
     * the micro-panels of a row block pass under it */
    if (g->direct) g->kc_max = g->k;
#endif
    g->nc = g->direct ? g->n : GEMM_NC_PACKED;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    kstatus st = KS_OK;
#if GEMM_PERCALL_FULLK
    if (g->direct || !run_percall_fullk(ctx, g, threads, &sc, &st))
#endif
        st = gemm_blocked(ctx, g, threads, &sc);
    k_scratch_close(&sc);
    return st;
}

/* Shapes and strides a GEMM can run with. */
static int gemm_args_ok(int64_t m, int64_t n, int64_t k, const void *a, int64_t lda, const void *b,
                        int64_t ldb, const float *c, int64_t ldc, int trans_a, int trans_b) {
    if (m < 0 || n < 0 || k < 0) return 0;
    if (m == 0 || n == 0) return 1;
    if (!c || ldc < n) return 0;
    if (k == 0) return 1;
    return a && b && lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n);
}

static kisa usable_isa(const kctx *ctx) {
    kisa best = k_isa_best();
    return ctx->isa > best ? best : ctx->isa;
}

/* A few rows against bf16 weights that are not pre-packed (a language model's decode
 * step): the weights are read once in place instead of packed into panels per call. */
#define GEMV_NB 64 /* outputs per task step */
typedef struct gemv_args {
    const gemm_arch *arch;
    int64_t m, k;
    const float *xa; /* [m][k]: x·scale (exact) or bf16(x) (fast) */
    const kmat *w;
    const float *bias;
    float *y;
    int64_t ldy;
    int accumulate;
} gemv_args;

static void gemv_task(void *arg, int64_t n0, int64_t n1, int tid) {
    (void)tid;
    const gemv_args *a = arg;
    float out[GEMV_MAX_M * GEMV_NB];
    for (int64_t b = n0; b < n1; b += GEMV_NB) {
        const int64_t e = b + GEMV_NB < n1 ? b + GEMV_NB : n1;
        a->arch->gemv_bf16(a->m, a->xa, a->k, (const uint16_t *)a->w->data, a->w->ld, b, e, out, GEMV_NB);
        for (int64_t r = 0; r < a->m; r++)
            for (int64_t n = b; n < e; n++) {
                float v = out[r * GEMV_NB + (n - b)] + (a->bias ? a->bias[n] : 0.0f);
                float *yp = a->y + r * a->ldy + n;
                *yp = a->accumulate ? *yp + v : v;
            }
    }
}

static kstatus linear_gemv(const kctx *ctx, const gemm_arch *arch, int64_t m, const float *x, int64_t ldx,
                           const kmat *w, const float *bias, float *y, int64_t ldy, int accumulate) {
    const int fast = ctx->prec == KP_FAST;
    const int64_t k = w->cols;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    void *mem = NULL;
    kstatus s = k_scratch(&sc, sizeof(float) * (size_t)(m * k), &mem);
    if (s == KS_OK) {
        float *xa = mem;
        for (int64_t r = 0; r < m; r++)
            for (int64_t c = 0; c < k; c++)
                xa[r * k + c] = fast ? k_bf16_to_f32(k_f32_to_bf16(x[r * ldx + c])) : x[r * ldx + c] * w->scale;
        gemv_args a = {arch, m, k, xa, w, bias, y, ldy, accumulate};
        s = k_par(ctx, w->rows, 256, gemv_task, &a);
    }
    k_scratch_close(&sc);
    return s;
}

static kstatus linear_core(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
                        const kpacked *packed, const float *bias, float *y, int64_t ldy, int accumulate) {
    int fast = ctx->prec == KP_FAST;
    gemm_call g;
    memset(&g, 0, sizeof g);
    g.arch = gemm_arch_for(usable_isa(ctx));
    int usable = packed && packed->data && packed->fast == fast && packed->n == w->rows && packed->k == w->cols;
    if (m >= 1 && m <= GEMV_MAX_M && !usable && w->dtype == KD_BF16 && g.arch->gemv_bf16 && (!fast || w->scale == 1.0f))
        return linear_gemv(ctx, g.arch, m, x, ldx, w, bias, y, ldy, accumulate);
    if (fast && g.arch->ukr[KF_DP]) g.fmt = KF_DP;
    else if (usable && g.arch->ukr[packed->fmt]) g.fmt = packed->fmt;
    else if (!usable && !fast && w->dtype == KD_BF16 && g.arch->ukr[KF_BF16W]) g.fmt = KF_BF16W; /* half the bytes */
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
    return gemm_run(ctx, &g);
}

kstatus k_linear(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
                 const kpacked *packed, const float *bias, float *y, int64_t ldy, int accumulate) {
    K_DISPATCH(ctx, kcuda_linear(ctx, m, x, ldx, w, bias, y, ldy, accumulate));
    if (!w || w->ld < w->cols || !gemm_args_ok(m, w->rows, w->cols, x, ldx, w->data, w->ld, y, ldy, 0, 1))
        return KS_BAD_ARG;
    return linear_core(ctx, m, x, ldx, w, packed, bias, y, ldy, accumulate);
}

kstatus k_sgemm(const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                float *c, int64_t ldc) {
    K_DISPATCH(ctx, kcuda_sgemm(ctx, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    if (!gemm_args_ok(m, n, k, a, lda, b, ldb, c, ldc, trans_a, trans_b)) return KS_BAD_ARG;
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
    return gemm_run(ctx, &g);
}
