/* text_encode_node.c — LTX2TextEncode: prompt (+ optional negative prompt) →
 * CONDITIONING (video_context, audio_context, mask), plus the positive prompt's
 * tokens and, on request, a TENSORS object of its intermediates for parity checks. */
#include <stdio.h>
#include <string.h>

#include "node.h"
#include "store/store.h"
#include "text/text_encoder.h"
#include "text/text_nodes.h"

enum { IN_ENCODER, IN_PROMPT, IN_NEGATIVE, IN_MAX_LENGTH, IN_PRECISION, IN_UNLOAD, IN_INTERMEDIATES };
enum { OUT_POSITIVE, OUT_NEGATIVE, OUT_TOKEN_IDS, OUT_TOKEN_MASK, OUT_INTERMEDIATES };

static const ltx2_port encode_in[] = {
    LTX2_PORT("text_encoder", "TEXT_ENCODER", 0, "Gemma 3 + LTX-2 projection and connectors (LTX2TextEncoderLoader)."),
    LTX2_PORT_STRING("prompt", "", LTX2_PORT_MULTILINE, "The text to encode."),
    /* No default on purpose: left out, it arrives as NONE and no negative is encoded;
     * an explicit "" encodes the empty prompt. */
    LTX2_PORT("negative_prompt", "STRING", LTX2_PORT_MULTILINE | LTX2_PORT_OPTIONAL,
              "Optional second prompt for CFG; the negative output stays empty when left out."),
    LTX2_PORT_INT("max_length", 1024, 1, 131072, 1, LTX2_PORT_ADVANCED,
                  "Tokens per prompt (left padded, truncated); a multiple of the connector's registers. "
                  "1024 for LTX-2."),
    LTX2_PORT_PRECISION,
    LTX2_PORT_BOOL("unload_after", 0, LTX2_PORT_ADVANCED,
                   "Release the Gemma weights after encoding (re-mapped on the next encode)."),
    LTX2_PORT_BOOL("intermediates", 0, LTX2_PORT_ADVANCED,
                   "Also output the positive prompt's intermediates (hidden states are large for the 12B model)."),
};
static const ltx2_port encode_out[] = {
    LTX2_PORT("positive", "CONDITIONING", 0, "video_context, audio_context and mask of the prompt."),
    LTX2_PORT("negative", "CONDITIONING", 0, "The same for negative_prompt (empty when unconnected)."),
    LTX2_PORT("token_ids", "TENSOR", 0, "[1, max_length] token ids of the prompt (F32, left padded)."),
    LTX2_PORT("token_mask", "TENSOR", 0, "[1, max_length] 1 = token, 0 = padding."),
    LTX2_PORT("intermediates", "TENSORS", 0,
              "With intermediates: the positive prompt's token_ids, token_mask, hidden_states "
              "[layers+1, max_length, hidden] (padding zeroed), features [1, max_length, D], video_context, "
              "audio_context, context_mask (the fixture names)."),
};

typedef struct progress_state {
    ltx2_exec_ctx *ctx;
    int64_t offset, total; /* layers already done by earlier prompts, layers in all */
} progress_state;

static ltx2_status on_layer(void *user, int64_t done, int64_t per_prompt)
{
    progress_state *p = user;
    (void)per_prompt;
    return ltx2_progress(p->ctx, (double)(p->offset + done), (double)p->total, "Gemma layers");
}

/* The TENSORS object of the parity intermediates (tensors retained). NULL on OOM. */
static ltx2_object *make_intermediates(const ltx2_text_encoding *e)
{
    ltx2_object *o = ltx2_object_new("TENSORS");
    if (!o) return NULL;
    const struct {
        const char *key;
        ltx2_tensor *t;
    } items[] = {{"token_ids", e->token_ids},         {"token_mask", e->token_mask},
                 {"hidden_states", e->hidden_states}, {"features", e->features},
                 {"video_context", e->video_context}, {"audio_context", e->audio_context},
                 {"context_mask", e->context_mask}};
    for (size_t i = 0; i < sizeof items / sizeof *items; ++i)
        if (items[i].t && ltx2_object_set_tensor(o, items[i].key, items[i].t)) {
            ltx2_object_release(o);
            return NULL;
        }
    return o;
}

/* A CONDITIONING object over one encoding (tensors retained). NULL on OOM. */
static ltx2_object *make_conditioning(const ltx2_text_encoding *e)
{
    ltx2_object *o = ltx2_object_new("CONDITIONING");
    if (!o) return NULL;
    char meta[128];
    snprintf(meta, sizeof meta, "{\"n_tokens\":%lld,\"max_length\":%lld}", (long long)e->n_valid,
             (long long)e->max_len);
    if (ltx2_object_set_tensor(o, "video_context", e->video_context) ||
        (e->audio_context && ltx2_object_set_tensor(o, "audio_context", e->audio_context)) ||
        ltx2_object_set_tensor(o, "mask", e->context_mask) || ltx2_object_set_metadata(o, meta)) {
        ltx2_object_release(o);
        return NULL;
    }
    return o;
}

