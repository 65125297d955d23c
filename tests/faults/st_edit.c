/* st_edit — writes an edited copy of a safetensors file for the hostile-model tests:
 *   st_edit SRC DST config PATH JSON   set config value PATH (keys and list indices
 *                                      separated by '/') to JSON (NaN, 4e9, -5 ...)
 *   st_edit SRC DST nan TENSOR         first element of TENSOR becomes NaN
 *   st_edit SRC DST drop TENSOR        removes TENSOR from the header
 *   st_edit SRC DST shape TENSOR JSON  gives TENSOR a new shape (a smaller one shrinks
 *                                      its data_offsets to match)
 * The data section is copied unchanged (except for `nan`). Exit 0 on success. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "st_edit: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 1;
}

/* Sets PATH (a/b/0/c) inside root to value (ownership passes). 0 on success. */
static int set_path(json_object *root, const char *path, json_object *value)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    json_object *cur = root;
    char *save = NULL, *tok = strtok_r(buf, "/", &save);
    while (tok) {
        char *next = strtok_r(NULL, "/", &save);
        if (json_object_is_type(cur, json_type_array)) {
            size_t i = strtoul(tok, NULL, 10);
            if (i >= json_object_array_length(cur)) return -1;
            if (!next) return json_object_array_put_idx(cur, i, value);
            cur = json_object_array_get_idx(cur, i);
        } else if (json_object_is_type(cur, json_type_object)) {
            if (!next) return json_object_object_add(cur, tok, value);
            if (!json_object_object_get_ex(cur, tok, &cur)) return -1;
        } else {
            return -1;
        }
        tok = next;
    }
    return -1;
}

/* The config metadata edited: parse the string, set PATH, store it back. */
static int edit_config(json_object *hdr, const char *path, const char *value_json)
{
    json_object *meta, *cfg_str;
    if (!json_object_object_get_ex(hdr, "__metadata__", &meta) ||
        !json_object_object_get_ex(meta, "config", &cfg_str))
        return fail("no config metadata", NULL);
    json_object *cfg = json_tokener_parse(json_object_get_string(cfg_str));
    json_object *value = json_tokener_parse(value_json);
    if (!cfg || !value || set_path(cfg, path, value) != 0) {
        json_object_put(cfg);
        return fail("cannot set", path);
    }
    json_object_object_add(meta, "config", json_object_new_string(json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN)));
    json_object_put(cfg);
    return 0;
}

/* A smaller (or empty) new shape gets data_offsets that fit it, so the store sees a
 * consistent entry; a larger or overflowing one keeps the old offsets. */
static int fit_offsets(json_object *t, json_object *shape)
{
    json_object *dt, *offs;
    if (!json_object_object_get_ex(t, "dtype", &dt) || !json_object_object_get_ex(t, "data_offsets", &offs) ||
        !json_object_is_type(shape, json_type_array))
        return fail("bad tensor entry", NULL);
    const char *d = json_object_get_string(dt);
    uint64_t size = !strcmp(d, "F32") || !strcmp(d, "I32") ? 4 : !strcmp(d, "I64") ? 8 : d[0] == 'F' && d[1] == '8' ? 1 : 2;
    for (size_t i = 0; i < json_object_array_length(shape); i++) {
        uint64_t dim = (uint64_t)json_object_get_int64(json_object_array_get_idx(shape, i));
        if (dim == 0) {
            size = 0;
            break;
        }
        if (__builtin_mul_overflow(size, dim, &size)) return 0; /* keep the offsets */
    }
    uint64_t begin = (uint64_t)json_object_get_int64(json_object_array_get_idx(offs, 0));
    uint64_t end = (uint64_t)json_object_get_int64(json_object_array_get_idx(offs, 1));
    if (size <= end - begin)
        json_object_array_put_idx(offs, 1, json_object_new_int64((int64_t)(begin + size)));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) return fail("usage: st_edit SRC DST config|nan|drop|shape ARG [JSON]", NULL);
    const char *op = argv[3], *arg = argv[4];
    FILE *f = fopen(argv[1], "rb");
    if (!f) return fail("cannot open", argv[1]);
    uint64_t n;
    char *hdr_txt = NULL;
    if (fread(&n, 8, 1, f) != 1 || n > (1u << 30) || !(hdr_txt = calloc(n + 1, 1)) || fread(hdr_txt, 1, n, f) != n)
        return fail("bad header", argv[1]);
    json_object *hdr = json_tokener_parse(hdr_txt);
    free(hdr_txt);
    if (!hdr) return fail("header is not JSON", argv[1]);
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    size_t data_len = (size_t)(end - 8 - (long)n);
    char *data = malloc(data_len ? data_len : 1);
    fseek(f, (long)(8 + n), SEEK_SET);
    if (!data || fread(data, 1, data_len, f) != data_len) return fail("cannot read data", argv[1]);
    fclose(f);

    int rc = 0;
    json_object *t = NULL;
    if (!strcmp(op, "config")) {
        rc = argc > 5 ? edit_config(hdr, arg, argv[5]) : fail("config needs PATH JSON", NULL);
    } else if (!json_object_object_get_ex(hdr, arg, &t)) {
        rc = fail("no tensor", arg);
    } else if (!strcmp(op, "drop")) {
        json_object_object_del(hdr, arg);
    } else if (!strcmp(op, "shape")) {
        json_object *shape = argc > 5 ? json_tokener_parse(argv[5]) : NULL;
        rc = shape ? fit_offsets(t, shape) : fail("shape needs JSON", NULL);
        if (rc == 0) json_object_object_add(t, "shape", shape);
        else json_object_put(shape);
    } else if (!strcmp(op, "nan")) {
        json_object *dt, *offs;
        json_object_object_get_ex(t, "dtype", &dt);
        json_object_object_get_ex(t, "data_offsets", &offs);
        size_t at = (size_t)json_object_get_int64(json_object_array_get_idx(offs, 0));
        const char *d = json_object_get_string(dt);
        static const uint8_t f32[4] = {0x00, 0x00, 0xc0, 0x7f}, b16[2] = {0xc0, 0x7f}, f16[2] = {0x00, 0x7e};
        if (!strcmp(d, "F32") && at + 4 <= data_len) memcpy(data + at, f32, 4);
        else if (!strcmp(d, "BF16") && at + 2 <= data_len) memcpy(data + at, b16, 2);
        else if (!strcmp(d, "F16") && at + 2 <= data_len) memcpy(data + at, f16, 2);
        else rc = fail("cannot write NaN into dtype", d);
    } else {
        rc = fail("unknown operation", op);
    }
    if (rc == 0) {
        const char *txt = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN);
        uint64_t m = strlen(txt), pad = (8 - m % 8) % 8, mm = m + pad;
        FILE *o = fopen(argv[2], "wb");
        if (!o) return fail("cannot write", argv[2]);
        int ok = fwrite(&mm, 8, 1, o) == 1 && fwrite(txt, 1, m, o) == m;
        for (uint64_t i = 0; i < pad; i++) ok = ok && fputc(' ', o) != EOF;
        ok = ok && fwrite(data, 1, data_len, o) == data_len;
        if (fclose(o) != 0 || !ok) rc = fail("cannot write", argv[2]);
    }
    json_object_put(hdr);
    free(data);
    return rc;
}
