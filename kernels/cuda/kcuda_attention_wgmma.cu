/*
 * kcuda_attention_wgmma.cu — fast-precision flash attention on Hopper's warpgroup MMA
 * (wgmma, sm_90a) for head dims 64 and 128, full attention only (no causal mask, no
 * window; key_bias, GQA and any token counts are supported). kcuda_attention picks it
 * over the mma.sync kernel (kcuda_attention_tc.cu) where it fits; see docs/PERFORMANCE.md
 * for the design notes and numbers.
 *
 * Data: a prep pass rounds q and k to bf16 [token][heads·D] (as the mma.sync kernel) and
 * writes v transposed, vt [kv_heads·D][nkv_pad] bf16, keys padded with zeros to a
 * multiple of 128. Then both B operands (K for S = Q·Kᵀ, Vᵀ for O = P·V) are "K-major"
 * (the reduction dimension contiguous) and one shared-memory layout serves Q, K and Vᵀ.
 *
 * Block: 256 threads = two warpgroups, each owning 64 of the block's 128 query rows of
 * one head. Tiles of 128 keys (K and Vᵀ, and the keys' bias) stream through three
 * shared-memory stages with cp.async; every thread loads, so there is no producer warp
 * (TMA and warp specialisation are the next step, docs/PERFORMANCE.md). Per tile and
 * warpgroup:
 *   S[64×128] = Q·Kᵀ      D/16 × wgmma m64n128k16, A and B from shared memory
 *   online softmax of S in registers (f32, exp2), P rounded to bf16 in registers
 *   O[64×D] += P·V        8 × wgmma m64nDk16, A = P from registers, B = Vᵀ from shared
 * and the P·V of one tile runs on the tensor cores while the next tile's softmax runs
 * (see the main loop).
 *
 * Shared-memory layout ("tile" of R rows × C bf16 columns, C a multiple of 64): C/64
 * panels of R rows × 128 bytes, panel p at byte p·R·128, each 1024-byte aligned. In a
 * panel, row r's 16-byte chunk x (columns 8x..8x+7 of the panel) sits at
 *   r·128 + ((x ^ (r % 8)) · 16)
 * — the 128-byte swizzle: address bits [4,7) XOR bits [7,10), which is how the tensor
 * cores read a descriptor with swizzle mode 1 from a 1024-byte aligned 8-row atom.
 *
 * Matrix descriptor (64 bits, PTX ISA "matrix descriptor"): bits 0-13 start address >> 4,
 * 16-29 leading byte offset >> 4 (unused for swizzled K-major operands; 1), 32-45 stride
 * byte offset >> 4 (1024: from one 8-row group to the next), 49-51 base offset (0: atoms
 * 1024-aligned), 62-63 swizzle mode (1 = 128-byte). The operand of k-step k (16 columns)
 * starting at row r0 (a multiple of 8) begins at tile + (k/4)·R·128 + r0·128 + (k%4)·32:
 * inside a panel a k-step moves 32 bytes along the row, and the hardware applies the
 * XOR to the final address, so the 32-byte offset composes with the swizzle.
 *
 * Register fragments (per warpgroup; warp w = 0..3 of the group, lane = 4·gq + tq):
 *   accumulator of m64nN, f32, N/2 registers d[i]:
 *     row = 16·w + gq + 8·((i/2) % 2),  col = 8·(i/4) + 2·tq + (i % 2)
 *   A of m64k16 from registers, bf16x2 a[0..3]:
 *     a0 (row 16w+gq,   k 2tq..2tq+1)   a1 (row 16w+gq+8, k 2tq..2tq+1)
 *     a2 (row 16w+gq,   k 2tq+8..+9)    a3 (row 16w+gq+8, k 2tq+8..+9)
 *   so the S accumulator registers 8kk..8kk+7 (keys 16kk..16kk+15) are, pair by pair,
 *   exactly a0..a3 of P's k-step kk: a[r] = bf16x2(p[8kk+2r], p[8kk+2r+1]).
 * Each thread thus holds two rows (gq and gq+8 of its warp's 16): their maxima and sums
 * are reduced over the 4 lanes tq = 0..3 with shuffles. tools/wgmma_layout_sim.py
 * replays this index math on the host.
 *
 * Built for sm_90a only (kernels/cuda/CMakeLists.txt); on any other target the kernels
 * are empty, and a probe run when the device is created (kcuda_attention_wgmma_probe)
 * tells whether the loaded module holds the sm_90a code, so nothing else ever runs them.
 */
