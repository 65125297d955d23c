/* conditioning.c — CLIPTextEncode (over LTX2TextEncode) and LTXVConditioning (the
 * frame rate the sampler's RoPE positions use, carried on the CONDITIONING). */
#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"

/* ---------------------------------------------------------------- CLIPTextEncode */
static const ltx2_port cte_inputs[] = {
    LTX2_PORT_STRING("text", "", LTX2_PORT_MULTILINE, "the prompt"),
    LTX2_PORT("clip", "CLIP", 0, "the text encoder (LTXVGemmaCLIPModelLoader)"),
};
static const ltx2_port cte_outputs[] = {
    LTX2_PORT("CONDITIONING", "CONDITIONING", 0, "video and audio contexts of the prompt"),
};
static ltx2_status cte_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_object *clip = NULL, *te = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_clip_text_encode, in, 1, "CLIP", &clip);
    if (st || (st = comfy_unwrap(ctx, clip, COMFY_CLIP_TE, "clip", "a CLIP from LTXVGemmaCLIPModelLoader", &te)))
        return st;
    ltx2_value r[COMFY_MAX_OUT];
    st = COMFY_CALL(inst, ctx, "LTX2TextEncode", 0x1, r, COMFY_OBJ("text_encoder", te),
                    COMFY_STR("prompt", ltx2_in_string(in, 0)),
                    COMFY_INT("max_length", ltx2_object_int(clip, COMFY_CLIP_MAXLEN, 1024)));
    return comfy_first(st, r, 5, &out[0]);
}
const ltx2_node_type comfy_clip_text_encode =
    LTX2_NODE_TYPE("CLIPTextEncode", "CLIP Text Encode (Prompt)", "conditioning", 0,
                   "Encodes a prompt with Gemma 3 and the LTX-2 connectors.", cte_inputs, cte_outputs, cte_execute);

/* ---------------------------------------------------------------- LTXVConditioning */
static const ltx2_port lc_inputs[] = {
    LTX2_PORT("positive", "CONDITIONING", 0, NULL),
    LTX2_PORT("negative", "CONDITIONING", 0, NULL),
    LTX2_PORT_FLOAT("frame_rate", 25.0, 0.0, 1000.0, 0.01, 0, "frame rate of the video the sampler makes"),
};
static const ltx2_port lc_outputs[] = {
    LTX2_PORT("positive", "CONDITIONING", 0, NULL),
    LTX2_PORT("negative", "CONDITIONING", 0, NULL),
};
static ltx2_status lc_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    for (uint32_t i = 0; i < 2; i++) {
        ltx2_object *c = NULL;
        ltx2_status st = ltx2_in_object(ctx, &comfy_ltxv_conditioning, in, i, "CONDITIONING", &c);
        if (st)
            return st;
        ltx2_object *o = ltx2_object_clone(c);
        if (!o || ltx2_object_set_float(o, COMFY_COND_FPS, ltx2_in_float(in, 2))) {
            ltx2_object_release(o);
            if (i)
                ltx2_value_release(&out[0]);
            return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        }
        out[i] = ltx2_value_object(o);
    }
    return LTX2_OK;
}
const ltx2_node_type comfy_ltxv_conditioning =
    LTX2_NODE_TYPE("LTXVConditioning", "LTXVConditioning", "conditioning/video_models", 0,
                   "Sets the frame rate on both conditionings.", lc_inputs, lc_outputs, lc_execute);
