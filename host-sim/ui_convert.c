/* ui_convert.c — UI workflow → API prompt, following the frontend's
 * graphToPrompt: muted (mode 2) and bypassed (mode 4) nodes are left out,
 * links through bypassed nodes follow the first input of the wanted type,
 * reroutes pass their input through, legacy PrimitiveNode values land on the
 * widgets they feed, subgraph instances are flattened into "outer:inner" ids
 * and their promoted widgets feed the inner inputs. Widget values are named
 * from the node descriptors (ui_widgets.c). */
#include "ui_workflow.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_model.h"

enum { MODE_NEVER = 2, MODE_BYPASS = 4 };
/* MAX_STEPS bounds one input's resolution (recursion depth): a chain of reroutes
 * and bypasses longer than this is taken for a loop */
enum { MAX_NESTING = 32, MAX_STEPS = 1000 };

/* One graph level: the root graph, or a subgraph definition entered through an
 * instance node (inst) of the level above. */
typedef struct frame {
    json_object *g;      /* has "nodes" and "links" */
    char prefix[256];    /* "" at the root, "12:" inside instance 12, "12:5:" deeper */
    json_object *inst;   /* the instance node (in up->g); NULL at the root */
    const struct frame *up;
    int depth;
} frame;

enum { R_NONE = 0, R_LINK = 1, R_VALUE = 2 };
typedef struct resolved {
    int kind;
    char id[320];
    int64_t slot;
    json_object *value; /* borrowed */
} resolved;

typedef struct conv {
    json_object *root;
    const hs_convert_opts *o;
    int steps;
    char *err;
    size_t err_size;
    int failed;
} conv;

static int fail(conv *c, const char *msg, const char *id)
{
    if (!c->failed)
        snprintf(c->err, c->err_size, "%s%s%s", msg, id ? " at node " : "", id ? id : "");
    c->failed = 1;
    return -1;
}

static int bypassed(const conv *c, json_object *node)
{
    if (ui_node_mode(node) == MODE_BYPASS)
        return 1;
    const char *t = ui_node_type(node);
    for (size_t i = 0; t && i < c->o->n_bypass; i++)
        if (!strcmp(t, c->o->bypass[i]))
            return 1;
    return 0;
}

/* The input a bypassed node passes to its output `slot` for a consumer of type `type`. */
static int bypass_slot(json_object *node, int64_t slot, const char *type)
{
    json_object *ins = ui_node_inputs(node);
    int64_t n = ins ? (int64_t)json_object_array_length(ins) : 0;
    if (n == 0)
        return -1;
    if (!type || !*type || !strcmp(type, "*"))
        return (int)(n > slot ? slot : 0);
    const char *out_type = ui_slot_type(ui_node_output(node, slot));
    if (slot < n) {
        const char *t = ui_slot_type(json_object_array_get_idx(ins, (size_t)slot));
        if (ui_types_connect(t, out_type) && ui_types_connect(t, type))
            return (int)slot;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *t = ui_slot_type(json_object_array_get_idx(ins, (size_t)i));
        if (t && !strcmp(t, type))
            return (int)i;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *t = ui_slot_type(json_object_array_get_idx(ins, (size_t)i));
        if (ui_types_connect(t, out_type) && ui_types_connect(t, type))
            return (int)i;
    }
    return -1;
}

static int enter(conv *c, const frame *up, json_object *inst, json_object *def, frame *out)
{
    if (up->depth + 1 > MAX_NESTING)
        return fail(c, "subgraphs nested too deeply (or a subgraph contains itself)", NULL);
    out->g = def;
    out->inst = inst;
    out->up = up;
    out->depth = up->depth + 1;
    int w = snprintf(out->prefix, sizeof out->prefix, "%s%lld:", up->prefix, (long long)ui_node_id(inst));
    if (w < 0 || (size_t)w >= sizeof out->prefix)
        return fail(c, "subgraph path too long", up->prefix);
    return 0;
}

static int resolve_output(conv *c, const frame *f, json_object *node, int64_t slot, const char *type,
                          resolved *r);

