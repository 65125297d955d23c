/* runtime.c — the runtime's CUDA devices: opened lazily, one per ordinal. */
#include "runtime.h"

#include "cuda/kcuda.h"

void ltx2_runtime_devices_init(ltx2_runtime *rt) { pthread_mutex_init(&rt->devices_lock, NULL); }

void ltx2_runtime_devices_free(ltx2_runtime *rt)
{
    for (int i = 0; i < LTX2_RUNTIME_MAX_CUDA; i++)
        kcuda_destroy(rt->cuda[i]);
    pthread_mutex_destroy(&rt->devices_lock);
}

static ltx2_status status_of(kstatus ks)
{
    switch (ks) {
    case KS_UNSUPPORTED: return LTX2_ERR_UNSUPPORTED;
    case KS_BAD_ARG: return LTX2_ERR_BAD_INPUT;
    case KS_OOM: return LTX2_ERR_OOM;
    default: return LTX2_ERR_FAILED;
    }
}

ltx2_status ltx2_runtime_cuda(ltx2_runtime *rt, int index, kcuda **out, ltx2_error *err)
{
    *out = NULL;
    if (index < 0 || index >= LTX2_RUNTIME_MAX_CUDA)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "cuda:%d: no such device", index);
    ltx2_status st = LTX2_OK;
    pthread_mutex_lock(&rt->devices_lock);
    if (!rt->cuda[index]) {
        size_t budget = LTX2_HAS_FIELD(&rt->host, ltx2_host_api, vram_budget) ? (size_t)rt->host.vram_budget : 0;
        char why[512] = "";
        kstatus ks = kcuda_create(index, budget, &rt->cuda[index], why, sizeof why);
        if (ks != KS_OK)
            st = ltx2_err(err, status_of(ks), "%s", why[0] ? why : k_status_name(ks));
    }
    *out = rt->cuda[index];
    pthread_mutex_unlock(&rt->devices_lock);
    return st;
}
