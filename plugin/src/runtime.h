/* runtime.h — one plugin instance: the public table, the host's services, the
 * compute thread pool and the checkpoint store. Created by ltx2_plugin_entry and
 * freed by plugin->unload; it is the only mutable state of the plugin. */
#ifndef LTX2_RUNTIME_H
#define LTX2_RUNTIME_H
#include "ltx2/ltx2_plugin.h"
#include "kernels.h"

typedef struct ltx2_store ltx2_store;

typedef struct ltx2_runtime {
    ltx2_plugin plugin; /* first: the table handed to the host */
    ltx2_host_api host; /* copy of what the host gave (fields it did not have are 0) */
    kpool *pool;
    ltx2_store *store;
} ltx2_runtime;

static inline ltx2_runtime *ltx2_runtime_of(const ltx2_plugin *p) { return (ltx2_runtime *)p->self; }

#endif
