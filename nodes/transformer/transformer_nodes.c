/* transformer_nodes.c — LTX2TransformerForward: one forward pass of the transformer on
 * given tokens (debugging and parity). Positions come as tensors or are derived from the
 * pixel sizes + fps like the sampler does. */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "stages.h"
#include "transformer.h"

enum {
    IN_MODEL,
    IN_V_LATENT, IN_V_SIGMA, IN_V_POS, IN_V_CTX,
    IN_A_LATENT, IN_A_SIGMA, IN_A_POS, IN_A_CTX,
    IN_MASK, IN_FRAMES, IN_HEIGHT, IN_WIDTH, IN_FPS,
    IN_SKIP_VSELF, IN_SKIP_ASELF, IN_SKIP_A2V, IN_SKIP_V2A,
    IN_PRECISION
};
#define OPT LTX2_PORT_OPTIONAL
static const ltx2_port fw_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, "the LTX-2 transformer"),
    LTX2_PORT("video_latent", "TENSOR", OPT, "patchified video tokens [1, Nv, C] (token (f,h,w) row-major)"),
    LTX2_PORT("video_timesteps", "TENSOR", OPT, "per-token sigma (denoise mask * sigma), Nv values or 1"),
    LTX2_PORT("video_positions", "TENSOR", OPT,
              "[1, 3, Nv, 2] (t seconds, y px, x px) x [start, end); default: from frames/height/width/fps"),
    LTX2_PORT("video_context", "TENSOR", OPT, "video text context [1, L, caption_channels]"),
    LTX2_PORT("audio_latent", "TENSOR", OPT, "patchified audio tokens [1, Na, C] (channel c*16 + mel bin)"),
    LTX2_PORT("audio_timesteps", "TENSOR", OPT, "per-token sigma, Na values or 1"),
    LTX2_PORT("audio_positions", "TENSOR", OPT, "[1, 1, Na, 2] seconds; default: the audio latent timing"),
    LTX2_PORT("audio_context", "TENSOR", OPT, "audio text context [1, L, caption_channels]"),
    LTX2_PORT("context_mask", "TENSOR", OPT, "[1, L] 1 = attend, 0 = padding (both modalities); default all"),
    LTX2_PORT_INT("frames", 121, 1, 1 << 20, 8, OPT, "pixel frames (video positions when not given)"),
    LTX2_PORT_INT("height", 512, 32, 1 << 16, 32, OPT, "pixel height (video positions when not given)"),
    LTX2_PORT_INT("width", 768, 32, 1 << 16, 32, OPT, "pixel width (video positions when not given)"),
    LTX2_PORT_FLOAT("fps", 24.0, 0.001, 1000.0, 0.001, OPT, "frame rate (video positions when not given)"),
    LTX2_PORT_STRING("skip_video_self_attn", "", OPT | LTX2_PORT_ADVANCED,
                     "STG: blocks whose video self-attention is skipped (\"29\", \"1,3\", \"-1\" = last, \"all\")"),
    LTX2_PORT_STRING("skip_audio_self_attn", "", OPT | LTX2_PORT_ADVANCED,
                     "STG: blocks whose audio self-attention is skipped"),
    LTX2_PORT_STRING("skip_a2v_cross_attn", "", OPT | LTX2_PORT_ADVANCED,
                     "modality isolation: blocks whose audio-to-video attention is skipped"),
    LTX2_PORT_STRING("skip_v2a_cross_attn", "", OPT | LTX2_PORT_ADVANCED,
                     "modality isolation: blocks whose video-to-audio attention is skipped"),
    LTX2_PORT_PRECISION,
};
static const ltx2_port fw_outputs[] = {
    LTX2_PORT("video_velocity", "TENSOR", 0, "[1, Nv, out_channels] (unconnected without video tokens)"),
    LTX2_PORT("audio_velocity", "TENSOR", 0, "[1, Na, audio_out_channels] (unconnected without audio tokens)"),
};

static const ltx2_node_type transformer_forward;

/* Everything one modality needs, as contiguous f32 copies (released by side_free). */
typedef struct side {
    ltx2_tensor *lat, *sig, *pos, *ctx, *out;
    float *own_pos, *own_sig;
    int64_t n, n_ctx;
} side;

