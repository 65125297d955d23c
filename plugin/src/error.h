/* error.h — errors as values for the layers below the nodes (store, models).
 * A node turns one into ctx->set_error with the name of the input at fault. */
#ifndef LTX2_ERROR_H
#define LTX2_ERROR_H
#include "ltx2/ltx2_plugin.h"

typedef struct ltx2_error {
    ltx2_status code;
    char msg[512];
} ltx2_error;

/* Sets err (when not NULL) and returns code, so callers can `return ltx2_err(...)`. */
ltx2_status ltx2_err(ltx2_error *err, ltx2_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes an existing message: "context: old message". */
ltx2_status ltx2_err_prefix(ltx2_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
