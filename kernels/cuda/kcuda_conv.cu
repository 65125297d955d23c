/*
 * kcuda_conv.cu — channels-last convolution (3D/2D/1D, per-axis padding modes, stride,
 * dilation) and transposed 1D convolution as one implicit GEMM in f32: output
 * positions × output channels, reduced over (tap, input channel). The activation tile
 * is gathered through the padding index maps of kernels/conv.c; weights stay in their
 * stored dtype, re-laid once as [tap][cin][cout] so tiles load along cout, and are
 * widened (·scale) as the tile is staged. The CPU computes convolutions in f32 in both
 * precisions; so does this.
 */
#include "kcuda_dtype.cuh"
#include "kcuda_internal.h"

#include <stdlib.h>
#include <string.h>

#define CV_BM 64 /* output positions per block */
#define CV_BN 64 /* output channels per block */
#define CV_BK 16 /* reduction elements per stage */
#define CV_THREADS 256

struct kcuda_convw {
    kdtype dtype;
    void *w; /* [taps][cin][cout] in dtype */
    float scale;
    int64_t cin, cout;
    int kt, kh, kw, transposed;
};

typedef struct cv_params {
    int64_t npos, to, ho, wo;  /* outputs */
    int64_t t, h, w, cin, cout; /* inputs */
    int kt, kh, kw, st, sh, sw, dt, dh, dw, pt0, ph0, pw0;
    kpad tpad, hpad, wpad;
    int transposed, tstride, tpad1d; /* transposed 1D: stride and padding */
    const float *x, *bias;
    float *y;
    kdtype dtype;
    const void *wgt;
    float scale;
} cv_params;

/* Input index along one axis for output o and tap i, or -1 for a zero (axis_map). */
__device__ __forceinline__ int64_t axis_src(int64_t o, int i, int64_t in, int stride, int dil, int pad0, kpad mode)
{
    int64_t u = o * stride - pad0 + (int64_t)i * dil;
    if (u >= 0 && u < in) return u;
    if (mode == KPAD_ZEROS) return -1;
    if (mode == KPAD_REFLECT) u = u < 0 ? -u : 2 * (in - 1) - u;
    return u < 0 ? 0 : u >= in ? in - 1 : u;
}

/* The input row (position index) that output pos reads through tap, or -1. */
__device__ __forceinline__ int64_t src_row(const cv_params &p, int64_t pos, int tap)
{
    if (p.transposed) { /* o = i·stride − pad + tap·dilation */
        int64_t num = pos + p.tpad1d - (int64_t)tap * p.dw;
        if (num < 0 || num % p.tstride) return -1;
        int64_t i = num / p.tstride;
        return i < p.w ? i : -1;
    }
    int64_t ow = pos % p.wo, oh = (pos / p.wo) % p.ho, ot = pos / (p.wo * p.ho);
    int a = tap / (p.kh * p.kw), b = (tap / p.kw) % p.kh, c = tap % p.kw;
    int64_t it = axis_src(ot, a, p.t, p.st, p.dt, p.pt0, p.tpad);
    int64_t ih = axis_src(oh, b, p.h, p.sh, p.dh, p.ph0, p.hpad);
    int64_t iw = axis_src(ow, c, p.w, p.sw, p.dw, p.pw0, p.wpad);
    if (it < 0 || ih < 0 || iw < 0) return -1;
    return (it * p.h + ih) * p.w + iw;
}

