/* sampler_node.c — LTX2Sampler: noise, the Euler loop with guidance, and the outputs
 * (denoised LATENT + a TENSORS trace of the token sequences). */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "sampler/denoise.h"
#include "sampler/latent.h"
#include "sampler/rng.h"
#include "sampler/sampler_types.h"

enum {
    SM_MODEL, SM_POSITIVE, SM_NEGATIVE, SM_LATENT, SM_SIGMAS, SM_SEED, SM_NOISE_SCALE,
    SM_V_CFG, SM_V_STG, SM_V_STG_BLOCKS, SM_V_MOD, SM_V_RESCALE,
    SM_A_CFG, SM_A_STG, SM_A_STG_BLOCKS, SM_A_MOD, SM_A_RESCALE,
    SM_NOISE_VIDEO, SM_NOISE_AUDIO, SM_PRECISION, SM_METHOD
};
static const char *const sm_methods[] = {"euler", "res_2s", NULL};
static const ltx2_port sm_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, "the LTX-2 transformer"),
    LTX2_PORT("positive", "CONDITIONING", 0, "prompt contexts"),
    LTX2_PORT("negative", "CONDITIONING", LTX2_PORT_OPTIONAL, "negative prompt contexts (needed when cfg != 1)"),
    LTX2_PORT("latent", "LATENT", 0, "initial latent with its conditioning (empty latent: text to video)"),
    LTX2_PORT("sigmas", "SIGMAS,TENSOR", 0, "the schedule, descending"),
    LTX2_PORT_INT("seed", 10, 0, INT64_MAX, 1, LTX2_PORT_SEED, "noise seed (portable Philox stream, see docs/SAMPLER.md)"),
    LTX2_PORT_FLOAT("noise_scale", 1.0, 0.0, 1.0, 0.001, 0,
                    "how much noise replaces the latent: 1 for generation from scratch, the first "
                    "sigma (0.909375) to re-noise a stage-2 input"),
    LTX2_PORT_FLOAT("video_cfg", 1.0, 0.0, 100.0, 0.1, 0, "video CFG scale (1 = off; dev default 3)"),
    LTX2_PORT_FLOAT("video_stg", 0.0, 0.0, 100.0, 0.1, 0, "video STG scale (0 = off; dev default 1)"),
    LTX2_PORT_STRING("video_stg_blocks", "29", 0, "blocks whose video self-attention STG skips, e.g. \"29\""),
    LTX2_PORT_FLOAT("video_modality", 1.0, 0.0, 100.0, 0.1, 0, "video modality-isolation scale (1 = off; dev default 3)"),
    LTX2_PORT_FLOAT("video_rescale", 0.0, 0.0, 1.0, 0.01, 0, "video guidance rescale (0 = off; dev default 0.7)"),
    LTX2_PORT_FLOAT("audio_cfg", 1.0, 0.0, 100.0, 0.1, 0, "audio CFG scale (1 = off; dev default 7)"),
    LTX2_PORT_FLOAT("audio_stg", 0.0, 0.0, 100.0, 0.1, 0, "audio STG scale (0 = off; dev default 1)"),
    LTX2_PORT_STRING("audio_stg_blocks", "29", 0, "blocks whose audio self-attention STG skips"),
    LTX2_PORT_FLOAT("audio_modality", 1.0, 0.0, 100.0, 0.1, 0, "audio modality-isolation scale (1 = off; dev default 3)"),
    LTX2_PORT_FLOAT("audio_rescale", 0.0, 0.0, 1.0, 0.01, 0, "audio guidance rescale (0 = off; dev default 0.7)"),
    LTX2_PORT("noise_video", "TENSOR", LTX2_PORT_OPTIONAL | LTX2_PORT_ADVANCED,
              "video noise [1, tokens, C] (token layout, conditioning tokens included) instead of the seed"),
    LTX2_PORT("noise_audio", "TENSOR", LTX2_PORT_OPTIONAL | LTX2_PORT_ADVANCED,
              "audio noise [1, T, C*M] instead of the seed"),
    LTX2_PORT_PRECISION,
    LTX2_PORT_COMBO("sampler", sm_methods, "euler", LTX2_PORT_OPTIONAL | LTX2_PORT_ADVANCED,
                    "step rule: euler (the reference), or res_2s (two evaluations per step, as RES4LYF's "
                    "res_2s in ComfyUI)"),
};
static const ltx2_port sm_outputs[] = {
    LTX2_PORT("LATENT", "LATENT", 0, "the denoised latent (conditioning tokens dropped)"),
    LTX2_PORT("trace", "TENSORS", 0,
              "token sequences: video/audio_tokens_initial, _after_step1, _final, video/audio_positions, "
              "video/audio_denoise_mask"),
};

