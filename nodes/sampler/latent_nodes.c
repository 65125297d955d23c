/* latent_nodes.c — LATENT and CONDITIONING construction: LTX2EmptyLatent and the
 * adapters between TENSORs and LATENT / CONDITIONING objects. */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "sampler/latent.h"
#include "sampler/sampler_types.h"
#include "transformer/transformer.h"

static ltx2_status set_zeros(ltx2_object *o, const char *key, int ndim, const int64_t *shape)
{
    ltx2_tensor *t = ltx2_tensor_zeros(LTX2_F32, ndim, shape);
    if (!t)
        return LTX2_ERR_OOM;
    ltx2_status st = ltx2_object_set_tensor(o, key, t);
    ltx2_tensor_release(t);
    return st;
}

/* ---------------------------------------------------------------- LTX2EmptyLatent */
enum { EL_WIDTH, EL_HEIGHT, EL_FRAMES, EL_FPS, EL_AUDIO, EL_MODEL };
static const ltx2_port el_inputs[] = {
    LTX2_PORT_INT("width", 768, 32, 16384, 32, 0, "pixels; snapped down to a multiple of 32"),
    LTX2_PORT_INT("height", 512, 32, 16384, 32, 0, "pixels; snapped down to a multiple of 32"),
    LTX2_PORT_INT("frames", 121, 1, 100000, 8, 0, "pixel frames; snapped down to 8k+1"),
    LTX2_PORT_FLOAT("fps", 24.0, 0.01, 1000.0, 0.01, 0, "frame rate (also sets the audio length)"),
    LTX2_PORT_BOOL("audio", true, 0, "add an audio latent of the same duration"),
    LTX2_PORT("model", "MODEL", LTX2_PORT_OPTIONAL,
              "the transformer the latent is for (its latent channels and its VAEs' compression); "
              "unconnected: 128 video channels, 8 x 16 audio channels and the 8 x 32 x 32 VAE grid "
              "of the released model"),
};
static const ltx2_port el_outputs[] = {
    LTX2_PORT("LATENT", "LATENT", 0, "zero video latent [1, C, F, H/32, W/32] (+ audio [1, Ca, T, 16])"),
};