__global__ void __launch_bounds__(CV_THREADS) conv_kernel(cv_params p)
{
    __shared__ float as[CV_BK][CV_BM + 4];
    __shared__ float bs[CV_BK][CV_BN];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const int64_t pos0 = (int64_t)blockIdx.x * CV_BM, co0 = (int64_t)blockIdx.y * CV_BN;
    const int taps = p.kt * p.kh * p.kw;
    const int64_t kred = (int64_t)taps * p.cin;
    float acc[4][4];
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) {
            int64_t co = co0 + tx + 16 * c;
            acc[r][c] = p.bias && co < p.cout ? p.bias[co] : 0.0f;
        }
    for (int64_t r0 = 0; r0 < kred; r0 += CV_BK) {
        /* activations: 16 consecutive threads read 16 consecutive channels of a row */
        for (int e = threadIdx.x; e < CV_BK * CV_BM; e += CV_THREADS) {
            int rr = e % CV_BK, pp = e / CV_BK;
            int64_t r = r0 + rr, pos = pos0 + pp;
            float v = 0.0f;
            if (r < kred && pos < p.npos) {
                int tap = (int)(r / p.cin);
                int64_t ci = r % p.cin, row = src_row(p, pos, tap);
                if (row >= 0) v = p.x[row * p.cin + ci];
            }
            as[rr][pp] = v;
        }
        for (int e = threadIdx.x; e < CV_BK * CV_BN; e += CV_THREADS) {
            int cc = e % CV_BN, rr = e / CV_BN;
            int64_t r = r0 + rr, co = co0 + cc;
            bs[rr][cc] = r < kred && co < p.cout ? kcuda_load_as_f32(p.dtype, p.wgt, r * p.cout + co) * p.scale : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int rr = 0; rr < CV_BK; rr++) {
            float av[4], bv[4];
#pragma unroll
            for (int u = 0; u < 4; u++) {
                av[u] = as[rr][ty + 16 * u];
                bv[u] = bs[rr][tx + 16 * u];
            }
#pragma unroll
            for (int r = 0; r < 4; r++)
#pragma unroll
                for (int c = 0; c < 4; c++) acc[r][c] += av[r] * bv[c];
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
        int64_t pos = pos0 + ty + 16 * r;
        if (pos >= p.npos) continue;
#pragma unroll
        for (int c = 0; c < 4; c++) {
            int64_t co = co0 + tx + 16 * c;
            if (co < p.cout) p.y[pos * p.cout + co] = acc[r][c];
        }
    }
}

/* Re-lays the host weight (regular [cout][cin·taps] or transposed [cin][cout·taps]) as
 * [tap][cin][cout] in its dtype and uploads it. */
static kstatus convw_make(const kctx *ctx, const kmat *w, int64_t cin, int64_t cout, int taps, int transposed,
                          kcuda_convw **out)
{
    *out = NULL;
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (!w || !w->data || w->ld < w->cols) return KS_BAD_ARG;
    size_t es = k_dtype_size(w->dtype), n = (size_t)(taps * cin * cout);
    char *host = (char *)malloc(n * es);
    kcuda_convw *cw = (kcuda_convw *)calloc(1, sizeof *cw);
    if (!host || !cw) {
        free(host);
        free(cw);
        return KS_OOM;
    }
    for (int64_t r = 0; r < w->rows; r++)
        for (int64_t j = 0; j < w->cols; j++) {
            int64_t co = transposed ? j / taps : r, ci = transposed ? r : j / taps, t = j % taps;
            memcpy(host + (size_t)((t * cin + ci) * cout + co) * es,
                   (const char *)w->data + (size_t)(r * w->ld + j) * es, es);
        }
    s = kcuda_alloc(ctx->cuda, n * es, &cw->w);
    if (s == KS_OK) s = kcuda_copy(ctx->cuda, cw->w, host, n * es, KCUDA_H2D);
    free(host);
    if (s != KS_OK) {
        kcuda_convw_free(ctx, cw);
        return s;
    }
    cw->dtype = w->dtype;
    cw->scale = w->scale;
    cw->cin = cin;
    cw->cout = cout;
    cw->transposed = transposed;
    *out = cw;
    return KS_OK;
}

extern "C" kstatus kcuda_convw_create(const kctx *ctx, const kmat *w, int64_t cin, int kt, int kh, int kw,
                                      kcuda_convw **out)
{
    int taps = kt * kh * kw;
    if (!w || cin <= 0 || kt <= 0 || kh <= 0 || kw <= 0 || w->cols != cin * taps || w->rows <= 0) return KS_BAD_ARG;
    kstatus s = convw_make(ctx, w, cin, w->rows, taps, 0, out);
    if (s == KS_OK) {
        (*out)->kt = kt;
        (*out)->kh = kh;
        (*out)->kw = kw;
    }
    return s;
}

