/* ui_widgets.c — naming a node's positional widgets_values from its descriptor,
 * the way the editor creates widgets from the node definition. */
#include <json-c/json.h>
#include <string.h>

#include "ui_model.h"

static int is_widget(const ltx2_port *p)
{
    static const char *const types[] = {"INT", "FLOAT", "BOOLEAN", "STRING", "COMBO", NULL};
    for (size_t i = 0; types[i]; i++)
        if (!strcmp(p->type, types[i]))
            return 1;
    return 0;
}

static void add_value(json_object *inputs, const char *name, json_object *v)
{
    if (!v)
        return;
    if (json_object_is_type(v, json_type_array)) { /* a list literal, not a link */
        json_object *w = json_object_new_object();
        json_object_object_add(w, "__value__", json_object_get(v));
        json_object_object_add(inputs, name, w);
        return;
    }
    json_object_object_add(inputs, name, json_object_get(v));
}

void ui_widgets_to_inputs(const ltx2_node_type *t, json_object *node, json_object *inputs)
{
    json_object *wv = NULL;
    if (!json_object_is_type(node, json_type_object) || !json_object_object_get_ex(node, "widgets_values", &wv))
        return;
    if (json_object_is_type(wv, json_type_object)) {
        /* some packs save widgets by name */
        for (uint32_t i = 0; i < t->n_inputs; i++) {
            json_object *v;
            if (is_widget(&t->inputs[i]) && json_object_object_get_ex(wv, t->inputs[i].name, &v))
                add_value(inputs, t->inputs[i].name, v);
        }
        return;
    }
    if (!json_object_is_type(wv, json_type_array))
        return;
    size_t k = 0, n = json_object_array_length(wv);
    for (int optional = 0; optional < 2; optional++)
        for (uint32_t i = 0; i < t->n_inputs; i++) {
            const ltx2_port *p = &t->inputs[i];
            if (!!(p->flags & LTX2_PORT_OPTIONAL) != optional || !is_widget(p))
                continue;
            if (k < n)
                add_value(inputs, p->name, json_object_array_get_idx(wv, k));
            k++;
            if (p->flags & LTX2_PORT_SEED)
                k++; /* control_after_generate: editor-only, never sent */
            if (p->flags & LTX2_PORT_UPLOAD)
                k++; /* the upload button's slot */
        }
}
