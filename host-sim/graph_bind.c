/* graph_bind.c — binding a parsed prompt to the plugin's node types: class
 * lookup, links, ${VAR} substitution, ComfyUI-style scalar coercion, range and
 * type checks, the nodes' validate hooks and cycle detection. */
#include "graph.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "comfy_packages.h"

#define NODE_ARGS(n) (n)->id, (n)->class_type

static const ltx2_node_type *find_type(const ltx2_node_type *const *types, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (types[i] && types[i]->class_type && strcmp(types[i]->class_type, name) == 0)
            return types[i];
    return NULL;
}

static int is_scalar_type(const char *t)
{
    return !strcmp(t, "INT") || !strcmp(t, "FLOAT") || !strcmp(t, "BOOLEAN") || !strcmp(t, "STRING") ||
           !strcmp(t, "COMBO");
}

/* ComfyUI's validate_node_input: "*" matches anything; comma lists match when
 * one set is a subset of the other. */
static int list_has(const char *list, const char *item, size_t item_len)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        while (l && isspace((unsigned char)*p)) {
            p++;
            l--;
        }
        while (l && isspace((unsigned char)p[l - 1]))
            l--;
        if (l == item_len && strncmp(p, item, l) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int subset_of(const char *a, const char *b)
{
    const char *p = a;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        while (l && isspace((unsigned char)*p)) {
            p++;
            l--;
        }
        while (l && isspace((unsigned char)p[l - 1]))
            l--;
        if (!list_has(b, p, l))
            return 0;
        if (!e)
            break;
        p = e + 1;
    }
    return 1;
}

static int types_match(const char *out_type, const char *in_type)
{
    if (!strcmp(out_type, "*") || !strcmp(in_type, "*") || !strcmp(out_type, in_type))
        return 1;
    /* a STRING output may feed a COMBO (checked against the options at run time by the node) */
    if (!strcmp(in_type, "COMBO") && !strcmp(out_type, "STRING"))
        return 1;
    return subset_of(out_type, in_type) || subset_of(in_type, out_type);
}

static double num_of(const ltx2_value *v)
{
    return v->kind == LTX2_V_INT ? (double)v->u.i : v->u.f;
}

/* ---------------------------------------------------------------- links */
static int is_link(json_object *v)
{
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
        return 0;
    json_object *a = json_object_array_get_idx(v, 0), *b = json_object_array_get_idx(v, 1);
    return (json_object_is_type(a, json_type_string) || json_object_is_type(a, json_type_int)) &&
           (json_object_is_type(b, json_type_int) || json_object_is_type(b, json_type_double));
}

static int bind_link(hs_graph *g, hs_node *n, const ltx2_port *port, hs_bound *b, json_object *v,
                     hs_diag *d)
{
    json_object *a = json_object_array_get_idx(v, 0), *s = json_object_array_get_idx(v, 1);
    char idbuf[32];
    const char *src_id = json_object_get_string(a);
    if (json_object_is_type(a, json_type_int)) {
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_object_get_int64(a));
        src_id = idbuf;
    }
    size_t src = hs_graph_find(g, src_id);
    if (src == (size_t)-1)
        return hs_diag_set(d, NODE_ARGS(n), port->name, "bad_linked_input",
                           "links to node '%s', which is not in the graph", src_id);
    double slot_d = json_object_get_double(s);
    const hs_node *sn = &g->nodes[src];
    if (!sn->type)
        return 0; /* its unknown class is reported on that node: the input stays unbound */
    if (!(slot_d >= 0) || slot_d >= (double)sn->type->n_outputs)
        return hs_diag_set(d, NODE_ARGS(n), port->name, "bad_linked_input",
                           "links to output slot %g of node %s (%s), which has %u output%s", slot_d,
                           sn->id, sn->class_type, sn->type->n_outputs, sn->type->n_outputs == 1 ? "" : "s");
    uint32_t slot = (uint32_t)slot_d; /* ComfyUI accepts a float slot and truncates it */
    const char *out_type = sn->type->outputs[slot].type;
    if (!types_match(out_type, port->type))
        return hs_diag_set(d, NODE_ARGS(n), port->name, "return_type_mismatch",
                           "expects %s but node %s (%s) output %u ('%s') is %s", port->type, sn->id,
                           sn->class_type, slot, sn->type->outputs[slot].name, out_type);
    b->kind = HS_IN_LINK;
    b->src = src;
    b->slot = slot;
    return 0;
}

