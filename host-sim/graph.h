/* graph.h — a ComfyUI API prompt parsed, bound to the plugin's node types and
 * validated, before anything runs. This part of host-sim touches no plugin code
 * beyond the descriptors, so the fuzz target can compile it in alone. */
#ifndef HS_GRAPH_H
#define HS_GRAPH_H
#include <stddef.h>
#include <stdint.h>
#include "ltx2/ltx2_plugin.h"

struct json_object;

/* One error, shaped like ComfyUI's node_errors entries. */
typedef struct hs_diag {
    char node_id[64];    /* "" when the error is not about one node */
    char class_type[128];
    char input[128];     /* "" when no input is at fault */
    char type[48];       /* ComfyUI error type: "required_input_missing", ... */
    char message[768];
} hs_diag;

/* Fills d (when not NULL) and returns -1. */
int hs_diag_set(hs_diag *d, const char *node_id, const char *class_type, const char *input,
                const char *type, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "node 7 (SaveTensors) input 'path': message [type]" into buf. */
const char *hs_diag_line(const hs_diag *d, char *buf, size_t size);

/* --var NAME=VALUE pairs (borrowed strings). */
typedef struct hs_var {
    const char *name;
    const char *value;
} hs_var;
typedef struct hs_vars {
    const hs_var *v;
    size_t n;
} hs_vars;

/* Replaces every ${NAME} in s. Returns a malloc'd string, or NULL with
 * *unset_name pointing at the (static-length copy of the) first unset name. */
char *hs_subst(const char *s, const hs_vars *vars, char *unset_name, size_t unset_size);

/* Numeric-aware id order: "2" < "10" < "10:3" < "a". */
int hs_id_cmp(const char *a, const char *b);

enum hs_in_kind { HS_IN_ABSENT = 0, HS_IN_LITERAL = 1, HS_IN_LINK = 2 };

/* The value bound to one input port of a node type. */
typedef struct hs_bound {
    int kind;          /* hs_in_kind */
    size_t src;        /* LINK: index of the producing node in graph->nodes */
    uint32_t slot;     /* LINK: output slot */
    ltx2_value value;  /* LITERAL: coerced value (strings point at str) */
    char *str;         /* owned string storage of a STRING/COMBO literal */
} hs_bound;

typedef struct hs_raw_input {
    char *name;
    struct json_object *val; /* borrowed from graph->root */
} hs_raw_input;

typedef struct hs_node {
    char *id;
    char *class_type;
    char *title;                 /* _meta.title or NULL */
    hs_raw_input *raw;
    size_t n_raw;
    const ltx2_node_type *type;  /* set by hs_graph_bind */
    hs_bound *ports;             /* type->n_inputs, set by hs_graph_bind */
} hs_node;

typedef struct hs_graph {
    struct json_object *root;
    char *prompt_id; /* from the envelope, or NULL */
    hs_node *nodes;  /* sorted by hs_id_cmp */
    size_t n_nodes;
} hs_graph;

/* Called once per warning line (unknown input names, ...). */
typedef void (*hs_warn_fn)(void *user, const char *line);

/* Parses the JSON text (bare prompt map or {"prompt": ...} envelope). Rejects
 * malformed JSON and UI workflows. On failure g is left empty. */
int hs_graph_parse(const char *text, size_t len, hs_graph *g, hs_diag *d);
/* True when root is a ComfyUI UI workflow (has "nodes"/"links" arrays or
 * "last_node_id"), which hs_graph_parse refuses and `run`/`convert` convert first. */
struct json_object;
int hs_is_ui_workflow(struct json_object *root);
/* Resolves class types, binds inputs to ports (links, substituted and coerced
 * literals), checks types and ranges, calls each node's validate hook and
 * rejects cycles. 0 or -1 with d filled with the first error. */
int hs_graph_bind(hs_graph *g, const ltx2_node_type *const *types, size_t n_types,
                  const hs_vars *vars, hs_warn_fn warn, void *warn_user, hs_diag *d);
void hs_graph_free(hs_graph *g);

/* Every error of one validation pass, as ComfyUI reports every invalid node. */
typedef struct hs_diags {
    hs_diag *v;
    size_t n, cap;
} hs_diags;
void hs_diags_free(hs_diags *all);
/* Appends a copy of d; -1 when out of memory. */
int hs_diags_push(hs_diags *all, const hs_diag *d);
/* hs_graph_bind collecting every error: each unknown class (with the package
 * that provides it when known), every input error of every node; validate
 * hooks run on the nodes bound cleanly, cycles are checked once all is clean.
 * 0, or -1 with all->n > 0. hs_graph_bind reports the first of these. */
int hs_graph_bind_all(hs_graph *g, const ltx2_node_type *const *types, size_t n_types,
                      const hs_vars *vars, hs_warn_fn warn, void *warn_user, hs_diags *all);
/* The producer id of a raw input that is a link ["id", slot]; 0 when it is one. */
int hs_raw_link_src(struct json_object *v, char *id, size_t id_size);
/* Index of the node with this id, or (size_t)-1. */
size_t hs_graph_find(const hs_graph *g, const char *id);

/* Run plan: the ancestors of the output nodes in a deterministic topological
 * order, and how many consumer ports read each output slot. */
typedef struct hs_plan {
    size_t *order; /* node indices */
    size_t n;
    uint32_t **consumers; /* [node][slot]: pending reads among planned nodes; NULL rows for unplanned */
} hs_plan;

int hs_plan_build(const hs_graph *g, hs_plan *p, hs_diag *d);
void hs_plan_free(const hs_graph *g, hs_plan *p);

/* Checks an INT/FLOAT value against the port's min/max (and NaN): 0, or -1 with d
 * naming the node and input. Literals at bind time; linked values before the node runs. */
int hs_check_range(hs_node *n, const ltx2_port *port, const ltx2_value *v, hs_diag *d);

#endif
