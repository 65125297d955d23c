/*
 * attention_avx2.c — the flash attention of attention_avx512.c for AVX2+FMA hosts:
 * the same tiling (Sᵀ keys × queries with queries along the lanes, online softmax,
 * O += P·V), with 4×16 micro-kernels sized for 16 ymm registers. Masks of boundary
 * blocks are applied element by element (few blocks have any).
 */
#include "attention_impl.h"
#include "elementwise_vmath_avx2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define A2_BQ 64 /* queries per tile (multiple of 16) */
#define A2_BK 64 /* keys per block (multiple of 4) */
#define A2_MR 4

typedef struct a2_ws {
    float *qt, *st, *o, *m, *l, *alpha, *zero;
} a2_ws;

typedef struct a2_args {
    const kattn *a;
    int64_t qblocks, ldo, per_thread;
    float *scratch;
    int kvh, group;
    float *kh, *vh;
} a2_args;

/* st[r][0..15] = Σ_p kr[r][p]·qt[p][0..15] for 4 key rows */
static inline void qk_4x16(const float *const kr[A2_MR], const float *qt, int d, float *st)
{
    __m256 c[A2_MR][2];
    _Pragma("GCC unroll 4")
    for (int r = 0; r < A2_MR; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
    for (int p = 0; p < d; p++) {
        __m256 b0 = _mm256_load_ps(qt + (int64_t)p * A2_BQ);
        __m256 b1 = _mm256_load_ps(qt + (int64_t)p * A2_BQ + 8);
        _Pragma("GCC unroll 4")
        for (int r = 0; r < A2_MR; r++) {
            __m256 av = _mm256_broadcast_ss(kr[r] + p);
            c[r][0] = _mm256_fmadd_ps(av, b0, c[r][0]);
            c[r][1] = _mm256_fmadd_ps(av, b1, c[r][1]);
        }
    }
    _Pragma("GCC unroll 4")
    for (int r = 0; r < A2_MR; r++) {
        _mm256_store_ps(st + r * A2_BQ, c[r][0]);
        _mm256_store_ps(st + r * A2_BQ + 8, c[r][1]);
    }
}

/* o[r][0..15] = alpha[r]·o[r] + Σ_j pt[j][r]·v_j[0..15] for 4 query rows */
static inline void pv_4x16(const float *pt, const float *v, int64_t ldv, int nk, float *o,
                           int64_t ldo, const float *alpha, __m256i m0, __m256i m1)
{
    __m256 c[A2_MR][2];
    _Pragma("GCC unroll 4")
    for (int r = 0; r < A2_MR; r++) {
        __m256 al = _mm256_set1_ps(alpha[r]);
        c[r][0] = _mm256_mul_ps(al, _mm256_load_ps(o + r * ldo));
        c[r][1] = _mm256_mul_ps(al, _mm256_load_ps(o + r * ldo + 8));
    }
    for (int j = 0; j < nk; j++) {
        __m256 b0 = _mm256_maskload_ps(v + j * ldv, m0);
        __m256 b1 = _mm256_maskload_ps(v + j * ldv + 8, m1);
        const float *pj = pt + j * A2_BQ;
        _Pragma("GCC unroll 4")
        for (int r = 0; r < A2_MR; r++) {
            __m256 av = _mm256_broadcast_ss(pj + r);
            c[r][0] = _mm256_fmadd_ps(av, b0, c[r][0]);
            c[r][1] = _mm256_fmadd_ps(av, b1, c[r][1]);
        }
    }
    _Pragma("GCC unroll 4")
    for (int r = 0; r < A2_MR; r++) {
        _mm256_store_ps(o + r * ldo, c[r][0]);
        _mm256_store_ps(o + r * ldo + 8, c[r][1]);
    }
}

static inline __m256i lane_mask(int64_t n) /* lanes [0, n) all-ones */
{
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int k = n < 0 ? 0 : n > 8 ? 8 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), idx);
}

