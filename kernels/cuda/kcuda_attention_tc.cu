/*
 * kcuda_attention_tc.cu — flash attention on the tensor cores for fast precision: q, k
 * and v are rounded to bf16 (one pass into the device scratch), scores and the
 * probability-times-value products run as bf16 mma.sync with f32 accumulation, and the
 * online softmax stays in f32. Exact precision keeps the f32 kernel (kcuda_attention.cu).
 *
 * A block of 4 warps takes 64 query rows of one head (16 per warp); tiles of 64 keys and
 * values stream through shared memory with cp.async, double-buffered so the next tile
 * loads while this one is multiplied. Fragments come from shared memory with ldmatrix
 * (.trans for V); rows are padded by 16 bytes so the 8 rows of a matrix hit distinct
 * banks. Masks as the f32 kernel: each row's key range [lo, hi) plus key_bias.
 */
#include "kcuda_attention.cuh"
#include "kcuda_internal.h"

#include <cuda_bf16.h>
#include <math.h>
#include <stdint.h>

#define TC_WARPS 4
#define TC_BM (16 * TC_WARPS) /* query rows per block */
#define TC_BN 64              /* keys per tile */
#define TC_LOG2E 1.4426950408889634f

typedef struct tc_params {
    int64_t nq, nkv;
    int n_heads, group;
    const __nv_bfloat16 *q, *k, *v; /* dense: q [nq][n_heads*D], k and v [nkv][n_kv_heads*D] */
    int64_t ldq, ldk;               /* in elements */
    float *out;
    int64_t ldo;
    const float *key_bias;
    int causal;
    int64_t window;
    float scale_log2; /* scale · log2(e): scores go through exp2 */
} tc_params;

__device__ __forceinline__ uint32_t smem_addr(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

__device__ __forceinline__ void ldsm_x4(uint32_t a, uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(a));
}

__device__ __forceinline__ void ldsm_x4_t(uint32_t a, uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(a));
}

/* c += a·b for one 16x8x16 tile (a row-major, b column-major, f32 accumulators). */
__device__ __forceinline__ void mma16816(float *c, const uint32_t *a, uint32_t b0, uint32_t b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* 16 bytes global → shared; rows past the end (ok = 0) are zero-filled. */
__device__ __forceinline__ void cp16(void *dst, const void *src, int ok)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
                 "r"(ok ? 16 : 0));
}
__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi)
{
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi); /* .x (low half) = lo */
    return *(uint32_t *)&v;
}

/* rows × D bf16 from global (row r at base + r·ld) into shared rows of LD elements. */
template <int D, int ROWS>
__device__ __forceinline__ void load_tile(__nv_bfloat16 *s, const __nv_bfloat16 *base, int64_t ld, int64_t rows_left)
{
    constexpr int CH = D / 8; /* 16-byte chunks per row */
    constexpr int LD = D + 8;
#pragma unroll
    for (int c = threadIdx.x; c < ROWS * CH; c += TC_WARPS * 32) {
        int r = c / CH, x = c % CH;
        int ok = r < rows_left;
        cp16(s + r * LD + x * 8, ok ? base + (int64_t)r * ld + x * 8 : base, ok);
    }
}

