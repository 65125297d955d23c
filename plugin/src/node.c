/* node.c — helpers every node uses: default instances, errors, input access. */
#include "node.h"

#include "cuda/kcuda.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ltx2_precision_options[] = {"exact", "fast", NULL};

ltx2_status ltx2_node_init_default(const ltx2_plugin *plugin, const ltx2_node_type *type,
                                   void **out_instance)
{
    ltx2_node *n = calloc(1, sizeof *n);
    if (!n)
        return LTX2_ERR_OOM;
    n->plugin = plugin;
    n->type = type;
    *out_instance = n;
    return LTX2_OK;
}

void ltx2_node_free_default(void *instance)
{
    ltx2_node *n = instance;
    if (!n)
        return;
    ltx2_node_exec_end(n);
    if (n->state && n->free_state)
        n->free_state(n->state);
    free(n);
}

static kctx cpu_kctx(void *instance, const ltx2_exec_ctx *ctx, int fast)
{
    kctx k = kctx_default(ltx2_node_runtime(instance)->pool);
    k.prec = fast ? KP_FAST : KP_EXACT;
    k.cancel = ctx ? ctx->cancel_flag : NULL;
    return k;
}

int ltx2_node_cuda_index(void *instance, const ltx2_exec_ctx *ctx)
{
    const ltx2_node *n = instance;
    if (!ctx || !LTX2_HAS_FIELD(ctx, ltx2_exec_ctx, stream) || ctx->device != LTX2_DEVICE_CUDA ||
        !(n->type->flags & LTX2_NODE_CUDA))
        return -1;
    return ctx->device_index;
}

ltx2_status ltx2_node_kctx_get(void *instance, ltx2_exec_ctx *ctx, int fast, kctx *out)
{
    *out = cpu_kctx(instance, ctx, fast);
    int index = ltx2_node_cuda_index(instance, ctx);
    if (index < 0)
        return LTX2_OK;
    if (ctx->stream)
        return ltx2_fail(ctx, LTX2_ERR_UNSUPPORTED, NULL, "cuda:%d: a host stream is not supported yet (pass NULL)",
                         index);
    ltx2_error err = {0};
    kcuda *d = NULL;
    ltx2_status st = ltx2_runtime_cuda(ltx2_node_runtime(instance), index, &d, &err);
    if (st != LTX2_OK)
        return ltx2_fail_err(ctx, NULL, &err);
    ltx2_node *n = instance;
    if (!n->exec_arena) {
        kstatus ks = ltx2_runtime_arena_take(ltx2_node_runtime(instance), d, &n->exec_arena);
        if (ks != KS_OK)
            return ltx2_fail_k(ctx, NULL, ks, "device workspace");
        n->exec_cuda = d;
    }
    out->backend = KB_CUDA;
    out->cuda = d;
    out->arena = n->exec_arena;
    /* the host's budget for this execute: model entry points plan residency with it */
    if (LTX2_HAS_FIELD(ctx, ltx2_exec_ctx, vram_budget))
        out->budget = (size_t)ctx->vram_budget;
    return LTX2_OK;
}

void ltx2_node_exec_end(void *instance)
{
    ltx2_node *n = instance;
    if (!n || !n->exec_arena)
        return;
    ltx2_runtime_arena_give(ltx2_node_runtime(instance), n->exec_cuda, n->exec_arena);
    n->exec_arena = NULL;
    n->exec_cuda = NULL;
}

void ltx2_device_oom_message(kcuda *d, const ltx2_exec_ctx *ctx, const char *input, const char *what,
                             char *buf, size_t size)
{
    size_t used = kcuda_bytes_in_use(d), budget = kcuda_budget(d);
    const char *dev = kcuda_last_error(d);
    snprintf(buf, size, "out of device memory on cuda:%d in node %s (%s)%s%s%s: %s%s%s; %zu bytes in use of a %zu-byte budget, %zu free",
             kcuda_ordinal(d), ctx && ctx->node_id ? ctx->node_id : "?", ctx && ctx->class_type ? ctx->class_type : "?",
             input ? ", input '" : "", input ? input : "", input ? "'" : "", what ? what : "",
             dev[0] ? "; device: " : "", dev, used, budget, budget > used ? budget - used : 0);
}

kctx ltx2_node_kctx(void *instance, const ltx2_exec_ctx *ctx, int fast)
{
    kctx k;
    if (ltx2_node_kctx_get(instance, (ltx2_exec_ctx *)ctx, fast, &k) != LTX2_OK)
        return cpu_kctx(instance, ctx, fast);
    return k;
}

ltx2_status ltx2_fail(ltx2_exec_ctx *ctx, ltx2_status code, const char *input, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx && ctx->set_error)
        ctx->set_error(ctx, code, input, msg);
    return code;
}

