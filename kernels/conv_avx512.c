/* conv_avx512.c — the 8 positions × 32 output channels micro-kernel of k_conv. */
#include "conv_impl.h"

#include <immintrin.h>

void k_conv_tile_avx512(const float *const *rows, const int *tap, int n_taps,
                        const float *panel, int64_t cin, const float *bias, float *const *y,
                        int n_rows, int n_cols, int accumulate)
{
    __m512 c[KCONV_MR][2];
    __mmask16 m0 = n_cols >= 16 ? 0xffff : (__mmask16)((1u << n_cols) - 1u);
    __mmask16 m1 = n_cols >= 32 ? 0xffff : n_cols <= 16 ? 0 : (__mmask16)((1u << (n_cols - 16)) - 1u);
    __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
    _Pragma("GCC unroll 8")
    for (int r = 0; r < KCONV_MR; r++) {
        int load = accumulate && r < n_rows;
        c[r][0] = load ? _mm512_maskz_loadu_ps(m0, y[r]) : b0;
        c[r][1] = load ? _mm512_maskz_loadu_ps(m1, y[r] + 16) : b1;
    }
    for (int t = 0; t < n_taps; t++) {
        const float *const *x = rows + (int64_t)t * KCONV_MR;
        const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
        const float *x4 = x[4], *x5 = x[5], *x6 = x[6], *x7 = x[7];
        const float *w = panel + (int64_t)tap[t] * cin * KCONV_NR;
        for (int64_t ci = 0; ci < cin; ci++) {
            __m512 w0 = _mm512_load_ps(w + ci * KCONV_NR);
            __m512 w1 = _mm512_load_ps(w + ci * KCONV_NR + 16);
#define KCONV_ROW(r, p)                                                                            \
    do {                                                                                           \
        __m512 a = _mm512_set1_ps(p[ci]);                                                          \
        c[r][0] = _mm512_fmadd_ps(a, w0, c[r][0]);                                                 \
        c[r][1] = _mm512_fmadd_ps(a, w1, c[r][1]);                                                 \
    } while (0)
            KCONV_ROW(0, x0);
            KCONV_ROW(1, x1);
            KCONV_ROW(2, x2);
            KCONV_ROW(3, x3);
            KCONV_ROW(4, x4);
            KCONV_ROW(5, x5);
            KCONV_ROW(6, x6);
            KCONV_ROW(7, x7);
#undef KCONV_ROW
        }
    }
    for (int r = 0; r < n_rows; r++) {
        _mm512_mask_storeu_ps(y[r], m0, c[r][0]);
        _mm512_mask_storeu_ps(y[r] + 16, m1, c[r][1]);
    }
}
