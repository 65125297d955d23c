/* regular_file.h — opening input files safely: the type is checked before anything
 * can block (a FIFO or a device given as a model, image or tokenizer path would hang
 * or read forever), and whole-file reads are bounded. Plain C types so the C++
 * SentencePiece shim can use it too. */
#ifndef LTX2_REGULAR_FILE_H
#define LTX2_REGULAR_FILE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a file type is, for messages: "a FIFO", "a folder", "a character device"... */
const char *ltx2_file_kind(mode_t mode);

/* Opens path read-only (O_CLOEXEC) without blocking on a FIFO, refuses anything that
 * is not a regular file, and a file larger than max_bytes (0: any size). Returns the
 * fd (blocking mode restored) with *sb filled, or -1 with msg set to the cause
 * ("no such file", "is a FIFO, not a regular file", ...; the path is not repeated). */
int ltx2_open_regular(const char *path, uint64_t max_bytes, struct stat *sb, char *msg,
                      size_t msg_size);

/* Reads a whole regular file of at most max_bytes into a malloc'd NUL-terminated
 * buffer (*len bytes before the NUL). NULL with msg set on failure. */
char *ltx2_read_regular(const char *path, size_t max_bytes, size_t *len, char *msg,
                        size_t msg_size);

#ifdef __cplusplus
}
#endif
#endif