static void side_free(side *s)
{
    ltx2_tensor_release(s->lat), ltx2_tensor_release(s->sig), ltx2_tensor_release(s->pos);
    ltx2_tensor_release(s->ctx), ltx2_tensor_release(s->out);
    free(s->own_pos), free(s->own_sig);
    memset(s, 0, sizeof *s);
}

static ltx2_status get_f32(ltx2_exec_ctx *ctx, const ltx2_value *in, uint32_t idx, ltx2_tensor **out)
{
    ltx2_tensor *t = NULL;
    *out = NULL;
    ltx2_status st = ltx2_in_tensor(ctx, &transformer_forward, in, idx, &t);
    if (st != LTX2_OK || !t)
        return st;
    if (!(*out = ltx2_tensor_as_f32(t)))
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    return LTX2_OK;
}

/* Reads one modality; n = 0 when its latent is not connected. */
static ltx2_status read_side(ltx2_exec_ctx *ctx, const ltx2_value *in, const ltx2_dit *m, bool audio,
                             side *s)
{
    const ltx2_dit_config *c = &m->cfg;
    const uint32_t base = audio ? IN_A_LATENT : IN_V_LATENT;
    const char *names[4] = {fw_inputs[base].name, fw_inputs[base + 1].name, fw_inputs[base + 2].name,
                            fw_inputs[base + 3].name};
    ltx2_status st;
    if ((st = get_f32(ctx, in, base, &s->lat)) != LTX2_OK || !s->lat)
        return st;
    const int cin = audio ? c->a_in : c->v_in;
    if (audio ? !c->has_audio : !c->has_video)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[0], "the model has no %s stream",
                         audio ? "audio" : "video");
    if (s->lat->shape[s->lat->ndim - 1] != cin)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[0], "expected %d channels per token, got %lld", cin,
                         (long long)s->lat->shape[s->lat->ndim - 1]);
    s->n = ltx2_tensor_numel(s->lat) / cin;
    if ((st = get_f32(ctx, in, base + 1, &s->sig)) != LTX2_OK)
        return st;
    if (!s->sig)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[1], "required with %s", names[0]);
    const int64_t ns = ltx2_tensor_numel(s->sig);
    if (ns != s->n && ns != 1)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[1], "%lld values for %lld tokens", (long long)ns,
                         (long long)s->n);
    if (ns == 1) {
        if (!(s->own_sig = malloc((size_t)s->n * sizeof(float))))
            return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        for (int64_t i = 0; i < s->n; i++)
            s->own_sig[i] = ltx2_tensor_f32(s->sig)[0];
    }
    if ((st = get_f32(ctx, in, base + 2, &s->pos)) != LTX2_OK)
        return st;
    const int axes = audio ? 1 : 3;
    if (s->pos) {
        if (ltx2_tensor_numel(s->pos) != axes * s->n * 2)
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[2], "expected [1, %d, %lld, 2]", axes,
                             (long long)s->n);
    } else if (audio) {
        if (!(s->own_pos = malloc((size_t)(2 * s->n) * sizeof(float))))
            return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        ltx2_dit_audio_positions(&c->geom, s->n, s->own_pos);
    } else {
        /* pixel sizes -> latent grid with the compression of the model's VAE */
        const int64_t frames = ltx2_in_int(in, IN_FRAMES), h = ltx2_in_int(in, IN_HEIGHT) / c->geom.scale_s;
        const int64_t w = ltx2_in_int(in, IN_WIDTH) / c->geom.scale_s, f = (frames - 1) / c->geom.scale_t + 1;
        const double fps = ltx2_in_float(in, IN_FPS);
        if (f * h * w != s->n || !(fps > 0))
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[2],
                             "not given, and frames/height/width (%lld x %lld x %lld latent) do not match %lld "
                             "video tokens",
                             (long long)f, (long long)h, (long long)w, (long long)s->n);
        if (!(s->own_pos = malloc((size_t)(6 * s->n) * sizeof(float))))
            return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        ltx2_dit_video_positions(&c->geom, f, h, w, fps, true, s->own_pos);
    }
    if ((st = get_f32(ctx, in, base + 3, &s->ctx)) != LTX2_OK)
        return st;
    if (!s->ctx)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[3], "required with %s", names[0]);
    if (s->ctx->shape[s->ctx->ndim - 1] != c->caption_channels)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, names[3], "expected %d channels, got %lld",
                         c->caption_channels, (long long)s->ctx->shape[s->ctx->ndim - 1]);
    s->n_ctx = ltx2_tensor_numel(s->ctx) / c->caption_channels;
    /* output shaped like the latent with the output width */
    int64_t shape[LTX2_MAX_DIMS];
    memcpy(shape, s->lat->shape, sizeof shape);
    shape[s->lat->ndim - 1] = audio ? c->a_out : c->v_out;
    if (!(s->out = ltx2_tensor_new(LTX2_F32, s->lat->ndim, shape)))
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    return LTX2_OK;
}

