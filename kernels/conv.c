/*
 * conv.c — channels-last convolution as an implicit GEMM (see conv_impl.h): weight
 * packing, the per-axis index maps that implement the padding modes, the tile driver
 * shared by k_conv and k_conv_transpose1d, and the portable micro-tile.
 */
#include "conv_impl.h"
#include "kbackend.h"

#include <stdlib.h>
#include <string.h>

#define KCONV_GROUP 16                 /* micro-tiles (of KCONV_MR positions) per item */
#define KCONV_L2_PANEL (384 * 1024)    /* bytes of weight panel kept hot per tap chunk */

/* ---------------------------------------------------------------- packing */
/* Row r of w widened to f32 without its scale (the exact stored values). */
static void widen_row(const kmat *w, int64_t r, float *buf)
{
    const char *src = (const char *)w->data + (size_t)(r * w->ld) * k_dtype_size(w->dtype);
    k_to_f32(w->dtype, src, buf, w->cols);
}

static uint32_t f32_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* 1 when every stored value of w is exactly a bf16, i.e. its f32 widening has a zero
 * low half: bf16 and fp8 always are, f16 only when the significand fits in bf16's 8
 * bits (any f16 exponent, subnormals included, is in bf16 range). f32 weights keep
 * f32 panels. */
static int bf16_exact(const kmat *w, float *buf)
{
    if (w->dtype == KD_F32) return 0;
    if (w->dtype == KD_BF16) return 1;
    for (int64_t r = 0; r < w->rows; r++) {
        widen_row(w, r, buf);
        for (int64_t i = 0; i < w->cols; i++)
            if (f32_bits(buf[i]) & 0xffffu) return 0;
    }
    return 1;
}

static kconvw *convw_alloc(int64_t cin, int64_t cout, int taps, int bf16)
{
    kconvw *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cin = cin;
    p->cout = cout;
    p->taps = taps;
    p->scale = 1.0f;
    p->ncb = (cout + KCONV_NR - 1) / KCONV_NR;
    size_t n = (size_t)(p->ncb * taps * cin * KCONV_NR);
    size_t bytes = n * (bf16 ? sizeof(uint16_t) : sizeof(float));
    void *mem = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!mem) {
        free(p);
        return NULL;
    }
    memset(mem, 0, bytes);
    if (bf16)
        p->wb = mem;
    else
        p->w = mem;
    return p;
}

/* Packs weight (co, ci, tap) = stored row r, column j, where the row/column split is
 * the regular [cout][cin·taps] one or the transposed [cin][cout·taps] one. bf16
 * panels keep the stored values and the scale apart; f32 panels fold the scale in,
 * as f32 products, the same rounding the bf16 tiles apply in registers. */
static kconvw *convw_pack(const kmat *w, int64_t cin, int64_t cout, int taps, int transposed)
{
    float *row = malloc(sizeof(float) * (size_t)w->cols);
    if (!row) return NULL;
    int bf16 = bf16_exact(w, row);
    kconvw *p = convw_alloc(cin, cout, taps, bf16);
    if (!p) {
        free(row);
        return NULL;
    }
    p->transposed = transposed;
    if (bf16) p->scale = w->scale;
    int64_t panel = (int64_t)taps * cin * KCONV_NR;
    for (int64_t r = 0; r < w->rows; r++) {
        widen_row(w, r, row);
        if (!bf16 && w->scale != 1.0f)
            for (int64_t i = 0; i < w->cols; i++) row[i] *= w->scale;
        for (int64_t j = 0; j < w->cols; j++) {
            int64_t co = transposed ? j / taps : r;
            int64_t ci = transposed ? r : j / taps;
            int t = (int)(j % taps);
            int l = (int)(co % KCONV_NR);
            int64_t at = (co / KCONV_NR) * panel + ((int64_t)t * cin + ci) * KCONV_NR;
            if (bf16)
                p->wb[at + kconv_bf16_slot(l)] = (uint16_t)(f32_bits(row[j]) >> 16);
            else
                p->w[at + l] = row[j];
        }
    }
    free(row);
    return p;
}

