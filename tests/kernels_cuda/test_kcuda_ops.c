/* test_kcuda_ops.c — every CUDA op against its CPU twin on fresh random inputs: the
 * CPU kernel runs on host memory, the CUDA one on device memory (outputs poisoned with
 * NaN first), and the results must agree by relative L2: 1e-5 for f32 work, 1e-4 for
 * fast-precision GEMMs (both sides round the same operands to bf16; only the order of
 * the f32 sums differs). Exits 77 where no CUDA device is usable. */
#include "kcuda_test.h"

#include <stdint.h>
#include <time.h>

#define TOL_F32 1e-5
#define TOL_FAST 1e-4
#define TOL_ATT_BF16 1e-2 /* fast attention: q, k, v and the probabilities rounded to bf16 */

typedef struct env {
    kcuda *d;
    kctx cpu, gpu;
    krng rng;
    kcheck k;
} env;

static void set_prec(env *e, kprec p)
{
    e->cpu.prec = p;
    e->gpu.prec = p;
}

/* ---------------------------------------------------------------- GEMM */
/* Host weight of rows×cols (ld = cols + pad) in dtype dt; values in [-1, 1]·amp. */
static void *make_weight(env *e, kdtype dt, int64_t rows, int64_t ld, float amp)
{
    size_t es = k_dtype_size(dt);
    uint8_t *w = malloc((size_t)(rows * ld) * es);
    for (int64_t i = 0; i < rows * ld; i++) {
        float v = rng_sym(&e->rng, amp);
        switch (dt) {
        case KD_F32: memcpy(w + i * 4, &v, 4); break;
        case KD_BF16: { uint16_t b = k_f32_to_bf16(v); memcpy(w + i * 2, &b, 2); } break;
        case KD_F16: { uint16_t h = k_f32_to_f16(v); memcpy(w + i * 2, &h, 2); } break;
        case KD_F8_E4M3: w[i] = k_f32_to_e4m3(v); break;
        case KD_F8_E5M2: w[i] = (uint8_t)(k_f32_to_f16(v) >> 8); break;
        }
    }
    return w;
}

static void test_linear(env *e, kprec prec, kdtype dt, float scale, int bias_acc, const char *what)
{
    set_prec(e, prec);
    int64_t m = 37 + (int64_t)(rng_uniform(&e->rng) * 50), k = 200, n = 96, ldx = k + 8, ldy = n + 4;
    void *wh = make_weight(e, dt, n, k + 8, dt == KD_F8_E4M3 ? 100.0f : 1.0f);
    kmat w = {dt, wh, n, k, k + 8, scale}, wd;
    die_on(kcuda_mat_upload(&e->gpu, &w, &wd), e->d, "kcuda_mat_upload");
    float *x = rand_buf(&e->rng, m * ldx, 1.0f), *bias = rand_buf(&e->rng, n, 1.0f);
    float *y = rand_buf(&e->rng, m * ldy, 1.0f); /* accumulate adds into these */
    float *xd = dev_f32(e->d, x, m * ldx), *bd = dev_f32(e->d, bias, n), *yd = dev_f32(e->d, y, m * ldy);
    if (!bias_acc) { /* poison what must be written */
        kcuda_free(e->d, yd);
        yd = dev_poisoned(e->d, m * ldy);
    }
    CPU(k_linear(&e->cpu, m, x, ldx, &w, NULL, bias_acc ? bias : NULL, y, ldy, bias_acc));
    die_on(kcuda_linear(&e->gpu, m, xd, ldx, &wd, bias_acc ? bd : NULL, yd, ldy, bias_acc), e->d, what);
    /* compare the written columns only (row padding is not output) */
    float *yh = host_of(e->d, yd, m * ldy), *a = malloc(sizeof(float) * (size_t)(m * n)),
          *b = malloc(sizeof(float) * (size_t)(m * n));
    for (int64_t r = 0; r < m; r++)
        for (int64_t c = 0; c < n; c++) {
            a[r * n + c] = yh[r * ldy + c];
            b[r * n + c] = y[r * ldy + c];
        }
    check_rel_l2(&e->k, what, a, b, m * n, prec == KP_FAST ? TOL_FAST : TOL_F32);
    free(yh), free(a), free(b), free(x), free(bias), free(y), free(wh);
    kcuda_free(e->d, xd), kcuda_free(e->d, bd), kcuda_free(e->d, yd);
    kcuda_mat_free(&e->gpu, &wd);
}

static void test_sgemm(env *e, int ta, int tb)
{
    int64_t m = 45, n = 70, k = 33, lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    int64_t na = (ta ? k : m) * lda, nb = (tb ? n : k) * ldb, nc = m * ldc;
    float *a = rand_buf(&e->rng, na, 1), *b = rand_buf(&e->rng, nb, 1), *c = rand_buf(&e->rng, nc, 1);
    float *ad = dev_f32(e->d, a, na), *bd = dev_f32(e->d, b, nb), *cd = dev_f32(e->d, c, nc);
    CPU(k_sgemm(&e->cpu, ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c, ldc));
    die_on(kcuda_sgemm(&e->gpu, ta, tb, m, n, k, 0.75f, ad, lda, bd, ldb, 0.5f, cd, ldc), e->d, "sgemm");
    char what[64];
    snprintf(what, sizeof what, "sgemm ta=%d tb=%d (alpha, beta)", ta, tb);
    check_dev(&e->k, e->d, what, cd, c, nc, TOL_F32);
    free(a), free(b), free(c);
    kcuda_free(e->d, ad), kcuda_free(e->d, bd), kcuda_free(e->d, cd);
}

/* Fast precision with FP8 E4M3 weights on shapes the FP8 tensor cores take (k, n
 * multiples of 16, dense y): the activations are quantised to E4M3 per tensor, so the
 * bound is E4M3's (3 mantissa bits), not bf16's. */
