/* loaders.h — how the loader nodes (nodes/loaders/) build model handles. Each stage
 * implements its builder next to its model code. A builder returns LTX2_OK with
 * *out = NULL when the checkpoint does not contain that component at all (no
 * config section and no keys), and an error naming the key or config field when the
 * component is present but incomplete or misshapen. The object retains the
 * checkpoint: weights stay mapped, never copied. */
#ifndef LTX2_LOADERS_H
#define LTX2_LOADERS_H
#include "error.h"
#include "object.h"
#include "store/store.h"

/* "MODEL": the AV transformer (nodes/transformer). */
ltx2_status ltx2_load_transformer(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err);
/* "VAE": video VAE encoder and/or decoder + per-channel statistics (nodes/video_vae). */
ltx2_status ltx2_load_video_vae(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err);
/* "AUDIO_VAE": audio VAE encoder and/or decoder + statistics (nodes/audio). */
ltx2_status ltx2_load_audio_vae(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err);
/* "VOCODER" (nodes/audio). */
ltx2_status ltx2_load_vocoder(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err);
/* "LATENT_UPSCALE_MODEL": spatial or temporal upsampler file (nodes/upscaler). */
ltx2_status ltx2_load_upscaler(ltx2_checkpoint *ckpt, ltx2_object **out, ltx2_error *err);
/* "TEXT_ENCODER": Gemma 3 weights + tokenizer model file + the feature projection and
 * connectors taken from the LTX-2 checkpoint (nodes/text). */
ltx2_status ltx2_load_text_encoder(ltx2_checkpoint *gemma, ltx2_checkpoint *ltx,
                                   const char *tokenizer_model_path, ltx2_object **out,
                                   ltx2_error *err);

#endif
