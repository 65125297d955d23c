/* tokenize.c — the LTX-2 tokenizer wrapper around SentencePiece. */
#include "text/tokenize.h"

#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 code point at s[i] (n bytes available); returns its byte length
 * (1 for a malformed byte, which is then not white space). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t i = 1; i < len; ++i) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFFFFFFu;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

/* Python's str.isspace(): Unicode White_Space plus the ASCII separators 0x1C..0x1F. */
static int py_isspace(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

void ltx2_text_strip(const char *text, size_t *begin, size_t *len)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t n = strlen((const char *)s), b = 0, e = 0;
    /* Walk forward once: b = first non-space start, e = end of the last non-space. */
    int seen = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_decode(s + i, n - i, &cp);
        if (!py_isspace(cp)) {
            if (!seen) b = i;
            seen = 1;
            e = i + l;
        }
        i += l;
    }
    *begin = seen ? b : 0;
    *len = seen ? e - b : 0;
}

ltx2_status ltx2_text_tokenize(const ltx2_spm *spm, const char *text, int64_t max_len,
                               int32_t *ids, int64_t *n_valid, int64_t *n_dropped, ltx2_error *err)
{
    if (max_len < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "max_length %lld < 1", (long long)max_len);
    int32_t bos = ltx2_spm_bos_id(spm), pad = ltx2_spm_pad_id(spm);
    if (bos < 0) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "tokenizer model declares no BOS id");
    if (pad < 0) pad = 0; /* Gemma's pad id */

    size_t b, len;
    ltx2_text_strip(text, &b, &len);
    int32_t *pieces = NULL;
    size_t n = 0;
    char msg[256] = {0};
    if (len > 0 && ltx2_spm_encode(spm, text + b, len, &pieces, &n, msg, sizeof msg) != 0)
        return ltx2_err(err, LTX2_ERR_FAILED, "sentencepiece: %s", msg);

    /* BOS + pieces, truncated on the right to max_len, then left padded. */
    int64_t total = (int64_t)n + 1;
    int64_t keep = total < max_len ? total : max_len;
    int64_t pad_n = max_len - keep;
    for (int64_t i = 0; i < pad_n; ++i) ids[i] = pad;
    ids[pad_n] = bos;
    for (int64_t i = 1; i < keep; ++i) ids[pad_n + i] = pieces[i - 1];
    free(pieces);
    *n_valid = keep;
    if (n_dropped) *n_dropped = total - keep;
    return LTX2_OK;
}