static void test_linear_fp8(env *e, int bias_acc, const char *what)
{
    set_prec(e, KP_FAST);
    const int64_t m = 40 + (int64_t)(rng_uniform(&e->rng) * 50), k = 256, n = 128, ldx = k + 8;
    void *wh = make_weight(e, KD_F8_E4M3, n, k, 100.0f);
    kmat w = {KD_F8_E4M3, wh, n, k, k, 1.0f / 100}, wd;
    die_on(kcuda_mat_upload(&e->gpu, &w, &wd), e->d, "kcuda_mat_upload");
    float *x = rand_buf(&e->rng, m * ldx, 3.0f), *bias = rand_buf(&e->rng, n, 1.0f), *y = rand_buf(&e->rng, m * n, 1.0f);
    float *xd = dev_f32(e->d, x, m * ldx), *bd = dev_f32(e->d, bias, n), *yd = dev_f32(e->d, y, m * n);
    CPU(k_linear(&e->cpu, m, x, ldx, &w, NULL, bias_acc ? bias : NULL, y, n, bias_acc));
    die_on(kcuda_linear(&e->gpu, m, xd, ldx, &wd, bias_acc ? bd : NULL, yd, n, bias_acc), e->d, what);
    check_dev(&e->k, e->d, what, yd, y, m * n, 5e-2);
    /* from sm_89 on the card has FP8 tensor cores: the bf16 fallback must not have run */
    const char *sm = strstr(kcuda_name(e->d), "sm_"), *off = kcuda_fp8_unavailable(e->d);
    if (sm && atoi(sm + 3) >= 89 && off) {
        printf("FAIL %s: fell back to bf16 widening (%s)\n", what, off);
        e->k.failures++;
    }
    kcuda_mat_free(&e->gpu, &wd);
    kcuda_free(e->d, xd), kcuda_free(e->d, bd), kcuda_free(e->d, yd);
    free(wh), free(x), free(bias), free(y);
}

/* Fast GEMMs on the same input back to back reuse its bf16 rounding; an op writing that
 * input in between must make the next GEMM round it again. */
static void test_linear_reuse(env *e)
{
    set_prec(e, KP_FAST);
    const int64_t m = 150, k = 256, n = 192;
    void *w1h = make_weight(e, KD_BF16, n, k, 1.0f), *w2h = make_weight(e, KD_BF16, n, k, 1.0f);
    kmat w1 = {KD_BF16, w1h, n, k, k, 1.0f}, w2 = {KD_BF16, w2h, n, k, k, 1.0f}, w1d, w2d;
    die_on(kcuda_mat_upload(&e->gpu, &w1, &w1d), e->d, "kcuda_mat_upload");
    die_on(kcuda_mat_upload(&e->gpu, &w2, &w2d), e->d, "kcuda_mat_upload");
    float *x = rand_buf(&e->rng, m * k, 2.0f), *y1 = poisoned(m * n), *y2 = poisoned(m * n), *y3 = poisoned(m * n);
    float *xd = dev_f32(e->d, x, m * k), *y1d = dev_poisoned(e->d, m * n), *y2d = dev_poisoned(e->d, m * n),
          *y3d = dev_poisoned(e->d, m * n);
    CPU(k_linear(&e->cpu, m, x, k, &w1, NULL, NULL, y1, n, 0));
    CPU(k_linear(&e->cpu, m, x, k, &w2, NULL, NULL, y2, n, 0));
    die_on(kcuda_linear(&e->gpu, m, xd, k, &w1d, NULL, y1d, n, 0), e->d, "linear reuse 1");
    die_on(kcuda_linear(&e->gpu, m, xd, k, &w2d, NULL, y2d, n, 0), e->d, "linear reuse 2");
    check_dev(&e->k, e->d, "linear fast, second GEMM on the same input", y2d, y2, m * n, TOL_FAST);
    /* x scaled in place between two GEMMs on it */
    CPU(k_scale(&e->cpu, x, -0.5f, x, m * k));
    CPU(k_linear(&e->cpu, m, x, k, &w1, NULL, NULL, y3, n, 0));
    die_on(kcuda_elementwise(&e->gpu, KCUDA_SCALE, xd, NULL, -0.5f, xd, m * k), e->d, "scale");
    die_on(kcuda_linear(&e->gpu, m, xd, k, &w1d, NULL, y3d, n, 0), e->d, "linear after a write");
    check_dev(&e->k, e->d, "linear fast, input written in between", y3d, y3, m * n, TOL_FAST);
    check_dev(&e->k, e->d, "linear fast, first GEMM", y1d, y1, m * n, TOL_FAST);
    kcuda_mat_free(&e->gpu, &w1d), kcuda_mat_free(&e->gpu, &w2d);
    kcuda_free(e->d, xd), kcuda_free(e->d, y1d), kcuda_free(e->d, y2d), kcuda_free(e->d, y3d);
    free(w1h), free(w2h), free(x), free(y1), free(y2), free(y3);
}

/* ---------------------------------------------------------------- feed-forward */
/* k_feedforward on the device (fast + bf16 weights: the fused GELU epilogue; else
 * linear, GELU, linear) against the CPU in the same precision, accumulating into y. */
