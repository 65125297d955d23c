/* regular_file.c — type-checked, non-blocking opens and bounded whole-file reads. */
#include "regular_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ltx2_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

int ltx2_open_regular(const char *path, uint64_t max_bytes, struct stat *sb, char *msg,
                      size_t msg_size)
{
    /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        snprintf(msg, msg_size, "cannot open: %s", e == ENOENT ? "no such file" : strerror(e));
        return -1;
    }
    if (fstat(fd, sb) != 0) {
        snprintf(msg, msg_size, "cannot stat: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(sb->st_mode)) {
        snprintf(msg, msg_size, "is %s, not a regular file", ltx2_file_kind(sb->st_mode));
        close(fd);
        return -1;
    }
    if (max_bytes && (uint64_t)sb->st_size > max_bytes) {
        snprintf(msg, msg_size, "is %lld bytes, more than the %llu-byte limit for this kind of file",
                 (long long)sb->st_size, (unsigned long long)max_bytes);
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

char *ltx2_read_regular(const char *path, size_t max_bytes, size_t *len, char *msg,
                        size_t msg_size)
{
    struct stat sb;
    int fd = ltx2_open_regular(path, max_bytes, &sb, msg, msg_size);
    if (fd < 0)
        return NULL;
    size_t size = (size_t)sb.st_size, n = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        snprintf(msg, msg_size, "out of memory reading %zu bytes", size);
        close(fd);
        return NULL;
    }
    /* Reads what the size said; a file that grew meanwhile is cut there (bounded). */
    while (n < size) {
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(msg, msg_size, "read error: %s", strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *len = n;
    return buf;
}