#include "kcuda_attention.cuh"
#include "kcuda_internal.h"

#include <cuda_bf16.h>
#include <math.h>
#include <stdint.h>

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define WG_HAVE_SM90A 1
#endif

#define WG_THREADS 256 /* two warpgroups */
#define WG_BM 128      /* query rows per block */
#define WG_BN 128      /* keys per tile */
#define WG_STAGES 3      /* K/Vᵀ tiles in shared memory: tile it, the V of it-1, the prefetch of it+1 */
#define WG_LOG2E 1.4426950408889634f

typedef struct wg_params {
    int64_t nq, nkv, nkv_pad;
    int n_heads, group;
    const __nv_bfloat16 *q, *k, *vt; /* q [nq][ldq], k [nkv][ldk], vt [kv_heads·D][nkv_pad] */
    int64_t ldq, ldk;
    float *out;
    int64_t ldo;
    const float *key_bias;
    float scale_log2; /* scale · log2(e): scores go through exp2 */
} wg_params;

/* Bytes of shared memory a block asks for: Q, the K/Vᵀ stages, each stage's key bias
 * (f32), and slack to align the dynamic base to 1024 (the swizzle atom). */
static constexpr size_t wg_smem_bytes(int d)
{
    return (size_t)2 * ((size_t)WG_BM * d + (size_t)WG_STAGES * 2 * WG_BN * d) + sizeof(float) * WG_STAGES * WG_BN +
           1024;
}

#ifdef WG_HAVE_SM90A
__device__ __forceinline__ uint32_t wg_smem_addr(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

/* Byte offset of 16-byte chunk x (of C/8) in row r of a swizzled tile of R rows. */
__device__ __forceinline__ uint32_t wg_swz(int r, int x, int rows)
{
    return (uint32_t)((x >> 3) * rows * 128 + r * 128 + (((x & 7) ^ (r & 7)) << 4));
}

/* ROWS × C bf16 (row r at src + r·ld) into the swizzled tile at smem address dst; rows
 * at or past rows_left are zero-filled (cp.async with source size 0, from src itself).
 * A fixed trip count and one source pointer per thread (rows r and r + STEP share the
 * swizzle), so no per-copy address registers stay live beside the accumulators. */
template <int C, int ROWS>
__device__ __forceinline__ void wg_load_tile(uint32_t dst, const __nv_bfloat16 *src, int64_t ld, int64_t rows_left)
{
    constexpr int CH = C / 8, STEP = WG_THREADS / CH; /* rows per round, a multiple of 8 */
    static_assert(ROWS % STEP == 0 && STEP % 8 == 0, "whole rounds; rows r and r+STEP share a swizzle");
    const int r0 = threadIdx.x / CH, x = threadIdx.x % CH;
    const __nv_bfloat16 *s = src + (int64_t)r0 * ld + x * 8;
    const uint32_t d = dst + wg_swz(r0, x, ROWS);
#pragma unroll
    for (int i = 0; i < ROWS / STEP; i++) {
        const int ok = r0 + i * STEP < rows_left;
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d + i * STEP * 128),
                     "l"(ok ? s : src), "r"(ok ? 16 : 0)
                     : "memory");
        s += STEP * ld;
    }
}
__device__ __forceinline__ void wg_cp_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wg_cp_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

/* Descriptor of the K-major, 128-byte-swizzled operand starting at smem address addr. */
__device__ __forceinline__ uint64_t wg_desc(uint32_t addr)
{
    return (uint64_t)((addr & 0x3FFFFu) >> 4) | ((uint64_t)1 << 16) | ((uint64_t)(1024 >> 4) << 32) |
           ((uint64_t)1 << 62);
}
/* Address of k-step k (16 columns) from row r0 in a tile of `rows` rows at smem tile. */
__device__ __forceinline__ uint32_t wg_kstep(uint32_t tile, int rows, int r0, int k)
{
    return tile + (uint32_t)((k >> 2) * rows * 128 + r0 * 128 + (k & 3) * 32);
}

__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }
/* Ties accumulator registers to the asm order, so no read of them moves above a wait
 * and no write below an MMA that uses them. */
template <int N> __device__ __forceinline__ void wg_fence_regs(float (&r)[N])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+f"(r[i])::"memory");
}
__device__ __forceinline__ void wg_fence_regs(uint32_t (&r)[4])
{
#pragma unroll
    for (int i = 0; i < 4; i++) asm volatile("" : "+r"(r[i])::"memory");
}

