/* node.h — what every node implementation includes: the instance base, port and
 * descriptor macros, input accessors that report errors naming the input, and the
 * progress / cancel / log helpers. */
#ifndef LTX2_NODE_H
#define LTX2_NODE_H
#include <stdbool.h>
#include "ltx2/ltx2_plugin.h"
#include "error.h"
#include "kernels.h"
#include "object.h"
#include "runtime.h"
#include "tensor.h"

/* ---------------------------------------------------------------- instances */
/* Every instance starts with this. Nodes with state allocate a larger struct
 * whose first member is ltx2_node, or hang state on `state`. */
typedef struct ltx2_node {
    const ltx2_plugin *plugin;
    const ltx2_node_type *type;
    void *state;
    void (*free_state)(void *state);
} ltx2_node;

ltx2_status ltx2_node_init_default(const ltx2_plugin *plugin, const ltx2_node_type *type,
                                   void **out_instance);
void ltx2_node_free_default(void *instance);
static inline ltx2_runtime *ltx2_node_runtime(void *instance)
{
    return ltx2_runtime_of(((ltx2_node *)instance)->plugin);
}
/* Kernel context of this plugin instance for one execute: fast != 0 selects bf16
 * precision; the kernels stop early once ctx's cancel flag is set (ctx may be NULL).
 * A CUDA kctx (the runtime's device, no arena yet) when the ctx asks for CUDA (ABI 1.2
 * ctx->device) and the node type has LTX2_NODE_CUDA; else the CPU. ltx2_node_kctx_get
 * reports a device that cannot be opened (set_error naming it, and the status);
 * ltx2_node_kctx falls back to the CPU then. */
ltx2_status ltx2_node_kctx_get(void *instance, ltx2_exec_ctx *ctx, int fast, kctx *out);
kctx ltx2_node_kctx(void *instance, const ltx2_exec_ctx *ctx, int fast);
/* The CUDA ordinal the ctx asks this node to run on, or -1 for the CPU. */
int ltx2_node_cuda_index(void *instance, const ltx2_exec_ctx *ctx);

