/* gemma3_chat.c — chat → token ids for Gemma 3 generation. */
#include "text/gemma3_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/tokenize.h"

ltx2_status ltx2_chat_tokens_find(const ltx2_spm *spm, ltx2_chat_tokens *t, ltx2_error *err)
{
    const struct {
        const char *piece;
        int32_t *id;
    } need[] = {{"<start_of_turn>", &t->start_turn}, {"<end_of_turn>", &t->end_turn}};
    t->bos = ltx2_spm_bos_id(spm);
    if (t->bos < 0) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "tokenizer model declares no BOS id");
    /* The image markers are needed only with an image (ltx2_chat_encode checks). */
    t->boi = ltx2_spm_piece_id(spm, "<start_of_image>");
    t->eoi = ltx2_spm_piece_id(spm, "<end_of_image>");
    for (size_t i = 0; i < 2; ++i)
        if ((*need[i].id = ltx2_spm_piece_id(spm, need[i].piece)) < 0)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "tokenizer model has no %s piece (not a Gemma 3 tokenizer)",
                            need[i].piece);
    return LTX2_OK;
}

/* A growing id list. */
typedef struct idbuf {
    int32_t *v;
    int64_t n, cap;
    int oom;
} idbuf;

static void put(idbuf *b, int32_t id)
{
    if (b->oom) return;
    if (b->n == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 64;
        int32_t *v = realloc(b->v, (size_t)cap * sizeof *v);
        if (!v) {
            b->oom = 1;
            return;
        }
        b->v = v, b->cap = cap;
    }
    b->v[b->n++] = id;
}

/* SentencePiece ids of the concatenated texts (one run, as between two control tokens). */
static ltx2_status put_text(const ltx2_spm *spm, idbuf *b, const char *const *parts, const size_t *lens, int n_parts,
                            ltx2_error *err)
{
    size_t total = 0;
    for (int i = 0; i < n_parts; ++i) total += lens[i];
    if (total == 0) return LTX2_OK;
    char *text = malloc(total), msg[256] = {0};
    if (!text) return ltx2_err(err, LTX2_ERR_OOM, "chat: out of memory");
    size_t at = 0;
    for (int i = 0; i < n_parts; ++i) memcpy(text + at, parts[i], lens[i]), at += lens[i];
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = ltx2_spm_encode(spm, text, total, &ids, &n, msg, sizeof msg);
    free(text);
    if (rc) return ltx2_err(err, LTX2_ERR_FAILED, "sentencepiece: %s", msg);
    for (size_t i = 0; i < n; ++i) put(b, ids[i]);
    free(ids);
    return LTX2_OK;
}

ltx2_status ltx2_chat_encode(const ltx2_spm *spm, const ltx2_chat_tokens *t, const char *system, const char *user,
                             int with_image, int32_t **ids, int64_t *n, ltx2_gemma3_span *image, ltx2_error *err)
{
    *ids = NULL, *n = 0;
    if (with_image && (t->boi < 0 || t->eoi < 0))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "image: the tokenizer model has no <start_of_image>/<end_of_image> pieces");
    size_t ub, ul, sb = 0, sl = 0;
    ltx2_text_strip(user, &ub, &ul);
    if (system) ltx2_text_strip(system, &sb, &sl);
    const int has_sys = sl > 0;
    idbuf b = {0};
    put(&b, t->bos), put(&b, t->bos), put(&b, t->start_turn);
    ltx2_status st;
    /* "user\n" [system "\n\n"] ["\n\n" before the image] */
    const char *p1[] = {"user\n", system ? system + sb : "", "\n\n", "\n\n"};
    const size_t l1[] = {5, has_sys ? sl : 0, has_sys ? 2 : 0, with_image ? 2 : 0};
    if ((st = put_text(spm, &b, p1, l1, 4, err))) goto fail;
    if (with_image) {
        put(&b, t->boi);
        if (image) image->begin = b.n, image->end = b.n + t->image_len;
        for (int64_t i = 0; i < t->image_len; ++i) put(&b, t->image_soft);
        put(&b, t->eoi);
    }
    const char *p2[] = {"\n\n", user ? user + ub : ""};
    const size_t l2[] = {with_image ? 2 : 0, ul};
    if ((st = put_text(spm, &b, p2, l2, 2, err))) goto fail;
    put(&b, t->end_turn);
    const char *nl[] = {"\n"}, *model[] = {"model\n"};
    const size_t lnl[] = {1}, lmodel[] = {6};
    if ((st = put_text(spm, &b, nl, lnl, 1, err))) goto fail;
    put(&b, t->start_turn);
    if ((st = put_text(spm, &b, model, lmodel, 1, err))) goto fail;
    if (b.oom) {
        st = ltx2_err(err, LTX2_ERR_OOM, "chat: out of memory");
        goto fail;
    }
    *ids = b.v, *n = b.n;
    return LTX2_OK;
fail:
    free(b.v);
    return st;
}
