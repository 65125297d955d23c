/* check.h — tiny assertion helpers shared by the kernels_gemm tests. */
#ifndef KGEMM_CHECK_H
#define KGEMM_CHECK_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fprintf(stderr, "\n");                                                   \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* An op that must return KS_OK. */
#define KOK(call) CHECK((call) == KS_OK, "%s", "op failed")

/* Deterministic xorshift generator, so failures reproduce. */
typedef struct rng {
    uint64_t s;
} rng;
static inline uint64_t rng_next(rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}
/* uniform in [-1, 1) */
static inline float rng_unif(rng *r) { return (float)((double)(rng_next(r) >> 11) / 9007199254740992.0 * 2.0 - 1.0); }
static inline int64_t rng_int(rng *r, int64_t lo, int64_t hi) { return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1)); }
#endif