/* ---------------------------------------------------------------- literals */
static int parse_int_str(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    long long v = strtoll(s, &end, 10);
    if (errno == 0 && end != s) {
        while (isspace((unsigned char)*end))
            end++;
        if (!*end) {
            *out = v;
            return 0;
        }
    }
    /* "3.0" from a --var: accept an integral float */
    errno = 0;
    double f = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end || end == s || !isfinite(f) || f != floor(f) || fabs(f) > 9.2e18)
        return -1;
    *out = (int64_t)f;
    return 0;
}

static int parse_float_str(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    errno = 0;
    double f = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (errno == ERANGE || *end || end == s)
        return -1;
    *out = f;
    return 0;
}

static int parse_bool_str(const char *s, int32_t *out)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static char *dup_s(const char *s)
{
    size_t n = strlen(s) + 1;
    char *r = malloc(n);
    if (r)
        memcpy(r, s, n);
    return r;
}

/* Text of a JSON scalar as ComfyUI's str() would give it (bool as "true"/"false"). */
static char *scalar_text(json_object *v)
{
    if (json_object_is_type(v, json_type_boolean))
        return dup_s(json_object_get_boolean(v) ? "true" : "false");
    return dup_s(json_object_get_string(v));
}

int hs_check_range(hs_node *n, const ltx2_port *port, const ltx2_value *v, hs_diag *d)
{
    double x = num_of(v);
    char xs[64];
    if (v->kind == LTX2_V_INT)
        snprintf(xs, sizeof xs, "%lld", (long long)v->u.i);
    else
        snprintf(xs, sizeof xs, "%g", v->u.f);
    /* NaN passes every comparison and inf every port without a max: refuse both. */
    if (v->kind == LTX2_V_FLOAT && !isfinite(x))
        return hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type",
                           "value %s is not a finite number", xs);
    if ((port->min.kind == LTX2_V_INT || port->min.kind == LTX2_V_FLOAT) && x < num_of(&port->min))
        return hs_diag_set(d, NODE_ARGS(n), port->name, "value_smaller_than_min",
                           "value %s is smaller than the minimum %g", xs, num_of(&port->min));
    if ((port->max.kind == LTX2_V_INT || port->max.kind == LTX2_V_FLOAT) && x > num_of(&port->max))
        return hs_diag_set(d, NODE_ARGS(n), port->name, "value_bigger_than_max",
                           "value %s is bigger than the maximum %g", xs, num_of(&port->max));
    return 0;
}