/* ---------------------------------------------------------------- errors, progress */
/* Reports through ctx->set_error and returns code. input may be NULL. */
ltx2_status ltx2_fail(ltx2_exec_ctx *ctx, ltx2_status code, const char *input, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
ltx2_status ltx2_fail_err(ltx2_exec_ctx *ctx, const char *input, const ltx2_error *err);
/* A kernel status as a plugin status: KS_CANCELLED is LTX2_CANCELLED, KS_OOM
 * LTX2_ERR_OOM, KS_BAD_ARG LTX2_ERR_BAD_INPUT, KS_UNSUPPORTED LTX2_ERR_UNSUPPORTED,
 * KS_DEVICE LTX2_ERR_FAILED. */
ltx2_status ltx2_kstatus(kstatus ks);
/* Fills err with "what: <status>" (nothing for OK or a cancel) and returns ltx2_kstatus(ks). */
ltx2_status ltx2_kerr(ltx2_error *err, kstatus ks, const char *what);
/* In a node: reports a failed op as an error naming the input (may be NULL); a cancel
 * returns LTX2_CANCELLED without an error, KS_OK returns LTX2_OK. */
ltx2_status ltx2_fail_k(ltx2_exec_ctx *ctx, const char *input, kstatus ks, const char *what);
void ltx2_logf(ltx2_exec_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline ltx2_status ltx2_progress(ltx2_exec_ctx *ctx, double v, double max, const char *phase)
{
    return ctx->progress ? ctx->progress(ctx, v, max, phase) : LTX2_OK;
}
static inline bool ltx2_cancelled(const ltx2_exec_ctx *ctx)
{
    return ctx->cancel_flag && *ctx->cancel_flag != 0;
}

/* False only when the host says output i has no consumer (ABI 1.1 outputs_wanted). */
static inline bool ltx2_output_wanted(const ltx2_exec_ctx *ctx, uint32_t i)
{
    if (!ctx || !LTX2_HAS_FIELD(ctx, ltx2_exec_ctx, outputs_wanted) || i >= 64)
        return true;
    return (ctx->outputs_wanted >> i) & 1u;
}

/* ---------------------------------------------------------------- inputs */
/* Each returns LTX2_OK or reports a BAD_INPUT error naming the port. A NONE value
 * on an optional port yields NULL with LTX2_OK. */
ltx2_status ltx2_in_object(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                           uint32_t idx, const char *object_type, ltx2_object **out);
ltx2_status ltx2_in_tensor(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                           uint32_t idx, ltx2_tensor **out);
int64_t ltx2_in_int(const ltx2_value *in, uint32_t idx);     /* INT (or FLOAT truncated) */
double ltx2_in_float(const ltx2_value *in, uint32_t idx);    /* FLOAT or INT */
bool ltx2_in_bool(const ltx2_value *in, uint32_t idx);
const char *ltx2_in_string(const ltx2_value *in, uint32_t idx); /* "" when NONE */
/* True when the optional input idx is connected / set. */
static inline bool ltx2_in_present(const ltx2_value *in, uint32_t idx) { return in[idx].kind != LTX2_V_NONE; }

/* ---------------------------------------------------------------- descriptor macros */
#define LTX2_V_I(x) {.kind = LTX2_V_INT, .u = {.i = (x)}}
#define LTX2_V_F(x) {.kind = LTX2_V_FLOAT, .u = {.f = (x)}}
#define LTX2_V_B(x) {.kind = LTX2_V_BOOL, .u = {.b = (x)}}
#define LTX2_V_S(x) {.kind = LTX2_V_STRING, .u = {.s = (x)}}

/* A port of a non-scalar type ("LATENT", "MODEL", "TENSORS", ...). */
#define LTX2_PORT(name_, type_, flags_, tip_) \
    {.struct_size = sizeof(ltx2_port), .flags = (flags_), .name = (name_), .type = (type_), .tooltip = (tip_)}
#define LTX2_PORT_INT(name_, def_, min_, max_, step_, flags_, tip_) \
    {.struct_size = sizeof(ltx2_port), .flags = (flags_), .name = (name_), .type = "INT", \
     .tooltip = (tip_), .def = LTX2_V_I(def_), .min = LTX2_V_I(min_), .max = LTX2_V_I(max_), \
     .step = LTX2_V_I(step_)}
#define LTX2_PORT_FLOAT(name_, def_, min_, max_, step_, flags_, tip_) \
    {.struct_size = sizeof(ltx2_port), .flags = (flags_), .name = (name_), .type = "FLOAT", \
     .tooltip = (tip_), .def = LTX2_V_F(def_), .min = LTX2_V_F(min_), .max = LTX2_V_F(max_), \
     .step = LTX2_V_F(step_)}
#define LTX2_PORT_BOOL(name_, def_, flags_, tip_) \
    {.struct_size = sizeof(ltx2_port), .flags = (flags_), .name = (name_), .type = "BOOLEAN", \
     .tooltip = (tip_), .def = LTX2_V_B(def_)}
#define LTX2_PORT_STRING(name_, def_, flags_, tip_) \
    {.struct_size = sizeof(ltx2_port), .flags = (flags_), .name = (name_), .type = "STRING", \
     .tooltip = (tip_), .def = LTX2_V_S(def_)}
/* options: a static NULL-terminated array; def_ one of them. */
#define LTX2_PORT_COMBO(name_, options_, def_, flags_, tip_) \
    {.struct_size = sizeof(ltx2_port), .flags = (flags_), .name = (name_), .type = "COMBO", \
     .tooltip = (tip_), .def = LTX2_V_S(def_), .options = (options_)}
/* The precision option every model node carries. */
extern const char *const ltx2_precision_options[]; /* {"exact", "fast", NULL} */
#define LTX2_PORT_PRECISION \
    LTX2_PORT_COMBO("precision", ltx2_precision_options, "exact", LTX2_PORT_ADVANCED | LTX2_PORT_OPTIONAL, \
                    "exact: f32 everywhere (parity). fast: bf16 activations with f32 accumulation, as the official GPU pipelines.")
/* 1 when the COMBO value at idx is "fast". */
int ltx2_in_fast(const ltx2_value *in, uint32_t idx);

#define LTX2_COUNT(arr) ((uint32_t)(sizeof(arr) / sizeof((arr)[0])))
/* A node type with the default init/free. */
#define LTX2_NODE_TYPE(class_, display_, category_, flags_, desc_, inputs_, outputs_, execute_) \
    {.struct_size = sizeof(ltx2_node_type), .node_version = 1, .flags = (flags_), \
     .class_type = (class_), .display_name = (display_), .category = (category_), \
     .description = (desc_), .inputs = (inputs_), .n_inputs = LTX2_COUNT(inputs_), \
     .outputs = (outputs_), .n_outputs = LTX2_COUNT(outputs_), .init = ltx2_node_init_default, \
     .execute = (execute_), .free = ltx2_node_free_default}

#endif
