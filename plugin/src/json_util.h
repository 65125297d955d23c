/* json_util.h — reading a checkpoint's `config` metadata (json-c) with fallbacks.
 * Every getter is NULL-safe: a missing object or key gives the fallback. */
#ifndef LTX2_JSON_UTIL_H
#define LTX2_JSON_UTIL_H
#include <stdbool.h>
#include <stdint.h>

struct json_object;

struct json_object *ltx2_json_get(struct json_object *o, const char *key);
int64_t ltx2_json_int(struct json_object *o, const char *key, int64_t fallback);
double ltx2_json_double(struct json_object *o, const char *key, double fallback);
bool ltx2_json_bool(struct json_object *o, const char *key, bool fallback);
/* The value when it is a JSON string, else fallback. */
const char *ltx2_json_str(struct json_object *o, const char *key, const char *fallback);
/* Copies an integer array of at most max entries; returns its length, or -1 when the
 * key is missing, not an array, or longer than max. */
int ltx2_json_ints(struct json_object *o, const char *key, int *dst, int max);

#endif
