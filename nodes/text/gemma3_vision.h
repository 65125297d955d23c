/* gemma3_vision.h — Gemma 3's image path: the SigLIP vision encoder (patch embedding,
 * learned positions, pre-norm transformer layers, final LayerNorm) and the multimodal
 * projector (average pooling to mm_tokens_per_image tokens, RMSNorm, projection to the
 * text width), read from the same Gemma folder as the text model. */
#ifndef LTX2_TEXT_GEMMA3_VISION_H
#define LTX2_TEXT_GEMMA3_VISION_H
#include <stdint.h>
#include "common/layers.h"
#include "common/weights.h"
#include "error.h"
#include "kernels.h"
#include "store/store.h"

struct json_object;

typedef struct ltx2_siglip_layer {
    float *ln1_w, *ln1_b, *ln2_w, *ln2_b;
    lx_attn attn;
    lx_ff ff;
} ltx2_siglip_layer;

typedef struct ltx2_gemma3_vision {
    int64_t image_size, patch, hidden, intermediate, n_layers, n_heads, text_hidden;
    int64_t tokens;        /* mm_tokens_per_image */
    int32_t image_token;   /* image_token_index: the soft tokens' id */
    double eps;            /* layer_norm_eps (LayerNorms and the projector's RMSNorm) */
    ltx2_checkpoint *ckpt; /* retained: the kmats point into it */
    kmat patch_w;          /* [hidden][3 * patch * patch] over patch_f32 */
    float *patch_f32;
    float *patch_b, *pos;  /* [hidden], [patches][hidden] */
    ltx2_siglip_layer *layers;
    float *post_w, *post_b;
    float *mm_norm;        /* [hidden] (Gemma RMSNorm: x * (1 + w)) */
    float *mm_proj;        /* [hidden][text_hidden] */
    lx_resident resident;  /* the weights on a device, after the first device forward */
} ltx2_gemma3_vision;

/* Loads the vision tower when the checkpoint has one (*out NULL otherwise). json is the
 * multimodal config.json (vision_config, mm_tokens_per_image, image_token_index), or NULL
 * for Gemma 3's values; text_hidden is the text model's width. */
ltx2_status ltx2_gemma3_vision_load(ltx2_checkpoint *ckpt, struct json_object *json, int64_t text_hidden,
                                    ltx2_gemma3_vision **out, ltx2_error *err);
void ltx2_gemma3_vision_free(ltx2_gemma3_vision *v); /* NULL-safe; frees the device weights too */

/* pixels [3][image_size][image_size] (ltx2_gemma3_image_prep) → soft tokens
 * [tokens][text_hidden] for the text model; both in ctx's memory (on a device the
 * weights are uploaded there on the first call and stay until the tower is freed). */
ltx2_status ltx2_gemma3_vision_forward(const kctx *ctx, const ltx2_gemma3_vision *v, const float *pixels,
                                       float *soft, ltx2_error *err);

#endif
