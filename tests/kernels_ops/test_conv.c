/* k_conv against a direct double-precision sum over taps with each padding mode
 * written out independently (3D causal/non-causal video convs, strided 2D, dilated
 * 1D, 1×1×1, f32 and bf16-with-scale weights), and k_conv_transpose1d against the
 * scatter formula y[i·stride − pad + kk·dil] += x[i]·W[kk]. */
#include "ops_check.h"

#include <string.h>

typedef struct ccase {
    int64_t t, h, w, cin, cout;
    int kt, kh, kw, st, sh, sw, dt, dh, dw;
    int pt0, pt1, ph0, ph1, pw0, pw1;
    kpad tpad, hpad, wpad;
    int bias, bf16;
} ccase;

static const ccase CASES[] = {
    /* video VAE causal 3D conv: first frame replicated k-1 times, spatial zeros */
    {5, 6, 7, 5, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 0, 1, 1, 1, 1, KPAD_REPLICATE, KPAD_ZEROS, KPAD_ZEROS, 1, 0},
    /* non-causal: first and last frame replicated, spatial reflect */
    {4, 5, 9, 13, 45, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, KPAD_REPLICATE, KPAD_REFLECT, KPAD_REFLECT, 1, 1},
    /* 1×1×1 */
    {3, 4, 5, 17, 33, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, KPAD_ZEROS, KPAD_ZEROS, KPAD_ZEROS, 0, 0},
    /* 2D stride 2, causal in time (h axis here), zero padding */
    {1, 9, 11, 6, 10, 1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 0, 2, 0, 1, 1, KPAD_ZEROS, KPAD_ZEROS, KPAD_ZEROS, 1, 0},
    /* 2D stride 2, asymmetric padding, replicate/reflect */
    {1, 10, 7, 3, 8, 1, 4, 3, 1, 2, 2, 1, 1, 1, 0, 0, 1, 2, 0, 1, KPAD_ZEROS, KPAD_REPLICATE, KPAD_REFLECT, 0, 0},
    /* 1D dilated, as in the vocoder's residual blocks, each pad mode */
    {1, 1, 50, 9, 11, 1, 1, 7, 1, 1, 1, 1, 1, 3, 0, 0, 0, 0, 9, 9, KPAD_ZEROS, KPAD_ZEROS, KPAD_ZEROS, 1, 0},
    {1, 1, 40, 4, 5, 1, 1, 5, 1, 1, 1, 1, 1, 2, 0, 0, 0, 0, 4, 4, KPAD_ZEROS, KPAD_ZEROS, KPAD_REFLECT, 1, 0},
    {1, 1, 31, 4, 3, 1, 1, 3, 1, 1, 3, 1, 1, 5, 0, 0, 0, 0, 2, 7, KPAD_ZEROS, KPAD_ZEROS, KPAD_REPLICATE, 0, 1},
    /* 3D with strides and temporal dilation; enough positions for every thread */
    {7, 12, 10, 16, 40, 3, 3, 3, 2, 1, 2, 2, 1, 1, 4, 0, 1, 1, 1, 1, KPAD_REPLICATE, KPAD_ZEROS, KPAD_ZEROS, 1, 0},
    {3, 16, 16, 32, 64, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 0, 1, 1, 1, 1, KPAD_REPLICATE, KPAD_ZEROS, KPAD_ZEROS, 1, 0},
    /* wide inputs: the taps are split into chunks that accumulate into y */
    {3, 5, 6, 128, 40, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 0, 1, 1, 1, 1, KPAD_REPLICATE, KPAD_ZEROS, KPAD_ZEROS, 1, 0},
    {1, 1, 20, 1024, 7, 1, 1, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3, 3, KPAD_ZEROS, KPAD_ZEROS, KPAD_ZEROS, 1, 1},
};
#define NCASES (int)(sizeof CASES / sizeof CASES[0])

/* padded coordinate u of an axis of length n → input index or -1 (zero) */
static int64_t pad_index(int64_t u, int64_t n, kpad mode)
{
    if (u >= 0 && u < n) return u;
    if (mode == KPAD_ZEROS) return -1;
    if (mode == KPAD_REPLICATE) return u < 0 ? 0 : n - 1;
    return u < 0 ? -u : 2 * (n - 1) - u; /* reflect (the pad is smaller than n) */
}

