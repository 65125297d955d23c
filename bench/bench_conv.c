/* bench_conv.c — k_conv 3D, 128 → 128 channels, 3×3×3 kernel, zero padding 1, on an
 * 8×32×32 channels-last input (a VAE decoder block shape). Ratio against our exact F32
 * GEMM rate, FLOP-counted as 2·positions·cout·cin·27. The same conv with bf16 weights
 * (packed as bf16 panels, widened in the micro-kernel) is timed against it. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct conv_arg {
    const kctx *ctx;
    const kconv *c;
} conv_arg;

static void run_conv(void *v) {
    conv_arg *a = v;
    BENCH_OK(k_conv(a->ctx, a->c));
}

void bench_conv3d(bench *b) {
    if (!bench_selected(b, "conv3d")) return;
    const int64_t T = 8, H = 32, W = 32, C = 128;
    const int ks = 3;
    double flop = 2.0 * (double)(T * H * W) * (double)C * (double)C * ks * ks * ks;
    kctx ctx = kctx_default(bench_pool(b));
    float *x = malloc(sizeof(float) * (size_t)(T * H * W * C));
    float *y = malloc(sizeof(float) * (size_t)(T * H * W * C));
    float *w = malloc(sizeof(float) * (size_t)(C * C * ks * ks * ks));
    float *bias = malloc(sizeof(float) * (size_t)C);
    uint16_t *wb = malloc(sizeof(uint16_t) * (size_t)(C * C * ks * ks * ks));
    kconvw *pw = NULL, *pwb = NULL;
    if (x && y && w && bias && wb) {
        bench_fill(x, T * H * W * C, 21);
        bench_fill(w, C * C * ks * ks * ks, 22);
        bench_fill(bias, C, 23);
        kmat wm = {KD_F32, w, C, C * ks * ks * ks, C * ks * ks * ks, 1.0f};
        BENCH_OK(k_convw_pack(&ctx, &wm, C, ks, ks, ks, &pw));
        for (int64_t i = 0; i < C * C * ks * ks * ks; i++) wb[i] = k_f32_to_bf16(w[i]);
        kmat wbm = {KD_BF16, wb, C, C * ks * ks * ks, C * ks * ks * ks, 1.0f};
        BENCH_OK(k_convw_pack(&ctx, &wbm, C, ks, ks, ks, &pwb));
    }
    if (pw) {
        kconv c = {0};
        c.t = T;
        c.h = H;
        c.w = W;
        c.cin = C;
        c.cout = C;
        c.kt = c.kh = c.kw = ks;
        c.st = c.sh = c.sw = 1;
        c.dt = c.dh = c.dw = 1;
        c.pt0 = c.pt1 = c.ph0 = c.ph1 = c.pw0 = c.pw1 = 1;
        c.tpad = c.hpad = c.wpad = KPAD_ZEROS;
        c.x = x;
        c.weights = pw;
        c.bias = bias;
        c.y = y;
        conv_arg a = {&ctx, &c};
        double s = bench_time(run_conv, &a, 4, 4.0);
        bench_row(b, "conv3d_128_8x32x32", "k_conv 3D 128->128 3x3x3 on 8x32x32", flop, s, "channels-last, zero pad 1");
        double g = bench_rate(b, "gemm_f32_n4096");
        if (g > 0) bench_ratio(b, "conv3d_vs_gemm", flop / s * 1e-9 / g);
        if (pwb) {
            c.weights = pwb;
            double sb = bench_time(run_conv, &a, 4, 4.0);
            bench_row(b, "conv3d_128_8x32x32_bf16w", "k_conv 3D as above, bf16 weights", flop, sb,
                      "bf16 panels widened in registers");
            bench_ratio(b, "conv3d_bf16w_vs_f32w", s / sb);
        }
    } else {
        bench_row(b, "conv3d_128_8x32x32", "k_conv 3D 128->128 3x3x3 on 8x32x32", flop, 0, "setup failed");
    }
    k_convw_free(pw);
    k_convw_free(pwb);
    free(wb);
    free(x);
    free(y);
    free(w);
    free(bias);
}
