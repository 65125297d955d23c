/*
 * kcuda_attention.cu — flash attention in f32 (exact precision, and head dims the
 * tensor-core kernel of kcuda_attention_tc.cu has no tiles for): online softmax over
 * tiles of keys, never an N×N matrix.
 *
 * A block of 256 threads takes ROWS query rows of one head; each row is shared by TPR
 * = D/32 threads, each holding 32 of the row's D (padded) dims of q and of the output
 * accumulator in registers. Tiles of BK keys and values are staged in shared memory;
 * a row's partial dot products are summed across its TPR lanes with shuffles. Masks
 * (causal, sliding window) are each row's key range [lo, hi), as in the CPU kernel;
 * key_bias adds to the scores. Head dims up to 256 (padded to 32/64/128/256).
 */
#include "kcuda_attention.cuh"
#include "kcuda_internal.h"

#include <math.h>
#include <stdio.h>

#define ATT_THREADS 256
#define ATT_BK 32    /* keys per shared-memory tile */
/* Tuning knobs (-D at build time): keys per online-softmax update (scores kept in
 * registers), and blocks per SM the register allocation must allow. Measured on an
 * H100 (docs/PERFORMANCE.md): 8 keys and 2 blocks (128 registers, a few bytes spilled
 * outside the key loop) ran 1.24x faster than 16 keys and 1 block (181 registers). */
#ifndef KCUDA_ATT_CHUNK
#define KCUDA_ATT_CHUNK 8
#endif
#ifndef KCUDA_ATT_MIN_BLOCKS
#define KCUDA_ATT_MIN_BLOCKS 2
#endif
#define ATT_CHUNK KCUDA_ATT_CHUNK

typedef struct att_params {
    int64_t nq, nkv;
    int n_heads, group, head_dim;
    const float *q, *k, *v;
    int64_t ldq, ldk, ldv, ldo;
    float *out;
    const float *key_bias;
    int causal;
    int64_t window;
    float scale;
} att_params;

