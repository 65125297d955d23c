/* The node types of nodes/sampler, in the order the manifest lists them. */
#include "sampler/sampler_types.h"
#include "stages.h"

static const ltx2_node_type *const sampler_types[] = {
    &ltx2_type_empty_latent,
    &ltx2_type_latent_from_tensors,
    &ltx2_type_latent_to_tensors,
    &ltx2_type_conditioning_from_tensors,
    &ltx2_type_image_conditioning,
    &ltx2_type_keyframe_conditioning,
    &ltx2_type_reference_conditioning,
    &ltx2_type_scheduler,
    &ltx2_type_distilled_sigmas,
    &ltx2_type_manual_sigmas,
    &ltx2_type_sampler,
};

const ltx2_node_type *const *ltx2_nodes_sampler(size_t *count)
{
    *count = sizeof sampler_types / sizeof sampler_types[0];
    return sampler_types;
}
