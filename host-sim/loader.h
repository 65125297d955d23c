/* loader.h — finding, dlopen-ing and negotiating with the plugin. */
#ifndef HS_LOADER_H
#define HS_LOADER_H
#include <stddef.h>
#include <stdint.h>
#include "ltx2/ltx2_plugin.h"

typedef struct hs_plugin {
    void *dl;
    ltx2_plugin *p;
    char path[4096];
} hs_plugin;

/* Path order: explicit (--plugin), $LTX2_PLUGIN (the file), then the first
 * libltx2nodes.so found in each folder of $LTX2_PLUGIN_PATH, beside the
 * executable, in ../lib (build tree) and ../<libdir>/ltx2 (install prefix). num_threads goes to the host API (0 = one per core),
 * vram_budget to the ABI 1.2 field (0 = all free device memory).
 * Returns 0, or -1 with one line in err. */
int hs_plugin_load(hs_plugin *hp, const char *explicit_path, int num_threads, uint64_t vram_budget, int verbose,
                   char *err, size_t err_size);
void hs_plugin_unload(hs_plugin *hp);

#endif
