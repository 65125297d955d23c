/* comfy_call.h — what the ComfyUI-named nodes share. They are thin adapters: each
 * runs the LTX2* stage node that does the work (comfy_call) with ComfyUI's inputs
 * renamed, so no stage code is duplicated here. */
#ifndef LTX2_COMFY_CALL_H
#define LTX2_COMFY_CALL_H
#include <stddef.h>
#include "node.h"

#define COMFY_MAX_OUT 8

/* One named input of the called node; v is borrowed. */
typedef struct comfy_arg {
    const char *name;
    ltx2_value v;
} comfy_arg;

#define COMFY_OBJ(name_, o_) {(name_), {.kind = LTX2_V_OBJECT, .u = {.o = (o_)}}}
#define COMFY_TEN(name_, t_) {(name_), {.kind = LTX2_V_TENSOR, .u = {.t = (t_)}}}
#define COMFY_INT(name_, x_) {(name_), {.kind = LTX2_V_INT, .u = {.i = (x_)}}}
#define COMFY_FLT(name_, x_) {(name_), {.kind = LTX2_V_FLOAT, .u = {.f = (x_)}}}
#define COMFY_BOOL(name_, x_) {(name_), {.kind = LTX2_V_BOOL, .u = {.b = (x_)}}}
#define COMFY_STR(name_, x_) {(name_), {.kind = LTX2_V_STRING, .u = {.s = (x_)}}}

/* Runs the plugin's node class `cls` (looked up in the caller's plugin table) on a
 * fresh instance of it: inputs not named in
 * args take T's port defaults (NONE without one), as host-sim would pass them.
 * wanted: bit i = output i is read (the others may be skipped by T). out holds
 * the called class's outputs (at most COMFY_MAX_OUT), owned by the caller (release with comfy_release). Errors are
 * reported by T through ctx, naming T's input. */
ltx2_status comfy_call(void *instance, ltx2_exec_ctx *ctx, const char *cls, const comfy_arg *args,
                       size_t n_args, uint64_t wanted, ltx2_value *out);
#define COMFY_CALL(inst_, ctx_, cls_, wanted_, out_, ...) \
    comfy_call((inst_), (ctx_), (cls_), (const comfy_arg[]){__VA_ARGS__}, \
               sizeof((const comfy_arg[]){__VA_ARGS__}) / sizeof(comfy_arg), (wanted_), (out_))
void comfy_release(ltx2_value *v, size_t n);

/* Moves out[i] of a comfy_call into the node's output slot (out[i] becomes NONE). */
static inline ltx2_value comfy_take(ltx2_value *v)
{
    ltx2_value r = *v;
    v->kind = LTX2_V_NONE;
    return r;
}

/* The usual end of an adapter: on success out = the call's first output and the other
 * n - 1 outputs released; st passes through. */
static inline ltx2_status comfy_first(ltx2_status st, ltx2_value *r, size_t n, ltx2_value *out)
{
    if (st)
        return st;
    *out = comfy_take(&r[0]);
    comfy_release(r, n);
    return LTX2_OK;
}

/* A fresh object of type `type` holding `key` = o (retained): wraps a stage object
 * in ComfyUI's type (CLIP, GUIDER, ...). NULL on OOM. */
ltx2_object *comfy_wrap(const char *type, const char *key, ltx2_object *o);

/* The nested stage object `key` of a ComfyUI-typed input (e.g. the AUDIO_VAE inside
 * an audio "VAE"); reports naming `port` when it is missing. */
ltx2_status comfy_unwrap(ltx2_exec_ctx *ctx, const ltx2_object *o, const char *key, const char *port,
                         const char *what, ltx2_object **out);

/* The file named by STRING input idx, checked readable first so that a missing file is
 * reported under ComfyUI's input name (the called LTX2 node would name its own). */
ltx2_status comfy_file_in(ltx2_exec_ctx *ctx, const ltx2_node_type *T, const ltx2_value *in, uint32_t idx,
                          const char **path);

#endif