static void test_feedforward(env *e, kprec prec, const char *what)
{
    set_prec(e, prec);
    const int64_t n = 70 + (int64_t)(rng_uniform(&e->rng) * 60), dim = 96, hid = 384, ldx = dim + 4;
    void *w1h = make_weight(e, KD_BF16, hid, dim, 1.0f), *w2h = make_weight(e, KD_BF16, dim, hid, 1.0f);
    kmat w1 = {KD_BF16, w1h, hid, dim, dim, 1.0f}, w2 = {KD_BF16, w2h, dim, hid, hid, 1.0f}, w1d, w2d;
    die_on(kcuda_mat_upload(&e->gpu, &w1, &w1d), e->d, "kcuda_mat_upload");
    die_on(kcuda_mat_upload(&e->gpu, &w2, &w2d), e->d, "kcuda_mat_upload");
    float *x = rand_buf(&e->rng, n * ldx, 2.0f), *b1 = rand_buf(&e->rng, hid, 0.5f), *b2 = rand_buf(&e->rng, dim, 0.5f);
    float *y = rand_buf(&e->rng, n * dim, 1.0f);
    float *xd = dev_f32(e->d, x, n * ldx), *b1d = dev_f32(e->d, b1, hid), *b2d = dev_f32(e->d, b2, dim);
    float *yd = dev_f32(e->d, y, n * dim);
    CPU(k_feedforward(&e->cpu, n, x, ldx, &w1, b1, &w2, b2, y, dim, 1));
    die_on(k_feedforward(&e->gpu, n, xd, ldx, &w1d, b1d, &w2d, b2d, yd, dim, 1), e->d, what);
    check_dev(&e->k, e->d, what, yd, y, n * dim, prec == KP_FAST ? 1e-3 : TOL_F32);
    kcuda_mat_free(&e->gpu, &w1d), kcuda_mat_free(&e->gpu, &w2d);
    kcuda_free(e->d, xd), kcuda_free(e->d, b1d), kcuda_free(e->d, b2d), kcuda_free(e->d, yd);
    free(w1h), free(w2h), free(x), free(b1), free(b2), free(y);
}

/* ---------------------------------------------------------------- RoPE tables */
static void test_rope_table(env *e, int n_axes, int middle, int round_bf16, const char *what)
{
    const int64_t n = 300;
    const int dim = 128, half = dim / 2, nf = dim / (2 * n_axes);
    float freq[64], *pos = rand_buf(&e->rng, (int64_t)n_axes * n * 2, 50.0f);
    for (int k = 0; k < nf; k++) freq[k] = powf(10000.0f, (float)k / (float)(nf - 1)) * 1.5707964f;
    krope_table t = {.n = n, .n_axes = n_axes, .half = half, .pad = half - nf * n_axes, .nf = nf, .middle = middle,
                     .round_bf16 = round_bf16, .positions = pos, .max_pos = {20.0f, 2048.0f, 2048.0f}, .freq = freq};
    float *c = poisoned(n * half), *sn = poisoned(n * half);
    CPU(k_rope_table(&e->cpu, &t, c, sn));
    krope_table g = t;
    g.positions = dev_f32(e->d, pos, (int64_t)n_axes * n * 2);
    float *cd = dev_poisoned(e->d, n * half), *sd = dev_poisoned(e->d, n * half);
    die_on(kcuda_rope_table(&e->gpu, &g, cd, sd), e->d, what);
    check_dev(&e->k, e->d, what, cd, c, n * half, round_bf16 ? 1e-2 : TOL_F32);
    check_dev(&e->k, e->d, what, sd, sn, n * half, round_bf16 ? 1e-2 : TOL_F32);
    kcuda_free(e->d, (void *)g.positions), kcuda_free(e->d, cd), kcuda_free(e->d, sd);
    free(pos), free(c), free(sn);
}

/* ---------------------------------------------------------------- attention */
/* Options of one attention check: edge > 0 checks only the first and last edge query
 * rows against the CPU (full-attention rows are independent, so a 4992-token case stays
 * cheap on the CPU); want: the kernel kcuda_attention must have run (NULL: any); vs_tc:
 * also run the mma.sync kernel on the same inputs and compare every row with it. */
typedef struct att_opts {
    int64_t edge;
    const char *want;
    int vs_tc;
} att_opts;

/* Rows [r0, r0+n) of both outputs (rows of ld floats) appended at *at. */
static void take_rows(float *got, float *ref, int64_t *at, const float *g, const float *r, int64_t r0, int64_t n,
                      int64_t ld)
{
    memcpy(got + *at, g + r0 * ld, sizeof(float) * (size_t)(n * ld));
    memcpy(ref + *at, r + r0 * ld, sizeof(float) * (size_t)(n * ld));
    *at += n * ld;
}

static void check_kernel_used(env *e, const char *want, const char *what)
{
    if (!want) return;
    const char *used = kcuda_attention_kernel_used(e->d);
    int ok = !strcmp(used, want);
    printf("%s %-44s kernel %s (want %s)\n", ok ? "ok  " : "FAIL", what, used, want);
    e->k.checks++;
    e->k.failures += !ok;
}