/* 1 for a CUDA context in a build with the backend (device weights can be made), else 0. */
static int cuda_weights(const kctx *ctx)
{
#ifdef LTX2_CUDA
    return ctx->backend == KB_CUDA;
#else
    (void)ctx;
    return 0;
#endif
}

kstatus k_convw_pack(const kctx *ctx, const kmat *w, int64_t cin, int kt, int kh, int kw, kconvw **out)
{
    *out = NULL;
    int taps = kt * kh * kw;
    if (!w || cin <= 0 || kt <= 0 || kh <= 0 || kw <= 0 || w->cols != cin * taps || w->rows <= 0)
        return KS_BAD_ARG;
    kconvw *p = NULL;
    if (ctx->backend == KB_CPU) {
        p = convw_pack(w, cin, w->rows, taps, 0);
    } else {
        if (!cuda_weights(ctx)) return KS_UNSUPPORTED;
        p = calloc(1, sizeof *p);
    }
    if (!p) return KS_OOM;
    p->cin = cin;
    p->cout = w->rows;
    p->taps = taps;
    p->kt = kt;
    p->kh = kh;
    p->kw = kw;
#ifdef LTX2_CUDA
    if (ctx->backend == KB_CUDA) {
        p->cuda_ctx = *ctx;
        kstatus st = kcuda_convw_create(ctx, w, cin, kt, kh, kw, &p->cuda);
        if (st != KS_OK) return k_convw_free(p), st;
    }
#endif
    *out = p;
    return KS_OK;
}

kstatus k_convw_pack_transposed1d(const kctx *ctx, const kmat *w, int64_t cout, int k, kconvw **out)
{
    *out = NULL;
    if (!w || cout <= 0 || k <= 0 || w->cols != cout * k || w->rows <= 0) return KS_BAD_ARG;
    kconvw *p = NULL;
    if (ctx->backend == KB_CPU) {
        p = convw_pack(w, w->rows, cout, k, 1);
    } else {
        if (!cuda_weights(ctx)) return KS_UNSUPPORTED;
        p = calloc(1, sizeof *p);
    }
    if (!p) return KS_OOM;
    p->cin = w->rows;
    p->cout = cout;
    p->taps = k;
    p->transposed = 1;
    p->kt = p->kh = 1;
    p->kw = k;
#ifdef LTX2_CUDA
    if (ctx->backend == KB_CUDA) {
        p->cuda_ctx = *ctx;
        kstatus st = kcuda_convw_create_transposed1d(ctx, w, cout, k, &p->cuda);
        if (st != KS_OK) return k_convw_free(p), st;
    }
#endif
    *out = p;
    return KS_OK;
}

void k_convw_free(kconvw *w)
{
    if (!w) return;
#ifdef LTX2_CUDA
    if (w->cuda) kcuda_convw_free(&w->cuda_ctx, w->cuda);
#endif
    free(w->w);
    free(w->wb);
    free(w);
}

size_t k_convw_bytes(const kconvw *w)
{
    if (!w) return 0;
    size_t n = (size_t)(w->ncb * w->taps * w->cin * KCONV_NR);
    return n * (w->wb ? sizeof(uint16_t) : sizeof(float));
}

/* ---------------------------------------------------------------- portable tiles */
/* Rows in pairs so each weight vector is loaded once per two positions; the 32-lane
 * inner loops are plain C the compiler can vectorise on any target. */
