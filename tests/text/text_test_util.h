/* text_test_util.h — tiny assertion helpers and fixture access for the text tests. */
#ifndef TEXT_TEST_UTIL_H
#define TEXT_TEST_UTIL_H
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

static int g_failures;
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            ++g_failures;                                                    \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static inline char *fixture_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The `case.graph_vars` object of an io file (caller puts it). */
static inline struct json_object *graph_vars(const ltx2_checkpoint *io)
{
    const char *meta = ltx2_checkpoint_meta(io, "case");
    struct json_object *c = meta ? json_tokener_parse(meta) : NULL, *v = NULL;
    if (c && json_object_object_get_ex(c, "graph_vars", &v)) json_object_get(v);
    else v = NULL;
    json_object_put(c);
    return v;
}

static inline const char *graph_var(struct json_object *vars, const char *name)
{
    struct json_object *v;
    return vars && json_object_object_get_ex(vars, name, &v) ? json_object_get_string(v) : NULL;
}

/* ||a-b|| / ||b|| and max |a-b| over n values. */
static inline double rel_l2(const float *a, const float *b, int64_t n, double *max_abs)
{
    double num = 0, den = 0, mx = 0;
    for (int64_t i = 0; i < n; ++i) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * b[i];
        mx = fabs(d) > mx ? fabs(d) : mx;
    }
    if (max_abs) *max_abs = mx;
    return den > 0 ? sqrt(num / den) : sqrt(num);
}
#endif
