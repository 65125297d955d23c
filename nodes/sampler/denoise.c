/* denoise.c — Euler loop with guidance passes (see denoise.h). */
#include "sampler/denoise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finite.h"
#include "node.h"

kstatus ltx2_seq_noise(const kctx *kc, ltx2_seq *s, const float *noise, double noise_scale)
{
    return k_noise_blend(kc, s->n, s->ch, s->mask, (float)noise_scale, noise, s->x);
}

/* One guidance pass's x0 predictions. */
typedef struct pass_out {
    float *v, *a;
} pass_out;

typedef struct loop_ctx {
    const ltx2_denoise_args *args;
    kctx kc;              /* args->kc with the loop's workspace arena */
    ltx2_seq *video, *audio;
    bool with_audio;
    float *ts_v, *ts_a;   /* per-token timesteps */
    float *vel_v, *vel_a; /* velocity scratch */
} loop_ctx;

static int tick(void *arg, int block, int n_blocks)
{
    (void)block;
    (void)n_blocks;
    const ltx2_exec_ctx *ctx = arg;
    return ctx && ltx2_cancelled(ctx);
}

/* X0 = x - v * t per token (the reference's X0Model), for both modalities. */
static ltx2_status run_pass(loop_ctx *L, const ltx2_ctx_pair *text, const ltx2_dit_perturb *pert,
                            pass_out *out, ltx2_error *err)
{
    const ltx2_denoise_args *a = L->args;
    ltx2_seq *v = L->video, *au = L->audio;
    ltx2_dit_stream vs = {.n = v->n, .latent = v->x, .sigma = L->ts_v, .positions = v->pos,
                          .context = text->video, .n_ctx = text->n_video, .velocity = L->vel_v};
    ltx2_dit_stream as = {0};
    if (L->with_audio)
        as = (ltx2_dit_stream){.n = au->n, .latent = au->x, .sigma = L->ts_a, .positions = au->pos,
                               .context = text->audio, .n_ctx = text->n_audio, .velocity = L->vel_a};
    ltx2_dit_hooks hooks = {.tick = tick, .arg = a->ctx};
    ltx2_status st = ltx2_dit_forward(a->model, &L->kc, &vs, L->with_audio ? &as : NULL, pert, &hooks, err);
    if (st)
        return st;
    kstatus ks = k_x0_from_velocity(&L->kc, v->n, v->ch, v->x, L->vel_v, L->ts_v, out->v);
    if (L->with_audio)
        K_THEN(ks, k_x0_from_velocity(&L->kc, au->n, au->ch, au->x, L->vel_a, L->ts_a, out->a));
    return ltx2_kerr(err, ks, "x0 from the velocity");
}

/* x0 <- x0 * mask + clean * (1 - mask); v = (x - x0) / sigma; x <- x + v * (sigma' - sigma). */
static kstatus euler(const kctx *kc, ltx2_seq *s, const float *x0, float sigma, float sigma_next)
{
    return k_euler_step(kc, s->n, s->ch, s->mask, s->clean, x0, sigma, sigma_next, s->x);
}

/* One pass over the latent after each step: NaN/Inf (bad weights or inputs) would
 * otherwise run to the end and decode to black frames. */
static ltx2_status check_finite(const kctx *kc, const ltx2_seq *s, const char *what, int step, int steps,
                                ltx2_error *err)
{
    int64_t at = -1;
    kstatus ks = ltx2_find_nonfinite_on(kc, s->x, s->n * s->ch, &at);
    if (ks != KS_OK)
        return ltx2_kerr(err, ks, "finite check of the latent");
    if (at < 0)
        return LTX2_OK;
    return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                    "step %d of %d: the %s latent holds NaN or Inf (token %lld); check the model "
                    "weights and the inputs", step + 1, steps, what, (long long)(at / s->ch));
}

static void set_blocks(ltx2_dit_blocks *b, const ltx2_guide *g)
{
    b->all = false;
    b->idx = g->stg_blocks;
    b->n = g->n_stg_blocks;
}

/* The guided x0 of every token at the current x and sigma: the planned passes, then
 * the per-modality combine; the result is in po[0]. eval / n_evals count model
 * evaluations (passes each) for progress. */
typedef struct guide_plan {
    int passes;
    bool text, stg, mod;
    ltx2_dit_perturb stg_pert, iso_pert;
} guide_plan;