/* The run's buffers: the token arrays, contexts and noise live in kc's memory (the
 * device on a CUDA context); sigmas on the host. */
typedef struct sm_run {
    kctx kc;
    ltx2_seq v, a;
    ltx2_tensor *ctx[4]; /* positive video/audio, negative video/audio (F32, on kc's backend) */
    float *noise_v, *noise_a, *init_v, *init_a, *step1_v, *step1_a;
    float *sigmas;
} sm_run;

static void sm_free(sm_run *r)
{
    ltx2_seq_free(&r->v);
    ltx2_seq_free(&r->a);
    for (int i = 0; i < 4; i++)
        ltx2_tensor_release(r->ctx[i]);
    float *bufs[6] = {r->noise_v, r->noise_a, r->init_v, r->init_a, r->step1_v, r->step1_a};
    for (int i = 0; i < 6; i++)
        k_free(&r->kc, bufs[i]);
    free(r->sigmas);
}

/* F32 copy of a CONDITIONING context checked against the model's caption width, on kc's
 * backend. */
static ltx2_status ctx_in(ltx2_exec_ctx *ctx, const kctx *kc, const ltx2_object *cond, const char *key,
                          const char *port, int64_t width, ltx2_tensor **out)
{
    const ltx2_tensor *t = ltx2_object_tensor(cond, key);
    if (!t)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port, "CONDITIONING has no %s", key);
    if (t->ndim != 3 || t->shape[0] != 1 || t->shape[2] != width)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port, "%s must be [1, L, %lld] for this model", key,
                         (long long)width);
    ltx2_tensor *f = ltx2_tensor_to_f32(t);
    if (!f)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    ltx2_error err = {0};
    ltx2_status st = ltx2_tensor_on(kc, f, out, &err);
    ltx2_tensor_release(f);
    return st ? ltx2_fail_err(ctx, port, &err) : LTX2_OK;
}

/* Noise for a sequence (drawn on the host): the given tensor ([.., n, ch] token layout)
 * or the seeded stream. */
static ltx2_status noise_host(ltx2_exec_ctx *ctx, const ltx2_tensor *t, const char *port, const ltx2_seq *s,
                              uint64_t seed, uint32_t stream, float **out)
{
    const int64_t n = s->n * s->ch;
    *out = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!*out)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    if (!t) {
        ltx2_rng_normal(seed, stream, 0, n, *out);
        return LTX2_OK;
    }
    char buf[96];
    if (ltx2_tensor_numel(t) != n || t->shape[t->ndim - 1] != s->ch)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, port, "%s does not fit %lld tokens x %lld channels",
                         ltx2_tensor_str(t, buf, sizeof buf), (long long)s->n, (long long)s->ch);
    ltx2_tensor *f = ltx2_tensor_to_f32(t);
    if (!f)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    memcpy(*out, ltx2_tensor_cf32(f), (size_t)n * sizeof(float));
    ltx2_tensor_release(f);
    return LTX2_OK;
}