static void test_attention_opts(env *e, int64_t nq, int64_t nkv, int heads, int kv_heads, int hd, int causal,
                                int64_t window, int bias, att_opts o, const char *what)
{
    int64_t ldq = heads * hd + 4, ldk = kv_heads * hd + 2, ldo = heads * hd;
    float *q = rand_buf(&e->rng, nq * ldq, 1.5f), *k = rand_buf(&e->rng, nkv * ldk, 1.5f),
          *v = rand_buf(&e->rng, nkv * ldk, 1.0f), *kb = rand_buf(&e->rng, nkv, 1.0f);
    for (int64_t j = 0; j < nkv; j++)
        if (j % 7 == 3) kb[j] = -1e9f; /* masked keys, as the text encoders pass them */
    float *out = poisoned(nq * ldo);
    kattn a = {nq, nkv, heads, kv_heads, hd, q, ldq, k, ldk, v, ldk, out, ldo, bias ? kb : NULL,
               causal, window, 1.0f / sqrtf((float)hd)};
    const int part = o.edge > 0 && 2 * o.edge < nq && !causal && window <= 0;
    if (part) { /* the first and the last edge rows */
        kattn c = a;
        c.nq = o.edge;
        CPU(k_attention(&e->cpu, &c));
        c.q = q + (nq - o.edge) * ldq;
        c.out = out + (nq - o.edge) * ldo;
        CPU(k_attention(&e->cpu, &c));
    } else {
        CPU(k_attention(&e->cpu, &a));
    }
    kattn g = a;
    g.q = dev_f32(e->d, q, nq * ldq);
    g.k = dev_f32(e->d, k, nkv * ldk);
    g.v = dev_f32(e->d, v, nkv * ldk);
    g.key_bias = bias ? dev_f32(e->d, kb, nkv) : NULL;
    g.out = dev_poisoned(e->d, nq * ldo);
    die_on(kcuda_attention(&e->gpu, &g), e->d, what);
    check_kernel_used(e, o.want, what);
    const double tol = e->gpu.prec == KP_FAST ? TOL_ATT_BF16 : TOL_F32;
    float *got = host_of(e->d, g.out, nq * ldo);
    if (part) {
        float *gr = malloc(sizeof(float) * (size_t)(2 * o.edge * ldo)), *rr = malloc(sizeof(float) * (size_t)(2 * o.edge * ldo));
        int64_t at = 0;
        take_rows(gr, rr, &at, got, out, 0, o.edge, ldo);
        take_rows(gr, rr, &at, got, out, nq - o.edge, o.edge, ldo);
        check_rel_l2(&e->k, what, gr, rr, at, tol);
        free(gr), free(rr);
    } else {
        check_rel_l2(&e->k, what, got, out, nq * ldo, tol);
    }
    if (o.vs_tc) { /* every row against the other bf16 kernel */
        kcuda_set_attention_kernel(e->d, KCUDA_ATTN_TC);
        die_on(kcuda_attention(&e->gpu, &g), e->d, what);
        kcuda_set_attention_kernel(e->d, KCUDA_ATTN_AUTO);
        check_kernel_used(e, "tc", "  the same with the kernel forced to tc");
        check_dev(&e->k, e->d, "  the same, every row against mma.sync", g.out, got, nq * ldo, TOL_ATT_BF16);
    }
    free(got);
    kcuda_free(e->d, (void *)g.q), kcuda_free(e->d, (void *)g.k), kcuda_free(e->d, (void *)g.v);
    kcuda_free(e->d, (void *)g.key_bias), kcuda_free(e->d, g.out);
    free(q), free(k), free(v), free(kb), free(out);
}

static void test_attention(env *e, int64_t nq, int64_t nkv, int heads, int kv_heads, int hd, int causal,
                           int64_t window, int bias, const char *what)
{
    test_attention_opts(e, nq, nkv, heads, kv_heads, hd, causal, window, bias, (att_opts){0, NULL, 0}, what);
}

/* Fast precision picks the wgmma kernel on sm_90 cards (auto), else mma.sync: full
 * attention with GQA, key_bias, nq != nkv and token counts off the 128-row tiles. */
static void test_attention_fast_kernels(env *e)
{
    set_prec(e, KP_FAST);
    kcuda_set_attention_kernel(e->d, KCUDA_ATTN_AUTO);
    const char *fk = strstr(kcuda_name(e->d), "(sm_90,") ? "wgmma" : "tc";
    const att_opts all = {0, fk, 0};
    test_attention_opts(e, 300, 300, 8, 2, 128, 0, 0, 1, all, "attention d128 GQA key_bias (auto kernel)");
    test_attention_opts(e, 1000, 777, 4, 2, 128, 0, 0, 1, all, "attention d128 1000x777 GQA key_bias (auto)");
    test_attention_opts(e, 129, 1, 2, 1, 128, 0, 0, 0, all, "attention d128 129 queries, 1 key (auto)");
    test_attention_opts(e, 70, 300, 6, 3, 128, 0, 0, 0, all, "attention d128 nq<nkv (auto)");
    test_attention_opts(e, 257, 200, 3, 3, 64, 0, 0, 1, all, "attention d64 key_bias (auto)");
    test_attention_opts(e, 150, 333, 4, 4, 128, 1, 0, 0, (att_opts){0, "tc", 0}, "attention d128 causal stays on mma.sync");
    test_attention_opts(e, 4992, 4992, 32, 32, 128, 0, 0, 0, (att_opts){64, fk, 1},
                        "attention d128 4992 tok 32 heads (auto)");
}

/* ---------------------------------------------------------------- convolution */
static void test_conv(env *e, kdtype dt, float scale, const char *what)
{
    kconv c = {.t = 5, .h = 9, .w = 11, .cin = 12, .cout = 20, .kt = 3, .kh = 3, .kw = 3,
               .st = 1, .sh = 2, .sw = 1, .dt = 1, .dh = 1, .dw = 2,
               .pt0 = 2, .pt1 = 0, .ph0 = 1, .ph1 = 1, .pw0 = 2, .pw1 = 2,
               .tpad = KPAD_REPLICATE, .hpad = KPAD_REFLECT, .wpad = KPAD_ZEROS};
    int64_t cols = c.cin * 27, nx = c.t * c.h * c.w * c.cin;
    void *wh = make_weight(e, dt, c.cout, cols, 0.3f);
    kmat w = {dt, wh, c.cout, cols, cols, scale};
    int64_t to = k_conv_out_len(c.t, c.kt, c.st, c.dt, c.pt0, c.pt1), ho = k_conv_out_len(c.h, c.kh, c.sh, c.dh, c.ph0, c.ph1),
            wo = k_conv_out_len(c.w, c.kw, c.sw, c.dw, c.pw0, c.pw1), ny = to * ho * wo * c.cout;
    float *x = rand_buf(&e->rng, nx, 1), *bias = rand_buf(&e->rng, c.cout, 1), *y = poisoned(ny);
    kconvw *cw = cpu_convw(&e->cpu, &w, c.cin, 3, 3, 3);
    kconv cc = c;
    cc.x = x, cc.bias = bias, cc.y = y, cc.weights = cw;
    CPU(k_conv(&e->cpu, &cc));
    kcuda_convw *gw;
    die_on(kcuda_convw_create(&e->gpu, &w, c.cin, 3, 3, 3, &gw), e->d, "kcuda_convw_create");
    kconv gc = c;
    gc.x = dev_f32(e->d, x, nx), gc.bias = dev_f32(e->d, bias, c.cout), gc.y = dev_poisoned(e->d, ny);
    die_on(kcuda_conv(&e->gpu, &gc, gw), e->d, what);
    check_dev(&e->k, e->d, what, gc.y, y, ny, TOL_F32);
    kcuda_free(e->d, (void *)gc.x), kcuda_free(e->d, (void *)gc.bias), kcuda_free(e->d, gc.y);
    kcuda_convw_free(&e->gpu, gw);
    k_convw_free(cw);
    free(wh), free(x), free(bias), free(y);
}

