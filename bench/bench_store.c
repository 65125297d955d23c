/* bench_store.c — a safetensors file of 100,000 one-element tensors (a 7 MB header,
 * well inside the 100 MB header limit) loaded as LoadTensors does: checkpoint open
 * (parse, duplicate-key check, sorted index) and every tensor set into one TENSORS
 * object. The row watches for a return of quadratic containers (per-insert list
 * searches took 13 s here; with hashing and sorting it is about 1 s on a shared
 * 2-core machine, mostly json-c and malloc). No FLOPs: the row reports time only. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "object.h"
#include "store/store.h"

#define N_ENTRIES 100000

typedef struct store_arg {
    const char *path;
    int ok;
} store_arg;

static void load_all(void *v)
{
    store_arg *a = v;
    ltx2_store *s = ltx2_store_new();
    ltx2_checkpoint *c = NULL;
    ltx2_error err;
    ltx2_object *o = ltx2_object_new("TENSORS");
    a->ok = s && o && ltx2_checkpoint_open(s, a->path, &c, &err) == LTX2_OK;
    for (size_t i = 0; a->ok && i < ltx2_checkpoint_count(c); i++) {
        const char *name = ltx2_checkpoint_at(c, i)->name;
        ltx2_tensor *t = ltx2_checkpoint_tensor(c, name);
        a->ok = t && ltx2_object_set_tensor(o, name, t) == LTX2_OK;
        ltx2_tensor_release(t);
    }
    ltx2_object_release(o);
    ltx2_checkpoint_release(c);
    ltx2_store_free(s);
}

/* Writes the file; 0 on success. */
static int write_file(const char *path)
{
    size_t cap = (size_t)N_ENTRIES * 80 + 16, n = 0;
    char *h = malloc(cap);
    FILE *f = fopen(path, "wb");
    if (!h || !f) {
        free(h);
        if (f)
            fclose(f);
        return -1;
    }
    n += (size_t)snprintf(h + n, cap - n, "{");
    for (int i = 0; i < N_ENTRIES; i++)
        n += (size_t)snprintf(h + n, cap - n, "%s\"t.%06d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}",
                              i ? "," : "", i, 4 * i, 4 * i + 4);
    n += (size_t)snprintf(h + n, cap - n, "}");
    while (n % 8)
        h[n++] = ' ';
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)((uint64_t)n >> (8 * i));
    float *data = calloc(N_ENTRIES, sizeof *data);
    int ok = data && fwrite(le, 1, 8, f) == 8 && fwrite(h, 1, n, f) == n &&
             fwrite(data, sizeof *data, N_ENTRIES, f) == N_ENTRIES;
    ok = fclose(f) == 0 && ok;
    free(data);
    free(h);
    return ok ? 0 : -1;
}

void bench_store(bench *b)
{
    if (!bench_selected(b, "store_load_100k"))
        return;
    char path[] = "/tmp/ltx2-bench-storeXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        bench_row(b, "store_load_100k", "LoadTensors, 100k entries", 0, 0, "cannot create a temp file");
        return;
    }
    close(fd);
    store_arg a = {.path = path};
    double s = write_file(path) == 0 ? bench_time(load_all, &a, 3, 10.0) : 0;
    bench_row(b, "store_load_100k", "LoadTensors, 100k entries (open + object)", 0, a.ok ? s : 0,
              a.ok ? "time only (no FLOPs)" : "load failed");
    unlink(path);
}
