/* dit_blocks.c — block lists for perturbations ("", "all", "29", "1, 3", "-1"). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transformer.h"

ltx2_status ltx2_dit_blocks_parse(const char *s, int num_layers, int *idx, int cap, ltx2_dit_blocks *out,
                                  ltx2_error *err)
{
    *out = (ltx2_dit_blocks){false, idx, 0};
    if (!s)
        return LTX2_OK;
    while (isspace((unsigned char)*s))
        s++;
    if (!strncmp(s, "all", 3)) {
        const char *e = s + 3;
        while (isspace((unsigned char)*e))
            e++;
        if (!*e) {
            out->all = true;
            return LTX2_OK;
        }
    }
    while (*s) {
        if (*s == ',' || isspace((unsigned char)*s) || *s == '[' || *s == ']') {
            s++;
            continue;
        }
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "bad block list entry at \"%.20s\"", s);
        if (v < 0)
            v += num_layers;
        if (v < 0 || v >= num_layers)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "block %.*s out of range (model has %d blocks)",
                            (int)(end - s), s, num_layers);
        if (out->n >= cap)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "block list longer than %d entries", cap);
        idx[out->n++] = (int)v;
        s = end;
    }
    return LTX2_OK;
}
