/*
 * kernels.h — the math of the engine on raw buffers (the one internal header of
 * kernels/). Knows nothing of nodes, tensors handles or files.
 *
 * Conventions
 *   - Row-major. "ld" arguments are row strides in elements.
 *   - Activations are f32. Weights may stay in their stored dtype (kmat) and are
 *     widened inside the kernels.
 *   - Video/VAE activations are channels-last: [t][h][w][c]. Tokens are [n][dim].
 *   - Every kernel takes a kctx: the thread pool, the precision, and the forced
 *     instruction set (tests force each dispatch path in turn).
 *   - Precision KP_EXACT: f32 activations and f32 accumulation.
 *     KP_FAST: GEMM inputs (activations and weights) rounded to bf16
 *     (round-to-nearest-even), products exact in f32, f32 accumulation and f32
 *     outputs — the bf16 tensor-core arithmetic of the official GPU pipelines,
 *     without rounding the results: measured, rounding GEMM outputs too pushed the
 *     guided (cfg 7) sampler fixture past 1e-2 of the f32 reference.
 */
#ifndef LTX2_KERNELS_H
#define LTX2_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ threads */
typedef struct kpool kpool;
/* n_threads <= 0: one per online CPU. Threads are created once here. */
kpool *kpool_create(int n_threads);
void kpool_destroy(kpool *pool);
int kpool_threads(const kpool *pool); /* 1 when pool is NULL */
/* Runs fn over [0, n) in chunks of at least `grain` items on all threads and
 * returns when every chunk ran. pool == NULL runs inline. Not reentrant: a task
 * must not call kpool_for on the same pool (kernels use nested loops instead).
 * cancel (may be NULL): once *cancel is nonzero no further chunk starts, so a long
 * kernel stops within one chunk of the request on any machine; the inline path is
 * chunked too when cancel is given. Returns 0 when every chunk ran, 1 when chunks
 * were skipped (the output is then incomplete and must be discarded). */
typedef void (*kpool_task)(void *arg, int64_t begin, int64_t end, int thread_id);
int kpool_for(kpool *pool, const volatile int32_t *cancel, int64_t n, int64_t grain, kpool_task fn,
              void *arg);

/* ------------------------------------------------------------------ status, backends */
/* Every op's status must be read: the compiler flags a call that drops it. */
#define K_MUST_USE __attribute__((warn_unused_result))
/* What every op returns. Kernels never skip work silently: a failed scratch allocation
 * is KS_OOM, a request to stop is KS_CANCELLED (the output is then incomplete). */
typedef enum kstatus {
    KS_OK = 0,
    KS_CANCELLED = 1,   /* ctx->cancel was set: output incomplete, discard it */
    KS_OOM = 2,         /* host or device memory (or the device budget) exhausted */
    KS_BAD_ARG = 3,     /* sizes/strides/weights that do not fit the op */
    KS_UNSUPPORTED = 4, /* this backend has no such op / dtype */
    KS_DEVICE = 5,      /* a device (driver, library) call failed */
} kstatus;
const char *k_status_name(kstatus s);
/* Runs `call` only while st is KS_OK, so a sequence of ops stops at its first failure:
 *   kstatus st = KS_OK; K_THEN(st, k_linear(...)); K_THEN(st, k_silu(...)); */
#define K_THEN(st, call) ((void)((st) == KS_OK && ((st) = (call)) != KS_OK))

/* Where an op runs and where its pointers live. The CPU ISA level (kisa) is an internal
 * detail of the CPU backend, not a backend. */
typedef enum kbackend { KB_CPU = 0, KB_CUDA = 1 } kbackend;
typedef struct kcuda kcuda; /* one CUDA device: stream, handles, allocator (kernels/cuda/kcuda.h) */

/* ------------------------------------------------------------------ context */
typedef enum kprec { KP_EXACT = 0, KP_FAST = 1 } kprec;
typedef enum kisa { KISA_SCALAR = 0, KISA_AVX2 = 1, KISA_AVX512 = 2, KISA_AVX512BF16 = 3 } kisa;
kisa k_isa_best(void);            /* what this CPU supports (CPUID) */
const char *k_isa_name(kisa isa);