/* weights as a kmat of the requested dtype; wd gets the exact values it stands for */
static void make_weights(krng *r, int64_t rows, int64_t cols, int bf16, kmat *m, void **store,
                         double *wd)
{
    memset(m, 0, sizeof *m);
    m->rows = rows;
    m->cols = cols;
    m->ld = cols + 3;
    m->scale = 1.0f;
    float *f = rand_buf(r, rows * m->ld, 0.5f);
    if (!bf16) {
        m->dtype = KD_F32;
        *store = f;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) wd[i * cols + j] = f[i * m->ld + j];
    } else {
        m->dtype = KD_BF16;
        m->scale = 0.75f;
        uint16_t *b = malloc(sizeof(uint16_t) * (size_t)(rows * m->ld));
        for (int64_t i = 0; i < rows * m->ld; i++) b[i] = k_f32_to_bf16(f[i]);
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                wd[i * cols + j] = (double)k_bf16_to_f32(b[i * m->ld + j]) * 0.75f;
        free(f);
        *store = b;
    }
    m->data = *store;
}

static void case_conv(const kctx *c, krng *r, kcheck *k)
{
    for (int ci = 0; ci < NCASES; ci++) {
        const ccase *t = &CASES[ci];
        int taps = t->kt * t->kh * t->kw;
        int64_t to = k_conv_out_len(t->t, t->kt, t->st, t->dt, t->pt0, t->pt1);
        int64_t ho = k_conv_out_len(t->h, t->kh, t->sh, t->dh, t->ph0, t->ph1);
        int64_t wo = k_conv_out_len(t->w, t->kw, t->sw, t->dw, t->pw0, t->pw1);
        int64_t nout = to * ho * wo * t->cout;
        float *x = rand_buf(r, t->t * t->h * t->w * t->cin, 1.0f);
        float *bias = t->bias ? rand_buf(r, t->cout, 1.0f) : NULL;
        double *wd = dbuf(t->cout * t->cin * taps);
        kmat wm;
        void *wstore;
        make_weights(r, t->cout, t->cin * taps, t->bf16, &wm, &wstore, wd);
        kconvw *pw = NULL;
        check_true(k, k_convw_pack(c, &wm, t->cin, t->kt, t->kh, t->kw, &pw) == KS_OK && pw, "k_convw_pack");
        double *ref = dbuf(nout);
        for (int64_t ot = 0; ot < to; ot++)
            for (int64_t oh = 0; oh < ho; oh++)
                for (int64_t ow = 0; ow < wo; ow++)
                    for (int64_t co = 0; co < t->cout; co++) {
                        double acc = bias ? bias[co] : 0;
                        for (int a = 0; a < t->kt; a++)
                            for (int b = 0; b < t->kh; b++)
                                for (int e = 0; e < t->kw; e++) {
                                    int64_t it = pad_index(ot * t->st - t->pt0 + a * t->dt, t->t, t->tpad);
                                    int64_t ih = pad_index(oh * t->sh - t->ph0 + b * t->dh, t->h, t->hpad);
                                    int64_t iw = pad_index(ow * t->sw - t->pw0 + e * t->dw, t->w, t->wpad);
                                    if (it < 0 || ih < 0 || iw < 0) continue;
                                    const float *xp = x + ((it * t->h + ih) * t->w + iw) * t->cin;
                                    for (int64_t cc = 0; cc < t->cin; cc++)
                                        acc += xp[cc] * wd[co * t->cin * taps + cc * taps +
                                                           (a * t->kh + b) * t->kw + e];
                                }
                        ref[((ot * ho + oh) * wo + ow) * t->cout + co] = acc;
                    }
        float *y = poisoned(nout + 1);
        y[nout] = 42.0f; /* guard just past the end */
        kconv cv = {t->t, t->h, t->w, t->cin, t->cout, t->kt, t->kh, t->kw, t->st, t->sh, t->sw,
                    t->dt, t->dh, t->dw, t->pt0, t->pt1, t->ph0, t->ph1, t->pw0, t->pw1,
                    t->tpad, t->hpad, t->wpad, x, pw, bias, y};
        KOK(k_conv(c, &cv));
        char name[64];
        snprintf(name, sizeof name, "conv case %d", ci);
        /* f32 rounding of a K-term sum grows like sqrt(K) ulps of the typical magnitude */
        check_close(k, name, y, ref, nout, 2e-6, 2.5e-7 * sqrt((double)(t->cin * taps)));
        check_true(k, y[nout] == 42.0f, "conv writes nothing past the output");
        k_convw_free(pw);
        free(x);
        free(bias);
        free(wd);
        free(wstore);
        free(ref);
        free(y);
    }
}

