/* tokenize.h — prompt → token ids exactly as the LTX-2 Gemma wrapper does it:
 * Python str.strip(), SentencePiece encoding (byte fallback, digit splitting and the
 * rest come from the model file), BOS prepended, truncation to max_length (BOS
 * included), LEFT padding with the pad id. */
#ifndef LTX2_TEXT_TOKENIZE_H
#define LTX2_TEXT_TOKENIZE_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "text/spm_shim.h"

/* The [begin, begin+len) slice of text without the leading/trailing characters that
 * Python's str.isspace() accepts (ASCII and Unicode white space, UTF-8 decoded). */
void ltx2_text_strip(const char *text, size_t *begin, size_t *len);

/* ids[max_len]: pad ... pad, bos, t1 ... ; *n_valid = number of non-pad positions (the
 * last *n_valid entries). max_len >= 1. *n_dropped (may be NULL) = tokens cut off by the
 * truncation, so callers can say so instead of truncating silently. */
ltx2_status ltx2_text_tokenize(const ltx2_spm *spm, const char *text, int64_t max_len,
                               int32_t *ids, int64_t *n_valid, int64_t *n_dropped, ltx2_error *err);

#endif
