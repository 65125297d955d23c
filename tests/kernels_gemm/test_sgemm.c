/* k_sgemm against a double-precision reference: all four transpose combinations,
 * alpha/beta (beta 0 must ignore NaN in C), every dispatch path, both ctx precisions
 * (k_sgemm is exact regardless), odd sizes, NULL pool and a pool of 2. */
#include "check.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

static void run_case(rng *r, const kctx *ctx, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, float beta) {
    int64_t lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
    int64_t arows = ta ? k : m, brows = tb ? n : k;
    float *a = malloc(sizeof(float) * (size_t)(arows * lda));
    float *b = malloc(sizeof(float) * (size_t)(brows * ldb));
    float *c = malloc(sizeof(float) * (size_t)(m * ldc));
    float *c0 = malloc(sizeof(float) * (size_t)(m * ldc));
    CHECK(a && b && c && c0, "alloc");
    for (int64_t i = 0; i < arows * lda; i++) a[i] = rng_unif(r);
    for (int64_t i = 0; i < brows * ldb; i++) b[i] = rng_unif(r);
    for (int64_t i = 0; i < m * ldc; i++) c0[i] = (i % ldc) >= n ? -777.0f : (beta == 0.0f ? NAN : rng_unif(r));
    memcpy(c, c0, sizeof(float) * (size_t)(m * ldc));
    KOK(k_sgemm(ctx, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            float got = c[i * ldc + j];
            if (j >= n) {
                CHECK(got == -777.0f, "padding written at [%lld][%lld]", (long long)i, (long long)j);
                continue;
            }
            double ref = 0, mag = 0;
            for (int64_t t = 0; t < k; t++) {
                double av = ta ? a[t * lda + i] : a[i * lda + t];
                double bv = tb ? b[j * ldb + t] : b[t * ldb + j];
                ref += av * bv;
                mag += fabs(av * bv);
            }
            ref *= alpha;
            mag *= fabs(alpha);
            if (beta != 0.0f) {
                ref += beta * (double)c0[i * ldc + j];
                mag += fabs(beta * (double)c0[i * ldc + j]);
            }
            double tol = (double)(k + 4) * 1.2e-7 * mag + 1e-30;
            if (!(fabs(got - ref) <= tol)) {
                fprintf(stderr, "isa=%s prec=%d ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g: c[%lld][%lld]=%.9g ref=%.9g\n",
                        k_isa_name(ctx->isa), ctx->prec, ta, tb, (long long)m, (long long)n, (long long)k, alpha, beta,
                        (long long)i, (long long)j, got, ref);
                exit(1);
            }
        }
    free(a);
    free(b);
    free(c);
    free(c0);
}

int main(void) {
    rng r = {0x243f6a8885a308d3ull};
    kpool *pool = kpool_create(2);
    CHECK(pool != NULL, "pool");
    static const float alphas[] = {1.0f, -0.5f, 2.0f};
    static const float betas[] = {0.0f, 1.0f, 0.25f};
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++)
        for (int prec = 0; prec < 2; prec++)
            for (int t = 0; t < 4; t++)
                for (int v = 0; v < 4; v++) {
                    kctx ctx = {v & 1 ? pool : NULL, (kprec)prec, (kisa)isa, NULL, KB_CPU, NULL, NULL, 0};
                    int64_t m = rng_int(&r, 1, 45) | 1, n = rng_int(&r, 1, 80) | 1, k = rng_int(&r, 1, 290) | 1;
                    if (v == 3) {
                        m = rng_int(&r, 150, 230);
                        n = rng_int(&r, 40, 120);
                        k = rng_int(&r, 400, 700);
                    }
                    run_case(&r, &ctx, t & 1, t >> 1, m, n, k, alphas[v % 3], betas[(v + t) % 3]);
                }
    kctx ctx = {pool, KP_EXACT, k_isa_best(), NULL, KB_CPU, NULL, NULL, 0};
    run_case(&r, &ctx, 0, 0, 0, 5, 7, 1.0f, 0.0f); /* empty m */
    run_case(&r, &ctx, 0, 0, 3, 5, 0, 1.0f, 0.5f); /* k = 0: C = beta*C */
    kpool_destroy(pool);
    return 0;
}
