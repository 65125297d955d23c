/* ltx2-fixture — the two halves of a fixture-graph test around host-sim:
 *   ltx2-fixture vars IO.safetensors
 *       prints the `case` metadata's graph_vars as "--var NAME=VALUE" lines;
 *   ltx2-fixture compare IO.safetensors OUT.safetensors TOLFILE [--fast]
 *       checks every tensor TOLFILE lists: out.<name> of IO against <name> of OUT,
 *       relative L2 error and max-abs against the bounds (with --fast, against the
 *       file's `fast <max_rel_l2>` bound). Exit status 0 only when all pass. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

typedef struct tol_entry {
    char name[256];
    double max_rel, max_abs; /* max_abs < 0: no bound */
} tol_entry;

typedef struct tol_file {
    size_t n;
    tol_entry *e;
    double fast_rel; /* < 0: no fast line */
} tol_file;

static ltx2_checkpoint *open_or_die(ltx2_store *s, const char *path)
{
    ltx2_checkpoint *c = NULL;
    ltx2_error err = {0};
    if (ltx2_checkpoint_open(s, path, &c, &err) != LTX2_OK) {
        fprintf(stderr, "ltx2-fixture: %s\n", err.msg);
        return NULL;
    }
    return c;
}

static int cmd_vars(const char *io)
{
    ltx2_store *s = ltx2_store_new();
    ltx2_checkpoint *c = open_or_die(s, io);
    int rc = 1;
    if (c) {
        const char *cs = ltx2_checkpoint_meta(c, "case");
        json_object *doc = cs ? json_tokener_parse(cs) : NULL, *vars = NULL;
        if (!cs)
            fprintf(stderr, "ltx2-fixture: %s has no `case` metadata\n", io);
        else if (!doc)
            fprintf(stderr, "ltx2-fixture: %s: `case` metadata is not JSON\n", io);
        else {
            rc = 0;
            if (json_object_object_get_ex(doc, "graph_vars", &vars) &&
                json_object_is_type(vars, json_type_object)) {
                json_object_object_foreach(vars, k, v)
                {
                    const char *val = json_object_is_type(v, json_type_string)
                                          ? json_object_get_string(v)
                                          : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
                    if (strchr(val, '\n')) {
                        fprintf(stderr, "ltx2-fixture: graph var %s holds a newline\n", k);
                        rc = 1;
                        continue;
                    }
                    printf("--var %s=%s\n", k, val);
                }
            }
        }
        json_object_put(doc);
        ltx2_checkpoint_release(c);
    }
    ltx2_store_free(s);
    return rc;
}

static int parse_tol(const char *path, tol_file *t)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ltx2-fixture: cannot open %s\n", path);
        return -1;
    }
    memset(t, 0, sizeof *t);
    t->fast_rel = -1;
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char a[256], b[64], c[64], extra[8];
        int n = sscanf(line, "%255s %63s %63s %7s", a, b, c, extra);
        if (n <= 0)
            continue;
        char *end;
        if (n == 2 && !strcmp(a, "fast")) {
            t->fast_rel = strtod(b, &end);
            if (*end || !(t->fast_rel >= 0))
                goto bad;
            continue;
        }
        if (n != 3)
            goto bad;
        tol_entry *ne = realloc(t->e, (t->n + 1) * sizeof *ne);
        if (!ne)
            goto bad;
        t->e = ne;
        tol_entry *e = &t->e[t->n];
        snprintf(e->name, sizeof e->name, "%s", a);
        e->max_rel = strtod(b, &end);
        if (*end || !(e->max_rel >= 0))
            goto bad;
        e->max_abs = -1;
        if (strcmp(c, "-") != 0) {
            e->max_abs = strtod(c, &end);
            if (*end || !(e->max_abs >= 0))
                goto bad;
        }
        t->n++;
        continue;
    bad:
        fprintf(stderr, "ltx2-fixture: %s:%d: expected `<name> <max_rel_l2> <max_abs|->` or "
                        "`fast <max_rel_l2>`\n", path, lineno);
        rc = -1;
        break;
    }
    fclose(f);
    if (rc == 0 && t->n == 0) {
        fprintf(stderr, "ltx2-fixture: %s lists no tensor\n", path);
        rc = -1;
    }
    return rc;
}

/* Same shape once the size-1 dims are dropped (batch dims may differ in rank). */
static int same_shape(const ltx2_st_tensor *a, const ltx2_st_tensor *b)
{
    int i = 0, j = 0;
    for (;;) {
        while (i < a->ndim && a->shape[i] == 1)
            i++;
        while (j < b->ndim && b->shape[j] == 1)
            j++;
        if (i == a->ndim || j == b->ndim)
            return i == a->ndim && j == b->ndim;
        if (a->shape[i++] != b->shape[j++])
            return 0;
    }
}