typedef struct tcase {
    int64_t len, cin, cout;
    int k, stride, pad, dil, opad;
} tcase;

static const tcase TCASES[] = {
    {13, 5, 7, 4, 2, 1, 1, 0}, {20, 9, 33, 16, 8, 4, 1, 0}, {7, 3, 4, 3, 3, 0, 2, 1},
    {11, 6, 5, 5, 1, 2, 1, 0}, {30, 16, 40, 11, 5, 3, 1, 2}, {1, 2, 3, 2, 2, 0, 1, 0},
};
#define NTCASES (int)(sizeof TCASES / sizeof TCASES[0])

static void case_transpose(const kctx *c, krng *r, kcheck *k)
{
    for (int ci = 0; ci < NTCASES; ci++) {
        const tcase *t = &TCASES[ci];
        int64_t lout = (t->len - 1) * t->stride - 2 * t->pad + (int64_t)t->dil * (t->k - 1) + t->opad + 1;
        float *x = rand_buf(r, t->len * t->cin, 1.0f), *bias = rand_buf(r, t->cout, 1.0f);
        double *wd = dbuf(t->cin * t->cout * t->k);
        kmat wm;
        void *wstore;
        make_weights(r, t->cin, t->cout * t->k, ci % 2, &wm, &wstore, wd);
        kconvw *pw = NULL;
        check_true(k, k_convw_pack_transposed1d(c, &wm, t->cout, t->k, &pw) == KS_OK && pw,
                   "k_convw_pack_transposed1d");
        double *ref = dbuf(lout * t->cout);
        for (int64_t o = 0; o < lout; o++)
            for (int64_t co = 0; co < t->cout; co++) ref[o * t->cout + co] = bias[co];
        for (int64_t i = 0; i < t->len; i++)
            for (int kk = 0; kk < t->k; kk++) {
                int64_t o = i * t->stride - t->pad + (int64_t)kk * t->dil;
                if (o < 0 || o >= lout) continue;
                for (int64_t co = 0; co < t->cout; co++)
                    for (int64_t cc = 0; cc < t->cin; cc++)
                        ref[o * t->cout + co] += x[i * t->cin + cc] * wd[(cc * t->cout + co) * t->k + kk];
            }
        float *y = poisoned(lout * t->cout);
        kconvt1d tc = {t->len, t->cin, t->cout, t->k, t->stride, t->pad, t->dil, t->opad, x, pw, bias, y};
        KOK(k_conv_transpose1d(c, &tc));
        char name[64];
        snprintf(name, sizeof name, "conv_transpose1d case %d", ci);
        check_close(k, name, y, ref, lout * t->cout, 2e-6, 2.5e-7 * sqrt((double)(t->cin * t->k)));
        k_convw_free(pw);
        free(x);
        free(bias);
        free(wd);
        free(wstore);
        free(ref);
        free(y);
    }
}

/* ---------------------------------------------------------------- narrow weights
 * bf16 / f16 / fp8 weights: packed as bf16 panels (half the bytes of f32 ones) when
 * every stored value is bf16-exact, else as f32 panels; either way the result must
 * be bit-identical to packing the f32 values the weights stand for (stored value ×
 * scale, rounded to f32), on every dispatch path. */
typedef enum wkind { WK_BF16, WK_BF16_SCALED, WK_F16_EXACT, WK_F16, WK_E4M3, WK_E5M2, WK_COUNT } wkind;
static const char *const WK_NAME[WK_COUNT] = {"bf16", "bf16*scale", "f16 (bf16-exact)", "f16",
                                              "e4m3*scale", "e5m2*scale"};

/* a typed kmat and the f32 kmat (scale 1) of the values it stands for */
typedef struct wpair {
    kmat typed, f32;
    void *store;
    float *fstore;
} wpair;

