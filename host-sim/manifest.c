/* manifest.c — the plugin's node descriptors as a ComfyUI /object_info document
 * (manifest.nodes), our own fields under "x_ltx". Deterministic: nodes sorted by
 * class name, ports in declaration order, floats in their shortest exact form. */
#include "manifest.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest "%.Ng" that reads back to the same double, always with a '.' or 'e'
 * so readers keep it a float. */
static json_object *new_double(double v)
{
    char buf[64];
    if (!isfinite(v))
        return json_object_new_double(v);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    return json_object_new_double_s(v, buf);
}

static json_object *value_json(const ltx2_value *v)
{
    switch (v->kind) {
    case LTX2_V_INT: return json_object_new_int64(v->u.i);
    case LTX2_V_FLOAT: return new_double(v->u.f);
    case LTX2_V_BOOL: return json_object_new_boolean(v->u.b);
    case LTX2_V_STRING: return json_object_new_string(v->u.s ? v->u.s : "");
    default: return NULL;
    }
}

/* ComfyUI's upload widget key: its LoadVideo's file has video_upload, LoadImage's
 * image image_upload; a node that outputs a VIDEO loads a video. */
static const char *upload_key(const ltx2_node_type *t)
{
    for (uint32_t i = 0; i < t->n_outputs; i++)
        if (t->outputs[i].type && !strcmp(t->outputs[i].type, "VIDEO"))
            return "video_upload";
    return "image_upload";
}

/* folder: the plugin-published input_folders entry, or NULL */
static json_object *port_json(const ltx2_node_type *t, const ltx2_port *p, const char *folder)
{
    json_object *arr = json_object_new_array();
    json_object *opt = json_object_new_object();
    json_object_array_add(arr, json_object_new_string(p->type ? p->type : "*"));
    if (p->options) {
        json_object *o = json_object_new_array();
        for (const char *const *s = p->options; *s; s++)
            json_object_array_add(o, json_object_new_string(*s));
        json_object_object_add(opt, "options", o);
    }
    if (p->def.kind != LTX2_V_NONE)
        json_object_object_add(opt, "default", value_json(&p->def));
    if (p->min.kind != LTX2_V_NONE)
        json_object_object_add(opt, "min", value_json(&p->min));
    if (p->max.kind != LTX2_V_NONE)
        json_object_object_add(opt, "max", value_json(&p->max));
    if (p->step.kind != LTX2_V_NONE)
        json_object_object_add(opt, "step", value_json(&p->step));
    if (p->tooltip)
        json_object_object_add(opt, "tooltip", json_object_new_string(p->tooltip));
    if (p->flags & LTX2_PORT_MULTILINE)
        json_object_object_add(opt, "multiline", json_object_new_boolean(1));
    if (p->flags & LTX2_PORT_SEED)
        json_object_object_add(opt, "control_after_generate", json_object_new_boolean(1));
    if (p->flags & LTX2_PORT_ADVANCED)
        json_object_object_add(opt, "advanced", json_object_new_boolean(1));
    if (p->flags & LTX2_PORT_UPLOAD)
        json_object_object_add(opt, upload_key(t), json_object_new_boolean(1));
    if (p->flags & (LTX2_PORT_FILE | LTX2_PORT_UPLOAD) || folder) {
        json_object *x = json_object_new_object();
        if (p->flags & LTX2_PORT_FILE)
            json_object_object_add(x, "file", json_object_new_boolean(1));
        if (p->flags & LTX2_PORT_UPLOAD)
            json_object_object_add(x, "upload", json_object_new_boolean(1));
        if (folder)
            json_object_object_add(x, "folder", json_object_new_string(folder));
        json_object_object_add(opt, "x_ltx", x);
    }
    json_object_array_add(arr, opt);
    return arr;
}

