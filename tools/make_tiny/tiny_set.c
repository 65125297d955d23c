/* tiny_set.c — the tensor set and its seeded initialisers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tiny.h"

void tiny_set_init(tiny_set *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
}

void tiny_set_free(tiny_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->t[i].name);
        free(s->t[i].data);
    }
    free(s->t);
    memset(s, 0, sizeof *s);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* FNV-1a of the name mixed with the seed: one independent stream per tensor. */
static uint64_t stream_seed(uint64_t seed, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    uint64_t x = h ^ (seed * 0x9E3779B97F4A7C15ull);
    return splitmix64(&x);
}

/* A new zeroed tensor, or NULL (and s->failed) when out of memory. */
static tiny_tensor *add(tiny_set *s, const char *name, int ndim, const int64_t *shape)
{
    if (s->failed)
        return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        tiny_tensor *t = realloc(s->t, cap * sizeof *t);
        if (!t) {
            s->failed = 1;
            return NULL;
        }
        s->t = t;
        s->cap = cap;
    }
    tiny_tensor *t = &s->t[s->n];
    memset(t, 0, sizeof *t);
    int64_t numel = 1;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        numel *= shape[i];
    }
    t->name = strdup(name);
    t->data = calloc((size_t)(numel > 0 ? numel : 1), sizeof(float));
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        s->failed = 1;
        return NULL;
    }
    s->n++;
    return t;
}

static int64_t numel_of(const tiny_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static void fill_uniform(tiny_set *s, tiny_tensor *t, double center, double spread)
{
    uint64_t st = stream_seed(s->seed, t->name);
    int64_t n = numel_of(t);
    for (int64_t i = 0; i < n; i++) {
        double u = (double)(splitmix64(&st) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
        t->data[i] = (float)(center + spread * (2.0 * u - 1.0));
    }
}

void tiny_weight(tiny_set *s, const char *name, double fan_in, double gain, int ndim, const int64_t *shape)
{
    tiny_tensor *t = add(s, name, ndim, shape);
    if (t) /* uniform on [-a, a] has std a/sqrt(3) */
        fill_uniform(s, t, 0.0, gain * sqrt(3.0 / (fan_in > 0 ? fan_in : 1.0)));
}

void tiny_around(tiny_set *s, const char *name, double center, double spread, int ndim, const int64_t *shape)
{
    tiny_tensor *t = add(s, name, ndim, shape);
    if (t)
        fill_uniform(s, t, center, spread);
}

void tiny_arange(tiny_set *s, const char *name, int64_t n)
{
    tiny_tensor *t = add(s, name, SHAPE(n));
    if (t)
        for (int64_t i = 0; i < n; i++)
            t->data[i] = (float)i;
}

void tiny_linear(tiny_set *s, const char *prefix, int64_t out, int64_t in, int bias)
{
    char k[512];
    snprintf(k, sizeof k, "%s.weight", prefix);
    tiny_weight(s, k, (double)in, 1.0, SHAPE(out, in));
    if (bias) {
        snprintf(k, sizeof k, "%s.bias", prefix);
        tiny_around(s, k, 0.0, 0.02, SHAPE(out));
    }
}

void tiny_conv(tiny_set *s, const char *prefix, int64_t out, int64_t in, int64_t k, int dims)
{
    char key[512];
    int64_t shape[TINY_MAX_DIMS] = {out, in, k, k, k};
    double fan_in = (double)in;
    for (int i = 0; i < dims; i++)
        fan_in *= (double)k;
    snprintf(key, sizeof key, "%s.weight", prefix);
    tiny_weight(s, key, fan_in, 1.0, 2 + dims, shape);
    snprintf(key, sizeof key, "%s.bias", prefix);
    tiny_around(s, key, 0.0, 0.02, SHAPE(out));
}