#define WG_D8(d, i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), \
                    "+f"(d[i + 6]), "+f"(d[i + 7])
#define WG_D32(d) WG_D8(d, 0), WG_D8(d, 8), WG_D8(d, 16), WG_D8(d, 24)
#define WG_D64(d) WG_D32(d), WG_D8(d, 32), WG_D8(d, 40), WG_D8(d, 48), WG_D8(d, 56)
#define WG_R32 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}"
#define WG_R64 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31," \
               "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}"

/* d[64×128] (+)= A·Bᵀ, A and B K-major bf16 in shared memory; acc = 0 overwrites d. */
__device__ __forceinline__ void wg_mma_ss_n128(float (&d)[64], uint64_t da, uint64_t db, int acc)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " WG_R64 ", %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : WG_D64(d)
                 : "l"(da), "l"(db), "r"(acc));
}
/* d[64×N] += A·B, A bf16 from registers (a0..a3 above), B K-major in shared memory. */
__device__ __forceinline__ void wg_mma_rs(float (&d)[64], const uint32_t *a, uint64_t db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " WG_R64 ", {%64,%65,%66,%67}, %68, p, 1, 1, 0;\n}\n"
                 : WG_D64(d)
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1));
}
__device__ __forceinline__ void wg_mma_rs(float (&d)[32], const uint32_t *a, uint64_t db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " WG_R32 ", {%32,%33,%34,%35}, %36, p, 1, 1, 0;\n}\n"
                 : WG_D32(d)
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1));
}

__device__ __forceinline__ uint32_t wg_pack_bf16(float lo, float hi)
{
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi); /* .x (low half) = lo */
    return *(uint32_t *)&v;
}
#endif /* WG_HAVE_SM90A */

