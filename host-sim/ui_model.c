/* ui_model.c — tolerant accessors over a UI workflow's JSON. */
#include "ui_model.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static json_object *get_array(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return json_object_is_type(v, json_type_array) ? v : NULL;
}

static int is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
           json_object_is_type(v, json_type_string);
}

json_object *ui_graph_nodes(json_object *g)
{
    return get_array(g, "nodes");
}

int64_t ui_node_id(json_object *n)
{
    json_object *v = get(n, "id");
    return is_number(v) ? json_object_get_int64(v) : -1;
}

json_object *ui_find_node(json_object *g, int64_t id)
{
    json_object *nodes = ui_graph_nodes(g);
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        if (ui_node_id(n) == id)
            return n;
    }
    return NULL;
}

static int read_link(json_object *l, ui_link *out)
{
    if (json_object_is_type(l, json_type_array)) {
        if (json_object_array_length(l) < 5)
            return -1;
        int64_t *f[5] = {&out->id, &out->origin_id, &out->origin_slot, &out->target_id, &out->target_slot};
        for (size_t i = 0; i < 5; i++) {
            json_object *v = json_object_array_get_idx(l, i);
            if (!is_number(v))
                return -1;
            *f[i] = json_object_get_int64(v);
        }
        return 0;
    }
    static const char *const keys[5] = {"id", "origin_id", "origin_slot", "target_id", "target_slot"};
    int64_t *f[5] = {&out->id, &out->origin_id, &out->origin_slot, &out->target_id, &out->target_slot};
    for (size_t i = 0; i < 5; i++) {
        json_object *v = get(l, keys[i]);
        if (!is_number(v))
            return -1;
        *f[i] = json_object_get_int64(v);
    }
    return 0;
}

int ui_find_link(json_object *g, int64_t id, ui_link *out)
{
    json_object *links = get_array(g, "links");
    for (size_t i = 0; links && i < json_object_array_length(links); i++)
        if (!read_link(json_object_array_get_idx(links, i), out) && out->id == id)
            return 0;
    return -1;
}

int ui_subgraph_output_link(json_object *def, int64_t slot, ui_link *out)
{
    json_object *links = get_array(def, "links");
    for (size_t i = 0; links && i < json_object_array_length(links); i++)
        if (!read_link(json_object_array_get_idx(links, i), out) && out->target_id == UI_SUBGRAPH_OUTPUT_ID &&
            out->target_slot == slot)
            return 0;
    return -1;
}

json_object *ui_subgraph_def(json_object *root, const char *type)
{
    json_object *subs = get_array(get(root, "definitions"), "subgraphs");
    for (size_t i = 0; type && subs && i < json_object_array_length(subs); i++) {
        json_object *s = json_object_array_get_idx(subs, i);
        json_object *id = get(s, "id");
        if (json_object_is_type(id, json_type_string) && !strcmp(json_object_get_string(id), type))
            return s;
    }
    return NULL;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *ui_node_type(json_object *n)
{
    return get_string(n, "type");
}

const char *ui_node_title(json_object *n)
{
    return get_string(n, "title");
}

int ui_node_mode(json_object *n)
{
    json_object *v = get(n, "mode");
    return json_object_is_type(v, json_type_int) ? json_object_get_int(v) : 0;
}

json_object *ui_node_inputs(json_object *n)
{
    return get_array(n, "inputs");
}

json_object *ui_node_input(json_object *n, int64_t slot)
{
    json_object *ins = ui_node_inputs(n);
    return ins && slot >= 0 ? json_object_array_get_idx(ins, (size_t)slot) : NULL;
}

json_object *ui_node_output(json_object *n, int64_t slot)
{
    json_object *outs = get_array(n, "outputs");
    return outs && slot >= 0 ? json_object_array_get_idx(outs, (size_t)slot) : NULL;
}

json_object *ui_node_widgets_values_array(json_object *n)
{
    return get_array(n, "widgets_values");
}

json_object *ui_widget_value_at(json_object *n, size_t i)
{
    json_object *wv = ui_node_widgets_values_array(n);
    return wv && i < json_object_array_length(wv) ? json_object_array_get_idx(wv, i) : NULL;
}

const char *ui_slot_name(json_object *slot)
{
    return get_string(slot, "name");
}

const char *ui_slot_type(json_object *slot)
{
    return get_string(slot, "type");
}

int ui_slot_link(json_object *slot, int64_t *link)
{
    json_object *v = get(slot, "link");
    if (!v || !is_number(v))
        return -1;
    *link = json_object_get_int64(v);
    return 0;
}

int ui_is_virtual(const char *type)
{
    static const char *const names[] = {"Reroute", "Note", "MarkdownNote", "PrimitiveNode", NULL};
    for (size_t i = 0; type && names[i]; i++)
        if (!strcmp(type, names[i]))
            return 1;
    return 0;
}

int ui_is_legacy_primitive(const char *type)
{
    return type && !strcmp(type, "PrimitiveNode");
}

json_object *ui_promoted_value(json_object *inst, json_object *in)
{
    /* The frontend writes the instance's widgets_values in the order of its
     * properties.proxyWidgets ([["-1", input name] for the subgraph's own inputs,
     * [inner id, widget] for widgets promoted from inside]) when it has that list. */
    json_object *props = get(inst, "properties");
    json_object *proxy = props ? get_array(props, "proxyWidgets") : NULL;
    const char *name = ui_slot_name(in);
    if (proxy && name) {
        for (size_t k = 0; k < json_object_array_length(proxy); k++) {
            json_object *e = json_object_array_get_idx(proxy, k);
            if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 2)
                continue;
            const char *id = json_object_get_string(json_object_array_get_idx(e, 0));
            const char *w = json_object_get_string(json_object_array_get_idx(e, 1));
            if (id && w && !strcmp(id, "-1") && !strcmp(w, name))
                return ui_widget_value_at(inst, k);
        }
    }
    /* otherwise the instance's widgets are its widget inputs, in input order */
    json_object *ins = ui_node_inputs(inst);
    size_t k = 0;
    for (size_t i = 0; ins && i < json_object_array_length(ins); i++) {
        json_object *s = json_object_array_get_idx(ins, i);
        if (!get(s, "widget"))
            continue;
        if (s == in)
            return ui_widget_value_at(inst, k);
        k++;
    }
    return NULL;
}

/* LiteGraph.isValidConnection: empty or "*" matches anything; comma lists
 * match when they share a type (case-insensitive). */
static int type_in(const char *list, const char *t, size_t tl)
{
    for (const char *p = list;;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == tl && !strncasecmp(p, t, l))
            return 1;
        if (!e)
            return 0;
        p = e + 1;
    }
}

int ui_types_connect(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b || !strcmp(a, "*") || !strcmp(b, "*") || !strcasecmp(a, b))
        return 1;
    for (const char *p = a;;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (type_in(b, p, l))
            return 1;
        if (!e)
            return 0;
        p = e + 1;
    }
}