ltx2_status ltx2_fail_err(ltx2_exec_ctx *ctx, const char *input, const ltx2_error *err)
{
    ltx2_status code = err->code != LTX2_OK ? err->code : LTX2_ERR_FAILED;
    if (code == LTX2_CANCELLED)
        return code;
    return ltx2_fail(ctx, code, input, "%s", err->msg);
}

ltx2_status ltx2_kstatus(kstatus ks)
{
    switch (ks) {
    case KS_OK: return LTX2_OK;
    case KS_CANCELLED: return LTX2_CANCELLED;
    case KS_OOM: return LTX2_ERR_OOM;
    case KS_BAD_ARG: return LTX2_ERR_BAD_INPUT;
    case KS_UNSUPPORTED: return LTX2_ERR_UNSUPPORTED;
    case KS_DEVICE: return LTX2_ERR_FAILED;
    }
    return LTX2_ERR_INTERNAL;
}

ltx2_status ltx2_kerr(ltx2_error *err, kstatus ks, const char *what)
{
    ltx2_status code = ltx2_kstatus(ks);
    if (code == LTX2_OK || code == LTX2_CANCELLED)
        return code;
    return ltx2_err(err, code, "%s: %s", what, k_status_name(ks));
}

ltx2_status ltx2_fail_k(ltx2_exec_ctx *ctx, const char *input, kstatus ks, const char *what)
{
    ltx2_status code = ltx2_kstatus(ks);
    if (code == LTX2_OK || code == LTX2_CANCELLED)
        return code;
    return ltx2_fail(ctx, code, input, "%s: %s", what, k_status_name(ks));
}

void ltx2_logf(ltx2_exec_ctx *ctx, int level, const char *fmt, ...)
{
    if (!ctx || !ctx->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->log(ctx, level, msg);
}

static const char *port_name(const ltx2_node_type *type, uint32_t idx)
{
    return type && idx < type->n_inputs ? type->inputs[idx].name : "?";
}

static bool port_optional(const ltx2_node_type *type, uint32_t idx)
{
    return type && idx < type->n_inputs && (type->inputs[idx].flags & LTX2_PORT_OPTIONAL);
}

ltx2_status ltx2_in_object(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                           uint32_t idx, const char *object_type, ltx2_object **out)
{
    *out = NULL;
    const ltx2_value *v = &in[idx];
    if (v->kind == LTX2_V_NONE) {
        if (port_optional(type, idx))
            return LTX2_OK;
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port_name(type, idx),
                         "no value (expected %s): the node feeding it produced none (a checkpoint without that component?)",
                         object_type ? object_type : "an object");
    }
    if (v->kind != LTX2_V_OBJECT)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port_name(type, idx), "expected %s, got a %s",
                         object_type ? object_type : "an object",
                         v->kind == LTX2_V_TENSOR ? "tensor" : "scalar");
    if (object_type && !ltx2_object_is(v->u.o, object_type))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port_name(type, idx), "expected %s, got %s",
                         object_type, ltx2_object_type(v->u.o));
    *out = v->u.o;
    return LTX2_OK;
}

ltx2_status ltx2_in_tensor(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                           uint32_t idx, ltx2_tensor **out)
{
    *out = NULL;
    const ltx2_value *v = &in[idx];
    if (v->kind == LTX2_V_NONE) {
        if (port_optional(type, idx))
            return LTX2_OK;
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port_name(type, idx), "no value (expected a tensor)");
    }
    if (v->kind != LTX2_V_TENSOR)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port_name(type, idx), "expected a tensor");
    *out = v->u.t;
    return LTX2_OK;
}

int64_t ltx2_in_int(const ltx2_value *in, uint32_t idx)
{
    switch (in[idx].kind) {
    case LTX2_V_INT: return in[idx].u.i;
    case LTX2_V_FLOAT: return (int64_t)in[idx].u.f;
    case LTX2_V_BOOL: return in[idx].u.b;
    default: return 0;
    }
}

double ltx2_in_float(const ltx2_value *in, uint32_t idx)
{
    switch (in[idx].kind) {
    case LTX2_V_INT: return (double)in[idx].u.i;
    case LTX2_V_FLOAT: return in[idx].u.f;
    case LTX2_V_BOOL: return in[idx].u.b;
    default: return 0.0;
    }
}

bool ltx2_in_bool(const ltx2_value *in, uint32_t idx)
{
    switch (in[idx].kind) {
    case LTX2_V_BOOL: return in[idx].u.b != 0;
    case LTX2_V_INT: return in[idx].u.i != 0;
    default: return false;
    }
}

const char *ltx2_in_string(const ltx2_value *in, uint32_t idx)
{
    return in[idx].kind == LTX2_V_STRING && in[idx].u.s ? in[idx].u.s : "";
}

int ltx2_in_fast(const ltx2_value *in, uint32_t idx)
{
    return strcmp(ltx2_in_string(in, idx), "fast") == 0;
}