static void softmax_block(const kattn *a, a2_ws *w, int64_t i0, int nqv, int64_t j0, int nk,
                          int need_mask)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (int j = 0; j < nk; j++) {
        float *s = w->st + j * A2_BQ;
        float b = a->key_bias ? a->key_bias[j0 + j] : 0.0f;
        if (b != 0.0f)
            for (int v = 0; v < nqv; v++)
                _mm256_store_ps(s + v * 8, _mm256_add_ps(_mm256_load_ps(s + v * 8), _mm256_set1_ps(b)));
        if (need_mask)
            for (int i = 0; i < nqv * 8; i++) {
                int64_t lo, hi;
                k_attn_key_range(a, i0 + i, &lo, &hi);
                if (j0 + j < lo || j0 + j >= hi) s[i] = -INFINITY;
            }
    }
    for (int v = 0; v < nqv; v++) {
        __m256 mx = ninf;
        for (int j = 0; j < nk; j++) mx = _mm256_max_ps(mx, _mm256_load_ps(w->st + j * A2_BQ + v * 8));
        __m256 mold = _mm256_load_ps(w->m + v * 8);
        __m256 mnew = _mm256_max_ps(mold, mx);
        __m256 muse = _mm256_blendv_ps(mnew, _mm256_setzero_ps(), _mm256_cmp_ps(mnew, ninf, _CMP_EQ_OQ));
        __m256 alpha = kv8_exp(_mm256_sub_ps(mold, muse));
        __m256 sum = _mm256_setzero_ps();
        for (int j = 0; j < nk; j++) {
            float *s = w->st + j * A2_BQ + v * 8;
            __m256 p = kv8_exp(_mm256_sub_ps(_mm256_load_ps(s), muse));
            _mm256_store_ps(s, p);
            sum = _mm256_add_ps(sum, p);
        }
        __m256 l = _mm256_load_ps(w->l + v * 8);
        _mm256_store_ps(w->l + v * 8, _mm256_fmadd_ps(l, alpha, sum));
        _mm256_store_ps(w->m + v * 8, mnew);
        _mm256_store_ps(w->alpha + v * 8, alpha);
    }
}

static void a2_tile(const kattn *a, a2_ws *w, int64_t ldo, int h, int64_t i0, const float *kh,
                    const float *vh)
{
    const int d = a->head_dim;
    const int nqb = (int)(a->nq - i0 < A2_BQ ? a->nq - i0 : A2_BQ);
    const int nqv = (nqb + 7) / 8;
    const int nq16 = (nqb + 15) / 16;
    const int nqr = (nqb + A2_MR - 1) / A2_MR * A2_MR;

    for (int p = 0; p < d; p++)
        for (int i = 0; i < A2_BQ; i++)
            w->qt[(int64_t)p * A2_BQ + i] =
                i < nqb ? a->q[(i0 + i) * a->ldq + (int64_t)h * d + p] * a->scale : 0.0f;
    for (int i = 0; i < A2_BQ; i++) {
        w->m[i] = -INFINITY;
        w->l[i] = 0;
    }
    memset(w->o, 0, sizeof(float) * (size_t)(A2_BQ * ldo));

    int64_t lo, hi, lo2, hi2;
    k_attn_key_range(a, i0, &lo, &hi);
    k_attn_key_range(a, i0 + nqb - 1, &lo2, &hi2);
    for (int64_t j0 = lo; j0 < hi2; j0 += A2_BK) {
        int nk = (int)(hi2 - j0 < A2_BK ? hi2 - j0 : A2_BK);
        int need_mask = !(j0 >= lo2 && j0 + nk <= hi);
        for (int jr = 0; jr < nk; jr += A2_MR) {
            const float *kr[A2_MR];
            for (int r = 0; r < A2_MR; r++) kr[r] = jr + r < nk ? kh + (j0 + jr + r) * d : w->zero;
            for (int q16 = 0; q16 < nq16; q16++)
                qk_4x16(kr, w->qt + q16 * 16, d, w->st + jr * A2_BQ + q16 * 16);
        }
        softmax_block(a, w, i0, nqv, j0, nk, need_mask);
        const float *v = vh + j0 * d;
        for (int c0 = 0; c0 < d; c0 += 16) {
            __m256i m0 = lane_mask(d - c0), m1 = lane_mask(d - c0 - 8);
            for (int ir = 0; ir < nqr; ir += A2_MR)
                pv_4x16(w->st + ir, v + c0, d, nk, w->o + ir * ldo + c0, ldo, w->alpha + ir, m0, m1);
        }
    }
    for (int i = 0; i < nqb; i++) {
        float inv = w->l[i] > 0 ? 1.0f / w->l[i] : 0.0f;
        float *out = a->out + (i0 + i) * a->ldo + (int64_t)h * d;
        for (int c = 0; c < d; c++) out[c] = w->o[i * ldo + c] * inv;
    }
}

