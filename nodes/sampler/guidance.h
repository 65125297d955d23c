/* guidance.h — the multi-modal guider of the reference (MultiModalGuider), one per
 * modality, combining x0 (denoised) predictions of the guidance passes:
 *   pred = c + (cfg-1)(c - u_text) + stg (c - u_perturbed) + (mod-1)(c - u_isolated)
 *   rescale r != 0:  pred *= r * std(c) / std(pred) + (1 - r)
 * with std the unbiased standard deviation over the whole modality tensor. */
#ifndef LTX2_SAMPLER_GUIDANCE_H
#define LTX2_SAMPLER_GUIDANCE_H
#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "kernels.h"

#define LTX2_GUIDE_MAX_BLOCKS 64

typedef struct ltx2_guide {
    double cfg;      /* 1 = off */
    double stg;      /* 0 = off */
    double modality; /* 1 = off */
    double rescale;  /* 0 = off */
    int stg_blocks[LTX2_GUIDE_MAX_BLOCKS];
    int n_stg_blocks;
} ltx2_guide;

/* The reference's math.isclose(a, b) with its default rel_tol 1e-9. */
bool ltx2_guide_uses_text(const ltx2_guide *g);
bool ltx2_guide_uses_stg(const ltx2_guide *g);
bool ltx2_guide_uses_modality(const ltx2_guide *g);

/* Parses "29" / "1, 2, 28" / "[29]" into g->stg_blocks (each in [0, n_layers)). */
ltx2_status ltx2_guide_parse_blocks(const char *text, int n_layers, ltx2_guide *g, ltx2_error *err);

/* In place: cond (n values) becomes the guided prediction (k_guidance_combine, then the
 * std rescale through k_std and k_scale). Passes a term does not use may be NULL. */
K_MUST_USE kstatus ltx2_guide_combine(const kctx *kc, const ltx2_guide *g, int64_t n, float *cond,
                                      const float *uncond_text, const float *uncond_perturbed,
                                      const float *uncond_isolated);

#endif
