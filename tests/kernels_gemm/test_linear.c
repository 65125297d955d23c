/* k_linear against a double-precision reference: every weight dtype, every dispatch path
 * up to k_isa_best(), exact and fast precision, with and without k_pack, bias and
 * accumulate, random odd sizes (some spanning several cache blocks), NULL pool and a
 * pool of 3. Outputs are poisoned first and every element (and the row padding) checked. */
#include "check.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

static const float POISON = 1234567.0f; /* the row padding must keep it */

static double widen(kdtype dt, const void *data, int64_t i) {
    switch (dt) {
    case KD_F32: return ((const float *)data)[i];
    case KD_F16: return k_f16_to_f32(((const uint16_t *)data)[i]);
    case KD_BF16: return k_bf16_to_f32(((const uint16_t *)data)[i]);
    case KD_F8_E4M3: return k_e4m3_to_f32(((const uint8_t *)data)[i]);
    case KD_F8_E5M2: return k_e5m2_to_f32(((const uint8_t *)data)[i]);
    }
    return NAN;
}

static void store(kdtype dt, void *data, int64_t i, float v) {
    switch (dt) {
    case KD_F32: ((float *)data)[i] = v; break;
    case KD_F16: ((uint16_t *)data)[i] = k_f32_to_f16(v); break;
    case KD_BF16: ((uint16_t *)data)[i] = k_f32_to_bf16(v); break;
    case KD_F8_E4M3: ((uint8_t *)data)[i] = k_f32_to_e4m3(v * 200.0f); break;
    case KD_F8_E5M2: ((uint8_t *)data)[i] = (uint8_t)(0x30 + (int)((v + 1.0f) * 20.0f)); break;
    }
}

static double round_bf16(double v) { return k_bf16_to_f32(k_f32_to_bf16((float)v)); }

typedef struct lcase {
    int64_t m, n, k;
} lcase;

static int run_case(rng *r, const kctx *ctx, kdtype dt, lcase sz, int use_pack, int use_bias, int accumulate) {
    int64_t m = sz.m, n = sz.n, k = sz.k, ldx = k + 3, ldw = k + (dt == KD_F32 ? 1 : 5), ldy = n + 2;
    float *x = malloc(sizeof(float) * (size_t)(m * ldx));
    void *w = malloc(k_dtype_size(dt) * (size_t)(n * ldw));
    float *bias = malloc(sizeof(float) * (size_t)n);
    float *y = malloc(sizeof(float) * (size_t)(m * ldy));
    float *y0 = malloc(sizeof(float) * (size_t)(m * ldy));
    CHECK(x && w && bias && y && y0, "alloc");
    for (int64_t i = 0; i < m * ldx; i++) x[i] = rng_unif(r);
    for (int64_t i = 0; i < n * ldw; i++) store(dt, w, i, rng_unif(r));
    for (int64_t i = 0; i < n; i++) bias[i] = rng_unif(r);
    for (int64_t i = 0; i < m * ldy; i++) y0[i] = (i % ldy) >= n ? POISON : (accumulate ? rng_unif(r) : NAN);
    memcpy(y, y0, sizeof(float) * (size_t)(m * ldy));
    float scale = (dt == KD_F8_E4M3 || dt == KD_F8_E5M2) ? 0.0371f : 1.0f;
    kmat W = {dt, w, n, k, ldw, scale};
    kpacked *pk = NULL;
    if (use_pack) KOK(k_pack(ctx, &W, &pk));
    KOK(k_linear(ctx, m, x, ldx, &W, pk, use_bias ? bias : NULL, y, ldy, accumulate));
    int fast = ctx->prec == KP_FAST;
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < ldy; j++) {
            float got = y[i * ldy + j];
            if (j >= n) {
                CHECK(got == POISON, "padding y[%lld][%lld] overwritten", (long long)i, (long long)j);
                continue;
            }
            double ref = 0, mag = 0;
            for (int64_t t = 0; t < k; t++) {
                double xv = x[i * ldx + t];
                double wv = (float)(widen(dt, w, j * ldw + t) * scale);
                if (fast) {
                    xv = round_bf16(xv);
                    wv = round_bf16(wv);
                }
                ref += xv * wv;
                mag += fabs(xv * wv);
            }
            if (use_bias) {
                ref += bias[j];
                mag += fabs(bias[j]);
            }
            double tol = (double)(k + 4) * 1.2e-7 * mag + 1e-30;
            /* fast: the reference above already rounds the inputs to bf16, and the
             * outputs stay f32, so the bound is the same f32 accumulation bound. */
            if (accumulate) {
                ref += y0[i * ldy + j];
                tol += fabs(y0[i * ldy + j]) * 1.2e-7;
            }
            if (!(fabs(got - ref) <= tol)) {
                fprintf(stderr,
                        "isa=%s prec=%d dtype=%d m=%lld n=%lld k=%lld pack=%d bias=%d acc=%d threads=%d: "
                        "y[%lld][%lld]=%.9g ref=%.9g tol=%.3g\n",
                        k_isa_name(ctx->isa), ctx->prec, dt, (long long)m, (long long)n, (long long)k, use_pack,
                        use_bias, accumulate, kpool_threads(ctx->pool), (long long)i, (long long)j, got, ref, tol);
                exit(1);
            }
        }
    }
    k_packed_free(pk);
    free(x);
    free(w);
    free(bias);
    free(y);
    free(y0);
    return 0;
}

