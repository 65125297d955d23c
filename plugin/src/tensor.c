/* tensor.c — refcounted tensor handles: heap, mapped and view storage. */
#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cuda/kcuda.h"
#include "kernels.h"

static const struct {
    const char *name;
    size_t size;
} dtype_info[LTX2_DTYPE_COUNT] = {
    [LTX2_F32] = {"F32", 4},     [LTX2_F16] = {"F16", 2},         [LTX2_BF16] = {"BF16", 2},
    [LTX2_F8_E4M3] = {"F8_E4M3", 1}, [LTX2_F8_E5M2] = {"F8_E5M2", 1}, [LTX2_I64] = {"I64", 8},
    [LTX2_I32] = {"I32", 4},     [LTX2_U8] = {"U8", 1},
};

size_t ltx2_dtype_size(ltx2_dtype dt)
{
    return (unsigned)dt < LTX2_DTYPE_COUNT ? dtype_info[dt].size : 0;
}

const char *ltx2_dtype_name(ltx2_dtype dt)
{
    return (unsigned)dt < LTX2_DTYPE_COUNT ? dtype_info[dt].name : "?";
}

int ltx2_dtype_from_name(const char *name)
{
    for (int i = 0; i < LTX2_DTYPE_COUNT; i++)
        if (strcmp(dtype_info[i].name, name) == 0)
            return i;
    return -1;
}

/* A shape whose every stride and byte size fits: the product of the non-zero dims is
 * bounded too (a zero dim makes numel 0 but the strides of [0, 2^62, 2^62] would still
 * overflow). */
static bool shape_ok(ltx2_dtype dt, int ndim, const int64_t *shape, size_t *nbytes)
{
    if ((unsigned)dt >= LTX2_DTYPE_COUNT || ndim < 0 || ndim > LTX2_MAX_DIMS)
        return false;
    const int64_t limit = INT64_MAX / 16;
    int64_t span = 1; /* product of the non-zero dims: the largest stride times its dim */
    bool empty = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return false;
        if (shape[i] == 0)
            empty = true;
        else if (!ltx2_mul_i64(span, shape[i], &span) || span > limit)
            return false;
    }
    *nbytes = empty ? 0 : (size_t)span * dtype_info[dt].size;
    return true;
}

static void set_contiguous(ltx2_tensor *t, int ndim, const int64_t *shape)
{
    t->ndim = ndim;
    int64_t s = 1; /* cannot overflow: shape_ok bounds the product of the non-zero dims */
    for (int i = ndim - 1; i >= 0; i--) {
        t->shape[i] = shape[i];
        t->strides[i] = s;
        s *= shape[i];
    }
}

/* A contiguous handle with one reference and no storage yet; NULL on a bad shape or
 * OOM. *nbytes receives the data size. */
static ltx2_tensor *header_new(ltx2_dtype dt, ltx2_owner owner, int ndim, const int64_t *shape,
                               size_t *nbytes)
{
    if (!shape_ok(dt, ndim, shape, nbytes))
        return NULL;
    ltx2_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    t->dtype = dt;
    t->device = LTX2_DEVICE_CPU;
    t->owner = owner;
    set_contiguous(t, ndim, shape);
    return t;
}

static ltx2_tensor *alloc_heap(ltx2_dtype dt, int ndim, const int64_t *shape, bool zero)
{
    size_t nbytes;
    ltx2_tensor *t = header_new(dt, LTX2_OWNER_HEAP, ndim, shape, &nbytes);
    if (!t)
        return NULL;
    size_t padded = (nbytes + 63) & ~(size_t)63;
    t->alloc = aligned_alloc(64, padded ? padded : 64);
    if (!t->alloc) {
        free(t);
        return NULL;
    }
    if (zero)
        memset(t->alloc, 0, padded ? padded : 64);
    t->data = t->alloc;
    return t;
}

ltx2_tensor *ltx2_tensor_new(ltx2_dtype dt, int ndim, const int64_t *shape)
{
    return alloc_heap(dt, ndim, shape, false);
}

ltx2_tensor *ltx2_tensor_zeros(ltx2_dtype dt, int ndim, const int64_t *shape)
{
    return alloc_heap(dt, ndim, shape, true);
}

ltx2_tensor *ltx2_tensor_wrap(ltx2_dtype dt, int ndim, const int64_t *shape, void *data,
                              void *keepalive, void (*retain)(void *), void (*release)(void *))
{
    size_t nbytes;
    ltx2_tensor *t = header_new(dt, LTX2_OWNER_MAPPED, ndim, shape, &nbytes);
    if (!t)
        return NULL;
    t->data = data;
    t->keepalive = keepalive;
    t->keepalive_release = release;
    if (retain && keepalive)
        retain(keepalive);
    return t;
}

ltx2_tensor *ltx2_tensor_view(ltx2_tensor *base, int ndim, const int64_t *shape,
                              const int64_t *strides, int64_t offset)
{
    size_t nbytes;
    int64_t byte_offset;
    if (!base || !ltx2_mul_i64(offset, (int64_t)ltx2_dtype_size(base->dtype), &byte_offset))
        return NULL;
    ltx2_tensor *t = header_new(base->dtype, LTX2_OWNER_VIEW, ndim, shape, &nbytes);
    if (!t)
        return NULL;
    t->device = base->device;
    t->device_index = base->device_index;
    t->data = (char *)base->data + byte_offset;
    ltx2_tensor_retain(base);
    t->base = base;
    if (strides)
        for (int i = 0; i < ndim; i++)
            t->strides[i] = strides[i];
    return t;
}

