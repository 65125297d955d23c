/* ckpt_helpers.c — what model builders call to take weights out of a checkpoint:
 * shape/dtype checks whose errors name the key, kernel matrices over the mapping
 * (FP8 with its per-tensor scale) and small vectors widened to f32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"

static bool is_float_dtype(ltx2_dtype dt)
{
    return dt == LTX2_F32 || dt == LTX2_F16 || dt == LTX2_BF16 || dt == LTX2_F8_E4M3 ||
           dt == LTX2_F8_E5M2;
}

static void shape_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t o = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (o < size)
        snprintf(buf + o, size - o, "]");
}

ltx2_status ltx2_ckpt_require(const ltx2_checkpoint *c, const char *name, int ndim,
                              const int64_t *shape, const ltx2_st_tensor **out, ltx2_error *err)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_find(c, name);
    if (!t)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: missing tensor '%s'",
                        ltx2_checkpoint_path(c), name);
    bool ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = !shape || shape[i] < 0 || shape[i] == t->shape[i];
    if (!ok) {
        char want[160], got[160];
        if (shape) {
            size_t o = (size_t)snprintf(want, sizeof want, "[");
            for (int i = 0; i < ndim && o < sizeof want; i++) {
                if (shape[i] < 0)
                    o += (size_t)snprintf(want + o, sizeof want - o, i ? ", *" : "*");
                else
                    o += (size_t)snprintf(want + o, sizeof want - o, i ? ", %lld" : "%lld",
                                          (long long)shape[i]);
            }
            if (o < sizeof want)
                snprintf(want + o, sizeof want - o, "]");
        } else {
            snprintf(want, sizeof want, "%d dims", ndim);
        }
        shape_str(t->ndim, t->shape, got, sizeof got);
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "tensor '%s': expected shape %s, got %s%s", name,
                        want, ltx2_dtype_name(t->dtype), got);
    }
    if (!is_float_dtype(t->dtype))
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED,
                        "tensor '%s': expected a float dtype (F32/F16/BF16/F8), got %s", name,
                        ltx2_dtype_name(t->dtype));
    if (out)
        *out = t;
    return LTX2_OK;
}

/* Widens n elements into dst; the mapped bytes may be unaligned for their type. */
static void widen(const ltx2_st_tensor *t, float *dst, int64_t n)
{
    size_t es = ltx2_dtype_size(t->dtype);
    if (t->dtype == LTX2_F32) {
        memcpy(dst, t->data, (size_t)n * es);
    } else if (((uintptr_t)t->data % es) == 0) {
        k_to_f32((kdtype)t->dtype, t->data, dst, n);
    } else {
        /* Unaligned 16-bit data: convert in aligned chunks through a small buffer. */
        uint16_t buf[1024];
        for (int64_t i = 0; i < n; i += 1024) {
            int64_t m = n - i < 1024 ? n - i : 1024;
            memcpy(buf, (const char *)t->data + (size_t)i * es, (size_t)m * es);
            k_to_f32((kdtype)t->dtype, buf, dst + i, m);
        }
    }
}

static int64_t numel_of(const ltx2_st_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

/* The per-tensor scale of an FP8 weight, 1 when the file has none. */
static ltx2_status fp8_scale(const ltx2_checkpoint *c, const char *name, float *scale,
                             ltx2_error *err)
{
    char key[512];
    size_t n = strlen(name);
    if (n >= 7 && strcmp(name + n - 7, ".weight") == 0)
        snprintf(key, sizeof key, "%.*s.weight_scale", (int)(n - 7), name);
    else
        snprintf(key, sizeof key, "%s_scale", name);
    const ltx2_st_tensor *s = ltx2_checkpoint_find(c, key);
    *scale = 1.0f;
    if (!s)
        return LTX2_OK;
    if (!is_float_dtype(s->dtype) || numel_of(s) != 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "tensor '%s': expected one float (the scale of '%s'), got %s with %lld "
                        "elements", key, name, ltx2_dtype_name(s->dtype), (long long)numel_of(s));
    widen(s, scale, 1);
    return LTX2_OK;
}

ltx2_status ltx2_ckpt_mat(const ltx2_checkpoint *c, const char *name, int64_t rows, int64_t cols,
                          kmat *out, ltx2_error *err)
{
    const ltx2_st_tensor *t;
    ltx2_status st = ltx2_ckpt_require(c, name, 2, (const int64_t[]){rows, cols}, &t, err);
    if (st != LTX2_OK)
        return st;
    memset(out, 0, sizeof *out);
    out->dtype = (kdtype)t->dtype;
    out->data = t->data;
    out->rows = t->shape[0];
    out->cols = t->shape[1];
    out->ld = t->shape[1];
    out->scale = 1.0f;
    if (t->dtype == LTX2_F8_E4M3 || t->dtype == LTX2_F8_E5M2)
        return fp8_scale(c, name, &out->scale, err);
    return LTX2_OK;
}

static ltx2_status widen_alloc(const ltx2_st_tensor *t, int64_t n, float **out, ltx2_error *err)
{
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v)
        return ltx2_err(err, LTX2_ERR_OOM, "tensor '%s': out of memory widening %lld values",
                        t->name, (long long)n);
    widen(t, v, n);
    *out = v;
    return LTX2_OK;
}

ltx2_status ltx2_ckpt_vec(const ltx2_checkpoint *c, const char *name, int64_t n, float **out,
                          ltx2_error *err)
{
    const ltx2_st_tensor *t;
    *out = NULL;
    ltx2_status st = ltx2_ckpt_require(c, name, 1, (const int64_t[]){n}, &t, err);
    return st != LTX2_OK ? st : widen_alloc(t, t->shape[0], out, err);
}

ltx2_status ltx2_ckpt_f32(const ltx2_checkpoint *c, const char *name, int64_t numel, float **out,
                          ltx2_error *err)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_find(c, name);
    *out = NULL;
    if (!t)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: missing tensor '%s'",
                        ltx2_checkpoint_path(c), name);
    if (!is_float_dtype(t->dtype) || numel_of(t) != numel) {
        char got[160];
        shape_str(t->ndim, t->shape, got, sizeof got);
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "tensor '%s': expected %lld float elements, got %s%s", name,
                        (long long)numel, ltx2_dtype_name(t->dtype), got);
    }
    return widen_alloc(t, numel, out, err);
}
