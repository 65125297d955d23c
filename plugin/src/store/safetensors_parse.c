/* safetensors_parse.c — the strict header parser: every number, dtype and offset in
 * the header is checked against the bytes that follow before anything points into
 * them. Used by the mapped store, the tests and the fuzzer. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_internal.h"

#define LFS_PREFIX "version https://git-lfs.github.com/spec/v1"

bool ltx2_is_lfs_pointer(const uint8_t *bytes, size_t size)
{
    size_t n = strlen(LFS_PREFIX);
    /* Pointer files are tiny text files; real weights never start like this. */
    return bytes && size >= n && size < 4096 && memcmp(bytes, LFS_PREFIX, n) == 0;
}

/* Copies the value of the line starting with `key` (up to the newline) into buf. */
static void lfs_field(const uint8_t *bytes, size_t size, const char *key, char *buf, size_t buf_size)
{
    size_t kn = strlen(key);
    buf[0] = 0;
    for (size_t i = 0; i + kn <= size; i++) {
        if ((i == 0 || bytes[i - 1] == '\n') && memcmp(bytes + i, key, kn) == 0) {
            size_t j = i + kn, o = 0;
            while (j < size && bytes[j] != '\n' && bytes[j] != '\r' && o + 1 < buf_size)
                buf[o++] = (char)bytes[j++];
            buf[o] = 0;
            return;
        }
    }
}

void st_lfs_describe(const uint8_t *bytes, size_t size, char *buf, size_t buf_size)
{
    char oid[80], sz[32];
    lfs_field(bytes, size, "oid ", oid, sizeof oid);
    lfs_field(bytes, size, "size ", sz, sizeof sz);
    snprintf(buf, buf_size, "oid %s, size %s", oid[0] ? oid : "?", sz[0] ? sz : "?");
}

void st_parsed_free(st_parsed *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free((char *)p->t[i].name);
    for (size_t i = 0; i < p->n_meta; i++) {
        free(p->meta[i].key);
        free(p->meta[i].value);
    }
    free(p->t);
    free(p->meta);
    memset(p, 0, sizeof *p);
}

/* One header entry while validating (offsets kept for the overlap checks). */
typedef struct st_entry {
    uint64_t begin, end;
    size_t idx;
} st_entry;

static int cmp_entry_begin(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const ltx2_st_tensor *)a)->name, ((const ltx2_st_tensor *)b)->name);
}

/* A non-negative JSON integer, or false. */
static bool json_u64(struct json_object *v, uint64_t *out)
{
    if (!v || !json_object_is_type(v, json_type_int))
        return false;
    int64_t x = json_object_get_int64(v);
    if (x < 0)
        return false;
    *out = (uint64_t)x;
    return true;
}

static ltx2_status parse_metadata(struct json_object *meta, st_parsed *out, ltx2_error *err)
{
    if (!json_object_is_type(meta, json_type_object))
        return ltx2_err(err, LTX2_ERR_IO, "bad header: __metadata__ is not a JSON object");
    size_t n = (size_t)json_object_object_length(meta);
    out->meta = calloc(n ? n : 1, sizeof *out->meta);
    if (!out->meta)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory reading __metadata__");
    json_object_object_foreach(meta, key, val)
    {
        if (!json_object_is_type(val, json_type_string))
            return ltx2_err(err, LTX2_ERR_IO, "bad header: __metadata__ value '%s' is not a string",
                            key);
        st_meta *m = &out->meta[out->n_meta++];
        m->key = strdup(key);
        m->value = strdup(json_object_get_string(val));
        if (!m->key || !m->value)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory reading __metadata__");
    }
    return LTX2_OK;
}

