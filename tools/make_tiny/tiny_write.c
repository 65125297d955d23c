/* tiny_write.c — a safetensors writer for the tiny model set (BF16 data, optional
 * __metadata__), written to a temp file and renamed so a failure leaves no file. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tiny.h"

/* float → bf16, round to nearest even (NaN kept quiet). */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static int64_t numel_of(const tiny_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static char *make_header(const tiny_set *s, size_t from, size_t to, const char *const *meta, uint64_t *data_bytes)
{
    struct json_object *h = json_object_new_object();
    if (!h)
        return NULL;
    if (meta && meta[0]) {
        struct json_object *m = json_object_new_object();
        for (size_t i = 0; meta[i] && meta[i + 1]; i += 2)
            json_object_object_add(m, meta[i], json_object_new_string(meta[i + 1]));
        json_object_object_add(h, "__metadata__", m);
    }
    uint64_t off = 0;
    for (size_t i = from; i < to; i++) {
        const tiny_tensor *t = &s->t[i];
        struct json_object *e = json_object_new_object(), *sh = json_object_new_array(), *of = json_object_new_array();
        json_object_object_add(e, "dtype", json_object_new_string("BF16"));
        for (int d = 0; d < t->ndim; d++)
            json_object_array_add(sh, json_object_new_int64(t->shape[d]));
        json_object_object_add(e, "shape", sh);
        uint64_t n = (uint64_t)numel_of(t) * 2;
        json_object_array_add(of, json_object_new_int64((int64_t)off));
        json_object_array_add(of, json_object_new_int64((int64_t)(off + n)));
        json_object_object_add(e, "data_offsets", of);
        json_object_object_add(h, t->name, e);
        off += n;
    }
    *data_bytes = off;
    const char *txt = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *copy = txt ? strdup(txt) : NULL;
    json_object_put(h);
    return copy;
}

int tiny_write(const tiny_set *s, size_t from, size_t to, const char *path, const char *const *meta, uint64_t *bytes,
               char *msg, size_t msg_len)
{
    uint64_t data_bytes = 0;
    char *hdr = make_header(s, from, to, meta, &data_bytes);
    size_t tlen = strlen(path) + 16;
    char *tmp = malloc(tlen);
    if (!hdr || !tmp) {
        snprintf(msg, msg_len, "%s: out of memory", path);
        free(hdr);
        free(tmp);
        return -1;
    }
    snprintf(tmp, tlen, "%s.tmp%ld", path, (long)getpid());
    size_t hl = strlen(hdr), padded = (hl + 7) & ~(size_t)7; /* data starts 8-byte aligned */
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    if (ok) {
        uint64_t n = padded;
        unsigned char le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)(n >> (8 * i));
        ok = fwrite(le, 1, 8, f) == 8 && fwrite(hdr, 1, hl, f) == hl;
        for (size_t i = hl; ok && i < padded; i++)
            ok = fputc(' ', f) != EOF;
        uint16_t buf[4096];
        for (size_t i = from; ok && i < to; i++) {
            const tiny_tensor *t = &s->t[i];
            int64_t n_el = numel_of(t);
            for (int64_t j = 0; ok && j < n_el; j += 4096) {
                int64_t m = n_el - j < 4096 ? n_el - j : 4096;
                for (int64_t q = 0; q < m; q++) {
                    uint16_t b = to_bf16(t->data[j + q]);
                    unsigned char *p = (unsigned char *)&buf[q];
                    p[0] = (unsigned char)(b & 0xff); /* little endian on any host */
                    p[1] = (unsigned char)(b >> 8);
                }
                ok = fwrite(buf, 2, (size_t)m, f) == (size_t)m;
            }
        }
        ok = (fclose(f) == 0) && ok;
    }
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok) {
        snprintf(msg, msg_len, "%s: %s", path, strerror(errno));
        unlink(tmp);
    }
    if (bytes)
        *bytes = data_bytes;
    free(hdr);
    free(tmp);
    return ok ? 0 : -1;
}