static void shape_str(const ltx2_st_tensor *t, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (o < n)
        snprintf(buf + o, n - o, "]");
}

/* 0 pass, 1 fail. */
static int compare_one(ltx2_checkpoint *io, ltx2_checkpoint *out, const tol_entry *e, int fast,
                       double fast_rel)
{
    char ref_name[300];
    snprintf(ref_name, sizeof ref_name, "out.%s", e->name);
    const ltx2_st_tensor *r = ltx2_checkpoint_find(io, ref_name), *g = ltx2_checkpoint_find(out, e->name);
    if (!r || !g) {
        printf("FAIL %-40s missing in %s\n", e->name, !r ? "the fixture (out.<name>)" : "the output");
        return 1;
    }
    char rs[128], gs[128];
    shape_str(r, rs, sizeof rs);
    shape_str(g, gs, sizeof gs);
    int64_t n = 1;
    for (int i = 0; i < r->ndim; i++)
        n *= r->shape[i];
    if (!same_shape(r, g)) {
        printf("FAIL %-40s shape %s, expected %s\n", e->name, gs, rs);
        return 1;
    }
    float *a = NULL, *b = NULL;
    ltx2_error err = {0};
    if (ltx2_ckpt_f32(io, ref_name, n, &a, &err) != LTX2_OK ||
        ltx2_ckpt_f32(out, e->name, n, &b, &err) != LTX2_OK) {
        printf("FAIL %-40s %s\n", e->name, err.msg);
        free(a);
        free(b);
        return 1;
    }
    double num = 0, den = 0, max_abs = 0;
    int nan = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)b[i] - (double)a[i];
        if (isnan(b[i]) != isnan(a[i]) || isinf(b[i]) != isinf(a[i]))
            nan = 1;
        if (isnan(d))
            continue;
        num += d * d;
        den += (double)a[i] * a[i];
        if (fabs(d) > max_abs)
            max_abs = fabs(d);
    }
    free(a);
    free(b);
    double rel = den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0);
    double bound_rel = fast ? fast_rel : e->max_rel;
    int fail = nan || !(rel <= bound_rel) || (!fast && e->max_abs >= 0 && !(max_abs <= e->max_abs));
    char absb[32];
    if (!fast && e->max_abs >= 0)
        snprintf(absb, sizeof absb, "%.3g", e->max_abs);
    else
        snprintf(absb, sizeof absb, "-");
    printf("%s %-40s rel_l2 %.3e (max %.3g)  max_abs %.3e (max %s)%s  %s\n", fail ? "FAIL" : "ok  ",
           e->name, rel, bound_rel, max_abs, absb, nan ? "  NaN/Inf mismatch" : "", gs);
    return fail;
}

static int cmd_compare(const char *io_path, const char *out_path, const char *tol_path, int fast)
{
    tol_file tol;
    if (parse_tol(tol_path, &tol) != 0) {
        free(tol.e);
        return 1;
    }
    if (fast && tol.fast_rel < 0) {
        fprintf(stderr, "ltx2-fixture: %s has no `fast` line\n", tol_path);
        free(tol.e);
        return 1;
    }
    ltx2_store *s = ltx2_store_new();
    ltx2_checkpoint *io = open_or_die(s, io_path), *out = io ? open_or_die(s, out_path) : NULL;
    int fails = 0;
    if (!io || !out) {
        fails = 1;
    } else {
        for (size_t i = 0; i < tol.n; i++)
            fails += compare_one(io, out, &tol.e[i], fast, tol.fast_rel);
        printf("%zu tensors, %d failed (%s precision)\n", tol.n, fails, fast ? "fast" : "exact");
    }
    ltx2_checkpoint_release(io);
    ltx2_checkpoint_release(out);
    ltx2_store_free(s);
    free(tol.e);
    return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "vars"))
        return cmd_vars(argv[2]);
    if ((argc == 5 || (argc == 6 && !strcmp(argv[5], "--fast"))) && !strcmp(argv[1], "compare"))
        return cmd_compare(argv[2], argv[3], argv[4], argc == 6);
    fprintf(stderr, "usage: ltx2-fixture vars IO.safetensors\n"
                    "       ltx2-fixture compare IO.safetensors OUT.safetensors TOLFILE [--fast]\n");
    return 2;
}