typedef struct kctx {
    kpool *pool;  /* may be NULL: single thread */
    kprec prec;
    kisa isa;     /* dispatch path; must be <= k_isa_best() */
    /* The run's cancel flag (may be NULL): pooled loops stop dealing chunks once it
     * is nonzero, so cancel latency is one chunk, not one kernel; the op then returns
     * KS_CANCELLED and the caller discards the (incomplete) result. */
    const volatile int32_t *cancel;
    kbackend backend; /* KB_CPU: pointers are host memory; KB_CUDA: device memory of `cuda` */
    kcuda *cuda;      /* the device for KB_CUDA; NULL otherwise */
    /* Workspace of the pass (may be NULL): ops take their scratch from it and give it
     * back before returning; callers may take activations from it too. */
    struct karena *arena;
    /* Memory (bytes) a pass may plan for on its backend, 0 = no limit of its own (a CUDA
     * device still enforces its budget). Model entry points decide weight residency
     * with it and refuse a run that cannot fit before doing any work; on the CPU a nonzero
     * budget makes a streamable model stream too (host slots, memcpy), which the tests use. */
    size_t budget;
} kctx;
/* Every kernel's parallel loop: kpool_for on ctx's pool with ctx's cancel flag. */
int k_for(const kctx *ctx, int64_t n, int64_t grain, kpool_task fn, void *arg);
kctx kctx_default(kpool *pool); /* exact precision, best ISA, CPU, no arena */

/* ------------------------------------------------------------------ memory of the backend */
/* Host memory (64-byte aligned) on the CPU, device memory of ctx->cuda on CUDA. */
K_MUST_USE kstatus k_alloc(const kctx *ctx, size_t bytes, void **out);
void k_free(const kctx *ctx, void *p);
/* Same numbering as kcuda_dir. On the CPU every direction is a memmove; on every backend a
 * D2D copy may overlap (memmove semantics: a buffer can shift in place). */
typedef enum kcopy_dir { K_H2D = 0, K_D2H = 1, K_D2D = 2 } kcopy_dir;
K_MUST_USE kstatus k_copy(const kctx *ctx, void *dst, const void *src, size_t bytes, kcopy_dir dir);
K_MUST_USE kstatus k_memset0(const kctx *ctx, void *p, size_t bytes);
/* Waits for the queued work of the backend (nothing to wait for on the CPU). */
K_MUST_USE kstatus k_sync(const kctx *ctx);

/* ------------------------------------------------------------------ weight streaming */
/* Host memory that uploads to ctx's device read at full speed without staging (pinned
 * on CUDA; plain host memory on the CPU). Free with k_pinned_free on the same backend. */
K_MUST_USE kstatus k_pinned_alloc(const kctx *ctx, size_t bytes, void **out);
void k_pinned_free(const kctx *ctx, void *p);
/* A transfer queue beside ctx's compute queue with n_slots device slots (kcuda_xfer on
 * CUDA): k_xfer_load queues an upload of pinned src into a slot once the slot was
 * released, k_xfer_acquire orders the compute queue after that upload, k_xfer_release
 * frees the slot after the compute work queued so far. No call waits on the host. On the
 * CPU a load is a memcpy and the rest are checks, so the same code runs there. */
typedef struct kxfer kxfer;
K_MUST_USE kstatus k_xfer_create(const kctx *ctx, int n_slots, kxfer **out);
void k_xfer_destroy(kxfer *x); /* NULL-safe; waits for queued uploads */
K_MUST_USE kstatus k_xfer_load(kxfer *x, int slot, void *dst, const void *src, size_t bytes);
K_MUST_USE kstatus k_xfer_acquire(kxfer *x, int slot);
K_MUST_USE kstatus k_xfer_release(kxfer *x, int slot);

/* ------------------------------------------------------------------ workspace arena */
/* A bump allocator over chunks of backend memory (k_alloc of the ctx it was made for):
 * allocations are 64-byte aligned; k_arena_release rewinds to a mark, k_arena_reset to
 * empty (once per pass); chunks are kept, so a repeated pass allocates nothing. Grows by
 * chunks of chunk_bytes (or the request when larger); limit_bytes > 0 caps the memory
 * held (KS_OOM beyond it). Not thread-safe: one pass at a time. */
