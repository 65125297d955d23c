/* object.c — refcounted objects: a type name, ordered named values, JSON metadata
 * and an optional shared native payload. */
#include "object.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

typedef struct payload_box {
    atomic_int refs;
    char *kind;
    void *ptr;
    void (*destroy)(void *);
} payload_box;

typedef struct entry {
    char *key;
    ltx2_value v;
} entry;

struct ltx2_object {
    atomic_int refs;
    char *type;
    entry *entries;
    uint32_t count, cap;
    uint32_t *index;    /* open-addressed entry numbers + 1 (0 = empty), once count >= INDEX_FROM */
    uint32_t index_cap; /* a power of two, at least twice count */
    char *metadata;
    payload_box *payload;
};

static void box_release(payload_box *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (b->destroy)
        b->destroy(b->ptr);
    free(b->kind);
    free(b);
}

/* A copy of v that owns its own reference (tensor/object retained, string copied). */
static int value_dup(const ltx2_value *v, ltx2_value *out)
{
    *out = *v;
    switch (v->kind) {
    case LTX2_V_TENSOR:
        ltx2_tensor_retain(v->u.t);
        break;
    case LTX2_V_OBJECT:
        ltx2_object_retain(v->u.o);
        break;
    case LTX2_V_STRING:
        out->u.s = strdup(v->u.s ? v->u.s : "");
        if (!out->u.s)
            return -1;
        break;
    default:
        break;
    }
    return 0;
}

