/* features.h — the LTX-2 Gemma feature extractor: per-layer normalisation of the hidden
 * states over the valid tokens, channel-major flattening (index d*n_states + l), and the
 * aggregate_embed projection (no bias). */
#ifndef LTX2_TEXT_FEATURES_H
#define LTX2_TEXT_FEATURES_H
#include <stdint.h>
#include "error.h"
#include "kernels.h"

/* hidden: [n_states][n][dim] (valid tokens only), normalised in place (its values are
 * lost); proj: [out_dim][dim*n_states] as ctx's backend reads it; out: [n][out_dim].
 * hidden and out in ctx's memory. */
ltx2_status ltx2_text_features(const kctx *ctx, float *hidden, int64_t n_states, int64_t n, int64_t dim,
                               const kmat *proj, float *out, ltx2_error *err);

#endif
