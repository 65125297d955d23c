/* ui_bypass.c — `--bypass CLASS` on an API prompt: the editor's bypass (mode 4)
 * done after the fact, with the port types of the node descriptors. */
#include <json-c/json.h>
#include <string.h>

#include "ui_model.h"
#include "ui_workflow.h"

static const ltx2_node_type *type_of(const hs_convert_opts *o, json_object *entry)
{
    json_object *ct;
    if (!json_object_object_get_ex(entry, "class_type", &ct) || !json_object_is_type(ct, json_type_string))
        return NULL;
    for (size_t i = 0; i < o->n_types; i++)
        if (o->types[i] && !strcmp(o->types[i]->class_type, json_object_get_string(ct)))
            return o->types[i];
    return NULL;
}

static int is_bypassed(const hs_convert_opts *o, const ltx2_node_type *t)
{
    for (size_t i = 0; t && i < o->n_bypass; i++)
        if (!strcmp(t->class_type, o->bypass[i]))
            return 1;
    return 0;
}

static const char *port_type(const ltx2_node_type *t, const char *name)
{
    for (uint32_t i = 0; t && i < t->n_inputs; i++)
        if (!strcmp(t->inputs[i].name, name))
            return t->inputs[i].type;
    return "*";
}

/* The bypassed node's input that stands in for output `slot` (the editor's rule:
 * same slot when it fits, then the exact type, then any compatible type). */
static const ltx2_port *stand_in(const ltx2_node_type *t, uint32_t slot, const char *type)
{
    if (t->n_inputs == 0)
        return NULL;
    if (!strcmp(type, "*"))
        return &t->inputs[slot < t->n_inputs ? slot : 0];
    const char *out = t->outputs[slot].type;
    if (slot < t->n_inputs && ui_types_connect(t->inputs[slot].type, out) &&
        ui_types_connect(t->inputs[slot].type, type))
        return &t->inputs[slot];
    for (uint32_t i = 0; i < t->n_inputs; i++)
        if (!strcmp(t->inputs[i].type, type))
            return &t->inputs[i];
    for (uint32_t i = 0; i < t->n_inputs; i++)
        if (ui_types_connect(t->inputs[i].type, out) && ui_types_connect(t->inputs[i].type, type))
            return &t->inputs[i];
    return NULL;
}

static int is_link(json_object *v)
{
    return json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2;
}

/* Re-wires one pass; returns how many inputs changed. */
static int rewire(json_object *prompt, const hs_convert_opts *o)
{
    int changed = 0;
    json_object_object_foreach(prompt, id, entry)
    {
        (void)id;
        json_object *inputs;
        if (!json_object_object_get_ex(entry, "inputs", &inputs) || !json_object_is_type(inputs, json_type_object))
            continue;
        const ltx2_node_type *consumer = type_of(o, entry);
        json_object_object_foreach(inputs, name, v)
        {
            if (!is_link(v))
                continue;
            json_object *src;
            if (!json_object_object_get_ex(prompt, json_object_get_string(json_object_array_get_idx(v, 0)), &src))
                continue;
            const ltx2_node_type *st = type_of(o, src);
            int64_t slot = json_object_get_int64(json_object_array_get_idx(v, 1));
            if (!is_bypassed(o, st) || slot < 0 || (uint64_t)slot >= st->n_outputs)
                continue;
            const ltx2_port *p = stand_in(st, (uint32_t)slot, port_type(consumer, name));
            json_object *src_inputs, *through = NULL;
            if (p && json_object_object_get_ex(src, "inputs", &src_inputs))
                json_object_object_get_ex(src_inputs, p->name, &through);
            /* an unlinked stand-in passes nothing: the input is dropped below */
            json_object_object_add(inputs, name, is_link(through) ? json_object_get(through) : json_object_new_null());
            changed++;
        }
    }
    return changed;
}

void hs_prompt_bypass(json_object *prompt, const hs_convert_opts *o)
{
    if (!o->n_bypass || !json_object_is_type(prompt, json_type_object))
        return;
    /* chains of bypassed nodes take one pass per link; a cycle stops at the bound */
    for (int pass = 0, n = json_object_object_length(prompt); pass <= n && rewire(prompt, o); pass++)
        ;
    char *drop[1024];
    size_t nd = 0;
    json_object_object_foreach(prompt, id, entry)
    {
        if (is_bypassed(o, type_of(o, entry)) && nd < 1024)
            drop[nd++] = id;
        json_object *inputs;
        if (!json_object_object_get_ex(entry, "inputs", &inputs) || !json_object_is_type(inputs, json_type_object))
            continue;
        char *nulls[256];
        size_t nn = 0;
        json_object_object_foreach(inputs, name, v)
        {
            if (!v && nn < 256)
                nulls[nn++] = name;
        }
        for (size_t k = 0; k < nn; k++)
            json_object_object_del(inputs, nulls[k]);
    }
    for (size_t k = 0; k < nd; k++)
        json_object_object_del(prompt, drop[k]);
}
