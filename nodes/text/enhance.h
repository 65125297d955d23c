/* enhance.h — prompt enhancement: the text encoder's Gemma 3 (the same weights, loaded
 * once) writes a detailed prompt from a system prompt, the user's prompt and, for
 * image-to-video, the start image shown to its vision tower. */
#ifndef LTX2_TEXT_ENHANCE_H
#define LTX2_TEXT_ENHANCE_H
#include <stdint.h>
#include "error.h"
#include "kernels.h"
#include "store/store.h"
#include "text/gemma3.h"
#include "text/text_encoder.h"

/* Our default system prompts (used when none is given). */
extern const char ltx2_enhance_system_t2v[];
extern const char ltx2_enhance_system_i2v[];

typedef struct ltx2_enhance_request {
    const char *prompt;
    const char *system;  /* NULL or blank: the default for the mode */
    const float *image;  /* [h][w][3] in [0, 1] (a ComfyUI IMAGE frame), or NULL for text only */
    int64_t image_w, image_h;
    uint64_t seed;
    int64_t max_new_tokens;
    double temperature;  /* 0 = greedy; top-k/top-p come from generation_config.json */
    ltx2_layer_progress progress; /* one tick per token (done, max_new_tokens) */
    void *user;
} ltx2_enhance_request;

/* *out = the enhanced prompt (malloc'd UTF-8, cleaned: typographic quotes and dashes made
 * plain, anything before the first letter dropped, trailing white space trimmed). */
ltx2_status ltx2_text_encoder_enhance(ltx2_text_encoder *te, ltx2_store *store, const kctx *ctx,
                                      const ltx2_enhance_request *r, char **out, ltx2_error *err);

/* The cleaning above, in place. */
void ltx2_enhance_clean(char *s);

#endif
