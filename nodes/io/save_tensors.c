/* SaveTensors: writes tensors gathered from a TENSORS object and from up to eight
 * (name_i, value_i) pairs into one safetensors file, atomically. A value may be a
 * tensor (saved as name_i), a number (a 0-d tensor), or an object, in which case
 * name_i says what to take:  "out=key" (dotted path "a.b" into nested objects),
 * "prefix." (every tensor of the object, named prefix + its path) or
 * "prefix.=src." (the tensors under src., renamed). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"
#include "node.h"

#define N_PAIRS 8
enum { IN_PATH, IN_TENSORS, IN_PAIRS };

typedef struct save_list {
    size_t n, cap;
    char **names;
    ltx2_tensor **tensors; /* contiguous, retained */
} save_list;

static void list_free(save_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->names[i]);
        ltx2_tensor_release(l->tensors[i]);
    }
    free(l->names);
    free(l->tensors);
}

/* Empty names and names starting with "__" (the format's __metadata__ and whatever
 * it adds later): the loader refuses them, so they are never written. */
static bool reserved_name(const char *prefix, const char *name)
{
    char head[3] = {0};
    size_t k = 0;
    for (const char *p = prefix; *p && k < 2; p++)
        head[k++] = *p;
    for (const char *p = name; *p && k < 2; p++)
        head[k++] = *p;
    return k == 0 || strcmp(head, "__") == 0;
}

/* Adds a contiguous copy/reference of t under prefix+name. */
static ltx2_status list_add(save_list *l, const char *prefix, const char *name, ltx2_tensor *t,
                            ltx2_error *err)
{
    if (t->device != LTX2_DEVICE_CPU)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "tensor '%s%s' is not on the CPU", prefix, name);
    if (reserved_name(prefix, name))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "tensor name '%s%s' is not allowed: empty names and names starting with "
                        "\"__\" are reserved by the safetensors format", prefix, name);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nn = realloc(l->names, cap * sizeof *nn);
        if (nn)
            l->names = nn;
        ltx2_tensor **nt = realloc(l->tensors, cap * sizeof *nt);
        if (nt)
            l->tensors = nt;
        if (!nn || !nt)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        l->cap = cap;
    }
    size_t len = strlen(prefix) + strlen(name) + 1;
    char *full = malloc(len);
    ltx2_tensor *c = NULL;
    if (full) {
        snprintf(full, len, "%s%s", prefix, name);
        if (ltx2_tensor_is_contiguous(t)) {
            ltx2_tensor_retain(t);
            c = t;
        } else {
            c = ltx2_tensor_clone(t);
        }
    }
    if (!full || !c) {
        free(full);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    l->names[l->n] = full;
    l->tensors[l->n++] = c;
    return LTX2_OK;
}

/* Every tensor of o (nested objects as dotted paths) whose path starts with src,
 * saved as dst + the rest of the path. */
static ltx2_status add_object(save_list *l, const ltx2_object *o, const char *path, const char *src,
                              const char *dst, ltx2_error *err)
{
    uint32_t n = ltx2_object_count(o);
    for (uint32_t i = 0; i < n; i++) {
        const char *key;
        ltx2_value v;
        if (ltx2_object_entry(o, i, &key, &v) != LTX2_OK)
            continue;
        size_t len = strlen(path) + strlen(key) + 2;
        char *full = malloc(len);
        if (!full)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        snprintf(full, len, "%s%s", path, key);
        ltx2_status st = LTX2_OK;
        size_t sn = strlen(src);
        if (v.kind == LTX2_V_TENSOR && !strncmp(full, src, sn)) {
            st = list_add(l, dst, full + sn, v.u.t, err);
        } else if (v.kind == LTX2_V_OBJECT) {
            strcat(full, ".");
            st = add_object(l, v.u.o, full, src, dst, err);
        }
        free(full);
        if (st != LTX2_OK)
            return st;
    }
    return LTX2_OK;
}

/* The tensor at a dotted path: an entry named exactly so first (keys may contain
 * dots), else a nested object named by a prefix. */
static ltx2_tensor *find_path(const ltx2_object *o, const char *path)
{
    ltx2_tensor *t = ltx2_object_tensor(o, path);
    if (t)
        return t;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *dot = strchr(buf, '.'); dot; dot = strchr(dot + 1, '.')) {
        *dot = 0;
        ltx2_object *sub = ltx2_object_object(o, buf);
        *dot = '.';
        if (sub && (t = find_path(sub, path + (dot - buf) + 1)))
            return t;
    }
    return NULL;
}

