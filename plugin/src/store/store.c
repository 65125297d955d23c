/* store.c — the store of one plugin instance: mapped safetensors files shared by
 * (device, inode), each validated once; checkpoints are views over one or more of
 * them (a single file or the shards of an index). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "regular_file.h"
#include "store_file.h"

struct ltx2_store {
    pthread_mutex_t lock;
    int refs;          /* the owner's reference + one per live mapped file (under lock) */
    st_file *files;    /* live mapped files (weak: removed when their last ref goes) */
};

ltx2_store *ltx2_store_new(void)
{
    ltx2_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->refs = 1;
    return s;
}

/* Drops one store reference; the caller holds s->lock, which this releases. */
static void store_unref_locked(ltx2_store *s)
{
    int left = --s->refs;
    pthread_mutex_unlock(&s->lock);
    if (left == 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
    }
}

void ltx2_store_free(ltx2_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    store_unref_locked(s);
}

static void file_destroy(st_file *f)
{
    st_parsed_free(&f->parsed);
    if (f->map && f->map != MAP_FAILED)
        munmap(f->map, f->size);
    free(f->path);
    free(f);
}

void st_file_release(st_file *f)
{
    if (!f)
        return;
    ltx2_store *s = f->store;
    if (!s) {
        if (atomic_fetch_sub(&f->refs, 1) == 1)
            file_destroy(f);
        return;
    }
    /* Under the store lock so a concurrent open cannot revive a dying file. */
    pthread_mutex_lock(&s->lock);
    if (atomic_fetch_sub(&f->refs, 1) != 1) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    for (st_file **pp = &s->files; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    store_unref_locked(s);
    file_destroy(f);
}

/* Maps and validates a file that is not in the store yet. */
static ltx2_status file_load(const char *path, int fd, const struct stat *sb, st_file **out,
                             ltx2_error *err)
{
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of memory", path);
    }
    atomic_init(&f->refs, 1);
    f->dev = sb->st_dev;
    f->ino = sb->st_ino;
    f->size = (size_t)sb->st_size;
    f->mtime = sb->st_mtim;
    if (f->size > 0) {
        f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (f->map == MAP_FAILED) {
            int e = errno;
            f->map = NULL;
            file_destroy(f);
            return ltx2_err(err, LTX2_ERR_IO, "%s: cannot map: %s", path, strerror(e));
        }
    }
    ltx2_status st = st_parse(f->map, f->size, &f->parsed, err);
    if (st != LTX2_OK) {
        file_destroy(f);
        return ltx2_err_prefix(err, "%s", path);
    }
    *out = f;
    return LTX2_OK;
}

ltx2_status st_file_open(ltx2_store *s, const char *path, st_file **out, ltx2_error *err)
{
    struct stat sb;
    char msg[256];
    int fd = ltx2_open_regular(path, 0, &sb, msg, sizeof msg);
    if (fd < 0)
        return ltx2_err(err, LTX2_ERR_IO, "%s: %s", path, msg);
    pthread_mutex_lock(&s->lock);
    for (st_file *f = s->files; f; f = f->next) {
        /* A file rewritten in place since it was mapped is mapped afresh (the old
         * mapping may be cut short under its readers: see docs/HOST-SIM.md). */
        if (f->dev == sb.st_dev && f->ino == sb.st_ino && f->size == (size_t)sb.st_size &&
            f->mtime.tv_sec == sb.st_mtim.tv_sec && f->mtime.tv_nsec == sb.st_mtim.tv_nsec) {
            atomic_fetch_add(&f->refs, 1);
            pthread_mutex_unlock(&s->lock);
            close(fd);
            *out = f;
            return LTX2_OK;
        }
    }
    /* Loading under the lock keeps one mapping per file even when two threads open
     * it at once; validation is cheap next to what the caller does with weights. */
    st_file *f = NULL;
    ltx2_status st = file_load(path, fd, &sb, &f, err);
    close(fd);
    if (st == LTX2_OK) {
        f->store = s;
        s->refs++;
        f->next = s->files;
        s->files = f;
        *out = f;
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}
