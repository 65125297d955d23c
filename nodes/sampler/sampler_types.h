/* sampler_types.h — the node types of nodes/sampler, defined in their own files and
 * listed by sampler_nodes.c. */
#ifndef LTX2_SAMPLER_TYPES_H
#define LTX2_SAMPLER_TYPES_H
#include "ltx2/ltx2_plugin.h"

extern const ltx2_node_type ltx2_type_scheduler;
extern const ltx2_node_type ltx2_type_distilled_sigmas;
extern const ltx2_node_type ltx2_type_manual_sigmas;
extern const ltx2_node_type ltx2_type_empty_latent;
extern const ltx2_node_type ltx2_type_latent_from_tensors;
extern const ltx2_node_type ltx2_type_latent_to_tensors;
extern const ltx2_node_type ltx2_type_conditioning_from_tensors;
extern const ltx2_node_type ltx2_type_image_conditioning;
extern const ltx2_node_type ltx2_type_keyframe_conditioning;
extern const ltx2_node_type ltx2_type_reference_conditioning;
extern const ltx2_node_type ltx2_type_sampler;

#endif
