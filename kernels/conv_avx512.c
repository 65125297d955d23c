/* conv_avx512.c — the 8 positions × 32 output channels micro-kernel of k_conv, over
 * f32 panels or bf16 panels widened in registers (one 64-byte load per row of 32). */
#include "conv_impl.h"

#include <immintrin.h>

enum { W_F32, W_BF16, W_BF16_SCALED };

/* kind is a constant at each call below, so every variant compiles to its own loop;
 * the FMA sequence is the same in all of them (bit-identical results). */
static inline __attribute__((always_inline)) void
tile(const float *const *rows, const int *tap, int n_taps, const void *panel, int kind,
     float scale, int64_t cin, const float *bias, float *const *y, int n_rows, int n_cols,
     int accumulate)
{
    __m512 c[KCONV_MR][2];
    __mmask16 m0 = n_cols >= 16 ? 0xffff : (__mmask16)((1u << n_cols) - 1u);
    __mmask16 m1 = n_cols >= 32 ? 0xffff : n_cols <= 16 ? 0 : (__mmask16)((1u << (n_cols - 16)) - 1u);
    __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000u);
    const __m512 s = _mm512_set1_ps(scale);
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
        const float *wf = (const float *)panel + (int64_t)tap[t] * cin * KCONV_NR;
        const uint16_t *wb = (const uint16_t *)panel + (int64_t)tap[t] * cin * KCONV_NR;
        for (int64_t ci = 0; ci < cin; ci++) {
            __m512 w0, w1;
            if (kind == W_F32) {
                w0 = _mm512_load_ps(wf + ci * KCONV_NR);
                w1 = _mm512_load_ps(wf + ci * KCONV_NR + 16);
            } else {
                __m512i v = _mm512_load_si512((const void *)(wb + ci * KCONV_NR));
                w0 = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
                w1 = _mm512_castsi512_ps(_mm512_and_si512(v, hi));
                if (kind == W_BF16_SCALED) {
                    w0 = _mm512_mul_ps(w0, s);
                    w1 = _mm512_mul_ps(w1, s);
                }
            }
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

void k_conv_tile_avx512(const float *const *rows, const int *tap, int n_taps,
                        const float *panel, int64_t cin, const float *bias, float *const *y,
                        int n_rows, int n_cols, int accumulate)
{
    tile(rows, tap, n_taps, panel, W_F32, 1.0f, cin, bias, y, n_rows, n_cols, accumulate);
}

void k_conv_tile_bf16_avx512(const float *const *rows, const int *tap, int n_taps,
                             const uint16_t *panel, float scale, int64_t cin, const float *bias,
                             float *const *y, int n_rows, int n_cols, int accumulate)
{
    if (scale == 1.0f)
        tile(rows, tap, n_taps, panel, W_BF16, 1.0f, cin, bias, y, n_rows, n_cols, accumulate);
    else
        tile(rows, tap, n_taps, panel, W_BF16_SCALED, scale, cin, bias, y, n_rows, n_cols,
             accumulate);
}