template <int D>
__global__ void __launch_bounds__(WG_THREADS, 1) attention_wgmma_kernel(const wg_params a)
{
#ifdef WG_HAVE_SM90A
    constexpr int KS = D / 16;      /* k-steps of S = Q·Kᵀ */
    constexpr int PS = WG_BN / 16;  /* k-steps of O += P·V */
    constexpr int QB = WG_BM * D * 2, KB = WG_BN * D * 2, VB = D * WG_BN * 2;
    extern __shared__ unsigned char wg_smem_raw[];
    const uint32_t raw = wg_smem_addr(wg_smem_raw);
    const uint32_t qs = (raw + 1023u) & ~1023u; /* Q, then stage s: K at ks(s), Vᵀ at vs(s) */
    const uint32_t ks0 = qs + QB;
    /* per stage, the tile's 128 key biases in log2 units, -inf past the last key: the
     * softmax then needs no branch (with the bias and tail tests in it, ptxas put the
     * wait for the P·V before the softmax instead of after it) */
    float *const sbias = (float *)(wg_smem_raw + (qs - raw) + QB + WG_STAGES * (KB + VB));

    const int tid = threadIdx.x, wg = tid / 128, w = (tid / 32) % 4, lane = tid % 32, gq = lane / 4, tq = lane % 4;
    const int h = blockIdx.y, kvh = h / a.group;
    const int64_t i0 = (int64_t)blockIdx.x * WG_BM;
    const int ntiles = (int)((a.nkv + WG_BN - 1) / WG_BN);
    const __nv_bfloat16 *kbase = a.k + (int64_t)kvh * D, *vbase = a.vt + (int64_t)kvh * D * a.nkv_pad;

    /* Tile t's K and Vᵀ into stage t%3 (one cp.async group); past the last tile the
     * copies are zero fills into a stage nothing reads any more. */
    auto load_kv = [&](int t) {
        const int64_t j0 = (int64_t)t * WG_BN;
        const bool in = j0 < a.nkv;
        const uint32_t st = ks0 + (t % WG_STAGES) * (KB + VB);
        wg_load_tile<D, WG_BN>(st, in ? kbase + j0 * a.ldk : kbase, a.ldk, a.nkv - j0);
        wg_load_tile<WG_BN, D>(st + KB, in ? vbase + j0 : vbase, a.nkv_pad, in ? D : 0);
        wg_cp_commit();
    };
    /* Key t·128 + tid's bias in log2 units (−inf past the last key), for threads < 128;
     * stored into stage t%3 later (plain stores, published by the barrier of tile t),
     * so the load's latency hides under the MMAs. */
    auto bias_of = [&](int t) {
        const int64_t j = (int64_t)t * WG_BN + (tid & (WG_BN - 1));
        const bool in = j < a.nkv;
        const float b = a.key_bias && in ? __ldg(a.key_bias + j) * WG_LOG2E : 0.0f;
        return in ? b : -INFINITY;
    };
    auto store_bias = [&](int t, float b) {
        if (tid < WG_BN) sbias[(t % WG_STAGES) * WG_BN + tid] = b;
    };
    wg_load_tile<D, WG_BM>(qs, a.q + i0 * a.ldq + (int64_t)h * D, a.ldq, a.nq - i0);
    if (ntiles > 0) {
        store_bias(0, bias_of(0));
        load_kv(0); /* commits Q's copies too */
    } else {
        wg_cp_commit();
    }

    float o[D / 2], s[64]; /* s: the score tile, overwritten by each tile's first MMA */
    uint32_t p[PS][4];     /* P of the previous tile: the A operand of its P·V */
#pragma unroll
    for (int i = 0; i < D / 2; i++) o[i] = 0.0f;
#pragma unroll
    for (int i = 0; i < 64; i++) s[i] = 0.0f;
#pragma unroll
    for (int k = 0; k < PS; k++) p[k][0] = p[k][1] = p[k][2] = p[k][3] = 0u;
    float ma = -INFINITY, mb = -INFINITY, la = 0.0f, lb = 0.0f; /* rows gq, gq+8: max (log2 units), partial sum */

    /* Tile it's start: its copies (and bias) landed and are published to the tensor
     * cores; every thread finished tile it-1, so the P·V of tile it-2 is complete and
     * its stage, (it+1)%3, may take the prefetch of tile it+1 (issued right after).
     * Stage it%3 holds tile it. */
    auto begin_tile = [&]() {
        wg_cp_wait<0>();
        /* cp.async wrote through the generic proxy; the tensor cores read through the
         * async proxy: each writer fences before the barrier that publishes the tile */
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();
    };
    auto issue_s = [&](int it) { /* S = Q·K(it)ᵀ, one wgmma group */
        const uint32_t kt = ks0 + (it % WG_STAGES) * (KB + VB);
#pragma unroll
        for (int k = 0; k < KS; k++)
            wg_mma_ss_n128(s, wg_desc(wg_kstep(qs, WG_BM, 64 * wg, k)), wg_desc(wg_kstep(kt, WG_BN, 0, k)), k > 0);
        wg_commit();
    };
    auto issue_pv = [&](int it) { /* O += P(it)·V(it), one wgmma group */
        const uint32_t vt = ks0 + (it % WG_STAGES) * (KB + VB) + KB;
#pragma unroll
        for (int k = 0; k < PS; k++) wg_mma_rs(o, p[k], wg_desc(wg_kstep(vt, D, 0, k)));
        wg_commit();
    };
    /* S (complete) → probabilities in place, in f32; the new row maxima, the factors
     * alpha (row gq) and beta (row gq+8) that rescale older sums, and the sums. */
    float alpha = 1.0f, beta = 1.0f;
    auto softmax = [&](int it) {
        const float *bt = sbias + (it % WG_STAGES) * WG_BN + 2 * tq;
        float ca = -INFINITY, cb = -INFINITY;
#pragma unroll
        for (int i = 0; i < 64; i += 2) {
            const float2 b = *(const float2 *)(bt + 8 * (i / 4)); /* keys 8(i/4)+2tq, +1 */
            const float x0 = fmaf(s[i], a.scale_log2, b.x), x1 = fmaf(s[i + 1], a.scale_log2, b.y);
            s[i] = x0;
            s[i + 1] = x1;
            if ((i & 2) == 0)
                ca = fmaxf(ca, fmaxf(x0, x1));
            else
                cb = fmaxf(cb, fmaxf(x0, x1));
        }
        kcuda_quad_max2(ca, cb);
        const float na = fmaxf(ma, ca), nb = fmaxf(mb, cb);
        const float ua = na == -INFINITY ? 0.0f : na, ub = nb == -INFINITY ? 0.0f : nb;
        alpha = exp2f(ma - ua);
        beta = exp2f(mb - ub);
        ma = na;
        mb = nb;
        float sa = 0.0f, sb = 0.0f;
#pragma unroll
        for (int i = 0; i < 64; i += 2) {
            const float u = (i & 2) ? ub : ua;
            s[i] = exp2f(s[i] - u);
            s[i + 1] = exp2f(s[i + 1] - u);
            if (i & 2)
                sb += s[i] + s[i + 1];
            else
                sa += s[i] + s[i + 1];
        }
        la = la * alpha + sa;
        lb = lb * beta + sb;
    };
    auto rescale_and_pack = [&]() { /* O by alpha/beta; P = bf16(probabilities) */
#pragma unroll
        for (int i = 0; i < D / 2; i++) o[i] *= (i & 2) ? beta : alpha;
#pragma unroll
        for (int i = 0; i < 64; i += 2) p[i / 8][(i / 2) % 4] = wg_pack_bf16(s[i], s[i + 1]);
    };

    /* Tile 0's scores alone; then tile it issues S = Q·K(it)ᵀ and O += P(it-1)·V(it-1)
     * as two wgmma groups, waits for the first only, and runs its softmax while the
     * tensor cores still add P(it-1)·V(it-1). That product is waited for at the top of
     * tile it+1, before its barrier (after which tile it-1's stage may be refilled);
     * then O is rescaled and the new P packed. The order is visible in the SASS: the
     * HGMMA chain, WARPGROUP.DEPBAR.LE gsb0 1, the MUFU.EX2 of the softmax, then
     * DEPBAR.LE gsb0 0. */
    if (ntiles > 0) {
        begin_tile();
        load_kv(1);
        wg_fence_regs(s);
        wg_fence();
        issue_s(0);
        float bnext = bias_of(1);
        wg_wait<0>();
        wg_fence_regs(s);
        softmax(0);
        store_bias(1, bnext);
        for (int it = 1; it < ntiles; it++) {
            wg_wait<0>(); /* P(it-2)·V(it-2) is complete: O and P are free */
            wg_fence_regs(o);
#pragma unroll
            for (int k = 0; k < PS; k++) wg_fence_regs(p[k]);
            begin_tile();
            load_kv(it + 1);
            rescale_and_pack();
            wg_fence_regs(s);
            wg_fence_regs(o);
#pragma unroll
            for (int k = 0; k < PS; k++) wg_fence_regs(p[k]);
            wg_fence();
            issue_s(it);
            issue_pv(it - 1);
            bnext = bias_of(it + 1);
            wg_wait<1>(); /* S is complete; P·V may still run */
            wg_fence_regs(s);
            softmax(it);
            store_bias(it + 1, bnext);
        }
        wg_wait<0>();
        wg_fence_regs(o);
#pragma unroll
        for (int k = 0; k < PS; k++) wg_fence_regs(p[k]);
        rescale_and_pack();
        wg_fence_regs(o);
#pragma unroll
        for (int k = 0; k < PS; k++) wg_fence_regs(p[k]);
        wg_fence();
        issue_pv(ntiles - 1);
        wg_wait<0>();
        wg_fence_regs(o);
    }
    wg_cp_wait<0>(); /* the zero fills past the last tile (or Q's copies) */

    kcuda_quad_sum2(la, lb);
    const float ia = la > 0 ? 1.0f / la : 0.0f, ib = lb > 0 ? 1.0f / lb : 0.0f;
    const int64_t ra = i0 + 64 * wg + 16 * w + gq, rb = ra + 8;
#pragma unroll
    for (int i = 0; i < D / 2; i += 2) {
        const int c = 8 * (i / 4) + 2 * tq;
        const int64_t r = (i & 2) ? rb : ra;
        const float inv = (i & 2) ? ib : ia;
        if (r < a.nq) {
            float *dst = a.out + r * a.ldo + (int64_t)h * D + c;
            dst[0] = o[i] * inv;
            dst[1] = o[i + 1] * inv;
        }
    }
#else
    (void)a;
#endif
}