void ltx2_value_release(ltx2_value *v)
{
    if (!v)
        return;
    switch (v->kind) {
    case LTX2_V_TENSOR:
        ltx2_tensor_release(v->u.t);
        break;
    case LTX2_V_OBJECT:
        ltx2_object_release(v->u.o);
        break;
    case LTX2_V_STRING:
        free((char *)v->u.s);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

ltx2_value ltx2_value_tensor(ltx2_tensor *t)
{
    ltx2_value v = {.kind = t ? LTX2_V_TENSOR : LTX2_V_NONE};
    v.u.t = t;
    return v;
}

ltx2_value ltx2_value_object(ltx2_object *o)
{
    ltx2_value v = {.kind = o ? LTX2_V_OBJECT : LTX2_V_NONE};
    v.u.o = o;
    return v;
}

ltx2_value ltx2_value_string(const char *s)
{
    ltx2_value v = {.kind = LTX2_V_NONE};
    char *c = strdup(s ? s : "");
    if (c) {
        v.kind = LTX2_V_STRING;
        v.u.s = c;
    }
    return v;
}

ltx2_object *ltx2_object_new(const char *type_name)
{
    ltx2_object *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->type = strdup(type_name ? type_name : "");
    if (!o->type) {
        free(o);
        return NULL;
    }
    atomic_init(&o->refs, 1);
    return o;
}

void ltx2_object_retain(ltx2_object *o)
{
    if (o)
        atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

void ltx2_object_release(ltx2_object *o)
{
    if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (uint32_t i = 0; i < o->count; i++) {
        free(o->entries[i].key);
        ltx2_value_release(&o->entries[i].v);
    }
    free(o->entries);
    free(o->index);
    free(o->metadata);
    box_release(o->payload);
    free(o->type);
    free(o);
}

ltx2_object *ltx2_object_clone(const ltx2_object *o)
{
    ltx2_object *c = ltx2_object_new(o->type);
    if (!c)
        return NULL;
    for (uint32_t i = 0; i < o->count; i++)
        if (ltx2_object_set_value(c, o->entries[i].key, &o->entries[i].v) != LTX2_OK)
            goto fail;
    if (o->metadata && ltx2_object_set_metadata(c, o->metadata) != LTX2_OK)
        goto fail;
    if (o->payload) {
        atomic_fetch_add_explicit(&o->payload->refs, 1, memory_order_relaxed);
        c->payload = o->payload;
    }
    return c;
fail:
    ltx2_object_release(c);
    return NULL;
}

const char *ltx2_object_type(const ltx2_object *o) { return o->type; }

bool ltx2_object_is(const ltx2_object *o, const char *type_name)
{
    return o && strcmp(o->type, type_name) == 0;
}

/* Objects with many entries (a checkpoint's TENSORS holds thousands) are looked
 * up through a hash index, so filling one is linear, not quadratic. */
#define INDEX_FROM 32

static uint32_t key_hash(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The index slot holding key, or the empty slot where it would go. */
static uint32_t *index_slot(const ltx2_object *o, const char *key)
{
    uint32_t mask = o->index_cap - 1;
    for (uint32_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
        uint32_t *slot = &o->index[i];
        if (*slot == 0 || strcmp(o->entries[*slot - 1].key, key) == 0)
            return slot;
    }
}

/* Rebuilds the index for the current entries (cap: at least twice the count).
 * Without memory the object still works, by linear search. */
static void index_rebuild(ltx2_object *o, uint32_t min_entries)
{
    free(o->index);
    o->index = NULL;
    o->index_cap = 0;
    if (min_entries < INDEX_FROM)
        return;
    uint32_t cap = 64;
    while (cap < 2 * min_entries)
        cap *= 2;
    if (!(o->index = calloc(cap, sizeof *o->index)))
        return;
    o->index_cap = cap;
    for (uint32_t i = 0; i < o->count; i++)
        *index_slot(o, o->entries[i].key) = i + 1;
}

static entry *find(const ltx2_object *o, const char *key)
{
    if (o->index) {
        uint32_t slot = *index_slot(o, key);
        return slot ? &o->entries[slot - 1] : NULL;
    }
    for (uint32_t i = 0; i < o->count; i++)
        if (strcmp(o->entries[i].key, key) == 0)
            return &o->entries[i];
    return NULL;
}

ltx2_status ltx2_object_set_value(ltx2_object *o, const char *key, const ltx2_value *v)
{
    if (v->kind == LTX2_V_NONE) {
        ltx2_object_remove(o, key);
        return LTX2_OK;
    }
    ltx2_value copy;
    if (value_dup(v, &copy) != 0)
        return LTX2_ERR_OOM;
    entry *e = find(o, key);
    if (e) {
        ltx2_value_release(&e->v);
        e->v = copy;
        return LTX2_OK;
    }
    if (o->count == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 8;
        entry *n = realloc(o->entries, cap * sizeof *n);
        if (!n) {
            ltx2_value_release(&copy);
            return LTX2_ERR_OOM;
        }
        o->entries = n;
        o->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        ltx2_value_release(&copy);
        return LTX2_ERR_OOM;
    }
    o->entries[o->count].key = k;
    o->entries[o->count].v = copy;
    o->count++;
    if (o->index && 2 * o->count <= o->index_cap)
        *index_slot(o, k) = o->count;
    else if (o->count >= INDEX_FROM)
        index_rebuild(o, o->count);
    return LTX2_OK;
}

void ltx2_object_remove(ltx2_object *o, const char *key)
{
    entry *e = find(o, key);
    if (!e)
        return;
    free(e->key);
    ltx2_value_release(&e->v);
    uint32_t i = (uint32_t)(e - o->entries);
    memmove(&o->entries[i], &o->entries[i + 1], (o->count - i - 1) * sizeof *e);
    o->count--;
    if (o->index)
        index_rebuild(o, o->count); /* entry numbers moved (removal is rare) */
}

ltx2_status ltx2_object_set_tensor(ltx2_object *o, const char *key, ltx2_tensor *t)
{
    ltx2_value v = {.kind = t ? LTX2_V_TENSOR : LTX2_V_NONE, .u = {.t = t}};
    return ltx2_object_set_value(o, key, &v);
}

ltx2_status ltx2_object_set_object(ltx2_object *o, const char *key, ltx2_object *x)
{
    ltx2_value v = {.kind = x ? LTX2_V_OBJECT : LTX2_V_NONE, .u = {.o = x}};
    return ltx2_object_set_value(o, key, &v);
}

ltx2_status ltx2_object_set_int(ltx2_object *o, const char *key, int64_t x)
{
    ltx2_value v = {.kind = LTX2_V_INT, .u = {.i = x}};
    return ltx2_object_set_value(o, key, &v);
}

ltx2_status ltx2_object_set_float(ltx2_object *o, const char *key, double x)
{
    ltx2_value v = {.kind = LTX2_V_FLOAT, .u = {.f = x}};
    return ltx2_object_set_value(o, key, &v);
}

ltx2_status ltx2_object_set_bool(ltx2_object *o, const char *key, bool x)
{
    ltx2_value v = {.kind = LTX2_V_BOOL, .u = {.b = x}};
    return ltx2_object_set_value(o, key, &v);
}

ltx2_status ltx2_object_set_string(ltx2_object *o, const char *key, const char *x)
{
    ltx2_value v = {.kind = x ? LTX2_V_STRING : LTX2_V_NONE, .u = {.s = x}};
    return ltx2_object_set_value(o, key, &v);
}

ltx2_value ltx2_object_get(const ltx2_object *o, const char *key)
{
    entry *e = o ? find(o, key) : NULL;
    ltx2_value none = {.kind = LTX2_V_NONE};
    return e ? e->v : none;
}

bool ltx2_object_has(const ltx2_object *o, const char *key) { return o && find(o, key) != NULL; }

ltx2_tensor *ltx2_object_tensor(const ltx2_object *o, const char *key)
{
    ltx2_value v = ltx2_object_get(o, key);
    return v.kind == LTX2_V_TENSOR ? v.u.t : NULL;
}

ltx2_object *ltx2_object_object(const ltx2_object *o, const char *key)
{
    ltx2_value v = ltx2_object_get(o, key);
    return v.kind == LTX2_V_OBJECT ? v.u.o : NULL;
}

int64_t ltx2_object_int(const ltx2_object *o, const char *key, int64_t fallback)
{
    ltx2_value v = ltx2_object_get(o, key);
    if (v.kind == LTX2_V_INT)
        return v.u.i;
    if (v.kind == LTX2_V_BOOL)
        return v.u.b;
    return fallback;
}

double ltx2_object_float(const ltx2_object *o, const char *key, double fallback)
{
    ltx2_value v = ltx2_object_get(o, key);
    if (v.kind == LTX2_V_FLOAT)
        return v.u.f;
    if (v.kind == LTX2_V_INT)
        return (double)v.u.i;
    return fallback;
}

const char *ltx2_object_string(const ltx2_object *o, const char *key)
{
    ltx2_value v = ltx2_object_get(o, key);
    return v.kind == LTX2_V_STRING ? v.u.s : NULL;
}

uint32_t ltx2_object_count(const ltx2_object *o) { return o->count; }

ltx2_status ltx2_object_entry(const ltx2_object *o, uint32_t i, const char **key, ltx2_value *v)
{
    if (i >= o->count)
        return LTX2_ERR_BAD_INPUT;
    if (key)
        *key = o->entries[i].key;
    if (v)
        *v = o->entries[i].v;
    return LTX2_OK;
}

ltx2_status ltx2_object_set_metadata(ltx2_object *o, const char *json)
{
    char *c = strdup(json ? json : "{}");
    if (!c)
        return LTX2_ERR_OOM;
    free(o->metadata);
    o->metadata = c;
    return LTX2_OK;
}

const char *ltx2_object_metadata(const ltx2_object *o) { return o->metadata ? o->metadata : "{}"; }

ltx2_status ltx2_object_set_payload(ltx2_object *o, const char *kind, void *payload,
                                    void (*destroy)(void *payload))
{
    payload_box *b = calloc(1, sizeof *b);
    if (!b || !(b->kind = strdup(kind))) {
        free(b);
        return LTX2_ERR_OOM;
    }
    atomic_init(&b->refs, 1);
    b->ptr = payload;
    b->destroy = destroy;
    box_release(o->payload);
    o->payload = b;
    return LTX2_OK;
}

void *ltx2_object_payload(const ltx2_object *o, const char *kind)
{
    if (!o || !o->payload || strcmp(o->payload->kind, kind) != 0)
        return NULL;
    return o->payload->ptr;
}

/* ---------------------------------------------------------------- the host boundary */
bool ltx2_value_on_host(const ltx2_value *v)
{
    if (v->kind == LTX2_V_TENSOR)
        return ltx2_tensor_on_host(v->u.t);
    if (v->kind == LTX2_V_OBJECT)
        return ltx2_object_on_host(v->u.o);
    return true;
}

bool ltx2_object_on_host(const ltx2_object *o)
{
    for (uint32_t i = 0; i < o->count; i++)
        if (!ltx2_value_on_host(&o->entries[i].v))
            return false;
    return true;
}

ltx2_status ltx2_value_to_host(const ltx2_value *v, ltx2_value *out, ltx2_error *err)
{
    memset(out, 0, sizeof *out);
    ltx2_status st;
    if (v->kind == LTX2_V_TENSOR) {
        ltx2_tensor *t = NULL;
        st = ltx2_tensor_to_host(v->u.t, &t, err);
        *out = ltx2_value_tensor(t);
    } else if (v->kind == LTX2_V_OBJECT) {
        ltx2_object *o = NULL;
        st = ltx2_object_to_host(v->u.o, &o, err);
        *out = ltx2_value_object(o);
    } else {
        st = ltx2_err(err, LTX2_ERR_BAD_INPUT, "a scalar has no host copy");
    }
    return st;
}

ltx2_status ltx2_object_to_host(ltx2_object *o, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    if (ltx2_object_on_host(o)) {
        ltx2_object_retain(o);
        *out = o;
        return LTX2_OK;
    }
    ltx2_object *c = ltx2_object_clone(o); /* entries retained, payload shared */
    if (!c)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory copying a %s to the host", o->type);
    for (uint32_t i = 0; i < c->count; i++) {
        if (ltx2_value_on_host(&c->entries[i].v))
            continue;
        ltx2_value host;
        ltx2_status st = ltx2_value_to_host(&c->entries[i].v, &host, err);
        if (st != LTX2_OK) {
            ltx2_err_prefix(err, "%s '%s'", o->type, c->entries[i].key);
            ltx2_object_release(c);
            return st;
        }
        ltx2_value_release(&c->entries[i].v); /* same key: the index stays valid */
        c->entries[i].v = host;
    }
    *out = c;
    return LTX2_OK;
}
