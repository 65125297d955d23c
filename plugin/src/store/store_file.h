/* store_file.h — one mapped, validated safetensors file, shared through the store
 * by (device, inode) and refcounted by the checkpoints that use it. */
#ifndef LTX2_STORE_FILE_H
#define LTX2_STORE_FILE_H
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>
#include "store_internal.h"

typedef struct st_file {
    atomic_int refs;
    ltx2_store *store; /* holds a store reference while the file lives */
    struct st_file *next;
    dev_t dev;
    ino_t ino;
    struct timespec mtime; /* when mapped: a later change means a new mapping */
    char *path;
    uint8_t *map;
    size_t size;
    st_parsed parsed;
} st_file;

/* Opens (or shares) the mapping of one .safetensors file. Errors name the path. */
ltx2_status st_file_open(ltx2_store *s, const char *path, st_file **out, ltx2_error *err);
void st_file_release(st_file *f); /* NULL-safe */

#endif