static void conv_tile_scalar(const float *const *rows, const int *tap, int n_taps,
                             const float *panel, int64_t cin, const float *bias, float *const *y,
                             int n_rows, int n_cols, int accumulate)
{
    for (int r = 0; r < n_rows; r += 2) {
        int two = r + 1 < n_rows;
        float acc0[KCONV_NR], acc1[KCONV_NR];
        for (int l = 0; l < KCONV_NR; l++) {
            float b = bias ? bias[l] : 0.0f;
            acc0[l] = accumulate ? (l < n_cols ? y[r][l] : 0.0f) : b;
            acc1[l] = accumulate ? (two && l < n_cols ? y[r + 1][l] : 0.0f) : b;
        }
        for (int t = 0; t < n_taps; t++) {
            /* row r+1 of a tile always has a pointer (the zero row past the end) */
            const float *x0 = rows[(int64_t)t * KCONV_MR + r];
            const float *x1 = rows[(int64_t)t * KCONV_MR + r + 1];
            const float *w = panel + (int64_t)tap[t] * cin * KCONV_NR;
            for (int64_t ci = 0; ci < cin; ci++) {
                float a0 = x0[ci], a1 = x1[ci];
                const float *wc = w + ci * KCONV_NR;
                for (int l = 0; l < KCONV_NR; l++) {
                    acc0[l] += a0 * wc[l];
                    acc1[l] += a1 * wc[l];
                }
            }
        }
        for (int l = 0; l < n_cols; l++) y[r][l] = acc0[l];
        if (two)
            for (int l = 0; l < n_cols; l++) y[r + 1][l] = acc1[l];
    }
}

#define KCONV_CI_BLOCK 64 /* input channels widened at a time by the portable bf16 tile */

/* n rows of a bf16 panel → f32 [n][KCONV_NR], scale applied as an f32 product. */
static void widen_bf16_rows(const uint16_t *src, int n, float scale, float *dst)
{
    for (int i = 0; i < n; i++, src += KCONV_NR, dst += KCONV_NR) {
        uint32_t u[KCONV_NR]; /* bf16 bits in the high half = the f32 bits */
        for (int l = 0; l < KCONV_NR / 2; l++) {
            u[l] = (uint32_t)src[2 * l] << 16;
            u[KCONV_NR / 2 + l] = (uint32_t)src[2 * l + 1] << 16;
        }
        memcpy(dst, u, sizeof u);
        if (scale != 1.0f)
            for (int l = 0; l < KCONV_NR; l++) dst[l] *= scale;
    }
}

/* The f32 tile's arithmetic (each output: bias or y, then taps in order, channels in
 * order) over a bf16 panel: channels are widened KCONV_CI_BLOCK at a time, once for all
 * rows of the tile, and each row pair carries its sums in acc across blocks. */
static void conv_tile_bf16_scalar(const float *const *rows, const int *tap, int n_taps,
                                  const uint16_t *panel, float scale, int64_t cin,
                                  const float *bias, float *const *y, int n_rows, int n_cols,
                                  int accumulate)
{
    float acc[KCONV_MR][KCONV_NR];
    float wbuf[KCONV_CI_BLOCK * KCONV_NR];
    for (int r = 0; r < KCONV_MR; r++)
        for (int l = 0; l < KCONV_NR; l++)
            acc[r][l] = accumulate ? (r < n_rows && l < n_cols ? y[r][l] : 0.0f)
                                   : (bias ? bias[l] : 0.0f);
    for (int t = 0; t < n_taps; t++) {
        const uint16_t *w = panel + (int64_t)tap[t] * cin * KCONV_NR;
        for (int64_t c0 = 0; c0 < cin; c0 += KCONV_CI_BLOCK) {
            int nb = (int)(cin - c0 < KCONV_CI_BLOCK ? cin - c0 : KCONV_CI_BLOCK);
            widen_bf16_rows(w + c0 * KCONV_NR, nb, scale, wbuf);
            for (int r = 0; r < n_rows; r += 2) {
                /* row r+1 of a tile always has a pointer (the zero row past the end) */
                const float *x0 = rows[(int64_t)t * KCONV_MR + r] + c0;
                const float *x1 = rows[(int64_t)t * KCONV_MR + r + 1] + c0;
                float acc0[KCONV_NR], acc1[KCONV_NR];
                memcpy(acc0, acc[r], sizeof acc0);
                memcpy(acc1, acc[r + 1], sizeof acc1);
                for (int ci = 0; ci < nb; ci++) {
                    float a0 = x0[ci], a1 = x1[ci];
                    const float *wc = wbuf + ci * KCONV_NR;
                    for (int l = 0; l < KCONV_NR; l++) {
                        acc0[l] += a0 * wc[l];
                        acc1[l] += a1 * wc[l];
                    }
                }
                memcpy(acc[r], acc0, sizeof acc0);
                memcpy(acc[r + 1], acc1, sizeof acc1);
            }
        }
    }
    for (int r = 0; r < n_rows; r++)
        for (int l = 0; l < n_cols; l++) y[r][l] = acc[r][l];
}