/* Validates one tensor entry's fields and fills t (without data) and e. */
static ltx2_status parse_entry(const char *name, struct json_object *v, ltx2_st_tensor *t,
                               st_entry *e, ltx2_error *err)
{
    if (!json_object_is_type(v, json_type_object))
        return ltx2_err(err, LTX2_ERR_IO, "bad header: tensor '%s' is not a JSON object", name);
    struct json_object *dt = NULL, *shape = NULL, *offs = NULL;
    json_object_object_foreach(v, key, val)
    {
        if (strcmp(key, "dtype") == 0)
            dt = val;
        else if (strcmp(key, "shape") == 0)
            shape = val;
        else if (strcmp(key, "data_offsets") == 0)
            offs = val;
        else
            return ltx2_err(err, LTX2_ERR_IO, "bad header: tensor '%s' has unknown field '%s'",
                            name, key);
    }
    if (!dt || !shape || !offs)
        return ltx2_err(err, LTX2_ERR_IO, "bad header: tensor '%s' lacks '%s'", name,
                        !dt ? "dtype" : !shape ? "shape" : "data_offsets");
    if (!json_object_is_type(dt, json_type_string))
        return ltx2_err(err, LTX2_ERR_IO, "bad header: tensor '%s': dtype is not a string", name);
    int d = ltx2_dtype_from_name(json_object_get_string(dt));
    if (d < 0)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "tensor '%s': unknown dtype '%s'", name,
                        json_object_get_string(dt));
    t->dtype = (ltx2_dtype)d;

    if (!json_object_is_type(shape, json_type_array))
        return ltx2_err(err, LTX2_ERR_IO, "bad header: tensor '%s': shape is not an array", name);
    size_t nd = json_object_array_length(shape);
    if (nd > LTX2_MAX_DIMS)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "tensor '%s': %zu dims (at most %d supported)",
                        name, nd, LTX2_MAX_DIMS);
    t->ndim = (int)nd;
    /* The product of the non-zero dims is bounded too: with a zero dim the data is empty,
     * but strides ([0, 2^62, 2^62]) and int64 dims must still fit. */
    const uint64_t limit = (uint64_t)INT64_MAX / 16;
    uint64_t numel = 1, span = 1;
    bool overflow = false;
    for (size_t i = 0; i < nd; i++) {
        uint64_t dim;
        if (!json_u64(json_object_array_get_idx(shape, i), &dim))
            return ltx2_err(err, LTX2_ERR_IO,
                            "bad header: tensor '%s': shape dim %zu is not a non-negative integer",
                            name, i);
        if (dim > limit || (dim && span > limit / dim)) {
            overflow = true;
            break;
        }
        t->shape[i] = (int64_t)dim;
        span *= dim ? dim : 1;
        numel *= dim;
    }
    uint64_t esize = ltx2_dtype_size(t->dtype);
    if (overflow || numel > UINT64_MAX / esize)
        return ltx2_err(err, LTX2_ERR_IO, "bad header: tensor '%s': shape too large", name);

    if (!json_object_is_type(offs, json_type_array) || json_object_array_length(offs) != 2 ||
        !json_u64(json_object_array_get_idx(offs, 0), &e->begin) ||
        !json_u64(json_object_array_get_idx(offs, 1), &e->end))
        return ltx2_err(err, LTX2_ERR_IO,
                        "bad header: tensor '%s': data_offsets is not [begin, end] of non-negative "
                        "integers", name);
    if (e->begin > e->end)
        return ltx2_err(err, LTX2_ERR_IO,
                        "bad header: tensor '%s': data_offsets [%llu, %llu] end before begin", name,
                        (unsigned long long)e->begin, (unsigned long long)e->end);
    if (e->end - e->begin != numel * esize)
        return ltx2_err(err, LTX2_ERR_IO,
                        "tensor '%s': dtype/size mismatch: %s with %llu elements needs %llu bytes "
                        "but data_offsets [%llu, %llu] span %llu",
                        name, ltx2_dtype_name(t->dtype), (unsigned long long)numel,
                        (unsigned long long)(numel * esize), (unsigned long long)e->begin,
                        (unsigned long long)e->end, (unsigned long long)(e->end - e->begin));
    t->nbytes = (size_t)(e->end - e->begin);
    return LTX2_OK;
}

