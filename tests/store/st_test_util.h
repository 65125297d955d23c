/* st_test_util.h — tiny test harness and safetensors image writer for the store tests. */
#ifndef ST_TEST_UTIL_H
#define ST_TEST_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct st_test {
    int failures;
    int checks;
} st_test;

#define CHECK(T, cond, ...)                                                   \
    do {                                                                      \
        (T)->checks++;                                                        \
        if (!(cond)) {                                                        \
            (T)->failures++;                                                  \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* Writes 8-byte length `hlen` (header_len when hlen == UINT64_MAX), the header, then data. */
static inline int st_write_raw(const char *path, uint64_t hlen, const char *header,
                               size_t header_len, const void *data, size_t data_len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint64_t n = hlen == UINT64_MAX ? header_len : hlen;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(n >> (8 * i));
    int ok = fwrite(le, 1, 8, f) == 8 && fwrite(header, 1, header_len, f) == header_len &&
             (data_len == 0 || fwrite(data, 1, data_len, f) == data_len);
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A well-formed file: header JSON padded with spaces to a multiple of 8. */
static inline int st_write(const char *path, const char *header, const void *data, size_t data_len)
{
    size_t n = strlen(header), padded = (n + 7) / 8 * 8;
    char *h = malloc(padded ? padded : 1);
    if (!h)
        return -1;
    memcpy(h, header, n);
    memset(h + n, ' ', padded - n);
    int r = st_write_raw(path, UINT64_MAX, h, padded, data, data_len);
    free(h);
    return r;
}

#endif
