/* json_util.c — NULL-safe config getters (see json_util.h). */
#include "json_util.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>

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

/* ---- validated reads ---- */
static bool is_number(struct json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static struct json_object *present(struct json_object *o, const char *key)
{
    struct json_object *v = ltx2_json_get(o, key);
    return v && !json_object_is_type(v, json_type_null) ? v : NULL;
}

ltx2_status ltx2_cfg_int_value(struct json_object *v, const char *what, int64_t min, int64_t max,
                               int64_t *out, ltx2_error *err)
{
    if (!v || !is_number(v))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: not a number", what);
    if (json_object_is_type(v, json_type_int)) {
        /* json-c saturates out-of-range integers at INT64_MIN/MAX: both are refused below. */
        int64_t i = json_object_get_int64(v);
        if (i < min || i > max)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %lld is outside [%lld, %lld]", what, (long long)i,
                            (long long)min, (long long)max);
        *out = i;
        return LTX2_OK;
    }
    double d = json_object_get_double(v);
    if (!isfinite(d) || d != floor(d))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %g is not an integer", what, d);
    if (d < (double)min || d > (double)max)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %g is outside [%lld, %lld]", what, d, (long long)min,
                        (long long)max);
    *out = (int64_t)d;
    return LTX2_OK;
}

ltx2_status ltx2_cfg_int(struct json_object *o, const char *where, const char *key, int64_t fallback,
                         int64_t min, int64_t max, int64_t *out, ltx2_error *err)
{
    struct json_object *v = present(o, key);
    if (!v) {
        *out = fallback;
        return LTX2_OK;
    }
    char what[256];
    snprintf(what, sizeof what, "%s.%s", where, key);
    return ltx2_cfg_int_value(v, what, min, max, out, err);
}

ltx2_status ltx2_cfg_int32(struct json_object *o, const char *where, const char *key, int fallback,
                           int min, int max, int *out, ltx2_error *err)
{
    int64_t i;
    ltx2_status s = ltx2_cfg_int(o, where, key, fallback, min, max, &i, err);
    if (s == LTX2_OK)
        *out = (int)i;
    return s;
}

ltx2_status ltx2_cfg_num(struct json_object *o, const char *where, const char *key, double fallback,
                         double min, double max, double *out, ltx2_error *err)
{
    struct json_object *v = present(o, key);
    if (!v) {
        *out = fallback;
        return LTX2_OK;
    }
    if (!is_number(v))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s.%s: not a number", where, key);
    double d = json_object_get_double(v);
    if (!isfinite(d))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s.%s: %g is not finite", where, key, d);
    if (d < min || d > max)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s.%s: %g is outside [%g, %g]", where, key, d, min, max);
    *out = d;
    return LTX2_OK;
}

ltx2_status ltx2_cfg_int_list(struct json_object *a, const char *what, int *dst, int max_n, int min,
                              int max, int *n, ltx2_error *err)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: missing or not a list", what);
    size_t len = json_object_array_length(a);
    if (len < 1 || len > (size_t)max_n)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %zu entries (1 to %d supported)", what, len, max_n);
    for (size_t i = 0; i < len; i++) {
        char elem[300];
        snprintf(elem, sizeof elem, "%s[%zu]", what, i);
        int64_t x;
        ltx2_status s = ltx2_cfg_int_value(json_object_array_get_idx(a, i), elem, min, max, &x, err);
        if (s != LTX2_OK)
            return s;
        dst[i] = (int)x;
    }
    *n = (int)len;
    return LTX2_OK;
}

ltx2_status ltx2_cfg_ints(struct json_object *o, const char *where, const char *key, int *dst,
                          int max_n, int min, int max, int *n, ltx2_error *err)
{
    char what[256];
    snprintf(what, sizeof what, "%s.%s", where, key);
    return ltx2_cfg_int_list(present(o, key), what, dst, max_n, min, max, n, err);
}
