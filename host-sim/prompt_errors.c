/* prompt_errors.c — ComfyUI's validation error shapes, with the output nodes
 * each invalid node would have fed (dependent_outputs). */
#include "prompt_errors.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static json_object *str(const char *s)
{
    return json_object_new_string(s ? s : "");
}

/* Marks every ancestor of node i (itself included) through raw links. */
static void mark_ancestors(const hs_graph *g, size_t i, unsigned char *seen)
{
    if (seen[i])
        return;
    seen[i] = 1;
    const hs_node *n = &g->nodes[i];
    for (size_t r = 0; r < n->n_raw; r++) {
        char id[128];
        if (hs_raw_link_src(n->raw[r].val, id, sizeof id))
            continue;
        size_t s = hs_graph_find(g, id);
        if (s != (size_t)-1)
            mark_ancestors(g, s, seen);
    }
}

static json_object *dependent_outputs(const hs_graph *g, const char *node_id)
{
    json_object *out = json_object_new_array();
    size_t target = g ? hs_graph_find(g, node_id) : (size_t)-1;
    unsigned char *seen = target != (size_t)-1 ? calloc(g->n_nodes, 1) : NULL;
    for (size_t o = 0; seen && o < g->n_nodes; o++) {
        const ltx2_node_type *t = g->nodes[o].type;
        if (!t || !(t->flags & LTX2_NODE_OUTPUT))
            continue;
        memset(seen, 0, g->n_nodes);
        mark_ancestors(g, o, seen);
        if (seen[target])
            json_object_array_add(out, str(g->nodes[o].id));
    }
    free(seen);
    return out;
}

static json_object *error_entry(const hs_diag *d)
{
    json_object *e = json_object_new_object(), *extra = json_object_new_object();
    json_object_object_add(e, "type", str(d->type));
    json_object_object_add(e, "message", str(d->message));
    json_object_object_add(e, "details", str(d->input[0] ? d->input : ""));
    if (d->input[0])
        json_object_object_add(extra, "input_name", str(d->input));
    json_object_object_add(e, "extra_info", extra);
    return e;
}

json_object *hs_prompt_error_body(const hs_graph *g, const hs_diag *errs, size_t n)
{
    json_object *body = json_object_new_object(), *node_errors = json_object_new_object();
    int node_level = n > 0 && errs[0].node_id[0];
    json_object *top;
    if (node_level) {
        top = json_object_new_object();
        json_object_object_add(top, "type", str("prompt_outputs_failed_validation"));
        json_object_object_add(top, "message", str("Prompt outputs failed validation"));
        json_object_object_add(top, "details", str(""));
        json_object_object_add(top, "extra_info", json_object_new_object());
    } else {
        top = error_entry(n ? &errs[0] : &(hs_diag){.type = "invalid_prompt"});
    }
    for (size_t i = 0; i < n; i++) {
        const hs_diag *d = &errs[i];
        if (!d->node_id[0])
            continue;
        json_object *entry, *list;
        if (!json_object_object_get_ex(node_errors, d->node_id, &entry)) {
            entry = json_object_new_object();
            json_object_object_add(entry, "errors", json_object_new_array());
            json_object_object_add(entry, "dependent_outputs", dependent_outputs(g, d->node_id));
            json_object_object_add(entry, "class_type", str(d->class_type));
            json_object_object_add(node_errors, d->node_id, entry);
        }
        json_object_object_get_ex(entry, "errors", &list);
        json_object_array_add(list, error_entry(d));
    }
    json_object_object_add(body, "error", top);
    json_object_object_add(body, "node_errors", node_errors);
    return body;
}

void hs_emit_prompt_error(hs_events *ev, const hs_graph *g, const hs_diag *errs, size_t n)
{
    if (!ev || !ev->f)
        return;
    hs_event(ev, "x_ltx_prompt_error", hs_prompt_error_body(g, errs, n));
}
