/* graph.c — reading a ComfyUI API prompt into hs_graph (structure only; binding
 * to node types lives in graph_bind.c). */
#include "graph.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_diag_set(hs_diag *d, const char *node_id, const char *class_type, const char *input,
                const char *type, const char *fmt, ...)
{
    if (!d)
        return -1;
    snprintf(d->node_id, sizeof d->node_id, "%s", node_id ? node_id : "");
    snprintf(d->class_type, sizeof d->class_type, "%s", class_type ? class_type : "");
    snprintf(d->input, sizeof d->input, "%s", input ? input : "");
    snprintf(d->type, sizeof d->type, "%s", type ? type : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    return -1;
}

const char *hs_diag_line(const hs_diag *d, char *buf, size_t size)
{
    char where[400] = "";
    if (d->node_id[0] && d->input[0])
        snprintf(where, sizeof where, "node %s (%s) input '%s': ", d->node_id,
                 d->class_type[0] ? d->class_type : "?", d->input);
    else if (d->node_id[0])
        snprintf(where, sizeof where, "node %s (%s): ", d->node_id,
                 d->class_type[0] ? d->class_type : "?");
    if (d->type[0])
        snprintf(buf, size, "%s%s [%s]", where, d->message, d->type);
    else
        snprintf(buf, size, "%s%s", where, d->message);
    return buf;
}

/* ---------------------------------------------------------------- ids */
int hs_id_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            /* compare digit runs by value: skip leading zeros, then length, then digits */
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c < 0 ? -1 : 1;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    if (*a == *b)
        return 0;
    return *a ? 1 : -1;
}

size_t hs_graph_find(const hs_graph *g, const char *id)
{
    size_t lo = 0, hi = g->n_nodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = hs_id_cmp(g->nodes[mid].id, id);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}

/* ---------------------------------------------------------------- ${NAME} */
static const char *var_lookup(const hs_vars *vars, const char *name, size_t len)
{
    if (!vars)
        return NULL;
    /* the last --var of a name wins, as on most command lines */
    for (size_t i = vars->n; i-- > 0;)
        if (strlen(vars->v[i].name) == len && memcmp(vars->v[i].name, name, len) == 0)
            return vars->v[i].value;
    return NULL;
}

char *hs_subst(const char *s, const hs_vars *vars, char *unset_name, size_t unset_size)
{
    size_t cap = strlen(s) + 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = s; *p;) {
        const char *val = NULL;
        size_t skip = 0;
        if (p[0] == '$' && p[1] == '{' && (isalpha((unsigned char)p[2]) || p[2] == '_')) {
            size_t n = 2;
            while (isalnum((unsigned char)p[n]) || p[n] == '_')
                n++;
            if (p[n] == '}') {
                val = var_lookup(vars, p + 2, n - 2);
                if (!val) {
                    if (unset_name)
                        snprintf(unset_name, unset_size, "%.*s", (int)(n - 2), p + 2);
                    free(out);
                    return NULL;
                }
                skip = n + 1;
            }
        }
        if (!val) {
            val = p;
            skip = 1;
        }
        size_t add = val == p ? 1 : strlen(val);
        if (len + add + 1 > cap) {
            size_t ncap = (len + add + 1) * 2;
            char *t = realloc(out, ncap);
            if (!t) {
                free(out);
                return NULL;
            }
            out = t;
            cap = ncap;
        }
        memcpy(out + len, val, add);
        len += add;
        p += skip;
    }
    out[len] = 0;
    return out;
}

/* ---------------------------------------------------------------- parsing */
static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void node_free(hs_node *n)
{
    for (size_t i = 0; i < n->n_raw; i++)
        free(n->raw[i].name);
    free(n->raw);
    if (n->ports && n->type)
        for (uint32_t i = 0; i < n->type->n_inputs; i++)
            free(n->ports[i].str);
    free(n->ports);
    free(n->id);
    free(n->class_type);
    free(n->title);
}

void hs_graph_free(hs_graph *g)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        node_free(&g->nodes[i]);
    free(g->nodes);
    free(g->prompt_id);
    if (g->root)
        json_object_put(g->root);
    memset(g, 0, sizeof *g);
}

static int node_cmp(const void *a, const void *b)
{
    return hs_id_cmp(((const hs_node *)a)->id, ((const hs_node *)b)->id);
}

