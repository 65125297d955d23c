/* files.c — the graph read (type and size first) and the manifest write (temp +
 * rename, regular files only). */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link"
                                                                        : "not a regular file";
}

char *hs_read_file(const char *path, const char *what, size_t max_bytes, size_t *len, char *err,
                   size_t err_size)
{
    /* non-blocking open: a FIFO without a writer must not hang before the check */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat sb = {0};
    if (fd < 0) {
        snprintf(err, err_size, "cannot open %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max_bytes) {
        if (!S_ISREG(sb.st_mode))
            snprintf(err, err_size, "cannot read %s %s: it is %s, not a regular file", what, path,
                     kind_of(sb.st_mode));
        else
            snprintf(err, err_size, "cannot read %s %s: %lld bytes, more than the %zu MiB limit",
                     what, path, (long long)sb.st_size, max_bytes >> 20);
        close(fd);
        return NULL;
    }
    size_t size = (size_t)sb.st_size, n = 0;
    char *buf = malloc(size + 1);
    while (buf && n < size) {
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!buf || n < size) {
        snprintf(err, err_size, "cannot read %s %s: %s", what, path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int hs_write_file(const char *path, const char *what, const char *text, char *err, size_t err_size)
{
    struct stat sb;
    if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        snprintf(err, err_size, "cannot write %s %s: it is %s; refusing to replace it (give a regular file)",
                 what, path, kind_of(sb.st_mode));
        return -1;
    }
    /* the temp name is the target's, cut to leave room for the suffix within NAME_MAX */
    static const char suffix[] = ".tmp-XXXXXX";
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0, base = strlen(path + dir_len);
    if (base > NAME_MAX - (sizeof suffix - 1))
        base = NAME_MAX - (sizeof suffix - 1);
    size_t n = dir_len + base + sizeof suffix;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, err_size, "cannot write %s %s: out of memory", what, path);
        return -1;
    }
    snprintf(tmp, n, "%.*s%.*s%s", (int)dir_len, path, (int)base, path + dir_len, suffix);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int ok = f && fchmod(fd, 0644) == 0 && fputs(text, f) >= 0;
    ok = f && fflush(f) == 0 && ok && fsync(fd) == 0;
    int e = errno;
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, path) != 0) {
        e = errno;
        ok = 0;
    }
    if (!ok) {
        snprintf(err, err_size, "cannot write %s %s: %s", what, path, strerror(e));
        if (fd >= 0)
            unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}