typedef struct karena karena;
typedef struct kmark {
    int chunk;
    size_t off, used_before;
} kmark;
K_MUST_USE kstatus k_arena_create(const kctx *ctx, size_t chunk_bytes, size_t limit_bytes, karena **out);
void k_arena_destroy(karena *a);
K_MUST_USE kstatus k_arena_alloc(karena *a, size_t bytes, void **out);
kmark k_arena_mark(const karena *a);
void k_arena_release(karena *a, kmark m);
void k_arena_reset(karena *a);
size_t k_arena_peak(const karena *a); /* most bytes in use at once */
size_t k_arena_held(const karena *a); /* bytes of chunks held */
/* Makes the chunk at the bump point hold at least `bytes` (replacing a smaller one), so
 * allocations summing to that much from here fit in one chunk: a pass that knows its
 * peak reserves it once and no chunk is made or wasted inside it. Peak unchanged. */
K_MUST_USE kstatus k_arena_reserve(karena *a, size_t bytes);
/* Bytes of backend memory k_arena_reserve(a, bytes) would allocate beyond what a holds
 * (0 when the chunk at the bump point is large enough). */
size_t k_arena_fresh_for(const karena *a, size_t bytes);

/* ------------------------------------------------------------------ dtypes */
/* Same numbering as ltx2_dtype so callers need no translation table. */
typedef enum kdtype { KD_F32 = 0, KD_F16 = 1, KD_BF16 = 2, KD_F8_E4M3 = 3, KD_F8_E5M2 = 4 } kdtype;
size_t k_dtype_size(kdtype dt);
float k_bf16_to_f32(uint16_t v);
uint16_t k_f32_to_bf16(float v); /* round to nearest even; NaN stays NaN */
float k_f16_to_f32(uint16_t v);
uint16_t k_f32_to_f16(float v);
float k_e4m3_to_f32(uint8_t v); /* OCP FP8 E4M3FN (no inf, 0x7f/0xff NaN) */
float k_e5m2_to_f32(uint8_t v); /* OCP FP8 E5M2 (IEEE-like) */
uint8_t k_f32_to_e4m3(float v); /* saturating, round to nearest even */
/* dst[i] = (float)src[i] for n elements of dtype dt (contiguous). */
void k_to_f32(kdtype dt, const void *src, float *dst, int64_t n);
/* Rounds n floats to bf16 precision in place (fast-precision activations). */
void k_round_bf16(float *x, int64_t n);
/* The same on ctx's backend (x in its memory). */
K_MUST_USE kstatus k_round_bf16_on(const kctx *ctx, float *x, int64_t n);

/* ------------------------------------------------------------------ GEMM */
/* A weight matrix W[rows][cols] as stored (PyTorch Linear: [out][in]). */
typedef struct kmat {
    kdtype dtype;
    const void *data;
    int64_t rows, cols; /* n (outputs) × k (inputs) */
    int64_t ld;         /* row stride in elements (>= cols) */
    float scale;        /* multiplies every element (FP8 per-tensor scale); 1 otherwise */
} kmat;

/* A weight matrix re-laid once for the micro-kernel (stays in its dtype; bf16 for
 * f32 weights only when built for KP_FAST). */
typedef struct kpacked kpacked;
/* *out NULL on a CUDA context (its GEMMs read the stored weights) and on failure. */
K_MUST_USE kstatus k_pack(const kctx *ctx, const kmat *w, kpacked **out);
void k_packed_free(kpacked *p);

/* y[m][n] (+)= x[m][k] · Wᵀ + bias[n].  packed may be NULL (packs panels on the fly).
 * bias may be NULL. accumulate != 0 adds into y. */
K_MUST_USE kstatus k_linear(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
              const kpacked *packed, const float *bias, float *y, int64_t ldy, int accumulate);

/* The transformer feed-forward: y[n][od] (+)= gelu_tanh(x·W1ᵀ + b1)·W2ᵀ + b2 (biases may be
 * NULL). The CPU runs it in chunks of rows so the hidden activations stay small; CUDA in
 * fast precision with bf16 weights puts the GELU on the first GEMM's epilogue and keeps
 * the hidden activations in bf16 (kcuda_feedforward_fused). */
K_MUST_USE kstatus k_feedforward(const kctx *ctx, int64_t n, const float *x, int64_t ldx, const kmat *w1,
                                 const float *b1, const kmat *w2, const float *b2, float *y, int64_t ldy,
                                 int accumulate);

