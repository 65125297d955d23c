/* enhance.c — ComfyUI-LTXVideo's LTXVGemmaEnhancePrompt over LTX2EnhancePrompt: the
 * CLIP's Gemma 3 rewrites the prompt, image-aware unless bypass_i2v. */
#include <string.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"
#include "text/enhance.h"
#include "text/tokenize.h"

enum { IN_CLIP, IN_PROMPT, IN_SYSTEM, IN_MAX_TOKENS, IN_BYPASS_I2V, IN_IMAGE, IN_SEED };

static const ltx2_port ge_inputs[] = {
    LTX2_PORT("clip", "CLIP", 0, "the text encoder (LTXVGemmaCLIPModelLoader); its Gemma 3 writes the prompt"),
    LTX2_PORT_STRING("prompt", "", LTX2_PORT_MULTILINE, "the user's prompt"),
    LTX2_PORT_STRING("system_prompt", ltx2_enhance_system_t2v, LTX2_PORT_MULTILINE,
                     "instructions for Gemma (this default switches to the I2V one when an image is used)"),
    LTX2_PORT_INT("max_tokens", 512, 32, 1024, 16, 0, "most tokens written"),
    LTX2_PORT_BOOL("bypass_i2v", 0, 0, "ignore the image (text-only enhancement)"),
    LTX2_PORT("image", "IMAGE", LTX2_PORT_OPTIONAL, "start image shown to Gemma's vision tower"),
    LTX2_PORT_INT("seed", 42, 0, 0xFFFFFFFF, 1, LTX2_PORT_OPTIONAL, "sampling seed"),
};
static const ltx2_port ge_outputs[] = {
    LTX2_PORT("enhanced_prompt", "STRING", 0, "the detailed prompt"),
};

/* a and b equal once both are stripped of outer white space. */
static int same_stripped(const char *a, const char *b)
{
    size_t ab, al, bb, bl;
    ltx2_text_strip(a, &ab, &al);
    ltx2_text_strip(b, &bb, &bl);
    return al == bl && memcmp(a + ab, b + bb, al) == 0;
}

static ltx2_status ge_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_object *clip = NULL, *te = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_gemma_enhance_prompt, in, IN_CLIP, "CLIP", &clip);
    if (st || (st = comfy_unwrap(ctx, clip, COMFY_CLIP_TE, "clip", "a CLIP from LTXVGemmaCLIPModelLoader", &te)))
        return st;
    const int i2v = ltx2_in_present(in, IN_IMAGE) && !ltx2_in_bool(in, IN_BYPASS_I2V);
    const char *system = ltx2_in_string(in, IN_SYSTEM);
    if (i2v && same_stripped(system, ltx2_enhance_system_t2v)) system = ltx2_enhance_system_i2v;
    size_t b, l;
    ltx2_text_strip(system, &b, &l);
    if (l == 0) return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "system_prompt", "is empty");
    const int64_t seed = ltx2_in_present(in, IN_SEED) ? ltx2_in_int(in, IN_SEED) : 42;
    ltx2_value r[COMFY_MAX_OUT];
    const ltx2_value none = {.kind = LTX2_V_NONE};
    st = COMFY_CALL(inst, ctx, "LTX2EnhancePrompt", 0x1, r, COMFY_OBJ("text_encoder", te),
                    COMFY_STR("prompt", ltx2_in_string(in, IN_PROMPT)),
                    {"image", i2v ? in[IN_IMAGE] : none}, COMFY_INT("seed", seed),
                    COMFY_INT("max_new_tokens", ltx2_in_int(in, IN_MAX_TOKENS)), COMFY_STR("system_prompt", system));
    return comfy_first(st, r, 1, &out[0]);
}

const ltx2_node_type comfy_gemma_enhance_prompt =
    LTX2_NODE_TYPE("LTXVGemmaEnhancePrompt", "LTXV Gemma Enhance Prompt", "lightricks/LTXV",
                   LTX2_NODE_OUTPUT | LTX2_NODE_CANCELLABLE | LTX2_NODE_PROGRESS | LTX2_NODE_CUDA,
                   "Enhances a prompt with the CLIP's Gemma 3 (image-to-video when an image is given).",
                   ge_inputs, ge_outputs, ge_execute);
