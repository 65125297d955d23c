/* entry.c — the exported entry point: ABI negotiation, the runtime of one plugin
 * instance, and the handle functions of the public table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_api.h"
#include "object.h"
#include "registry.h"
#include "runtime.h"
#include "store/store.h"
#include "tensor.h"

static void api_tensor_describe(const ltx2_tensor *t, ltx2_tensor_desc *out)
{
    ltx2_tensor_describe(t, out);
}

static ltx2_status api_tensor_create(int32_t dtype, int32_t ndim, const int64_t *shape,
                                     const void *data, ltx2_tensor **out)
{
    *out = NULL;
    ltx2_tensor *t = ltx2_tensor_zeros((ltx2_dtype)dtype, ndim, shape);
    if (!t)
        return (unsigned)dtype >= LTX2_DTYPE_COUNT || ndim < 0 || ndim > LTX2_MAX_DIMS
                   ? LTX2_ERR_BAD_INPUT
                   : LTX2_ERR_OOM;
    if (data)
        memcpy(t->data, data, ltx2_tensor_nbytes(t));
    *out = t;
    return LTX2_OK;
}

static const char *api_object_type(const ltx2_object *o) { return ltx2_object_type(o); }

static ltx2_status set_threads(ltx2_plugin *p, int32_t n)
{
    ltx2_runtime *rt = ltx2_runtime_of(p);
    kpool *pool = kpool_create(n);
    if (!pool)
        return LTX2_ERR_OOM;
    kpool_destroy(rt->pool);
    rt->pool = pool;
    return LTX2_OK;
}

static void unload(ltx2_plugin *p)
{
    if (!p)
        return;
    ltx2_runtime *rt = ltx2_runtime_of(p);
    ltx2_registry_free(&rt->plugin);
    ltx2_store_free(rt->store);
    kpool_destroy(rt->pool);
    ltx2_runtime_devices_free(rt);
    free(rt);
}

LTX2_EXPORT ltx2_status ltx2_plugin_entry(const ltx2_host_api *host, ltx2_plugin **out,
                                          char *error, size_t error_size)
{
    char dummy[8];
    if (!error || !error_size) {
        error = dummy;
        error_size = sizeof dummy;
    }
    error[0] = 0;
    if (!out)
        return LTX2_ERR_BAD_INPUT;
    *out = NULL;
    if (!host || host->struct_size < offsetof(ltx2_host_api, abi_minor) + sizeof host->abi_minor) {
        snprintf(error, error_size, "ltx2 plugin: host API struct missing or too small");
        return LTX2_ERR_VERSION;
    }
    if (host->abi_major != LTX2_ABI_MAJOR) {
        snprintf(error, error_size,
                 "ltx2 plugin: host speaks ABI %u.%u, this plugin speaks ABI %u.%u (major versions must match)",
                 (unsigned)host->abi_major, (unsigned)host->abi_minor, LTX2_ABI_MAJOR, LTX2_ABI_MINOR);
        return LTX2_ERR_VERSION;
    }
    ltx2_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return LTX2_ERR_OOM;
    /* Copy only the fields the host's struct has; the rest stays zero. */
    size_t n = host->struct_size < sizeof rt->host ? host->struct_size : sizeof rt->host;
    memcpy(&rt->host, host, n);
    rt->host.struct_size = (uint32_t)n;
    ltx2_runtime_devices_init(rt);
    int32_t threads = LTX2_HAS_FIELD(&rt->host, ltx2_host_api, num_threads) ? rt->host.num_threads : 0;
    rt->pool = kpool_create(threads);
    rt->store = ltx2_store_new();
    if (!rt->pool || !rt->store) {
        kpool_destroy(rt->pool);
        ltx2_store_free(rt->store);
        ltx2_runtime_devices_free(rt);
        free(rt);
        snprintf(error, error_size, "ltx2 plugin: out of memory at start-up");
        return LTX2_ERR_OOM;
    }

    ltx2_plugin *p = &rt->plugin;
    p->struct_size = sizeof *p;
    p->abi_major = LTX2_ABI_MAJOR;
    p->abi_minor = LTX2_ABI_MINOR;
    p->plugin_id = "org.ltx2.nodes";
    p->plugin_version = LTX2_PLUGIN_VERSION;
    p->self = rt;
    p->unload = unload;
    p->set_num_threads = set_threads;
    p->tensor_retain = ltx2_tensor_retain;
    p->tensor_release = ltx2_tensor_release;
    p->tensor_describe = api_tensor_describe;
    p->tensor_create = api_tensor_create;
    p->object_retain = ltx2_object_retain;
    p->object_release = ltx2_object_release;
    p->object_type = api_object_type;
    p->object_count = ltx2_object_count;
    p->object_entry = ltx2_object_entry;
    p->object_get = ltx2_object_get;
    p->object_metadata = ltx2_object_metadata;
    p->value_release = ltx2_value_release;
    p->device_count = ltx2_api_device_count;
    p->device_info = ltx2_api_device_info;
    p->tensor_create_on = ltx2_api_tensor_create_on;
    p->tensor_copy_to = ltx2_api_tensor_copy_to;
    p->tensor_read = ltx2_api_tensor_read;

    ltx2_status st = ltx2_registry_build(p, error, error_size);
    if (st != LTX2_OK) {
        unload(p);
        return st;
    }
    *out = p;
    return LTX2_OK;
}