static void test_conv_t1d(env *e)
{
    kconvt1d c = {.len = 50, .cin = 24, .cout = 16, .k = 7, .stride = 3, .pad = 2, .dilation = 1, .output_padding = 1};
    int64_t lout = (c.len - 1) * c.stride - 2 * c.pad + c.dilation * (c.k - 1) + c.output_padding + 1;
    void *wh = make_weight(e, KD_BF16, c.cin, c.cout * c.k, 0.3f);
    kmat w = {KD_BF16, wh, c.cin, c.cout * c.k, c.cout * c.k, 1.0f};
    float *x = rand_buf(&e->rng, c.len * c.cin, 1), *bias = rand_buf(&e->rng, c.cout, 1), *y = poisoned(lout * c.cout);
    kconvw *cw = cpu_convw_t1d(&e->cpu, &w, c.cout, c.k);
    kconvt1d cc = c;
    cc.x = x, cc.bias = bias, cc.y = y, cc.weights = cw;
    CPU(k_conv_transpose1d(&e->cpu, &cc));
    kcuda_convw *gw;
    die_on(kcuda_convw_create_transposed1d(&e->gpu, &w, c.cout, c.k, &gw), e->d, "convw transposed");
    kconvt1d gc = c;
    gc.x = dev_f32(e->d, x, c.len * c.cin), gc.bias = dev_f32(e->d, bias, c.cout), gc.y = dev_poisoned(e->d, lout * c.cout);
    die_on(kcuda_conv_transpose1d(&e->gpu, &gc, gw), e->d, "conv_transpose1d");
    check_dev(&e->k, e->d, "conv_transpose1d bf16 (stride 3, pad 2, outpad 1)", gc.y, y, lout * c.cout, TOL_F32);
    kcuda_free(e->d, (void *)gc.x), kcuda_free(e->d, (void *)gc.bias), kcuda_free(e->d, gc.y);
    kcuda_convw_free(&e->gpu, gw);
    k_convw_free(cw);
    free(wh), free(x), free(bias), free(y);
}

/* ---------------------------------------------------------------- norms, softmax, RoPE */
static void test_norms(env *e)
{
    int64_t rows = 67, dim = 333, ld = 340, n = rows * ld;
    float *x = rand_buf(&e->rng, n, 2), *w = rand_buf(&e->rng, dim, 1), *y = poisoned(n);
    for (int64_t i = 0; i < n; i++) x[i] += 0.5f; /* a mean for LayerNorm to remove */
    float *xd = dev_f32(e->d, x, n), *wd = dev_f32(e->d, w, dim), *yd = dev_poisoned(e->d, n);
    CPU(k_rmsnorm(&e->cpu, rows, dim, x, ld, w, 1.0f, 1e-6f, y, ld));
    die_on(kcuda_rmsnorm(&e->gpu, rows, dim, xd, ld, wd, 1.0f, 1e-6f, yd, ld), e->d, "rmsnorm");
    /* padding columns stay NaN on both sides; compare rows' first dim values */
    float *h = host_of(e->d, yd, n);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = dim; c < ld; c++) h[r * ld + c] = y[r * ld + c] = 0;
    check_rel_l2(&e->k, "rmsnorm (w_offset 1, ld > dim)", h, y, n, TOL_F32);
    free(h);
    CPU(k_layernorm(&e->cpu, rows, dim, x, ld, 1e-6f, y, ld));
    die_on(kcuda_layernorm(&e->gpu, rows, dim, xd, ld, 1e-6f, yd, ld), e->d, "layernorm");
    h = host_of(e->d, yd, n);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = dim; c < ld; c++) h[r * ld + c] = y[r * ld + c] = 0;
    check_rel_l2(&e->k, "layernorm", h, y, n, TOL_F32);
    free(h);
    /* softmax in place, one row fully masked, one partly */
    float *s = rand_buf(&e->rng, n, 4);
    for (int64_t c = 0; c < dim; c++) s[5 * ld + c] = -INFINITY; /* padding stays finite */
    for (int64_t c = 0; c < dim; c += 3) s[9 * ld + c] = -INFINITY;
    float *sd = dev_f32(e->d, s, n);
    CPU(k_softmax(&e->cpu, rows, dim, s, ld));
    die_on(kcuda_softmax(&e->gpu, rows, dim, sd, ld), e->d, "softmax");
    check_dev(&e->k, e->d, "softmax (masked rows)", sd, s, n, TOL_F32);
    kcuda_free(e->d, sd), free(s);
    /* group norm and pixel norm over channels-last positions */
    int64_t np = 1000, c = 96;
    float *g = rand_buf(&e->rng, np * c, 1), *gb = rand_buf(&e->rng, 2 * c, 1), *gy = poisoned(np * c);
    for (int64_t i = 0; i < np * c; i++) g[i] = 3.0f + 2.0f * g[i];
    float *gd = dev_f32(e->d, g, np * c), *gbd = dev_f32(e->d, gb, 2 * c), *gyd = dev_poisoned(e->d, np * c);
    CPU(k_groupnorm(&e->cpu, np, c, 32, g, gb, gb + c, 1e-6f, gy));
    die_on(kcuda_groupnorm(&e->gpu, np, c, 32, gd, gbd, gbd + c, 1e-6f, gyd), e->d, "groupnorm");
    check_dev(&e->k, e->d, "groupnorm (32 groups, gamma, beta)", gyd, gy, np * c, TOL_F32);
    CPU(k_pixelnorm(&e->cpu, np, c, g, 1e-8f, gy));
    die_on(kcuda_pixelnorm(&e->gpu, np, c, gd, 1e-8f, gyd), e->d, "pixelnorm");
    check_dev(&e->k, e->d, "pixelnorm", gyd, gy, np * c, TOL_F32);
    kcuda_free(e->d, gd), kcuda_free(e->d, gbd), kcuda_free(e->d, gyd), free(g), free(gb), free(gy);
    kcuda_free(e->d, xd), kcuda_free(e->d, wd), kcuda_free(e->d, yd), free(x), free(w), free(y);
}

