/* error.c — formatting of ltx2_error values. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

ltx2_status ltx2_err(ltx2_error *err, ltx2_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

ltx2_status ltx2_err_prefix(ltx2_error *err, const char *fmt, ...)
{
    if (!err)
        return LTX2_ERR_FAILED;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return err->code;
}
