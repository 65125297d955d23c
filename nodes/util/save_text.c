/* LTX2SaveText: an output node that writes a readable description of any value
 * (the number or string itself; a tensor's dtype and shape; an object's type and
 * entries) to a text file. The write is atomic (io_tmp: temp file + rename), so a
 * failed or cancelled run leaves no partial file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "node.h"
#include "util/util.h"

/* FNV-1a over the bytes of a contiguous tensor: lets tests compare contents
 * through the text file without dumping the data. */
static uint64_t content_hash(const ltx2_tensor *t)
{
    const unsigned char *b = t->data;
    size_t n = ltx2_tensor_nbytes(t);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void describe(FILE *f, const ltx2_value *v, int depth)
{
    char buf[256];
    switch (v->kind) {
    case LTX2_V_INT: fprintf(f, "%lld", (long long)v->u.i); break;
    case LTX2_V_FLOAT: fprintf(f, "%.17g", v->u.f); break;
    case LTX2_V_BOOL: fputs(v->u.b ? "true" : "false", f); break;
    case LTX2_V_STRING: fputs(v->u.s ? v->u.s : "", f); break;
    case LTX2_V_TENSOR:
        fprintf(f, "tensor %s", ltx2_tensor_str(v->u.t, buf, sizeof buf));
        if (v->u.t->device == LTX2_DEVICE_CPU && ltx2_tensor_is_contiguous(v->u.t))
            fprintf(f, " fnv1a=%016llx", (unsigned long long)content_hash(v->u.t));
        break;
    case LTX2_V_OBJECT: {
        uint32_t n = ltx2_object_count(v->u.o);
        fprintf(f, "object %s (%u entries)", ltx2_object_type(v->u.o), n);
        for (uint32_t i = 0; i < n && depth < 4; i++) {
            const char *key = NULL;
            ltx2_value e;
            if (ltx2_object_entry(v->u.o, i, &key, &e) != LTX2_OK)
                continue;
            fprintf(f, "\n%*s%s: ", 2 * (depth + 1), "", key ? key : "?");
            describe(f, &e, depth + 1);
        }
        break;
    }
    default: fputs("none", f);
    }
}

static ltx2_status save_text_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    (void)out;
    const char *path = ltx2_in_string(in, 1);
    if (!path[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "path", "empty path");
    io_tmp tmp;
    ltx2_error err = {0};
    if (io_tmp_open_ex(&tmp, path, 0, &err) != LTX2_OK) /* the folder must exist */
        return ltx2_fail_err(ctx, "path", &err);
    describe(tmp.f, &in[0], 0);
    fputc('\n', tmp.f);
    ltx2_status st = io_tmp_close(&tmp, ltx2_cancelled(ctx) ? LTX2_CANCELLED : LTX2_OK, &err);
    if (st != LTX2_OK && st != LTX2_CANCELLED)
        return ltx2_fail_err(ctx, "path", &err);
    return st;
}

static const ltx2_port save_text_in[] = {
    LTX2_PORT("value", "*", 0, "Any value: numbers and strings are written as they are, tensors and objects described."),
    LTX2_PORT_STRING("path", "out.txt", 0, "The text file to write (replaced atomically)."),
};
static const ltx2_port save_text_out[] = {LTX2_PORT("path", "STRING", 0, "The path written.")};

static ltx2_status save_text_run(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_status st = save_text_execute(inst, ctx, in, out);
    if (st == LTX2_OK) {
        out[0] = ltx2_value_string(ltx2_in_string(in, 1));
        if (out[0].kind == LTX2_V_NONE)
            return ltx2_fail(ctx, LTX2_ERR_OOM, "path", "out of memory");
    }
    return st;
}

const ltx2_node_type ltx2_node_save_text =
    LTX2_NODE_TYPE("LTX2SaveText", "Save Text", "utils", LTX2_NODE_OUTPUT,
                   "Writes a value as text: numbers and strings verbatim, tensors as dtype, shape and an FNV-1a "
                   "hash of their bytes, objects "
                   "with their entries.",
                   save_text_in, save_text_out, save_text_run);
