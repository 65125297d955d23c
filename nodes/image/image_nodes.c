/* The node types of nodes/image, in the order the manifest lists them. */
#include "stages.h"

extern const ltx2_node_type ltx2_node_image_resize;

static const ltx2_node_type *const image_nodes[] = {
    &ltx2_node_image_resize,
};

const ltx2_node_type *const *ltx2_nodes_image(size_t *count)
{
    *count = sizeof image_nodes / sizeof *image_nodes;
    return image_nodes;
}
