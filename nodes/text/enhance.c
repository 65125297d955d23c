/* enhance.c — chat → Gemma 3 generation → cleaned text. */
#include "text/enhance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/gemma3_chat.h"
#include "text/gemma3_generate.h"
#include "text/gemma3_image.h"
#include "text/tokenize.h"
#include "node.h"

/* How the user's prompt is put to the model (our wording). */
#define USER_T2V "Prompt to expand: %s"
#define USER_I2V "Prompt to expand (the image is its first frame): %s"

/* UTF-8 typographic characters the model likes, and their plain forms. */
static const struct {
    const char *from, *to;
} k_plain[] = {{"\xE2\x80\x98", "'"}, {"\xE2\x80\x99", "'"}, {"\xE2\x80\x9C", "\""}, {"\xE2\x80\x9D", "\""},
               {"\xE2\x80\x94", "-"}, {"\xE2\x80\x93", "-"}, {"\xC2\xA0", " "},     {"\xE2\x80\xB2", "'"},
               {"\xE2\x88\x92", "-"}};

void ltx2_enhance_clean(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        size_t i, n = sizeof k_plain / sizeof *k_plain;
        for (i = 0; i < n; ++i) {
            size_t l = strlen(k_plain[i].from);
            if (strncmp(r, k_plain[i].from, l) == 0) {
                *w++ = k_plain[i].to[0];
                r += l;
                break;
            }
        }
        if (i == n) *w++ = *r++;
    }
    *w = '\0';
    /* Drop what comes before the first letter (ASCII, or any non-ASCII character: a
     * letter of another script; the replacements above already made punctuation ASCII). */
    size_t skip = 0;
    while (s[skip] && !((s[skip] | 32) >= 'a' && (s[skip] | 32) <= 'z') && !((unsigned char)s[skip] & 0x80)) ++skip;
    memmove(s, s + skip, strlen(s + skip) + 1);
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
}

/* The user turn's text: the wrapper around the stripped prompt. malloc'd. */
static char *user_text(const char *prompt, int image)
{
    size_t b, l;
    ltx2_text_strip(prompt, &b, &l);
    const char *fmt = image ? USER_I2V : USER_T2V;
    size_t n = strlen(fmt) + l + 1;
    char *p = malloc(n), *q = malloc(l + 1);
    if (p && q) {
        memcpy(q, prompt + b, l), q[l] = '\0';
        snprintf(p, n, fmt, q);
    } else {
        free(p), p = NULL;
    }
    free(q);
    return p;
}

/* Image → soft tokens [tokens][hidden] in ctx's memory (k_alloc'd into *soft): the
 * Pillow-exact resize on the host, then the pixels copied to the backend once. */
static ltx2_status image_tokens(const ltx2_text_encoder *te, const kctx *ctx, const ltx2_enhance_request *r,
                                float **soft, ltx2_error *err)
{
    const ltx2_gemma3_vision *v = te->vision;
    const int64_t n = r->image_w * r->image_h * 3, S = v->image_size;
    const size_t px_bytes = (size_t)(3 * S * S) * sizeof(float);
    uint8_t *u8 = malloc((size_t)(n > 0 ? n : 1));
    float *px = malloc(px_bytes), *dpx = px;
    ltx2_status st = LTX2_OK;
    if (!u8 || !px) st = ltx2_err(err, LTX2_ERR_OOM, "image: out of memory");
    if (!st) {
        ltx2_image_to_u8(r->image, n, u8);
        st = ltx2_gemma3_image_prep(u8, r->image_w, r->image_h, S, px, err);
    }
    kstatus ks = KS_OK;
    K_THEN(ks, k_alloc(ctx, (size_t)(v->tokens * v->text_hidden) * sizeof(float), (void **)soft));
    if (ctx->backend != KB_CPU) {
        dpx = NULL;
        K_THEN(ks, k_alloc(ctx, px_bytes, (void **)&dpx));
        if (!st) K_THEN(ks, k_copy(ctx, dpx, px, px_bytes, K_H2D));
    }
    if (!st) st = ltx2_kerr(err, ks, "image: buffers");
    if (!st) st = ltx2_gemma3_vision_forward(ctx, v, dpx, *soft, err);
    if (dpx != px) { /* the device copy, once the queued work has read it */
        ks = k_sync(ctx);
        if (!st) st = ltx2_kerr(err, ks, "Gemma vision");
        k_free(ctx, dpx);
    }
    free(u8), free(px);
    return st;
}

