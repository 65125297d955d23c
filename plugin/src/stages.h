/* stages.h — each folder of nodes/ hands the registry its node types. */
#ifndef LTX2_STAGES_H
#define LTX2_STAGES_H
#include <stddef.h>
#include "ltx2/ltx2_plugin.h"

typedef const ltx2_node_type *const *(*ltx2_stage_list_fn)(size_t *count);

const ltx2_node_type *const *ltx2_nodes_io(size_t *count);          /* nodes/io */
const ltx2_node_type *const *ltx2_nodes_util(size_t *count);        /* nodes/util */
const ltx2_node_type *const *ltx2_nodes_loaders(size_t *count);     /* nodes/loaders */
const ltx2_node_type *const *ltx2_nodes_text(size_t *count);        /* nodes/text */
const ltx2_node_type *const *ltx2_nodes_transformer(size_t *count); /* nodes/transformer */
const ltx2_node_type *const *ltx2_nodes_sampler(size_t *count);     /* nodes/sampler */
const ltx2_node_type *const *ltx2_nodes_video_vae(size_t *count);   /* nodes/video_vae */
const ltx2_node_type *const *ltx2_nodes_audio(size_t *count);       /* nodes/audio */
const ltx2_node_type *const *ltx2_nodes_upscaler(size_t *count);    /* nodes/upscaler */
const ltx2_node_type *const *ltx2_nodes_lora(size_t *count);        /* nodes/lora */
const ltx2_node_type *const *ltx2_nodes_image(size_t *count);       /* nodes/image */
const ltx2_node_type *const *ltx2_nodes_comfy(size_t *count);       /* nodes/comfy (ComfyUI class names) */

#endif