extern "C" kstatus kcuda_convw_create_transposed1d(const kctx *ctx, const kmat *w, int64_t cout, int k,
                                                   kcuda_convw **out)
{
    if (!w || cout <= 0 || k <= 0 || w->cols != cout * k || w->rows <= 0) return KS_BAD_ARG;
    kstatus s = convw_make(ctx, w, w->rows, cout, k, 1, out);
    if (s == KS_OK) {
        (*out)->kt = (*out)->kh = 1;
        (*out)->kw = k;
    }
    return s;
}

extern "C" void kcuda_convw_free(const kctx *ctx, kcuda_convw *w)
{
    if (!w) return;
    if (ctx && ctx->cuda) kcuda_free(ctx->cuda, w->w);
    free(w);
}

static kstatus conv_launch(kcuda *d, const cv_params &p)
{
    int64_t gx = (p.npos + CV_BM - 1) / CV_BM, gy = (p.cout + CV_BN - 1) / CV_BN;
    if (gx > 0x7fffffff || gy > 65535) return KS_BAD_ARG;
    conv_kernel<<<dim3((unsigned)gx, (unsigned)gy), CV_THREADS, 0, d->stream>>>(p);
    return kcuda_check_launch(d, "conv");
}

extern "C" kstatus kcuda_conv(const kctx *ctx, const kconv *c, const kcuda_convw *cw)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (!c || !cw || cw->transposed || cw->cin != c->cin || cw->cout != c->cout || cw->kt != c->kt ||
        cw->kh != c->kh || cw->kw != c->kw)
        return KS_BAD_ARG;
    int64_t to = k_conv_out_len(c->t, c->kt, c->st, c->dt, c->pt0, c->pt1);
    int64_t ho = k_conv_out_len(c->h, c->kh, c->sh, c->dh, c->ph0, c->ph1);
    int64_t wo = k_conv_out_len(c->w, c->kw, c->sw, c->dw, c->pw0, c->pw1);
    if (to <= 0 || ho <= 0 || wo <= 0) return KS_BAD_ARG;
    cv_params p;
    memset(&p, 0, sizeof p);
    p.npos = to * ho * wo;
    p.to = to;
    p.ho = ho;
    p.wo = wo;
    p.t = c->t;
    p.h = c->h;
    p.w = c->w;
    p.cin = c->cin;
    p.cout = c->cout;
    p.kt = c->kt;
    p.kh = c->kh;
    p.kw = c->kw;
    p.st = c->st;
    p.sh = c->sh;
    p.sw = c->sw;
    p.dt = c->dt;
    p.dh = c->dh;
    p.dw = c->dw;
    p.pt0 = c->pt0;
    p.ph0 = c->ph0;
    p.pw0 = c->pw0;
    p.tpad = c->tpad;
    p.hpad = c->hpad;
    p.wpad = c->wpad;
    p.x = c->x;
    p.bias = c->bias;
    p.y = c->y;
    p.dtype = cw->dtype;
    p.wgt = cw->w;
    p.scale = cw->scale;
    return conv_launch(ctx->cuda, p);
}

extern "C" kstatus kcuda_conv_transpose1d(const kctx *ctx, const kconvt1d *c, const kcuda_convw *cw)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (!c || !cw || !cw->transposed || cw->cin != c->cin || cw->cout != c->cout || cw->kw != c->k ||
        c->stride <= 0 || c->len <= 0)
        return KS_BAD_ARG;
    int64_t lout = k_conv_transpose1d_out_len(c);
    if (lout <= 0) return KS_BAD_ARG;
    cv_params p;
    memset(&p, 0, sizeof p);
    p.npos = lout;
    p.to = p.ho = 1;
    p.wo = lout;
    p.t = p.h = 1;
    p.w = c->len;
    p.cin = c->cin;
    p.cout = c->cout;
    p.kt = p.kh = 1;
    p.kw = c->k;
    p.dw = c->dilation;
    p.transposed = 1;
    p.tstride = c->stride;
    p.tpad1d = c->pad;
    p.x = c->x;
    p.bias = c->bias;
    p.y = c->y;
    p.dtype = cw->dtype;
    p.wgt = cw->w;
    p.scale = cw->scale;
    return conv_launch(ctx->cuda, p);
}
