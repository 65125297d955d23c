/* ui_model.h — read access to a ComfyUI UI workflow's JSON: nodes, slots,
 * links (array or object form), subgraph definitions, widget values. Every
 * accessor tolerates missing or mistyped fields (NULL / -1 / defaults). */
#ifndef HS_UI_MODEL_H
#define HS_UI_MODEL_H
#include <stdint.h>
#include "ltx2/ltx2_plugin.h"

struct json_object;

/* The ids of a subgraph's input and output nodes in its links. */
#define UI_SUBGRAPH_INPUT_ID (-10)
#define UI_SUBGRAPH_OUTPUT_ID (-20)

typedef struct ui_link {
    int64_t id, origin_id, origin_slot, target_id, target_slot;
} ui_link;

struct json_object *ui_graph_nodes(struct json_object *g);
struct json_object *ui_find_node(struct json_object *g, int64_t id);
/* 0 when the link exists (links are [id, from, from_slot, to, to_slot, type] or objects). */
int ui_find_link(struct json_object *g, int64_t id, ui_link *out);
/* The link feeding output `slot` of a subgraph definition; 0 when found. */
int ui_subgraph_output_link(struct json_object *def, int64_t slot, ui_link *out);
/* The definition whose id is `type` (root "definitions.subgraphs"), or NULL. */
struct json_object *ui_subgraph_def(struct json_object *root, const char *type);

int64_t ui_node_id(struct json_object *n);
const char *ui_node_type(struct json_object *n);
const char *ui_node_title(struct json_object *n);
int ui_node_mode(struct json_object *n);
struct json_object *ui_node_inputs(struct json_object *n);
/* Input / output slot `slot`, or NULL (no such slot, no array). */
struct json_object *ui_node_input(struct json_object *n, int64_t slot);
struct json_object *ui_node_output(struct json_object *n, int64_t slot);
/* widgets_values when it is an array, else NULL. */
struct json_object *ui_node_widgets_values_array(struct json_object *n);
struct json_object *ui_widget_value_at(struct json_object *n, size_t i);

const char *ui_slot_name(struct json_object *slot);
const char *ui_slot_type(struct json_object *slot);
/* 0 with *link set when the input slot is connected. */
int ui_slot_link(struct json_object *slot, int64_t *link);

/* Editor-only nodes that never reach the prompt (reroutes, notes). */
int ui_is_virtual(const char *type);
/* The legacy frontend PrimitiveNode: its value is copied into the widgets it feeds. */
int ui_is_legacy_primitive(const char *type);
/* The value of the subgraph instance's promoted widget behind input slot `in`. */
struct json_object *ui_promoted_value(struct json_object *inst, struct json_object *in);

/* LiteGraph's isValidConnection: empty or "*" matches anything, comma lists
 * match when they share a type (case-insensitive). */
int ui_types_connect(const char *a, const char *b);

/* Names the node's widgets_values from its descriptor (ui_widgets.c): one slot
 * per widget input (INT, FLOAT, BOOLEAN, STRING, COMBO), required then optional,
 * plus the hidden control_after_generate slot after a seed and the upload slot
 * after an upload input. Adds them to `inputs`. */
void ui_widgets_to_inputs(const ltx2_node_type *t, struct json_object *node, struct json_object *inputs);

#endif
