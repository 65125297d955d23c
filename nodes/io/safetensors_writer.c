/* safetensors_writer.c — writes named contiguous tensors in their own dtype: the
 * header (json-c, padded with spaces to 8 bytes) then the data, back to back. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

/* Data order: larger elements first (stable), so back-to-back tensors after the
 * 8-aligned header all start aligned to their element size. */
static size_t *aligned_order(ltx2_tensor *const *tensors, size_t n)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order), k = 0;
    if (!order)
        return NULL;
    for (size_t es = 8; es >= 1; es /= 2)
        for (size_t i = 0; i < n; i++)
            if (ltx2_dtype_size(tensors[i]->dtype) == es)
                order[k++] = i;
    for (size_t i = 0; i < n; i++) /* odd sizes, should any appear */
        if (ltx2_dtype_size(tensors[i]->dtype) != 8 && ltx2_dtype_size(tensors[i]->dtype) != 4 &&
            ltx2_dtype_size(tensors[i]->dtype) != 2 && ltx2_dtype_size(tensors[i]->dtype) != 1)
            order[k++] = i;
    return order;
}

ltx2_status io_st_write(FILE *f, const char *const *names, ltx2_tensor *const *tensors, size_t n,
                        const char *metadata_json, ltx2_error *err)
{
    struct json_object *root = json_object_new_object();
    size_t *order = aligned_order(tensors, n);
    if (!root || !order) {
        json_object_put(root);
        free(order);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    ltx2_status st = LTX2_OK;
    if (metadata_json && strcmp(metadata_json, "{}") != 0) {
        struct json_object *meta = json_tokener_parse(metadata_json);
        struct json_object *flat = json_object_new_object();
        if (meta && flat && json_object_is_type(meta, json_type_object)) {
            /* safetensors metadata is string → string: other values are serialised. */
            json_object_object_foreach(meta, k, v)
            {
                const char *s = json_object_is_type(v, json_type_string)
                                    ? json_object_get_string(v)
                                    : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
                json_object_object_add(flat, k, json_object_new_string(s));
            }
            json_object_object_add(root, "__metadata__", flat);
            flat = NULL;
        }
        json_object_put(flat);
        json_object_put(meta);
    }
    uint64_t off = 0;
    for (size_t k = 0; k < n && st == LTX2_OK; k++) {
        size_t i = order[k];
        const ltx2_tensor *t = tensors[i];
        if (!ltx2_tensor_is_contiguous(t) || t->device != LTX2_DEVICE_CPU) {
            st = ltx2_err(err, LTX2_ERR_INTERNAL, "tensor '%s' is not a contiguous CPU tensor", names[i]);
            break;
        }
        if (json_object_object_get_ex(root, names[i], NULL)) {
            st = ltx2_err(err, LTX2_ERR_BAD_INPUT, "two tensors are named '%s'", names[i]);
            break;
        }
        struct json_object *e = json_object_new_object(), *shape = json_object_new_array();
        struct json_object *offs = json_object_new_array();
        for (int d = 0; d < t->ndim; d++)
            json_object_array_add(shape, json_object_new_int64(t->shape[d]));
        uint64_t nb = ltx2_tensor_nbytes(t);
        json_object_array_add(offs, json_object_new_int64((int64_t)off));
        json_object_array_add(offs, json_object_new_int64((int64_t)(off + nb)));
        json_object_object_add(e, "dtype", json_object_new_string(ltx2_dtype_name(t->dtype)));
        json_object_object_add(e, "shape", shape);
        json_object_object_add(e, "data_offsets", offs);
        json_object_object_add(root, names[i], e);
        off += nb;
    }
    if (st == LTX2_OK) {
        const char *h = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t hn = strlen(h), padded = (hn + 7) / 8 * 8;
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)((uint64_t)padded >> (8 * i));
        static const char spaces[8] = "        ";
        int ok = fwrite(le, 1, 8, f) == 8 && fwrite(h, 1, hn, f) == hn &&
                 fwrite(spaces, 1, padded - hn, f) == padded - hn;
        for (size_t k = 0; ok && k < n; k++) {
            size_t nb = ltx2_tensor_nbytes(tensors[order[k]]);
            ok = nb == 0 || fwrite(tensors[order[k]]->data, 1, nb, f) == nb;
        }
        if (!ok)
            st = ltx2_err(err, LTX2_ERR_IO, "write error");
    }
    json_object_put(root);
    free(order);
    return st;
}
