/*
 * kcuda_internal.h — what the CUDA backend's own files share: the device struct, the
 * scratch workspace, error recording and the launchers of the .cu kernels. Plain C
 * (cuda_runtime_api.h and cublasLt.h are C headers) so host glue stays in .c files.
 */
#ifndef LTX2_KCUDA_INTERNAL_H
#define LTX2_KCUDA_INTERNAL_H

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <pthread.h>

#ifdef __cplusplus
extern "C" { /* kcuda.h and kernels.h are C: the .cu files define C symbols */
#endif

#include "kcuda.h"

/* One live allocation (open-addressed table keyed by pointer; NULL = empty slot). */
typedef struct kcuda_block {
    void *ptr;
    size_t bytes;
} kcuda_block;

typedef struct kcuda_prof kcuda_prof;
typedef struct kcuda_plans kcuda_plans;
/* The f32 input a fast GEMM last rounded to bf16 into the scratch (kcuda_gemm.c). */
typedef struct kcuda_rounded {
    const void *x;
    int64_t m, k, ld;
    const void *scratch;
    uint64_t epoch; /* the op that rounded it */
} kcuda_rounded;
struct kcuda {
    int ordinal;
    cudaStream_t stream;
    cublasLtHandle_t lt;
    size_t budget, in_use, peak;
    size_t total; /* the card's memory */
    kcuda_block *blocks; /* allocation table, power-of-two capacity */
    size_t blocks_cap, blocks_n;
    pthread_mutex_t lock; /* guards the allocation table and counters */
    void *scratch;        /* per-device workspace, reused by every op on the stream */
    size_t scratch_bytes;
    int sm_count;
    size_t smem_optin; /* shared memory a block may opt into */
    char name[320];
    char err[256]; /* last failure, for kcuda_last_error */
    char fp8_off[256]; /* why FP8 GEMMs fell back to bf16 ("" while they run) */
    kcuda_prof *prof;  /* per-op timing (LTX2_CUDA_PROFILE), or NULL */
    kcuda_plans *plans; /* cuBLASLt descriptors and algorithms by GEMM shape (kcuda_gemm.c) */
    uint64_t op_epoch;  /* advanced by every op and copy on the stream */
    kcuda_rounded rounded;
    int wgmma_ok;      /* an sm_90 card and the module's sm_90a code loaded (probed at creation) */
    kcuda_attn_kernel attn_kernel; /* fast attention choice: LTX2_ATTN_KERNEL, kcuda_set_attention_kernel */
    const char *attn_used;         /* kernel of the last kcuda_attention: "wgmma", "tc", "f32" */
    char note[256];    /* residency note (kcuda_set_note), under lock */
};

/* Makes d's device current for this thread; KS_DEVICE (and d->err) on failure. */
kstatus kcuda_enter(kcuda *d);
/* Records a failed CUDA call: KS_DEVICE, or KS_OOM for allocation failures. */
kstatus kcuda_fail(kcuda *d, cudaError_t e, const char *what);
/* After launches: KS_OK, or KS_DEVICE with the launch error recorded. */
kstatus kcuda_check_launch(kcuda *d, const char *what);
/* Scratch of at least bytes (grown through kcuda_alloc, so the budget applies), valid
 * until the next kcuda_scratch call; ops on the stream use it in order. */
kstatus kcuda_scratch(kcuda *d, size_t bytes, void **out);
/* The common prologue of an op: a CUDA context, not cancelled, device current; with a
 * profile, marks the op's start under its function's name. */
kstatus kcuda_op_begin_at(const kctx *ctx, const char *op);
#define kcuda_op_begin(ctx) kcuda_op_begin_at((ctx), __func__)
/* kcuda_profile.c: NULL unless LTX2_CUDA_PROFILE is set; a mark charges the time from
 * here to the next mark to name (a static string). */
kcuda_prof *kcuda_prof_create(void);
void kcuda_prof_destroy(kcuda_prof *p);
void kcuda_prof_mark(kcuda *d, const char *name);
/* kcuda_gemm.c: the GEMM plan cache, made lazily, freed with the device. */
void kcuda_plans_destroy(kcuda_plans *p);

/* The device scratch grows in steps of this many bytes (kcuda_scratch). */
#define KCUDA_SCRATCH_STEP ((size_t)16 << 20)

static inline size_t kcuda_align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }
static inline unsigned kcuda_blocks_for(int64_t n, int threads, unsigned cap)
{
    int64_t b = (n + threads - 1) / threads;
    return b < 1 ? 1u : b > (int64_t)cap ? cap : (unsigned)b;
}

/* ---------------------------------------------------------------- launchers (.cu) */
/* dst[r][c] (dense rows×cols, bf16 bits) = bf16_rne(src[r*ld + c]) */
void kcuda_launch_f32_to_bf16(cudaStream_t s, const float *src, int64_t rows, int64_t cols, int64_t ld,
                              uint16_t *dst);
/* dst dense rows×cols = e4m3(src · 448 / amax) with a per-tensor scale computed on the
 * device: scale_amax[0] receives the dequantising scale amax / 448 (where cuBLASLt reads it:
 * keep it 16-byte aligned, a scale pointer 4 bytes off an aligned address was refused
 * with NOT_SUPPORTED), scale_amax[4] holds amax. */
void kcuda_launch_f32_to_e4m3(cudaStream_t s, const float *src, int64_t rows, int64_t cols, int64_t ld,
                              float *scale_amax, uint8_t *dst);
/* dst dense rows×cols = widen(w) (f32, unscaled) or bf16_rne(widen(w)·scale) (to_bf16) */
void kcuda_launch_widen(cudaStream_t s, kdtype dt, const void *w, int64_t rows, int64_t cols, int64_t ld,
                        float scale, int to_bf16, void *dst);

/* Fast-precision attention on the tensor cores (kcuda_attention_tc.cu): for the head
 * dims it has tiles for (kcuda_attention_tc_fits); kcuda_attention picks it. */
int kcuda_attention_tc_fits(const kattn *a);
kstatus kcuda_attention_tc(const kctx *ctx, const kattn *a);
/* Fast-precision attention on Hopper's wgmma (kcuda_attention_wgmma.cu): head dims 64
 * and 128 without causal mask or window, on a device whose probe succeeded. */
int kcuda_attention_wgmma_fits(const kcuda *d, const kattn *a);
kstatus kcuda_attention_wgmma(const kctx *ctx, const kattn *a);
/* 1 when the module's code for d's device is the sm_90a build (runs a tiny kernel). */
int kcuda_attention_wgmma_probe(kcuda *d);

#ifdef __cplusplus
}
#endif

#endif /* LTX2_KCUDA_INTERNAL_H */