static json_object *node_json(const ltx2_plugin *pl, const ltx2_node_type *t)
{
    json_object *n = json_object_new_object();
    json_object *input = json_object_new_object(), *req = json_object_new_object(), *opt = json_object_new_object();
    json_object *oreq = json_object_new_array(), *oopt = json_object_new_array();
    for (uint32_t i = 0; i < t->n_inputs; i++) {
        const ltx2_port *p = &t->inputs[i];
        int optional = (p->flags & LTX2_PORT_OPTIONAL) != 0;
        const char *folder = LTX2_HAS_FIELD(t, ltx2_node_type, input_folders) && t->input_folders
                                 ? t->input_folders[i]
                                 : NULL;
        json_object_object_add(optional ? opt : req, p->name, port_json(t, p, folder));
        json_object_array_add(optional ? oopt : oreq, json_object_new_string(p->name));
    }
    json_object *order = json_object_new_object();
    json_object_object_add(input, "required", req);
    json_object_object_add(order, "required", oreq);
    if (json_object_array_length(oopt)) {
        json_object_object_add(input, "optional", opt);
        json_object_object_add(order, "optional", oopt);
    } else {
        json_object_put(opt);
        json_object_put(oopt);
    }
    json_object_object_add(n, "input", input);
    json_object_object_add(n, "input_order", order);
    json_object *out = json_object_new_array(), *islist = json_object_new_array(), *names = json_object_new_array(),
                *tips = json_object_new_array();
    for (uint32_t i = 0; i < t->n_outputs; i++) {
        const ltx2_port *p = &t->outputs[i];
        json_object_array_add(out, json_object_new_string(p->type ? p->type : "*"));
        json_object_array_add(islist, json_object_new_boolean(0));
        json_object_array_add(names, json_object_new_string(p->name ? p->name : ""));
        json_object_array_add(tips, p->tooltip ? json_object_new_string(p->tooltip) : NULL);
    }
    json_object_object_add(n, "output", out);
    json_object_object_add(n, "output_is_list", islist);
    json_object_object_add(n, "output_name", names);
    json_object_object_add(n, "output_tooltips", tips);
    json_object_object_add(n, "name", json_object_new_string(t->class_type));
    json_object_object_add(n, "display_name",
                           json_object_new_string(t->display_name ? t->display_name : t->class_type));
    json_object_object_add(n, "description", json_object_new_string(t->description ? t->description : ""));
    char module[256];
    snprintf(module, sizeof module, "ltx2.%s", pl->plugin_id ? pl->plugin_id : "plugin");
    json_object_object_add(n, "python_module", json_object_new_string(module));
    json_object_object_add(n, "category", json_object_new_string(t->category ? t->category : ""));
    json_object_object_add(n, "output_node", json_object_new_boolean((t->flags & LTX2_NODE_OUTPUT) != 0));
    json_object_object_add(n, "deprecated", json_object_new_boolean((t->flags & LTX2_NODE_DEPRECATED) != 0));
    json_object_object_add(n, "experimental", json_object_new_boolean((t->flags & LTX2_NODE_EXPERIMENTAL) != 0));
    json_object_object_add(n, "api_node", json_object_new_boolean(0));
    json_object *x = json_object_new_object(), *flags = json_object_new_object();
    json_object_object_add(x, "node_version", json_object_new_int64(t->node_version));
    json_object_object_add(flags, "cancellable", json_object_new_boolean((t->flags & LTX2_NODE_CANCELLABLE) != 0));
    json_object_object_add(flags, "progress", json_object_new_boolean((t->flags & LTX2_NODE_PROGRESS) != 0));
    json_object_object_add(x, "flags", flags);
    json_object_object_add(x, "has_validate", json_object_new_boolean(t->validate != NULL));
    json_object_object_add(n, "x_ltx", x);
    return n;
}

static int type_cmp(const void *a, const void *b)
{
    const ltx2_node_type *x = *(const ltx2_node_type *const *)a, *y = *(const ltx2_node_type *const *)b;
    return strcmp(x->class_type, y->class_type);
}

const ltx2_node_type **hs_sorted_types(const ltx2_plugin *p)
{
    const ltx2_node_type **v = calloc(p->n_node_types + 1, sizeof *v);
    if (!v)
        return NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n_node_types; i++)
        if (p->node_types[i] && p->node_types[i]->class_type)
            v[n++] = p->node_types[i];
    qsort(v, n, sizeof *v, type_cmp);
    return v;
}

char *hs_manifest_json(const ltx2_plugin *p)
{
    const ltx2_node_type **types = hs_sorted_types(p);
    if (!types)
        return NULL;
    json_object *root = json_object_new_object();
    json_object_object_add(root, "manifest_version", json_object_new_int(1));
    json_object *gen = json_object_new_object();
    char abi[32];
    snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
    json_object_object_add(gen, "plugin_id", json_object_new_string(p->plugin_id ? p->plugin_id : ""));
    json_object_object_add(gen, "plugin_version", json_object_new_string(p->plugin_version ? p->plugin_version : ""));
    json_object_object_add(gen, "abi", json_object_new_string(abi));
    json_object_object_add(root, "generator", gen);
    json_object *nodes = json_object_new_object();
    for (size_t i = 0; types[i]; i++)
        json_object_object_add(nodes, types[i]->class_type, node_json(p, types[i]));
    json_object_object_add(root, "nodes", nodes);
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = strlen(s);
    char *out = malloc(len + 2);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\n';
        out[len + 1] = 0;
    }
    json_object_put(root);
    free(types);
    return out;
}