static int bind_literal(hs_node *n, const ltx2_port *port, hs_bound *b, json_object *v,
                        const hs_vars *vars, hs_diag *d)
{
    json_object *wrapped;
    if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "__value__", &wrapped))
        v = wrapped; /* ComfyUI's escape for literal lists */
    enum json_type jt = json_object_get_type(v);
    if (jt == json_type_null)
        return hs_diag_set(d, NODE_ARGS(n), port->name, "required_input_missing", "value is null");
    if (jt == json_type_array || jt == json_type_object)
        return hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type",
                           "a %s value can only be a link [\"node id\", slot] or a scalar",
                           jt == json_type_array ? "list" : "object");
    const char *pt = port->type;
    int any = !strcmp(pt, "*");
    if (!is_scalar_type(pt) && !any)
        return hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type",
                           "an input of type %s must be linked to another node's output, not given a literal",
                           pt);
    /* strings: ${NAME} substitution first */
    char *text = NULL;
    int from_string = jt == json_type_string;
    if (from_string) {
        char unset[128];
        text = hs_subst(json_object_get_string(v), vars, unset, sizeof unset);
        if (!text)
            return hs_diag_set(d, NODE_ARGS(n), port->name, "unset_variable",
                               "variable ${%s} is not set (pass --var %s=VALUE)", unset, unset);
    }
    ltx2_value *out = &b->value;
    b->kind = HS_IN_LITERAL;
    int rc = 0;
    if (any) {
        /* no declared type: keep the JSON kind */
        if (from_string) {
            out->kind = LTX2_V_STRING;
            b->str = text;
            text = NULL;
            out->u.s = b->str;
        } else if (jt == json_type_boolean) {
            out->kind = LTX2_V_BOOL;
            out->u.b = json_object_get_boolean(v);
        } else if (jt == json_type_int) {
            out->kind = LTX2_V_INT;
            out->u.i = json_object_get_int64(v);
        } else {
            out->kind = LTX2_V_FLOAT;
            out->u.f = json_object_get_double(v);
        }
    } else if (!strcmp(pt, "INT")) {
        out->kind = LTX2_V_INT;
        if (from_string) {
            if (parse_int_str(text, &out->u.i))
                rc = hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type",
                                 "'%s' is not an INT", text);
        } else if (jt == json_type_double) {
            double f = json_object_get_double(v);
            if (!isfinite(f) || fabs(f) > 9.2e18)
                rc = hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type", "%g is not an INT", f);
            else
                out->u.i = (int64_t)f; /* int(1.7) == 1 in ComfyUI */
        } else {
            out->u.i = jt == json_type_boolean ? json_object_get_boolean(v) : json_object_get_int64(v);
        }
        if (!rc)
            rc = hs_check_range(n, port, out, d);
    } else if (!strcmp(pt, "FLOAT")) {
        out->kind = LTX2_V_FLOAT;
        if (from_string) {
            if (parse_float_str(text, &out->u.f))
                rc = hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type",
                                 "'%s' is not a FLOAT", text);
        } else {
            out->u.f = jt == json_type_boolean ? json_object_get_boolean(v) : json_object_get_double(v);
        }
        if (!rc)
            rc = hs_check_range(n, port, out, d);
    } else if (!strcmp(pt, "BOOLEAN")) {
        out->kind = LTX2_V_BOOL;
        if (from_string) {
            if (parse_bool_str(text, &out->u.b))
                rc = hs_diag_set(d, NODE_ARGS(n), port->name, "invalid_input_type",
                                 "'%s' is not a BOOLEAN (true/false)", text);
        } else if (jt == json_type_boolean) {
            out->u.b = json_object_get_boolean(v);
        } else {
            out->u.b = json_object_get_double(v) != 0.0;
        }
    } else { /* STRING, COMBO */
        if (!from_string) {
            text = scalar_text(v);
            if (!text)
                return hs_diag_set(d, NODE_ARGS(n), port->name, "exception_during_validation", "out of memory");
        }
        if (!strcmp(pt, "COMBO") && port->options) {
            int found = 0;
            for (const char *const *o = port->options; *o; o++)
                if (!strcmp(*o, text))
                    found = 1;
            if (!found) {
                char list[400] = "";
                size_t len = 0;
                for (const char *const *o = port->options; *o && len < sizeof list - 8; o++) {
                    int w = snprintf(list + len, sizeof list - len, "%s'%s'", o == port->options ? "" : ", ", *o);
                    if (w < 0)
                        break;
                    len += (size_t)w;
                }
                rc = hs_diag_set(d, NODE_ARGS(n), port->name, "value_not_in_list",
                                 "'%s' is not one of [%s]", text, list);
            }
        }
        out->kind = LTX2_V_STRING;
        b->str = text;
        text = NULL;
        out->u.s = b->str;
    }
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- validate hook */
typedef struct vctx {
    ltx2_exec_ctx ctx;
    hs_diag *d;
    const hs_node *n;
    int failed;
} vctx;

static const int32_t never_cancelled = 0;

static ltx2_status v_progress(ltx2_exec_ctx *ctx, double value, double max, const char *phase)
{
    (void)ctx;
    (void)value;
    (void)max;
    (void)phase;
    return LTX2_OK;
}

static void v_log(ltx2_exec_ctx *ctx, int32_t level, const char *message)
{
    (void)ctx;
    (void)level;
    (void)message;
}

static void v_set_error(ltx2_exec_ctx *ctx, ltx2_status code, const char *input_name, const char *message)
{
    vctx *v = (vctx *)ctx;
    if (v->failed)
        return; /* keep the first cause */
    v->failed = 1;
    hs_diag_set(v->d, v->n->id, v->n->class_type, input_name,
                code == LTX2_ERR_BAD_INPUT ? "custom_validation_failed" : "exception_during_validation", "%s",
                message ? message : "validation failed");
}