/* RMSNorm on rows of a multiple of 4 (16-byte kernel): held in registers (dim <= 4096)
 * and not (wider), in place as the transformer's q/k norms run. */
static void test_rmsnorm4(env *e, int64_t dim, const char *what)
{
    const int64_t rows = 37, ld = dim + 8, n = rows * ld;
    float *x = rand_buf(&e->rng, n, 2), *w = rand_buf(&e->rng, dim, 1);
    float *xd = dev_f32(e->d, x, n), *wd = dev_f32(e->d, w, dim);
    CPU(k_rmsnorm(&e->cpu, rows, dim, x, ld, w, 0.0f, 1e-6f, x, ld));
    die_on(kcuda_rmsnorm(&e->gpu, rows, dim, xd, ld, wd, 0.0f, 1e-6f, xd, ld), e->d, what);
    check_dev(&e->k, e->d, what, xd, x, n, TOL_F32);
    kcuda_free(e->d, xd), kcuda_free(e->d, wd), free(x), free(w);
}

/* The fused AdaLN input (RMSNorm then modulation) against the CPU's two ops; dim 4k
 * takes the fused kernel, an odd dim the two CUDA ops. */
static void test_rmsnorm_modulate(env *e, int64_t dim, const char *what)
{
    const int64_t rows = 41, n = rows * dim;
    float *x = rand_buf(&e->rng, n, 2), *ss = rand_buf(&e->rng, 2 * dim, 0.5f), *y = poisoned(n);
    float *xd = dev_f32(e->d, x, n), *ssd = dev_f32(e->d, ss, 2 * dim), *yd = dev_poisoned(e->d, n);
    CPU(k_rmsnorm_modulate(&e->cpu, rows, dim, x, 1e-6f, ss, ss + dim, y));
    die_on(kcuda_rmsnorm_modulate(&e->gpu, rows, dim, xd, 1e-6f, ssd, ssd + dim, yd), e->d, what);
    check_dev(&e->k, e->d, what, yd, y, n, TOL_F32);
    kcuda_free(e->d, xd), kcuda_free(e->d, ssd), kcuda_free(e->d, yd), free(x), free(ss), free(y);
}

/* The fused q/k path against the CPU's RMSNorm then RoPE, in place. */
static void test_rmsnorm_rope(env *e, krope_layout layout, int64_t dim, int64_t hd, const char *what)
{
    const int64_t tokens = 53, ldx = dim + 4, ldcs = dim / 2 + 2, n = tokens * ldx, ncs = tokens * ldcs;
    float *x = rand_buf(&e->rng, n, 3), *w = rand_buf(&e->rng, dim, 1);
    float *cs = rand_buf(&e->rng, ncs, 1), *sn = rand_buf(&e->rng, ncs, 1);
    float *xd = dev_f32(e->d, x, n), *wd = dev_f32(e->d, w, dim), *csd = dev_f32(e->d, cs, ncs),
          *snd = dev_f32(e->d, sn, ncs);
    CPU(k_rmsnorm_rope(&e->cpu, tokens, dim, x, ldx, w, 1e-6f, layout, hd, cs, sn, ldcs));
    die_on(kcuda_rmsnorm_rope(&e->gpu, tokens, dim, xd, ldx, wd, 1e-6f, layout, hd, csd, snd, ldcs), e->d, what);
    check_dev(&e->k, e->d, what, xd, x, n, TOL_F32);
    kcuda_free(e->d, xd), kcuda_free(e->d, wd), kcuda_free(e->d, csd), kcuda_free(e->d, snd);
    free(x), free(w), free(cs), free(sn);
}

static void test_rope(env *e, krope_layout layout, const char *what)
{
    int64_t tokens = 77, dim = 96, hd = 32, ldx = 100, ldcs = 50, n = tokens * ldx, ncs = tokens * ldcs;
    float *x = rand_buf(&e->rng, n, 1), *cs = rand_buf(&e->rng, ncs, 1), *sn = rand_buf(&e->rng, ncs, 1);
    float *xd = dev_f32(e->d, x, n), *csd = dev_f32(e->d, cs, ncs), *snd = dev_f32(e->d, sn, ncs);
    CPU(k_rope(&e->cpu, layout, tokens, dim, hd, x, ldx, cs, sn, ldcs));
    die_on(kcuda_rope(&e->gpu, layout, tokens, dim, hd, xd, ldx, csd, snd, ldcs), e->d, what);
    check_dev(&e->k, e->d, what, xd, x, n, TOL_F32);
    kcuda_free(e->d, xd), kcuda_free(e->d, csd), kcuda_free(e->d, snd), free(x), free(cs), free(sn);
}

/* ---------------------------------------------------------------- elementwise */
/* Odd sizes take the scalar kernels, multiples of 4 the 16-byte ones; rows narrower than
 * a block take the several-rows-per-block mapping (vec names the case). */
