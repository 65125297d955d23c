/* gemm_internal.h — shared by the GEMM driver (gemm.c), the packers (gemm_pack.c) and the
 * per-ISA micro-kernels (gemm_<isa>.c). Not part of the kernels.h contract.
 *
 * C[m][n] = A[m][k] · B[k][n]. B ("the weights") is cut into panels of GEMM_NR = 32
 * columns; every micro-kernel computes an MR × 32 tile over kc steps of k.
 * Panel formats (what the micro-kernel reads, kc rows of 32 columns each):
 *   KF_F32   f32  [k][32]
 *   KF_BF16W bf16 [k][32], 32-bit lane l holds (column l, column l+16): a shift and a
 *            mask widen it to two f32 vectors (exact arithmetic on bf16 weights)
 *   KF_DP    bf16 [k/2][32][2]: pairs along k for vdpbf16ps (fast precision)
 * A is packed per MR rows: f32 [kc][MR] (KF_F32, KF_BF16W) or bf16 [kc/2][MR][2] (KF_DP). */
#ifndef LTX2_GEMM_INTERNAL_H
#define LTX2_GEMM_INTERNAL_H

#include "kernels.h"

#define GEMM_NR 32
#ifndef GEMM_KC
#define GEMM_KC 512 /* even: KF_DP pairs never straddle a block (wall-clock tuned: 512 > 256 by ~8%) */
#endif

typedef enum kfmt { KF_F32 = 0, KF_BF16W = 1, KF_DP = 2 } kfmt;

/* c (ldc) = [add ? c : 0] + A·B over an MR × 32 tile; kc is even for KF_DP. */
typedef void (*gemm_ukr)(int64_t kc, const void *a, const void *b, float *c, int64_t ldc, int add);

typedef struct gemm_bsrc gemm_bsrc;
/* Optional SIMD packer for raw (unpacked) B: same contract as gemm_pack_b_panel;
 * returns 0 when it does not handle the case (the portable packer then does). */
typedef int (*gemm_packb)(const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0, int64_t kc,
                          kfmt fmt, float scale, int round_bf16, void *dst);

/* Optional SIMD packer for A: same contract as gemm_pack_a; returns 0 when it does not
 * handle the case. */
typedef int (*gemm_packa)(const float *a, int64_t lda, int trans, int64_t m, int64_t i0, int64_t k0, int64_t kc,
                          kfmt fmt, float mult, int round_bf16, void *dst);

/* out[r][n − n0] = Σ_k xa[r][k]·w[n][k] for r < m ≤ GEMV_MAX_M and n in [n0, n1): a few
 * rows against bf16 weights read in place (k_linear's decode-step path). */
#define GEMV_MAX_M 4
typedef void (*gemm_gemv_bf16)(int64_t m, const float *xa, int64_t k, const uint16_t *w, int64_t ldw, int64_t n0,
                               int64_t n1, float *out, int64_t ldo);

typedef struct gemm_arch {
    int mr;
    gemm_ukr ukr[3];   /* per kfmt; NULL: format not supported on this ISA */
    gemm_packb pack_b; /* may be NULL */
    gemm_packa pack_a; /* may be NULL */
    gemm_gemv_bf16 gemv_bf16; /* may be NULL: few rows then take the packed path */
} gemm_arch;

/* the micro-kernel set of an instruction set (clamped to what exists in this build) */
const gemm_arch *gemm_arch_for(kisa isa);

const gemm_arch *gemm_arch_scalar(void);
#if defined(LTX2_X86)
const gemm_arch *gemm_arch_avx2(void);
const gemm_arch *gemm_arch_avx512(void);
const gemm_arch *gemm_arch_avx512bf16(void);
/* the AVX-512 f32 / bf16-weight kernels, shared by the AVX-512 BF16 arch */
void gemm_ukr_avx512_f32(int64_t kc, const void *a, const void *b, float *c, int64_t ldc, int add);
void gemm_ukr_avx512_bf16w(int64_t kc, const void *a, const void *b, float *c, int64_t ldc, int add);
int gemm_packa_avx512(const float *a, int64_t lda, int trans, int64_t m, int64_t i0, int64_t k0, int64_t kc,
                      kfmt fmt, float mult, int round_bf16, void *dst);
void gemm_gemv_bf16_avx512(int64_t m, const float *xa, int64_t k, const uint16_t *w, int64_t ldw, int64_t n0,
                           int64_t n1, float *out, int64_t ldo);
int gemm_packb_avx512(const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0, int64_t kc, kfmt fmt,
                      float scale, int round_bf16, void *dst);
#endif

/* bytes per element of a panel format */
static inline int kfmt_size(kfmt f) { return f == KF_F32 ? 4 : 2; }

/* A weight matrix pre-packed by k_pack: panels of 32 columns, each [kp][32] in fmt. */
struct kpacked {
    kfmt fmt;
    int64_t n, k, kp;   /* kp = k rounded up to even */
    int fast;           /* 1: values are bf16(w*scale) (fast precision); 0: exact, unscaled */
    kdtype src_dtype;
    void *data;         /* n_panels * kp * 32 elements */
};

/* Where B comes from: a pre-packed matrix, or raw memory read through an element getter
 * (k_linear weights W[n][k] in any dtype, or k_sgemm's f32 B with optional transpose). */
struct gemm_bsrc {
    const kpacked *packed; /* used when non-NULL */
    kdtype dtype;
    const void *data;
    int64_t ld;
    int trans; /* 1: B(k, j) = data[j*ld + k] (Linear weights); 0: data[k*ld + j] */
};

/* Packs one panel with the arch's SIMD packer when it has one, else portably. */
void gemm_pack_b_any(const gemm_arch *arch, const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0,
                     int64_t kc, kfmt fmt, float scale, int round_bf16, void *dst);
/* Writes columns [j0, j0+32) × rows [k0, k0+kc) of B into dst in format fmt (kc even
 * or the tail of k; missing rows/columns are zero). scale multiplies each value and
 * round_bf16 rounds it (fast precision) before it is stored. */
void gemm_pack_b_panel(const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0, int64_t kc,
                       kfmt fmt, float scale, int round_bf16, void *dst);
/* Packs rows [i0, i0+mr) × k [k0, k0+kc) of A (a[i*lda+t], or a[t*lda+i] if trans) times
 * mult into dst in the A layout of fmt; rows past m are zero. */
void gemm_pack_a(const float *a, int64_t lda, int trans, int64_t m, int64_t k, int64_t i0, int64_t k0,
                 int64_t kc, int mr, kfmt fmt, float mult, int round_bf16, void *dst);

#endif
