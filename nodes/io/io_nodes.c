/* The node types of nodes/io, in the order the manifest lists them. */
#include "io_internal.h"
#include "stages.h"

static const ltx2_node_type *const io_nodes[] = {
    &ltx2_node_load_tensors, &ltx2_node_save_tensors,      &ltx2_node_load_image,
    &ltx2_node_save_image,   &ltx2_node_save_video_frames, &ltx2_node_save_audio,
};

const ltx2_node_type *const *ltx2_nodes_io(size_t *count)
{
    *count = sizeof io_nodes / sizeof io_nodes[0];
    return io_nodes;
}