/* The noise in kc's memory (*out freed with k_free on kc). */
static ltx2_status noise_in(ltx2_exec_ctx *ctx, const kctx *kc, const ltx2_tensor *t, const char *port,
                            const ltx2_seq *s, uint64_t seed, uint32_t stream, float **out)
{
    float *h = NULL;
    ltx2_status st = noise_host(ctx, t, port, s, seed, stream, &h);
    kstatus ks = st ? KS_OK : ltx2_host_to_backend(kc, &h, s->n * s->ch);
    if (st || ks != KS_OK) {
        free(h);
        return st ? st : ltx2_fail_k(ctx, port, ks, "noise to the device");
    }
    *out = h;
    return LTX2_OK;
}

/* The outputs are host tensors: the nodes downstream (VAE decode, savers) read host
 * memory this round; one copy back per output. */
static ltx2_status put(const kctx *kc, ltx2_object *o, const char *key, const float *data, int ndim,
                       const int64_t *shape)
{
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, ndim, shape);
    if (!t)
        return LTX2_ERR_OOM;
    kstatus ks = k_copy(kc, ltx2_tensor_f32(t), data, (size_t)ltx2_tensor_numel(t) * sizeof(float), K_D2H);
    if (ks != KS_OK) {
        ltx2_tensor_release(t);
        return ltx2_kstatus(ks);
    }
    ltx2_status st = ltx2_object_set_tensor(o, key, t);
    ltx2_tensor_release(t);
    return st;
}

static ltx2_status build_outputs(const kctx *kc, const sm_run *r, const ltx2_object *in_lat, const ltx2_latent_dims *d,
                                 bool audio,
                                 ltx2_value *out)
{
    ltx2_object *lat = ltx2_object_new("LATENT"), *tr = ltx2_object_new("TENSORS");
    /* unpatchified on kc's backend, then brought to the host (see put) */
    ltx2_tensor *vd = ltx2_tensor_new_on(kc, LTX2_F32, 5, (const int64_t[]){1, d->c, d->f, d->h, d->w});
    ltx2_tensor *ad = audio ? ltx2_tensor_new_on(kc, LTX2_F32, 4, (const int64_t[]){1, d->ca, d->t, d->m}) : NULL;
    ltx2_tensor *vt = NULL, *at = NULL;
    ltx2_error err = {0};
    ltx2_status st = (!lat || !tr || !vd || (audio && !ad)) ? LTX2_ERR_OOM : LTX2_OK;
    if (!st) {
        st = ltx2_kstatus(ltx2_unpatchify_video(kc, r->v.x, d->c, r->v.n_gen, ltx2_tensor_f32(vd)));
        if (!st)
            st = ltx2_tensor_to_host(vd, &vt, &err);
        if (!st)
            st = ltx2_object_set_tensor(lat, LTX2_LAT_VIDEO, vt);
    }
    if (!st && audio) {
        st = ltx2_kstatus(ltx2_unpatchify_audio(kc, r->a.x, d->ca, d->t, d->m, ltx2_tensor_f32(ad)));
        if (!st)
            st = ltx2_tensor_to_host(ad, &at, &err);
        if (!st)
            st = ltx2_object_set_tensor(lat, LTX2_LAT_AUDIO, at);
    }
    if (!st && !audio && ltx2_object_tensor(in_lat, LTX2_LAT_AUDIO)) /* video-only model: audio passes through */
        st = ltx2_object_set_tensor(lat, LTX2_LAT_AUDIO, ltx2_object_tensor(in_lat, LTX2_LAT_AUDIO));
    if (!st)
        st = ltx2_object_set_float(lat, LTX2_LAT_FPS, d->fps);
    const int64_t nv = r->v.n, cv = r->v.ch;
    if (!st)
        st = put(kc, tr, "video_tokens_initial", r->init_v, 3, (const int64_t[]){1, nv, cv});
    if (!st && r->step1_v)
        st = put(kc, tr, "video_tokens_after_step1", r->step1_v, 3, (const int64_t[]){1, nv, cv});
    if (!st)
        st = put(kc, tr, "video_tokens_final", r->v.x, 3, (const int64_t[]){1, nv, cv});
    if (!st)
        st = put(kc, tr, "video_positions", r->v.pos, 4, (const int64_t[]){1, 3, nv, 2});
    if (!st)
        st = put(kc, tr, "video_denoise_mask", r->v.mask, 3, (const int64_t[]){1, nv, 1});
    if (audio) {
        const int64_t na = r->a.n, ca = r->a.ch;
        if (!st)
            st = put(kc, tr, "audio_tokens_initial", r->init_a, 3, (const int64_t[]){1, na, ca});
        if (!st && r->step1_a)
            st = put(kc, tr, "audio_tokens_after_step1", r->step1_a, 3, (const int64_t[]){1, na, ca});
        if (!st)
            st = put(kc, tr, "audio_tokens_final", r->a.x, 3, (const int64_t[]){1, na, ca});
        if (!st)
            st = put(kc, tr, "audio_positions", r->a.pos, 4, (const int64_t[]){1, 1, na, 2});
        if (!st)
            st = put(kc, tr, "audio_denoise_mask", r->a.mask, 3, (const int64_t[]){1, na, 1});
    }
    ltx2_tensor_release(vt);
    ltx2_tensor_release(at);
    ltx2_tensor_release(vd);
    ltx2_tensor_release(ad);
    if (st) {
        ltx2_object_release(lat);
        ltx2_object_release(tr);
        return st;
    }
    out[0] = ltx2_value_object(lat);
    out[1] = ltx2_value_object(tr);
    return LTX2_OK;
}