static int run_validate(hs_node *n, hs_diag *d)
{
    const ltx2_node_type *t = n->type;
    if (!t->validate)
        return 0;
    ltx2_value *vals = calloc(t->n_inputs ? t->n_inputs : 1, sizeof *vals);
    if (!vals)
        return hs_diag_set(d, NODE_ARGS(n), NULL, "exception_during_validation", "out of memory");
    /* linked inputs are not known before running: they are NONE here, as in
     * ComfyUI's VALIDATE_INPUTS which only sees literal inputs */
    for (uint32_t i = 0; i < t->n_inputs; i++)
        if (n->ports[i].kind == HS_IN_LITERAL)
            vals[i] = n->ports[i].value;
    vctx v = {.ctx = {.struct_size = sizeof(ltx2_exec_ctx), .node_id = n->id, .class_type = n->class_type,
                      .cancel_flag = &never_cancelled, .progress = v_progress, .log = v_log,
                      .set_error = v_set_error},
              .d = d,
              .n = n};
    ltx2_status st = t->validate(t, &v.ctx, vals);
    free(vals);
    if (st == LTX2_OK || st == LTX2_CANCELLED)
        return 0;
    if (!v.failed)
        hs_diag_set(d, NODE_ARGS(n), NULL, "custom_validation_failed", "validation failed (status %d)", (int)st);
    return -1;
}

/* ---------------------------------------------------------------- cycles */
static int check_cycles(hs_graph *g, hs_diag *d)
{
    size_t n = g->n_nodes;
    /* state: 0 unvisited, 1 on the stack, 2 done; iterative DFS over links */
    unsigned char *state = calloc(n ? n : 1, 1);
    size_t *stack = malloc((n ? n : 1) * sizeof *stack);
    uint32_t *next_port = malloc((n ? n : 1) * sizeof *next_port);
    if (!state || !stack || !next_port) {
        free(state);
        free(stack);
        free(next_port);
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt", "out of memory");
    }
    int rc = 0;
    for (size_t start = 0; start < n && !rc; start++) {
        if (state[start])
            continue;
        size_t sp = 0;
        stack[sp++] = start;
        next_port[start] = 0;
        state[start] = 1;
        while (sp && !rc) {
            size_t cur = stack[sp - 1];
            hs_node *cn = &g->nodes[cur];
            if (next_port[cur] >= cn->type->n_inputs) {
                state[cur] = 2;
                sp--;
                continue;
            }
            uint32_t pi = next_port[cur]++;
            if (cn->ports[pi].kind != HS_IN_LINK)
                continue;
            size_t s = cn->ports[pi].src;
            if (state[s] == 1) {
                /* the stack from s to cur is the cycle */
                char path[512] = "";
                size_t len = 0, k = sp;
                while (k > 0 && stack[k - 1] != s)
                    k--;
                for (size_t j = k - 1; j < sp && len < sizeof path - 40; j++) {
                    int w = snprintf(path + len, sizeof path - len, "%s -> ", g->nodes[stack[j]].id);
                    if (w > 0)
                        len += (size_t)w;
                }
                snprintf(path + len, sizeof path - len, "%s", g->nodes[s].id);
                rc = hs_diag_set(d, NODE_ARGS(cn), cn->type->inputs[pi].name, "dependency_cycle",
                                 "dependency cycle through this input: %s (each node needs the next one's output)",
                                 path);
            } else if (state[s] == 0) {
                state[s] = 1;
                next_port[s] = 0;
                stack[sp++] = s;
            }
        }
    }
    free(state);
    free(stack);
    free(next_port);
    return rc;
}

/* ---------------------------------------------------------------- bind */
int hs_diags_push(hs_diags *all, const hs_diag *d)
{
    if (all->n == all->cap) {
        size_t cap = all->cap ? all->cap * 2 : 8;
        hs_diag *v = realloc(all->v, cap * sizeof *v);
        if (!v)
            return -1;
        all->v = v;
        all->cap = cap;
    }
    all->v[all->n++] = *d;
    return 0;
}

void hs_diags_free(hs_diags *all)
{
    free(all->v);
    memset(all, 0, sizeof *all);
}

/* Binds every input of one node, recording each error (ComfyUI lists all the
 * errors of a node); the validate hook runs only on a node bound cleanly. */