/* Overlaps, then offsets beyond the data area (a cut file or a bad offset). */
static ltx2_status check_layout(st_parsed *out, st_entry *ents, size_t n, uint64_t data_size,
                                ltx2_error *err)
{
    qsort(ents, n, sizeof *ents, cmp_entry_begin);
    uint64_t prev_end = 0, max_end = 0;
    size_t prev = SIZE_MAX;
    bool contiguous = true;
    for (size_t i = 0; i < n; i++) {
        if (ents[i].begin == ents[i].end)
            continue; /* empty tensors occupy no bytes */
        if (prev != SIZE_MAX && ents[i].begin < prev_end)
            return ltx2_err(err, LTX2_ERR_IO,
                            "bad header: tensors '%s' and '%s' have overlapping data_offsets",
                            out->t[ents[prev].idx].name, out->t[ents[i].idx].name);
        if (ents[i].begin != prev_end)
            contiguous = false;
        prev_end = ents[i].end;
        prev = i;
        if (ents[i].end > max_end)
            max_end = ents[i].end;
    }
    if (max_end <= data_size)
        return LTX2_OK;
    if (contiguous)
        return ltx2_err(err, LTX2_ERR_IO,
                        "file is truncated: the header describes %llu data bytes but only %llu follow",
                        (unsigned long long)max_end, (unsigned long long)data_size);
    for (size_t i = 0; i < n; i++)
        if (ents[i].end > data_size)
            return ltx2_err(err, LTX2_ERR_IO,
                            "bad header: tensor '%s': data_offsets [%llu, %llu] out of range of "
                            "the %llu-byte data area",
                            out->t[ents[i].idx].name, (unsigned long long)ents[i].begin,
                            (unsigned long long)ents[i].end, (unsigned long long)data_size);
    return ltx2_err(err, LTX2_ERR_INTERNAL, "data_offsets check inconsistent");
}

static ltx2_status parse_tensors(const uint8_t *bytes, size_t size, struct json_object *root,
                                 st_parsed *out, ltx2_error *err)
{
    size_t cap = (size_t)json_object_object_length(root);
    out->t = calloc(cap ? cap : 1, sizeof *out->t);
    st_entry *ents = calloc(cap ? cap : 1, sizeof *ents);
    if (!out->t || !ents) {
        free(ents);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory reading the header");
    }
    ltx2_status st = LTX2_OK;
    json_object_object_foreach(root, key, val)
    {
        if (strcmp(key, "__metadata__") == 0) {
            if (out->meta) {
                st = ltx2_err(err, LTX2_ERR_IO, "bad header: __metadata__ given twice");
                break;
            }
            if ((st = parse_metadata(val, out, err)) != LTX2_OK)
                break;
            continue;
        }
        if (strncmp(key, "__", 2) == 0) {
            st = ltx2_err(err, LTX2_ERR_IO, "bad header: unknown top-level key '%s'", key);
            break;
        }
        ltx2_st_tensor *t = &out->t[out->n];
        st_entry *e = &ents[out->n];
        if ((st = parse_entry(key, val, t, e, err)) != LTX2_OK)
            break;
        if (!(t->name = strdup(key))) {
            st = ltx2_err(err, LTX2_ERR_OOM, "out of memory reading the header");
            break;
        }
        e->idx = out->n++;
    }
    if (st == LTX2_OK)
        st = check_layout(out, ents, out->n, (uint64_t)(size - out->data_start), err);
    if (st == LTX2_OK) {
        for (size_t i = 0; i < out->n; i++)
            out->t[ents[i].idx].data = bytes + out->data_start + ents[i].begin;
        qsort(out->t, out->n, sizeof *out->t, cmp_tensor_name);
    }
    free(ents);
    return st;
}

/* A key of the top-level object, as written (escapes not decoded). */
typedef struct key_span {
    const char *s;
    size_t n;
} key_span;

static int cmp_span(const void *a, const void *b)
{
    const key_span *x = a, *y = b;
    int r = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* Walks valid JSON text and reports the top-level object's keys (spans, when given)
 * and returns their count. */
static size_t top_keys(const char *s, size_t n, key_span *spans)
{
    size_t count = 0;
    int depth = 0;
    bool expect_key = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            size_t start = ++i;
            while (i < n && s[i] != '"')
                i += s[i] == '\\' ? 2 : 1;
            if (depth == 1 && expect_key) {
                if (spans)
                    spans[count] = (key_span){s + start, i - start};
                count++;
                expect_key = false;
            }
        } else if (c == '{' || c == '[') {
            expect_key = ++depth == 1;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            expect_key = true;
        }
    }
    return count;
}

/* json-c keeps the last of duplicate keys: a file naming one tensor twice would
 * load silently with one of its definitions. Counting the keys as written finds
 * that in one pass; naming the duplicate takes a sort. */
