/* The node types of nodes/upscaler, in the order the manifest lists them. */
#include "stages.h"

const ltx2_node_type *const *ltx2_nodes_upscaler(size_t *count)
{
    *count = 0;
    return NULL;
}