/* ---------------------------------------------------------------- index maps */
/* map[o*k + i] = input index read by output o through tap i, or -1 (a zero). */
static int32_t *axis_map(kscratch *sc, int64_t in, int64_t out, int k, int stride, int dil, int pad0,
                         kpad mode)
{
    void *mem;
    if (k_scratch(sc, sizeof(int32_t) * (size_t)(out * k > 0 ? out * k : 1), &mem) != KS_OK) return NULL;
    int32_t *m = mem;
    for (int64_t o = 0; o < out; o++)
        for (int i = 0; i < k; i++) {
            int64_t u = o * stride - pad0 + (int64_t)i * dil;
            if (u < 0 || u >= in) {
                if (mode == KPAD_ZEROS) {
                    u = -1;
                } else {
                    if (mode == KPAD_REFLECT) u = u < 0 ? -u : 2 * (in - 1) - u;
                    u = u < 0 ? 0 : u >= in ? in - 1 : u; /* replicate, or reflect beyond range */
                }
            }
            m[o * k + i] = (int32_t)u;
        }
    return m;
}

/* ---------------------------------------------------------------- driver */
typedef struct conv_plan {
    int64_t npos;              /* output positions */
    int64_t ho, wo;            /* output dims (t is npos / (ho*wo)) */
    int64_t h, w, cin, cout;   /* input dims */
    int kt, kh, kw, taps;
    const int32_t *tmap, *hmap, *wmap;
    const int64_t *ord;        /* position order (NULL: natural) */
    const float *x, *zero;
    float *y;
    const float *bias_pad;     /* [ncb*NR] or NULL */
    const kconvw *wt;
    int64_t ntiles;
    int tap_chunk;             /* taps per pass over a tile group */
    kconv_tile_fn tile;        /* f32 panels */
    kconv_tile_bf16_fn tile_bf16; /* bf16 panels */
    const float **rows_all;    /* per thread: taps × KCONV_MR row pointers */
    int *tap_all;              /* per thread: taps tap indices */
} conv_plan;

/* One item = one weight panel (cb) × a group of KCONV_GROUP tiles. The taps are taken
 * in chunks whose slice of the panel fits in L2 (tap_chunk), and the chunk loop is
 * outside the tile loop, so each slice is reused by every tile of the group; chunks
 * after the first accumulate into y. */
