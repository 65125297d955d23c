/* gemma3_chat.h — a system + user chat as Gemma 3's chat template and processor turn it
 * into token ids, ready for the model's answer (add_generation_prompt):
 *   BOS BOS <start_of_turn> "user\n" [system "\n\n"] content <end_of_turn> "\n" <start_of_turn> "model\n"
 * (the template writes a BOS and the tokenizer adds one more, as the reference runs it).
 * The system turn is folded into the first user turn; the user text is stripped; with an
 * image the content is "\n\n" <start_of_image> soft×N <end_of_image> "\n\n" text, the
 * processor's expansion of the template's <start_of_image>. Text between the control
 * tokens is encoded by SentencePiece on its own, as the tokenizer splits on them. */
#ifndef LTX2_TEXT_GEMMA3_CHAT_H
#define LTX2_TEXT_GEMMA3_CHAT_H
#include <stdint.h>
#include "error.h"
#include "text/gemma3.h"
#include "text/spm_shim.h"

typedef struct ltx2_chat_tokens {
    int32_t bos, start_turn, end_turn, boi, eoi; /* from the tokenizer model (boi/eoi -1: none) */
    int32_t image_soft;                          /* image_token_index of the config (may lie past the pieces) */
    int64_t image_len;                           /* soft tokens per image (mm_tokens_per_image) */
} ltx2_chat_tokens;

/* Looks the control pieces up in the tokenizer (an error names a missing turn marker;
 * the image markers may be missing until an image is used). */
ltx2_status ltx2_chat_tokens_find(const ltx2_spm *spm, ltx2_chat_tokens *t, ltx2_error *err);

/* ids (malloc'd, *n of them) for the chat; system may be NULL or blank (no system text).
 * With with_image, *image (may be NULL) receives the soft tokens' span. */
ltx2_status ltx2_chat_encode(const ltx2_spm *spm, const ltx2_chat_tokens *t, const char *system, const char *user,
                             int with_image, int32_t **ids, int64_t *n, ltx2_gemma3_span *image, ltx2_error *err);

#endif
