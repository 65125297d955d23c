/* checkpoint.c — a checkpoint: one .safetensors file, the shards named by a
 * *.safetensors.index.json, or a folder holding either. Tensors are looked up by name
 * across shards; the `config` metadata is parsed once with json-c. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "regular_file.h"
#include "store_file.h"

struct ltx2_checkpoint {
    atomic_int refs;
    char *path;
    size_t n_files;
    st_file **files;
    size_t n;
    const ltx2_st_tensor **t; /* sorted by name, pointing into the files' entries */
    struct json_object *config;
    char *meta_json;
};

static void ckpt_destroy(ltx2_checkpoint *c)
{
    for (size_t i = 0; i < c->n_files; i++)
        st_file_release(c->files[i]);
    free(c->files);
    free(c->t);
    json_object_put(c->config);
    free(c->meta_json);
    free(c->path);
    free(c);
}

void ltx2_checkpoint_retain(ltx2_checkpoint *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
}

void ltx2_checkpoint_release(ltx2_checkpoint *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        ckpt_destroy(c);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", name);
    return p;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const ltx2_st_tensor *)a)->name, ((const ltx2_st_tensor *)b)->name);
}

static int cmp_tensor_ptr(const void *a, const void *b)
{
    const ltx2_st_tensor *x = *(const ltx2_st_tensor *const *)a;
    const ltx2_st_tensor *y = *(const ltx2_st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

/* Merges the files' entries into one sorted table and parses the metadata. */
static ltx2_status ckpt_index(ltx2_checkpoint *c, ltx2_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < c->n_files; i++)
        total += c->files[i]->parsed.n;
    c->t = calloc(total ? total : 1, sizeof *c->t);
    if (!c->t)
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", c->path);
    for (size_t i = 0; i < c->n_files; i++)
        for (size_t j = 0; j < c->files[i]->parsed.n; j++)
            c->t[c->n++] = &c->files[i]->parsed.t[j];
    qsort(c->t, c->n, sizeof *c->t, cmp_tensor_ptr);
    for (size_t i = 1; i < c->n; i++)
        if (strcmp(c->t[i - 1]->name, c->t[i]->name) == 0)
            return ltx2_err(err, LTX2_ERR_IO, "%s: tensor '%s' appears in two shards", c->path,
                            c->t[i]->name);

    struct json_object *meta = json_object_new_object();
    if (!meta)
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", c->path);
    for (size_t i = 0; i < c->n_files; i++) {
        const st_parsed *p = &c->files[i]->parsed;
        for (size_t j = 0; j < p->n_meta; j++)
            if (!json_object_object_get_ex(meta, p->meta[j].key, NULL))
                json_object_object_add(meta, p->meta[j].key,
                                       json_object_new_string(p->meta[j].value));
    }
    c->meta_json = strdup(json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN));
    json_object_put(meta);
    if (!c->meta_json)
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", c->path);

    const char *cfg = ltx2_checkpoint_meta(c, "config");
    if (cfg) {
        enum json_tokener_error jerr;
        c->config = json_tokener_parse_verbose(cfg, &jerr);
        if (!c->config && jerr == json_tokener_success) /* json-c 0.16: OOM sets no error */
            return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory parsing the `config` metadata",
                            c->path);
        if (!c->config)
            return ltx2_err(err, LTX2_ERR_IO, "%s: the `config` metadata is not valid JSON (%s)",
                            c->path, json_tokener_error_desc(jerr));
    }
    return LTX2_OK;
}

static ltx2_status add_file(ltx2_store *s, ltx2_checkpoint *c, const char *path, size_t cap,
                            ltx2_error *err)
{
    if (!c->files && !(c->files = calloc(cap, sizeof *c->files)))
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", path);
    ltx2_status st = st_file_open(s, path, &c->files[c->n_files], err);
    if (st == LTX2_OK)
        c->n_files++;
    return st;
}

/* Largest index file read (real ones are well under 1 MB). */
#define INDEX_MAX_BYTES ((size_t)64 << 20)

/* Reads the index file whole: a regular file of at most INDEX_MAX_BYTES. */
static char *read_text(const char *path, ltx2_error *err)
{
    char msg[256];
    size_t len = 0;
    char *text = ltx2_read_regular(path, INDEX_MAX_BYTES, &len, msg, sizeof msg);
    if (!text)
        ltx2_err(err, LTX2_ERR_IO, "%s: %s", path, msg);
    return text;
}