/* n floats of host memory in kc's memory: *dst = src on the CPU, else a copy in *owned
 * (free with k_free on kc). */
static kstatus to_backend(const kctx *kc, const float *src, int64_t n, const float **dst, float **owned)
{
    *dst = src;
    if (kc->backend == KB_CPU || !src)
        return KS_OK;
    kstatus ks = k_alloc(kc, (size_t)(n > 0 ? n : 1) * sizeof(float), (void **)owned);
    K_THEN(ks, k_copy(kc, *owned, src, (size_t)n * sizeof(float), K_H2D));
    if (ks == KS_OK)
        *dst = *owned;
    return ks;
}

/* A stream's inputs moved into kc's memory and its velocity given device memory
 * (owned[0..5]); the node's tensors stay host tensors. */
static kstatus stream_on(const kctx *kc, ltx2_dit_stream *st, const side *d, int axes, float *owned[6])
{
    if (!st->n || kc->backend == KB_CPU)
        return KS_OK;
    kstatus ks = to_backend(kc, st->latent, ltx2_tensor_numel(d->lat), &st->latent, &owned[0]);
    K_THEN(ks, to_backend(kc, st->sigma, st->n, &st->sigma, &owned[1]));
    K_THEN(ks, to_backend(kc, st->positions, (int64_t)axes * st->n * 2, &st->positions, &owned[2]));
    K_THEN(ks, to_backend(kc, st->context, ltx2_tensor_numel(d->ctx), &st->context, &owned[3]));
    K_THEN(ks, to_backend(kc, st->context_mask, st->n_ctx, &st->context_mask, &owned[4]));
    K_THEN(ks, k_alloc(kc, (size_t)ltx2_tensor_numel(d->out) * sizeof(float), (void **)&owned[5]));
    if (ks == KS_OK)
        st->velocity = owned[5];
    return ks;
}

static int tick(void *arg, int block, int n_blocks)
{
    return ltx2_progress(arg, block, n_blocks, "transformer") != LTX2_OK;
}

