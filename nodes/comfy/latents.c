/* latents.c — ComfyUI's LTXV latent nodes. A ComfyUI AV latent (a nested video +
 * audio tensor) is our LATENT with both `samples` and `audio_samples`; an audio-only
 * latent holds just `audio_samples`, so Concat/Separate move entries, never data. */
#include <math.h>

#include "audio/audio_vae.h"
#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"
#include "sampler/latent.h"

static ltx2_status oom(ltx2_exec_ctx *ctx) { return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); }

/* ---------------------------------------------------------------- EmptyLTXVLatentVideo */
static const ltx2_port elv_inputs[] = {
    LTX2_PORT_INT("width", 768, 64, 16384, 32, 0, NULL),
    LTX2_PORT_INT("height", 512, 64, 16384, 32, 0, NULL),
    LTX2_PORT_INT("length", 97, 1, 16384, 8, 0, "pixel frames (8k+1)"),
    LTX2_PORT_INT("batch_size", 1, 1, 4096, 1, 0, "only 1 is supported"),
};
static const ltx2_port elv_outputs[] = {LTX2_PORT("LATENT", "LATENT", 0, "zero video latent [1, 128, F, H/32, W/32]")};
static ltx2_status elv_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    if (ltx2_in_int(in, 3) != 1)
        return ltx2_fail(ctx, LTX2_ERR_UNSUPPORTED, "batch_size", "only batch_size 1 is supported");
    /* fps is a placeholder: the sampler takes ComfyUI's frame rate from the conditioning. */
    return COMFY_CALL(inst, ctx, "LTX2EmptyLatent", 0x1, out, COMFY_INT("width", ltx2_in_int(in, 0)),
                      COMFY_INT("height", ltx2_in_int(in, 1)), COMFY_INT("frames", ltx2_in_int(in, 2)),
                      COMFY_FLT("fps", 25.0), COMFY_BOOL("audio", false));
}
const ltx2_node_type comfy_empty_ltxv_latent_video =
    LTX2_NODE_TYPE("EmptyLTXVLatentVideo", "EmptyLTXVLatentVideo", "latent/video/ltxv", 0,
                   "An empty LTX-2 video latent.", elv_inputs, elv_outputs, elv_execute);

/* ---------------------------------------------------------------- LTXVEmptyLatentAudio */
static const ltx2_port ela_inputs[] = {
    LTX2_PORT_INT("frames_number", 97, 1, 1000, 1, 0, "number of video frames"),
    LTX2_PORT_INT("frame_rate", 25, 1, 1000, 1, 0, "frames per second"),
    LTX2_PORT_INT("batch_size", 1, 1, 4096, 1, 0, "only 1 is supported"),
    LTX2_PORT("audio_vae", "VAE", 0, "the audio VAE (LTXVAudioVAELoader): channels and rate"),
};
static const ltx2_port ela_outputs[] = {LTX2_PORT("Latent", "LATENT", 0, "zero audio latent [1, C, T, F]")};
static ltx2_status ela_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_object *w = NULL, *avo = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_ltxv_empty_latent_audio, in, 3, "VAE", &w);
    if (st || (st = comfy_unwrap(ctx, w, COMFY_AVAE, "audio_vae", "the VAE of LTXVAudioVAELoader", &avo)))
        return st;
    const audio_vae *v = ltx2_object_payload(avo, LTX2_AUDIO_VAE_PAYLOAD);
    if (!v)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio_vae", "not an LTX-2 audio VAE");
    if (ltx2_in_int(in, 2) != 1)
        return ltx2_fail(ctx, LTX2_ERR_UNSUPPORTED, "batch_size", "only batch_size 1 is supported");
    /* ComfyUI: ceil(frames / fps * latents_per_second), latents_per_second = rate / hop /
     * the encoder's time downsampling (the reference rounds instead). */
    const double lps = (double)v->cfg.sample_rate / v->cfg.hop / (double)(1 << (v->cfg.n_levels - 1));
    const int64_t t = (int64_t)ceil((double)ltx2_in_int(in, 0) / (double)ltx2_in_int(in, 1) * lps);
    ltx2_tensor *z = ltx2_tensor_zeros(LTX2_F32, 4, (const int64_t[]){1, v->cfg.z_channels, t, v->cfg.latent_freq});
    ltx2_object *o = ltx2_object_new("LATENT");
    if (!z || !o || ltx2_object_set_tensor(o, LTX2_LAT_AUDIO, z) || ltx2_object_set_string(o, "type", "audio")) {
        ltx2_tensor_release(z);
        ltx2_object_release(o);
        return oom(ctx);
    }
    ltx2_tensor_release(z);
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}
const ltx2_node_type comfy_ltxv_empty_latent_audio =
    LTX2_NODE_TYPE("LTXVEmptyLatentAudio", "LTXV Empty Latent Audio", "model/latent/ltxv", 0,
                   "An empty audio latent as long as frames_number video frames at frame_rate.", ela_inputs,
                   ela_outputs, ela_execute);

