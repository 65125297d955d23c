/* loader.c — dlopen the plugin and call its entry with host-sim's ltx2_host_api. */
#include "loader.h"

#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HS_VERSION "0.1.0"

static void host_log(void *host_data, int32_t level, const char *message)
{
    const int *verbose = host_data;
    if (level >= LTX2_LOG_WARN || (verbose && *verbose))
        fprintf(stderr, "%s: %s\n", level >= LTX2_LOG_ERROR ? "plugin error" : level >= LTX2_LOG_WARN ? "plugin warning" : "plugin", message);
}

#ifndef HS_PLUGIN_RELDIR
#define HS_PLUGIN_RELDIR "../lib/ltx2"
#endif
#define HS_PLUGIN_FILE "libltx2nodes.so"

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* The first existing candidate: each folder of $LTX2_PLUGIN_PATH, then beside
 * the executable, ../lib (the build tree) and the install prefix's plugin folder. */
static int default_path(char *out, size_t size, char *tried, size_t tried_size)
{
    size_t used = 0;
    const char *list = getenv("LTX2_PLUGIN_PATH");
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ':');
        int len = (int)(e ? (size_t)(e - p) : strlen(p));
        if (len > 0) {
            int w = snprintf(out, size, "%.*s/" HS_PLUGIN_FILE, len, p);
            if (w > 0 && (size_t)w < size && exists(out))
                return 0;
            w = snprintf(tried + used, tried_size - used, "%s%s", used ? ", " : "", out);
            if (w > 0 && (size_t)w < tried_size - used)
                used += (size_t)w;
        }
        p = e ? e + 1 : p + len;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    const char *dir = dirname(exe);
    static const char *const rel[] = {"", "../lib/", HS_PLUGIN_RELDIR "/"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        int w = snprintf(out, size, "%s/%s" HS_PLUGIN_FILE, dir, rel[i]);
        if (w > 0 && (size_t)w < size && exists(out))
            return 0;
        w = snprintf(tried + used, tried_size - used, "%s%s", used ? ", " : "", out);
        if (w > 0 && (size_t)w < tried_size - used)
            used += (size_t)w;
    }
    return -1;
}

int hs_plugin_load(hs_plugin *hp, const char *explicit_path, int num_threads, uint64_t vram_budget, int verbose,
                   char *err, size_t err_size)
{
    memset(hp, 0, sizeof *hp);
    const char *env = getenv("LTX2_PLUGIN");
    if (explicit_path && *explicit_path)
        snprintf(hp->path, sizeof hp->path, "%s", explicit_path);
    else if (env && *env)
        snprintf(hp->path, sizeof hp->path, "%s", env);
    else {
        char tried[2048] = "";
        if (default_path(hp->path, sizeof hp->path, tried, sizeof tried)) {
            snprintf(err, err_size, "cannot find the plugin (tried %s); pass --plugin PATH, set LTX2_PLUGIN to the "
                     "file or LTX2_PLUGIN_PATH to its folder", tried);
            return -1;
        }
    }
    hp->dl = dlopen(hp->path, RTLD_NOW | RTLD_LOCAL);
    if (!hp->dl) {
        snprintf(err, err_size, "cannot load plugin %s: %s", hp->path, dlerror());
        return -1;
    }
    ltx2_plugin_entry_fn entry;
    /* dlsym returns void*; the memcpy avoids the ISO C object/function pointer cast warning */
    void *sym = dlsym(hp->dl, LTX2_ENTRY_SYMBOL);
    if (!sym) {
        snprintf(err, err_size, "plugin %s has no %s symbol: not an LTX-2 node plugin", hp->path, LTX2_ENTRY_SYMBOL);
        dlclose(hp->dl);
        hp->dl = NULL;
        return -1;
    }
    memcpy(&entry, &sym, sizeof entry);
    /* the plugin keeps a copy of the API, so host_data must outlive it: point
     * it at a constant */
    static const int quiet = 0, loud = 1;
    ltx2_host_api api = {
        .struct_size = sizeof(ltx2_host_api),
        .abi_major = LTX2_ABI_MAJOR,
        .abi_minor = LTX2_ABI_MINOR,
        .host_name = "host-sim",
        .host_version = HS_VERSION,
        .num_threads = num_threads,
        .host_data = (void *)(verbose ? &loud : &quiet),
        .log = host_log,
        .vram_budget = vram_budget,
    };
    char perr[512] = "";
    ltx2_status st = entry(&api, &hp->p, perr, sizeof perr);
    if (st != LTX2_OK || !hp->p) {
        snprintf(err, err_size, "plugin %s refused to load (status %d): %s", hp->path, (int)st,
                 perr[0] ? perr : "no reason given");
        hp->p = NULL;
        dlclose(hp->dl);
        hp->dl = NULL;
        return -1;
    }
    if (hp->p->struct_size < offsetof(ltx2_plugin, value_release) + sizeof hp->p->value_release ||
        hp->p->abi_major != LTX2_ABI_MAJOR) {
        snprintf(err, err_size, "plugin %s speaks ABI %u.%u (struct size %u); host-sim needs %u.x", hp->path,
                 hp->p->abi_major, hp->p->abi_minor, hp->p->struct_size, LTX2_ABI_MAJOR);
        if (hp->p->unload && hp->p->struct_size > offsetof(ltx2_plugin, unload))
            hp->p->unload(hp->p);
        hp->p = NULL;
        dlclose(hp->dl);
        hp->dl = NULL;
        return -1;
    }
    return 0;
}

void hs_plugin_unload(hs_plugin *hp)
{
    if (hp->p)
        hp->p->unload(hp->p);
    hp->p = NULL;
    if (hp->dl)
        dlclose(hp->dl);
    hp->dl = NULL;
}
