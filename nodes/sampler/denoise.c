/* denoise.c — Euler loop with guidance passes (see denoise.h). */
#include "sampler/denoise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

void ltx2_seq_noise(ltx2_seq *s, const float *noise, double noise_scale)
{
    const float k = (float)noise_scale;
    for (int64_t i = 0; i < s->n; i++) {
        const float m = s->mask[i] * k, keep = 1.0f - m;
        float *x = s->x + i * s->ch;
        const float *z = noise + i * s->ch;
        for (int64_t c = 0; c < s->ch; c++)
            x[c] = z[c] * m + x[c] * keep;
    }
}

/* One guidance pass's x0 predictions. */
typedef struct pass_out {
    float *v, *a;
} pass_out;

typedef struct loop_ctx {
    const ltx2_denoise_args *args;
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
    ltx2_status st = ltx2_dit_forward(a->model, &a->kc, &vs, L->with_audio ? &as : NULL, pert, &hooks, err);
    if (st)
        return st;
    for (int64_t i = 0; i < v->n; i++)
        for (int64_t c = 0; c < v->ch; c++)
            out->v[i * v->ch + c] = v->x[i * v->ch + c] - L->vel_v[i * v->ch + c] * L->ts_v[i];
    if (L->with_audio)
        for (int64_t i = 0; i < au->n; i++)
            for (int64_t c = 0; c < au->ch; c++)
                out->a[i * au->ch + c] = au->x[i * au->ch + c] - L->vel_a[i * au->ch + c] * L->ts_a[i];
    return LTX2_OK;
}

/* x0 <- x0 * mask + clean * (1 - mask); v = (x - x0) / sigma; x <- x + v * (sigma' - sigma). */
static void euler(ltx2_seq *s, float *x0, float sigma, float sigma_next)
{
    const float dt = sigma_next - sigma;
    for (int64_t i = 0; i < s->n; i++) {
        const float m = s->mask[i], keep = 1.0f - m;
        float *x = s->x + i * s->ch, *d = x0 + i * s->ch;
        const float *cl = s->clean + i * s->ch;
        for (int64_t c = 0; c < s->ch; c++) {
            const float den = d[c] * m + cl[c] * keep;
            if (sigma == 0.0f) { /* a manual list may repeat 0: nothing left to remove */
                x[c] = den;
                continue;
            }
            const float vel = (x[c] - den) / sigma;
            x[c] = x[c] + vel * dt;
        }
    }
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
    for (int64_t i = 0; i < video->n; i++)
        L->ts_v[i] = video->mask[i] * sigma;
    if (L->with_audio)
        for (int64_t i = 0; i < audio->n; i++)
            L->ts_a[i] = audio->mask[i] * sigma;
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
        ltx2_status st;
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
    ltx2_guide_combine(&a->video_guide, nv, po[0].v, u ? u->v : NULL, ptb ? ptb->v : NULL, iso ? iso->v : NULL);
    if (L->with_audio)
        ltx2_guide_combine(&a->audio_guide, na, po[0].a, u ? u->a : NULL, ptb ? ptb->a : NULL,
                           iso ? iso->a : NULL);
    return LTX2_OK;
}

/* x0 of token values with the clean latent where the mask keeps it. */
static void blend_clean(const ltx2_seq *s, const float *x0, float *out)
{
    for (int64_t i = 0; i < s->n; i++)
        for (int64_t c = 0; c < s->ch; c++)
            out[i * s->ch + c] = x0[i * s->ch + c] * s->mask[i] + s->clean[i * s->ch + c] * (1.0f - s->mask[i]);
}

/* RES 2s step (data prediction, c2 = 1/2) in the sigma space ComfyUI's samplers use
 * for flow models: h = log(sigma / sigma'), x' = e^-h x + h (b1 d1 + b2 d2) with
 * b2 = phi2(-h) / c2, b1 = phi1(-h) - b2. d1, d2 are the blended x0 at sigma and at
 * the midpoint; x holds the start point. */
static void res2s_combine(ltx2_seq *s, const float *x_start, const float *d1, const float *d2, double h)
{
    const double c2 = 0.5, eh = exp(-h);
    const double phi1 = (1.0 - eh) / h, phi2 = (eh - 1.0 + h) / (h * h);
    const double b2 = phi2 / c2, b1 = phi1 - b2;
    const int64_t n = s->n * s->ch;
    for (int64_t i = 0; i < n; i++)
        s->x[i] = (float)(eh * x_start[i] + h * (b1 * d1[i] + b2 * d2[i]));
}