template <int D>
__global__ void __launch_bounds__(TC_WARPS * 32) attention_tc_kernel(tc_params a)
{
    constexpr int LD = D + 8, KS = D / 16, NT = TC_BN / 8, DT = D / 8;
    extern __shared__ __align__(16) unsigned char tc_smem[];
    __nv_bfloat16 *qs = (__nv_bfloat16 *)tc_smem;
    __nv_bfloat16 *ks = qs + TC_BM * LD; /* [2][TC_BN][LD] */
    __nv_bfloat16 *vs = ks + 2 * TC_BN * LD;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int h = blockIdx.y, kvh = h / a.group;
    const int64_t i0 = (int64_t)blockIdx.x * TC_BM;
    const int64_t last = (i0 + TC_BM < a.nq ? i0 + TC_BM : a.nq) - 1;
    int64_t blo, bhi, tmp;
    kcuda_key_range(a, i0, &blo, &tmp); /* lo and hi grow with the row: the block's union */
    kcuda_key_range(a, last, &tmp, &bhi);
    /* this thread's two rows (g and g+8 of its warp's 16) */
    const int64_t ra = i0 + warp * 16 + g, rb = ra + 8;
    int64_t loa = 0, hia = 0, lob = 0, hib = 0;
    if (ra < a.nq) kcuda_key_range(a, ra, &loa, &hia);
    if (rb < a.nq) kcuda_key_range(a, rb, &lob, &hib);

    const __nv_bfloat16 *kbase = a.k + (int64_t)kvh * D, *vbase = a.v + (int64_t)kvh * D;
    const int ntiles = bhi > blo ? (int)((bhi - blo + TC_BN - 1) / TC_BN) : 0;
    load_tile<D, TC_BM>(qs, a.q + i0 * a.ldq + (int64_t)h * D, a.ldq, a.nq - i0);
    if (ntiles > 0) {
        load_tile<D, TC_BN>(ks, kbase + blo * a.ldk, a.ldk, bhi - blo);
        load_tile<D, TC_BN>(vs, vbase + blo * a.ldk, a.ldk, bhi - blo);
    }
    cp_commit();

    float o[DT][4];
#pragma unroll
    for (int d = 0; d < DT; d++) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.0f;
    float ma = -INFINITY, mb = -INFINITY, la = 0.0f, lb = 0.0f; /* row max (log2 units), partial sums */
    uint32_t qf[KS][4];
    const int mi = lane / 8, mr = lane % 8;

    for (int it = 0; it < ntiles; it++) {
        const int64_t j0 = blo + (int64_t)it * TC_BN;
        if (it + 1 < ntiles) { /* the other buffer was released by the barrier ending it-1 */
            const int nb = (it + 1) & 1;
            load_tile<D, TC_BN>(ks + nb * TC_BN * LD, kbase + (j0 + TC_BN) * a.ldk, a.ldk, bhi - j0 - TC_BN);
            load_tile<D, TC_BN>(vs + nb * TC_BN * LD, vbase + (j0 + TC_BN) * a.ldk, a.ldk, bhi - j0 - TC_BN);
            cp_commit();
            cp_wait<1>();
        } else {
            cp_wait<0>();
        }
        __syncthreads();
        if (it == 0) {
#pragma unroll
            for (int k = 0; k < KS; k++)
                ldsm_x4(smem_addr(qs + (warp * 16 + (mi & 1) * 8 + mr) * LD + k * 16 + (mi >> 1) * 8), qf[k][0],
                        qf[k][1], qf[k][2], qf[k][3]);
        }
        const __nv_bfloat16 *kt = ks + (it & 1) * TC_BN * LD, *vt = vs + (it & 1) * TC_BN * LD;

        float s[NT][4];
#pragma unroll
        for (int n = 0; n < NT; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
        for (int np = 0; np < NT / 2; np++)
#pragma unroll
            for (int k = 0; k < KS; k++) {
                uint32_t b0, b1, b2, b3;
                ldsm_x4(smem_addr(kt + (np * 16 + (mi >> 1) * 8 + mr) * LD + k * 16 + (mi & 1) * 8), b0, b1, b2, b3);
                mma16816(s[2 * np], qf[k], b0, b1);
                mma16816(s[2 * np + 1], qf[k], b2, b3);
            }

        /* scale, bias, masks; the tile's row maxima */
        float ca = -INFINITY, cb = -INFINITY;
#pragma unroll
        for (int n = 0; n < NT; n++)
#pragma unroll
            for (int e = 0; e < 2; e++) {
                const int64_t j = j0 + n * 8 + 2 * t + e;
                const float bias = (a.key_bias && j < a.nkv) ? a.key_bias[j] * TC_LOG2E : 0.0f;
                float xa = s[n][e] * a.scale_log2 + bias, xb = s[n][2 + e] * a.scale_log2 + bias;
                xa = (j >= loa && j < hia) ? xa : -INFINITY;
                xb = (j >= lob && j < hib) ? xb : -INFINITY;
                s[n][e] = xa;
                s[n][2 + e] = xb;
                ca = fmaxf(ca, xa);
                cb = fmaxf(cb, xb);
            }
        kcuda_quad_max2(ca, cb);
        const float na = fmaxf(ma, ca), nbm = fmaxf(mb, cb);
        const float ua = na == -INFINITY ? 0.0f : na, ub = nbm == -INFINITY ? 0.0f : nbm;
        const float alpha = exp2f(ma - ua), beta = exp2f(mb - ub);
        ma = na;
        mb = nbm;
        la *= alpha;
        lb *= beta;
#pragma unroll
        for (int d = 0; d < DT; d++) {
            o[d][0] *= alpha;
            o[d][1] *= alpha;
            o[d][2] *= beta;
            o[d][3] *= beta;
        }
        /* probabilities, as the A operand of P·V (the score tile's accumulator layout
         * is the operand layout: two 8-key tiles make one 16-key step) */
        uint32_t pf[TC_BN / 16][4];
#pragma unroll
        for (int n = 0; n < NT; n++) {
            const float p0 = exp2f(s[n][0] - ua), p1 = exp2f(s[n][1] - ua);
            const float p2 = exp2f(s[n][2] - ub), p3 = exp2f(s[n][3] - ub);
            la += p0 + p1;
            lb += p2 + p3;
            pf[n / 2][(n & 1) * 2] = pack_bf16(p0, p1);
            pf[n / 2][(n & 1) * 2 + 1] = pack_bf16(p2, p3);
        }
#pragma unroll
        for (int k = 0; k < TC_BN / 16; k++)
#pragma unroll
            for (int dp = 0; dp < DT / 2; dp++) {
                uint32_t b0, b1, b2, b3;
                ldsm_x4_t(smem_addr(vt + (k * 16 + (mi & 1) * 8 + mr) * LD + dp * 16 + (mi >> 1) * 8), b0, b1, b2, b3);
                mma16816(o[2 * dp], pf[k], b0, b1);
                mma16816(o[2 * dp + 1], pf[k], b2, b3);
            }
        __syncthreads(); /* this buffer may be refilled by the next iteration's prefetch */
    }
    if (ntiles == 0) cp_wait<0>();

    kcuda_quad_sum2(la, lb);
    const float ia = la > 0 ? 1.0f / la : 0.0f, ib = lb > 0 ? 1.0f / lb : 0.0f;
#pragma unroll
    for (int d = 0; d < DT; d++) {
        const int c = d * 8 + 2 * t;
        if (ra < a.nq) {
            float *p = a.out + ra * a.ldo + (int64_t)h * D + c;
            p[0] = o[d][0] * ia;
            p[1] = o[d][1] * ia;
        }
        if (rb < a.nq) {
            float *p = a.out + rb * a.ldo + (int64_t)h * D + c;
            p[0] = o[d][2] * ib;
            p[1] = o[d][3] * ib;
        }
    }
}

template <int D>
static kstatus launch_tc(kcuda *d, const tc_params &p)
{
    const size_t smem = sizeof(__nv_bfloat16) * (size_t)(TC_BM + 4 * TC_BN) * (D + 8);
    if (smem > d->smem_optin) return KS_UNSUPPORTED;
    cudaError_t e = cudaFuncSetAttribute(attention_tc_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    if (e != cudaSuccess) return kcuda_fail(d, e, "tensor-core attention shared memory");
    const int64_t gx = (p.nq + TC_BM - 1) / TC_BM;
    if (gx > 0x7fffffff || p.n_heads > 65535) return KS_BAD_ARG;
    attention_tc_kernel<D><<<dim3((unsigned)gx, (unsigned)p.n_heads), TC_WARPS * 32, smem, d->stream>>>(p);
    return kcuda_check_launch(d, "tensor-core attention");
}

extern "C" int kcuda_attention_tc_fits(const kattn *a) { return a->head_dim == 64 || a->head_dim == 128; }

extern "C" kstatus kcuda_attention_tc(const kctx *ctx, const kattn *a)
{
    kcuda *d = ctx->cuda;
    const int D = a->head_dim;
    const int64_t qc = (int64_t)a->n_heads * D, kc = (int64_t)a->n_kv_heads * D;
    const size_t qb = kcuda_align_up(sizeof(uint16_t) * (size_t)(a->nq * qc), 256);
    const size_t kb = kcuda_align_up(sizeof(uint16_t) * (size_t)(a->nkv * kc), 256);
    void *ws = NULL;
    kstatus s = kcuda_scratch(d, qb + 2 * kb, &ws);
    if (s != KS_OK) return s;
    uint16_t *q = (uint16_t *)ws, *k = (uint16_t *)((char *)ws + qb), *v = (uint16_t *)((char *)ws + qb + kb);
    kcuda_launch_f32_to_bf16(d->stream, a->q, a->nq, qc, a->ldq, q);
    if (a->nkv > 0) {
        kcuda_launch_f32_to_bf16(d->stream, a->k, a->nkv, kc, a->ldk, k);
        kcuda_launch_f32_to_bf16(d->stream, a->v, a->nkv, kc, a->ldv, v);
    }
    if ((s = kcuda_check_launch(d, "attention bf16 rounding")) != KS_OK) return s;
    tc_params p = {a->nq, a->nkv, a->n_heads, a->n_heads / a->n_kv_heads, (const __nv_bfloat16 *)q,
                   (const __nv_bfloat16 *)k, (const __nv_bfloat16 *)v, qc, kc, a->out, a->ldo, a->key_bias,
                   a->causal, a->window, a->scale * TC_LOG2E};
    return D == 64 ? launch_tc<64>(d, p) : launch_tc<128>(d, p);
}
