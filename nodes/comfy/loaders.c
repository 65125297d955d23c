/* loaders.c — ComfyUI's loaders over the LTX2 loader nodes: CheckpointLoaderSimple,
 * LTXVAudioVAELoader, LTXVGemmaCLIPModelLoader, LatentUpscaleModelLoader and
 * LoraLoaderModelOnly. File inputs are names that the host resolves in ComfyUI's
 * model folders (checkpoints/, text_encoders/, latent_upscale_models/, loras/). */
#include <stdlib.h>
#include <string.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"

#define LOADER(class_, display_, desc_, in_, out_, exec_) \
    LTX2_NODE_TYPE(class_, display_, "loaders", 0, desc_, in_, out_, exec_)

/* ---------------------------------------------------------------- CheckpointLoaderSimple */
static const ltx2_port cls_inputs[] = {
    LTX2_PORT_STRING("ckpt_name", "", LTX2_PORT_FILE, "checkpoint in models/checkpoints"),
};
static const ltx2_port cls_outputs[] = {
    LTX2_PORT("MODEL", "MODEL", 0, "the transformer"),
    LTX2_PORT("CLIP", "CLIP", 0, "none: LTX-2 checkpoints carry no text model (LTXVGemmaCLIPModelLoader)"),
    LTX2_PORT("VAE", "VAE", 0, "the video VAE"),
};
static ltx2_status cls_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_value r[COMFY_MAX_OUT];
    const char *path;
    ltx2_status st = comfy_file_in(ctx, &comfy_checkpoint_loader_simple, in, 0, &path);
    if (st || (st = COMFY_CALL(inst, ctx, "LTX2CheckpointLoader", 0x3, r, COMFY_STR("ckpt_path", path))))
        return st;
    out[0] = comfy_take(&r[0]);
    out[2] = comfy_take(&r[1]);
    comfy_release(r, 4);
    return LTX2_OK;
}
const ltx2_node_type comfy_checkpoint_loader_simple =
    LOADER("CheckpointLoaderSimple", "Load Checkpoint",
           "Maps an LTX-2 checkpoint: MODEL and the video VAE (CLIP stays empty).", cls_inputs, cls_outputs,
           cls_execute);

/* ---------------------------------------------------------------- LTXVAudioVAELoader */
static const ltx2_port avl_outputs[] = {
    LTX2_PORT("Audio VAE", "VAE", 0, "the audio VAE and its vocoder"),
};
static ltx2_status avl_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_value r[COMFY_MAX_OUT];
    const char *path;
    ltx2_status st = comfy_file_in(ctx, &comfy_audio_vae_loader, in, 0, &path);
    if (st || (st = COMFY_CALL(inst, ctx, "LTX2CheckpointLoader", 0xc, r, COMFY_STR("ckpt_path", path))))
        return st;
    ltx2_object *w = NULL;
    if (r[2].kind != LTX2_V_OBJECT || r[3].kind != LTX2_V_OBJECT)
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "ckpt_name", "%s has no audio VAE and vocoder", ltx2_in_string(in, 0));
    else if (!(w = comfy_wrap("VAE", COMFY_AVAE, r[2].u.o)) || ltx2_object_set_object(w, COMFY_VOCODER, r[3].u.o))
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    comfy_release(r, 4);
    if (st) {
        ltx2_object_release(w);
        return st;
    }
    out[0] = ltx2_value_object(w);
    return LTX2_OK;
}
const ltx2_node_type comfy_audio_vae_loader =
    LOADER("LTXVAudioVAELoader", "Load LTXV Audio VAE",
           "The audio VAE and vocoder of an LTX-2 checkpoint, as one VAE.", cls_inputs, avl_outputs, avl_execute);

