/* lora.h — LoRA fusion into the transformer (spec 5.1-5.2). A fused model shares its
 * base's mapping and vectors and owns copies of the touched matrices only. Chained
 * applications keep the whole LoRA list and re-fuse from the base weights, so two
 * LoRAs applied one after the other give exactly the reference's joint fusion:
 *   delta_j = bf16(bf16(B_j * s_j) @ A_j), delta = bf16(sum_j delta_j)
 *     (the deltas are computed in the LoRA file's dtype: no rounding for f32 LoRAs),
 *   W' = bf16(W + delta)   (bf16 / FP8 base, "checkpoint" = the reference's bf16 build)
 *   W' = W + delta in f32  (fused_f32 = the reference's float32 build) */
#ifndef LTX2_LORA_H
#define LTX2_LORA_H
#include <stdbool.h>
#include "transformer/transformer.h"

/* New model = model + lora (strength). lora keys: "diffusion_model.<module>.lora_A.weight"
 * [r, in] and ".lora_B.weight" [out, r]. Errors name the file and the key. */
ltx2_status ltx2_lora_apply(ltx2_dit *model, ltx2_checkpoint *lora, float strength, bool fused_f32,
                            const kctx *kc, ltx2_dit **out, ltx2_error *err);

/* The effective weight under `key` ("transformer_blocks.0.attn1.to_q.weight", with or
 * without the "model.diffusion_model." prefix) as a new F32 tensor [rows, cols]. */
ltx2_status ltx2_dit_weight_f32(ltx2_dit *m, const char *key, ltx2_tensor **out, ltx2_error *err);

#endif
