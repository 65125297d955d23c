/* The node types of nodes/util, in the order the manifest lists them. */
#include "stages.h"
#include "util/util.h"

static const ltx2_node_type *const util_nodes[] = {
    &ltx2_node_primitive_int,    &ltx2_node_primitive_float, &ltx2_node_primitive_string,
    &ltx2_node_primitive_string_multiline, &ltx2_node_primitive_boolean, &ltx2_node_delay,
    &ltx2_node_save_text,
};

const ltx2_node_type *const *ltx2_nodes_util(size_t *count)
{
    *count = sizeof util_nodes / sizeof util_nodes[0];
    return util_nodes;
}
