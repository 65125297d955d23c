/* denoise.c — Euler loop with guidance passes (see denoise.h). */
#include "sampler/denoise.h"

#include <stdlib.h>
#include <string.h>

#include "finite.h"
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

/* One pass over the latent after each step: NaN/Inf (bad weights or inputs) would
 * otherwise run to the end and decode to black frames. */
static ltx2_status check_finite(const ltx2_seq *s, const char *what, int step, int steps, ltx2_error *err)
{
    int64_t at = ltx2_find_nonfinite(s->x, s->n * s->ch);
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

ltx2_status ltx2_denoise(const ltx2_denoise_args *a, ltx2_seq *video, ltx2_seq *audio,
                         ltx2_error *err)
{
    loop_ctx L = {.args = a, .video = video, .audio = audio};
    L.with_audio = audio && audio->n > 0 && a->model->cfg.has_audio;
    const ltx2_guide *gv = &a->video_guide, *ga = &a->audio_guide;
    const bool p_text = ltx2_guide_uses_text(gv) || (L.with_audio && ltx2_guide_uses_text(ga));
    const bool p_stg = ltx2_guide_uses_stg(gv) || (L.with_audio && ltx2_guide_uses_stg(ga));
    const bool p_mod = ltx2_guide_uses_modality(gv) || (L.with_audio && ltx2_guide_uses_modality(ga));
    if (p_text && !a->negative.video)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "cfg != 1 needs a negative conditioning");
    const int passes = 1 + p_text + p_stg + p_mod;
    const int steps = a->n_sigmas - 1;
    const int64_t nv = video->n * video->ch, na = L.with_audio ? audio->n * audio->ch : 0;

    pass_out po[4] = {{0}};
    ltx2_status st = LTX2_OK;
    L.ts_v = malloc((size_t)(video->n ? video->n : 1) * sizeof(float));
    L.vel_v = malloc((size_t)(nv ? nv : 1) * sizeof(float));
    L.ts_a = malloc((size_t)(L.with_audio ? audio->n : 1) * sizeof(float));
    L.vel_a = malloc((size_t)(na ? na : 1) * sizeof(float));
    bool ok = L.ts_v && L.vel_v && L.ts_a && L.vel_a;
    for (int p = 0; p < passes && ok; p++) {
        po[p].v = malloc((size_t)(nv ? nv : 1) * sizeof(float));
        po[p].a = malloc((size_t)(na ? na : 1) * sizeof(float));
        ok = po[p].v && po[p].a;
    }
    if (!ok) {
        st = ltx2_err(err, LTX2_ERR_OOM, "out of memory for the sampler buffers");
        goto done;
    }

    ltx2_dit_perturb pert_stg = {0}, pert_iso = {0};
    if (ltx2_guide_uses_stg(gv))
        set_blocks(&pert_stg.skip_video_self, gv);
    if (L.with_audio && ltx2_guide_uses_stg(ga))
        set_blocks(&pert_stg.skip_audio_self, ga);
    pert_iso.skip_a2v.all = true;
    pert_iso.skip_v2a.all = true;

    for (int step = 0; step < steps; step++) {
        const float sigma = a->sigmas[step], sigma_next = a->sigmas[step + 1];
        for (int64_t i = 0; i < video->n; i++)
            L.ts_v[i] = video->mask[i] * sigma;
        if (L.with_audio)
            for (int64_t i = 0; i < audio->n; i++)
                L.ts_a[i] = audio->mask[i] * sigma;
        int p = 0;
        pass_out *c = &po[0], *u = NULL, *ptb = NULL, *iso = NULL;
        struct {
            const ltx2_ctx_pair *text;
            const ltx2_dit_perturb *pert;
            pass_out **slot;
            bool on;
        } plan[4] = {
            {&a->positive, NULL, NULL, true},
            {&a->negative, NULL, &u, p_text},
            {&a->positive, &pert_stg, &ptb, p_stg},
            {&a->positive, &pert_iso, &iso, p_mod},
        };
        for (int k = 0; k < 4; k++) {
            if (!plan[k].on)
                continue;
            if (a->ctx && (st = ltx2_progress(a->ctx, (double)(step * passes + p),
                                              (double)(steps * passes), "sample")) != LTX2_OK)
                goto done;
            if ((st = run_pass(&L, plan[k].text, plan[k].pert, &po[p], err)) != LTX2_OK) {
                if (st == LTX2_CANCELLED)
                    ltx2_err(err, LTX2_CANCELLED, "cancelled");
                goto done;
            }
            if (plan[k].slot)
                *plan[k].slot = &po[p];
            p++;
        }
        ltx2_guide_combine(gv, nv, c->v, u ? u->v : NULL, ptb ? ptb->v : NULL, iso ? iso->v : NULL);
        if (L.with_audio)
            ltx2_guide_combine(ga, na, c->a, u ? u->a : NULL, ptb ? ptb->a : NULL, iso ? iso->a : NULL);
        euler(video, c->v, sigma, sigma_next);
        if (L.with_audio)
            euler(audio, c->a, sigma, sigma_next);
        if ((st = check_finite(video, "video", step, steps, err)) != LTX2_OK ||
            (L.with_audio && (st = check_finite(audio, "audio", step, steps, err)) != LTX2_OK))
            goto done;
        if (step == 0 && a->video_after_step1)
            memcpy(a->video_after_step1, video->x, (size_t)nv * sizeof(float));
        if (step == 0 && a->audio_after_step1 && L.with_audio)
            memcpy(a->audio_after_step1, audio->x, (size_t)na * sizeof(float));
    }
    if (a->ctx)
        st = ltx2_progress(a->ctx, (double)(steps * passes), (double)(steps * passes), "sample");
done:
    for (int p = 0; p < 4; p++) {
        free(po[p].v);
        free(po[p].a);
    }
    free(L.ts_v);
    free(L.vel_v);
    free(L.ts_a);
    free(L.vel_a);
    return st;
}
