/*
 * conv_impl.h — shared by conv.c (driver, packing, portable tile) and conv_avx512.c.
 * Convolution = implicit GEMM over "row pointers": an output position and a tap
 * select one input pixel, whose cin channels are contiguous (channels-last), or a
 * row of zeros for zero padding. No im2col buffer is ever built.
 */
#ifndef LTX2_CONV_IMPL_H
#define LTX2_CONV_IMPL_H

#include "kernels.h"

#define KCONV_NR 32 /* output channels per packed panel */
#define KCONV_MR 8  /* output positions per micro-tile */

struct kconvw {
    int64_t cin, cout, ncb; /* ncb: panels of KCONV_NR output channels */
    int taps;               /* kt*kh*kw (or k for transposed 1D) */
    int kt, kh, kw;
    int transposed;
    float *w;               /* [ncb][taps][cin][KCONV_NR], zero past cout */
};

/* One micro-tile: y rows (n_rows <= KCONV_MR valid, n_cols <= KCONV_NR valid)
 *   = (accumulate ? y : bias) + Σ_{t < n_taps} Σ_ci rows[t][r][ci] · panel[tap[t]][ci][:].
 * rows holds n_taps × KCONV_MR pointers to cin floats each (padding rows point at
 * zeros). bias: KCONV_NR floats (zero-padded) or NULL. */
typedef void (*kconv_tile_fn)(const float *const *rows, const int *tap, int n_taps,
                              const float *panel, int64_t cin, const float *bias,
                              float *const *y, int n_rows, int n_cols, int accumulate);

void k_conv_tile_avx512(const float *const *rows, const int *tap, int n_taps,
                        const float *panel, int64_t cin, const float *bias, float *const *y,
                        int n_rows, int n_cols, int accumulate);

void k_conv_tile_avx2(const float *const *rows, const int *tap, int n_taps, const float *panel,
                      int64_t cin, const float *bias, float *const *y, int n_rows, int n_cols, int accumulate);

#endif
