/* comfy_types.h — the ComfyUI-named node types (nodes/comfy), defined in their own
 * files and listed by comfy_nodes.c. Keys of the ComfyUI-typed wrapper objects. */
#ifndef LTX2_COMFY_TYPES_H
#define LTX2_COMFY_TYPES_H
#include "ltx2/ltx2_plugin.h"

/* CLIP = {text_encoder: TEXT_ENCODER, max_length: INT};
 * audio "VAE" = {audio_vae: AUDIO_VAE, vocoder: VOCODER};
 * NOISE = {seed}; SAMPLER = {sampler_name}; GUIDER = {model, positive, negative?, cfg};
 * VIDEO = {images: IMAGE tensor, audio?: AUDIO, fps: FLOAT}. */
#define COMFY_CLIP_TE "text_encoder"
#define COMFY_CLIP_MAXLEN "max_length"
#define COMFY_AVAE "audio_vae"
#define COMFY_VOCODER "vocoder"
#define COMFY_COND_FPS "frame_rate"

extern const ltx2_node_type comfy_checkpoint_loader_simple, comfy_audio_vae_loader, comfy_gemma_clip_loader,
    comfy_latent_upscale_model_loader, comfy_lora_loader_model_only;
extern const ltx2_node_type comfy_clip_text_encode, comfy_ltxv_conditioning, comfy_gemma_enhance_prompt;
extern const ltx2_node_type comfy_empty_ltxv_latent_video, comfy_ltxv_empty_latent_audio, comfy_ltxv_concat_av,
    comfy_ltxv_separate_av, comfy_ltxv_latent_upsampler, comfy_ltxv_img_to_video_inplace;
extern const ltx2_node_type comfy_random_noise, comfy_ksampler_select, comfy_manual_sigmas, comfy_ltxv_scheduler,
    comfy_cfg_guider, comfy_basic_guider, comfy_sampler_custom_advanced;
extern const ltx2_node_type comfy_ltxv_tiled_decode, comfy_ltxv_audio_vae_decode;
extern const ltx2_node_type comfy_image_scale_by, comfy_image_scale, comfy_get_image_size, comfy_empty_image,
    comfy_resize_longer_edge, comfy_ltxv_preprocess;
extern const ltx2_node_type comfy_create_video, comfy_save_video, comfy_load_video, comfy_get_video_components;
extern const ltx2_node_type comfy_float_to_int, comfy_execution_order;

#endif
