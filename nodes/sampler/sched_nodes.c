/* sched_nodes.c — LTX2Scheduler, LTX2DistilledSigmas, LTX2ManualSigmas → SIGMAS. */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "sampler/latent.h"
#include "sampler/sampler_types.h"
#include "sampler/schedules.h"

static ltx2_status sigmas_out(ltx2_exec_ctx *ctx, const float *v, int n, ltx2_value *out)
{
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, 1, (const int64_t[]){n});
    if (!t)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    for (int i = 0; i < n; i++)
        ltx2_tensor_f32(t)[i] = v[i];
    out[0] = ltx2_value_tensor(t);
    return LTX2_OK;
}

static const ltx2_port sigmas_outputs[] = {
    LTX2_PORT("SIGMAS", "SIGMAS", 0, "noise levels, descending, last 0"),
};

/* ---------------------------------------------------------------- LTX2Scheduler */
enum { SC_STEPS, SC_MAX_SHIFT, SC_BASE_SHIFT, SC_STRETCH, SC_TERMINAL, SC_LATENT };
static const ltx2_port sc_inputs[] = {
    LTX2_PORT_INT("steps", 40, 1, 10000, 1, 0, "denoising steps (the dev pipelines use 40)"),
    LTX2_PORT_FLOAT("max_shift", 2.05, 0.0, 100.0, 0.01, 0, "shift at 4096 tokens"),
    LTX2_PORT_FLOAT("base_shift", 0.95, 0.0, 100.0, 0.01, 0, "shift at 1024 tokens"),
    LTX2_PORT_BOOL("stretch", true, 0, "stretch so the last non-zero sigma equals terminal"),
    LTX2_PORT_FLOAT("terminal", 0.1, 0.0, 0.99, 0.01, 0, "last non-zero sigma after stretching"),
    LTX2_PORT("latent", "LATENT", LTX2_PORT_OPTIONAL,
              "shift from this latent's video token count; unconnected: 4096 tokens (shift 2.05, "
              "what the official pipelines use)"),
};

static ltx2_status sc_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    ltx2_object *lat = NULL;
    ltx2_status st = ltx2_in_object(ctx, &ltx2_type_scheduler, in, SC_LATENT, "LATENT", &lat);
    if (st)
        return st;
    int64_t tokens = 0;
    ltx2_error err = {0};
    if (lat) {
        ltx2_latent_dims d;
        if (ltx2_latent_dims_of(lat, &d, &err))
            return ltx2_fail_err(ctx, "latent", &err);
        tokens = d.f * d.h * d.w;
    }
    const int64_t steps = ltx2_in_int(in, SC_STEPS);
    if (steps < 1 || steps > 10000)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "steps", "must be in [1, 10000] (got %lld)", (long long)steps);
    float *s = malloc((size_t)(steps + 1) * sizeof(float));
    if (!s)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    st = ltx2_sched_ltx2((int)steps, tokens, ltx2_in_float(in, SC_MAX_SHIFT), ltx2_in_float(in, SC_BASE_SHIFT),
                         ltx2_in_bool(in, SC_STRETCH), ltx2_in_float(in, SC_TERMINAL), s, &err);
    if (st)
        st = ltx2_fail_err(ctx, "steps", &err);
    else
        st = sigmas_out(ctx, s, (int)steps + 1, out);
    free(s);
    return st;
}

const ltx2_node_type ltx2_type_scheduler = LTX2_NODE_TYPE(
    "LTX2Scheduler", "LTX-2 Scheduler", "ltx2/sampling", 0,
    "The LTX-2 sigma schedule: linear steps shifted by the token count (shift = 0.95 at 1024 "
    "tokens to 2.05 at 4096), optionally stretched to a terminal value. Bit-exact with the "
    "reference in float32.",
    sc_inputs, sigmas_outputs, sc_execute);

/* ---------------------------------------------------------------- LTX2DistilledSigmas */
static const char *const stage_options[] = {"stage 1", "stage 2", NULL};
static const ltx2_port ds_inputs[] = {
    LTX2_PORT_COMBO("stage", stage_options, "stage 1", 0,
                    "stage 1: 8 steps from 1.0; stage 2: the 3 refinement steps from 0.909375 "
                    "(re-noise the stage-2 input with noise_scale 0.909375)"),
};

static ltx2_status ds_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    const char *stage = ltx2_in_string(in, 0);
    int n;
    const float *s = ltx2_sched_distilled(strcmp(stage, "stage 2") == 0 ? 2 : 1, &n);
    if (strcmp(stage, "stage 1") && strcmp(stage, "stage 2"))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "stage", "unknown stage '%s'", stage);
    return sigmas_out(ctx, s, n, out);
}

const ltx2_node_type ltx2_type_distilled_sigmas = LTX2_NODE_TYPE(
    "LTX2DistilledSigmas", "LTX-2 Distilled Sigmas", "ltx2/sampling", 0,
    "The fixed sigma lists of the distilled model (stage 1 and stage 2 of the two-stage pipeline).",
    ds_inputs, sigmas_outputs, ds_execute);

/* ---------------------------------------------------------------- LTX2ManualSigmas */
static const ltx2_port ms_inputs[] = {
    LTX2_PORT_STRING("sigmas", "1.0, 0.725, 0.421875, 0.0", 0,
                     "comma-separated sigmas in [0, 1], non-increasing, usually ending with 0"),
};

static ltx2_status ms_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    float s[1024];
    int n = 0;
    ltx2_error err = {0};
    if (ltx2_sched_parse(ltx2_in_string(in, 0), s, 1024, &n, &err))
        return ltx2_fail_err(ctx, "sigmas", &err);
    return sigmas_out(ctx, s, n, out);
}

const ltx2_node_type ltx2_type_manual_sigmas = LTX2_NODE_TYPE(
    "LTX2ManualSigmas", "LTX-2 Manual Sigmas", "ltx2/sampling", 0,
    "Sigmas typed as a comma-separated list.", ms_inputs, sigmas_outputs, ms_execute);