static void test_elementwise(env *e, int64_t n, int64_t rows, int64_t dim, const char *vec)
{
    char nm[96];
#define NM(s) (snprintf(nm, sizeof nm, "%s%s", (s), vec), nm)
    float *a = rand_buf(&e->rng, n, 6), *b = rand_buf(&e->rng, n, 2), *y = poisoned(n);
    float *ad = dev_f32(e->d, a, n), *bd = dev_f32(e->d, b, n), *yd = dev_poisoned(e->d, n);
    static const struct { kcuda_ew op; const char *name; } ops[] = {
        {KCUDA_GELU_TANH, "gelu_tanh"}, {KCUDA_SILU, "silu"}, {KCUDA_TANH, "tanh"}, {KCUDA_LEAKY_RELU, "leaky_relu"},
        {KCUDA_ADD, "add"}, {KCUDA_MUL, "mul"}, {KCUDA_SCALE, "scale"}, {KCUDA_ROUND_BF16, "round_bf16"}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        switch (ops[i].op) {
        case KCUDA_GELU_TANH: CPU(k_gelu_tanh(&e->cpu, a, y, n)); break;
        case KCUDA_SILU: CPU(k_silu(&e->cpu, a, y, n)); break;
        case KCUDA_TANH: CPU(k_tanh(&e->cpu, a, y, n)); break;
        case KCUDA_LEAKY_RELU: CPU(k_leaky_relu(&e->cpu, a, y, n, 0.2f)); break;
        case KCUDA_ADD: CPU(k_add(&e->cpu, a, b, y, n)); break;
        case KCUDA_MUL: CPU(k_mul(&e->cpu, a, b, y, n)); break;
        case KCUDA_SCALE: CPU(k_scale(&e->cpu, a, 0.37f, y, n)); break;
        case KCUDA_ROUND_BF16: memcpy(y, a, (size_t)n * sizeof(float)), CPU(k_round_bf16_on(&e->cpu, y, n)); break;
        }
        float s = ops[i].op == KCUDA_LEAKY_RELU ? 0.2f : 0.37f;
        die_on(kcuda_elementwise(&e->gpu, ops[i].op, ad, bd, s, yd, n), e->d, NM(ops[i].name));
        check_dev(&e->k, e->d, NM(ops[i].name), yd, y, n, TOL_F32);
    }
    CPU(k_shift_scale_clamp(&e->cpu, a, 1.0f, 0.5f, 0.0f, 1.0f, y, n));
    die_on(kcuda_shift_scale_clamp(&e->gpu, ad, 1.0f, 0.5f, 0.0f, 1.0f, yd, n), e->d, "clamp");
    check_dev(&e->k, e->d, NM("shift_scale_clamp"), yd, y, n, TOL_F32);
    /* row broadcasts over rows × dim (≤ n) */
    float *sc = b, *sh = b + dim, *yr = rand_buf(&e->rng, rows * dim, 1);
    float *yrd = dev_f32(e->d, yr, rows * dim);
    CPU(k_modulate(&e->cpu, rows, dim, a, sc, sh, y));
    die_on(kcuda_modulate(&e->gpu, rows, dim, ad, bd, bd + dim, yd), e->d, "modulate");
    check_dev(&e->k, e->d, NM("modulate"), yd, y, rows * dim, TOL_F32);
    CPU(k_add_row(&e->cpu, rows, dim, a, sc, y));
    die_on(kcuda_add_row(&e->gpu, rows, dim, ad, bd, yd), e->d, "add_row");
    check_dev(&e->k, e->d, NM("add_row"), yd, y, rows * dim, TOL_F32);
    CPU(k_gated_add(&e->cpu, rows, dim, a, sc, yr));
    die_on(kcuda_gated_add(&e->gpu, rows, dim, ad, bd, yrd), e->d, "gated_add");
    check_dev(&e->k, e->d, NM("gated_add"), yrd, yr, rows * dim, TOL_F32);
    kcuda_free(e->d, ad), kcuda_free(e->d, bd), kcuda_free(e->d, yd), kcuda_free(e->d, yrd);
    free(a), free(b), free(y), free(yr);
#undef NM
}

/* ---------------------------------------------------------------- layout */
static void test_layout(env *e)
{
    int64_t t = 3, h = 5, w = 7, c = 6;
    int pt = 2, ph = 2, pw = 3;
    int64_t n = t * h * w * c * pt * ph * pw;
    float *x = rand_buf(&e->rng, n, 1), *y = poisoned(n), *z = poisoned(n);
    float *xd = dev_f32(e->d, x, n), *yd = dev_poisoned(e->d, n), *zd = dev_poisoned(e->d, n);
    CPU(k_depth_to_space3d(&e->cpu, t, h, w, c, pt, ph, pw, x, y));
    die_on(kcuda_depth_to_space3d(&e->gpu, t, h, w, c, pt, ph, pw, xd, yd), e->d, "d2s");
    check_dev(&e->k, e->d, "depth_to_space3d", yd, y, n, TOL_F32);
    CPU(k_space_to_depth3d(&e->cpu, t, h, w, c, pt, ph, pw, x, z));
    die_on(kcuda_space_to_depth3d(&e->gpu, t, h, w, c, pt, ph, pw, xd, zd), e->d, "s2d");
    check_dev(&e->k, e->d, "space_to_depth3d", zd, z, n, TOL_F32);
    CPU(k_upsample_nearest3d(&e->cpu, t, h, w, c, pt, ph, pw, x, y));
    die_on(kcuda_upsample_nearest3d(&e->gpu, t, h, w, c, pt, ph, pw, xd, yd), e->d, "upsample");
    check_dev(&e->k, e->d, "upsample_nearest3d", yd, y, n, TOL_F32);
    int64_t rows = 45, cols = 71;
    CPU(k_transpose2d(&e->cpu, rows, cols, x, y));
    die_on(kcuda_transpose2d(&e->gpu, rows, cols, xd, yd), e->d, "transpose2d");
    check_dev(&e->k, e->d, "transpose2d", yd, y, rows * cols, TOL_F32);
    kcuda_free(e->d, xd), kcuda_free(e->d, yd), kcuda_free(e->d, zd), free(x), free(y), free(z);
}

