/* sampling.c — ComfyUI's custom-sampling parts: RandomNoise, KSamplerSelect,
 * ManualSigmas, LTXVScheduler, CFGGuider, BasicGuider. NOISE, SAMPLER and GUIDER are
 * small objects that SamplerCustomAdvanced reads. */
#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"

static ltx2_status oom(ltx2_exec_ctx *ctx) { return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); }

/* ---------------------------------------------------------------- RandomNoise */
static const ltx2_port rn_inputs[] = {
    LTX2_PORT_INT("noise_seed", 0, 0, INT64_MAX, 1, LTX2_PORT_SEED,
                  "seed of the sampler's portable noise (docs/SAMPLER.md; not torch's stream)"),
};
static const ltx2_port rn_outputs[] = {LTX2_PORT("NOISE", "NOISE", 0, NULL)};
static ltx2_status rn_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_object *o = ltx2_object_new("NOISE");
    if (!o || ltx2_object_set_int(o, "seed", ltx2_in_int(in, 0))) {
        ltx2_object_release(o);
        return oom(ctx);
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}
const ltx2_node_type comfy_random_noise = LTX2_NODE_TYPE("RandomNoise", "RandomNoise", "sampling/custom_sampling/noise",
                                                         0, "Seeded noise for SamplerCustomAdvanced.", rn_inputs,
                                                         rn_outputs, rn_execute);

/* ---------------------------------------------------------------- KSamplerSelect */
static const char *const ks_options[] = {"euler", "res_2s", NULL};
static const ltx2_port ks_inputs[] = {
    LTX2_PORT_COMBO("sampler_name", ks_options, "euler", 0,
                    "euler, or res_2s (RES4LYF's two-stage exponential integrator)"),
};
static const ltx2_port ks_outputs[] = {LTX2_PORT("SAMPLER", "SAMPLER", 0, NULL)};
static ltx2_status ks_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_object *o = ltx2_object_new("SAMPLER");
    if (!o || ltx2_object_set_string(o, "sampler_name", ltx2_in_string(in, 0))) {
        ltx2_object_release(o);
        return oom(ctx);
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}
const ltx2_node_type comfy_ksampler_select = LTX2_NODE_TYPE(
    "KSamplerSelect", "KSamplerSelect", "sampling/custom_sampling/samplers", 0,
    "Picks the sampler of SamplerCustomAdvanced.", ks_inputs, ks_outputs, ks_execute);

/* ---------------------------------------------------------------- ManualSigmas */
static const ltx2_port ms_inputs[] = {
    LTX2_PORT_STRING("sigmas", "1, 0.5", 0, "comma-separated sigmas, descending"),
};
static const ltx2_port ms_outputs[] = {LTX2_PORT("SIGMAS", "SIGMAS", 0, NULL)};
static ltx2_status ms_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    return COMFY_CALL(inst, ctx, "LTX2ManualSigmas", 0x1, out, COMFY_STR("sigmas", ltx2_in_string(in, 0)));
}
const ltx2_node_type comfy_manual_sigmas =
    LTX2_NODE_TYPE("ManualSigmas", "ManualSigmas", "_for_testing/custom_sampling", 0, "A sigma list typed by hand.",
                   ms_inputs, ms_outputs, ms_execute);

/* ---------------------------------------------------------------- LTXVScheduler */
static const ltx2_port sc_inputs[] = {
    LTX2_PORT_INT("steps", 20, 1, 10000, 1, 0, NULL),
    LTX2_PORT_FLOAT("max_shift", 2.05, 0.0, 100.0, 0.01, 0, NULL),
    LTX2_PORT_FLOAT("base_shift", 0.95, 0.0, 100.0, 0.01, 0, NULL),
    LTX2_PORT_BOOL("stretch", true, LTX2_PORT_ADVANCED, "Stretch the sigmas to be in the range [terminal, 1]."),
    LTX2_PORT_FLOAT("terminal", 0.1, 0.0, 0.99, 0.01, LTX2_PORT_ADVANCED,
                    "The terminal value of the sigmas after stretching."),
    LTX2_PORT("latent", "LATENT", LTX2_PORT_OPTIONAL, "its token count sets the shift (4096 without)"),
};
static ltx2_status sc_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    comfy_arg a[6] = {COMFY_INT("steps", ltx2_in_int(in, 0)), COMFY_FLT("max_shift", ltx2_in_float(in, 1)),
                      COMFY_FLT("base_shift", ltx2_in_float(in, 2)), COMFY_BOOL("stretch", ltx2_in_bool(in, 3)),
                      COMFY_FLT("terminal", ltx2_in_float(in, 4)), COMFY_OBJ("latent", NULL)};
    const size_t n = ltx2_in_present(in, 5) ? 6 : 5;
    if (n == 6)
        a[5].v.u.o = in[5].u.o;
    return comfy_call(inst, ctx, "LTX2Scheduler", a, n, 0x1, out);
}
const ltx2_node_type comfy_ltxv_scheduler =
    LTX2_NODE_TYPE("LTXVScheduler", "LTXVScheduler", "sampling/custom_sampling/schedulers", 0,
                   "LTX-2's shifted and stretched sigma schedule.", sc_inputs, ms_outputs, sc_execute);

/* ---------------------------------------------------------------- CFGGuider, BasicGuider */
static ltx2_status guider(ltx2_exec_ctx *ctx, const ltx2_value *model, const ltx2_value *pos, const ltx2_value *neg,
                          double cfg, ltx2_value *out)
{
    ltx2_object *o = ltx2_object_new("GUIDER");
    if (!o || ltx2_object_set_value(o, "model", model) || ltx2_object_set_value(o, "positive", pos) ||
        (neg && ltx2_object_set_value(o, "negative", neg)) || ltx2_object_set_float(o, "cfg", cfg)) {
        ltx2_object_release(o);
        return oom(ctx);
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

static const ltx2_port cfg_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, NULL),
    LTX2_PORT("positive", "CONDITIONING", 0, NULL),
    LTX2_PORT("negative", "CONDITIONING", 0, NULL),
    LTX2_PORT_FLOAT("cfg", 8.0, 0.0, 100.0, 0.1, 0, "guidance scale on video and audio (1 = one pass)"),
};
static const ltx2_port guider_outputs[] = {LTX2_PORT("GUIDER", "GUIDER", 0, NULL)};
static ltx2_status cfg_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    return guider(ctx, &in[0], &in[1], &in[2], ltx2_in_float(in, 3), out);
}
const ltx2_node_type comfy_cfg_guider =
    LTX2_NODE_TYPE("CFGGuider", "CFGGuider", "sampling/custom_sampling/guiders", 0,
                   "Classifier-free guidance with one scale for both modalities.", cfg_inputs, guider_outputs,
                   cfg_execute);

static const ltx2_port bg_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, NULL),
    LTX2_PORT("conditioning", "CONDITIONING", 0, NULL),
};
static ltx2_status bg_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    return guider(ctx, &in[0], &in[1], NULL, 1.0, out);
}
const ltx2_node_type comfy_basic_guider =
    LTX2_NODE_TYPE("BasicGuider", "BasicGuider", "sampling/custom_sampling/guiders", 0,
                   "One conditional pass per step, no guidance.", bg_inputs, guider_outputs, bg_execute);