/* vt[c][j] = bf16(v[j·ldv + c]) for c < cols, j < nkv; zeros for nkv <= j < nkv_pad.
 * 32×32 tiles through shared memory so both the reads and the writes are coalesced. */
__global__ void attention_wgmma_transpose_v(const float *v, int64_t nkv, int64_t cols, int64_t ldv, int64_t nkv_pad,
                                            __nv_bfloat16 *vt)
{
    __shared__ float tile[32][33];
    const int64_t j0 = (int64_t)blockIdx.x * 32, c0 = (int64_t)blockIdx.y * 32;
    for (int r = threadIdx.y; r < 32; r += blockDim.y) {
        const int64_t j = j0 + r, c = c0 + threadIdx.x;
        tile[r][threadIdx.x] = (j < nkv && c < cols) ? v[j * ldv + c] : 0.0f;
    }
    __syncthreads();
    for (int r = threadIdx.y; r < 32; r += blockDim.y) {
        const int64_t c = c0 + r, j = j0 + threadIdx.x;
        if (c < cols && j < nkv_pad) vt[c * nkv_pad + j] = __float2bfloat16_rn(tile[threadIdx.x][r]);
    }
}

/* Writes 1 when this module's code for the running device is the sm_90a build. */
__global__ void attention_wgmma_probe_kernel(int *flag)
{
#ifdef WG_HAVE_SM90A
    *flag = 1;
#else
    *flag = 0;
#endif
}