static ltx2_status add_pair(ltx2_exec_ctx *ctx, save_list *l, const ltx2_value *v, const char *name,
                            int idx)
{
    char nin[16], vin[16];
    snprintf(nin, sizeof nin, "name_%d", idx);
    snprintf(vin, sizeof vin, "value_%d", idx);
    ltx2_error err = {0};
    if (v->kind == LTX2_V_NONE) {
        if (name[0])
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, vin, "no value connected for '%s'", name);
        return LTX2_OK;
    }
    if (!name[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, nin, "a value is connected to %s but has no name", vin);
    ltx2_status st = LTX2_OK;
    if (v->kind == LTX2_V_TENSOR) {
        st = list_add(l, "", name, v->u.t, &err);
    } else if (v->kind == LTX2_V_INT || v->kind == LTX2_V_FLOAT) {
        int is_int = v->kind == LTX2_V_INT;
        ltx2_tensor *t = ltx2_tensor_new(is_int ? LTX2_I64 : LTX2_F32, 0, NULL);
        if (!t)
            return ltx2_fail(ctx, LTX2_ERR_OOM, vin, "out of memory");
        if (is_int)
            *(int64_t *)t->data = v->u.i;
        else
            *(float *)t->data = (float)v->u.f;
        st = list_add(l, "", name, t, &err);
        ltx2_tensor_release(t);
    } else if (v->kind == LTX2_V_OBJECT) {
        const char *eq = strchr(name, '=');
        size_t nlen = strlen(name);
        if (!eq && name[nlen - 1] == '.') {
            st = add_object(l, v->u.o, "", "", name, &err);
        } else if (!eq) {
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, nin,
                             "'%s': for an object (%s) write \"out=key\" or \"prefix.\"", name,
                             ltx2_object_type(v->u.o));
        } else {
            char dst[256];
            snprintf(dst, sizeof dst, "%.*s", (int)(eq - name), name);
            const char *src = eq + 1;
            size_t sl = strlen(src);
            if (!dst[0])
                return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, nin, "'%s': empty output name", name);
            if (sl == 0 || src[sl - 1] == '.') {
                st = add_object(l, v->u.o, "", src, dst, &err);
            } else {
                ltx2_tensor *t = find_path(v->u.o, src);
                if (!t)
                    return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, vin, "the %s object has no tensor '%s'",
                                     ltx2_object_type(v->u.o), src);
                st = list_add(l, "", dst, t, &err);
            }
        }
    } else {
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, vin, "a %s cannot be saved as a tensor",
                         v->kind == LTX2_V_STRING ? "string" : "boolean");
    }
    return st == LTX2_OK ? LTX2_OK : ltx2_fail_err(ctx, vin, &err);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two entries under one name: sorted once, so checking is not quadratic. */
static ltx2_status check_unique(const save_list *l, ltx2_error *err)
{
    char **sorted = malloc((l->n ? l->n : 1) * sizeof *sorted);
    if (!sorted)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    memcpy(sorted, l->names, l->n * sizeof *sorted);
    qsort(sorted, l->n, sizeof *sorted, cmp_str_ptr);
    ltx2_status st = LTX2_OK;
    for (size_t i = 1; i < l->n && st == LTX2_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            st = ltx2_err(err, LTX2_ERR_BAD_INPUT, "two tensors would be saved as '%s'", sorted[i]);
    free(sorted);
    return st;
}

static ltx2_status save_tensors(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)out;
    const ltx2_node_type *type = ((ltx2_node *)inst)->type;
    const char *path = ltx2_in_string(in, IN_PATH);
    if (!path[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "path", "no file given");
    ltx2_object *bag = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, IN_TENSORS, NULL, &bag);
    if (st != LTX2_OK)
        return st;
    save_list l = {0};
    ltx2_error err = {0};
    if (bag && (st = add_object(&l, bag, "", "", "", &err)) != LTX2_OK)
        st = ltx2_fail_err(ctx, "tensors", &err);
    for (int i = 0; i < N_PAIRS && st == LTX2_OK; i++)
        st = add_pair(ctx, &l, &in[IN_PAIRS + 2 * i + 1], ltx2_in_string(in, IN_PAIRS + 2 * (uint32_t)i), i + 1);
    if (st == LTX2_OK && l.n == 0)
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "tensors", "nothing to save: connect tensors or a value");
    if (st == LTX2_OK && check_unique(&l, &err) != LTX2_OK)
        st = ltx2_fail_err(ctx, "tensors", &err);
    if (st == LTX2_OK && ltx2_progress(ctx, 0, 1, "saving tensors") == LTX2_CANCELLED)
        st = LTX2_CANCELLED;
    io_tmp tmp;
    if (st == LTX2_OK && (st = io_tmp_open(&tmp, path, &err)) != LTX2_OK)
        st = ltx2_fail_err(ctx, "path", &err);
    else if (st == LTX2_OK) {
        st = io_st_write(tmp.f, (const char *const *)l.names, l.tensors, l.n,
                         bag ? ltx2_object_metadata(bag) : NULL, &err);
        if (st == LTX2_OK && ltx2_cancelled(ctx))
            st = LTX2_CANCELLED;
        st = io_tmp_close(&tmp, st, &err);
        if (st != LTX2_OK && st != LTX2_CANCELLED)
            st = ltx2_fail_err(ctx, "path", &err);
    }
    if (st == LTX2_OK)
        ltx2_progress(ctx, 1, 1, "saving tensors");
    list_free(&l);
    return st;
}

#define PAIR(i)                                                                              \
    LTX2_PORT_STRING("name_" #i, "", LTX2_PORT_OPTIONAL,                                     \
                     "Name of value_" #i " in the file; for an object: out=key or prefix."), \
        LTX2_PORT("value_" #i, "*", LTX2_PORT_OPTIONAL, "A tensor, number or object to save.")

static const ltx2_port inputs[] = {
    LTX2_PORT_STRING("path", "", 0, "The .safetensors file to write (folders are created)."),
    LTX2_PORT("tensors", "TENSORS", LTX2_PORT_OPTIONAL, "Named tensors to save, with their metadata."),
    PAIR(1), PAIR(2), PAIR(3), PAIR(4), PAIR(5), PAIR(6), PAIR(7), PAIR(8),
};
const ltx2_node_type ltx2_node_save_tensors =
    IO_WRITER_NODE_TYPE("SaveTensors", "Save Tensors",
                        "Writes named tensors to a safetensors file (atomically; dtypes kept).",
                        inputs, save_tensors);