/* Line and column of a byte offset, for JSON error messages. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int hs_is_ui_workflow(json_object *root)
{
    json_object *v;
    if (!json_object_is_type(root, json_type_object))
        return 0;
    if (json_object_object_get_ex(root, "nodes", &v) && json_object_is_type(v, json_type_array))
        return 1;
    if (json_object_object_get_ex(root, "links", &v) && json_object_is_type(v, json_type_array))
        return 1;
    return json_object_object_get_ex(root, "last_node_id", NULL);
}

static int parse_node(const char *id, json_object *val, hs_node *n, hs_diag *d)
{
    memset(n, 0, sizeof *n);
    n->id = dup_str(id);
    if (!n->id)
        return hs_diag_set(d, id, NULL, NULL, "invalid_prompt", "out of memory");
    json_object *ct, *inputs, *meta, *title;
    if (!json_object_is_type(val, json_type_object))
        return hs_diag_set(d, id, NULL, NULL, "invalid_prompt",
                           "node entry must be an object {\"class_type\": ..., \"inputs\": {...}}");
    if (!json_object_object_get_ex(val, "class_type", &ct) || !json_object_is_type(ct, json_type_string))
        return hs_diag_set(d, id, NULL, NULL, "invalid_prompt", "node has no \"class_type\" string");
    n->class_type = dup_str(json_object_get_string(ct));
    if (!n->class_type)
        return hs_diag_set(d, id, NULL, NULL, "invalid_prompt", "out of memory");
    if (json_object_object_get_ex(val, "_meta", &meta) && json_object_is_type(meta, json_type_object) &&
        json_object_object_get_ex(meta, "title", &title) && json_object_is_type(title, json_type_string))
        n->title = dup_str(json_object_get_string(title));
    if (!json_object_object_get_ex(val, "inputs", &inputs) || json_object_is_type(inputs, json_type_null))
        return 0;
    if (!json_object_is_type(inputs, json_type_object))
        return hs_diag_set(d, id, n->class_type, NULL, "invalid_prompt", "\"inputs\" must be an object");
    size_t cnt = (size_t)json_object_object_length(inputs);
    n->raw = calloc(cnt ? cnt : 1, sizeof *n->raw);
    if (!n->raw)
        return hs_diag_set(d, id, n->class_type, NULL, "invalid_prompt", "out of memory");
    json_object_object_foreach(inputs, key, v)
    {
        n->raw[n->n_raw].name = dup_str(key);
        n->raw[n->n_raw].val = v;
        if (!n->raw[n->n_raw].name)
            return hs_diag_set(d, id, n->class_type, NULL, "invalid_prompt", "out of memory");
        n->n_raw++;
    }
    return 0;
}

int hs_graph_parse(const char *text, size_t len, hs_graph *g, hs_diag *d)
{
    memset(g, 0, sizeof *g);
    json_tokener *tok = json_tokener_new_ex(64);
    if (!tok)
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt", "out of memory");
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (!root && jerr == json_tokener_continue)
        jerr = json_tokener_error_parse_eof;
    json_tokener_free(tok);
    if (!root && jerr == json_tokener_success) /* json-c 0.16 sets no error when malloc fails */
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt", "out of memory parsing the graph");
    if (!root || jerr != json_tokener_success) {
        int line, col;
        line_col(text, end < len ? end : len, &line, &col);
        json_object_put(root);
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt",
                           "malformed JSON at line %d, column %d: %s", line, col,
                           json_tokener_error_desc(jerr == json_tokener_success ? json_tokener_error_parse_unexpected : jerr));
    }
    for (size_t i = end; i < len; i++)
        if (!isspace((unsigned char)text[i])) {
            int line, col;
            line_col(text, i, &line, &col);
            json_object_put(root);
            return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt",
                               "malformed JSON: trailing data at line %d, column %d", line, col);
        }
    g->root = root;
    if (!json_object_is_type(root, json_type_object)) {
        hs_graph_free(g);
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt",
                           "the graph must be a JSON object mapping node ids to {\"class_type\", \"inputs\"}");
    }
    json_object *prompt = root, *p;
    if (json_object_object_get_ex(root, "prompt", &p) && json_object_is_type(p, json_type_object)) {
        prompt = p; /* the POST /prompt envelope */
        json_object *pid;
        if (json_object_object_get_ex(root, "prompt_id", &pid) && json_object_is_type(pid, json_type_string))
            g->prompt_id = dup_str(json_object_get_string(pid));
    }
    if (hs_is_ui_workflow(prompt)) {
        hs_graph_free(g);
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt",
                           "this is a ComfyUI UI workflow (it has \"nodes\"/\"links\"), not an API prompt: "
                           "host-sim run and convert take it as it is (they convert it first)");
    }
    size_t cnt = (size_t)json_object_object_length(prompt);
    g->nodes = calloc(cnt ? cnt : 1, sizeof *g->nodes);
    if (!g->nodes) {
        hs_graph_free(g);
        return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt", "out of memory");
    }
    json_object_object_foreach(prompt, key, val)
    {
        int rc = parse_node(key, val, &g->nodes[g->n_nodes], d);
        g->n_nodes++;
        if (rc) {
            hs_graph_free(g);
            return -1;
        }
    }
    qsort(g->nodes, g->n_nodes, sizeof *g->nodes, node_cmp);
    for (size_t i = 1; i < g->n_nodes; i++)
        if (hs_id_cmp(g->nodes[i - 1].id, g->nodes[i].id) == 0) {
            /* "07" and "7" name the same node once numbers are compared */
            hs_diag_set(d, g->nodes[i].id, g->nodes[i].class_type, NULL, "invalid_prompt",
                        "duplicate node id (same as '%s')", g->nodes[i - 1].id);
            hs_graph_free(g);
            return -1;
        }
    return 0;
}
