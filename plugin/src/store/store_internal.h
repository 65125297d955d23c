/* store_internal.h — what the store's own files share: the parsed form of one
 * safetensors image (entries + metadata), produced by the strict header parser. */
#ifndef LTX2_STORE_INTERNAL_H
#define LTX2_STORE_INTERNAL_H
#include "store.h"

/* Largest header accepted (the reference implementation uses the same bound). */
#define ST_MAX_HEADER_BYTES ((uint64_t)100 * 1024 * 1024)

typedef struct st_meta {
    char *key;
    char *value;
} st_meta;

typedef struct st_parsed {
    size_t n;
    ltx2_st_tensor *t; /* sorted by name; names are owned (malloc'd) */
    size_t n_meta;
    st_meta *meta;     /* __metadata__ in file order */
    size_t data_start; /* 8 + header length */
} st_parsed;

/* Validates and parses a safetensors image of `size` bytes. Entries point into
 * `bytes`. Messages do not name the file (the caller prefixes it). */
ltx2_status st_parse(const uint8_t *bytes, size_t size, st_parsed *out, ltx2_error *err);
void st_parsed_free(st_parsed *p);

/* Describes a Git-LFS pointer ("oid sha256:…, size N") into buf. */
void st_lfs_describe(const uint8_t *bytes, size_t size, char *buf, size_t buf_size);

#endif