void ltx2_tensor_retain(ltx2_tensor *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void ltx2_tensor_release(ltx2_tensor *t)
{
    if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (t->cuda)
        kcuda_free(t->cuda, t->alloc);
    else
        free(t->alloc);
    if (t->base)
        ltx2_tensor_release(t->base);
    if (t->keepalive && t->keepalive_release)
        t->keepalive_release(t->keepalive);
    free(t);
}

void ltx2_tensor_describe(const ltx2_tensor *t, ltx2_tensor_desc *out)
{
    uint32_t size = out->struct_size ? out->struct_size : (uint32_t)sizeof *out;
    ltx2_tensor_desc d;
    memset(&d, 0, sizeof d);
    d.struct_size = (uint32_t)sizeof d;
    d.dtype = t->dtype;
    d.device = t->device;
    d.owner = t->owner;
    d.ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) {
        d.shape[i] = t->shape[i];
        d.strides[i] = t->strides[i];
    }
    d.data = t->data;
    d.device_index = t->device_index;
    memcpy(out, &d, size < sizeof d ? size : sizeof d);
    out->struct_size = size < sizeof d ? size : (uint32_t)sizeof d;
}

int64_t ltx2_tensor_numel(const ltx2_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

size_t ltx2_tensor_nbytes(const ltx2_tensor *t)
{
    return (size_t)ltx2_tensor_numel(t) * ltx2_dtype_size(t->dtype);
}

bool ltx2_tensor_is_contiguous(const ltx2_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->strides[i] != s)
            return false;
        s *= t->shape[i];
    }
    return true;
}

const char *ltx2_tensor_str(const ltx2_tensor *t, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%s[", ltx2_dtype_name(t->dtype));
    for (int i = 0; i < t->ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, "]");
    return buf;
}

bool ltx2_tensor_same_shape(const ltx2_tensor *a, const ltx2_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

/* Copies every element of t, in row-major order, into the contiguous buffer dst. */
static void gather(const ltx2_tensor *t, void *dst)
{
    size_t es = ltx2_dtype_size(t->dtype);
    int64_t n = ltx2_tensor_numel(t);
    if (ltx2_tensor_is_contiguous(t)) {
        memcpy(dst, t->data, (size_t)n * es);
        return;
    }
    int64_t idx[LTX2_MAX_DIMS] = {0};
    char *out = dst;
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int d = 0; d < t->ndim; d++)
            off += idx[d] * t->strides[d];
        memcpy(out + (size_t)i * es, (const char *)t->data + off * (int64_t)es, es);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d])
                break;
            idx[d] = 0;
        }
    }
}

ltx2_tensor *ltx2_tensor_clone(const ltx2_tensor *t)
{
    ltx2_tensor *c = ltx2_tensor_new(t->dtype, t->ndim, t->shape);
    if (c)
        gather(t, c->data);
    return c;
}

ltx2_tensor *ltx2_tensor_to_f32(const ltx2_tensor *t)
{
    if (!ltx2_tensor_on_host(t)) { /* a device tensor: its host copy, converted there */
        ltx2_tensor *h = NULL;
        ltx2_error err = {0};
        if (ltx2_tensor_to_host((ltx2_tensor *)t, &h, &err) != LTX2_OK)
            return NULL;
        ltx2_tensor *f = ltx2_tensor_to_f32(h);
        ltx2_tensor_release(h);
        return f;
    }
    ltx2_tensor *c = ltx2_tensor_clone(t);
    if (!c || t->dtype == LTX2_F32)
        return c;
    ltx2_tensor *f = ltx2_tensor_new(LTX2_F32, t->ndim, t->shape);
    if (!f) {
        ltx2_tensor_release(c);
        return NULL;
    }
    int64_t n = ltx2_tensor_numel(t);
    float *o = f->data;
    switch (t->dtype) {
    case LTX2_F16:
    case LTX2_BF16:
    case LTX2_F8_E4M3:
    case LTX2_F8_E5M2:
        k_to_f32((kdtype)t->dtype, c->data, o, n);
        break;
    case LTX2_I64:
        for (int64_t i = 0; i < n; i++)
            o[i] = (float)((const int64_t *)c->data)[i];
        break;
    case LTX2_I32:
        for (int64_t i = 0; i < n; i++)
            o[i] = (float)((const int32_t *)c->data)[i];
        break;
    case LTX2_U8:
        for (int64_t i = 0; i < n; i++)
            o[i] = (float)((const uint8_t *)c->data)[i];
        break;
    default:
        break;
    }
    ltx2_tensor_release(c);
    return f;
}

ltx2_tensor *ltx2_tensor_as_f32(ltx2_tensor *t)
{
    if (t->dtype == LTX2_F32 && ltx2_tensor_is_contiguous(t)) {
        ltx2_tensor_retain(t);
        return t;
    }
    return ltx2_tensor_to_f32(t);
}
