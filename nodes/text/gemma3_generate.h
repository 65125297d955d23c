/* gemma3_generate.h — Gemma 3 as a causal language model over the encoder's weights (one
 * copy in memory): the tied LM head, the generation settings of the Gemma folder, and
 * prefill + token-by-token decode with a KV cache until a stop token or the budget. */
#ifndef LTX2_TEXT_GEMMA3_GENERATE_H
#define LTX2_TEXT_GEMMA3_GENERATE_H
#include <stdint.h>
#include "error.h"
#include "kernels.h"
#include "text/gemma3.h"
#include "text/gemma3_sample.h"

#define LTX2_GEN_MAX_STOP 8

/* generation_config.json of the Gemma folder: top_k / top_p (transformers' defaults 50
 * and 1.0 where absent) and eos_token_id (one id or a list) as the stop tokens. */
typedef struct ltx2_gen_config {
    int64_t top_k;
    double top_p;
    int32_t stop[LTX2_GEN_MAX_STOP];
    int n_stop;
} ltx2_gen_config;
/* dir: the Gemma folder (no file there: the defaults and no stop ids). */
ltx2_status ltx2_gen_config_read(const char *dir, ltx2_gen_config *cfg, ltx2_error *err);
/* Adds id to the stop list unless it is there already or negative. */
void ltx2_gen_config_add_stop(ltx2_gen_config *cfg, int32_t id);

/* logits[vocab] of one final hidden row: the tied embedding as LM head, then the
 * final soft cap when the config has one. row is in ctx's memory, logits in host memory
 * (on a device the row of logits is copied to the host: the sampler runs there). */
ltx2_status ltx2_gemma3_logits(const kctx *ctx, const ltx2_gemma3 *m, const float *row, float *logits,
                               ltx2_error *err);

/* Called with each decode step's logits before the token is picked (tests, diagnostics). */
typedef ltx2_status (*ltx2_logits_fn)(void *user, int64_t step, const float *logits, int64_t vocab);

typedef struct ltx2_gen_request {
    const int32_t *ids; /* the prompt (chat tokens) */
    int64_t n;
    const float *soft;  /* image features for the soft_id tokens (ctx's memory), or NULL */
    int32_t soft_id;
    const ltx2_gemma3_span *bidir;
    int64_t n_bidir;
    int64_t max_new_tokens;
    ltx2_sample_params sample;
    const int32_t *stop;
    int n_stop;
    /* One tick per generated token (done, max_new_tokens); a nonzero status stops. */
    ltx2_layer_progress progress;
    void *user;
    ltx2_logits_fn on_logits;
    void *logits_user;
} ltx2_gen_request;

/* out[max_new_tokens] receives the generated ids (the stop token included when one
 * ended the run), *n_out their count. On a device context the KV cache and every
 * activation live there; only each step's logits row comes to the host. */
ltx2_status ltx2_gemma3_generate(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gen_request *r, int32_t *out,
                                 int64_t *n_out, ltx2_error *err);

#endif