/* Plain f32 GEMM: C = alpha·op(A)·op(B) + beta·C, op = transpose when trans != 0.
 * op(A) is m×k, op(B) is k×n. Exact precision regardless of ctx->prec. */
K_MUST_USE kstatus k_sgemm(const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
             float *c, int64_t ldc);

/* ------------------------------------------------------------------ attention */
/* Flash-style (online softmax, never N×N). q: [nq][n_heads*head_dim] rows of ldq,
 * k/v: [nkv][n_kv_heads*head_dim], out: [nq][n_heads*head_dim]. Query head h uses
 * KV head h / (n_heads / n_kv_heads) (grouped-query). */
typedef struct kattn {
    int64_t nq, nkv;
    int n_heads, n_kv_heads, head_dim;
    const float *q; int64_t ldq;
    const float *k; int64_t ldk;
    const float *v; int64_t ldv;
    float *out;     int64_t ldo;
    const float *key_bias; /* [nkv] added to every score (0 / large negative); NULL none */
    int causal;            /* key j visible to query i iff j <= i + (nkv - nq) */
    int64_t window;        /* > 0: also j > i + (nkv - nq) - window (sliding window) */
    float scale;           /* score scale, usually 1/sqrt(head_dim) */
} kattn;
K_MUST_USE kstatus k_attention(const kctx *ctx, const kattn *a);

/* ------------------------------------------------------------------ convolution */
typedef enum kpad { KPAD_ZEROS = 0, KPAD_REFLECT = 1, KPAD_REPLICATE = 2 } kpad;

/* Conv weights re-laid once for the implicit-GEMM kernel. w is the PyTorch weight
 * [cout][cin][kt][kh][kw] seen as a kmat of rows=cout, cols=cin*kt*kh*kw. */
typedef struct kconvw kconvw;
typedef struct kcuda_convw kcuda_convw; /* device weights (kernels/cuda/kcuda.h) */
/* On a CPU context k_convw_pack makes the packed panels; on a CUDA context only the
 * device weights (member `cuda`). Free either with k_convw_free. */
K_MUST_USE kstatus k_convw_pack(const kctx *ctx, const kmat *w, int64_t cin, int kt, int kh, int kw, kconvw **out);
/* Transposed conv weight, PyTorch [cin][cout][k] seen as kmat rows=cin, cols=cout*k. */
K_MUST_USE kstatus k_convw_pack_transposed1d(const kctx *ctx, const kmat *w, int64_t cout, int k, kconvw **out);
void k_convw_free(kconvw *w);
/* Bytes of packed weight panels held (bf16 panels for bf16/fp8/bf16-exact f16 weights). */
size_t k_convw_bytes(const kconvw *w);

/* General channels-last convolution over (t, h, w); 2D is t=1,kt=1; 1D is t=h=1.
 * x: [t][h][w][cin], y: [to][ho][wo][cout] with to = (t + pt0 + pt1 - dt*(kt-1) - 1)/st + 1
 * (same for h, w). Padding on each side of each axis; the mode of each axis says
 * what the padded values are (REPLICATE on t = repeat the first/last frame). */
typedef struct kconv {
    int64_t t, h, w, cin, cout;
    int kt, kh, kw;
    int st, sh, sw;
    int dt, dh, dw;             /* dilation (1 = none) */
    int pt0, pt1, ph0, ph1, pw0, pw1;
    kpad tpad, hpad, wpad;
    const float *x;
    const kconvw *weights;
    const float *bias;          /* [cout] or NULL */
    float *y;
} kconv;
K_MUST_USE kstatus k_conv(const kctx *ctx, const kconv *c);
/* Scratch bytes k_conv takes from ctx's arena for c (64-byte rounded, as the arena
 * hands them out); 0 on CUDA, whose convolution takes none. Memory plans use it. */
size_t k_conv_scratch(const kctx *ctx, const kconv *c);
int64_t k_conv_out_len(int64_t in, int k, int stride, int dilation, int pad0, int pad1);

/* Transposed 1D convolution (vocoder upsampling): x [len][cin] → y [len_out][cout],
 * len_out = (len-1)*stride - 2*pad + dilation*(k-1) + output_padding + 1. */