static void make_pair(krng *r, int64_t rows, int64_t cols, wkind kind, wpair *p)
{
    int64_t ld = cols + 5, n = rows * ld;
    static const kdtype DT[WK_COUNT] = {KD_BF16, KD_BF16, KD_F16, KD_F16, KD_F8_E4M3, KD_F8_E5M2};
    static const float SCALE[WK_COUNT] = {1.0f, 0.75f, 1.0f, 1.0f, 0.013f, 3.7e-3f};
    p->store = malloc(k_dtype_size(DT[kind]) * (size_t)n);
    p->fstore = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        float v = rng_sym(r, 0.5f);
        if (kind == WK_BF16 || kind == WK_BF16_SCALED) {
            ((uint16_t *)p->store)[i] = k_f32_to_bf16(v);
        } else if (kind == WK_F16_EXACT) {
            v = k_bf16_to_f32(k_f32_to_bf16(v));
            if (fabsf(v) < 0x1p-14f) v = 0.0f; /* f16 subnormals would drop bf16 bits */
            ((uint16_t *)p->store)[i] = k_f32_to_f16(v);
        } else if (kind == WK_F16) {
            ((uint16_t *)p->store)[i] = k_f32_to_f16(v);
        } else {
            uint8_t b = (uint8_t)(rng_uniform(r) * 256.0);
            if (kind == WK_E4M3 && (b & 0x7f) == 0x7f) b ^= 1; /* not NaN */
            if (kind == WK_E5M2 && (b & 0x7c) == 0x7c) b ^= 0x40; /* not inf/NaN */
            ((uint8_t *)p->store)[i] = b;
        }
    }
    k_to_f32(DT[kind], p->store, p->fstore, n);
    for (int64_t i = 0; i < n; i++) p->fstore[i] *= SCALE[kind];
    p->typed = (kmat){DT[kind], p->store, rows, cols, ld, SCALE[kind]};
    p->f32 = (kmat){KD_F32, p->fstore, rows, cols, ld, 1.0f};
}

static int narrow_is_bf16(wkind kind) { return kind != WK_F16; }

static void check_pair_packs(kcheck *k, const kconvw *pt, const kconvw *pf, wkind kind,
                             const char *what)
{
    char name[128];
    snprintf(name, sizeof name, "%s %s: packed bytes %s", what, WK_NAME[kind],
             narrow_is_bf16(kind) ? "half of f32" : "f32 fallback");
    size_t want = narrow_is_bf16(kind) ? k_convw_bytes(pf) / 2 : k_convw_bytes(pf);
    check_true(k, pt && pf && k_convw_bytes(pf) > 0 && k_convw_bytes(pt) == want, name);
}

static void check_identical(kcheck *k, const float *a, const float *b, int64_t n, wkind kind,
                            const char *what)
{
    char name[128];
    snprintf(name, sizeof name, "%s %s: bit-identical to f32 weights", what, WK_NAME[kind]);
    int nan = 0;
    for (int64_t i = 0; i < n; i++) nan |= isnan(a[i]);
    check_true(k, !nan && memcmp(a, b, sizeof(float) * (size_t)n) == 0, name);
}