static void conv_task(void *arg, int64_t begin, int64_t end, int tid)
{
    const conv_plan *p = arg;
    const float **rows = p->rows_all + (size_t)tid * (size_t)p->taps * KCONV_MR;
    int *tap = p->tap_all + (size_t)tid * (size_t)p->taps;
    int64_t ngroups = (p->ntiles + KCONV_GROUP - 1) / KCONV_GROUP;
    for (int64_t it = begin; it < end; it++) {
        int64_t cb = it / ngroups, grp = it % ngroups;
        int64_t tile1 = (grp + 1) * KCONV_GROUP < p->ntiles ? (grp + 1) * KCONV_GROUP : p->ntiles;
        int64_t ncols = p->cout - cb * KCONV_NR;
        int64_t panel_at = cb * p->taps * p->cin * KCONV_NR;
        const float *bias = p->bias_pad ? p->bias_pad + cb * KCONV_NR : NULL;
        for (int t0 = 0; t0 < p->taps; t0 += p->tap_chunk) {
            int t1 = t0 + p->tap_chunk < p->taps ? t0 + p->tap_chunk : p->taps;
            for (int64_t tile = grp * KCONV_GROUP; tile < tile1; tile++) {
                int64_t pos0 = tile * KCONV_MR;
                int nr = (int)(p->npos - pos0 < KCONV_MR ? p->npos - pos0 : KCONV_MR);
                int64_t ot[KCONV_MR], oh[KCONV_MR], ow[KCONV_MR];
                float *y[KCONV_MR];
                for (int r = 0; r < KCONV_MR; r++) {
                    int64_t pos = r < nr ? pos0 + r : pos0;
                    if (p->ord) pos = p->ord[pos];
                    ow[r] = pos % p->wo;
                    oh[r] = (pos / p->wo) % p->ho;
                    ot[r] = pos / (p->wo * p->ho);
                    y[r] = p->y + pos * p->cout + cb * KCONV_NR;
                }
                int nt = 0;
                for (int t = t0; t < t1; t++) {
                    int a = t / (p->kh * p->kw), b = (t / p->kw) % p->kh, c = t % p->kw;
                    int any = 0;
                    const float **rr = rows + (int64_t)nt * KCONV_MR;
                    for (int r = 0; r < KCONV_MR; r++) {
                        int32_t it_ = p->tmap[ot[r] * p->kt + a];
                        int32_t ih = p->hmap[oh[r] * p->kh + b];
                        int32_t iw = p->wmap[ow[r] * p->kw + c];
                        if (r < nr && it_ >= 0 && ih >= 0 && iw >= 0) {
                            rr[r] = p->x + ((it_ * p->h + ih) * p->w + iw) * p->cin;
                            any = 1;
                        } else {
                            rr[r] = p->zero;
                        }
                    }
                    if (any) tap[nt++] = t;
                }
                if (nt == 0 && t0 > 0) continue; /* nothing to add */
                int nc = (int)(ncols < KCONV_NR ? ncols : KCONV_NR);
                if (p->wt->wb)
                    p->tile_bf16(rows, tap, nt, p->wt->wb + panel_at, p->wt->scale, p->cin, bias,
                                 y, nr, nc, t0 > 0);
                else
                    p->tile(rows, tap, nt, p->wt->w + panel_at, p->cin, bias, y, nr, nc, t0 > 0);
            }
        }
    }
}

static void pick_tiles(const kctx *ctx, conv_plan *p)
{
    p->tile = conv_tile_scalar;
    p->tile_bf16 = conv_tile_bf16_scalar;
#if defined(LTX2_X86)
    if (ctx->isa >= KISA_AVX512) {
        p->tile = k_conv_tile_avx512;
        p->tile_bf16 = k_conv_tile_bf16_avx512;
    } else if (ctx->isa >= KISA_AVX2) {
        p->tile = k_conv_tile_avx2;
        p->tile_bf16 = k_conv_tile_bf16_avx2;
    }
#endif
    (void)ctx;
}

/* Takes the zero row, padded bias and per-thread tap lists from sc, runs the tiles over
 * the pool. */
