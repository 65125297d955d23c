/* fixture_backend.h — what the fixture tests that run on either backend share: the
 * context from the command line (cpu, or cuda: exit 77 with "SKIP: no usable CUDA
 * device" where none is usable), copies between the host and the context's memory, and
 * the relative-L2 / max-abs comparison. Header-only: each test is one program. */
#ifndef LTX2_TESTS_FIXTURE_BACKEND_H
#define LTX2_TESTS_FIXTURE_BACKEND_H
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "store/store.h"
#include "transformer/transformer.h"
#ifdef LTX2_CUDA
#include "cuda/kcuda.h"
#endif

#define FB_SKIP 77

static int fb_failures __attribute__((unused));
#define FB_CHECK(c, ...) do { if (!(c)) { fb_failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

/* A context on `backend` ("cpu" or NULL, "cuda"); exits 77 when cuda is not usable. */
static inline kctx fb_context(const char *backend, kpool *pool)
{
    kctx kc = kctx_default(pool);
    if (!backend || strcmp(backend, "cuda"))
        return kc;
#ifdef LTX2_CUDA
    kcuda *dev = NULL;
    char why[256] = "";
    if (kcuda_create(0, 0, &dev, why, sizeof why) != KS_OK) {
        printf("SKIP: no usable CUDA device (%s)\n", why[0] ? why : "none found");
        exit(FB_SKIP);
    }
    printf("device: %s\n", kcuda_name(dev));
    kc.backend = KB_CUDA;
    kc.cuda = dev;
#else
    printf("SKIP: no usable CUDA device (built without LTX2_CUDA)\n");
    exit(FB_SKIP);
#endif
    return kc;
}

static inline void fb_context_done(kctx *kc)
{
#ifdef LTX2_CUDA
    if (kc->backend == KB_CUDA)
        kcuda_destroy(kc->cuda);
#endif
    kc->cuda = NULL;
}

/* A copy of n host floats in kc's memory (the host array itself on the CPU). */
static inline float *fb_on(const kctx *kc, float *host, int64_t n)
{
    if (kc->backend == KB_CPU || !host)
        return host;
    void *d = NULL;
    if (k_alloc(kc, (size_t)(n > 0 ? n : 1) * sizeof(float), &d) != KS_OK ||
        k_copy(kc, d, host, (size_t)n * sizeof(float), K_H2D) != KS_OK) {
        printf("FAIL: device copy of %lld floats\n", (long long)n);
        exit(1);
    }
    return d;
}

static inline void fb_to_host(const kctx *kc, float *host, const float *src, int64_t n)
{
    if (kc->backend == KB_CPU) {
        if (host != src)
            memcpy(host, src, (size_t)n * sizeof(float));
        return;
    }
    if (k_copy(kc, host, src, (size_t)n * sizeof(float), K_D2H) != KS_OK) {
        printf("FAIL: copy of a result to the host\n");
        exit(1);
    }
}

/* Frees what fb_on made (nothing on the CPU). */
static inline void fb_free(const kctx *kc, const float *d, const float *host)
{
    if (d != host)
        k_free(kc, (void *)d);
}

/* A fixture tensor as f32 (malloc'd; NULL when absent); numel may be NULL. */
static inline float *fb_io_f32(ltx2_checkpoint *io, const char *name, int64_t *numel)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_find(io, name);
    if (!t)
        return NULL;
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    float *out = NULL;
    ltx2_error err = {0};
    if (ltx2_ckpt_f32(io, name, n, &out, &err) != LTX2_OK)
        return NULL;
    if (numel)
        *numel = n;
    return out;
}

/* Opens DIR/CASE.weights.safetensors and DIR/CASE.io.safetensors in store and loads the
 * transformer of the weights; prints FAIL and returns -1 on any error. */
static inline int fb_open_dit_case(ltx2_store *store, const char *dir, const char *name, ltx2_checkpoint **w,
                                   ltx2_checkpoint **io, ltx2_dit **m)
{
    char path[1024];
    ltx2_error err = {0};
    snprintf(path, sizeof path, "%s/%s.weights.safetensors", dir, name);
    if (ltx2_checkpoint_open(store, path, w, &err) != LTX2_OK) {
        printf("FAIL: %s\n", err.msg);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.io.safetensors", dir, name);
    if (ltx2_checkpoint_open(store, path, io, &err) != LTX2_OK) {
        printf("FAIL: %s\n", err.msg);
        return -1;
    }
    if (ltx2_dit_load(*w, m, &err) != LTX2_OK || !*m) {
        printf("FAIL: load: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Relative L2 and max abs difference within bounds (NaN fails). */
static inline void fb_compare(const char *what, const float *got, const float *want, int64_t n, double max_rel,
                              double max_abs)
{
    double num = 0, den = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        num += d * d;
        den += (double)want[i] * want[i];
        if (fabs(d) > mx || d != d)
            mx = d != d ? INFINITY : fabs(d);
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    FB_CHECK(rel <= max_rel && mx <= max_abs, "%s: rel L2 %.3g (max %.1g), max abs %.3g (max %.1g)", what, rel,
             max_rel, mx, max_abs);
}

#endif