typedef struct kconvt1d {
    int64_t len, cin, cout;
    int k, stride, pad, dilation, output_padding;
    const float *x;
    const kconvw *weights;      /* from k_convw_pack_transposed1d */
    const float *bias;
    float *y;
} kconvt1d;
/* Its output length (<= 0: no output for these arguments). */
int64_t k_conv_transpose1d_out_len(const kconvt1d *c);
K_MUST_USE kstatus k_conv_transpose1d(const kctx *ctx, const kconvt1d *c);

/* ------------------------------------------------------------------ norms */
/* y = x / sqrt(mean(x²) + eps) * (w_offset + w)   (w NULL: no weight).
 * Gemma uses w_offset = 1, LTX-2 uses 0. x and y may alias. */
K_MUST_USE kstatus k_rmsnorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
               const float *w, float w_offset, float eps, float *y, int64_t ldy);
/* k_rmsnorm (no weight) then k_modulate, dense rows: y = rms(x)·(1 + scale) + shift, the
 * transformer's AdaLN input in one pass on a device. Same arithmetic as the two ops. */
K_MUST_USE kstatus k_rmsnorm_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, float eps,
                                      const float *scale, const float *shift, float *y);
/* LayerNorm without affine: y = (x - mean) / sqrt(var + eps). */
K_MUST_USE kstatus k_layernorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                 float eps, float *y, int64_t ldy);
/* GroupNorm over channels-last data x[n_pos][c]: statistics per group over all
 * positions and the group's channels; gamma/beta [c] or NULL. */
K_MUST_USE kstatus k_groupnorm(const kctx *ctx, int64_t n_pos, int64_t c, int groups, const float *x,
                 const float *gamma, const float *beta, float eps, float *y);
/* PixelNorm: y = x / sqrt(mean over channels of x² + eps), per position. */
K_MUST_USE kstatus k_pixelnorm(const kctx *ctx, int64_t n_pos, int64_t c, const float *x, float eps, float *y);
/* Softmax over each row of length n, in place. */
K_MUST_USE kstatus k_softmax(const kctx *ctx, int64_t rows, int64_t n, float *x, int64_t ld);

/* ------------------------------------------------------------------ RoPE */
/* x: [tokens][dim] (ld), rotated in place. cos/sin: [tokens][dim/2] (ld_cs).
 * SPLIT: pair p belongs to head h = p / (head_dim/2), j = p % (head_dim/2), and rotates
 *        dims (h*head_dim + j, h*head_dim + j + head_dim/2).
 * INTERLEAVED: pair p rotates dims (2p, 2p+1); head_dim is ignored.
 * y_a = x_a·cos − x_b·sin,  y_b = x_b·cos + x_a·sin. */
typedef enum krope_layout { KROPE_SPLIT = 0, KROPE_INTERLEAVED = 1 } krope_layout;
K_MUST_USE kstatus k_rope(const kctx *ctx, krope_layout layout, int64_t tokens, int64_t dim, int64_t head_dim,
            float *x, int64_t ldx, const float *cos, const float *sin, int64_t ld_cs);
/* k_rmsnorm (weight w, offset 0) then k_rope, in place on x [rows][dim] (ldx apart): the
 * transformer's q/k path in one pass over x on a device. Same arithmetic as the two ops. */
K_MUST_USE kstatus k_rmsnorm_rope(const kctx *ctx, int64_t rows, int64_t dim, float *x, int64_t ldx, const float *w,
                                  float eps, krope_layout layout, int64_t head_dim, const float *cos, const float *sin,
                                  int64_t ld_cs);

/* LTX-2's RoPE tables cos/sin [n][half]: slots [0, pad) and [pad + nf·n_axes, half) are
 * identity (1, 0); slot pad + k·n_axes + a holds the angle freq[k]·(2·pos/max_pos[a] − 1)
 * with pos the middle (middle != 0) or the start of token i's bound on axis a. positions
 * [n_axes][n][2] in ctx's memory, freq [nf] in host memory; round_bf16 rounds the values
 * (fast precision). */
typedef struct krope_table {
    int64_t n;
    int n_axes, half, pad, nf, middle, round_bf16;
    const float *positions;
    float max_pos[3];
    const float *freq;
} krope_table;
K_MUST_USE kstatus k_rope_table(const kctx *ctx, const krope_table *t, float *cos, float *sin);
/* The arguments k_rope_table accepts (both backends refuse the rest with KS_BAD_ARG). */
static inline int k_rope_table_ok(const krope_table *t, const float *cos, const float *sin)
{
    return t && t->n >= 0 && t->n_axes >= 1 && t->n_axes <= 3 && t->pad >= 0 && t->nf >= 0 &&
           t->pad + t->nf * t->n_axes <= t->half && (t->n == 0 || (t->positions && cos && sin)) &&
           (t->nf == 0 || t->freq);
}