static ltx2_status enhance_locked(ltx2_text_encoder *te, ltx2_store *store, const kctx *ctx,
                                  const ltx2_enhance_request *r, char **out, ltx2_error *err)
{
    const int img = r->image != NULL;
    ltx2_status st = ltx2_text_encoder_ensure_gemma(te, store, img, err);
    if (st) return st;
    ltx2_chat_tokens ct = {0};
    ltx2_gen_config gc;
    if ((st = ltx2_chat_tokens_find(te->spm, &ct, err)) || (st = ltx2_gen_config_read(te->gemma_dir, &gc, err)))
        return st;
    ltx2_gen_config_add_stop(&gc, ltx2_spm_eos_id(te->spm));
    ltx2_gen_config_add_stop(&gc, ct.end_turn);
    if (img) ct.image_soft = te->vision->image_token, ct.image_len = te->vision->tokens;

    size_t sb, sl;
    ltx2_text_strip(r->system, &sb, &sl);
    const char *system = sl ? r->system : img ? ltx2_enhance_system_i2v : ltx2_enhance_system_t2v;
    char *user = user_text(r->prompt, img);
    int32_t *ids = NULL, *gen = malloc((size_t)(r->max_new_tokens > 0 ? r->max_new_tokens : 1) * sizeof(int32_t));
    float *soft = NULL;
    int64_t n = 0, n_gen = 0;
    ltx2_gemma3_span span = {0};
    if (!user || !gen) st = ltx2_err(err, LTX2_ERR_OOM, "enhance: out of memory");
    if (!st) st = ltx2_chat_encode(te->spm, &ct, system, user, img, &ids, &n, &span, err);
    if (!st && img) st = image_tokens(te, ctx, r, &soft, err);
    if (!st) {
        ltx2_gen_request g = {.ids = ids, .n = n, .soft = soft, .soft_id = ct.image_soft, .bidir = img ? &span : NULL,
                              .n_bidir = img ? 1 : 0, .max_new_tokens = r->max_new_tokens,
                              .sample = {.temperature = r->temperature, .top_k = gc.top_k, .top_p = gc.top_p,
                                         .seed = r->seed},
                              .stop = gc.stop, .n_stop = gc.n_stop, .progress = r->progress, .user = r->user};
        st = ltx2_gemma3_generate(ctx, te->gemma, &g, gen, &n_gen, err);
    }
    if (!st) {
        /* Control pieces, the turn/image markers and the stop ids never reach the text. */
        const int32_t skip[] = {ct.start_turn, ct.end_turn, ct.boi, ct.eoi, ct.image_soft};
        char msg[256] = {0};
        *out = ltx2_spm_decode(te->spm, gen, (size_t)n_gen, skip, sizeof skip / sizeof *skip, msg, sizeof msg);
        if (!*out) st = ltx2_err(err, LTX2_ERR_FAILED, "sentencepiece decode: %s", msg);
        else ltx2_enhance_clean(*out);
    }
    free(user), free(ids), free(gen);
    k_free(ctx, soft);
    return st;
}

ltx2_status ltx2_text_encoder_enhance(ltx2_text_encoder *te, ltx2_store *store, const kctx *ctx,
                                      const ltx2_enhance_request *r, char **out, ltx2_error *err)
{
    *out = NULL;
    if (r->max_new_tokens < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "max_new_tokens must be >= 1");
    if (r->image && (r->image_w < 1 || r->image_h < 1)) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "image: empty");
    /* On a device context the vision tower, the prefill and every decode step run there;
     * each step's logits row comes to the host for the sampler. */
    pthread_mutex_lock(&te->lock);
    ltx2_status st = enhance_locked(te, store, ctx, r, out, err);
    pthread_mutex_unlock(&te->lock);
    return st;
}