static kstatus conv_run(const kctx *ctx, kscratch *sc, conv_plan *p, const float *bias)
{
    const kconvw *wt = p->wt;
    const int threads = kpool_threads(ctx->pool);
    void *zero, *bias_pad = NULL, *rows, *tap;
    kstatus st = k_scratch(sc, sizeof(float) * ((size_t)p->cin + 16), &zero);
    if (st == KS_OK && bias) st = k_scratch(sc, sizeof(float) * (size_t)(wt->ncb * KCONV_NR), &bias_pad);
    if (st == KS_OK) st = k_scratch(sc, sizeof(float *) * (size_t)threads * (size_t)p->taps * KCONV_MR, &rows);
    if (st == KS_OK) st = k_scratch(sc, sizeof(int) * (size_t)threads * (size_t)p->taps, &tap);
    if (st != KS_OK) return st;
    memset(zero, 0, sizeof(float) * ((size_t)p->cin + 16));
    if (bias) {
        memset(bias_pad, 0, sizeof(float) * (size_t)(wt->ncb * KCONV_NR));
        memcpy(bias_pad, bias, sizeof(float) * (size_t)p->cout);
    }
    p->zero = zero;
    p->bias_pad = bias_pad;
    p->rows_all = rows;
    p->tap_all = tap;
    p->ntiles = (p->npos + KCONV_MR - 1) / KCONV_MR;
    pick_tiles(ctx, p);
    int64_t per_tap = p->cin * KCONV_NR * (int64_t)(wt->wb ? sizeof(uint16_t) : sizeof(float));
    int64_t chunk = KCONV_L2_PANEL / (per_tap > 0 ? per_tap : 1);
    p->tap_chunk = (int)(chunk < 1 ? 1 : chunk > p->taps ? p->taps : chunk);
    /* panel-major order: consecutive items share one weight panel */
    int64_t ngroups = (p->ntiles + KCONV_GROUP - 1) / KCONV_GROUP;
    return k_par(ctx, wt->ncb * ngroups, 1, conv_task, p);
}

kstatus k_conv(const kctx *ctx, const kconv *c)
{
    K_DISPATCH(ctx, kcuda_conv(ctx, c, c->weights ? c->weights->cuda : NULL));
    const kconvw *wt = c->weights;
    if (!wt || !(wt->w || wt->wb) || wt->transposed || wt->cin != c->cin || wt->cout != c->cout ||
        wt->kt != c->kt || wt->kh != c->kh || wt->kw != c->kw || c->st <= 0 || c->sh <= 0 || c->sw <= 0 ||
        c->dt <= 0 || c->dh <= 0 || c->dw <= 0 || c->t <= 0 || c->h <= 0 || c->w <= 0 || !c->x || !c->y)
        return KS_BAD_ARG;
    int64_t to = k_conv_out_len(c->t, c->kt, c->st, c->dt, c->pt0, c->pt1);
    int64_t ho = k_conv_out_len(c->h, c->kh, c->sh, c->dh, c->ph0, c->ph1);
    int64_t wo = k_conv_out_len(c->w, c->kw, c->sw, c->dw, c->pw0, c->pw1);
    if (to <= 0 || ho <= 0 || wo <= 0) return KS_BAD_ARG;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    kstatus st = KS_OOM;
    conv_plan p = {0};
    int32_t *tm = axis_map(&sc, c->t, to, c->kt, c->st, c->dt, c->pt0, c->tpad);
    int32_t *hm = tm ? axis_map(&sc, c->h, ho, c->kh, c->sh, c->dh, c->ph0, c->hpad) : NULL;
    int32_t *wm = hm ? axis_map(&sc, c->w, wo, c->kw, c->sw, c->dw, c->pw0, c->wpad) : NULL;
    if (wm) {
        p.npos = to * ho * wo;
        p.ho = ho;
        p.wo = wo;
        p.h = c->h;
        p.w = c->w;
        p.cin = c->cin;
        p.cout = c->cout;
        p.kt = c->kt;
        p.kh = c->kh;
        p.kw = c->kw;
        p.taps = wt->taps;
        p.tmap = tm;
        p.hmap = hm;
        p.wmap = wm;
        p.x = c->x;
        p.y = c->y;
        p.wt = wt;
        st = conv_run(ctx, &sc, &p, c->bias);
    }
    k_scratch_close(&sc);
    return st;
}

static size_t round64(size_t b) { return (b + 63) / 64 * 64; }