/* ------------------------------------------------------------------ activations and elementwise */
/* All in place-safe (y may equal x), n elements, contiguous. */
K_MUST_USE kstatus k_gelu_tanh(const kctx *ctx, const float *x, float *y, int64_t n);
K_MUST_USE kstatus k_silu(const kctx *ctx, const float *x, float *y, int64_t n);
K_MUST_USE kstatus k_leaky_relu(const kctx *ctx, const float *x, float *y, int64_t n, float slope);
K_MUST_USE kstatus k_tanh(const kctx *ctx, const float *x, float *y, int64_t n);
K_MUST_USE kstatus k_add(const kctx *ctx, const float *a, const float *b, float *y, int64_t n);
K_MUST_USE kstatus k_mul(const kctx *ctx, const float *a, const float *b, float *y, int64_t n);
K_MUST_USE kstatus k_scale(const kctx *ctx, const float *x, float s, float *y, int64_t n);
/* y[i] = value for n elements (masks). */
K_MUST_USE kstatus k_fill(const kctx *ctx, float *y, float value, int64_t n);
/* y = clamp((x + shift) · scale, lo, hi) (decoder pixels [-1, 1] to [0, 1]). */
K_MUST_USE kstatus k_shift_scale_clamp(const kctx *ctx, const float *x, float shift, float scale, float lo, float hi, float *y,
                         int64_t n);
/* y[r][i] = x[r][i] * (1 + scale[i]) + shift[i] (AdaLN modulate; broadcast over rows). */
K_MUST_USE kstatus k_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *scale,
                const float *shift, float *y);
/* y[r][i] += gate[i] * x[r][i] (gated residual; broadcast over rows). */
K_MUST_USE kstatus k_gated_add(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *gate,
                 float *y);
/* y[r][i] = x[r][i] + b[i] (bias / channel broadcast over rows). */
K_MUST_USE kstatus k_add_row(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *b, float *y);

/* ------------------------------------------------------------------ layout ops (channels-last) */
/* depth-to-space: x [t][h][w][c*pt*ph*pw] → y [t*pt][h*ph][w*pw][c]; input channel index
 * is ((ci*pt + i)*ph + j)*pw + k  (einops "(c p1 p2 p3)"). */
K_MUST_USE kstatus k_depth_to_space3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt,
                        int ph, int pw, const float *x, float *y);
/* Inverse of k_depth_to_space3d (same arguments): x [t*pt][h*ph][w*pw][c] → y [t][h][w][c*pt*ph*pw]. */
K_MUST_USE kstatus k_space_to_depth3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt,
                        int ph, int pw, const float *x, float *y);
/* The video VAE's patchify: x [t][h*p][w*p][c] → y [t][h][w][c*p*p], output channel
 * (ci*p + r)*p + q for row offset q and column offset r (einops "(c r q)"). h, w are the
 * patched sizes; k_unpatchify2d (same arguments) is the inverse. */
K_MUST_USE kstatus k_patchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p,
                                const float *x, float *y);
K_MUST_USE kstatus k_unpatchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p,
                                  const float *x, float *y);
/* Nearest-neighbour upsampling by integer factors, channels-last. */
K_MUST_USE kstatus k_upsample_nearest3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int ft,
                          int fh, int fw, const float *x, float *y);
/* x [rows][cols][width] → y [cols][rows][width] (audio latent [C][T][M] ↔ tokens [T][C·M]). */
K_MUST_USE kstatus k_transpose_blocks(const kctx *ctx, int64_t rows, int64_t cols, int64_t width, const float *x,
                                      float *y);
/* Layout change [c][n] ↔ [n][c] (NCDHW ↔ channels-last for a batch of 1). */
K_MUST_USE kstatus k_transpose2d(const kctx *ctx, int64_t rows, int64_t cols, const float *x, float *y);