static void bind_node(hs_graph *g, hs_node *n, const hs_vars *vars, hs_warn_fn warn, void *wu, hs_diags *all)
{
    const ltx2_node_type *t = n->type;
    hs_diag d;
    size_t before = all->n;
    n->ports = calloc(t->n_inputs ? t->n_inputs : 1, sizeof *n->ports);
    if (!n->ports) {
        hs_diag_set(&d, NODE_ARGS(n), NULL, "exception_during_validation", "out of memory");
        hs_diags_push(all, &d);
        return;
    }
    for (size_t r = 0; r < n->n_raw; r++) {
        int known = 0;
        for (uint32_t i = 0; i < t->n_inputs; i++)
            if (!strcmp(t->inputs[i].name, n->raw[r].name))
                known = 1;
        if (!known && warn) {
            char line[512];
            snprintf(line, sizeof line, "node %s (%s): input '%s' is not an input of %s; ignored", n->id,
                     n->class_type, n->raw[r].name, n->class_type);
            warn(wu, line);
        }
    }
    for (uint32_t i = 0; i < t->n_inputs; i++) {
        const ltx2_port *port = &t->inputs[i];
        json_object *v = NULL;
        for (size_t r = 0; r < n->n_raw; r++)
            if (!strcmp(port->name, n->raw[r].name))
                v = n->raw[r].val;
        hs_bound *b = &n->ports[i];
        int rc = 0;
        if (!v || json_object_is_type(v, json_type_null)) {
            if (!(port->flags & LTX2_PORT_OPTIONAL)) {
                rc = hs_diag_set(&d, NODE_ARGS(n), port->name, "required_input_missing",
                                 "required input is missing (type %s)", port->type);
            } else if (port->def.kind == LTX2_V_STRING) {
                /* An optional scalar the graph leaves out takes the port's default,
                 * as a Python default argument would in ComfyUI. */
                b->str = strdup(port->def.u.s ? port->def.u.s : "");
                if (!b->str)
                    rc = hs_diag_set(&d, NODE_ARGS(n), port->name, "exception_during_validation", "out of memory");
                b->kind = HS_IN_LITERAL;
                b->value = port->def;
                b->value.u.s = b->str;
            } else if (port->def.kind != LTX2_V_NONE) {
                b->kind = HS_IN_LITERAL;
                b->value = port->def;
            }
        } else {
            rc = is_link(v) ? bind_link(g, n, port, b, v, &d) : bind_literal(n, port, b, v, vars, &d);
        }
        if (rc)
            hs_diags_push(all, &d);
    }
    if (all->n == before && run_validate(n, &d))
        hs_diags_push(all, &d);
}

int hs_graph_bind_all(hs_graph *g, const ltx2_node_type *const *types, size_t n_types, const hs_vars *vars,
                      hs_warn_fn warn, void *warn_user, hs_diags *all)
{
    hs_diag d;
    /* every class first, so link checks can read the producers' outputs */
    for (size_t i = 0; i < g->n_nodes; i++) {
        hs_node *n = &g->nodes[i];
        n->type = find_type(types, n_types, n->class_type);
        if (n->type)
            continue;
        const char *pack = hs_class_package(n->class_type);
        hs_diag_set(&d, NODE_ARGS(n), NULL, "missing_node_type", "unknown class_type '%s'%s%s%s", n->class_type,
                    pack ? " (from " : " (host-sim list shows the available nodes", pack ? pack : "",
                    pack ? ", which this plugin does not provide)" : ")");
        hs_diags_push(all, &d);
    }
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].type)
            bind_node(g, &g->nodes[i], vars, warn, warn_user, all);
    if (all->n == 0 && check_cycles(g, &d))
        hs_diags_push(all, &d);
    return all->n ? -1 : 0;
}

int hs_graph_bind(hs_graph *g, const ltx2_node_type *const *types, size_t n_types, const hs_vars *vars,
                  hs_warn_fn warn, void *warn_user, hs_diag *d)
{
    hs_diags all = {0};
    int rc = hs_graph_bind_all(g, types, n_types, vars, warn, warn_user, &all);
    if (rc && d)
        *d = all.n ? all.v[0] : *d;
    hs_diags_free(&all);
    return rc;
}

int hs_raw_link_src(struct json_object *v, char *id, size_t id_size)
{
    if (!is_link(v))
        return -1;
    json_object *a = json_object_array_get_idx(v, 0);
    if (json_object_is_type(a, json_type_int))
        snprintf(id, id_size, "%lld", (long long)json_object_get_int64(a));
    else
        snprintf(id, id_size, "%s", json_object_get_string(a));
    return 0;
}