/* The entry of a parsed file named `name` (entries are sorted by name), or NULL. */
static const ltx2_st_tensor *parsed_find(const st_parsed *p, const char *name)
{
    ltx2_st_tensor key = {.name = name};
    return bsearch(&key, p->t, p->n, sizeof *p->t, cmp_tensor_name);
}

static ltx2_status open_index(ltx2_store *s, ltx2_checkpoint *c, const char *path, ltx2_error *err)
{
    char *text = read_text(path, err);
    if (!text)
        return err ? err->code : LTX2_ERR_IO;
    if (ltx2_is_lfs_pointer((const uint8_t *)text, strlen(text))) {
        free(text);
        return ltx2_err(err, LTX2_ERR_IO, "%s: is a Git-LFS pointer, not the index: run git lfs pull",
                        path);
    }
    enum json_tokener_error jerr;
    struct json_object *root = json_tokener_parse_verbose(text, &jerr);
    free(text);
    struct json_object *wm = NULL;
    if (!root && jerr == json_tokener_success) /* json-c 0.16: OOM sets no error */
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory parsing the index", path);
    if (!root)
        return ltx2_err(err, LTX2_ERR_IO, "%s: index is not valid JSON (%s)", path,
                        json_tokener_error_desc(jerr));
    if (!json_object_object_get_ex(root, "weight_map", &wm) ||
        !json_object_is_type(wm, json_type_object)) {
        json_object_put(root);
        return ltx2_err(err, LTX2_ERR_IO, "%s: index has no weight_map object", path);
    }
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        slash[1] = 0;
    else if (dir)
        strcpy(dir, "./");
    size_t cap = (size_t)json_object_object_length(wm) + 1;
    ltx2_status st = dir ? LTX2_OK : ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", path);
    /* Shards in first-mention order; every mapped name must be in its shard. */
    const char **shard_names = calloc(cap, sizeof *shard_names);
    if (st == LTX2_OK && !shard_names)
        st = ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", path);
    json_object_object_foreach(wm, tname, shard)
    {
        if (st != LTX2_OK)
            break;
        const char *sn = json_object_is_type(shard, json_type_string) ? json_object_get_string(shard) : NULL;
        if (!sn || !sn[0] || sn[0] == '/' || strstr(sn, "..")) {
            st = ltx2_err(err, LTX2_ERR_IO, "%s: weight_map entry '%s' is not a shard file name",
                          path, tname);
            break;
        }
        size_t k = 0;
        while (k < c->n_files && strcmp(shard_names[k], sn) != 0)
            k++;
        if (k == c->n_files) {
            char *sp = join_path(dir, sn);
            st = sp ? add_file(s, c, sp, cap, err) : ltx2_err(err, LTX2_ERR_OOM, "out of memory");
            free(sp);
            if (st != LTX2_OK) {
                ltx2_err_prefix(err, "%s: shard", path);
                break;
            }
            shard_names[k] = sn;
        }
        if (!parsed_find(&c->files[k]->parsed, tname))
            st = ltx2_err(err, LTX2_ERR_IO, "%s: tensor '%s' is mapped to %s but that shard lacks it",
                          path, tname, sn);
    }
    if (st == LTX2_OK && c->n_files == 0)
        st = ltx2_err(err, LTX2_ERR_IO, "%s: index weight_map is empty", path);
    free(shard_names);
    free(dir);
    json_object_put(root);
    return st;
}

/* Chooses the checkpoint inside a folder; *out is malloc'd. */
static ltx2_status resolve_folder(const char *dir, char **out, ltx2_error *err)
{
    static const char *const preferred[] = {"model.safetensors.index.json", "model.safetensors"};
    for (size_t i = 0; i < 2; i++) {
        char *p = join_path(dir, preferred[i]);
        struct stat sb;
        if (p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            *out = p;
            return LTX2_OK;
        }
        free(p);
    }
    DIR *d = opendir(dir);
    if (!d)
        return ltx2_err(err, LTX2_ERR_IO, "%s: cannot read folder: %s", dir, strerror(errno));
    char *index = NULL, *single = NULL;
    int n_index = 0, n_single = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (ends_with(e->d_name, ".safetensors.index.json") && n_index++ == 0)
            index = join_path(dir, e->d_name);
        else if (ends_with(e->d_name, ".safetensors") && n_single++ == 0)
            single = join_path(dir, e->d_name);
    }
    closedir(d);
    ltx2_status st = LTX2_OK;
    if (n_index == 1 && index) {
        *out = index;
        index = NULL;
    } else if (n_index == 0 && n_single == 1 && single) {
        *out = single;
        single = NULL;
    } else if (n_index + n_single == 0) {
        st = ltx2_err(err, LTX2_ERR_IO, "%s: folder holds no .safetensors file", dir);
    } else if (n_index > 1) {
        st = ltx2_err(err, LTX2_ERR_IO, "%s: folder holds several *.safetensors.index.json files", dir);
    } else if (n_index == 0 && n_single > 1) {
        st = ltx2_err(err, LTX2_ERR_IO,
                      "%s: folder holds several .safetensors files and no index: name one", dir);
    } else {
        st = ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", dir);
    }
    free(index);
    free(single);
    return st;
}