static void case_conv_narrow(const kctx *c, krng *r, kcheck *k)
{
    static const int PICK[] = {0, 1, 7, 8, 10, 11}; /* odd cout, 2 panels, 1D, chunked taps */
    for (int pi = 0; pi < (int)(sizeof PICK / sizeof PICK[0]); pi++)
        for (int kind = 0; kind < WK_COUNT; kind++) {
            const ccase *t = &CASES[PICK[pi]];
            int taps = t->kt * t->kh * t->kw;
            int64_t to = k_conv_out_len(t->t, t->kt, t->st, t->dt, t->pt0, t->pt1);
            int64_t ho = k_conv_out_len(t->h, t->kh, t->sh, t->dh, t->ph0, t->ph1);
            int64_t wo = k_conv_out_len(t->w, t->kw, t->sw, t->dw, t->pw0, t->pw1);
            int64_t nout = to * ho * wo * t->cout;
            float *x = rand_buf(r, t->t * t->h * t->w * t->cin, 1.0f);
            float *bias = t->bias ? rand_buf(r, t->cout, 1.0f) : NULL;
            wpair wp;
            make_pair(r, t->cout, t->cin * taps, (wkind)kind, &wp);
            kconvw *pt = NULL, *pf = NULL;
            KOK(k_convw_pack(c, &wp.typed, t->cin, t->kt, t->kh, t->kw, &pt));
            KOK(k_convw_pack(c, &wp.f32, t->cin, t->kt, t->kh, t->kw, &pf));
            char what[64];
            snprintf(what, sizeof what, "conv case %d", PICK[pi]);
            check_pair_packs(k, pt, pf, (wkind)kind, what);
            float *yt = poisoned(nout), *yf = poisoned(nout);
            kconv cv = {t->t, t->h, t->w, t->cin, t->cout, t->kt, t->kh, t->kw, t->st, t->sh, t->sw,
                        t->dt, t->dh, t->dw, t->pt0, t->pt1, t->ph0, t->ph1, t->pw0, t->pw1,
                        t->tpad, t->hpad, t->wpad, x, pt, bias, yt};
            if (pt && pf) {
                KOK(k_conv(c, &cv));
                cv.weights = pf;
                cv.y = yf;
                KOK(k_conv(c, &cv));
                check_identical(k, yt, yf, nout, (wkind)kind, what);
            }
            k_convw_free(pt);
            k_convw_free(pf);
            free(x);
            free(bias);
            free(wp.store);
            free(wp.fstore);
            free(yt);
            free(yf);
        }
}

static void case_transpose_narrow(const kctx *c, krng *r, kcheck *k)
{
    for (int ci = 0; ci < NTCASES; ci++)
        for (int kind = 0; kind < WK_COUNT; kind++) {
            const tcase *t = &TCASES[ci];
            int64_t lout = (t->len - 1) * t->stride - 2 * t->pad + (int64_t)t->dil * (t->k - 1) + t->opad + 1;
            float *x = rand_buf(r, t->len * t->cin, 1.0f), *bias = rand_buf(r, t->cout, 1.0f);
            wpair wp;
            make_pair(r, t->cin, t->cout * t->k, (wkind)kind, &wp);
            kconvw *pt = NULL, *pf = NULL;
            KOK(k_convw_pack_transposed1d(c, &wp.typed, t->cout, t->k, &pt));
            KOK(k_convw_pack_transposed1d(c, &wp.f32, t->cout, t->k, &pf));
            char what[64];
            snprintf(what, sizeof what, "conv_transpose1d case %d", ci);
            check_pair_packs(k, pt, pf, (wkind)kind, what);
            float *yt = poisoned(lout * t->cout), *yf = poisoned(lout * t->cout);
            kconvt1d tc = {t->len, t->cin, t->cout, t->k, t->stride, t->pad, t->dil, t->opad, x, pt, bias, yt};
            if (pt && pf) {
                KOK(k_conv_transpose1d(c, &tc));
                tc.weights = pf;
                tc.y = yf;
                KOK(k_conv_transpose1d(c, &tc));
                check_identical(k, yt, yf, lout * t->cout, (wkind)kind, what);
            }
            k_convw_free(pt);
            k_convw_free(pf);
            free(x);
            free(bias);
            free(wp.store);
            free(wp.fstore);
            free(yt);
            free(yf);
        }
}

static void case_out_len(const kctx *c, krng *r, kcheck *k)
{
    (void)c;
    (void)r;
    check_true(k, k_conv_out_len(8, 3, 1, 1, 2, 0) == 8, "causal k3 keeps length");
    check_true(k, k_conv_out_len(9, 3, 2, 1, 1, 1) == 5, "stride 2");
    check_true(k, k_conv_out_len(50, 7, 1, 3, 9, 9) == 50, "dilated same");
    check_true(k, k_conv_out_len(2, 5, 1, 1, 0, 0) == 0, "kernel longer than input");
}

int main(void)
{
    kcheck k = {0, 0};
    for_each_ctx(case_out_len, &k);
    for_each_ctx(case_conv, &k);
    for_each_ctx(case_transpose, &k);
    for_each_ctx(case_conv_narrow, &k);
    for_each_ctx(case_transpose_narrow, &k);
    return check_report(&k, "kernels_ops_conv");
}
