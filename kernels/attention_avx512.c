/*
 * attention_avx512.c — flash attention tiled per (head, ATT_BQ query rows).
 * For each block of ATT_BK keys:
 *   Sᵀ[j][i] = K[j]·Q[i]   keys × queries, queries along the vector lanes, so the
 *                           online-softmax max/sum per query are vertical vector ops;
 *   P = exp(scale·Sᵀ + bias − m), running max m and sum l per query;
 *   O[i][:] = α[i]·O[i][:] + Σ_j P[j][i]·V[j][:].
 * Both products are 8×32 register-blocked micro-kernels that broadcast one operand
 * from memory (K rows, P entries) and stream the other (packed Qᵀ, V rows).
 */
#include "attention_impl.h"
#include "elementwise_vmath_avx512.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ATT_BQ 64 /* queries per tile (multiple of 32) */
#define ATT_BK 64 /* keys per block (multiple of 8) */
#define ATT_MR 8  /* rows of a micro-kernel */

typedef struct att_ws {
    float *qt;    /* [d][ATT_BQ] packed Qᵀ */
    float *st;    /* [ATT_BK][ATT_BQ] scores, then probabilities */
    float *o;     /* [ATT_BQ][ldo] running output */
    float *m, *l, *alpha; /* [ATT_BQ] */
    float *zero;  /* [d] zeros: stands in for key rows past the end */
} att_ws;

typedef struct att_args {
    const kattn *a;
    int64_t qblocks, ldo, per_thread;
    float *scratch;
    int kvh, group;       /* current KV head and the query heads sharing it */
    float *kh, *vh;       /* its keys/values packed contiguously: streamed, not strided */
} att_args;

/* st[r][0..31] = Σ_p kr[r][p] · qt[p][0..31] for 8 key rows. */
static inline void qk_8x32(const float *const kr[ATT_MR], const float *qt, int d, float *st)
{
    __m512 c[ATT_MR][2];
    _Pragma("GCC unroll 8")
    for (int r = 0; r < ATT_MR; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < d; p++) {
        __m512 b0 = _mm512_load_ps(qt + (int64_t)p * ATT_BQ);
        __m512 b1 = _mm512_load_ps(qt + (int64_t)p * ATT_BQ + 16);
        _Pragma("GCC unroll 8")
        for (int r = 0; r < ATT_MR; r++) {
            __m512 av = _mm512_set1_ps(kr[r][p]);
            c[r][0] = _mm512_fmadd_ps(av, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps(av, b1, c[r][1]);
        }
    }
    _Pragma("GCC unroll 8")
    for (int r = 0; r < ATT_MR; r++) {
        _mm512_store_ps(st + r * ATT_BQ, c[r][0]);
        _mm512_store_ps(st + r * ATT_BQ + 16, c[r][1]);
    }
}

/* o[r][0..31] = alpha[r]·o[r][..] + Σ_j pt[j][r] · v_j[0..31] for 8 query rows. */
static inline void pv_8x32(const float *pt, const float *v, int64_t ldv, int nk, float *o,
                           int64_t ldo, const float *alpha, __mmask16 m0, __mmask16 m1)
{
    __m512 c[ATT_MR][2];
    _Pragma("GCC unroll 8")
    for (int r = 0; r < ATT_MR; r++) {
        __m512 al = _mm512_set1_ps(alpha[r]);
        c[r][0] = _mm512_mul_ps(al, _mm512_load_ps(o + r * ldo));
        c[r][1] = _mm512_mul_ps(al, _mm512_load_ps(o + r * ldo + 16));
    }
    for (int j = 0; j < nk; j++) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, v + j * ldv);
        __m512 b1 = _mm512_maskz_loadu_ps(m1, v + j * ldv + 16);
        const float *pj = pt + j * ATT_BQ;
        _Pragma("GCC unroll 8")
        for (int r = 0; r < ATT_MR; r++) {
            __m512 av = _mm512_set1_ps(pj[r]);
            c[r][0] = _mm512_fmadd_ps(av, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps(av, b1, c[r][1]);
        }
    }
    _Pragma("GCC unroll 8")
    for (int r = 0; r < ATT_MR; r++) {
        _mm512_store_ps(o + r * ldo, c[r][0]);
        _mm512_store_ps(o + r * ldo + 16, c[r][1]);
    }
}

static inline __mmask16 tail_mask(int64_t n) /* lanes [0, n) for n in any range */
{
    if (n <= 0) return 0;
    if (n >= 16) return 0xffff;
    return (__mmask16)((1u << n) - 1u);
}

/* Scales, biases and masks the scores of one key block, then folds them into the
 * running max/sum and turns them into probabilities. */