static ltx2_status el_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    ltx2_object *model = NULL;
    ltx2_status st = ltx2_in_object(ctx, &ltx2_type_empty_latent, in, EL_MODEL, "MODEL", &model);
    if (st)
        return st;
    int64_t vc = 128, ac = 128;
    bool has_audio_stream = true;
    /* Without a model: the LTX-2 VAEs' grid; with one: its checkpoint's VAEs'. */
    ltx2_latent_geom g = LTX2_LATENT_GEOM_DEFAULT;
    if (model) {
        const ltx2_dit *m = ltx2_dit_of(model);
        if (!m)
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "model", "not an LTX-2 transformer");
        vc = m->cfg.v_in;
        ac = m->cfg.a_in;
        has_audio_stream = m->cfg.has_audio;
        g = m->cfg.geom;
    }
    const int64_t w0 = ltx2_in_int(in, EL_WIDTH), h0 = ltx2_in_int(in, EL_HEIGHT);
    const int64_t f0 = ltx2_in_int(in, EL_FRAMES);
    const double fps = ltx2_in_float(in, EL_FPS);
    if (w0 < g.scale_s || h0 < g.scale_s)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, w0 < g.scale_s ? "width" : "height",
                         "must be at least %d pixels", g.scale_s);
    if (f0 < 1)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "frames", "must be at least 1");
    if (!(fps > 0.0))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "fps", "must be > 0");
    const int64_t w = w0 / g.scale_s * g.scale_s, h = h0 / g.scale_s * g.scale_s;
    const int64_t f = (f0 - 1) / g.scale_t * g.scale_t + 1;
    if (w != w0 || h != h0)
        ltx2_logf(ctx, LTX2_LOG_WARN, "size %lldx%lld snapped to %lldx%lld (multiples of %d)",
                  (long long)w0, (long long)h0, (long long)w, (long long)h, g.scale_s);
    if (f != f0)
        ltx2_logf(ctx, LTX2_LOG_WARN, "%lld frames snapped to %lld (%dk+1)", (long long)f0, (long long)f,
                  g.scale_t);
    const bool audio = ltx2_in_bool(in, EL_AUDIO) && has_audio_stream;
    if (audio && ac % LTX2_AUDIO_LATENT_MEL)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "model", "audio channels %lld are not a multiple of %d",
                         (long long)ac, LTX2_AUDIO_LATENT_MEL);
    ltx2_object *o = ltx2_object_new("LATENT");
    if (!o)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    st = set_zeros(o, LTX2_LAT_VIDEO, 5,
                   (const int64_t[]){1, vc, (f - 1) / g.scale_t + 1, h / g.scale_s, w / g.scale_s});
    if (!st && audio) {
        const int64_t t = ltx2_audio_latent_frames(f, fps, &g);
        if (t < 1)
            st = LTX2_ERR_BAD_INPUT;
        else
            st = set_zeros(o, LTX2_LAT_AUDIO, 4,
                           (const int64_t[]){1, ac / LTX2_AUDIO_LATENT_MEL, t, LTX2_AUDIO_LATENT_MEL});
    }
    if (!st)
        st = ltx2_object_set_float(o, LTX2_LAT_FPS, fps);
    if (!st)
        st = ltx2_latent_geom_record(o, &g);
    if (st) {
        ltx2_object_release(o);
        return ltx2_fail(ctx, st, st == LTX2_ERR_BAD_INPUT ? "frames" : NULL,
                         st == LTX2_ERR_BAD_INPUT ? "clip too short for one audio latent frame" : "out of memory");
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

const ltx2_node_type ltx2_type_empty_latent = LTX2_NODE_TYPE(
    "LTX2EmptyLatent", "LTX-2 Empty Latent", "ltx2/latent", 0,
    "A zero video + audio latent for a clip of width x height x frames at fps. Sizes are snapped "
    "down to multiples of 32 and frames to 8k+1 (with a warning); the audio latent has "
    "round(frames / fps * 25) frames. With a model, its checkpoint's VAE geometry gives "
    "these factors instead.",
    el_inputs, el_outputs, el_execute);

/* ---------------------------------------------------------------- LTX2LatentFromTensors */
enum { LF_VIDEO, LF_AUDIO, LF_FPS, LF_BASE };
static const ltx2_port lf_inputs[] = {
    LTX2_PORT("video", "TENSOR", LTX2_PORT_OPTIONAL, "video latent [1, C, F, H, W]"),
    LTX2_PORT("audio", "TENSOR", LTX2_PORT_OPTIONAL, "audio latent [1, C, T, M]"),
    LTX2_PORT_FLOAT("frame_rate", 24.0, 0.01, 1000.0, 0.01, 0, "frames per second"),
    LTX2_PORT("base", "LATENT", LTX2_PORT_OPTIONAL,
              "start from this latent (e.g. keep its audio) and replace what is connected"),
};
static const ltx2_port lf_outputs[] = {LTX2_PORT("LATENT", "LATENT", 0, NULL)};

static ltx2_status lf_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    ltx2_tensor *v = NULL, *a = NULL;
    ltx2_object *base = NULL;
    ltx2_status st;
    if ((st = ltx2_in_tensor(ctx, &ltx2_type_latent_from_tensors, in, LF_VIDEO, &v)) ||
        (st = ltx2_in_tensor(ctx, &ltx2_type_latent_from_tensors, in, LF_AUDIO, &a)) ||
        (st = ltx2_in_object(ctx, &ltx2_type_latent_from_tensors, in, LF_BASE, "LATENT", &base)))
        return st;
    if (!v && !base)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video", "connect a video latent or a base LATENT");
    if (v && (v->ndim != 5 || v->shape[0] != 1))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video", "expected [1, C, F, H, W]");
    if (a && (a->ndim != 4 || a->shape[0] != 1))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio", "expected [1, C, T, M]");
    ltx2_object *o = base ? ltx2_object_clone(base) : ltx2_object_new("LATENT");
    ltx2_tensor *vf = v ? ltx2_tensor_to_f32(v) : NULL, *af = a ? ltx2_tensor_to_f32(a) : NULL;
    st = (!o || (v && !vf) || (a && !af)) ? LTX2_ERR_OOM : LTX2_OK;
    if (!st && vf) {
        const ltx2_tensor *old = ltx2_object_tensor(o, LTX2_LAT_VIDEO);
        if (old && !ltx2_tensor_same_shape(old, vf)) { /* a new grid: old conditioning no longer fits */
            ltx2_object_remove(o, LTX2_LAT_VIDEO_MASK);
            ltx2_object_remove(o, LTX2_LAT_COND_TOKENS);
            ltx2_object_remove(o, LTX2_LAT_COND_MASK);
            ltx2_object_remove(o, LTX2_LAT_COND_POS);
        }
        st = ltx2_object_set_tensor(o, LTX2_LAT_VIDEO, vf);
    }
    if (!st && af) {
        const ltx2_tensor *old = ltx2_object_tensor(o, LTX2_LAT_AUDIO);
        if (old && !ltx2_tensor_same_shape(old, af))
            ltx2_object_remove(o, LTX2_LAT_AUDIO_MASK);
        st = ltx2_object_set_tensor(o, LTX2_LAT_AUDIO, af);
    }
    if (!st)
        st = ltx2_object_set_float(o, LTX2_LAT_FPS, ltx2_in_float(in, LF_FPS));
    ltx2_tensor_release(vf);
    ltx2_tensor_release(af);
    if (st) {
        ltx2_object_release(o);
        return ltx2_fail(ctx, st, NULL, "out of memory");
    }
    ltx2_error err = {0};
    ltx2_latent_dims d;
    if (ltx2_latent_dims_of(o, &d, &err)) {
        ltx2_object_release(o);
        return ltx2_fail_err(ctx, "video", &err);
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

const ltx2_node_type ltx2_type_latent_from_tensors = LTX2_NODE_TYPE(
    "LTX2LatentFromTensors", "LTX-2 Latent From Tensors", "ltx2/latent", 0,
    "Builds a LATENT from video / audio latent tensors (normalized space) and a frame rate.",
    lf_inputs, lf_outputs, lf_execute);

/* ---------------------------------------------------------------- LTX2LatentToTensors */
static const ltx2_port lt_inputs[] = {LTX2_PORT("latent", "LATENT", 0, NULL)};
static const ltx2_port lt_outputs[] = {
    LTX2_PORT("video", "TENSOR", 0, "video latent [1, C, F, H, W]"),
    LTX2_PORT("audio", "TENSOR", 0, "audio latent [1, C, T, M] (unconnected when absent)"),
    LTX2_PORT("frame_rate", "FLOAT", 0, NULL),
};

static ltx2_status lt_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    ltx2_object *lat = NULL;
    ltx2_status st = ltx2_in_object(ctx, &ltx2_type_latent_to_tensors, in, 0, "LATENT", &lat);
    if (st)
        return st;
    ltx2_error err = {0};
    ltx2_latent_dims d;
    if (ltx2_latent_dims_of(lat, &d, &err))
        return ltx2_fail_err(ctx, "latent", &err);
    ltx2_tensor *v = ltx2_object_tensor(lat, LTX2_LAT_VIDEO), *a = ltx2_object_tensor(lat, LTX2_LAT_AUDIO);
    ltx2_tensor_retain(v);
    out[0] = ltx2_value_tensor(v);
    if (a) {
        ltx2_tensor_retain(a);
        out[1] = ltx2_value_tensor(a);
    }
    out[2] = (ltx2_value){.kind = LTX2_V_FLOAT, .u = {.f = d.fps}};
    return LTX2_OK;
}

const ltx2_node_type ltx2_type_latent_to_tensors = LTX2_NODE_TYPE(
    "LTX2LatentToTensors", "LTX-2 Latent To Tensors", "ltx2/latent", 0,
    "The video and audio latent tensors of a LATENT.", lt_inputs, lt_outputs, lt_execute);

/* ---------------------------------------------------------------- LTX2ConditioningFromTensors */
enum { CF_VIDEO, CF_AUDIO, CF_MASK };
static const ltx2_port cf_inputs[] = {
    LTX2_PORT("video_context", "TENSOR", 0, "video text context [1, L, D] (after the connectors)"),
    LTX2_PORT("audio_context", "TENSOR", LTX2_PORT_OPTIONAL, "audio text context [1, L, Da]"),
    LTX2_PORT("mask", "TENSOR", LTX2_PORT_OPTIONAL, "[1, L], 1 = valid token"),
};
static const ltx2_port cf_outputs[] = {LTX2_PORT("CONDITIONING", "CONDITIONING", 0, NULL)};

static ltx2_status cf_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    ltx2_tensor *t[3] = {NULL, NULL, NULL};
    static const char *const names[3] = {"video_context", "audio_context", "mask"};
    for (uint32_t i = 0; i < 3; i++) {
        ltx2_status st = ltx2_in_tensor(ctx, &ltx2_type_conditioning_from_tensors, in, i, &t[i]);
        if (st)
            return st;
    }
    for (int i = 0; i < 2; i++)
        if (t[i] && (t[i]->ndim != 3 || t[i]->shape[0] != 1))
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[i], "expected [1, L, D]");
    if (t[2] && ltx2_tensor_numel(t[2]) != t[0]->shape[1])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "mask", "expected %lld values", (long long)t[0]->shape[1]);
    ltx2_object *o = ltx2_object_new("CONDITIONING");
    ltx2_status st = o ? LTX2_OK : LTX2_ERR_OOM;
    for (int i = 0; i < 3 && !st; i++) {
        if (!t[i])
            continue;
        ltx2_tensor *f = ltx2_tensor_to_f32(t[i]);
        st = f ? ltx2_object_set_tensor(o, names[i], f) : LTX2_ERR_OOM;
        ltx2_tensor_release(f);
    }
    if (st) {
        ltx2_object_release(o);
        return ltx2_fail(ctx, st, NULL, "out of memory");
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

const ltx2_node_type ltx2_type_conditioning_from_tensors = LTX2_NODE_TYPE(
    "LTX2ConditioningFromTensors", "LTX-2 Conditioning From Tensors", "ltx2/conditioning", 0,
    "Builds a CONDITIONING from text-context tensors (as the text encoder outputs them).",
    cf_inputs, cf_outputs, cf_execute);
