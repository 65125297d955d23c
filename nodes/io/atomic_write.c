/* atomic_write.c — files appear whole or not at all: data goes to a temp file in
 * the target folder (same file system, so rename is atomic), is fsynced, then renamed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_internal.h"

ltx2_status io_mkdirs_for(const char *path, ltx2_error *err)
{
    char *p = strdup(path);
    if (!p)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    char *slash = strrchr(p, '/');
    if (!slash || slash == p) {
        free(p);
        return LTX2_OK;
    }
    *slash = 0;
    for (char *q = p + 1; ; q++) {
        if (*q == '/' || *q == 0) {
            char c = *q;
            *q = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                ltx2_status st = ltx2_err(err, LTX2_ERR_IO, "cannot create folder %s: %s", p, strerror(e));
                free(p);
                return st;
            }
            *q = c;
            if (c == 0)
                break;
        }
    }
    struct stat sb;
    ltx2_status st = LTX2_OK;
    if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
        st = ltx2_err(err, LTX2_ERR_IO, "%s is not a folder", p);
    free(p);
    return st;
}

ltx2_status io_tmp_open(io_tmp *t, const char *final_path, ltx2_error *err)
{
    memset(t, 0, sizeof *t);
    if (!final_path[0])
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "empty file name");
    ltx2_status st = io_mkdirs_for(final_path, err);
    if (st != LTX2_OK)
        return st;
    size_t n = strlen(final_path);
    t->final_path = strdup(final_path);
    t->tmp_path = malloc(n + 16);
    if (!t->final_path || !t->tmp_path) {
        io_tmp_discard(t, 0);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    /* Hidden-ish temp name beside the target, unique per call. */
    snprintf(t->tmp_path, n + 16, "%s.tmp-XXXXXX", final_path);
    int fd = mkstemp(t->tmp_path);
    if (fd < 0) {
        int e = errno;
        free(t->tmp_path);
        t->tmp_path = NULL;
        io_tmp_discard(t, 0);
        return ltx2_err(err, LTX2_ERR_IO, "cannot create %s: %s", final_path, strerror(e));
    }
    fchmod(fd, 0644);
    t->f = fdopen(fd, "wb");
    if (!t->f) {
        close(fd);
        io_tmp_discard(t, 0);
        return ltx2_err(err, LTX2_ERR_IO, "cannot open a temp file for %s", final_path);
    }
    return LTX2_OK;
}

ltx2_status io_tmp_finish(io_tmp *t, ltx2_error *err)
{
    if (!t->f)
        return LTX2_OK;
    int bad = fflush(t->f) != 0 || ferror(t->f) || fsync(fileno(t->f)) != 0;
    int e = errno;
    bad |= fclose(t->f) != 0;
    t->f = NULL;
    if (bad)
        return ltx2_err(err, LTX2_ERR_IO, "cannot write %s: %s", t->final_path, strerror(e));
    return LTX2_OK;
}

/* Makes the rename itself durable. */
static void fsync_parent(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return;
    char *slash = strrchr(p, '/');
    const char *dir = ".";
    if (slash) {
        *slash = 0;
        dir = slash == p ? "/" : p;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(p);
}

ltx2_status io_tmp_rename(io_tmp *t, ltx2_error *err)
{
    if (rename(t->tmp_path, t->final_path) != 0)
        return ltx2_err(err, LTX2_ERR_IO, "cannot rename into %s: %s", t->final_path, strerror(errno));
    t->renamed = 1;
    free(t->tmp_path);
    t->tmp_path = NULL;
    fsync_parent(t->final_path);
    return LTX2_OK;
}

void io_tmp_discard(io_tmp *t, int undo_rename)
{
    if (t->f)
        fclose(t->f);
    if (t->tmp_path)
        unlink(t->tmp_path);
    if (undo_rename && t->renamed && t->final_path)
        unlink(t->final_path);
    free(t->tmp_path);
    free(t->final_path);
    memset(t, 0, sizeof *t);
}

ltx2_status io_tmp_commit(io_tmp *t, ltx2_error *err)
{
    ltx2_status st = io_tmp_finish(t, err);
    if (st == LTX2_OK)
        st = io_tmp_rename(t, err);
    io_tmp_discard(t, 0);
    return st;
}

ltx2_status io_tmp_close(io_tmp *t, ltx2_status st, ltx2_error *err)
{
    if (st == LTX2_OK)
        return io_tmp_commit(t, err);
    io_tmp_discard(t, 0);
    return st;
}

ltx2_status io_tmp_commit_all(io_tmp *t, size_t n, ltx2_error *err)
{
    ltx2_status st = LTX2_OK;
    for (size_t i = 0; i < n && st == LTX2_OK; i++)
        st = io_tmp_finish(&t[i], err);
    for (size_t i = 0; i < n && st == LTX2_OK; i++)
        st = io_tmp_rename(&t[i], err);
    for (size_t i = 0; i < n; i++)
        io_tmp_discard(&t[i], st != LTX2_OK);
    return st;
}