static ltx2_status guided_x0(loop_ctx *L, const guide_plan *gp, float sigma, int eval, int n_evals, pass_out *po,
                             ltx2_error *err)
{
    const ltx2_denoise_args *a = L->args;
    ltx2_seq *video = L->video, *audio = L->audio;
    ltx2_status st;
    kstatus ks = k_scale(&L->kc, video->mask, sigma, L->ts_v, video->n);
    if (L->with_audio)
        K_THEN(ks, k_scale(&L->kc, audio->mask, sigma, L->ts_a, audio->n));
    if ((st = ltx2_kerr(err, ks, "per-token timesteps")) != LTX2_OK)
        return st;
    int p = 0;
    pass_out *u = NULL, *ptb = NULL, *iso = NULL;
    const struct {
        const ltx2_ctx_pair *text;
        const ltx2_dit_perturb *pert;
        pass_out **slot;
        bool on;
    } plan[4] = {
        {&a->positive, NULL, NULL, true},
        {&a->negative, NULL, &u, gp->text},
        {&a->positive, &gp->stg_pert, &ptb, gp->stg},
        {&a->positive, &gp->iso_pert, &iso, gp->mod},
    };
    for (int k = 0; k < 4; k++) {
        if (!plan[k].on)
            continue;
        if (a->ctx && (st = ltx2_progress(a->ctx, (double)(eval * gp->passes + p),
                                          (double)(n_evals * gp->passes), "sample")) != LTX2_OK)
            return st;
        if ((st = run_pass(L, plan[k].text, plan[k].pert, &po[p], err)) != LTX2_OK) {
            if (st == LTX2_CANCELLED)
                ltx2_err(err, LTX2_CANCELLED, "cancelled");
            return st;
        }
        if (plan[k].slot)
            *plan[k].slot = &po[p];
        p++;
    }
    const int64_t nv = video->n * video->ch, na = L->with_audio ? audio->n * audio->ch : 0;
    ks = ltx2_guide_combine(&L->kc, &a->video_guide, nv, po[0].v, u ? u->v : NULL, ptb ? ptb->v : NULL,
                            iso ? iso->v : NULL);
    if (L->with_audio)
        K_THEN(ks, ltx2_guide_combine(&L->kc, &a->audio_guide, na, po[0].a, u ? u->a : NULL, ptb ? ptb->a : NULL,
                                      iso ? iso->a : NULL));
    return ltx2_kerr(err, ks, "guidance combine");
}

/* out = x0·m + clean·(1 − m): x0 where the mask denoises, the clean latent where it
 * keeps. out must not alias x0. */
static kstatus blend_clean(const kctx *kc, const ltx2_seq *s, const float *x0, float *out)
{
    const size_t bytes = (size_t)(s->n * s->ch) * sizeof(float);
    kstatus ks = k_copy(kc, out, s->clean, bytes, K_D2D);
    K_THEN(ks, k_noise_blend(kc, s->n, s->ch, s->mask, 1.0f, x0, out));
    return ks;
}

/* RES 2s step (data prediction, c2 = 1/2) in the sigma space ComfyUI's samplers use
 * for flow models: h = log(sigma / sigma'), x' = e^-h x + h (b1 d1 + b2 d2) with
 * b2 = phi2(-h) / c2, b1 = phi1(-h) - b2. d1, d2 are the blended x0 at sigma and at
 * the midpoint (both overwritten); x_start holds the start point. */
static kstatus res2s_combine(const kctx *kc, ltx2_seq *s, const float *x_start, float *d1, float *d2, double h)
{
    const double c2 = 0.5, eh = exp(-h);
    const double phi1 = (1.0 - eh) / h, phi2 = (eh - 1.0 + h) / (h * h);
    const double b2 = phi2 / c2, b1 = phi1 - b2;
    const int64_t n = s->n * s->ch;
    kstatus ks = k_scale(kc, x_start, (float)eh, s->x, n);
    K_THEN(ks, k_scale(kc, d1, (float)(h * b1), d1, n));
    K_THEN(ks, k_add(kc, s->x, d1, s->x, n));
    K_THEN(ks, k_scale(kc, d2, (float)(h * b2), d2, n));
    K_THEN(ks, k_add(kc, s->x, d2, s->x, n));
    return ks;
}

