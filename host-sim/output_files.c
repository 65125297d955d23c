/* output_files.c — finding what an output node wrote, without the plugin's help:
 * its file inputs name the file or the prefix. */
#include "output_files.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void add_file(json_object *list, const char *dir, const char *name, const char *output_dir)
{
    const char *sub = dir;
    size_t ol = output_dir ? strlen(output_dir) : 0;
    if (ol && !strncmp(dir, output_dir, ol) && (dir[ol] == 0 || dir[ol] == '/'))
        sub = dir[ol] ? dir + ol + 1 : "";
    json_object *f = json_object_new_object();
    json_object_object_add(f, "filename", json_object_new_string(name));
    json_object_object_add(f, "subfolder", json_object_new_string(sub));
    json_object_object_add(f, "type", json_object_new_string("output"));
    json_object_array_add(list, f);
}

static void split(const char *path, char *dir, size_t size, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, size, ".");
        *base = path;
        return;
    }
    snprintf(dir, size, "%.*s", (int)(slash - path), path);
    if (!dir[0])
        snprintf(dir, size, "/");
    *base = slash + 1;
}

static void files_with_prefix(json_object *list, const char *prefix, const char *output_dir, long long since_ms)
{
    char dir[4096];
    const char *base;
    split(prefix, dir, sizeof dir, &base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t bl = strlen(base);
    for (struct dirent *e; (e = readdir(d));) {
        char path[8300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        /* file time stamps are coarser than the clock: allow a few ms */
        if (strncmp(e->d_name, base, bl) || stat(path, &st) || !S_ISREG(st.st_mode) ||
            (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 < since_ms - 20)
            continue;
        add_file(list, dir, e->d_name, output_dir);
    }
    closedir(d);
}

json_object *hs_output_ui(const hs_node *n, const char *output_dir, long long since_ms)
{
    const ltx2_node_type *t = n->type;
    const char *key = "x_ltx_files";
    int video = 0;
    for (uint32_t i = 0; i < t->n_inputs; i++) {
        const char *ty = t->inputs[i].type;
        if (!strcmp(ty, "IMAGE") || !strcmp(ty, "VIDEO"))
            key = "images";
        else if (!strcmp(ty, "AUDIO") && strcmp(key, "images"))
            key = "audio";
        video |= !strcmp(ty, "VIDEO");
    }
    json_object *list = json_object_new_array();
    for (uint32_t i = 0; i < t->n_inputs; i++) {
        const hs_bound *b = &n->ports[i];
        if (b->kind != HS_IN_LITERAL || b->value.kind != LTX2_V_STRING || !b->value.u.s)
            continue;
        struct stat st;
        const char *name = t->inputs[i].name;
        if (!strcmp(name, "path") && !stat(b->value.u.s, &st) && S_ISREG(st.st_mode)) {
            char dir[4096];
            const char *base;
            split(b->value.u.s, dir, sizeof dir, &base);
            add_file(list, dir, base, output_dir);
        } else if (!strcmp(name, "filename_prefix")) {
            files_with_prefix(list, b->value.u.s, output_dir, since_ms);
        }
    }
    json_object *ui = json_object_new_object();
    json_object_object_add(ui, key, list);
    if (video) {
        json_object *a = json_object_new_array();
        json_object_array_add(a, json_object_new_boolean(1));
        json_object_object_add(ui, "animated", a);
    }
    return ui;
}
