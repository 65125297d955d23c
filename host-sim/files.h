/* files.h — host-sim's own file handling: the graph file read with its type and
 * size checked first, and the manifest written atomically without replacing a
 * device, FIFO or symbolic link. */
#ifndef HS_FILES_H
#define HS_FILES_H
#include <stddef.h>

/* Largest graph file read: ComfyUI prompts are kilobytes; a model or /dev/zero
 * given by mistake is refused before anything is read. */
#define HS_GRAPH_MAX_BYTES ((size_t)64 << 20)

/* Reads a regular file of at most max_bytes, NUL-terminated (malloc'd). On failure
 * returns NULL with err set to one sentence naming `what` and the path. */
char *hs_read_file(const char *path, const char *what, size_t max_bytes, size_t *len, char *err,
                   size_t err_size);

/* Writes text to path through a temp file beside it and a rename; refuses a path that
 * exists and is not a regular file. Returns 0, or -1 with err set. */
int hs_write_file(const char *path, const char *what, const char *text, char *err, size_t err_size);

#endif
