/* node_exec.c — the execute boundary every node type handed to a host goes through:
 * host copies of device inputs for nodes running on the CPU, device out-of-memory
 * messages that name the node, and the device arena given back after the call. */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The ctx the node sees: the host's, with callbacks that forward to it (so the host
 * still receives its own ctx) and a set_error that words a device OOM. */
typedef struct boundary_ctx {
    ltx2_exec_ctx ctx; /* first: the node's ctx pointer is this struct */
    ltx2_exec_ctx *host;
    ltx2_node *node;
} boundary_ctx;

static ltx2_status fwd_progress(ltx2_exec_ctx *ctx, double value, double max, const char *phase)
{
    boundary_ctx *b = (boundary_ctx *)ctx;
    return b->host->progress(b->host, value, max, phase);
}

static void fwd_log(ltx2_exec_ctx *ctx, int32_t level, const char *message)
{
    boundary_ctx *b = (boundary_ctx *)ctx;
    b->host->log(b->host, level, message);
}

static void fwd_set_error(ltx2_exec_ctx *ctx, ltx2_status code, const char *input, const char *message)
{
    boundary_ctx *b = (boundary_ctx *)ctx;
    if (code == LTX2_ERR_OOM && b->node->exec_cuda) { /* the node ran on a device */
        char msg[1024];
        ltx2_device_oom_message(b->node->exec_cuda, b->host, input, message, msg, sizeof msg);
        b->host->set_error(b->host, code, input, msg);
        return;
    }
    b->host->set_error(b->host, code, input, message);
}

static void boundary_init(boundary_ctx *b, ltx2_exec_ctx *host, ltx2_node *node)
{
    memset(b, 0, sizeof *b);
    size_t n = host->struct_size < sizeof b->ctx ? host->struct_size : sizeof b->ctx;
    memcpy(&b->ctx, host, n);
    b->ctx.struct_size = (uint32_t)n; /* the node still sees the host's ABI version */
    b->host = host;
    b->node = node;
    b->ctx.progress = host->progress ? fwd_progress : NULL;
    b->ctx.log = host->log ? fwd_log : NULL;
    b->ctx.set_error = host->set_error ? fwd_set_error : NULL;
}

/* Host copies of the inputs that hold device tensors; NULL with *conv_out NULL when
 * every input is on the host already (the common case: no copy, no allocation). */
static ltx2_status inputs_to_host(const ltx2_node_type *type, ltx2_exec_ctx *ctx, const ltx2_value *in,
                                  ltx2_value **conv_out, bool **owned_out)
{
    *conv_out = NULL;
    *owned_out = NULL;
    uint32_t n = type->n_inputs, first = n;
    for (uint32_t i = 0; i < n && first == n; i++)
        if (!ltx2_value_on_host(&in[i]))
            first = i;
    if (first == n)
        return LTX2_OK;
    ltx2_value *conv = malloc(n * sizeof *conv);
    bool *owned = calloc(n, sizeof *owned);
    if (!conv || !owned) {
        free(conv);
        free(owned);
        return ltx2_fail(ctx, LTX2_ERR_OOM, type->inputs[first].name, "out of memory copying inputs to the host");
    }
    memcpy(conv, in, n * sizeof *conv);
    for (uint32_t i = first; i < n; i++) {
        if (ltx2_value_on_host(&in[i]))
            continue;
        ltx2_error err = {0};
        ltx2_status st = ltx2_value_to_host(&in[i], &conv[i], &err);
        if (st != LTX2_OK) {
            for (uint32_t j = 0; j < i; j++)
                if (owned[j])
                    ltx2_value_release(&conv[j]);
            free(conv);
            free(owned);
            return ltx2_fail_err(ctx, type->inputs[i].name, &err);
        }
        owned[i] = true;
    }
    *conv_out = conv;
    *owned_out = owned;
    return LTX2_OK;
}

ltx2_status ltx2_node_execute_boundary(const ltx2_node_type *inner, void *instance, ltx2_exec_ctx *ctx,
                                       const ltx2_value *in, ltx2_value *out)
{
    boundary_ctx b;
    boundary_init(&b, ctx, instance);
    ltx2_value *conv = NULL;
    bool *owned = NULL;
    if (ltx2_node_cuda_index(instance, &b.ctx) < 0) { /* runs on the CPU: host inputs only */
        ltx2_status st = inputs_to_host(inner, &b.ctx, in, &conv, &owned);
        if (st != LTX2_OK)
            return st;
    }
    ltx2_status st = inner->execute(instance, &b.ctx, conv ? conv : in, out);
    ltx2_node_exec_end(instance);
    if (conv) {
        for (uint32_t i = 0; i < inner->n_inputs; i++)
            if (owned[i])
                ltx2_value_release(&conv[i]);
        free(conv);
        free(owned);
    }
    return st;
}
