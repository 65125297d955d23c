/* kcuda_loader.c — reaches the CUDA backend module (libltx2cuda.so) through one function
 * table filled by dlopen/dlsym on the first device request, so ltx2_kernels and the
 * plugin never link NVIDIA's libraries. Every kcuda_* symbol here forwards to the
 * module's function of the same name; the list is kernels/cuda/kcuda_api.h.
 *
 * Where the module is looked for, first hit wins:
 *   1. $LTX2_CUDA_MODULE (a path; "" or a missing file means "no backend")
 *   2. libltx2cuda.so in the folder of the binary holding this code (the plugin's
 *      folder once installed), then ../lib beside it (build/bin tests, build/lib module)
 *   3. libltx2cuda.so on the dynamic loader's path
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/kcuda_api.h"

#define KCUDA_MODULE_NAME "libltx2cuda.so"

typedef struct kcuda_table {
#define KT_FIELD(ret, name, params, args) ret(*name) params;
#define KT_VFIELD(name, params, args) void(*name) params;
    KCUDA_API_ENTRY(KT_FIELD, KT_VFIELD)
    KCUDA_API(KT_FIELD, KT_VFIELD)
#undef KT_FIELD
#undef KT_VFIELD
} kcuda_table;

/* The process-wide load result: written once under pthread_once, read-only after. A
 * module cannot be loaded per plugin instance (the CUDA runtime is per process). */
static struct {
    pthread_once_t once;
    int loaded;
    kcuda_table t;
    char why[384]; /* why the module is not loaded */
} g_module = {.once = PTHREAD_ONCE_INIT};

static void *open_module(char *why, size_t why_len)
{
    const char *env = getenv("LTX2_CUDA_MODULE");
    if (env) {
        void *h = env[0] ? dlopen(env, RTLD_NOW | RTLD_LOCAL) : NULL;
        if (!h)
            snprintf(why, why_len, "module %s not loadable: %s", env[0] ? env : "(LTX2_CUDA_MODULE is empty)",
                     env[0] ? dlerror() : "disabled");
        return h;
    }
    Dl_info info;
    if (dladdr((void *)open_module, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        int dir_len = slash ? (int)(slash - info.dli_fname) : 0;
        static const char *const rel[] = {"/" KCUDA_MODULE_NAME, "/../lib/" KCUDA_MODULE_NAME};
        for (size_t i = 0; slash && i < sizeof rel / sizeof rel[0]; i++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%.*s%s", dir_len, info.dli_fname, rel[i]);
            void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (h)
                return h;
        }
    }
    void *h = dlopen(KCUDA_MODULE_NAME, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        snprintf(why, why_len, "module %s not loadable: %s", KCUDA_MODULE_NAME, dlerror());
    return h;
}

static void load_module(void)
{
    void *h = open_module(g_module.why, sizeof g_module.why);
    if (!h)
        return;
    kcuda_table t;
    const char *missing = NULL;
#define KT_SYM(ret, name, params, args)              \
    if (!missing && !(*(void **)&t.name = dlsym(h, #name))) \
        missing = #name;
#define KT_VSYM(name, params, args) KT_SYM(void, name, params, args)
    KCUDA_API_ENTRY(KT_SYM, KT_VSYM)
    KCUDA_API(KT_SYM, KT_VSYM)
#undef KT_SYM
#undef KT_VSYM
    if (missing) {
        snprintf(g_module.why, sizeof g_module.why, "module lacks %s (built from another version?)", missing);
        dlclose(h);
        return;
    }
    g_module.t = t;
    g_module.loaded = 1; /* the handle stays open for the process: CUDA does not unload */
}

static const kcuda_table *module(void)
{
    pthread_once(&g_module.once, load_module);
    return g_module.loaded ? &g_module.t : NULL;
}

int kcuda_available(char *why, size_t why_len)
{
    const kcuda_table *t = module();
    int n = t ? t->kcuda_device_count() : 0;
    if (n == 0 && why && why_len)
        snprintf(why, why_len, "%s", t ? "no CUDA device (no NVIDIA driver, or no GPU visible)" : g_module.why);
    return n;
}

int kcuda_device_count(void) { return kcuda_available(NULL, 0); }

kstatus kcuda_create(int ordinal, size_t budget_bytes, kcuda **out, char *why, size_t why_len)
{
    *out = NULL;
    char reason[384];
    if (!module() || !kcuda_available(reason, sizeof reason)) {
        if (why && why_len)
            snprintf(why, why_len, "CUDA backend not available: %s", module() ? reason : g_module.why);
        return KS_UNSUPPORTED;
    }
    return g_module.t.kcuda_create(ordinal, budget_bytes, out, why, why_len);
}

/* The rest need a kcuda, which only a loaded module makes. */
#define KT_FORWARD(ret, name, params, args) \
    ret name params { return g_module.t.name args; }
#define KT_VFORWARD(name, params, args) \
    void name params                          \
    {                                         \
        if (g_module.loaded)                  \
            g_module.t.name args;             \
    }
KCUDA_API(KT_FORWARD, KT_VFORWARD)
#undef KT_FORWARD
#undef KT_VFORWARD