static void softmax_block(const kattn *a, att_ws *w, int64_t i0, int nqv, int64_t j0, int nk,
                          int need_mask)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    int64_t off = a->nkv - a->nq;
    __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    /* a window longer than both sequences masks nothing; clamp it into int32 range */
    int64_t wclamp = a->window < a->nq + a->nkv ? a->window : a->nq + a->nkv;
    __m512i win = _mm512_set1_epi32((int)wclamp);
    for (int v = 0; v < nqv; v++) {
        __m512 mx = ninf;
        /* query index + off per lane (fits int32 for any realistic length) */
        __m512i qi = _mm512_add_epi32(lane, _mm512_set1_epi32((int)(i0 + v * 16 + off)));
        for (int j = 0; j < nk; j++) {
            float *s = w->st + j * ATT_BQ + v * 16;
            __m512 x = _mm512_load_ps(s); /* already scaled (Q was) */
            if (a->key_bias) x = _mm512_add_ps(x, _mm512_set1_ps(a->key_bias[j0 + j]));
            if (need_mask) {
                __m512i jj = _mm512_set1_epi32((int)(j0 + j));
                __mmask16 vis = 0xffff;
                if (a->causal) vis &= _mm512_cmpge_epi32_mask(qi, jj);
                if (a->window > 0)
                    vis &= _mm512_cmplt_epi32_mask(_mm512_sub_epi32(qi, win), jj);
                x = _mm512_mask_blend_ps(vis, ninf, x);
            }
            _mm512_store_ps(s, x);
            mx = _mm512_max_ps(mx, x);
        }
        __m512 mold = _mm512_load_ps(w->m + v * 16);
        __m512 mnew = _mm512_max_ps(mold, mx);
        /* a query with every key masked so far keeps m = -inf; subtract 0 instead */
        __m512 muse = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(mnew, ninf, _CMP_EQ_OQ), mnew,
                                           _mm512_setzero_ps());
        __m512 alpha = kv_exp(_mm512_sub_ps(mold, muse));
        __m512 sum = _mm512_setzero_ps();
        for (int j = 0; j < nk; j++) {
            float *s = w->st + j * ATT_BQ + v * 16;
            __m512 p = kv_exp(_mm512_sub_ps(_mm512_load_ps(s), muse));
            _mm512_store_ps(s, p);
            sum = _mm512_add_ps(sum, p);
        }
        __m512 l = _mm512_load_ps(w->l + v * 16);
        _mm512_store_ps(w->l + v * 16, _mm512_fmadd_ps(l, alpha, sum));
        _mm512_store_ps(w->m + v * 16, mnew);
        _mm512_store_ps(w->alpha + v * 16, alpha);
    }
}

/* kh, vh: this head's keys and values packed contiguously ([nkv][d]). */
static void att_tile(const kattn *a, att_ws *w, int64_t ldo, int h, int64_t i0, const float *kh,
                     const float *vh)
{
    const int d = a->head_dim;
    const int nqb = (int)(a->nq - i0 < ATT_BQ ? a->nq - i0 : ATT_BQ);
    const int nqv = (nqb + 15) / 16;    /* query vectors in use */
    const int nqh = (nqb + 31) / 32;    /* 32-query halves in use */
    const int nqr = (nqb + ATT_MR - 1) / ATT_MR * ATT_MR;
    const int64_t off = a->nkv - a->nq;

    /* scale·Qᵀ, zero-padded past the last query: one gather per 16 queries and dim */
    const __m512i rowoff = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
        _mm512_set1_epi32((int)a->ldq));
    const __m512 qscale = _mm512_set1_ps(a->scale);
    for (int v = 0; v < ATT_BQ / 16; v++) {
        __mmask16 mv = tail_mask(nqb - v * 16);
        const float *q0 = mv ? a->q + (i0 + v * 16) * a->ldq + (int64_t)h * d : a->q;
        for (int p = 0; p < d; p++) {
            __m512 g = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mv, rowoff, q0 + p, 4);
            _mm512_store_ps(w->qt + (int64_t)p * ATT_BQ + v * 16, _mm512_mul_ps(g, qscale));
        }
    }
    for (int i = 0; i < ATT_BQ; i++) {
        w->m[i] = -INFINITY;
        w->l[i] = 0;
    }
    memset(w->o, 0, sizeof(float) * (size_t)(ATT_BQ * ldo));

    int64_t lo, hi, lo2, hi2;
    k_attn_key_range(a, i0, &lo, &hi);
    k_attn_key_range(a, i0 + nqb - 1, &lo2, &hi2);
    /* keys any query of the tile sees: [lo, hi2); all of them see [lo2, hi) */
    for (int64_t j0 = lo; j0 < hi2; j0 += ATT_BK) {
        int nk = (int)(hi2 - j0 < ATT_BK ? hi2 - j0 : ATT_BK);
        int need_mask = !(j0 >= lo2 && j0 + nk <= hi);
        (void)off;
        for (int jr = 0; jr < nk; jr += ATT_MR) {
            const float *kr[ATT_MR];
            _Pragma("GCC unroll 8")
            for (int r = 0; r < ATT_MR; r++)
                kr[r] = jr + r < nk ? kh + (j0 + jr + r) * d : w->zero;
            for (int hq = 0; hq < nqh; hq++)
                qk_8x32(kr, w->qt + hq * 32, d, w->st + jr * ATT_BQ + hq * 32);
        }
        softmax_block(a, w, i0, nqv, j0, nk, need_mask);
        const float *v = vh + j0 * d;
        for (int c0 = 0; c0 < d; c0 += 32) {
            __mmask16 m0 = tail_mask(d - c0), m1 = tail_mask(d - c0 - 16);
            for (int ir = 0; ir < nqr; ir += ATT_MR)
                pv_8x32(w->st + ir, v + c0, d, nk, w->o + ir * ldo + c0, ldo, w->alpha + ir,
                        m0, m1);
        }
    }
    for (int i = 0; i < nqb; i++) {
        __m512 inv = _mm512_set1_ps(w->l[i] > 0 ? 1.0f / w->l[i] : 0.0f);
        float *out = a->out + (i0 + i) * a->ldo + (int64_t)h * d;
        const float *o = w->o + i * ldo;
        for (int c = 0; c < d; c += 16)
            _mm512_mask_storeu_ps(out + c, tail_mask(d - c), _mm512_mul_ps(_mm512_load_ps(o + c), inv));
    }
}

