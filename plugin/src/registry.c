/* registry.c — gathers every stage's node types into the plugin's table. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

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
    if (!list)
        return LTX2_ERR_OOM;
    size_t k = 0;
    for (size_t s = 0; s < sizeof stages / sizeof stages[0]; s++) {
        size_t n = 0;
        const ltx2_node_type *const *types = stages[s](&n);
        for (size_t i = 0; i < n; i++) {
            const ltx2_node_type *t = types[i];
            const char *why = check_type(t);
            for (size_t j = 0; !why && j < k; j++)
                if (strcmp(list[j]->class_type, t->class_type) == 0)
                    why = "duplicate class name";
            if (why) {
                snprintf(error, error_size, "ltx2 plugin: node type '%s': %s",
                         t->class_type ? t->class_type : "?", why);
                free(list);
                return LTX2_ERR_INTERNAL;
            }
            list[k++] = t;
        }
    }
    plugin->node_types = list;
    plugin->n_node_types = (uint32_t)k;
    return LTX2_OK;
}

void ltx2_registry_free(ltx2_plugin *plugin)
{
    free((void *)plugin->node_types);
    plugin->node_types = NULL;
    plugin->n_node_types = 0;
}
