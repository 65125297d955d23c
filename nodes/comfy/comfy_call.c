/* comfy_call.c — running an LTX2* stage node on behalf of a ComfyUI-named node. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comfy/comfy_call.h"

static const ltx2_node_type *find_type(const ltx2_plugin *p, const char *cls)
{
    for (uint32_t i = 0; i < p->n_node_types; i++)
        if (!strcmp(p->node_types[i]->class_type, cls))
            return p->node_types[i];
    return NULL;
}

ltx2_status comfy_call(void *instance, ltx2_exec_ctx *ctx, const char *cls, const comfy_arg *args,
                       size_t n_args, uint64_t wanted, ltx2_value *out)
{
    const ltx2_plugin *plugin = ((ltx2_node *)instance)->plugin;
    const ltx2_node_type *T = find_type(plugin, cls);
    if (!T || T->n_outputs > COMFY_MAX_OUT)
        return ltx2_fail(ctx, LTX2_ERR_INTERNAL, NULL, "node class %s is not usable here", cls);
    ltx2_value in[64];
    if (T->n_inputs > 64)
        return ltx2_fail(ctx, LTX2_ERR_INTERNAL, NULL, "%s has too many inputs", T->class_type);
    for (uint32_t i = 0; i < T->n_inputs; i++)
        in[i] = T->inputs[i].def; /* kind NONE without a default */
    for (size_t a = 0; a < n_args; a++) {
        uint32_t i = 0;
        while (i < T->n_inputs && strcmp(T->inputs[i].name, args[a].name))
            i++;
        if (i == T->n_inputs)
            return ltx2_fail(ctx, LTX2_ERR_INTERNAL, NULL, "%s has no input %s", T->class_type, args[a].name);
        in[i] = args[a].v;
    }
    for (uint32_t i = 0; i < T->n_outputs; i++)
        out[i].kind = LTX2_V_NONE;
    void *inst = NULL;
    ltx2_status st = T->init(plugin, T, &inst);
    if (st)
        return ltx2_fail(ctx, st, NULL, "cannot create a %s", T->class_type);
    /* The host's outputs_wanted describes the caller's outputs, not T's. */
    const uint64_t saved = ctx->outputs_wanted;
    const bool has_field = LTX2_HAS_FIELD(ctx, ltx2_exec_ctx, outputs_wanted);
    if (has_field)
        ctx->outputs_wanted = wanted;
    st = T->execute(inst, ctx, in, out);
    if (has_field)
        ctx->outputs_wanted = saved;
    T->free(inst);
    if (st)
        comfy_release(out, T->n_outputs);
    return st;
}

void comfy_release(ltx2_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ltx2_value_release(&v[i]);
}

ltx2_object *comfy_wrap(const char *type, const char *key, ltx2_object *o)
{
    ltx2_object *w = ltx2_object_new(type);
    if (w && ltx2_object_set_object(w, key, o)) {
        ltx2_object_release(w);
        return NULL;
    }
    return w;
}

ltx2_status comfy_unwrap(ltx2_exec_ctx *ctx, const ltx2_object *o, const char *key, const char *port,
                         const char *what, ltx2_object **out)
{
    *out = ltx2_object_object(o, key);
    if (!*out)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port, "expected %s", what);
    return LTX2_OK;
}

ltx2_status comfy_file_in(ltx2_exec_ctx *ctx, const ltx2_node_type *T, const ltx2_value *in, uint32_t idx,
                          const char **path)
{
    *path = ltx2_in_string(in, idx);
    if (!(*path)[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, T->inputs[idx].name, "no file given");
    if (access(*path, R_OK) != 0)
        return ltx2_fail(ctx, LTX2_ERR_IO, T->inputs[idx].name, "%s: cannot read the file", *path);
    return LTX2_OK;
}
