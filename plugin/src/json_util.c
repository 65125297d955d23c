/* json_util.c — NULL-safe config getters (see json_util.h). */
#include "json_util.h"

#include <json-c/json.h>

struct json_object *ltx2_json_get(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

int64_t ltx2_json_int(struct json_object *o, const char *key, int64_t fallback)
{
    struct json_object *v = ltx2_json_get(o, key);
    return v ? json_object_get_int64(v) : fallback;
}

double ltx2_json_double(struct json_object *o, const char *key, double fallback)
{
    struct json_object *v = ltx2_json_get(o, key);
    return v ? json_object_get_double(v) : fallback;
}

bool ltx2_json_bool(struct json_object *o, const char *key, bool fallback)
{
    struct json_object *v = ltx2_json_get(o, key);
    return v ? json_object_get_boolean(v) : fallback;
}

const char *ltx2_json_str(struct json_object *o, const char *key, const char *fallback)
{
    struct json_object *v = ltx2_json_get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : fallback;
}

int ltx2_json_ints(struct json_object *o, const char *key, int *dst, int max)
{
    struct json_object *a = ltx2_json_get(o, key);
    if (!a || !json_object_is_type(a, json_type_array))
        return -1;
    int n = (int)json_object_array_length(a);
    if (n > max)
        return -1;
    for (int i = 0; i < n; i++)
        dst[i] = json_object_get_int(json_object_array_get_idx(a, (size_t)i));
    return n;
}
