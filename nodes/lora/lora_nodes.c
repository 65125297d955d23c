/* The node types of nodes/lora, in the order the manifest lists them. */
#include "stages.h"

const ltx2_node_type *const *ltx2_nodes_lora(size_t *count)
{
    *count = 0;
    return NULL;
}