static ltx2_status encode_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_node *node = inst;
    ltx2_object *obj = NULL;
    ltx2_status st = ltx2_in_object(ctx, node->type, in, IN_ENCODER, "TEXT_ENCODER", &obj);
    if (st) return st;
    ltx2_text_encoder *te = ltx2_object_payload(obj, LTX2_TEXT_ENCODER_PAYLOAD);
    if (!te) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "text_encoder", "not a text encoder made by this plugin");

    const int have_neg = ltx2_in_present(in, IN_NEGATIVE);
    const int64_t max_len = ltx2_in_int(in, IN_MAX_LENGTH);
    if (max_len < 1) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "max_length", "must be >= 1 (got %lld)", (long long)max_len);
    const kctx kc = ltx2_node_kctx(inst, ctx, ltx2_in_fast(in, IN_PRECISION));
    ltx2_store *store = ltx2_node_runtime(inst)->store;
    progress_state ps = {.ctx = ctx, .total = te->gemma_cfg.n_layers * (have_neg ? 2 : 1)};

    ltx2_text_encoding pos = {0}, neg = {0};
    ltx2_error err = {0};
    st = ltx2_text_encoder_encode(te, store, &kc, ltx2_in_string(in, IN_PROMPT), max_len,
                                  ltx2_in_bool(in, IN_INTERMEDIATES), on_layer, &ps, &pos, &err);
    if (st == LTX2_OK && have_neg) {
        ps.offset = te->gemma_cfg.n_layers;
        st = ltx2_text_encoder_encode(te, store, &kc, ltx2_in_string(in, IN_NEGATIVE), max_len, 0, on_layer, &ps,
                                      &neg, &err);
        if (st && st != LTX2_CANCELLED) ltx2_err_prefix(&err, "negative_prompt");
    }
    if (st == LTX2_OK && ltx2_cancelled(ctx))
        st = LTX2_CANCELLED; /* kernels stopped early: the encodings are incomplete */
    /* The reference truncates too; say so, or a long prompt loses its end unnoticed. */
    if (st == LTX2_OK && pos.n_dropped > 0)
        ltx2_logf(ctx, LTX2_LOG_WARN, "prompt: %lld tokens past max_length %lld were dropped (raise max_length)",
                  (long long)pos.n_dropped, (long long)max_len);
    if (st == LTX2_OK && have_neg && neg.n_dropped > 0)
        ltx2_logf(ctx, LTX2_LOG_WARN, "negative_prompt: %lld tokens past max_length %lld were dropped",
                  (long long)neg.n_dropped, (long long)max_len);
    if (ltx2_in_bool(in, IN_UNLOAD)) ltx2_text_encoder_release_gemma(te);
    if (st) {
        ltx2_text_encoding_release(&pos);
        ltx2_text_encoding_release(&neg);
        if (st == LTX2_CANCELLED) return st;
        const char *input = strstr(err.msg, "max_length") ? "max_length"
                            : strstr(err.msg, "negative_prompt") ? "negative_prompt" : "prompt";
        return ltx2_fail_err(ctx, input, &err);
    }

    ltx2_object *cp = make_conditioning(&pos), *cn = have_neg ? make_conditioning(&neg) : NULL;
    ltx2_object *ci = pos.hidden_states ? make_intermediates(&pos) : NULL;
    if (!cp || (have_neg && !cn) || (pos.hidden_states && !ci)) {
        ltx2_object_release(cp), ltx2_object_release(cn), ltx2_object_release(ci);
        ltx2_text_encoding_release(&pos), ltx2_text_encoding_release(&neg);
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory building the conditioning");
    }
    out[OUT_POSITIVE] = ltx2_value_object(cp);
    if (cn) out[OUT_NEGATIVE] = ltx2_value_object(cn);
    /* The token tensors go out with one reference each (the objects hold their own). */
    ltx2_tensor_retain(pos.token_ids), ltx2_tensor_retain(pos.token_mask);
    out[OUT_TOKEN_IDS] = ltx2_value_tensor(pos.token_ids);
    out[OUT_TOKEN_MASK] = ltx2_value_tensor(pos.token_mask);
    if (ci) out[OUT_INTERMEDIATES] = ltx2_value_object(ci);
    ltx2_text_encoding_release(&pos);
    ltx2_text_encoding_release(&neg);
    return LTX2_OK;
}

const ltx2_node_type ltx2_node_text_encode =
    LTX2_NODE_TYPE("LTX2TextEncode", "LTX-2 Text Encode", "ltx2/conditioning",
                   LTX2_NODE_CANCELLABLE | LTX2_NODE_PROGRESS | LTX2_NODE_CUDA,
                   "Encodes a prompt (and an optional negative prompt) with Gemma 3 and the LTX-2 feature "
                   "extractor and connectors into the video and audio contexts the transformer attends to.",
                   encode_in, encode_out, encode_execute);