ltx2_status ltx2_denoise(const ltx2_denoise_args *a, ltx2_seq *video, ltx2_seq *audio,
                         ltx2_error *err)
{
    loop_ctx L = {.args = a, .video = video, .audio = audio};
    L.with_audio = audio && audio->n > 0 && a->model->cfg.has_audio;
    const ltx2_guide *gv = &a->video_guide, *ga = &a->audio_guide;
    guide_plan gp = {0};
    gp.text = ltx2_guide_uses_text(gv) || (L.with_audio && ltx2_guide_uses_text(ga));
    gp.stg = ltx2_guide_uses_stg(gv) || (L.with_audio && ltx2_guide_uses_stg(ga));
    gp.mod = ltx2_guide_uses_modality(gv) || (L.with_audio && ltx2_guide_uses_modality(ga));
    if (gp.text && !a->negative.video)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "cfg != 1 needs a negative conditioning");
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
    L.ts_v = malloc((size_t)(video->n ? video->n : 1) * sizeof(float));
    L.vel_v = malloc((size_t)(nv ? nv : 1) * sizeof(float));
    L.ts_a = malloc((size_t)(L.with_audio ? audio->n : 1) * sizeof(float));
    L.vel_a = malloc((size_t)(na ? na : 1) * sizeof(float));
    bool ok = L.ts_v && L.vel_v && L.ts_a && L.vel_a;
    for (int p = 0; p < gp.passes && ok; p++) {
        po[p].v = malloc((size_t)(nv ? nv : 1) * sizeof(float));
        po[p].a = malloc((size_t)(na ? na : 1) * sizeof(float));
        ok = po[p].v && po[p].a;
    }
    if (ok && res2s) {
        save_v = malloc((size_t)(nv ? nv : 1) * sizeof(float));
        save_a = malloc((size_t)(na ? na : 1) * sizeof(float));
        d1_v = malloc((size_t)(nv ? nv : 1) * sizeof(float));
        d1_a = malloc((size_t)(na ? na : 1) * sizeof(float));
        ok = save_v && save_a && d1_v && d1_a;
    }
    if (!ok) {
        st = ltx2_err(err, LTX2_ERR_OOM, "out of memory for the sampler buffers");
        goto done;
    }

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
            memcpy(save_v, video->x, (size_t)nv * sizeof(float));
            blend_clean(video, po[0].v, d1_v);
            if (L.with_audio) {
                memcpy(save_a, audio->x, (size_t)na * sizeof(float));
                blend_clean(audio, po[0].a, d1_a);
            }
            /* The first stage to the midpoint is an Euler step in this sigma space. */
            euler(video, po[0].v, sigma, sigma_mid);
            if (L.with_audio)
                euler(audio, po[0].a, sigma, sigma_mid);
            if ((st = guided_x0(&L, &gp, sigma_mid, eval++, n_evals, po, err)) != LTX2_OK)
                goto done;
            blend_clean(video, po[0].v, po[0].v);
            res2s_combine(video, save_v, d1_v, po[0].v, h);
            if (L.with_audio) {
                blend_clean(audio, po[0].a, po[0].a);
                res2s_combine(audio, save_a, d1_a, po[0].a, h);
            }
        } else {
            euler(video, po[0].v, sigma, sigma_next);
            if (L.with_audio)
                euler(audio, po[0].a, sigma, sigma_next);
        }
        if (step == 0 && a->video_after_step1)
            memcpy(a->video_after_step1, video->x, (size_t)nv * sizeof(float));
        if (step == 0 && a->audio_after_step1 && L.with_audio)
            memcpy(a->audio_after_step1, audio->x, (size_t)na * sizeof(float));
    }
    if (a->ctx)
        st = ltx2_progress(a->ctx, (double)(n_evals * gp.passes), (double)(n_evals * gp.passes), "sample");
done:
    for (int p = 0; p < 4; p++) {
        free(po[p].v);
        free(po[p].a);
    }
    free(save_v);
    free(save_a);
    free(d1_v);
    free(d1_a);
    free(L.ts_v);
    free(L.vel_v);
    free(L.ts_a);
    free(L.vel_a);
    return st;
}