/* Every FP8 code through k_linear (x = 1, k = 1, no scale) must decode exactly as
 * k_e4m3_to_f32 / k_e5m2_to_f32: the packers have their own fast decoders. */
static void fp8_codes_through_linear(void) {
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++)
        for (int dt = KD_F8_E4M3; dt <= KD_F8_E5M2; dt++)
            for (int pack = 0; pack < 2; pack++) {
                kctx ctx = {NULL, KP_EXACT, (kisa)isa, NULL, KB_CPU, NULL, NULL, 0};
                uint8_t w[256];
                for (int v = 0; v < 256; v++) w[v] = (uint8_t)v;
                kmat W = {(kdtype)dt, w, 256, 1, 1, 1.0f};
                kpacked *pk = NULL;
                if (pack) KOK(k_pack(&ctx, &W, &pk));
                float x = 1.0f, y[256];
                KOK(k_linear(&ctx, 1, &x, 1, &W, pk, NULL, y, 256, 0));
                for (int v = 0; v < 256; v++) {
                    float want = dt == KD_F8_E4M3 ? k_e4m3_to_f32((uint8_t)v) : k_e5m2_to_f32((uint8_t)v);
                    if (isnan(want) || isinf(want)) continue;
                    CHECK(y[v] == want, "isa %d dtype %d pack %d code %02x: %g vs %g", isa, dt, pack, v, y[v], want);
                }
                k_packed_free(pk);
            }
}

int main(void) {
    fp8_codes_through_linear();
    rng r = {0x9e3779b97f4a7c15ull};
    kpool *pool = kpool_create(3);
    CHECK(pool != NULL, "pool");
    static const kdtype dts[] = {KD_F32, KD_BF16, KD_F16, KD_F8_E4M3, KD_F8_E5M2};
    int cases = 0;
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++) {
        for (int prec = 0; prec < 2; prec++) {
            for (int di = 0; di < 5; di++) {
                for (int variant = 0; variant < 8; variant++) {
                    kctx ctx = {variant & 1 ? pool : NULL, (kprec)prec, (kisa)isa, NULL, KB_CPU, NULL, NULL, 0};
                    lcase sz = {rng_int(&r, 1, 37) | 1, rng_int(&r, 1, 75) | 1, rng_int(&r, 1, 301) | 1};
                    if (variant == 6) sz = (lcase){1, 1, 1};
                    if (variant == 7) sz = (lcase){rng_int(&r, 150, 260), rng_int(&r, 60, 140), rng_int(&r, 500, 900)};
                    run_case(&r, &ctx, dts[di], sz, (variant >> 1) & 1, (variant >> 2) & 1, variant % 3 == 0);
                    cases++;
                }
            }
        }
    }
    /* one to four rows against raw bf16 weights: the in-place (decode-step) path, k
     * with and without a 32-wide tail, with bias and accumulate */
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++)
        for (int prec = 0; prec < 2; prec++)
            for (int m = 1; m <= 4; m++) {
                kctx ctx = {m & 1 ? pool : NULL, (kprec)prec, (kisa)isa, NULL, KB_CPU, NULL, NULL, 0};
                run_case(&r, &ctx, KD_BF16, (lcase){m, 70 + m, m < 3 ? 320 : 301}, 0, m & 1, (m >> 1) & 1);
                cases++;
            }
    /* a packed matrix reused by many calls with different m and thread counts */
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++) {
        kctx ctx = {pool, KP_EXACT, (kisa)isa, NULL, KB_CPU, NULL, NULL, 0};
        for (int rep = 0; rep < 3; rep++) run_case(&r, &ctx, KD_BF16, (lcase){rng_int(&r, 1, 64), 33, 129}, 1, 1, 0);
    }
    /* pre-packed weights with a K above one cache block: the packed path sums each tile
     * over the whole K in registers, with and without accumulating into y */
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++)
        for (int prec = 0; prec < 2; prec++)
            for (int di = 0; di < 2; di++)
                for (int acc = 0; acc < 2; acc++) {
                    kctx ctx = {pool, (kprec)prec, (kisa)isa, NULL, KB_CPU, NULL, NULL, 0};
                    lcase sz = {rng_int(&r, 150, 230), rng_int(&r, 40, 70) | 1, rng_int(&r, 1030, 1300) | 1};
                    run_case(&r, &ctx, dts[di], sz, 1, acc, acc);
                    cases++;
                }
    kpool_destroy(pool);
    fprintf(stderr, "%d k_linear cases passed\n", cases);
    return 0;
}