/* ------------------------------------------------------------------ audio: latent statistics, strided copies, mel front end */
/* y[r][i] = x[r][i]·std[i] + mean[i] (a latent un-normalised with per-column statistics). */
K_MUST_USE kstatus k_denormalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                                      const float *std, float *y);
/* y[r][i] = (x[r][i] − mean[i]) / std[i]. */
K_MUST_USE kstatus k_normalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                                    const float *std, float *y);
/* y[i·ys[0] + j·ys[1] + k·ys[2]] = x[i·xs[0] + j·xs[1] + k·xs[2]] for i < n[0], j < n[1],
 * k < n[2] (n, xs, ys: host arrays of 3; strides in elements): a permutation, crop, channel
 * slice or, into a zeroed y, a zero pad in one pass. x and y must not overlap. */
K_MUST_USE kstatus k_strided_copy3d(const kctx *ctx, const int64_t *n, const float *x, const int64_t *xs,
                                    float *y, const int64_t *ys);
/* The mel front end's steps. Frames of an STFT centred on t·hop with reflect padding:
 * y[t][j] = x[reflect(t·hop + j − n_fft/2)] for t < frames, j < n_fft (n > n_fft/2). */
K_MUST_USE kstatus k_stft_frames(const kctx *ctx, int64_t n, const float *x, int n_fft, int hop, int64_t frames,
                                 float *y);
/* y[r][k] = sqrt(x[r][k]² + x[r][n + k]²): rows of n real parts then n imaginary parts. */
K_MUST_USE kstatus k_complex_magnitude(const kctx *ctx, int64_t rows, int64_t n, const float *x, float *y);
/* y = log(max(x, lo)) on n elements (natural log). */
K_MUST_USE kstatus k_log_clamp(const kctx *ctx, const float *x, float lo, float *y, int64_t n);
/* Band-limited resampling by up/down (a reduced ratio) with a Hann-windowed sinc of `width`
 * zero crossings at the cutoff rolloff·min(up, down) of the finer grid, in double
 * precision: x [rows][n] → y [rows][k_resample_len(n, up, down)] (= ceil(n·up/down)). */
int64_t k_resample_len(int64_t n, int64_t up, int64_t down);
K_MUST_USE kstatus k_resample_sinc(const kctx *ctx, int64_t rows, int64_t n, const float *x, int64_t up, int64_t down,
                                   double width, double rolloff, float *y);

/* ------------------------------------------------------------------ sampler steps */
/* Latents are [n tokens][ch channels]; mask[i] is token i's denoise strength (1 = noise
 * it, 0 = keep its clean value). */
/* x[i][c] = noise[i][c]·m + x[i][c]·(1 − m), m = mask[i]·scale (noising at the start). */
K_MUST_USE kstatus k_noise_blend(const kctx *ctx, int64_t n, int64_t ch, const float *mask, float scale,
                                 const float *noise, float *x);
/* x0[i][c] = x[i][c] − v[i][c]·t[i] (velocity to denoised, per-token timestep t). */
K_MUST_USE kstatus k_x0_from_velocity(const kctx *ctx, int64_t n, int64_t ch, const float *x, const float *v,
                                      const float *t, float *x0);
/* Euler step with mask blending: den = x0·m + clean·(1 − m); x += (x − den)/sigma ·
 * (sigma_next − sigma), or x = den when sigma == 0. */
K_MUST_USE kstatus k_euler_step(const kctx *ctx, int64_t n, int64_t ch, const float *mask, const float *clean,
                                const float *x0, float sigma, float sigma_next, float *x);
/* Guidance in place on n elements: p = c; p += k_text·(c − uncond_text); p += k_stg·(c −
 * uncond_perturbed); p += k_mod·(c − uncond_isolated), in this order; a NULL term is skipped. */
K_MUST_USE kstatus k_guidance_combine(const kctx *ctx, int64_t n, float *cond, const float *uncond_text,
                                      float k_text, const float *uncond_perturbed, float k_stg,
                                      const float *uncond_isolated, float k_mod);
/* Sample standard deviation (divisor n − 1, double accumulation) of n values into *out,
 * host memory (a CUDA context waits for it); NaN for n < 2. The same value on any pool. */
K_MUST_USE kstatus k_std(const kctx *ctx, const float *x, int64_t n, float *out);