size_t k_conv_scratch(const kctx *ctx, const kconv *c)
{
    if (ctx->backend != KB_CPU)
        return 0;
    /* what k_conv and conv_run ask k_scratch for, in the same order */
    const int64_t to = k_conv_out_len(c->t, c->kt, c->st, c->dt, c->pt0, c->pt1);
    const int64_t ho = k_conv_out_len(c->h, c->kh, c->sh, c->dh, c->ph0, c->ph1);
    const int64_t wo = k_conv_out_len(c->w, c->kw, c->sw, c->dw, c->pw0, c->pw1);
    const size_t threads = (size_t)kpool_threads(ctx->pool), taps = (size_t)c->kt * (size_t)c->kh * (size_t)c->kw;
    const size_t ncb = (size_t)((c->cout + KCONV_NR - 1) / KCONV_NR);
    size_t b = round64(sizeof(int32_t) * (size_t)(to * c->kt > 0 ? to * c->kt : 1)) +
               round64(sizeof(int32_t) * (size_t)(ho * c->kh > 0 ? ho * c->kh : 1)) +
               round64(sizeof(int32_t) * (size_t)(wo * c->kw > 0 ? wo * c->kw : 1)) +
               round64(sizeof(float) * ((size_t)c->cin + 16));
    if (c->bias)
        b += round64(sizeof(float) * ncb * KCONV_NR);
    return b + round64(sizeof(float *) * threads * taps * KCONV_MR) + round64(sizeof(int) * threads * taps);
}

/* ---------------------------------------------------------------- transposed 1D */
/* Output o gathers x[i] through tap kk when o = i*stride - pad + kk*dilation. Outputs
 * are visited grouped by (o + pad) mod stride so a tile's positions share their
 * valid taps and the invalid ones are skipped. */
kstatus k_conv_transpose1d(const kctx *ctx, const kconvt1d *c)
{
    K_DISPATCH(ctx, kcuda_conv_transpose1d(ctx, c, c->weights ? c->weights->cuda : NULL));
    const kconvw *wt = c->weights;
    if (!wt || !(wt->w || wt->wb) || !wt->transposed || wt->cin != c->cin || wt->cout != c->cout ||
        wt->kw != c->k || c->stride <= 0 || c->dilation <= 0 || c->len <= 0 || !c->x || !c->y)
        return KS_BAD_ARG;
    int64_t lout = k_conv_transpose1d_out_len(c);
    if (lout <= 0) return KS_BAD_ARG;
    kscratch sc;
    k_scratch_open(ctx, &sc);
    void *wmem, *omem;
    kstatus st = k_scratch(&sc, sizeof(int32_t) * (size_t)(lout * c->k), &wmem);
    if (st == KS_OK) st = k_scratch(&sc, sizeof(int64_t) * (size_t)lout, &omem);
    int32_t one[1] = {0};
    if (st == KS_OK) {
        int32_t *wm = wmem;
        int64_t *ord = omem;
        for (int64_t o = 0; o < lout; o++)
            for (int kk = 0; kk < c->k; kk++) {
                int64_t num = o + c->pad - (int64_t)kk * c->dilation;
                int64_t i = num >= 0 && num % c->stride == 0 ? num / c->stride : -1;
                wm[o * c->k + kk] = (int32_t)(i < c->len ? i : -1);
            }
        int64_t n = 0;
        for (int64_t ph = 0; ph < c->stride; ph++)
            for (int64_t o = 0; o < lout; o++)
                if ((o + c->pad) % c->stride == ph) ord[n++] = o;
        conv_plan p = {0};
        p.npos = lout;
        p.ho = 1;
        p.wo = lout;
        p.h = 1;
        p.w = c->len;
        p.cin = c->cin;
        p.cout = c->cout;
        p.kt = p.kh = 1;
        p.kw = c->k;
        p.taps = c->k;
        p.tmap = one;
        p.hmap = one;
        p.wmap = wm;
        p.ord = ord;
        p.x = c->x;
        p.y = c->y;
        p.wt = wt;
        st = conv_run(ctx, &sc, &p, c->bias);
    }
    k_scratch_close(&sc);
    return st;
}