static ltx2_status check_duplicate_keys(const char *hdr, size_t n, size_t parsed_keys,
                                        ltx2_error *err)
{
    size_t written = top_keys(hdr, n, NULL);
    if (written == parsed_keys)
        return LTX2_OK;
    key_span *spans = malloc(written * sizeof *spans);
    if (!spans)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory reading the header");
    top_keys(hdr, n, spans);
    qsort(spans, written, sizeof *spans, cmp_span);
    for (size_t i = 1; i < written; i++) {
        if (cmp_span(&spans[i - 1], &spans[i]) == 0) {
            int len = spans[i].n > 200 ? 200 : (int)spans[i].n;
            ltx2_status st = ltx2_err(err, LTX2_ERR_IO, "bad header: key '%.*s' appears twice",
                                      len, spans[i].s);
            free(spans);
            return st;
        }
    }
    free(spans);
    return ltx2_err(err, LTX2_ERR_IO, "bad header: a key appears twice (spelled with different escapes)");
}

ltx2_status st_parse(const uint8_t *bytes, size_t size, st_parsed *out, ltx2_error *err)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return ltx2_err(err, LTX2_ERR_IO, "empty file (0 bytes)");
    if (ltx2_is_lfs_pointer(bytes, size)) {
        char d[160];
        st_lfs_describe(bytes, size, d, sizeof d);
        return ltx2_err(err, LTX2_ERR_IO,
                        "is a Git-LFS pointer (%s), not the weights: run git lfs pull", d);
    }
    if (size < 8)
        return ltx2_err(err, LTX2_ERR_IO,
                        "truncated: %zu bytes, shorter than the 8-byte header length", size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | bytes[i];
    if (hlen > ST_MAX_HEADER_BYTES)
        return ltx2_err(err, LTX2_ERR_IO,
                        "header length %llu exceeds the %llu-byte limit (not a safetensors file?)",
                        (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER_BYTES);
    if (hlen < 2)
        return ltx2_err(err, LTX2_ERR_IO, "header length %llu is too small for a JSON object",
                        (unsigned long long)hlen);
    if (hlen > size - 8)
        return ltx2_err(err, LTX2_ERR_IO,
                        "truncated header: header length is %llu bytes but only %zu follow",
                        (unsigned long long)hlen, size - 8);
    const char *hdr = (const char *)bytes + 8;
    if (memchr(hdr, 0, (size_t)hlen))
        return ltx2_err(err, LTX2_ERR_IO, "bad header: contains a NUL byte");

    struct json_tokener *tok = json_tokener_new_ex(8);
    if (!tok)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory parsing the header");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, hdr, (int)hlen);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root && jerr == json_tokener_success) /* json-c 0.16 reports no error for OOM */
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory parsing the header");
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return ltx2_err(err, LTX2_ERR_IO, "bad header: not valid JSON (%s near byte %zu)",
                        jerr == json_tokener_continue ? "unexpected end"
                                                      : json_tokener_error_desc(jerr),
                        end);
    }
    for (size_t i = end; i < hlen; i++) {
        if (hdr[i] != ' ' && hdr[i] != '\t' && hdr[i] != '\n' && hdr[i] != '\r') {
            json_object_put(root);
            return ltx2_err(err, LTX2_ERR_IO, "bad header: bytes after the JSON object");
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return ltx2_err(err, LTX2_ERR_IO, "bad header: not a JSON object");
    }
    ltx2_status st = check_duplicate_keys(hdr, end, (size_t)json_object_object_length(root), err);
    if (st != LTX2_OK) {
        json_object_put(root);
        return st;
    }
    out->data_start = (size_t)(8 + hlen);
    st = parse_tensors(bytes, size, root, out, err);
    json_object_put(root);
    if (st != LTX2_OK)
        st_parsed_free(out);
    return st;
}

ltx2_status ltx2_safetensors_check(const uint8_t *bytes, size_t file_size, size_t *n_tensors,
                                   ltx2_error *err)
{
    st_parsed p;
    ltx2_status st = st_parse(bytes, file_size, &p, err);
    if (st == LTX2_OK && n_tensors)
        *n_tensors = p.n;
    st_parsed_free(&p);
    return st;
}