static void att_task(void *arg, int64_t begin, int64_t end, int tid)
{
    const att_args *g = arg;
    const int d = g->a->head_dim;
    float *base = g->scratch + (int64_t)tid * g->per_thread;
    att_ws w;
    w.qt = base;
    w.st = w.qt + (int64_t)d * ATT_BQ;
    w.o = w.st + ATT_BK * ATT_BQ;
    w.m = w.o + ATT_BQ * g->ldo;
    w.l = w.m + ATT_BQ;
    w.alpha = w.l + ATT_BQ;
    w.zero = w.alpha + ATT_BQ;
    for (int64_t t = begin; t < end; t++)
        att_tile(g->a, &w, g->ldo, g->kvh * g->group + (int)(t / g->qblocks),
                 (t % g->qblocks) * ATT_BQ, g->kh, g->vh);
}

static void pack_kv_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const att_args *g = arg;
    const kattn *a = g->a;
    const int d = a->head_dim;
    for (int64_t j = begin; j < end; j++) {
        memcpy(g->kh + j * d, a->k + j * a->ldk + (int64_t)g->kvh * d, sizeof(float) * (size_t)d);
        memcpy(g->vh + j * d, a->v + j * a->ldv + (int64_t)g->kvh * d, sizeof(float) * (size_t)d);
    }
}

kstatus k_attention_avx512(const kctx *ctx, const kattn *a, kscratch *sc)
{
    const int d = a->head_dim;
    int threads = kpool_threads(ctx->pool);
    att_args g;
    g.a = a;
    g.qblocks = (a->nq + ATT_BQ - 1) / ATT_BQ;
    g.ldo = (d + 31) / 32 * 32;
    /* every piece a multiple of 16 floats so all of them stay 64-byte aligned */
    int64_t dz = (d + 15) / 16 * 16;
    g.per_thread = (int64_t)d * ATT_BQ + ATT_BK * ATT_BQ + ATT_BQ * g.ldo + 3 * ATT_BQ + dz;
    g.per_thread = (g.per_thread + 15) / 16 * 16;
    size_t bytes = sizeof(float) * (size_t)(g.per_thread * threads);
    void *sm, *km;
    kstatus st = k_scratch(sc, bytes, &sm);
    if (st == KS_OK) st = k_scratch(sc, sizeof(float) * (size_t)(2 * a->nkv * d + 1), &km);
    if (st != KS_OK) return st;
    g.scratch = sm;
    for (int t = 0; t < threads; t++)
        memset(g.scratch + t * g.per_thread + g.per_thread - dz, 0, sizeof(float) * (size_t)dz);
    g.group = a->n_heads / a->n_kv_heads;
    g.kh = km;
    g.vh = g.kh + a->nkv * d;
    /* one KV head at a time: pack it, then every query tile of its query heads */
    for (g.kvh = 0; st == KS_OK && g.kvh < a->n_kv_heads; g.kvh++) {
        K_THEN(st, k_par(ctx, a->nkv, 256, pack_kv_task, &g));
        K_THEN(st, k_par(ctx, g.qblocks * g.group, 1, att_task, &g));
    }
    return st;
}
