/* example_files.h — reading what the example graphs write (PNG frames, PCM WAV), for
 * the example checkers. */
#ifndef LTX2_TESTS_EXAMPLE_FILES_H
#define LTX2_TESTS_EXAMPLE_FILES_H
#include <stdint.h>

/* Decodes an 8-bit PNG into rgb (w*h*3 bytes, malloc'd). Returns 0 or -1. */
int ex_read_png(const char *path, unsigned char **rgb, int *w, int *h);

typedef struct ex_wav {
    uint16_t fmt, channels, bits;
    uint32_t rate, data_bytes;
} ex_wav;
/* Reads the format and, when samples is not NULL, the 16-bit data (malloc'd,
 * data_bytes / 2 values). NULL on success, else what is wrong. */
const char *ex_read_wav(const char *path, ex_wav *info, int16_t **samples);

#endif