/* ---------------------------------------------------------------- LTXVGemmaCLIPModelLoader */
static const ltx2_port gcl_inputs[] = {
    LTX2_PORT_STRING("gemma_path", "", LTX2_PORT_FILE,
                     "a Gemma 3 weight file in models/text_encoders; its folder holds the other shards and "
                     "tokenizer.model"),
    LTX2_PORT_STRING("ltxv_path", "", LTX2_PORT_FILE, "the LTX-2 checkpoint with the text connectors"),
    LTX2_PORT_INT("max_length", 1024, 16, 131072, 8, 0, "tokens per prompt (padded)"),
};
static const ltx2_port gcl_outputs[] = {LTX2_PORT("clip", "CLIP", 0, "Gemma 3 + the LTX-2 connectors")};
static ltx2_status gcl_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const char *g, *ck;
    ltx2_status st;
    if ((st = comfy_file_in(ctx, &comfy_gemma_clip_loader, in, 0, &g)) ||
        (st = comfy_file_in(ctx, &comfy_gemma_clip_loader, in, 1, &ck)))
        return st;
    const char *slash = strrchr(g, '/');
    char *dir = slash ? strndup(g, (size_t)(slash - g)) : strdup(".");
    if (!dir)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    ltx2_value r[COMFY_MAX_OUT];
    st = COMFY_CALL(inst, ctx, "LTX2TextEncoderLoader", 0x1, r, COMFY_STR("gemma_path", dir),
                    COMFY_STR("ckpt_path", ck));
    free(dir);
    if (st)
        return st;
    ltx2_object *w = comfy_wrap("CLIP", COMFY_CLIP_TE, r[0].u.o);
    comfy_release(r, 1);
    if (!w || ltx2_object_set_int(w, COMFY_CLIP_MAXLEN, ltx2_in_int(in, 2))) {
        ltx2_object_release(w);
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    }
    out[0] = ltx2_value_object(w);
    return LTX2_OK;
}
const ltx2_node_type comfy_gemma_clip_loader =
    LOADER("LTXVGemmaCLIPModelLoader", "LTXV Gemma CLIP Loader",
           "Gemma 3 (all shards of gemma_path's folder) with the checkpoint's text connectors.", gcl_inputs,
           gcl_outputs, gcl_execute);

/* ---------------------------------------------------------------- LatentUpscaleModelLoader */
static const ltx2_port lum_inputs[] = {
    LTX2_PORT_STRING("model_name", "", LTX2_PORT_FILE, "upscaler in models/latent_upscale_models"),
};
static const ltx2_port lum_outputs[] = {LTX2_PORT("LATENT_UPSCALE_MODEL", "LATENT_UPSCALE_MODEL", 0, "x2 upscaler")};
static ltx2_status lum_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const char *path;
    ltx2_status st = comfy_file_in(ctx, &comfy_latent_upscale_model_loader, in, 0, &path);
    return st ? st : COMFY_CALL(inst, ctx, "LTX2UpscalerLoader", 0x1, out, COMFY_STR("path", path));
}
const ltx2_node_type comfy_latent_upscale_model_loader =
    LOADER("LatentUpscaleModelLoader", "Load Latent Upscale Model", "Maps a latent upscaler file.", lum_inputs,
           lum_outputs, lum_execute);

/* ---------------------------------------------------------------- LoraLoaderModelOnly */
static const ltx2_port llm_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, "the transformer"),
    LTX2_PORT_STRING("lora_name", "", LTX2_PORT_FILE, "LoRA in models/loras"),
    LTX2_PORT_FLOAT("strength_model", 1.0, -100.0, 100.0, 0.01, 0, "LoRA scale"),
};
static const ltx2_port llm_outputs[] = {LTX2_PORT("MODEL", "MODEL", 0, "the transformer with the LoRA fused")};
static ltx2_status llm_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    if (ltx2_in_float(in, 2) == 0.0) { /* ComfyUI returns the model untouched */
        ltx2_object_retain(in[0].u.o);
        out[0] = ltx2_value_object(in[0].u.o);
        return LTX2_OK;
    }
    const char *path;
    ltx2_status st = comfy_file_in(ctx, &comfy_lora_loader_model_only, in, 1, &path);
    return st ? st
              : COMFY_CALL(inst, ctx, "LTX2LoraApply", 0x1, out, COMFY_OBJ("model", in[0].u.o),
                           COMFY_STR("lora_path", path), COMFY_FLT("strength", ltx2_in_float(in, 2)));
}
const ltx2_node_type comfy_lora_loader_model_only =
    LOADER("LoraLoaderModelOnly", "LoraLoaderModelOnly", "Fuses a LoRA into the transformer's weights.",
           llm_inputs, llm_outputs, llm_execute);