/* ---------------------------------------------------------------- LTXVConcatAVLatent */
static const ltx2_port cat_inputs[] = {
    LTX2_PORT("video_latent", "LATENT", 0, NULL),
    LTX2_PORT("audio_latent", "LATENT", 0, NULL),
};
static const ltx2_port cat_outputs[] = {LTX2_PORT("latent", "LATENT", 0, "video and audio latent together")};
static ltx2_status cat_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_object *v = NULL, *a = NULL;
    ltx2_status st;
    if ((st = ltx2_in_object(ctx, &comfy_ltxv_concat_av, in, 0, "LATENT", &v)) ||
        (st = ltx2_in_object(ctx, &comfy_ltxv_concat_av, in, 1, "LATENT", &a)))
        return st;
    if (!ltx2_object_tensor(v, LTX2_LAT_VIDEO))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video_latent", "has no video latent");
    if (!ltx2_object_tensor(a, LTX2_LAT_AUDIO))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio_latent", "has no audio latent");
    ltx2_object *o = ltx2_object_clone(v);
    if (o)
        ltx2_object_remove(o, LTX2_LAT_AUDIO_MASK);
    if (!o || ltx2_object_set_tensor(o, LTX2_LAT_AUDIO, ltx2_object_tensor(a, LTX2_LAT_AUDIO)) ||
        (ltx2_object_has(a, LTX2_LAT_AUDIO_MASK) &&
         ltx2_object_set_tensor(o, LTX2_LAT_AUDIO_MASK, ltx2_object_tensor(a, LTX2_LAT_AUDIO_MASK)))) {
        ltx2_object_release(o);
        return oom(ctx);
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}
const ltx2_node_type comfy_ltxv_concat_av =
    LTX2_NODE_TYPE("LTXVConcatAVLatent", "LTXVConcatAVLatent", "latent/video/ltxv", 0,
                   "Joins a video latent and an audio latent for the AV sampler.", cat_inputs, cat_outputs,
                   cat_execute);

/* ---------------------------------------------------------------- LTXVSeparateAVLatent */
static const ltx2_port sep_inputs[] = {LTX2_PORT("av_latent", "LATENT", 0, NULL)};
static const ltx2_port sep_outputs[] = {
    LTX2_PORT("video_latent", "LATENT", 0, NULL),
    LTX2_PORT("audio_latent", "LATENT", 0, NULL),
};
static ltx2_status sep_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_object *av = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_ltxv_separate_av, in, 0, "LATENT", &av);
    if (st)
        return st;
    if (!ltx2_object_tensor(av, LTX2_LAT_VIDEO) || !ltx2_object_tensor(av, LTX2_LAT_AUDIO))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "av_latent", "needs both a video and an audio latent");
    ltx2_object *v = ltx2_object_clone(av), *a = ltx2_object_new("LATENT");
    if (!v || !a)
        goto fail;
    ltx2_object_remove(v, LTX2_LAT_AUDIO);
    ltx2_object_remove(v, LTX2_LAT_AUDIO_MASK);
    if (ltx2_object_set_tensor(a, LTX2_LAT_AUDIO, ltx2_object_tensor(av, LTX2_LAT_AUDIO)) ||
        ltx2_object_set_string(a, "type", "audio") ||
        (ltx2_object_has(av, LTX2_LAT_AUDIO_MASK) &&
         ltx2_object_set_tensor(a, LTX2_LAT_AUDIO_MASK, ltx2_object_tensor(av, LTX2_LAT_AUDIO_MASK))) ||
        (ltx2_object_has(av, LTX2_LAT_FPS) &&
         ltx2_object_set_float(a, LTX2_LAT_FPS, ltx2_object_float(av, LTX2_LAT_FPS, 25.0))))
        goto fail;
    out[0] = ltx2_value_object(v);
    out[1] = ltx2_value_object(a);
    return LTX2_OK;
fail:
    ltx2_object_release(v);
    ltx2_object_release(a);
    return oom(ctx);
}
const ltx2_node_type comfy_ltxv_separate_av =
    LTX2_NODE_TYPE("LTXVSeparateAVLatent", "LTXVSeparateAVLatent", "latent/video/ltxv", 0,
                   "LTXV Separate AV Latent", sep_inputs, sep_outputs, sep_execute);

/* ---------------------------------------------------------------- LTXVLatentUpsampler */
static const ltx2_port up_inputs[] = {
    LTX2_PORT("samples", "LATENT", 0, NULL),
    LTX2_PORT("upscale_model", "LATENT_UPSCALE_MODEL", 0, NULL),
    LTX2_PORT("vae", "VAE", 0, "the video VAE (its latent statistics)"),
};
static const ltx2_port up_outputs[] = {LTX2_PORT("LATENT", "LATENT", 0, "the upscaled latent")};
static ltx2_status up_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_value r[COMFY_MAX_OUT];
    ltx2_status st = COMFY_CALL(inst, ctx, "LTX2LatentUpscale", 0x1, r, COMFY_OBJ("samples", in[0].u.o),
                                COMFY_OBJ("upscale_model", in[1].u.o), COMFY_OBJ("vae", in[2].u.o));
    return comfy_first(st, r, 2, &out[0]);
}
const ltx2_node_type comfy_ltxv_latent_upsampler =
    LTX2_NODE_TYPE("LTXVLatentUpsampler", "LTXVLatentUpsampler", "latent/video", 0,
                   "Upscales the video latent with a latent upscale model.", up_inputs, up_outputs, up_execute);
