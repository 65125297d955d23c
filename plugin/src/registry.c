/* registry.c — gathers every stage's node types into the plugin's table. The host
 * gets a copy of each descriptor whose execute goes through the execute boundary
 * (node_exec.c) before the node's own: no node carries boundary code. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "stages.h"

/* What the host sees: the node's descriptor with execute replaced; inner is the node's own. */
typedef struct wrapped_type {
    ltx2_node_type pub; /* first: the host's pointer is this struct */
    const ltx2_node_type *inner;
} wrapped_type;

/* An instance's type is the descriptor the host passed to init: its wrapped_type. */
static ltx2_status wrapped_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const wrapped_type *w = (const wrapped_type *)((ltx2_node *)instance)->type;
    return ltx2_node_execute_boundary(w->inner, instance, ctx, in, out);
}

static const ltx2_stage_list_fn stages[] = {
    ltx2_nodes_io,      ltx2_nodes_util,     ltx2_nodes_loaders, ltx2_nodes_text,
    ltx2_nodes_transformer, ltx2_nodes_sampler, ltx2_nodes_video_vae, ltx2_nodes_audio,
    ltx2_nodes_upscaler, ltx2_nodes_lora,   ltx2_nodes_image,   ltx2_nodes_comfy,
};

static const char *check_type(const ltx2_node_type *t)
{
    if (t->struct_size < sizeof *t)
        return "descriptor struct_size too small";
    if (!t->class_type || !t->class_type[0])
        return "empty class name";
    if (!t->init || !t->execute || !t->free)
        return "missing init/execute/free";
    for (uint32_t i = 0; i < t->n_inputs; i++)
        if (!t->inputs[i].name || !t->inputs[i].type)
            return "input without name or type";
    for (uint32_t i = 0; i < t->n_outputs; i++)
        if (!t->outputs[i].name || !t->outputs[i].type)
            return "output without name or type";
    return NULL;
}

ltx2_status ltx2_registry_build(ltx2_plugin *plugin, char *error, size_t error_size)
{
    size_t total = 0;
    for (size_t s = 0; s < sizeof stages / sizeof stages[0]; s++) {
        size_t n = 0;
        stages[s](&n);
        total += n;
    }
    const ltx2_node_type **list = calloc(total ? total : 1, sizeof *list);
    wrapped_type *wrapped = calloc(total ? total : 1, sizeof *wrapped);
    if (!list || !wrapped) {
        free(list);
        free(wrapped);
        return LTX2_ERR_OOM;
    }
    size_t k = 0;
    for (size_t s = 0; s < sizeof stages / sizeof stages[0]; s++) {
        size_t n = 0;
        const ltx2_node_type *const *types = stages[s](&n);
        for (size_t i = 0; i < n; i++) {
            const ltx2_node_type *t = types[i];
            const char *why = check_type(t);
            for (size_t j = 0; !why && j < k; j++)
                if (strcmp(wrapped[j].inner->class_type, t->class_type) == 0)
                    why = "duplicate class name";
            if (why) {
                snprintf(error, error_size, "ltx2 plugin: node type '%s': %s",
                         t->class_type ? t->class_type : "?", why);
                free(list);
                free(wrapped);
                return LTX2_ERR_INTERNAL;
            }
            wrapped[k].pub = *t;
            wrapped[k].pub.struct_size = sizeof wrapped[k].pub;
            wrapped[k].pub.execute = wrapped_execute;
            wrapped[k].inner = t;
            list[k] = &wrapped[k].pub;
            k++;
        }
    }
    plugin->node_types = list;
    plugin->n_node_types = (uint32_t)k;
    return LTX2_OK;
}

void ltx2_registry_free(ltx2_plugin *plugin)
{
    if (plugin->node_types)
        free((void *)plugin->node_types[0]); /* the wrapped_type array (entry 0 is its start) */
    free((void *)plugin->node_types);
    plugin->node_types = NULL;
    plugin->n_node_types = 0;
}
