/*
 * conv_impl.h — shared by conv.c (driver, packing, portable tiles) and the
 * conv_avx2.c / conv_avx512.c micro-kernels.
 * Convolution = implicit GEMM over "row pointers": an output position and a tap
 * select one input pixel, whose cin channels are contiguous (channels-last), or a
 * row of zeros for zero padding. No im2col buffer is ever built.
 */
#ifndef LTX2_CONV_IMPL_H
#define LTX2_CONV_IMPL_H

#include "kernels.h"

#define KCONV_NR 32 /* output channels per packed panel */
#define KCONV_MR 8  /* output positions per micro-tile */

/* Panels are [ncb][taps][cin][KCONV_NR]: f32, or bf16 when every weight value (before
 * the per-tensor scale) is exactly a bf16, so checkpoint weights stored in bf16/fp8
 * (and bf16-exact f16) are never held widened. Within a bf16 row of 32 the channels
 * are interleaved, slot 2j = channel j and slot 2j+1 = channel 16+j: one 32-bit lane
 * then holds channels j (low half) and 16+j (high half), so a shift and a mask widen
 * a whole row into its two f32 halves. */
struct kconvw {
    int64_t cin, cout, ncb; /* ncb: panels of KCONV_NR output channels */
    int taps;               /* kt*kh*kw (or k for transposed 1D) */
    int kt, kh, kw;
    int transposed;
    float *w;               /* f32 panels (scale folded in), or NULL */
    uint16_t *wb;           /* bf16 panels (channel pairs interleaved), or NULL */
    float scale;            /* multiplies each widened bf16 value; 1 for none */
    kcuda_convw *cuda;      /* device weights (CUDA context), or NULL */
    kctx cuda_ctx;          /* the context they were made on (to free them) */
};

/* bf16 panel slot of output channel l (0..31) of a row */
static inline int kconv_bf16_slot(int l) { return l < 16 ? 2 * l : 2 * (l - 16) + 1; }

/* One micro-tile: y rows (n_rows <= KCONV_MR valid, n_cols <= KCONV_NR valid)
 *   = (accumulate ? y : bias) + Σ_{t < n_taps} Σ_ci rows[t][r][ci] · panel[tap[t]][ci][:].
 * rows holds n_taps × KCONV_MR pointers to cin floats each (padding rows point at
 * zeros). bias: KCONV_NR floats (zero-padded) or NULL. */
typedef void (*kconv_tile_fn)(const float *const *rows, const int *tap, int n_taps,
                              const float *panel, int64_t cin, const float *bias,
                              float *const *y, int n_rows, int n_cols, int accumulate);
/* The same over a bf16 panel: each weight is widened, then multiplied by scale
 * (skipped when scale == 1) in f32, exactly as the f32 packer folds it, and the
 * accumulation order is the f32 tile's, so results are bit-identical. */
typedef void (*kconv_tile_bf16_fn)(const float *const *rows, const int *tap, int n_taps,
                                   const uint16_t *panel, float scale, int64_t cin,
                                   const float *bias, float *const *y, int n_rows, int n_cols,
                                   int accumulate);

void k_conv_tile_avx512(const float *const *rows, const int *tap, int n_taps,
                        const float *panel, int64_t cin, const float *bias, float *const *y,
                        int n_rows, int n_cols, int accumulate);
void k_conv_tile_bf16_avx512(const float *const *rows, const int *tap, int n_taps,
                             const uint16_t *panel, float scale, int64_t cin, const float *bias,
                             float *const *y, int n_rows, int n_cols, int accumulate);

void k_conv_tile_avx2(const float *const *rows, const int *tap, int n_taps, const float *panel,
                      int64_t cin, const float *bias, float *const *y, int n_rows, int n_cols, int accumulate);
void k_conv_tile_bf16_avx2(const float *const *rows, const int *tap, int n_taps,
                           const uint16_t *panel, float scale, int64_t cin, const float *bias,
                           float *const *y, int n_rows, int n_cols, int accumulate);

#endif
