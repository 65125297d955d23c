/* denoise.c — Euler loop with guidance passes (see denoise.h). */
#include "sampler/denoise.h"

#include <stdlib.h>
#include <string.h>

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

static void set_blocks(ltx2_dit_blocks *b, const ltx2_guide *g)
{
    b->all = false;
    b->idx = g->stg_blocks;
    b->n = g->n_stg_blocks;
}

ltx2_status ltx2_denoise(const ltx2_denoise_args *a, ltx2_seq *video, ltx2_seq *audio,
                         ltx2_error *err)
{
    loop_ctx L = {.args = a, .kc = a->kc, .video = video, .audio = audio};
    L.with_audio = audio && audio->n > 0 && a->model->cfg.has_audio;
    const ltx2_guide *gv = &a->video_guide, *ga = &a->audio_guide;
    const bool p_text = ltx2_guide_uses_text(gv) || (L.with_audio && ltx2_guide_uses_text(ga));
    const bool p_stg = ltx2_guide_uses_stg(gv) || (L.with_audio && ltx2_guide_uses_stg(ga));
    const bool p_mod = ltx2_guide_uses_modality(gv) || (L.with_audio && ltx2_guide_uses_modality(ga));
    if (p_text && !a->negative.video)
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
    const int passes = 1 + p_text + p_stg + p_mod;
    const int steps = a->n_sigmas - 1;
    const int64_t nv = video->n * video->ch, na = L.with_audio ? audio->n * audio->ch : 0;

    pass_out po[4] = {{0}};
    ltx2_status st = LTX2_OK;
    /* buffers of the backend (host memory on the CPU) */
    kstatus ks = k_alloc(&L.kc, (size_t)video->n * sizeof(float), (void **)&L.ts_v);
    K_THEN(ks, k_alloc(&L.kc, (size_t)nv * sizeof(float), (void **)&L.vel_v));
    K_THEN(ks, k_alloc(&L.kc, (size_t)(L.with_audio ? audio->n : 0) * sizeof(float), (void **)&L.ts_a));
    K_THEN(ks, k_alloc(&L.kc, (size_t)na * sizeof(float), (void **)&L.vel_a));
    for (int p = 0; p < passes; p++) {
        K_THEN(ks, k_alloc(&L.kc, (size_t)nv * sizeof(float), (void **)&po[p].v));
        K_THEN(ks, k_alloc(&L.kc, (size_t)na * sizeof(float), (void **)&po[p].a));
    }
    if ((st = ltx2_kerr(err, ks, "sampler buffers")) != LTX2_OK)
        goto done;

    ltx2_dit_perturb pert_stg = {0}, pert_iso = {0};
    if (ltx2_guide_uses_stg(gv))
        set_blocks(&pert_stg.skip_video_self, gv);
    if (L.with_audio && ltx2_guide_uses_stg(ga))
        set_blocks(&pert_stg.skip_audio_self, ga);
    pert_iso.skip_a2v.all = true;
    pert_iso.skip_v2a.all = true;

    for (int step = 0; step < steps; step++) {
        const float sigma = a->sigmas[step], sigma_next = a->sigmas[step + 1];
        ks = k_scale(&L.kc, video->mask, sigma, L.ts_v, video->n);
        if (L.with_audio)
            K_THEN(ks, k_scale(&L.kc, audio->mask, sigma, L.ts_a, audio->n));
        if ((st = ltx2_kerr(err, ks, "per-token timesteps")) != LTX2_OK)
            goto done;
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
        K_THEN(ks, ltx2_guide_combine(&L.kc, gv, nv, c->v, u ? u->v : NULL, ptb ? ptb->v : NULL,
                                      iso ? iso->v : NULL));
        if (L.with_audio)
            K_THEN(ks, ltx2_guide_combine(&L.kc, ga, na, c->a, u ? u->a : NULL, ptb ? ptb->a : NULL,
                                          iso ? iso->a : NULL));
        K_THEN(ks, euler(&L.kc, video, c->v, sigma, sigma_next));
        if (L.with_audio)
            K_THEN(ks, euler(&L.kc, audio, c->a, sigma, sigma_next));
        if (step == 0 && a->video_after_step1)
            K_THEN(ks, k_copy(&L.kc, a->video_after_step1, video->x, (size_t)nv * sizeof(float), K_D2D));
        if (step == 0 && a->audio_after_step1 && L.with_audio)
            K_THEN(ks, k_copy(&L.kc, a->audio_after_step1, audio->x, (size_t)na * sizeof(float), K_D2D));
        if ((st = ltx2_kerr(err, ks, "guidance and Euler step")) != LTX2_OK)
            goto done;
    }
    if (a->ctx)
        st = ltx2_progress(a->ctx, (double)(steps * passes), (double)(steps * passes), "sample");
done:
    for (int p = 0; p < 4; p++) {
        k_free(&L.kc, po[p].v);
        k_free(&L.kc, po[p].a);
    }
    k_free(&L.kc, L.ts_v);
    k_free(&L.kc, L.vel_v);
    k_free(&L.kc, L.ts_a);
    k_free(&L.kc, L.vel_a);
    k_arena_destroy(arena);
    return st;
}
