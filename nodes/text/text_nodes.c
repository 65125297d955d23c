/* The node types of nodes/text, in the order the manifest lists them. */
#include "stages.h"
#include "text/text_nodes.h"

static const ltx2_node_type *const text_nodes[] = {&ltx2_node_text_encode, &ltx2_node_enhance_prompt};

const ltx2_node_type *const *ltx2_nodes_text(size_t *count)
{
    *count = sizeof text_nodes / sizeof text_nodes[0];
    return text_nodes;
}
