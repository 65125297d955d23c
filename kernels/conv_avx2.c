/* conv_avx2.c — k_conv's micro-tile for AVX2+FMA: the 8×32 tile is done as four 4×16
 * sub-tiles, each 8 accumulators, so everything fits the 16 ymm registers. */
#include "conv_impl.h"

#include <immintrin.h>

static void sub_tile(const float *const *rows, const int *tap, int n_taps, const float *panel,
                     int64_t cin, const float *bias, float *const *y, int r0, int n_rows,
                     int c0, int n_cols, int accumulate)
{
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
        const float *w = panel + (int64_t)tap[t] * cin * KCONV_NR + c0;
        for (int64_t ci = 0; ci < cin; ci++) {
            __m256 w0 = _mm256_load_ps(w + ci * KCONV_NR);
            __m256 w1 = _mm256_load_ps(w + ci * KCONV_NR + 8);
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
            sub_tile(rows, tap, n_taps, panel, cin, bias, y, r0, n_rows, c0, n_cols, accumulate);
}
