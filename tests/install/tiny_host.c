/* tiny_host.c — the smallest host: compiled against the installed public header
 * (found through pkg-config), it loads the installed plugin and lists its nodes. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <ltx2/ltx2_plugin.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tiny_host PLUGIN.so\n");
        return 2;
    }
    void *dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    void *sym = dlsym(dl, LTX2_ENTRY_SYMBOL);
    ltx2_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    ltx2_host_api api = {.struct_size = sizeof api, .abi_major = LTX2_ABI_MAJOR, .abi_minor = LTX2_ABI_MINOR,
                         .host_name = "tiny_host", .host_version = "1"};
    ltx2_plugin *p = NULL;
    char err[256] = "";
    if (!sym || entry(&api, &p, err, sizeof err) != LTX2_OK || !p) {
        fprintf(stderr, "entry refused: %s\n", err);
        dlclose(dl);
        return 1;
    }
    for (uint32_t i = 0; i < p->n_node_types; i++)
        printf("%s\n", p->node_types[i]->class_type);
    p->unload(p);
    dlclose(dl);
    return 0;
}
