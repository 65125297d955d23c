/* The node types of nodes/video_vae, in the order the manifest lists them. */
#include "stages.h"
#include "video_vae/vae_node_util.h"

static const ltx2_node_type *const video_vae_nodes[] = {
    &ltx2_node_vae_decode,
    &ltx2_node_vae_decode_tiled,
    &ltx2_node_vae_encode,
};

const ltx2_node_type *const *ltx2_nodes_video_vae(size_t *count)
{
    *count = sizeof video_vae_nodes / sizeof *video_vae_nodes;
    return video_vae_nodes;
}
