/* util.h — the node types of nodes/util, one file each. */
#ifndef LTX2_UTIL_NODES_H
#define LTX2_UTIL_NODES_H
#include "ltx2/ltx2_plugin.h"

extern const ltx2_node_type ltx2_node_primitive_int;
extern const ltx2_node_type ltx2_node_primitive_float;
extern const ltx2_node_type ltx2_node_primitive_string;
extern const ltx2_node_type ltx2_node_primitive_string_multiline;
extern const ltx2_node_type ltx2_node_primitive_boolean;
extern const ltx2_node_type ltx2_node_delay;
extern const ltx2_node_type ltx2_node_save_text;

/* A copy of v that the host will own: tensors/objects retained, strings copied. */
ltx2_value ltx2_util_value_copy(const ltx2_value *v);

#endif