ltx2_status ltx2_denoise(const ltx2_denoise_args *a, ltx2_seq *video, ltx2_seq *audio,
                         ltx2_error *err)
{
    loop_ctx L = {.args = a, .kc = a->kc, .video = video, .audio = audio};
    L.with_audio = audio && audio->n > 0 && a->model->cfg.has_audio;
    const ltx2_guide *gv = &a->video_guide, *ga = &a->audio_guide;
    guide_plan gp = {0};
    gp.text = ltx2_guide_uses_text(gv) || (L.with_audio && ltx2_guide_uses_text(ga));
    gp.stg = ltx2_guide_uses_stg(gv) || (L.with_audio && ltx2_guide_uses_stg(ga));
    gp.mod = ltx2_guide_uses_modality(gv) || (L.with_audio && ltx2_guide_uses_modality(ga));
    if (gp.text && !a->negative.video)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "cfg != 1 needs a negative conditioning");
    /* one workspace for every pass of the loop: after the first pass a forward
     * allocates nothing */
    karena *arena = NULL;
    if (!L.kc.arena) {
        kstatus ks = k_arena_create(&L.kc, (size_t)16 << 20, 0, &arena);
        if (ks != KS_OK)
            return ltx2_kerr(err, ks, "sampler workspace");
        L.kc.arena = arena;
    }
    /* the pre-run memory check: the transformer placed under the budget for this run's
     * token counts before any step (planned with two distinct per-token sigmas, the
     * usual case: the step's and 0 where the denoise mask keeps a token; each forward
     * checks again with its own) */
    {
        const ltx2_ctx_pair *pos = &a->positive, *neg = &a->negative;
        const int64_t ctx_v = neg->video && neg->n_video > pos->n_video ? neg->n_video : pos->n_video;
        const int64_t ctx_a = neg->video && neg->n_audio > pos->n_audio ? neg->n_audio : pos->n_audio;
        const ltx2_dit_tokens vt = {video->n, ctx_v, 2, false}, at = {L.with_audio ? audio->n : 0, ctx_a, 2, false};
        ltx2_status pst = ltx2_dit_prepare(a->model, &L.kc, &vt, L.with_audio ? &at : NULL, err);
        if (pst != LTX2_OK) {
            k_arena_destroy(arena);
            return pst;
        }
    }
    gp.passes = 1 + gp.text + gp.stg + gp.mod;
    const int steps = a->n_sigmas - 1;
    const bool res2s = a->method == LTX2_SAMPLER_RES_2S;
    /* res_2s evaluates twice per step except on a last step to sigma 0 (Euler). */
    int n_evals = 0;
    for (int step = 0; step < steps; step++)
        n_evals += (res2s && a->sigmas[step + 1] > 0.0f && a->sigmas[step] > 0.0f) ? 2 : 1;
    const int64_t nv = video->n * video->ch, na = L.with_audio ? audio->n * audio->ch : 0;

    pass_out po[4] = {{0}};
    float *save_v = NULL, *save_a = NULL, *d1_v = NULL, *d1_a = NULL;
    ltx2_status st = LTX2_OK;
    /* buffers of the backend (host memory on the CPU) */
    kstatus ks = k_alloc(&L.kc, (size_t)video->n * sizeof(float), (void **)&L.ts_v);
    K_THEN(ks, k_alloc(&L.kc, (size_t)nv * sizeof(float), (void **)&L.vel_v));
    K_THEN(ks, k_alloc(&L.kc, (size_t)(L.with_audio ? audio->n : 0) * sizeof(float), (void **)&L.ts_a));
    K_THEN(ks, k_alloc(&L.kc, (size_t)na * sizeof(float), (void **)&L.vel_a));
    for (int p = 0; p < gp.passes; p++) {
        K_THEN(ks, k_alloc(&L.kc, (size_t)nv * sizeof(float), (void **)&po[p].v));
        K_THEN(ks, k_alloc(&L.kc, (size_t)na * sizeof(float), (void **)&po[p].a));
    }
    if (res2s) {
        K_THEN(ks, k_alloc(&L.kc, (size_t)nv * sizeof(float), (void **)&save_v));
        K_THEN(ks, k_alloc(&L.kc, (size_t)na * sizeof(float), (void **)&save_a));
        K_THEN(ks, k_alloc(&L.kc, (size_t)nv * sizeof(float), (void **)&d1_v));
        K_THEN(ks, k_alloc(&L.kc, (size_t)na * sizeof(float), (void **)&d1_a));
    }
    if ((st = ltx2_kerr(err, ks, "sampler buffers")) != LTX2_OK)
        goto done;

    if (ltx2_guide_uses_stg(gv))
        set_blocks(&gp.stg_pert.skip_video_self, gv);
    if (L.with_audio && ltx2_guide_uses_stg(ga))
        set_blocks(&gp.stg_pert.skip_audio_self, ga);
    gp.iso_pert.skip_a2v.all = true;
    gp.iso_pert.skip_v2a.all = true;

    int eval = 0;
    for (int step = 0; step < steps; step++) {
        const float sigma = a->sigmas[step], sigma_next = a->sigmas[step + 1];
        if ((st = guided_x0(&L, &gp, sigma, eval++, n_evals, po, err)) != LTX2_OK)
            goto done;
        if (res2s && sigma_next > 0.0f && sigma > 0.0f) {
            const double h = log((double)sigma / (double)sigma_next);
            const float sigma_mid = (float)((double)sigma * exp(-0.5 * h));
            K_THEN(ks, k_copy(&L.kc, save_v, video->x, (size_t)nv * sizeof(float), K_D2D));
            K_THEN(ks, blend_clean(&L.kc, video, po[0].v, d1_v));
            if (L.with_audio) {
                K_THEN(ks, k_copy(&L.kc, save_a, audio->x, (size_t)na * sizeof(float), K_D2D));
                K_THEN(ks, blend_clean(&L.kc, audio, po[0].a, d1_a));
            }
            /* The first stage to the midpoint is an Euler step in this sigma space. */
            K_THEN(ks, euler(&L.kc, video, po[0].v, sigma, sigma_mid));
            if (L.with_audio)
                K_THEN(ks, euler(&L.kc, audio, po[0].a, sigma, sigma_mid));
            if ((st = ltx2_kerr(err, ks, "res_2s first stage")) != LTX2_OK)
                goto done;
            if ((st = guided_x0(&L, &gp, sigma_mid, eval++, n_evals, po, err)) != LTX2_OK)
                goto done;
            /* d2 = the blended x0 at the midpoint, into the spare buffer vel (free now) */
            K_THEN(ks, blend_clean(&L.kc, video, po[0].v, L.vel_v));
            K_THEN(ks, res2s_combine(&L.kc, video, save_v, d1_v, L.vel_v, h));
            if (L.with_audio) {
                K_THEN(ks, blend_clean(&L.kc, audio, po[0].a, L.vel_a));
                K_THEN(ks, res2s_combine(&L.kc, audio, save_a, d1_a, L.vel_a, h));
            }
        } else {
            K_THEN(ks, euler(&L.kc, video, po[0].v, sigma, sigma_next));
            if (L.with_audio)
                K_THEN(ks, euler(&L.kc, audio, po[0].a, sigma, sigma_next));
        }
        if (step == 0 && a->video_after_step1)
            K_THEN(ks, k_copy(&L.kc, a->video_after_step1, video->x, (size_t)nv * sizeof(float), K_D2D));
        if (step == 0 && a->audio_after_step1 && L.with_audio)
            K_THEN(ks, k_copy(&L.kc, a->audio_after_step1, audio->x, (size_t)na * sizeof(float), K_D2D));
        if ((st = ltx2_kerr(err, ks, "guidance and sampler step")) != LTX2_OK)
            goto done;
        if ((st = check_finite(&L.kc, video, "video", step, steps, err)) != LTX2_OK ||
            (L.with_audio && (st = check_finite(&L.kc, audio, "audio", step, steps, err)) != LTX2_OK))
            goto done;
    }
    if (a->ctx)
        st = ltx2_progress(a->ctx, (double)(n_evals * gp.passes), (double)(n_evals * gp.passes), "sample");
done:
    for (int p = 0; p < 4; p++) {
        k_free(&L.kc, po[p].v);
        k_free(&L.kc, po[p].a);
    }
    k_free(&L.kc, L.ts_v);
    k_free(&L.kc, L.vel_v);
    k_free(&L.kc, L.ts_a);
    k_free(&L.kc, L.vel_a);
    k_free(&L.kc, save_v);
    k_free(&L.kc, save_a);
    k_free(&L.kc, d1_v);
    k_free(&L.kc, d1_a);
    k_arena_destroy(arena);
    return st;
}