/* What feeds input `slot` of `node` (which lives in frame f). */
static int resolve_input(conv *c, const frame *f, json_object *node, int64_t slot, const char *type,
                         resolved *r)
{
    r->kind = R_NONE;
    if (++c->steps > MAX_STEPS)
        return fail(c, "circular reference while following links", NULL);
    json_object *in = ui_node_input(node, slot);
    int64_t link_id;
    if (!in || ui_slot_link(in, &link_id))
        return 0; /* nothing connected */
    ui_link l;
    if (ui_find_link(f->g, link_id, &l))
        return 0; /* a dangling link id: the editor drops it too */
    if (f->inst && l.origin_id == UI_SUBGRAPH_INPUT_ID) {
        /* up and out of the subgraph: the instance's input of that index */
        json_object *outer_in = ui_node_input(f->inst, l.origin_slot);
        int64_t outer_link;
        if (!outer_in)
            return 0;
        if (ui_slot_link(outer_in, &outer_link)) {
            /* not connected outside: the instance's promoted widget value */
            r->value = ui_promoted_value(f->inst, outer_in);
            r->kind = r->value ? R_VALUE : R_NONE;
            return 0;
        }
        return resolve_input(c, f->up, f->inst, l.origin_slot, NULL, r);
    }
    json_object *src = ui_find_node(f->g, l.origin_id);
    if (!src)
        return 0;
    return resolve_output(c, f, src, l.origin_slot, type ? type : ui_slot_type(in), r);
}

/* The real producer behind output `slot` of `node`, seen by a consumer of `type`. */
static int resolve_output(conv *c, const frame *f, json_object *node, int64_t slot, const char *type,
                          resolved *r)
{
    r->kind = R_NONE;
    if (++c->steps > MAX_STEPS)
        return fail(c, "circular reference while following links", NULL);
    if (bypassed(c, node)) {
        int in = bypass_slot(node, slot, type);
        return in < 0 ? 0 : resolve_input(c, f, node, in, NULL, r);
    }
    if (ui_node_mode(node) == MODE_NEVER)
        return 0; /* a muted producer: the consumer's input is dropped */
    const char *t = ui_node_type(node);
    json_object *def = ui_subgraph_def(c->root, t);
    if (def) {
        ui_link l;
        if (ui_subgraph_output_link(def, slot, &l))
            return 0;
        frame inner;
        if (enter(c, f, node, def, &inner))
            return -1;
        json_object *src = ui_find_node(def, l.origin_id);
        if (l.origin_id == UI_SUBGRAPH_INPUT_ID) /* an input wired straight to an output */
            return resolve_input(c, f, node, l.origin_slot, type, r);
        return src ? resolve_output(c, &inner, src, l.origin_slot, type, r) : 0;
    }
    if (ui_is_legacy_primitive(t)) {
        /* applyToGraph copies its value into the widgets it feeds */
        r->value = ui_widget_value_at(node, 0);
        r->kind = r->value ? R_VALUE : R_NONE;
        return 0;
    }
    if (ui_is_virtual(t)) {
        json_object *in = ui_node_input(node, slot);
        return in ? resolve_input(c, f, node, slot, type, r) : 0;
    }
    r->kind = R_LINK;
    r->slot = slot;
    snprintf(r->id, sizeof r->id, "%s%lld", f->prefix, (long long)ui_node_id(node));
    return 0;
}

static const ltx2_node_type *find_type(const hs_convert_opts *o, const char *name)
{
    for (size_t i = 0; name && i < o->n_types; i++)
        if (o->types[i] && !strcmp(o->types[i]->class_type, name))
            return o->types[i];
    return NULL;
}

static json_object *api_value(json_object *v)
{
    /* a list literal is wrapped so it is not read as a link */
    if (json_object_is_type(v, json_type_array)) {
        json_object *w = json_object_new_object();
        json_object_object_add(w, "__value__", json_object_get(v));
        return w;
    }
    return json_object_get(v);
}

