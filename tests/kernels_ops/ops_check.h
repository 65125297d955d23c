/* ops_check.h — helpers of the kernels_ops tests: a seeded RNG, NaN poisoning, and a
 * comparison of f32 results with a double reference that counts every failure. */
#ifndef KOPS_CHECK_H
#define KOPS_CHECK_H

#include "kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* An op that must return KS_OK (the test stops otherwise). */
#define KOK(call)                                                                          \
    do {                                                                                   \
        kstatus kok_ = (call);                                                             \
        if (kok_ != KS_OK) {                                                               \
            fprintf(stderr, "%s:%d: FAIL %s: %s\n", __FILE__, __LINE__, #call, k_status_name(kok_)); \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

typedef struct krng { uint64_t s; } krng;

static inline double rng_uniform(krng *r) /* [0, 1) */
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (double)(r->s >> 11) / 9007199254740992.0;
}

static inline float rng_sym(krng *r, float amp) { return (float)((2 * rng_uniform(r) - 1) * amp); }

static inline float *rand_buf(krng *r, int64_t n, float amp)
{
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = rng_sym(r, amp);
    return p;
}

static inline float *poisoned(int64_t n)
{
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

static inline double *dbuf(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(double)); }

typedef struct kcheck {
    int failures;
    int checks;
} kcheck;

/* got[i] must satisfy |got - ref| <= rtol·|ref| + atol·rms(ref) (NaN fails). Returns
 * the number of bad elements, reports the first few. */
static inline int check_close(kcheck *k, const char *what, const float *got, const double *ref,
                              int64_t n, double rtol, double atol)
{
    double ss = 0;
    for (int64_t i = 0; i < n; i++) ss += ref[i] * ref[i];
    double rms = n > 0 ? sqrt(ss / (double)n) : 0;
    int bad = 0;
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - ref[i]);
        double lim = rtol * fabs(ref[i]) + atol * rms;
        if (!(err <= lim)) {
            if (bad < 3) fprintf(stderr, "FAIL %s [%lld]: got %.9g want %.9g\n", what, (long long)i, got[i], ref[i]);
            bad++;
        }
        double rel = err / (fabs(ref[i]) + rms + 1e-30);
        if (rel > worst) worst = rel;
    }
    if (bad) fprintf(stderr, "FAIL %s: %d of %lld wrong (worst rel %.3g)\n", what, bad, (long long)n, worst);
    k->checks++;
    k->failures += bad != 0;
    return bad;
}

static inline void check_true(kcheck *k, int ok, const char *what)
{
    k->checks++;
    if (!ok) {
        fprintf(stderr, "FAIL %s\n", what);
        k->failures++;
    }
}

static inline int check_report(const kcheck *k, const char *suite)
{
    printf("%s: %d checks, %d failed\n", suite, k->checks, k->failures);
    return k->failures ? 1 : 0;
}

/* Runs fn on every dispatch path (scalar up to k_isa_best()), each with no pool and
 * with a pool of 3 threads; a fresh seed per run. */
typedef void (*kcase_fn)(const kctx *ctx, krng *r, kcheck *k);
static inline void for_each_ctx(kcase_fn fn, kcheck *k)
{
    for (int isa = KISA_SCALAR; isa <= (int)k_isa_best(); isa++)
        for (int pi = 0; pi < 2; pi++) {
            kpool *pool = pi ? kpool_create(3) : NULL;
            static const volatile int32_t never = 0; /* pooled runs take the cancellable chunking */
            kctx ctx = {pool, KP_EXACT, (kisa)isa, pi ? &never : NULL, KB_CPU, NULL, NULL, 0};
            krng r = {0x9e3779b97f4a7c15ull ^ (uint64_t)(isa * 2 + pi + 1) * 0x2545f4914f6cdd1dull};
            int before = k->failures;
            fn(&ctx, &r, k);
            if (k->failures != before)
                fprintf(stderr, "  ... on isa %s, %s\n", k_isa_name((kisa)isa), pi ? "pool of 3" : "no pool");
            if (pool) kpool_destroy(pool);
        }
}

#endif
