/* atomic_write.c — files appear whole or not at all: data goes to a temp file in
 * the target folder (same file system, so rename is atomic), is fsynced, then renamed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include "io_internal.h"
#include "store/regular_file.h"

ltx2_status io_mkdirs_for(const char *path, char **created, ltx2_error *err)
{
    if (created)
        *created = NULL;
    char *p = strdup(path);
    if (!p)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    char *slash = strrchr(p, '/');
    if (!slash || slash == p) {
        free(p);
        return LTX2_OK;
    }
    *slash = 0;
    ltx2_status st = LTX2_OK;
    for (char *q = p + 1; ; q++) {
        if (*q == '/' || *q == 0) {
            char c = *q;
            *q = 0;
            if (mkdir(p, 0777) == 0) {
                if (created && !*created && !(*created = strdup(p)))
                    st = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
            } else if (errno != EEXIST) {
                st = ltx2_err(err, LTX2_ERR_IO, "cannot create folder %s: %s", p, strerror(errno));
            }
            *q = c;
            if (c == 0 || st != LTX2_OK)
                break;
        }
    }
    struct stat sb;
    if (st == LTX2_OK && (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = ltx2_err(err, LTX2_ERR_IO, "%s is not a folder", p);
    if (st != LTX2_OK && created && *created) {
        io_rmdirs_up_to(p, *created);
        free(*created);
        *created = NULL;
    }
    free(p);
    return st;
}

void io_rmdirs_up_to(const char *dir, const char *top)
{
    char *p = strdup(dir);
    size_t top_len = strlen(top);
    /* Only empty folders go (rmdir refuses others), deepest first, never above top. */
    while (p && strlen(p) >= top_len && rmdir(p) == 0) {
        char *slash = strrchr(p, '/');
        if (!slash || strlen(p) == top_len)
            break;
        *slash = 0;
    }
    free(p);
}

ltx2_status io_check_target(const char *path, ltx2_error *err)
{
    struct stat sb;
    if (lstat(path, &sb) != 0 || S_ISREG(sb.st_mode))
        return LTX2_OK; /* absent (or unreachable: creating the file will say why) */
    if (S_ISLNK(sb.st_mode))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "%s is a symbolic link: saves replace files and do not follow links; "
                        "give the path it points to", path);
    return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s is %s, not a regular file: refusing to replace it",
                    path, ltx2_file_kind(sb.st_mode));
}

/* The temp name: the target's name cut so that name + suffix fits NAME_MAX (a legal
 * 250-byte name must stay savable). */
static char *tmp_name_for(const char *final_path)
{
    static const char suffix[] = ".tmp-XXXXXX";
    const char *slash = strrchr(final_path, '/');
    size_t dir_len = slash ? (size_t)(slash - final_path + 1) : 0;
    size_t base_len = strlen(final_path + dir_len), room = NAME_MAX - (sizeof suffix - 1);
    if (base_len > room)
        base_len = room;
    size_t n = dir_len + base_len + sizeof suffix;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s%.*s%s", (int)dir_len, final_path, (int)base_len, final_path + dir_len,
                 suffix);
    return t;
}

ltx2_status io_tmp_open(io_tmp *t, const char *final_path, ltx2_error *err)
{
    return io_tmp_open_ex(t, final_path, 1, err);
}

ltx2_status io_tmp_open_ex(io_tmp *t, const char *final_path, int make_dirs, ltx2_error *err)
{
    memset(t, 0, sizeof *t);
    if (!final_path[0])
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "empty file name");
    ltx2_status st = io_check_target(final_path, err);
    if (st != LTX2_OK)
        return st;
    st = make_dirs ? io_mkdirs_for(final_path, &t->made_dir, err) : LTX2_OK;
    if (st != LTX2_OK)
        return st;
    t->final_path = strdup(final_path);
    t->tmp_path = tmp_name_for(final_path);
    if (!t->final_path || !t->tmp_path) {
        io_tmp_discard(t, 0);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
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
    /* Checked again: the target may have become a link or a device since the open. */
    ltx2_status st = io_check_target(t->final_path, err);
    if (st != LTX2_OK)
        return st;
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
    if (t->made_dir && (!t->renamed || undo_rename)) {
        /* Folders this save created go again when it leaves nothing in them. */
        char *dir = strdup(t->final_path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        if (slash) {
            *slash = 0;
            io_rmdirs_up_to(dir, t->made_dir);
        }
        free(dir);
    }
    free(t->made_dir);
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
    for (size_t i = n; i-- > 0;) /* last first: the first holds the folder it created */
        io_tmp_discard(&t[i], st != LTX2_OK);
    return st;
}