static ltx2_status sm_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *T = &ltx2_type_sampler;
    ltx2_object *model_o = NULL, *pos = NULL, *neg = NULL, *lat = NULL;
    ltx2_tensor *sig_t = NULL, *nz_v = NULL, *nz_a = NULL;
    ltx2_status st;
    if ((st = ltx2_in_object(ctx, T, in, SM_MODEL, "MODEL", &model_o)) ||
        (st = ltx2_in_object(ctx, T, in, SM_POSITIVE, "CONDITIONING", &pos)) ||
        (st = ltx2_in_object(ctx, T, in, SM_NEGATIVE, "CONDITIONING", &neg)) ||
        (st = ltx2_in_object(ctx, T, in, SM_LATENT, "LATENT", &lat)) ||
        (st = ltx2_in_tensor(ctx, T, in, SM_SIGMAS, &sig_t)) ||
        (st = ltx2_in_tensor(ctx, T, in, SM_NOISE_VIDEO, &nz_v)) ||
        (st = ltx2_in_tensor(ctx, T, in, SM_NOISE_AUDIO, &nz_a)))
        return st;
    const ltx2_dit *m = ltx2_dit_of(model_o);
    if (!m)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "model", "not an LTX-2 transformer");
    ltx2_error err = {0};
    ltx2_latent_dims d;
    if (ltx2_latent_dims_of(lat, &d, &err))
        return ltx2_fail_err(ctx, "latent", &err);
    /* A latent made for another VAE's grid would get positions of the wrong scale. */
    ltx2_latent_geom lg;
    if (ltx2_latent_geom_of(lat, &m->cfg.geom, &lg, &err))
        return ltx2_fail_err(ctx, "latent", &err);
    if (!ltx2_latent_geom_equal(&lg, &m->cfg.geom))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "latent",
                         "made for a VAE of %dx%d px per latent cell and %d Hz / hop %d / x%d audio, the model's "
                         "is %dx%d, %d Hz / hop %d / x%d (connect the model to the latent node)",
                         lg.scale_t, lg.scale_s, lg.audio_rate, lg.audio_hop, lg.audio_down, m->cfg.geom.scale_t,
                         m->cfg.geom.scale_s, m->cfg.geom.audio_rate, m->cfg.geom.audio_hop, m->cfg.geom.audio_down);
    if (d.c != m->cfg.v_in)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "latent", "video latent has %lld channels, the model %d",
                         (long long)d.c, m->cfg.v_in);
    const bool audio = d.t > 0 && m->cfg.has_audio;
    if (audio && d.ca * d.m != m->cfg.a_in)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "latent", "audio latent has %lld x %lld channels, the model %d",
                         (long long)d.ca, (long long)d.m, m->cfg.a_in);

    sm_run r = {0};
    r.kc = ltx2_node_kctx(instance, ctx, ltx2_in_fast(in, SM_PRECISION));
    const int64_t n_sig = ltx2_tensor_numel(sig_t);
    if (n_sig < 2) {
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "sigmas", "need at least 2 sigmas");
        goto done;
    }
    ltx2_tensor *sf = ltx2_tensor_to_f32(sig_t);
    r.sigmas = malloc((size_t)n_sig * sizeof(float));
    if (!sf || !r.sigmas) {
        ltx2_tensor_release(sf);
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        goto done;
    }
    memcpy(r.sigmas, ltx2_tensor_cf32(sf), (size_t)n_sig * sizeof(float));
    ltx2_tensor_release(sf);
    for (int64_t i = 0; i < n_sig; i++)
        if (!(r.sigmas[i] >= 0.0f) || (i && r.sigmas[i] > r.sigmas[i - 1])) {
            st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "sigmas", "sigma %lld (%g) is negative, NaN or increasing",
                           (long long)i, (double)r.sigmas[i]);
            goto done;
        }

    ltx2_denoise_args a = {.model = m, .kc = r.kc,
                           .sigmas = r.sigmas, .n_sigmas = (int)n_sig, .ctx = ctx,
                           .method = strcmp(ltx2_in_string(in, SM_METHOD), "res_2s") ? LTX2_SAMPLER_EULER
                                                                                    : LTX2_SAMPLER_RES_2S};
    const struct {
        uint32_t cfg, stg, blocks, mod, rescale;
        ltx2_guide *g;
        const char *blocks_name;
    } gp[2] = {{SM_V_CFG, SM_V_STG, SM_V_STG_BLOCKS, SM_V_MOD, SM_V_RESCALE, &a.video_guide, "video_stg_blocks"},
               {SM_A_CFG, SM_A_STG, SM_A_STG_BLOCKS, SM_A_MOD, SM_A_RESCALE, &a.audio_guide, "audio_stg_blocks"}};
    for (int k = 0; k < 2; k++) {
        ltx2_guide *g = gp[k].g;
        g->cfg = ltx2_in_float(in, gp[k].cfg);
        g->stg = ltx2_in_float(in, gp[k].stg);
        g->modality = ltx2_in_float(in, gp[k].mod);
        g->rescale = ltx2_in_float(in, gp[k].rescale);
        if (ltx2_guide_uses_stg(g) &&
            ltx2_guide_parse_blocks(ltx2_in_string(in, gp[k].blocks), m->cfg.num_layers, g, &err)) {
            st = ltx2_fail_err(ctx, gp[k].blocks_name, &err);
            goto done;
        }
    }
    if ((ltx2_guide_uses_text(&a.video_guide) || (audio && ltx2_guide_uses_text(&a.audio_guide))) && !neg) {
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "negative", "cfg != 1 needs a negative conditioning");
        goto done;
    }
    const int64_t cap = m->cfg.caption_channels;
    if ((st = ctx_in(ctx, &r.kc, pos, "video_context", "positive", cap, &r.ctx[0])) ||
        (audio && (st = ctx_in(ctx, &r.kc, pos, "audio_context", "positive", cap, &r.ctx[1]))))
        goto done;
    if (neg && ((st = ctx_in(ctx, &r.kc, neg, "video_context", "negative", cap, &r.ctx[2])) ||
                (audio && (st = ctx_in(ctx, &r.kc, neg, "audio_context", "negative", cap, &r.ctx[3])))))
        goto done;
    a.positive = (ltx2_ctx_pair){ltx2_tensor_cf32(r.ctx[0]), r.ctx[0]->shape[1],
                                 audio ? ltx2_tensor_cf32(r.ctx[1]) : NULL, audio ? r.ctx[1]->shape[1] : 0};
    if (neg)
        a.negative = (ltx2_ctx_pair){ltx2_tensor_cf32(r.ctx[2]), r.ctx[2]->shape[1],
                                     audio ? ltx2_tensor_cf32(r.ctx[3]) : NULL, audio ? r.ctx[3]->shape[1] : 0};

    if (ltx2_seq_video(&a.kc, lat, &m->cfg.geom, &r.v, &err) ||
        (audio && ltx2_seq_audio(&a.kc, lat, &m->cfg.geom, &r.a, &err))) {
        st = ltx2_fail_err(ctx, "latent", &err);
        goto done;
    }
    const uint64_t seed = (uint64_t)ltx2_in_int(in, SM_SEED);
    if ((st = noise_in(ctx, &r.kc, nz_v, "noise_video", &r.v, seed, LTX2_RNG_STREAM_VIDEO, &r.noise_v)) ||
        (audio &&
         (st = noise_in(ctx, &r.kc, nz_a, "noise_audio", &r.a, seed, LTX2_RNG_STREAM_AUDIO, &r.noise_a))))
        goto done;
    const double noise_scale = ltx2_in_float(in, SM_NOISE_SCALE);
    kstatus ks = ltx2_seq_noise(&a.kc, &r.v, r.noise_v, noise_scale);
    if (audio)
        K_THEN(ks, ltx2_seq_noise(&a.kc, &r.a, r.noise_a, noise_scale));
    if ((st = ltx2_fail_k(ctx, "noise_scale", ks, "noising")) != LTX2_OK)
        goto done;

    const size_t bv = (size_t)(r.v.n * r.v.ch) * sizeof(float), ba = (size_t)(r.a.n * r.a.ch) * sizeof(float);
    ks = k_alloc(&a.kc, bv ? bv : 1, (void **)&r.init_v);
    K_THEN(ks, k_alloc(&a.kc, bv ? bv : 1, (void **)&r.step1_v));
    K_THEN(ks, k_alloc(&a.kc, ba ? ba : 1, (void **)&r.init_a));
    K_THEN(ks, k_alloc(&a.kc, ba ? ba : 1, (void **)&r.step1_a));
    if ((st = ltx2_fail_k(ctx, NULL, ks, "sampler buffers")) != LTX2_OK)
        goto done;
    ks = k_copy(&a.kc, r.init_v, r.v.x, bv, K_D2D);
    if (audio)
        K_THEN(ks, k_copy(&a.kc, r.init_a, r.a.x, ba, K_D2D));
    if ((st = ltx2_fail_k(ctx, "latent", ks, "latent copy")) != LTX2_OK)
        goto done;
    a.video_after_step1 = r.step1_v;
    a.audio_after_step1 = audio ? r.step1_a : NULL;

    st = ltx2_denoise(&a, &r.v, audio ? &r.a : NULL, &err);
    if (st == LTX2_CANCELLED)
        goto done;
    if (st) {
        st = ltx2_fail_err(ctx, strstr(err.msg, "negative") ? "negative" : "model", &err);
        goto done;
    }
    if ((st = build_outputs(&a.kc, &r, lat, &d, audio, out)))
        st = ltx2_fail(ctx, st, NULL, "out of memory");
done:
    sm_free(&r);
    return st;
}

const ltx2_node_type ltx2_type_sampler = LTX2_NODE_TYPE(
    "LTX2Sampler", "LTX-2 Sampler", "ltx2/sampling", LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE | LTX2_NODE_CUDA,
    "Denoises the video + audio latent with Euler steps over the sigmas (per-token timesteps "
    "from the denoise mask). Guidance per modality on x0 as the reference's multi-modal guider: "
    "CFG (needs the negative), STG (self-attention skipped in the chosen blocks), modality "
    "isolation (A<->V attention skipped) and rescale; all neutral = the distilled single pass. "
    "noise_scale < 1 re-noises an existing latent (stage 2). Noise from the seed, or given.",
    sm_inputs, sm_outputs, sm_execute);