static int emit_node(conv *c, const frame *f, json_object *node, json_object *out)
{
    char id[320];
    snprintf(id, sizeof id, "%s%lld", f->prefix, (long long)ui_node_id(node));
    const char *cls = ui_node_type(node);
    const ltx2_node_type *t = find_type(c->o, cls);
    json_object *inputs = json_object_new_object();
    if (!inputs)
        return fail(c, "out of memory", NULL);
    if (t) {
        ui_widgets_to_inputs(t, node, inputs);
    } else if (c->o->warn && ui_widget_value_at(node, 0)) {
        char line[512];
        snprintf(line, sizeof line, "node %s (%s): unknown class, its widget values are left out", id, cls);
        c->o->warn(c->o->warn_user, line);
    }
    json_object *ins = ui_node_inputs(node);
    for (size_t i = 0; ins && i < json_object_array_length(ins); i++) {
        resolved r;
        c->steps = 0;
        if (resolve_input(c, f, node, (int64_t)i, NULL, &r)) {
            json_object_put(inputs);
            return -1;
        }
        const char *name = ui_slot_name(json_object_array_get_idx(ins, i));
        if (!name || r.kind == R_NONE)
            continue;
        if (r.kind == R_VALUE) {
            json_object_object_add(inputs, name, api_value(r.value));
        } else {
            json_object *link = json_object_new_array();
            json_object_array_add(link, json_object_new_string(r.id));
            json_object_array_add(link, json_object_new_int64(r.slot));
            json_object_object_add(inputs, name, link);
        }
    }
    json_object *entry = json_object_new_object();
    json_object *meta = json_object_new_object();
    const char *title = ui_node_title(node);
    json_object_object_add(entry, "inputs", inputs);
    json_object_object_add(entry, "class_type", json_object_new_string(cls));
    json_object_object_add(meta, "title",
                           json_object_new_string(title ? title : t && t->display_name ? t->display_name : cls));
    json_object_object_add(entry, "_meta", meta);
    json_object_object_add(out, id, entry);
    return 0;
}

static int walk(conv *c, const frame *f, json_object *out)
{
    json_object *nodes = ui_graph_nodes(f->g);
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        const char *t = ui_node_type(n);
        if (!t || ui_node_mode(n) == MODE_NEVER || bypassed(c, n))
            continue;
        json_object *def = ui_subgraph_def(c->root, t);
        if (def) {
            frame inner;
            if (enter(c, f, n, def, &inner) || walk(c, &inner, out))
                return -1;
            continue;
        }
        if (ui_is_virtual(t) || ui_is_legacy_primitive(t))
            continue;
        if (emit_node(c, f, n, out))
            return -1;
    }
    return 0;
}

/* Drops link inputs whose producer is not in the prompt (muted or virtual). */
static void drop_dangling(json_object *out)
{
    json_object_object_foreach(out, id, entry)
    {
        (void)id;
        json_object *inputs;
        if (!json_object_object_get_ex(entry, "inputs", &inputs))
            continue;
        char *names[256];
        size_t n = 0;
        json_object_object_foreach(inputs, name, v)
        {
            if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2 &&
                !json_object_object_get_ex(out, json_object_get_string(json_object_array_get_idx(v, 0)), NULL) &&
                n < 256)
                names[n++] = name;
        }
        for (size_t k = 0; k < n; k++)
            json_object_object_del(inputs, names[k]);
    }
}

typedef struct kv {
    const char *k;
    json_object *v;
} kv;

static int kv_cmp(const void *a, const void *b)
{
    return hs_id_cmp(((const kv *)a)->k, ((const kv *)b)->k);
}

static json_object *sorted_by_id(json_object *o)
{
    size_t n = (size_t)json_object_object_length(o), i = 0;
    kv *a = calloc(n ? n : 1, sizeof *a);
    json_object *r = json_object_new_object();
    if (!a || !r) {
        free(a);
        json_object_put(r);
        return NULL;
    }
    json_object_object_foreach(o, k, v)
    {
        a[i].k = k;
        a[i++].v = v;
    }
    qsort(a, n, sizeof *a, kv_cmp);
    for (i = 0; i < n; i++)
        json_object_object_add(r, a[i].k, json_object_get(a[i].v));
    free(a);
    return r;
}

json_object *hs_ui_to_prompt(json_object *ui, const hs_convert_opts *o, char *err, size_t err_size)
{
    conv c = {.root = ui, .o = o, .err = err, .err_size = err_size};
    if (!json_object_is_type(ui, json_type_object) || !ui_graph_nodes(ui)) {
        snprintf(err, err_size, "not a UI workflow: no \"nodes\" array");
        return NULL;
    }
    frame root = {.g = ui};
    json_object *out = json_object_new_object();
    if (!out) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (walk(&c, &root, out)) {
        json_object_put(out);
        return NULL;
    }
    drop_dangling(out);
    json_object *sorted = sorted_by_id(out);
    json_object_put(out);
    if (!sorted)
        snprintf(err, err_size, "out of memory");
    return sorted;
}
