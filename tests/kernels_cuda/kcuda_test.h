/* kcuda_test.h — helpers of the CUDA backend tests: opening the device (or skipping),
 * device buffers from host arrays, and the relative-L2 comparison with the CPU result. */
#ifndef KCUDA_TEST_H
#define KCUDA_TEST_H

#include "kcuda.h"
#include "ops_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KCUDA_SKIP 77

/* Opens cuda:0 with the given budget, or prints the SKIP line and exits 77. */
static inline kcuda *open_device_or_skip(size_t budget)
{
    kcuda *d = NULL;
    char why[256] = "";
    if (kcuda_device_count() == 0 || kcuda_create(0, budget, &d, why, sizeof why) != KS_OK) {
        if (!why[0]) kcuda_create(0, budget, &d, why, sizeof why);
        printf("SKIP: no usable CUDA device (%s)\n", why[0] ? why : "none found");
        exit(KCUDA_SKIP);
    }
    printf("device: %s\n", kcuda_name(d));
    return d;
}

/* A CUDA context on cuda:0 (or exit 77 where none is usable) and a random stream seeded
 * from the clock, printed so a failing run can be replayed: fresh inputs every run. */
static inline kctx kcuda_test_begin(krng *r, uint64_t salt)
{
    kctx g = kctx_default(NULL);
    g.backend = KB_CUDA;
    g.cuda = open_device_or_skip(0);
    r->s = salt ^ (uint64_t)time(NULL);
    printf("seed %llu\n", (unsigned long long)r->s);
    return g;
}

static inline void die_on(kstatus s, kcuda *d, const char *what)
{
    if (s == KS_OK) return;
    fprintf(stderr, "FAIL %s: %s (%s)\n", what, k_status_name(s), kcuda_last_error(d));
    exit(1);
}

/* The CPU twins, with the kernels API before and after the backend seam (which makes
 * every op return kstatus and k_convw_pack take an out pointer; it defines K_THEN).
 * Once both are merged, only the K_THEN branch is needed. */
#ifdef K_THEN
static inline void cpu_ok(kstatus s, const char *what)
{
    if (s == KS_OK) return;
    fprintf(stderr, "FAIL CPU %s: %s\n", what, k_status_name(s));
    exit(1);
}
#define CPU(call) cpu_ok((call), #call)
static inline kconvw *cpu_convw(const kctx *ctx, const kmat *w, int64_t cin, int kt, int kh, int kw)
{
    kconvw *p = NULL;
    cpu_ok(k_convw_pack(ctx, w, cin, kt, kh, kw, &p), "k_convw_pack");
    return p;
}
static inline kconvw *cpu_convw_t1d(const kctx *ctx, const kmat *w, int64_t cout, int k)
{
    kconvw *p = NULL;
    cpu_ok(k_convw_pack_transposed1d(ctx, w, cout, k, &p), "k_convw_pack_transposed1d");
    return p;
}
#else
#define CPU(call) (call)
#define cpu_convw k_convw_pack
#define cpu_convw_t1d k_convw_pack_transposed1d
#endif

/* Device copy of n host bytes. */
static inline void *dev_bytes(kcuda *d, const void *h, size_t bytes)
{
    void *p;
    die_on(kcuda_alloc(d, bytes, &p), d, "kcuda_alloc");
    die_on(kcuda_copy(d, p, h, bytes, KCUDA_H2D), d, "upload");
    return p;
}

static inline float *dev_f32(kcuda *d, const float *h, int64_t n) { return dev_bytes(d, h, sizeof(float) * (size_t)n); }

/* A device buffer of n floats full of NaN, so unwritten outputs fail the comparison. */
static inline float *dev_poisoned(kcuda *d, int64_t n)
{
    float *h = poisoned(n);
    float *p = dev_f32(d, h, n);
    free(h);
    return p;
}

static inline float *host_of(kcuda *d, const float *p, int64_t n)
{
    float *h = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    die_on(kcuda_copy(d, h, p, sizeof(float) * (size_t)n, KCUDA_D2H), d, "download");
    return h;
}

/* ‖got − ref‖ / ‖ref‖ must be ≤ tol (NaN fails); prints one line either way. */
static inline void check_rel_l2(kcheck *k, const char *what, const float *got, const float *ref, int64_t n,
                                double tol)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double)got[i] - ref[i];
        num += e * e;
        den += (double)ref[i] * ref[i];
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    int ok = rel <= tol;
    printf("%s %-44s rel L2 %.3g (bound %.0e)\n", ok ? "ok  " : "FAIL", what, rel, tol);
    k->checks++;
    k->failures += !ok;
}

/* Downloads dev (n floats), compares with the CPU result, frees the host copy. */
static inline void check_dev(kcheck *k, kcuda *d, const char *what, const float *dev, const float *ref, int64_t n,
                             double tol)
{
    float *h = host_of(d, dev, n);
    check_rel_l2(k, what, h, ref, n, tol);
    free(h);
}

#endif