static void a2_task(void *arg, int64_t begin, int64_t end, int tid)
{
    const a2_args *g = arg;
    const int d = g->a->head_dim;
    float *base = g->scratch + (int64_t)tid * g->per_thread;
    a2_ws w;
    w.qt = base;
    w.st = w.qt + (int64_t)d * A2_BQ;
    w.o = w.st + A2_BK * A2_BQ;
    w.m = w.o + A2_BQ * g->ldo;
    w.l = w.m + A2_BQ;
    w.alpha = w.l + A2_BQ;
    w.zero = w.alpha + A2_BQ;
    for (int64_t t = begin; t < end; t++)
        a2_tile(g->a, &w, g->ldo, g->kvh * g->group + (int)(t / g->qblocks),
                (t % g->qblocks) * A2_BQ, g->kh, g->vh);
}

static void a2_pack_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const a2_args *g = arg;
    const kattn *a = g->a;
    const int d = a->head_dim;
    for (int64_t j = begin; j < end; j++) {
        memcpy(g->kh + j * d, a->k + j * a->ldk + (int64_t)g->kvh * d, sizeof(float) * (size_t)d);
        memcpy(g->vh + j * d, a->v + j * a->ldv + (int64_t)g->kvh * d, sizeof(float) * (size_t)d);
    }
}

kstatus k_attention_avx2(const kctx *ctx, const kattn *a, kscratch *sc)
{
    const int d = a->head_dim;
    int threads = kpool_threads(ctx->pool);
    a2_args g;
    g.a = a;
    g.qblocks = (a->nq + A2_BQ - 1) / A2_BQ;
    g.ldo = (d + 15) / 16 * 16;
    int64_t dz = (d + 15) / 16 * 16;
    g.per_thread = (int64_t)d * A2_BQ + A2_BK * A2_BQ + A2_BQ * g.ldo + 3 * A2_BQ + dz;
    g.per_thread = (g.per_thread + 15) / 16 * 16;
    size_t bytes = sizeof(float) * (size_t)(g.per_thread * threads);
    void *sm, *km;
    kstatus st = k_scratch(sc, bytes, &sm);
    if (st == KS_OK) st = k_scratch(sc, sizeof(float) * (size_t)(2 * a->nkv * d + 1), &km);
    if (st != KS_OK) return st;
    g.scratch = sm;
    g.kh = km;
    memset(g.scratch, 0, bytes); /* includes each thread's zero row */
    g.vh = g.kh + a->nkv * d;
    g.group = a->n_heads / a->n_kv_heads;
    for (g.kvh = 0; st == KS_OK && g.kvh < a->n_kv_heads; g.kvh++) {
        K_THEN(st, k_par(ctx, a->nkv, 256, a2_pack_task, &g));
        K_THEN(st, k_par(ctx, g.qblocks * g.group, 1, a2_task, &g));
    }
    return st;
}