template <int D>
__global__ void __launch_bounds__(ATT_THREADS, KCUDA_ATT_MIN_BLOCKS) attention_kernel(att_params a)
{
    constexpr int TPR = D / 32, ROWS = ATT_THREADS / TPR, NV = 32 / 4; /* float4s per thread */
    extern __shared__ float4 smem[];
    float4 *ks = smem, *vs = smem + ATT_BK * (D / 4);
    const int sub = threadIdx.x % TPR, row = threadIdx.x / TPR, h = blockIdx.y, kvh = h / a.group;
    const int64_t i0 = (int64_t)blockIdx.x * ROWS, i = i0 + row;
    const int64_t last = (i0 + ROWS < a.nq ? i0 + ROWS : a.nq) - 1;
    int64_t lo = 0, hi = 0, blo, bhi, tmp;
    if (i < a.nq) kcuda_key_range(a, i, &lo, &hi);
    kcuda_key_range(a, i0, &blo, &tmp); /* lo and hi grow with i: the block's union */
    kcuda_key_range(a, last, &tmp, &bhi);

    float4 q[NV], acc[NV];
#pragma unroll
    for (int e = 0; e < NV; e++) {
        float t[4];
#pragma unroll
        for (int u = 0; u < 4; u++) {
            int c = 4 * (sub + TPR * e) + u;
            t[u] = (i < a.nq && c < a.head_dim) ? a.q[i * a.ldq + (int64_t)h * a.head_dim + c] : 0.0f;
        }
        q[e] = make_float4(t[0], t[1], t[2], t[3]);
        acc[e] = make_float4(0, 0, 0, 0);
    }
    float m = -INFINITY, l = 0;

    for (int64_t j0 = blo; j0 < bhi; j0 += ATT_BK) {
        __syncthreads(); /* the previous tile is consumed */
        float *kf = (float *)ks, *vf = (float *)vs;
        for (int idx = threadIdx.x; idx < ATT_BK * D; idx += ATT_THREADS) {
            int jj = idx / D, c = idx % D;
            int64_t j = j0 + jj;
            int ok = j < a.nkv && c < a.head_dim;
            kf[idx] = ok ? a.k[j * a.ldk + (int64_t)kvh * a.head_dim + c] : 0.0f;
            vf[idx] = ok ? a.v[j * a.ldv + (int64_t)kvh * a.head_dim + c] : 0.0f;
        }
        __syncthreads();
#pragma unroll 1
        for (int kc = 0; kc < ATT_BK; kc += ATT_CHUNK) {
            float s[ATT_CHUNK];
            float cm = -INFINITY;
#pragma unroll
            for (int jj = 0; jj < ATT_CHUNK; jj++) {
                const float4 *kr = ks + (kc + jj) * (D / 4);
                float dot = 0;
#pragma unroll
                for (int e = 0; e < NV; e++) {
                    float4 kv = kr[sub + TPR * e];
                    dot += q[e].x * kv.x + q[e].y * kv.y + q[e].z * kv.z + q[e].w * kv.w;
                }
#pragma unroll
                for (int o = TPR / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                int64_t j = j0 + kc + jj;
                float sc = dot * a.scale;
                if (a.key_bias && j < a.nkv) sc += a.key_bias[j];
                s[jj] = (j >= lo && j < hi) ? sc : -INFINITY;
                cm = fmaxf(cm, s[jj]);
            }
            float mnew = fmaxf(m, cm);
            if (mnew == -INFINITY) continue; /* everything so far masked out */
            float alpha = expf(m - mnew);
            l *= alpha;
#pragma unroll
            for (int e = 0; e < NV; e++) {
                acc[e].x *= alpha;
                acc[e].y *= alpha;
                acc[e].z *= alpha;
                acc[e].w *= alpha;
            }
#pragma unroll
            for (int jj = 0; jj < ATT_CHUNK; jj++) {
                float p = expf(s[jj] - mnew);
                l += p;
                const float4 *vr = vs + (kc + jj) * (D / 4);
#pragma unroll
                for (int e = 0; e < NV; e++) {
                    float4 vv = vr[sub + TPR * e];
                    acc[e].x += p * vv.x;
                    acc[e].y += p * vv.y;
                    acc[e].z += p * vv.z;
                    acc[e].w += p * vv.w;
                }
            }
            m = mnew;
        }
    }
    if (i >= a.nq) return;
    float inv = l > 0 ? 1.0f / l : 0.0f;
    float *o = a.out + i * a.ldo + (int64_t)h * a.head_dim;
#pragma unroll
    for (int e = 0; e < NV; e++) {
        float t[4] = {acc[e].x, acc[e].y, acc[e].z, acc[e].w};
#pragma unroll
        for (int u = 0; u < 4; u++) {
            int c = 4 * (sub + TPR * e) + u;
            if (c < a.head_dim) o[c] = t[u] * inv;
        }
    }
}

template <int D>
static kstatus launch(kcuda *d, const att_params &p)
{
    constexpr int ROWS = ATT_THREADS / (D / 32);
    size_t smem = sizeof(float) * 2 * ATT_BK * D;
    if (smem > d->smem_optin) return KS_UNSUPPORTED;
    cudaError_t e = cudaFuncSetAttribute(attention_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    if (e != cudaSuccess) return kcuda_fail(d, e, "attention shared memory");
    int64_t gx = (p.nq + ROWS - 1) / ROWS;
    if (gx > 0x7fffffff || p.n_heads > 65535) return KS_BAD_ARG;
    attention_kernel<D><<<dim3((unsigned)gx, (unsigned)p.n_heads), ATT_THREADS, smem, d->stream>>>(p);
    return kcuda_check_launch(d, "attention");
}

extern "C" kstatus kcuda_attention(const kctx *ctx, const kattn *a)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (!a || a->nq < 0 || a->nkv < 0 || a->n_heads <= 0 || a->n_kv_heads <= 0 || a->head_dim <= 0 ||
        a->n_heads % a->n_kv_heads)
        return KS_BAD_ARG;
    if (a->nq == 0) return KS_OK;
    att_params p = {a->nq,  a->nkv, a->n_heads, a->n_heads / a->n_kv_heads, a->head_dim, a->q, a->k, a->v,
                    a->ldq, a->ldk, a->ldv,     a->ldo,                      a->out,      a->key_bias,
                    a->causal, a->window, a->scale};
    kcuda *d = ctx->cuda;
    if (ctx->prec == KP_FAST && d->attn_kernel != KCUDA_ATTN_TC && kcuda_attention_wgmma_fits(d, a)) {
        d->attn_used = "wgmma";
        return kcuda_attention_wgmma(ctx, a);
    }
    if (ctx->prec == KP_FAST && kcuda_attention_tc_fits(a)) {
        d->attn_used = "tc";
        return kcuda_attention_tc(ctx, a);
    }
    d->attn_used = "f32";
    if (a->head_dim <= 32) return launch<32>(d, p);
    if (a->head_dim <= 64) return launch<64>(d, p);
    if (a->head_dim <= 128) return launch<128>(d, p);
    if (a->head_dim <= 256) return launch<256>(d, p);
    snprintf(d->err, sizeof d->err, "attention head_dim %d > 256", a->head_dim);
    return KS_UNSUPPORTED;
}

extern "C" void kcuda_set_attention_kernel(kcuda *d, kcuda_attn_kernel k) { d->attn_kernel = k; }
extern "C" const char *kcuda_attention_kernel_used(const kcuda *d) { return d->attn_used ? d->attn_used : ""; }
