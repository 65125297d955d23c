/* tensor_device.c — tensors in device memory and the copies between host and device.
 * A device tensor's storage is one kcuda allocation; views share it like host views.
 * Copies are contiguous: a strided source is gathered on the host side first. */
#include <stdio.h>
#include <string.h>

#include "cuda/kcuda.h"
#include "tensor.h"

/* A contiguous uninitialised tensor in memory of d (CUDA ordinal index). */
static ltx2_tensor *device_new(kcuda *d, ltx2_dtype dt, int ndim, const int64_t *shape)
{
    ltx2_tensor *t = ltx2_tensor_wrap(dt, ndim, shape, NULL, NULL, NULL, NULL);
    if (!t)
        return NULL;
    size_t bytes = ltx2_tensor_nbytes(t);
    if (kcuda_alloc(d, bytes ? bytes : 1, &t->alloc) != KS_OK) {
        ltx2_tensor_release(t);
        return NULL;
    }
    t->owner = LTX2_OWNER_HEAP;
    t->device = LTX2_DEVICE_CUDA;
    t->device_index = kcuda_ordinal(d);
    t->cuda = d;
    t->data = t->alloc;
    return t;
}

ltx2_tensor *ltx2_tensor_new_on(const kctx *k, ltx2_dtype dt, int ndim, const int64_t *shape)
{
    if (k->backend == KB_CUDA)
        return device_new(k->cuda, dt, ndim, shape);
    return ltx2_tensor_new(dt, ndim, shape);
}

/* The device (root storage owner) a device tensor or view lives on. */
static kcuda *device_of(const ltx2_tensor *t)
{
    while (t && !t->cuda)
        t = t->base;
    return t ? t->cuda : NULL;
}

static ltx2_status oom(ltx2_error *err, kcuda *d, const ltx2_tensor *t, const char *where)
{
    char shape[128];
    return ltx2_err(err, LTX2_ERR_OOM, "out of %s memory for %s (%zu bytes)%s%s", where,
                    ltx2_tensor_str(t, shape, sizeof shape), ltx2_tensor_nbytes(t), d ? ": " : "",
                    d ? kcuda_last_error(d) : "");
}

static ltx2_status device_err(ltx2_error *err, kcuda *d, kstatus ks, const char *what)
{
    return ltx2_err(err, ks == KS_OOM ? LTX2_ERR_OOM : LTX2_ERR_FAILED, "%s: %s (%s)", what, k_status_name(ks),
                    kcuda_last_error(d));
}

/* Host copy of a device tensor: the bytes its elements span are read back, then
 * gathered (strided views) by ltx2_tensor_clone. */
static ltx2_status device_to_host(ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err)
{
    kcuda *d = device_of(t);
    int64_t lo = 0, hi = 0; /* element offsets spanned, relative to t->data */
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 0) {
            *out = ltx2_tensor_new(t->dtype, t->ndim, t->shape);
            return *out ? LTX2_OK : oom(err, NULL, t, "host");
        }
        int64_t reach = (t->shape[i] - 1) * t->strides[i];
        if (reach < 0)
            lo += reach;
        else
            hi += reach;
    }
    int64_t span_shape[1] = {hi - lo + 1};
    ltx2_tensor *span = ltx2_tensor_new(t->dtype, 1, span_shape);
    if (!span)
        return oom(err, NULL, t, "host");
    size_t es = ltx2_dtype_size(t->dtype);
    kstatus ks = kcuda_copy(d, span->data, (const char *)t->data + lo * (int64_t)es, ltx2_tensor_nbytes(span),
                            KCUDA_D2H);
    if (ks != KS_OK) {
        ltx2_tensor_release(span);
        return device_err(err, d, ks, "copy to the host");
    }
    ltx2_tensor *view = ltx2_tensor_view(span, t->ndim, t->shape, t->strides, -lo);
    ltx2_tensor_release(span);
    if (!view)
        return oom(err, NULL, t, "host");
    *out = ltx2_tensor_is_contiguous(view) ? view : ltx2_tensor_clone(view);
    if (*out != view)
        ltx2_tensor_release(view);
    return *out ? LTX2_OK : oom(err, NULL, t, "host");
}

ltx2_status ltx2_tensor_to_host(ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err)
{
    *out = NULL;
    if (ltx2_tensor_on_host(t)) {
        ltx2_tensor_retain(t);
        *out = t;
        return LTX2_OK;
    }
    return device_to_host(t, out, err);
}

ltx2_status ltx2_tensor_copy_to(ltx2_tensor *t, ltx2_device device, int index, kcuda *cuda,
                                ltx2_tensor **out, ltx2_error *err)
{
    *out = NULL;
    if (device == LTX2_DEVICE_CPU)
        return ltx2_tensor_to_host(t, out, err);
    if (device != LTX2_DEVICE_CUDA || !cuda)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "device %d:%d has no backend", (int)device, index);
    if (t->device == device && t->device_index == index && ltx2_tensor_is_contiguous(t)) {
        ltx2_tensor_retain(t);
        *out = t;
        return LTX2_OK;
    }
    ltx2_tensor *host = NULL;
    ltx2_status st = ltx2_tensor_to_host(t, &host, err); /* another device goes through the host */
    if (st != LTX2_OK)
        return st;
    ltx2_tensor *c = NULL;
    if (!ltx2_tensor_is_contiguous(host)) {
        c = ltx2_tensor_clone(host);
        ltx2_tensor_release(host);
        if (!c)
            return oom(err, NULL, t, "host");
        host = c;
    }
    ltx2_tensor *dev = device_new(cuda, t->dtype, t->ndim, t->shape);
    if (!dev) {
        st = oom(err, cuda, t, "device");
        ltx2_tensor_release(host);
        return st;
    }
    kstatus ks = kcuda_copy(cuda, dev->data, host->data, ltx2_tensor_nbytes(host), KCUDA_H2D);
    ltx2_tensor_release(host);
    if (ks != KS_OK) {
        ltx2_tensor_release(dev);
        return device_err(err, cuda, ks, "copy to the device");
    }
    *out = dev;
    return LTX2_OK;
}

ltx2_status ltx2_tensor_on(const kctx *k, ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err)
{
    if (k->backend != KB_CUDA) {
        return ltx2_tensor_to_host(t, out, err);
    }
    int index = kcuda_ordinal(k->cuda);
    if (t->device == LTX2_DEVICE_CUDA && t->device_index == index) { /* views included */
        ltx2_tensor_retain(t);
        *out = t;
        return LTX2_OK;
    }
    return ltx2_tensor_copy_to(t, LTX2_DEVICE_CUDA, index, k->cuda, out, err);
}

ltx2_status ltx2_tensor_f32_on(const kctx *k, ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_tensor *h = NULL;
    ltx2_status st = LTX2_OK;
    if (!ltx2_tensor_on_host(t) && (t->dtype != LTX2_F32 || !ltx2_tensor_is_contiguous(t))) {
        if ((st = ltx2_tensor_to_host(t, &h, err)) != LTX2_OK)
            return st;
        t = h;
    }
    ltx2_tensor *f = ltx2_tensor_as_f32(t); /* a device tensor here is contiguous F32: t itself */
    if (!f)
        st = oom(err, NULL, t, "host");
    ltx2_tensor_release(h);
    if (!f)
        return st;
    st = ltx2_tensor_on(k, f, out, err);
    ltx2_tensor_release(f);
    return st;
}
