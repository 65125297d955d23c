/* conditioning.h — video conditioning of a LATENT with encoded images / videos, as the
 * reference's conditioning items (spec §4.6). Each returns a new LATENT (the input is
 * immutable); `image` is an encoded latent [1, C, Fi, Hi, Wi] in the normalized space. */
#ifndef LTX2_SAMPLER_CONDITIONING_H
#define LTX2_SAMPLER_CONDITIONING_H
#include "error.h"
#include "object.h"
#include "tensor.h"

/* VideoConditionByLatentIndex: the tokens of latent frames [k, k + Fi) are replaced by
 * the image's and their denoise mask becomes 1 - strength. The image grid must match
 * the latent's H x W. */
ltx2_status ltx2_cond_latent_index(const ltx2_object *lat, const ltx2_tensor *image,
                                   int64_t latent_idx, double strength, ltx2_object **out,
                                   ltx2_error *err);

/* VideoConditionByKeyframeIndex: the image's tokens are appended with mask 1 - strength
 * and positions of its own grid, shifted to pixel frame `frame_idx` (causal first-frame
 * fix only when frame_idx == 0), time in seconds. */
ltx2_status ltx2_cond_keyframe(const ltx2_object *lat, const ltx2_tensor *image, int64_t frame_idx,
                               double strength, ltx2_object **out, ltx2_error *err);

/* VideoConditionByReferenceLatent (IC-LoRA): the reference video's tokens are appended
 * with mask 1 - strength and the positions of its grid (causal fix) with y and x
 * multiplied by downscale_factor. */
ltx2_status ltx2_cond_reference(const ltx2_object *lat, const ltx2_tensor *ref,
                                int64_t downscale_factor, double strength, ltx2_object **out,
                                ltx2_error *err);

#endif