static ltx2_status fw_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_object *mo = NULL;
    ltx2_status st = ltx2_in_object(ctx, &transformer_forward, in, IN_MODEL, "MODEL", &mo);
    if (st != LTX2_OK)
        return st;
    const ltx2_dit *m = ltx2_dit_of(mo);
    if (!m)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "model", "not an LTX-2 transformer");
    side v = {0}, a = {0};
    ltx2_tensor *mask = NULL;
    int *idx = NULL;
    kctx kc = kctx_default(NULL);
    float *owned[12] = {NULL}; /* device copies of the streams (CUDA context) */
    if ((st = read_side(ctx, in, m, false, &v)) != LTX2_OK || (st = read_side(ctx, in, m, true, &a)) != LTX2_OK ||
        (st = get_f32(ctx, in, IN_MASK, &mask)) != LTX2_OK)
        goto done;
    if (!v.n && !a.n) {
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video_latent", "neither video nor audio tokens given");
        goto done;
    }
    if (mask && ((v.n && ltx2_tensor_numel(mask) != v.n_ctx) || (a.n && ltx2_tensor_numel(mask) != a.n_ctx))) {
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "context_mask", "%lld values, the context has %lld tokens",
                       (long long)ltx2_tensor_numel(mask), (long long)(v.n ? v.n_ctx : a.n_ctx));
        goto done;
    }
    const int L = m->cfg.num_layers;
    ltx2_dit_perturb pt;
    ltx2_dit_blocks *lists[4] = {&pt.skip_video_self, &pt.skip_audio_self, &pt.skip_a2v, &pt.skip_v2a};
    if (!(idx = malloc((size_t)(4 * L) * sizeof(int)))) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        goto done;
    }
    for (int i = 0; i < 4; i++) {
        ltx2_error err = {0};
        if (ltx2_dit_blocks_parse(ltx2_in_string(in, IN_SKIP_VSELF + i), L, idx + i * L, L, lists[i], &err) !=
            LTX2_OK) {
            st = ltx2_fail_err(ctx, fw_inputs[IN_SKIP_VSELF + i].name, &err);
            goto done;
        }
    }
    const float *mk = mask ? ltx2_tensor_cf32(mask) : NULL;
    ltx2_dit_stream vs = {v.n, v.n ? ltx2_tensor_cf32(v.lat) : NULL,
                          v.own_sig ? v.own_sig : v.sig ? ltx2_tensor_cf32(v.sig) : NULL,
                          v.own_pos ? v.own_pos : v.pos ? ltx2_tensor_cf32(v.pos) : NULL,
                          v.ctx ? ltx2_tensor_cf32(v.ctx) : NULL, v.n_ctx, mk,
                          v.out ? ltx2_tensor_f32(v.out) : NULL};
    ltx2_dit_stream as = {a.n, a.n ? ltx2_tensor_cf32(a.lat) : NULL,
                          a.own_sig ? a.own_sig : a.sig ? ltx2_tensor_cf32(a.sig) : NULL,
                          a.own_pos ? a.own_pos : a.pos ? ltx2_tensor_cf32(a.pos) : NULL,
                          a.ctx ? ltx2_tensor_cf32(a.ctx) : NULL, a.n_ctx, mk,
                          a.out ? ltx2_tensor_f32(a.out) : NULL};
    kc = ltx2_node_kctx(instance, ctx, ltx2_in_fast(in, IN_PRECISION));
    ltx2_dit_hooks hooks = {tick, NULL, ctx};
    ltx2_error err = {0};
    kstatus ks = stream_on(&kc, &vs, &v, 3, owned);
    K_THEN(ks, stream_on(&kc, &as, &a, 1, owned + 6));
    if (ks != KS_OK) {
        st = ltx2_fail_k(ctx, NULL, ks, "transformer inputs to the device");
        goto done;
    }
    st = ltx2_dit_forward(m, &kc, v.n ? &vs : NULL, a.n ? &as : NULL, &pt, &hooks, &err);
    /* the velocities back into the host output tensors */
    if (st == LTX2_OK && v.n && vs.velocity != ltx2_tensor_f32(v.out))
        ks = k_copy(&kc, ltx2_tensor_f32(v.out), vs.velocity, (size_t)ltx2_tensor_numel(v.out) * sizeof(float),
                    K_D2H);
    if (st == LTX2_OK && a.n && as.velocity != ltx2_tensor_f32(a.out))
        K_THEN(ks, k_copy(&kc, ltx2_tensor_f32(a.out), as.velocity, (size_t)ltx2_tensor_numel(a.out) * sizeof(float),
                          K_D2H));
    if (st == LTX2_OK && ks != KS_OK)
        st = ltx2_kerr(&err, ks, "transformer outputs to the host");
    if (st == LTX2_CANCELLED)
        goto done;
    if (st != LTX2_OK) {
        st = ltx2_fail_err(ctx, NULL, &err);
        goto done;
    }
    if (v.n) {
        out[0] = ltx2_value_tensor(v.out);
        v.out = NULL;
    }
    if (a.n) {
        out[1] = ltx2_value_tensor(a.out);
        a.out = NULL;
    }
    st = ltx2_progress(ctx, L, L, "transformer");
done:
    for (int i = 0; i < 12; i++)
        k_free(&kc, owned[i]);
    free(idx);
    ltx2_tensor_release(mask);
    side_free(&v);
    side_free(&a);
    return st;
}

static const ltx2_node_type transformer_forward = LTX2_NODE_TYPE(
    "LTX2TransformerForward", "LTX-2 Transformer Forward (debug)", "ltx2/advanced",
    LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE | LTX2_NODE_CUDA,
    "Runs the LTX-2 transformer once on patchified video and/or audio tokens with per-token "
    "timesteps and text contexts, optionally with STG / modality-isolation perturbations, and "
    "returns the predicted velocities. For debugging and parity checks.",
    fw_inputs, fw_outputs, fw_execute);

const ltx2_node_type *const *ltx2_nodes_transformer(size_t *count)
{
    static const ltx2_node_type *const list[] = {&transformer_forward};
    *count = LTX2_COUNT(list);
    return list;
}
