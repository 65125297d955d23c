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
    /* prefix + ": " + old message, truncated to the buffer. */
    size_t np = strnlen(prefix, sizeof prefix), no = strnlen(old, sizeof old - 1);
    size_t cap = sizeof err->msg - 1, k = 0;
    for (size_t i = 0; i < np && k < cap; i++)
        err->msg[k++] = prefix[i];
    for (const char *s = ": "; *s && k < cap; s++)
        err->msg[k++] = *s;
    for (size_t i = 0; i < no && k < cap; i++)
        err->msg[k++] = old[i];
    err->msg[k] = 0;
    return err->code;
}
