/* runtime.h — one plugin instance: the public table, the host's services, the
 * compute thread pool and the checkpoint store. Created by ltx2_plugin_entry and
 * freed by plugin->unload; it is the only mutable state of the plugin. */
#ifndef LTX2_RUNTIME_H
#define LTX2_RUNTIME_H
#include <pthread.h>

#include "error.h"
#include "ltx2/ltx2_plugin.h"
#include "kernels.h"

typedef struct ltx2_store ltx2_store;
#define LTX2_RUNTIME_MAX_CUDA 16

typedef struct ltx2_runtime {
    ltx2_plugin plugin; /* first: the table handed to the host */
    ltx2_host_api host; /* copy of what the host gave (fields it did not have are 0) */
    kpool *pool;
    ltx2_store *store;
    /* One kcuda per CUDA ordinal, opened on first use with host.vram_budget and
     * destroyed at unload (after every tensor and model of the instance is gone). */
    pthread_mutex_t devices_lock;
    kcuda *cuda[LTX2_RUNTIME_MAX_CUDA];
} ltx2_runtime;

void ltx2_runtime_devices_init(ltx2_runtime *rt);
void ltx2_runtime_devices_free(ltx2_runtime *rt);
/* The device object of CUDA ordinal index, opened on first use. LTX2_ERR_UNSUPPORTED
 * ("CUDA backend not available: <why>"), LTX2_ERR_BAD_INPUT (no such ordinal) or
 * LTX2_ERR_FAILED, with the reason in err. */
ltx2_status ltx2_runtime_cuda(ltx2_runtime *rt, int index, kcuda **out, ltx2_error *err);

static inline ltx2_runtime *ltx2_runtime_of(const ltx2_plugin *p) { return (ltx2_runtime *)p->self; }

#endif
