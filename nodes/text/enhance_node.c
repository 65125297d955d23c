/* enhance_node.c — LTX2EnhancePrompt: the text encoder's Gemma 3 rewrites a short prompt
 * as the detailed paragraph LTX-2 was trained on (shown the start image for I2V). */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "text/enhance.h"
#include "text/text_nodes.h"

enum { IN_ENCODER, IN_PROMPT, IN_IMAGE, IN_SEED, IN_MAX_TOKENS, IN_SYSTEM, IN_TEMPERATURE, IN_PRECISION };

static const ltx2_port enhance_in[] = {
    LTX2_PORT("text_encoder", "TEXT_ENCODER", 0, "Gemma 3 of the text encoder (LTX2TextEncoderLoader); the same weights generate."),
    LTX2_PORT_STRING("prompt", "", LTX2_PORT_MULTILINE, "The user's short prompt."),
    LTX2_PORT("image", "IMAGE", LTX2_PORT_OPTIONAL,
              "Optional start image (first frame used): image-to-video enhancement through Gemma's vision tower."),
    LTX2_PORT_INT("seed", 42, 0, INT64_C(0xFFFFFFFFFFFF), 1, 0, "Sampling seed (same seed, same text)."),
    LTX2_PORT_INT("max_new_tokens", 512, 1, 8192, 1, 0, "Most tokens written."),
    LTX2_PORT("system_prompt", "STRING", LTX2_PORT_MULTILINE | LTX2_PORT_OPTIONAL,
              "Instructions for Gemma; left out or blank: the built-in T2V or I2V one."),
    LTX2_PORT_FLOAT("temperature", 0.7, 0.0, 2.0, 0.05, LTX2_PORT_ADVANCED,
                    "Sampling temperature (0 = greedy); top-k/top-p come from generation_config.json."),
    LTX2_PORT_PRECISION,
};
static const ltx2_port enhance_out[] = {
    LTX2_PORT("enhanced_prompt", "STRING", 0, "The detailed prompt, one paragraph."),
};

static ltx2_status on_token(void *user, int64_t done, int64_t total)
{
    ltx2_exec_ctx *ctx = user;
    if (ltx2_cancelled(ctx)) return LTX2_CANCELLED;
    return ltx2_progress(ctx, (double)done, (double)total, "tokens");
}

static ltx2_status enhance_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_node *node = inst;
    ltx2_object *obj = NULL;
    ltx2_tensor *img = NULL, *frame = NULL;
    ltx2_status st = ltx2_in_object(ctx, node->type, in, IN_ENCODER, "TEXT_ENCODER", &obj);
    if (st || (st = ltx2_in_tensor(ctx, node->type, in, IN_IMAGE, &img))) return st;
    ltx2_text_encoder *te = ltx2_object_payload(obj, LTX2_TEXT_ENCODER_PAYLOAD);
    if (!te) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "text_encoder", "not a text encoder made by this plugin");
    if (img && (img->ndim != 4 || img->shape[0] < 1 || img->shape[3] != 3 || img->shape[1] < 1 || img->shape[2] < 1))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "image", "expected an IMAGE [B, H, W, 3]");
    if (img && !(frame = ltx2_tensor_as_f32(img))) return ltx2_fail(ctx, LTX2_ERR_OOM, "image", "out of memory");
    ltx2_enhance_request r = {.prompt = ltx2_in_string(in, IN_PROMPT),
                              .system = ltx2_in_present(in, IN_SYSTEM) ? ltx2_in_string(in, IN_SYSTEM) : NULL,
                              .image = frame ? ltx2_tensor_cf32(frame) : NULL,
                              .image_w = img ? img->shape[2] : 0, .image_h = img ? img->shape[1] : 0,
                              .seed = (uint64_t)ltx2_in_int(in, IN_SEED), .max_new_tokens = ltx2_in_int(in, IN_MAX_TOKENS),
                              .temperature = ltx2_in_float(in, IN_TEMPERATURE), .progress = on_token, .user = ctx};
    if (r.max_new_tokens < 1) {
        ltx2_tensor_release(frame);
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "max_new_tokens", "must be >= 1 (got %lld)", (long long)r.max_new_tokens);
    }
    if (!(r.temperature >= 0)) {
        ltx2_tensor_release(frame);
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "temperature", "must be >= 0");
    }
    const kctx kc = ltx2_node_kctx(inst, ctx, ltx2_in_fast(in, IN_PRECISION));
    char *text = NULL;
    ltx2_error err = {0};
    st = ltx2_text_encoder_enhance(te, ltx2_node_runtime(inst)->store, &kc, &r, &text, &err);
    ltx2_tensor_release(frame);
    if (st == LTX2_OK && ltx2_cancelled(ctx)) st = LTX2_CANCELLED;
    if (st) {
        free(text);
        if (st == LTX2_CANCELLED) return st;
        return ltx2_fail_err(ctx, strncmp(err.msg, "image", 5) == 0 ? "image" : "text_encoder", &err);
    }
    out[0] = ltx2_value_string(text);
    free(text);
    if (out[0].kind == LTX2_V_NONE) return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    return LTX2_OK;
}

const ltx2_node_type ltx2_node_enhance_prompt =
    LTX2_NODE_TYPE("LTX2EnhancePrompt", "LTX-2 Enhance Prompt", "ltx2/conditioning",
                   LTX2_NODE_CANCELLABLE | LTX2_NODE_PROGRESS | LTX2_NODE_CUDA,
                   "Rewrites a short prompt as one detailed paragraph (subject, action, camera, lighting, sound) "
                   "with the text encoder's Gemma 3; with an image, Gemma sees it as the first frame.",
                   enhance_in, enhance_out, enhance_execute);