ltx2_status ltx2_checkpoint_open(ltx2_store *s, const char *path, ltx2_checkpoint **out,
                                 ltx2_error *err)
{
    *out = NULL;
    if (!s || !path || !path[0])
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "no checkpoint path given");
    struct stat sb;
    char *resolved = NULL;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        ltx2_status st = resolve_folder(path, &resolved, err);
        if (st != LTX2_OK)
            return st;
    } else if (!(resolved = strdup(path))) {
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    ltx2_checkpoint *c = calloc(1, sizeof *c);
    if (!c) {
        free(resolved);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    atomic_init(&c->refs, 1);
    c->path = resolved;
    ltx2_status st = ends_with(resolved, ".json") ? open_index(s, c, resolved, err)
                                                  : add_file(s, c, resolved, 1, err);
    if (st == LTX2_OK)
        st = ckpt_index(c, err);
    if (st != LTX2_OK) {
        ckpt_destroy(c);
        return st;
    }
    *out = c;
    return LTX2_OK;
}

const char *ltx2_checkpoint_path(const ltx2_checkpoint *c) { return c->path; }
size_t ltx2_checkpoint_count(const ltx2_checkpoint *c) { return c->n; }

const ltx2_st_tensor *ltx2_checkpoint_at(const ltx2_checkpoint *c, size_t i)
{
    return i < c->n ? c->t[i] : NULL;
}

const ltx2_st_tensor *ltx2_checkpoint_find(const ltx2_checkpoint *c, const char *name)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->t[mid]->name, name);
        if (r == 0)
            return c->t[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool ltx2_checkpoint_has_prefix(const ltx2_checkpoint *c, const char *prefix)
{
    /* Names are sorted: the first name >= prefix starts with it if any does. */
    size_t lo = 0, hi = c->n, lp = strlen(prefix);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->t[mid]->name, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && strncmp(c->t[lo]->name, prefix, lp) == 0;
}

const ltx2_st_tensor *ltx2_checkpoint_findf(const ltx2_checkpoint *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof buf)
        return ltx2_checkpoint_find(c, buf);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    const ltx2_st_tensor *t = ltx2_checkpoint_find(c, big);
    free(big);
    return t;
}

const char *ltx2_checkpoint_meta(const ltx2_checkpoint *c, const char *key)
{
    for (size_t i = 0; i < c->n_files; i++) {
        const st_parsed *p = &c->files[i]->parsed;
        for (size_t j = 0; j < p->n_meta; j++)
            if (strcmp(p->meta[j].key, key) == 0)
                return p->meta[j].value;
    }
    return NULL;
}

const char *ltx2_checkpoint_meta_json(const ltx2_checkpoint *c) { return c->meta_json; }

struct json_object *ltx2_checkpoint_config(const ltx2_checkpoint *c) { return c->config; }

static void ckpt_retain_fn(void *p) { ltx2_checkpoint_retain(p); }
static void ckpt_release_fn(void *p) { ltx2_checkpoint_release(p); }

ltx2_tensor *ltx2_checkpoint_tensor(ltx2_checkpoint *c, const char *name)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_find(c, name);
    if (!t)
        return NULL;
    /* The mapping is read-only; inputs are immutable by contract. */
    return ltx2_tensor_wrap(t->dtype, t->ndim, t->shape, (void *)t->data, c, ckpt_retain_fn,
                            ckpt_release_fn);
}

const void *ltx2_checkpoint_mapping(const ltx2_checkpoint *c, size_t shard, size_t *size)
{
    if (shard >= c->n_files)
        return NULL;
    if (size)
        *size = c->files[shard]->size;
    return c->files[shard]->map;
}
