/* device_api.c — the ABI 1.2 device functions of the public table: devices are the
 * runtime's kcuda objects, tensors move through tensor_device.c. */
#include "device_api.h"

#include <stdio.h>
#include <string.h>

#include "cuda/kcuda.h"
#include "runtime.h"
#include "tensor.h"

int32_t ltx2_api_device_count(ltx2_plugin *plugin, int32_t device)
{
    (void)plugin;
    if (device == LTX2_DEVICE_CPU)
        return 1;
    return device == LTX2_DEVICE_CUDA ? kcuda_device_count() : 0;
}

/* The kcuda of (device, index), or NULL for the CPU; errors for anything else. */
static ltx2_status open_device(ltx2_plugin *plugin, int32_t device, int32_t index, kcuda **out, ltx2_error *err)
{
    *out = NULL;
    if (device == LTX2_DEVICE_CPU)
        return LTX2_OK;
    if (device != LTX2_DEVICE_CUDA)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "unknown device kind %d", (int)device);
    return ltx2_runtime_cuda(ltx2_runtime_of(plugin), index, out, err);
}

ltx2_status ltx2_api_device_info(ltx2_plugin *plugin, int32_t device, int32_t device_index,
                                 ltx2_device_info *out, char *error, size_t error_size)
{
    ltx2_error err = {0};
    kcuda *d = NULL;
    ltx2_status st = open_device(plugin, device, device_index, &d, &err);
    if (st != LTX2_OK) {
        if (error && error_size)
            snprintf(error, error_size, "%s", err.msg);
        return st;
    }
    ltx2_device_info info = {.struct_size = sizeof info};
    snprintf(info.name, sizeof info.name, "%s", d ? kcuda_name(d) : "CPU");
    if (d) {
        info.total_bytes = kcuda_total_bytes(d);
        info.budget_bytes = kcuda_budget(d);
        info.in_use_bytes = kcuda_bytes_in_use(d);
        info.peak_bytes = kcuda_peak_bytes(d);
        kcuda_note(d, info.residency, sizeof info.residency);
    }
    size_t n = out->struct_size < sizeof info ? out->struct_size : sizeof info;
    memcpy(out, &info, n);
    out->struct_size = (uint32_t)n;
    return LTX2_OK;
}

ltx2_status ltx2_api_tensor_copy_to(ltx2_plugin *plugin, ltx2_tensor *t, int32_t device, int32_t device_index,
                                    ltx2_tensor **out)
{
    *out = NULL;
    ltx2_error err = {0};
    kcuda *d = NULL;
    ltx2_status st = open_device(plugin, device, device_index, &d, &err);
    if (st != LTX2_OK)
        return st;
    if (!d) { /* the CPU: a contiguous host tensor */
        ltx2_tensor *h = NULL;
        st = ltx2_tensor_to_host(t, &h, &err);
        if (st != LTX2_OK || ltx2_tensor_is_contiguous(h)) {
            *out = h;
            return st;
        }
        *out = ltx2_tensor_clone(h);
        ltx2_tensor_release(h);
        return *out ? LTX2_OK : LTX2_ERR_OOM;
    }
    return ltx2_tensor_copy_to(t, LTX2_DEVICE_CUDA, device_index, d, out, &err);
}

ltx2_status ltx2_api_tensor_create_on(ltx2_plugin *plugin, int32_t device, int32_t device_index, int32_t dtype,
                                      int32_t ndim, const int64_t *shape, const void *data, ltx2_tensor **out)
{
    *out = NULL;
    ltx2_tensor *host = NULL;
    ltx2_status st = plugin->tensor_create(dtype, ndim, shape, data, &host);
    if (st != LTX2_OK || device == LTX2_DEVICE_CPU) {
        *out = host;
        return st;
    }
    st = ltx2_api_tensor_copy_to(plugin, host, device, device_index, out);
    ltx2_tensor_release(host);
    return st;
}

ltx2_status ltx2_api_tensor_read(ltx2_plugin *plugin, ltx2_tensor *t, void *dst, size_t dst_size)
{
    (void)plugin;
    if (!t || !dst || dst_size < ltx2_tensor_nbytes(t))
        return LTX2_ERR_BAD_INPUT;
    ltx2_error err = {0};
    ltx2_tensor *h = NULL;
    ltx2_status st = ltx2_tensor_to_host(t, &h, &err);
    if (st != LTX2_OK)
        return st;
    ltx2_tensor *c = ltx2_tensor_is_contiguous(h) ? NULL : ltx2_tensor_clone(h);
    const ltx2_tensor *src = c ? c : h;
    if (!ltx2_tensor_is_contiguous(h) && !c)
        st = LTX2_ERR_OOM;
    else
        memcpy(dst, src->data, ltx2_tensor_nbytes(src));
    ltx2_tensor_release(c);
    ltx2_tensor_release(h);
    return st;
}
