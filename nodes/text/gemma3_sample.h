/* gemma3_sample.h — picks the next token from a row of logits the way Hugging Face's
 * sampling does it (temperature, then top-k, then top-p, then a draw from the softmax),
 * with our own seeded counter-based uniforms so a seed gives the same text everywhere;
 * greedy (first arg max) at temperature 0. */
#ifndef LTX2_TEXT_GEMMA3_SAMPLE_H
#define LTX2_TEXT_GEMMA3_SAMPLE_H
#include <stdint.h>
#include "error.h"

typedef struct ltx2_sample_params {
    double temperature; /* 0 = greedy */
    int64_t top_k;      /* 0 = all tokens */
    double top_p;       /* 1 = no nucleus cut */
    uint64_t seed;
} ltx2_sample_params;

/* Reusable work space for one vocabulary size (candidates and their probabilities). */
typedef struct ltx2_sampler {
    int64_t vocab;
    int32_t *idx;
    double *prob;
} ltx2_sampler;
ltx2_status ltx2_sampler_init(ltx2_sampler *s, int64_t vocab, ltx2_error *err);
void ltx2_sampler_free(ltx2_sampler *s);

/* The token for decode step `step` (the uniform drawn is a pure function of seed and
 * step). n_allowed (may be NULL) receives how many tokens survived top-k/top-p. */
int32_t ltx2_sample_token(ltx2_sampler *s, const float *logits, const ltx2_sample_params *p, uint64_t step,
                          int64_t *n_allowed);

#endif