/* ------------------------------------------------------------------ video VAE and upscaler steps */
/* A normalized latent NCFHW z [C][n] into the model's units, channels-last x [n][C]:
 * x[i][c] = z'·std[c] + mean[c] with z' = noise[c][i]·s + (1 − s)·z[c][i] when noise
 * ([C][n]) is given (the decoder's noise mix), else z' = z[c][i]. */
K_MUST_USE kstatus k_latent_unnormalize(const kctx *ctx, int64_t C, int64_t n, const float *z, const float *noise,
                                        float s, const float *mean, const float *std, float *x);
/* Back to a normalized NCFHW latent: z[c][i] = (x[i·ldx + c] − mean[c]) / std[c] for the
 * first C channels of channels-last rows x (ldx >= C). */
K_MUST_USE kstatus k_latent_normalize(const kctx *ctx, int64_t n, int64_t C, const float *x, int64_t ldx,
                                      const float *mean, const float *std, float *z);
/* y[r][j] += x[r][j % xdim] for j < dim (a residual whose channels repeat). */
K_MUST_USE kstatus k_add_repeat(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t xdim, float *y);
/* y[r][k] += (x[r][k·g] + ... + x[r][k·g + g − 1]) / g for k < dim (x rows of dim·g,
 * summed in that order): the mean of each group of g channels. */
K_MUST_USE kstatus k_add_group_mean(const kctx *ctx, int64_t rows, int64_t dim, int64_t g, const float *x,
                                    float *y);
/* Depthwise blur of each frame with one k×k kernel (k odd, zero padding k/2, stride):
 * x [t][h][w][c] → y [t][ho][wo][c], ho = (h − 1)/stride + 1 (same for w),
 * y = Σ kern[a·k + b]·x[i·stride + a − k/2][j·stride + b − k/2] over the taps inside the
 * frame, in row-major tap order. */
K_MUST_USE kstatus k_blur2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, const float *kern, int k,
                            int stride, const float *x, float *y);
/* A box of a 3-D grid [t][h][w]: corner (t0, h0, w0), size nt × nh × nw (inside the grid). */
typedef struct kbox3d {
    int64_t t, h, w;
    int64_t t0, h0, w0;
    int64_t nt, nh, nw;
} kbox3d;
/* x [n][t][h][w] → y [n][nt][nh][nw]: the box of each of the n leading slabs (a tile of an
 * NCFHW latent). */
K_MUST_USE kstatus k_crop3d(const kctx *ctx, int64_t n, const kbox3d *b, const float *x, float *y);
/* A tile blended into a channels-last video y [t][h][w][ch] over the box b:
 * y[t0 + a][h0 + i][w0 + j][k] += x[a][i][j][k]·((mt[a]·mh[i])·mw[j]), x rows
 * [.][xh][xw][ch] (a tile may be larger than its box). */
K_MUST_USE kstatus k_blend_box3d(const kctx *ctx, const kbox3d *b, int64_t ch, const float *x, int64_t xh,
                                 int64_t xw, const float *mt, const float *mh, const float *mw, float *y);
/* y[a][i][j][k] /= ws, ws = (wt[a]·wh[i])·ww[j] raised to min_w when below it: the
 * weighted average of blended tiles whose weights are separable. */
K_MUST_USE kstatus k_div_separable(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t ch, const float *wt,
                                   const float *wh, const float *ww, float min_w, float *y);

/* ------------------------------------------------------------------ text encoder steps */
/* Embedding gather: y[t][0..cols) = widen(table row ids[t])·table->scale·scale (products
 * rounded one at a time, in that order). ids [n] in ctx's memory; a row whose id is
 * negative or >= table->rows is left as it is (the caller fills it: image soft tokens). */
K_MUST_USE kstatus k_embed_rows(const kctx *ctx, const kmat *table, const int32_t *ids, int64_t n, float scale,
                                float *y, int64_t ldy);
/* For each of `slabs` runs of n values x[s·n .. s·n + n): the sum (double accumulation),
 * the minimum and the maximum (FLT_MAX / −FLT_MAX for an empty run; NaNs ignored) into
 * the host arrays sum/lo/hi [slabs] (a CUDA context waits for them). The CPU sums each
 * run in index order on any pool; CUDA in a fixed tree order. */
K_MUST_USE kstatus k_sum_min_max(const kctx *ctx, int64_t slabs, int64_t n, const float *x, double *sum, float *lo,
                                 float *hi);

#endif /* LTX2_KERNELS_H */
