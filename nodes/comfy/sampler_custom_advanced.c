/* sampler_custom_advanced.c — SamplerCustomAdvanced over LTX2Sampler: the GUIDER's
 * model, conditionings and cfg, the NOISE's seed, the SAMPLER's method. As ComfyUI:
 * the latent is noised to the first sigma (sigma·noise + (1 − sigma)·latent, so a
 * stage-2 schedule starting below 1 re-noises its input), and the frame rate of the
 * RoPE positions is the conditioning's (LTXVConditioning; 25 without). */
#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"
#include "sampler/latent.h"

enum { SCA_NOISE, SCA_GUIDER, SCA_SAMPLER, SCA_SIGMAS, SCA_LATENT };
static const ltx2_port sca_inputs[] = {
    LTX2_PORT("noise", "NOISE", 0, NULL),
    LTX2_PORT("guider", "GUIDER", 0, NULL),
    LTX2_PORT("sampler", "SAMPLER", 0, NULL),
    LTX2_PORT("sigmas", "SIGMAS", 0, NULL),
    LTX2_PORT("latent_image", "LATENT", 0, NULL),
};
static const ltx2_port sca_outputs[] = {
    LTX2_PORT("output", "LATENT", 0, NULL),
    LTX2_PORT("denoised_output", "LATENT", 0, "the same latent (the last sigma is 0)"),
};

static ltx2_status sca_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *T = &comfy_sampler_custom_advanced;
    ltx2_object *noise = NULL, *g = NULL, *smp = NULL, *lat = NULL;
    ltx2_tensor *sig = NULL;
    ltx2_status st;
    if ((st = ltx2_in_object(ctx, T, in, SCA_NOISE, "NOISE", &noise)) ||
        (st = ltx2_in_object(ctx, T, in, SCA_GUIDER, "GUIDER", &g)) ||
        (st = ltx2_in_object(ctx, T, in, SCA_SAMPLER, "SAMPLER", &smp)) ||
        (st = ltx2_in_tensor(ctx, T, in, SCA_SIGMAS, &sig)) ||
        (st = ltx2_in_object(ctx, T, in, SCA_LATENT, "LATENT", &lat)))
        return st;
    ltx2_object *model = ltx2_object_object(g, "model"), *pos = ltx2_object_object(g, "positive");
    ltx2_object *neg = ltx2_object_object(g, "negative");
    if (!model || !pos)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "guider", "expected a CFGGuider or BasicGuider");
    if (!ltx2_object_tensor(lat, LTX2_LAT_VIDEO))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "latent_image",
                         "needs a video latent (audio-only sampling is not supported)");
    const char *method = ltx2_object_string(smp, "sampler_name");
    ltx2_tensor *sf = ltx2_tensor_to_f32(sig);
    if (!sf)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    const double sigma0 = ltx2_tensor_numel(sf) ? ltx2_tensor_cf32(sf)[0] : 0.0;
    ltx2_tensor_release(sf);
    if (!(sigma0 > 0.0 && sigma0 <= 1.0))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "sigmas", "the first sigma must be in (0, 1], got %g", sigma0);

    ltx2_object *l = ltx2_object_clone(lat);
    if (!l || ltx2_object_set_float(l, LTX2_LAT_FPS, ltx2_object_float(pos, COMFY_COND_FPS, 25.0))) {
        ltx2_object_release(l);
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    }
    const double cfg = ltx2_object_float(g, "cfg", 1.0);
    ltx2_value r[COMFY_MAX_OUT];
    comfy_arg a[] = {
        COMFY_OBJ("model", model),
        COMFY_OBJ("positive", pos),
        COMFY_OBJ("latent", l),
        COMFY_TEN("sigmas", sig),
        COMFY_INT("seed", ltx2_object_int(noise, "seed", 0)),
        COMFY_FLT("noise_scale", sigma0),
        COMFY_FLT("video_cfg", cfg),
        COMFY_FLT("audio_cfg", cfg),
        COMFY_STR("sampler", method ? method : "euler"),
        COMFY_OBJ("negative", neg),
    };
    /* The negative is read only when cfg != 1 (a BasicGuider has none). */
    st = comfy_call(inst, ctx, "LTX2Sampler", a, (neg && cfg != 1.0) ? 10 : 9, 0x1, r);
    ltx2_object_release(l);
    if (st)
        return st;
    out[0] = comfy_take(&r[0]);
    comfy_release(r, 2);
    ltx2_object_retain(out[0].u.o);
    out[1] = ltx2_value_object(out[0].u.o);
    return LTX2_OK;
}
const ltx2_node_type comfy_sampler_custom_advanced = LTX2_NODE_TYPE(
    "SamplerCustomAdvanced", "SamplerCustomAdvanced", "sampling/custom_sampling",
    LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE,
    "Denoises the latent over the sigmas with the guider, noise and sampler given.", sca_inputs, sca_outputs,
    sca_execute);