int main(void)
{
    env e = {0};
    e.gpu = kcuda_test_begin(&e.rng, 0x9e3779b97f4a7c15ull);
    e.d = e.gpu.cuda;
    kpool *pool = kpool_create(0);
    e.cpu = kctx_default(pool);

    test_linear(&e, KP_EXACT, KD_F32, 1.0f, 0, "linear exact f32");
    test_linear(&e, KP_EXACT, KD_F32, 1.0f, 1, "linear exact f32 +bias +accumulate");
    test_linear(&e, KP_EXACT, KD_BF16, 1.0f, 1, "linear exact bf16 +bias +accumulate");
    test_linear(&e, KP_EXACT, KD_F16, 1.0f, 0, "linear exact f16");
    test_linear(&e, KP_EXACT, KD_F8_E4M3, 1.0f / 100, 1, "linear exact fp8 e4m3 (scale)");
    test_linear(&e, KP_FAST, KD_BF16, 1.0f, 0, "linear fast bf16");
    test_linear(&e, KP_FAST, KD_BF16, 1.0f, 1, "linear fast bf16 +bias +accumulate");
    test_linear(&e, KP_FAST, KD_F8_E4M3, 1.0f / 100, 1, "linear fast fp8 e4m3 (scale)");
    test_linear(&e, KP_FAST, KD_F32, 1.0f, 0, "linear fast f32 weights");
    test_linear_reuse(&e);
    test_linear_fp8(&e, 0, "linear fast fp8 e4m3 on FP8 tensor cores");
    test_linear_fp8(&e, 1, "linear fast fp8 e4m3 on FP8 tensor cores +bias +accumulate");
    set_prec(&e, KP_EXACT);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) test_sgemm(&e, ta, tb);

    test_rope_table(&e, 3, 1, 0, "rope table 3 axes (middle of the bounds)");
    test_rope_table(&e, 1, 0, 1, "rope table 1 axis (start), bf16-rounded");
    test_feedforward(&e, KP_EXACT, "feed-forward exact (linear, GELU, linear)");
    test_feedforward(&e, KP_FAST, "feed-forward fast bf16 (GELU epilogue, bf16 hidden)");
    for (int p = 0; p < 2; p++) { /* exact: the f32 kernel; fast: tensor cores for d64/d128 */
        set_prec(&e, p ? KP_FAST : KP_EXACT);
        test_attention(&e, 300, 300, 8, 2, 128, 0, 0, 1, p ? "attention d128 GQA key_bias (fast)" : "attention d128 GQA key_bias");
        test_attention(&e, 150, 333, 4, 4, 128, 1, 0, 0, p ? "attention d128 causal nq<nkv (fast)" : "attention d128 causal nq<nkv");
        test_attention(&e, 257, 200, 3, 3, 64, 0, 0, 1, p ? "attention d64 key_bias (fast)" : "attention d64 key_bias");
        test_attention(&e, 190, 190, 2, 1, 64, 1, 50, 0, p ? "attention d64 causal window 50 MQA (fast)" : "attention d64 causal window 50 MQA");
        test_attention(&e, 1, 77, 2, 2, 128, 0, 0, 0, p ? "attention d128 one query (fast)" : "attention d128 one query");
    }
    test_attention_fast_kernels(&e);
    set_prec(&e, KP_EXACT);
    test_attention(&e, 257, 257, 4, 1, 256, 1, 64, 1, "attention d256 causal window 64 MQA");
    test_attention(&e, 99, 70, 6, 3, 48, 0, 0, 0, "attention d48 (padded to 64)");
    test_attention(&e, 64, 64, 2, 2, 16, 1, 0, 0, "attention d16 causal");

    test_conv(&e, KD_F32, 1.0f, "conv3d f32 (replicate/reflect/zeros, s2, d2)");
    test_conv(&e, KD_BF16, 0.5f, "conv3d bf16 scaled");
    test_conv_t1d(&e);
    test_norms(&e);
    test_rope(&e, KROPE_SPLIT, "rope split");
    test_rope(&e, KROPE_INTERLEAVED, "rope interleaved");
    test_rmsnorm4(&e, 512, "rmsnorm float4, row in registers");
    test_rmsnorm4(&e, 4104, "rmsnorm float4, row re-read");
    test_rmsnorm_modulate(&e, 4096, "rmsnorm+modulate (fused)");
    test_rmsnorm_modulate(&e, 333, "rmsnorm+modulate (odd width: two ops)");
    test_rmsnorm_rope(&e, KROPE_SPLIT, 512, 128, "rmsnorm+rope split (4 heads of 128)");
    test_rmsnorm_rope(&e, KROPE_INTERLEAVED, 96, 32, "rmsnorm+rope interleaved");
    test_rmsnorm_rope(&e, KROPE_SPLIT, 4096, 128, "rmsnorm+rope split, 4096 wide");
    test_elementwise(&e, 100003, 211, 473, "");
    test_elementwise(&e, 100004, 211, 476, " (float4)");
    test_elementwise(&e, 100003, 2000, 33, " (narrow rows)");
    test_elementwise(&e, 100004, 40, 2048, " (float4, wide rows)");
    test_layout(&e);

    die_on(kcuda_sync(e.d), e.d, "final sync");
    printf("peak device memory %.1f MiB; %d checks, %d failed\n", (double)kcuda_peak_bytes(e.d) / (1 << 20), e.k.checks,
           e.k.failures);
    kcuda_destroy(e.d);
    kpool_destroy(pool);
    return e.k.failures ? 1 : 0;
}