extern "C" int kcuda_attention_wgmma_probe(kcuda *d)
{
    int *flag = NULL, host = 0;
    if (kcuda_alloc(d, sizeof(int), (void **)&flag) != KS_OK) return 0;
    attention_wgmma_probe_kernel<<<1, 1, 0, d->stream>>>(flag);
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaMemcpyAsync(&host, flag, sizeof host, cudaMemcpyDeviceToHost, d->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(d->stream);
    kcuda_free(d, flag);
    if (e != cudaSuccess) { /* no code for this device in the module: not an error here */
        cudaGetLastError();
        return 0;
    }
    return host == 1;
}

extern "C" int kcuda_attention_wgmma_fits(const kcuda *d, const kattn *a)
{
    return d->wgmma_ok && (a->head_dim == 64 || a->head_dim == 128) && !a->causal && a->window <= 0 &&
           d->smem_optin >= wg_smem_bytes(a->head_dim);
}

template <int D>
static kstatus launch_wgmma(kcuda *d, const wg_params &p)
{
    const size_t smem = wg_smem_bytes(D);
    cudaError_t e = cudaFuncSetAttribute(attention_wgmma_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    if (e != cudaSuccess) return kcuda_fail(d, e, "wgmma attention shared memory");
    const int64_t gx = (p.nq + WG_BM - 1) / WG_BM;
    if (gx > 0x7fffffff || p.n_heads > 65535) return KS_BAD_ARG;
    attention_wgmma_kernel<D><<<dim3((unsigned)gx, (unsigned)p.n_heads), WG_THREADS, smem, d->stream>>>(p);
    return kcuda_check_launch(d, "wgmma attention");
}

extern "C" kstatus kcuda_attention_wgmma(const kctx *ctx, const kattn *a)
{
    kcuda *d = ctx->cuda;
    const int D = a->head_dim;
    const int64_t qc = (int64_t)a->n_heads * D, kc = (int64_t)a->n_kv_heads * D;
    const int64_t nkv_pad = (a->nkv + WG_BN - 1) / WG_BN * WG_BN;
    const size_t qb = kcuda_align_up(sizeof(uint16_t) * (size_t)(a->nq * qc), 256);
    const size_t kb = kcuda_align_up(sizeof(uint16_t) * (size_t)(a->nkv * kc), 256);
    const size_t vb = kcuda_align_up(sizeof(uint16_t) * (size_t)(nkv_pad * kc), 256);
    void *ws = NULL;
    kstatus s = kcuda_scratch(d, qb + kb + vb, &ws);
    if (s != KS_OK) return s;
    uint16_t *q = (uint16_t *)ws, *k = (uint16_t *)((char *)ws + qb);
    __nv_bfloat16 *vt = (__nv_bfloat16 *)((char *)ws + qb + kb);
    kcuda_launch_f32_to_bf16(d->stream, a->q, a->nq, qc, a->ldq, q);
    if (a->nkv > 0) {
        kcuda_launch_f32_to_bf16(d->stream, a->k, a->nkv, kc, a->ldk, k);
        const int64_t gy = (kc + 31) / 32;
        if (nkv_pad / 32 > 0x7fffffff || gy > 65535) return KS_BAD_ARG;
        attention_wgmma_transpose_v<<<dim3((unsigned)(nkv_pad / 32), (unsigned)gy), dim3(32, 8), 0, d->stream>>>(
            a->v, a->nkv, kc, a->ldv, nkv_pad, vt);
    }
    if ((s = kcuda_check_launch(d, "wgmma attention bf16 rounding")) != KS_OK) return s;
    wg_params p = {a->nq, a->nkv, nkv_pad, a->n_heads, a->n_heads / a->n_kv_heads, (const __nv_bfloat16 *)q,
                   (const __nv_bfloat16 *)k, vt, qc, kc, a->out, a->ldo, a->key_bias, a->scale * WG_LOG2E};
    return D == 64 ? launch_wgmma<64>(d, p) : launch_wgmma<128>(d, p);
}
