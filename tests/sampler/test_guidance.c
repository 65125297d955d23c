/* MultiModalGuider arithmetic against a double-precision evaluation of the formula,
 * the pass predicates, the neutral case, and STG block parsing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sampler/guidance.h"
#include "sampler/rng.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static double std_d(const double *x, int n)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (n - 1));
}

int main(void)
{
    kpool *pool = kpool_create(2);
    const kctx kc = kctx_default(pool);
    enum { N = 4096 };
    float *c = malloc(N * sizeof *c), *u = malloc(N * sizeof *u), *p = malloc(N * sizeof *p),
          *q = malloc(N * sizeof *q), *g = malloc(N * sizeof *g);
    double *want = malloc(N * sizeof *want), *cd = malloc(N * sizeof *cd);
    ltx2_rng_normal(1, 0, 0, N, c);
    ltx2_rng_normal(2, 0, 0, N, u);
    ltx2_rng_normal(3, 0, 0, N, p);
    ltx2_rng_normal(4, 0, 0, N, q);
    ltx2_guide gd = {.cfg = 3.0, .stg = 1.0, .modality = 3.0, .rescale = 0.7};
    for (int i = 0; i < N; i++) {
        cd[i] = c[i];
        want[i] = c[i] + 2.0 * (c[i] - u[i]) + 1.0 * (c[i] - p[i]) + 2.0 * (c[i] - q[i]);
    }
    double f = 0.7 * std_d(cd, N) / std_d(want, N) + 0.3;
    for (int i = 0; i < N; i++) {
        want[i] *= f;
        g[i] = c[i];
    }
    CHECK(ltx2_guide_combine(&kc, &gd, N, g, u, p, q) == KS_OK, "combine");
    double e = 0, r = 0;
    for (int i = 0; i < N; i++) {
        e += (g[i] - want[i]) * (g[i] - want[i]);
        r += want[i] * want[i];
    }
    CHECK(sqrt(e / r) < 1e-6, "guided prediction rel err %g", sqrt(e / r));
    float sc = 0.0f;
    CHECK(k_std(&kc, c, N, &sc) == KS_OK && fabs(sc - std_d(cd, N)) < 1e-6, "std");

    /* neutral scales leave cond untouched, whatever the other passes hold */
    ltx2_guide off = {.cfg = 1.0, .stg = 0.0, .modality = 1.0, .rescale = 0.7};
    CHECK(!ltx2_guide_uses_text(&off) && !ltx2_guide_uses_stg(&off) && !ltx2_guide_uses_modality(&off),
          "neutral guide asks for passes");
    CHECK(ltx2_guide_uses_text(&gd) && ltx2_guide_uses_stg(&gd) && ltx2_guide_uses_modality(&gd),
          "active guide misses passes");
    for (int i = 0; i < N; i++)
        g[i] = c[i];
    CHECK(ltx2_guide_combine(&kc, &off, N, g, u, p, q) == KS_OK, "combine");
    int same = 1;
    for (int i = 0; i < N; i++)
        same &= g[i] == c[i];
    CHECK(same, "neutral guide changed the prediction");

    /* only cfg, no rescale: exactly c + (cfg-1)(c-u) in float32 */
    ltx2_guide cfg_only = {.cfg = 7.0, .stg = 0.0, .modality = 1.0};
    for (int i = 0; i < N; i++)
        g[i] = c[i];
    CHECK(ltx2_guide_combine(&kc, &cfg_only, N, g, u, NULL, NULL) == KS_OK, "combine");
    same = 1;
    for (int i = 0; i < N; i++)
        same &= g[i] == c[i] + 6.0f * (c[i] - u[i]);
    CHECK(same, "cfg-only combine differs from c + 6(c - u)");

    ltx2_error err = {0};
    ltx2_guide b = {0};
    CHECK(ltx2_guide_parse_blocks("[1, 28,29]", 48, &b, &err) == LTX2_OK && b.n_stg_blocks == 3 &&
              b.stg_blocks[0] == 1 && b.stg_blocks[2] == 29, "block list");
    CHECK(ltx2_guide_parse_blocks("48", 48, &b, &err) != LTX2_OK, "block past the last accepted");
    CHECK(ltx2_guide_parse_blocks("a", 48, &b, &err) != LTX2_OK, "garbage accepted");
    CHECK(ltx2_guide_parse_blocks("", 48, &b, &err) == LTX2_OK && b.n_stg_blocks == 0, "empty list");

    free(c);
    free(u);
    free(p);
    free(q);
    free(g);
    free(want);
    free(cd);
    printf("%s: %d failures\n", failures ? "FAIL" : "OK", failures);
    kpool_destroy(pool);
    return failures ? 1 : 0;
}
