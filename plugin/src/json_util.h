/* json_util.h — reading a checkpoint's `config` metadata (json-c) with fallbacks.
 * Every getter is NULL-safe: a missing object or key gives the fallback. */
#ifndef LTX2_JSON_UTIL_H
#define LTX2_JSON_UTIL_H
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct json_object;

struct json_object *ltx2_json_get(struct json_object *o, const char *key);
int64_t ltx2_json_int(struct json_object *o, const char *key, int64_t fallback);
bool ltx2_json_bool(struct json_object *o, const char *key, bool fallback);
/* The value when it is a JSON string, else fallback. */
const char *ltx2_json_str(struct json_object *o, const char *key, const char *fallback);

/* ---- validated reads: every failure names `where.key` (where: e.g. "config vae") ----
 * A missing key (or o NULL, or a JSON null) gives the fallback; a present one must be
 * of the right type and within [min, max]. */
/* An integral number (3 and 3.0 alike). */
ltx2_status ltx2_cfg_int(struct json_object *o, const char *where, const char *key, int64_t fallback,
                         int64_t min, int64_t max, int64_t *out, ltx2_error *err);
/* ltx2_cfg_int into an int (min and max must fit an int). */
ltx2_status ltx2_cfg_int32(struct json_object *o, const char *where, const char *key, int fallback,
                           int min, int max, int *out, ltx2_error *err);
/* A finite number. */
ltx2_status ltx2_cfg_num(struct json_object *o, const char *where, const char *key, double fallback,
                         double min, double max, double *out, ltx2_error *err);
/* A list of 1..max_n integers, each in [min, max]; *n receives the length. A missing key
 * is an error (a list has no meaningful fallback). */
ltx2_status ltx2_cfg_ints(struct json_object *o, const char *where, const char *key, int *dst,
                          int max_n, int min, int max, int *n, ltx2_error *err);
/* The same for a list value itself (an element of a list of lists); `what` names it. */
ltx2_status ltx2_cfg_int_list(struct json_object *a, const char *what, int *dst, int max_n, int min,
                              int max, int *n, ltx2_error *err);
/* A JSON value as an integer in [min, max] (an element of a list); `what` names it. */
ltx2_status ltx2_cfg_int_value(struct json_object *v, const char *what, int64_t min, int64_t max,
                               int64_t *out, ltx2_error *err);

#endif
