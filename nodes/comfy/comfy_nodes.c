/* comfy_nodes.c — the ComfyUI-named node types, in the order the manifest lists them. */
#include "comfy/comfy_types.h"
#include "stages.h"

static const ltx2_node_type *const comfy_types[] = {
    &comfy_checkpoint_loader_simple, &comfy_audio_vae_loader, &comfy_gemma_clip_loader,
    &comfy_latent_upscale_model_loader, &comfy_lora_loader_model_only, &comfy_clip_text_encode,
    &comfy_gemma_enhance_prompt, &comfy_ltxv_conditioning, &comfy_empty_ltxv_latent_video, &comfy_ltxv_empty_latent_audio,
    &comfy_ltxv_concat_av, &comfy_ltxv_separate_av, &comfy_ltxv_latent_upsampler,
    &comfy_ltxv_img_to_video_inplace, &comfy_random_noise, &comfy_ksampler_select,
    &comfy_manual_sigmas, &comfy_ltxv_scheduler, &comfy_cfg_guider,
    &comfy_basic_guider, &comfy_sampler_custom_advanced, &comfy_ltxv_tiled_decode,
    &comfy_ltxv_audio_vae_decode, &comfy_image_scale_by, &comfy_image_scale,
    &comfy_get_image_size, &comfy_empty_image, &comfy_resize_longer_edge,
    &comfy_ltxv_preprocess, &comfy_create_video, &comfy_save_video,
    &comfy_load_video, &comfy_get_video_components, &comfy_float_to_int,
    &comfy_execution_order,
};

const ltx2_node_type *const *ltx2_nodes_comfy(size_t *count)
{
    *count = sizeof comfy_types / sizeof comfy_types[0];
    return comfy_types;
}
