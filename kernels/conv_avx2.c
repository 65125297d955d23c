/* conv_avx2.c — k_conv's micro-tile for AVX2+FMA: the 8×32 tile is done as four 4×16
 * sub-tiles, each 8 accumulators, so everything fits the 16 ymm registers. bf16
 * panels are widened in registers: a row's 32-bit lanes hold channels (j, 16+j), so
 * the c0 = 0 sub-tile shifts the low halves up and the c0 = 16 one masks the high. */
#include "conv_impl.h"

#include <immintrin.h>

enum { W_F32, W_BF16, W_BF16_SCALED };

/* kind is a constant at each call below: one specialised loop per weight kind, all
 * with the same FMA sequence (bit-identical results). */
static inline __attribute__((always_inline)) void
sub_tile(const float *const *rows, const int *tap, int n_taps, const void *panel, int kind,
         float scale, int64_t cin, const float *bias, float *const *y, int r0, int n_rows,
         int c0, int n_cols, int accumulate)
{
    const __m256i hi = _mm256_set1_epi32((int)0xffff0000u);
    const __m256 s = _mm256_set1_ps(scale);
    __m256 c[4][2];
    __m256 b0 = bias ? _mm256_loadu_ps(bias + c0) : _mm256_setzero_ps();
    __m256 b1 = bias ? _mm256_loadu_ps(bias + c0 + 8) : _mm256_setzero_ps();
    int nc = n_cols - c0 < 16 ? n_cols - c0 : 16;
    _Pragma("GCC unroll 4")
    for (int r = 0; r < 4; r++) {
        c[r][0] = b0;
        c[r][1] = b1;
        if (accumulate && r0 + r < n_rows) {
            float tmp[16] = {0};
            for (int l = 0; l < nc; l++) tmp[l] = y[r0 + r][c0 + l];
            c[r][0] = _mm256_loadu_ps(tmp);
            c[r][1] = _mm256_loadu_ps(tmp + 8);
        }
    }
    for (int t = 0; t < n_taps; t++) {
        const float *const *x = rows + (int64_t)t * KCONV_MR + r0;
        const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
        const float *w = (const float *)panel + (int64_t)tap[t] * cin * KCONV_NR + c0;
        const uint16_t *wb = (const uint16_t *)panel + (int64_t)tap[t] * cin * KCONV_NR;
        for (int64_t ci = 0; ci < cin; ci++) {
            __m256 w0, w1;
            if (kind == W_F32) {
                w0 = _mm256_load_ps(w + ci * KCONV_NR);
                w1 = _mm256_load_ps(w + ci * KCONV_NR + 8);
            } else {
                __m256i v0 = _mm256_load_si256((const __m256i *)(wb + ci * KCONV_NR));
                __m256i v1 = _mm256_load_si256((const __m256i *)(wb + ci * KCONV_NR + 16));
                if (c0 == 0) {
                    w0 = _mm256_castsi256_ps(_mm256_slli_epi32(v0, 16));
                    w1 = _mm256_castsi256_ps(_mm256_slli_epi32(v1, 16));
                } else {
                    w0 = _mm256_castsi256_ps(_mm256_and_si256(v0, hi));
                    w1 = _mm256_castsi256_ps(_mm256_and_si256(v1, hi));
                }
                if (kind == W_BF16_SCALED) {
                    w0 = _mm256_mul_ps(w0, s);
                    w1 = _mm256_mul_ps(w1, s);
                }
            }
            __m256 a;
            a = _mm256_broadcast_ss(x0 + ci);
            c[0][0] = _mm256_fmadd_ps(a, w0, c[0][0]);
            c[0][1] = _mm256_fmadd_ps(a, w1, c[0][1]);
            a = _mm256_broadcast_ss(x1 + ci);
            c[1][0] = _mm256_fmadd_ps(a, w0, c[1][0]);
            c[1][1] = _mm256_fmadd_ps(a, w1, c[1][1]);
            a = _mm256_broadcast_ss(x2 + ci);
            c[2][0] = _mm256_fmadd_ps(a, w0, c[2][0]);
            c[2][1] = _mm256_fmadd_ps(a, w1, c[2][1]);
            a = _mm256_broadcast_ss(x3 + ci);
            c[3][0] = _mm256_fmadd_ps(a, w0, c[3][0]);
            c[3][1] = _mm256_fmadd_ps(a, w1, c[3][1]);
        }
    }
    for (int r = 0; r < 4 && r0 + r < n_rows; r++) {
        float tmp[16];
        _mm256_storeu_ps(tmp, c[r][0]);
        _mm256_storeu_ps(tmp + 8, c[r][1]);
        float *dst = y[r0 + r] + c0;
        if (nc == 16) {
            _mm256_storeu_ps(dst, c[r][0]);
            _mm256_storeu_ps(dst + 8, c[r][1]);
        } else {
            for (int l = 0; l < nc; l++) dst[l] = tmp[l];
        }
    }
}

void k_conv_tile_avx2(const float *const *rows, const int *tap, int n_taps, const float *panel,
                      int64_t cin, const float *bias, float *const *y, int n_rows, int n_cols,
                      int accumulate)
{
    for (int r0 = 0; r0 < n_rows; r0 += 4)
        for (int c0 = 0; c0 < n_cols; c0 += 16)
            sub_tile(rows, tap, n_taps, panel, W_F32, 1.0f, cin, bias, y, r0, n_rows, c0, n_cols,
                     accumulate);
}

void k_conv_tile_bf16_avx2(const float *const *rows, const int *tap, int n_taps,
                           const uint16_t *panel, float scale, int64_t cin, const float *bias,
                           float *const *y, int n_rows, int n_cols, int accumulate)
{
    /* c0 constant in each call, so the widening choice is resolved at compile time */
    for (int r0 = 0; r0 < n_rows; r0 += 4) {
        if (scale == 1.0f) {
            sub_tile(rows, tap, n_taps, panel, W_BF16, 1.0f, cin, bias, y, r0, n_rows, 0,
                     n_cols, accumulate);
            if (n_cols > 16)
                sub_tile(rows, tap, n_taps, panel, W_BF16, 1.0f, cin, bias, y, r0, n_rows, 16,
                         n_cols, accumulate);
        } else {
            sub_tile(rows, tap, n_taps, panel, W_BF16_SCALED, scale, cin, bias, y, r0, n_rows,
                     0, n_cols, accumulate);
            if (n_cols > 16)
                sub_tile(rows, tap, n_taps, panel, W_BF16_SCALED, scale, cin, bias, y, r0,
                         n_rows, 16, n_cols, accumulate);
        }
    }
}
