/* dit_forward.c — one forward pass of the AV transformer (spec 2.6-2.13): per-modality
 * preparation (patchify, AdaLN per distinct timestep, caption projection, RoPE
 * tables), the blocks in order, and the output head. Per-token modulation is computed
 * once per distinct sigma and applied over runs of tokens that share it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dit_internal.h"
#include "node.h"

typedef struct run {
    int64_t start, len;
    int u;
} run;

/* One modality's state during a pass. */
typedef struct prep {
    bool on;
    int dim;
    int64_t n, n_ctx;
    const ltx2_dit_io *io;
    float *x;               /* [n][dim] hidden state */
    int nu;                 /* distinct sigmas */
    float *usig;            /* [nu] */
    run *runs;
    int64_t nruns;
    float *mod, *emb;       /* [nu][6*dim], [nu][dim] */
    float *css, *cgate;     /* [nu][4*dim], [nu][dim] (AV) */
    float *vals, *cvals;    /* per block: table + modulation, [nu][6][dim], [nu][5][dim] */
    float *ctx;             /* [n_ctx][dim] projected text */
    float *kbias;           /* [n_ctx] or NULL */
    float *pe_cos, *pe_sin, *xpe_cos, *xpe_sin;
    dit_rope pe, xpe;
} prep;


float *dit_falloc(const kctx *kc, int64_t n)
{
    void *p = NULL;
    return k_arena_alloc(kc->arena, (size_t)(n > 0 ? n : 1) * sizeof(float), &p) == KS_OK ? p : NULL;
}

bool ltx2_dit_blocks_has(const ltx2_dit_blocks *b, int block)
{
    if (b->all)
        return true;
    for (int i = 0; i < b->n; i++)
        if (b->idx && b->idx[i] == block)
            return true;
    return false;
}

/* AdaLayerNormSingle at nu timesteps t[] (already scaled): mod [nu][coef*dim] and,
 * when emb_out is given, the embedded timestep [nu][dim]. */
static ltx2_status adaln_run(const kctx *kc, const ltx2_dit_adaln *a, int nu, const float *t,
                             float **mod_out, float **emb_out)
{
    const int64_t d = a->dim;
    /* emb and mod outlive the call (in the pass's arena); h is released */
    float *emb = dit_falloc(kc, (int64_t)nu * d), *mod = dit_falloc(kc, (int64_t)nu * a->coef * d);
    const kmark mark = k_arena_mark(kc->arena);
    float *h = dit_falloc(kc, (int64_t)nu * d);
    if (!h || !emb || !mod)
        return LTX2_ERR_OOM;
    ltx2_status st = lx_timestep_embed(kc, &a->l1, a->b1, &a->l2, a->b2, nu, t, emb);
    if (st != LTX2_OK)
        return st;
    kstatus ks = KS_OK;
    K_THEN(ks, k_silu(kc, emb, h, (int64_t)nu * d));
    K_THEN(ks, k_linear(kc, nu, h, d, &a->lin, NULL, a->blin, mod, a->coef * d, 0));
    k_arena_release(kc->arena, mark);
    if (ks != KS_OK)
        return ltx2_kstatus(ks);
    *mod_out = mod;
    if (emb_out)
        *emb_out = emb;
    return LTX2_OK;
}

/* A host copy of n floats of kc's backend for a debug dump (NULL on failure); free it
 * with host_view_done. On the CPU the data itself. */
static const float *host_view(const kctx *kc, const float *d, int64_t n)
{
    if (kc->backend == KB_CPU)
        return d;
    float *h = malloc((size_t)(n > 0 ? n : 1) * sizeof(float)); /* debug hooks only */
    if (h && k_copy(kc, h, d, (size_t)n * sizeof(float), K_D2H) != KS_OK) {
        free(h);
        return NULL;
    }
    return h;
}

static void host_view_done(const kctx *kc, const float *h)
{
    if (kc->backend != KB_CPU)
        free((void *)h);
}

/* Expands per-distinct rows [nu][cols] to per-token rows for a debug dump. */
static void dump_runs(const kctx *kc, const ltx2_dit_hooks *hk, const char *name, const prep *p,
                      const float *src_in, int64_t cols)
{
    if (!hk || !hk->dump)
        return;
    const float *src = host_view(kc, src_in, (int64_t)p->nu * cols);
    float *t = malloc((size_t)(p->n * cols) * sizeof(float)); /* debug hooks only */
    if (t && src) {
        for (int64_t r = 0; r < p->nruns; r++)
            for (int64_t i = 0; i < p->runs[r].len; i++)
                memcpy(t + (p->runs[r].start + i) * cols, src + (int64_t)p->runs[r].u * cols,
                       (size_t)cols * sizeof(float));
        hk->dump(hk->arg, name, t, p->n, cols);
    }
    free(t);
    if (src)
        host_view_done(kc, src);
}

static void dump(const kctx *kc, const ltx2_dit_hooks *hk, const char *name, const float *d, int64_t rows,
                 int64_t cols)
{
    if (!hk || !hk->dump)
        return;
    const float *h = host_view(kc, d, rows * cols);
    if (h) {
        hk->dump(hk->arg, name, h, rows, cols);
        host_view_done(kc, h);
    }
}

/* n floats of host memory in hkc's arena copied into kc's backend (the host data itself
 * on the CPU); NULL when an allocation or the copy fails. */
static float *to_backend(const kctx *kc, float *host, int64_t n)
{
    if (kc->backend == KB_CPU || !host)
        return host;
    float *d = dit_falloc(kc, n);
    if (d && k_copy(kc, d, host, (size_t)n * sizeof(float), K_H2D) != KS_OK)
        return NULL;
    return d;
}

/* s->sigma and context_mask are host memory here, the positions kc's (the RoPE tables
 * are computed where they are used); hkc is a CPU context whose arena takes the
 * host-side tables (kc itself on the CPU). */
static ltx2_status prep_stream(const ltx2_dit *m, const kctx *kc, const kctx *hkc, const ltx2_dit_stream *s,
                               bool audio, bool av, const ltx2_dit_hooks *hk, prep *p)
{
    const ltx2_dit_config *c = &m->cfg;
    const char *tag = audio ? "audio" : "video";
    char nm[64];
    p->on = true;
    p->io = audio ? &m->audio : &m->video;
    p->dim = audio ? c->a_dim : c->v_dim;
    p->n = s->n;
    p->n_ctx = s->n_ctx;
    const int64_t n = s->n, d = p->dim;

    /* distinct sigmas and the runs of tokens sharing one */
    void *runs = NULL;
    p->usig = dit_falloc(hkc, n);
    p->runs = k_arena_alloc(hkc->arena, (size_t)n * sizeof(run), &runs) == KS_OK ? runs : NULL;
    p->x = dit_falloc(kc, n * d);
    p->ctx = dit_falloc(kc, s->n_ctx * d);
    if (!p->usig || !p->runs || !p->x || !p->ctx)
        return LTX2_ERR_OOM;
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && memcmp(&s->sigma[j], &s->sigma[i], sizeof(float)) == 0)
            j++;
        int u = 0;
        while (u < p->nu && memcmp(&p->usig[u], &s->sigma[i], sizeof(float)) != 0)
            u++;
        if (u == p->nu)
            p->usig[p->nu++] = s->sigma[i];
        p->runs[p->nruns++] = (run){i, j - i, u};
        i = j;
    }

    /* patchify */
    kstatus ks = k_linear(kc, n, s->latent, p->io->patchify.cols, &p->io->patchify, NULL, p->io->b_patchify, p->x,
                          d, 0);
    if (ks != KS_OK)
        return ltx2_kstatus(ks);
    snprintf(nm, sizeof nm, "%s_x_in", tag);
    dump(kc, hk, nm, p->x, n, d);

    /* AdaLN: t = sigma * timestep_scale; the A<->V gate sees t * av_ca / timestep_scale */
    float *t = dit_falloc(hkc, p->nu), *tg = dit_falloc(hkc, p->nu); /* host values */
    if (!t || !tg)
        return LTX2_ERR_OOM;
    const float gate_factor = (float)(c->av_ca_timestep_scale / c->timestep_scale);
    for (int u = 0; u < p->nu; u++) {
        t[u] = p->usig[u] * (float)c->timestep_scale;
        tg[u] = t[u] * gate_factor;
    }
    ltx2_status st = adaln_run(kc, &p->io->adaln, p->nu, t, &p->mod, &p->emb);
    if (st == LTX2_OK && av)
        st = adaln_run(kc, &p->io->cross_ss, p->nu, t, &p->css, NULL);
    if (st == LTX2_OK && av)
        st = adaln_run(kc, &p->io->cross_gate, p->nu, tg, &p->cgate, NULL);
    if (st != LTX2_OK)
        return st;
    snprintf(nm, sizeof nm, "%s_adaln_timestep", tag);
    dump_runs(kc, hk, nm, p, p->mod, 6 * d);
    snprintf(nm, sizeof nm, "%s_embedded_timestep", tag);
    dump_runs(kc, hk, nm, p, p->emb, d);
    if (av) {
        snprintf(nm, sizeof nm, "%s_cross_scale_shift_timestep", tag);
        dump_runs(kc, hk, nm, p, p->css, 4 * d);
        snprintf(nm, sizeof nm, "%s_cross_gate_timestep", tag);
        dump_runs(kc, hk, nm, p, p->cgate, d);
    }
    p->vals = dit_falloc(kc, (int64_t)p->nu * 6 * d);
    p->cvals = av ? dit_falloc(kc, (int64_t)p->nu * 5 * d) : NULL;
    if (!p->vals || (av && !p->cvals))
        return LTX2_ERR_OOM;

    /* caption projection: linear_2(gelu_tanh(linear_1(ctx))) */
    const kmark mark = k_arena_mark(kc->arena);
    float *h = dit_falloc(kc, s->n_ctx * d);
    if (!h)
        return LTX2_ERR_OOM;
    K_THEN(ks, k_linear(kc, s->n_ctx, s->context, c->caption_channels, &p->io->cap1, NULL, p->io->b_cap1, h, d, 0));
    K_THEN(ks, k_gelu_tanh(kc, h, h, s->n_ctx * d));
    K_THEN(ks, k_linear(kc, s->n_ctx, h, d, &p->io->cap2, NULL, p->io->b_cap2, p->ctx, d, 0));
    k_arena_release(kc->arena, mark);
    if (ks != KS_OK)
        return ltx2_kstatus(ks);
    snprintf(nm, sizeof nm, "%s_context_projected", tag);
    dump(kc, hk, nm, p->ctx, s->n_ctx, d);
    if (s->context_mask) {
        float *kb = dit_falloc(hkc, s->n_ctx);
        if (!kb)
            return LTX2_ERR_OOM;
        /* reference: (mask - 1) * finfo.max; -1e30 keeps bf16 rounding finite */
        for (int64_t j = 0; j < s->n_ctx; j++)
            kb[j] = s->context_mask[j] > 0.5f ? 0.0f : -1e30f;
        if (!(p->kbias = to_backend(kc, kb, s->n_ctx)))
            return LTX2_ERR_OOM;
    }

    /* RoPE: self (3-D video / 1-D audio) and, for AV, the 1-D temporal cross tables */
    const krope_layout lay = c->rope_type == LTX2_ROPE_SPLIT ? KROPE_SPLIT : KROPE_INTERLEAVED;
    const int heads = audio ? c->a_heads : c->v_heads;
    p->pe_cos = dit_falloc(kc, n * (d / 2));
    p->pe_sin = dit_falloc(kc, n * (d / 2));
    if (!p->pe_cos || !p->pe_sin)
        return LTX2_ERR_OOM;
    ks = ltx2_dit_rope_tables(kc, c, n, audio ? 1 : 3, s->positions, audio ? c->a_max_pos : c->v_max_pos, (int)d,
                              kc->prec == KP_FAST, p->pe_cos, p->pe_sin);
    if (ks != KS_OK)
        return ltx2_kstatus(ks);
    p->pe = (dit_rope){p->pe_cos, p->pe_sin, (int)d, (int)d / heads, lay};
    snprintf(nm, sizeof nm, "%s_pe_cos", tag);
    dump(kc, hk, nm, p->pe_cos, n, d / 2);
    snprintf(nm, sizeof nm, "%s_pe_sin", tag);
    dump(kc, hk, nm, p->pe_sin, n, d / 2);
    if (av) {
        const int xd = c->a_ctx_dim;
        const double xmax[1] = {c->cross_max_pos};
        p->xpe_cos = dit_falloc(kc, n * (xd / 2));
        p->xpe_sin = dit_falloc(kc, n * (xd / 2));
        if (!p->xpe_cos || !p->xpe_sin)
            return LTX2_ERR_OOM;
        /* the time axis only: the first [n][2] rows of the positions */
        ltx2_dit_config cc = *c;
        cc.middle_indices = true;
        ks = ltx2_dit_rope_tables(kc, &cc, n, 1, s->positions, xmax, xd, kc->prec == KP_FAST, p->xpe_cos,
                                  p->xpe_sin);
        if (ks != KS_OK)
            return ltx2_kstatus(ks);
        p->xpe = (dit_rope){p->xpe_cos, p->xpe_sin, xd, xd / heads, lay};
        snprintf(nm, sizeof nm, "%s_cross_pe_cos", tag);
        dump(kc, hk, nm, p->xpe_cos, n, xd / 2);
        snprintf(nm, sizeof nm, "%s_cross_pe_sin", tag);
        dump(kc, hk, nm, p->xpe_sin, n, xd / 2);
    }
    return LTX2_OK;
}

/* vals[u][r] = table[r] + mod[u][r] for this block (bf16-rounded in fast precision). */
static kstatus block_values(const kctx *kc, prep *p, const float *sst, const float *sst_av)
{
    const int64_t d = p->dim;
    kstatus ks = KS_OK;
    for (int u = 0; u < p->nu; u++) {
        K_THEN(ks, k_add(kc, sst, p->mod + (int64_t)u * 6 * d, p->vals + (int64_t)u * 6 * d, 6 * d));
        if (sst_av && p->cvals) {
            float *cv = p->cvals + (int64_t)u * 5 * d;
            K_THEN(ks, k_add(kc, sst_av, p->css + (int64_t)u * 4 * d, cv, 4 * d));
            K_THEN(ks, k_add(kc, sst_av + 4 * d, p->cgate + (int64_t)u * d, cv + 4 * d, d));
        }
    }
    if (kc->prec == KP_FAST) {
        K_THEN(ks, k_round_bf16_on(kc, p->vals, (int64_t)p->nu * 6 * d));
        if (p->cvals && sst_av)
            K_THEN(ks, k_round_bf16_on(kc, p->cvals, (int64_t)p->nu * 5 * d));
    }
    return ks;
}

/* h = src*(1 + vals[u][rs]) + vals[u][rh] over each run (nrows rows per distinct sigma);
 * src may be h. */
static kstatus modulate_runs_from(const kctx *kc, const prep *p, const float *vals, int nrows, int rs, int rh,
                                  const float *src, float *h)
{
    const int64_t d = p->dim;
    kstatus ks = KS_OK;
    for (int64_t r = 0; r < p->nruns; r++) {
        const run *q = &p->runs[r];
        const float *v = vals + (int64_t)q->u * nrows * d;
        K_THEN(ks, k_modulate(kc, q->len, d, src + q->start * d, v + rs * d, v + rh * d, h + q->start * d));
    }
    return ks;
}

/* h = rms(x)*(1 + vals[u][rs]) + vals[u][rh] over each run: the AdaLN input in one op. */
static kstatus norm_modulate_runs(const kctx *kc, const prep *p, float eps, const float *vals, int nrows, int rs,
                                  int rh, const float *x, float *h)
{
    const int64_t d = p->dim;
    kstatus ks = KS_OK;
    for (int64_t r = 0; r < p->nruns; r++) {
        const run *q = &p->runs[r];
        const float *v = vals + (int64_t)q->u * nrows * d;
        K_THEN(ks, k_rmsnorm_modulate(kc, q->len, d, x + q->start * d, eps, v + rs * d, v + rh * d, h + q->start * d));
    }
    return ks;
}

static kstatus modulate_runs(const kctx *kc, const prep *p, const float *vals, int nrows, int rs, int rh, float *h)
{
    return modulate_runs_from(kc, p, vals, nrows, rs, rh, h, h);
}

/* x += vals[u][rg] * src over each run. */
static kstatus gate_runs(const kctx *kc, const prep *p, const float *vals, int nrows, int rg,
                         const float *src, float *x)
{
    const int64_t d = p->dim;
    kstatus ks = KS_OK;
    for (int64_t r = 0; r < p->nruns; r++) {
        const run *q = &p->runs[r];
        const float *v = vals + (int64_t)q->u * nrows * d;
        K_THEN(ks, k_gated_add(kc, q->len, d, src + q->start * d, v + rg * d, x + q->start * d));
    }
    return ks;
}

/* Self-attention (modulated, gated), then text cross-attention (plain residual). */
static ltx2_status stream_attn(const kctx *kc, float eps, prep *p, const ltx2_dit_attn *self,
                               const ltx2_dit_attn *text, bool skip_self)
{
    const int64_t n = p->n, d = p->dim;
    const kmark mark = k_arena_mark(kc->arena);
    float *h = dit_falloc(kc, n * d), *o = dit_falloc(kc, n * d);
    if (!h || !o)
        return LTX2_ERR_OOM;
    ltx2_status st = LTX2_OK;
    kstatus ks = KS_OK;
    if (!skip_self) {
        K_THEN(ks, norm_modulate_runs(kc, p, eps, p->vals, 6, 1, 0, p->x, h));
        st = ks ? ltx2_kstatus(ks) : lx_attention(kc, self, eps, n, h, n, h, &p->pe, &p->pe, NULL, o, 0);
        if (st == LTX2_OK)
            st = ltx2_kstatus(gate_runs(kc, p, p->vals, 6, 2, o, p->x));
    }
    if (st == LTX2_OK) {
        st = ltx2_kstatus(k_rmsnorm(kc, n, d, p->x, d, NULL, 0.0f, eps, h, d));
        if (st == LTX2_OK)
            st = lx_attention(kc, text, eps, n, h, p->n_ctx, p->ctx, NULL, NULL, p->kbias, o, 0);
        if (st == LTX2_OK)
            st = ltx2_kstatus(k_add(kc, p->x, o, p->x, n * d));
    }
    k_arena_release(kc->arena, mark);
    return st;
}

static ltx2_status stream_ff(const kctx *kc, float eps, prep *p, const ltx2_dit_ff *ff)
{
    const int64_t n = p->n, d = p->dim;
    const kmark mark = k_arena_mark(kc->arena);
    float *h = dit_falloc(kc, n * d), *o = dit_falloc(kc, n * d);
    if (!h || !o)
        return LTX2_ERR_OOM;
    kstatus ks = KS_OK;
    K_THEN(ks, norm_modulate_runs(kc, p, eps, p->vals, 6, 4, 3, p->x, h));
    ltx2_status st = ks ? ltx2_kstatus(ks) : lx_ff_run(kc, ff, n, h, o, 0);
    if (st == LTX2_OK)
        st = ltx2_kstatus(gate_runs(kc, p, p->vals, 6, 5, o, p->x));
    k_arena_release(kc->arena, mark);
    return st;
}

/* A<->V cross attention (spec 2.10 steps 5-8): both directions read the normalised
 * states taken before either update. Table rows: 0 scale_a2v, 1 shift_a2v,
 * 2 scale_v2a, 3 shift_v2a, 4 gate. */
static ltx2_status stream_av(const kctx *kc, float eps, const ltx2_dit_block *b, prep *V, prep *A,
                             bool skip_a2v, bool skip_v2a)
{
    if (skip_a2v && skip_v2a)
        return LTX2_OK;
    const int64_t nv = V->n, na = A->n, vd = V->dim, ad = A->dim;
    const kmark mark = k_arena_mark(kc->arena);
    float *nvx = dit_falloc(kc, nv * vd), *nax = dit_falloc(kc, na * ad);
    float *qv = dit_falloc(kc, nv * vd), *ka = dit_falloc(kc, na * ad);
    float *ov = dit_falloc(kc, nv * vd), *oa = dit_falloc(kc, na * ad);
    ltx2_status st = LTX2_ERR_OOM;
    if (!nvx || !nax || !qv || !ka || !ov || !oa)
        goto done;
    kstatus ks = KS_OK;
    K_THEN(ks, k_rmsnorm(kc, nv, vd, V->x, vd, NULL, 0.0f, eps, nvx, vd));
    K_THEN(ks, k_rmsnorm(kc, na, ad, A->x, ad, NULL, 0.0f, eps, nax, ad));
    if (!skip_a2v) {
        K_THEN(ks, modulate_runs_from(kc, V, V->cvals, 5, 0, 1, nvx, qv));
        K_THEN(ks, modulate_runs_from(kc, A, A->cvals, 5, 0, 1, nax, ka));
        if ((st = ltx2_kstatus(ks)) != LTX2_OK)
            goto done;
        st = lx_attention(kc, &b->a2v, eps, nv, qv, na, ka, &V->xpe, &A->xpe, NULL, ov, 0);
        if (st != LTX2_OK)
            goto done;
    }
    if (!skip_v2a) {
        K_THEN(ks, modulate_runs_from(kc, A, A->cvals, 5, 2, 3, nax, ka));
        K_THEN(ks, modulate_runs_from(kc, V, V->cvals, 5, 2, 3, nvx, qv));
        if ((st = ltx2_kstatus(ks)) != LTX2_OK)
            goto done;
        st = lx_attention(kc, &b->v2a, eps, na, ka, nv, qv, &A->xpe, &V->xpe, NULL, oa, 0);
        if (st != LTX2_OK)
            goto done;
    }
    if (!skip_a2v)
        K_THEN(ks, gate_runs(kc, V, V->cvals, 5, 4, ov, V->x));
    if (!skip_v2a)
        K_THEN(ks, gate_runs(kc, A, A->cvals, 5, 4, oa, A->x));
    st = ltx2_kstatus(ks);
done:
    k_arena_release(kc->arena, mark);
    return st;
}

static ltx2_status block_fwd(const ltx2_dit *m, const kctx *kc, int bi, prep *V,
                             prep *A, const ltx2_dit_perturb *pt, const ltx2_dit_hooks *hk)
{
    const ltx2_dit_block *b = &m->blocks[bi];
    const float eps = m->cfg.norm_eps;
    const bool av = V->on && A->on;
    static const ltx2_dit_perturb none = {{0}, {0}, {0}, {0}};
    if (!pt)
        pt = &none;
    kstatus ks = KS_OK;
    if (V->on)
        K_THEN(ks, block_values(kc, V, b->sst, av ? b->sst_a2v_video : NULL));
    if (A->on)
        K_THEN(ks, block_values(kc, A, b->audio_sst, av ? b->sst_a2v_audio : NULL));
    ltx2_status st = ltx2_kstatus(ks);
    if (st == LTX2_OK && V->on)
        st = stream_attn(kc, eps, V, &b->attn1, &b->attn2, ltx2_dit_blocks_has(&pt->skip_video_self, bi));
    if (st == LTX2_OK && A->on)
        st = stream_attn(kc, eps, A, &b->audio_attn1, &b->audio_attn2,
                         ltx2_dit_blocks_has(&pt->skip_audio_self, bi));
    if (st == LTX2_OK && av)
        st = stream_av(kc, eps, b, V, A, ltx2_dit_blocks_has(&pt->skip_a2v, bi),
                       ltx2_dit_blocks_has(&pt->skip_v2a, bi));
    if (st == LTX2_OK && V->on)
        st = stream_ff(kc, eps, V, &b->ff);
    if (st == LTX2_OK && A->on)
        st = stream_ff(kc, eps, A, &b->audio_ff);
    if (st == LTX2_OK && hk && hk->dump) {
        char nm[64];
        if (V->on) {
            snprintf(nm, sizeof nm, "block%d_video_x", bi);
            dump(kc, hk, nm, V->x, V->n, V->dim);
        }
        if (A->on) {
            snprintf(nm, sizeof nm, "block%d_audio_x", bi);
            dump(kc, hk, nm, A->x, A->n, A->dim);
        }
    }
    return st;
}

/* LayerNorm, x*(1 + sst[1] + emb) + (sst[0] + emb), proj_out. */
static ltx2_status head_fwd(const kctx *kc, float eps, prep *p, float *velocity)
{
    const int64_t n = p->n, d = p->dim;
    const kmark mark = k_arena_mark(kc->arena);
    float *h = dit_falloc(kc, n * d), *ss = dit_falloc(kc, 2 * d * (int64_t)p->nu);
    if (!h || !ss)
        return LTX2_ERR_OOM;
    kstatus ks = KS_OK;
    K_THEN(ks, k_layernorm(kc, n, d, p->x, d, eps, h, d));
    for (int u = 0; u < p->nu; u++) {
        K_THEN(ks, k_add(kc, p->io->sst_out, p->emb + (int64_t)u * d, ss + (int64_t)u * 2 * d, d));
        K_THEN(ks, k_add(kc, p->io->sst_out + d, p->emb + (int64_t)u * d, ss + (int64_t)u * 2 * d + d, d));
    }
    if (kc->prec == KP_FAST)
        K_THEN(ks, k_round_bf16_on(kc, ss, 2 * d * (int64_t)p->nu));
    K_THEN(ks, modulate_runs(kc, p, ss, 2, 1, 0, h));
    K_THEN(ks, k_linear(kc, n, h, d, &p->io->proj_out, NULL, p->io->b_proj_out, velocity, p->io->proj_out.rows,
                        0));
    k_arena_release(kc->arena, mark);
    return ltx2_kstatus(ks);
}

static ltx2_status check_stream(const ltx2_dit *m, const ltx2_dit_stream *s, bool audio, ltx2_error *err)
{
    const char *tag = audio ? "audio" : "video";
    if (audio ? !m->cfg.has_audio : !m->cfg.has_video)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s tokens given but the model has no %s stream", tag, tag);
    if (!s->latent || !s->sigma || !s->positions || !s->velocity)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: latent, sigma, positions and velocity are required", tag);
    if (!s->context || s->n_ctx < 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: a text context is required", tag);
    return LTX2_OK;
}

/* Chunks of the arena a forward makes when its caller gives none. */
#define DIT_ARENA_CHUNK ((size_t)16 << 20)
/* Chunks of the host arena a device forward makes for its host-side tables. */
#define DIT_HOST_CHUNK ((size_t)1 << 20)

/* *h = s with sigma and context_mask in host memory (copied from kc's device into hkc's
 * arena; s itself on the CPU). */
static kstatus host_stream(const kctx *kc, const kctx *hkc, const ltx2_dit_stream *s, ltx2_dit_stream *h)
{
    *h = *s;
    if (kc->backend == KB_CPU)
        return KS_OK;
    const struct {
        const float *src;
        const float **dst;
        int64_t n;
    } t[2] = {{s->sigma, &h->sigma, s->n}, {s->context_mask, &h->context_mask, s->n_ctx}};
    kstatus ks = KS_OK;
    for (int i = 0; i < 2 && ks == KS_OK; i++) {
        if (!t[i].src)
            continue;
        float *d = dit_falloc(hkc, t[i].n);
        ks = d ? k_copy(kc, d, t[i].src, (size_t)t[i].n * sizeof(float), K_D2H) : KS_OOM;
        *t[i].dst = d;
    }
    return ks;
}

/* Distinct values of n sigmas (host memory), bitwise as prep_stream finds them. Only
 * the start of each run of equal values is looked up, so the usual few runs cost O(n). */
static int distinct_sigmas(const float *s, int64_t n)
{
    int nu = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && memcmp(&s[i], &s[i - 1], sizeof(float)) == 0)
            continue;
        int64_t j = 0;
        while (j < i && memcmp(&s[j], &s[i], sizeof(float)) != 0)
            j++;
        nu += j == i;
    }
    return nu;
}

static ltx2_dit_tokens tokens_of(const ltx2_dit_stream *h, bool on)
{
    ltx2_dit_tokens t = {0};
    if (on)
        t = (ltx2_dit_tokens){h->n, h->n_ctx, distinct_sigmas(h->sigma, h->n), h->context_mask != NULL};
    return t;
}

/* The weights on kc's backend placed under its budget for a pass of these token counts
 * (the pre-run memory check); *mem: the pass's workspace. */
static ltx2_status place(const ltx2_dit *m, const kctx *kc, const ltx2_dit_tokens *vt, const ltx2_dit_tokens *at,
                         const ltx2_dit **w, ltx2_dit_mem *mem, char *what, size_t what_size, ltx2_error *err)
{
    static const ltx2_dit_tokens none = {0};
    vt = vt ? vt : &none;
    at = at ? at : &none;
    *mem = ltx2_dit_workspace(m, kc, vt, at);
    snprintf(what, what_size, "%lld video + %lld audio tokens, %lld text tokens", (long long)vt->n,
             (long long)at->n, (long long)(vt->n_ctx > at->n_ctx ? vt->n_ctx : at->n_ctx));
    const lx_mem_ask ask = {.workspace = mem->total, .workspace_new = mem->fresh, .workspace_for = what};
    return ltx2_dit_on(m, kc, &ask, w, err);
}

ltx2_status ltx2_dit_prepare(const ltx2_dit *m, const kctx *kc, const ltx2_dit_tokens *video,
                             const ltx2_dit_tokens *audio, ltx2_error *err)
{
    const ltx2_dit *w = NULL;
    ltx2_dit_mem mem;
    char what[160];
    return place(m, kc, video, audio, &w, &mem, what, sizeof what, err);
}

/* place() for this pass's streams, then the arena reserved for the pass's peak. */
static ltx2_status place_pass(const ltx2_dit *m, const kctx *kc, const ltx2_dit_stream *vh, bool von,
                              const ltx2_dit_stream *ah, bool aon, const ltx2_dit **w, ltx2_error *err)
{
    const ltx2_dit_tokens vt = tokens_of(vh, von), at = tokens_of(ah, aon);
    ltx2_dit_mem mem;
    char what[160];
    ltx2_status st = place(m, kc, &vt, &at, w, &mem, what, sizeof what, err);
    if (st != LTX2_OK)
        return st;
    kstatus ks = k_arena_reserve(kc->arena, mem.arena);
    if (ks != KS_OK)
        return ltx2_err(err, ltx2_kstatus(ks),
                        "transformer forward: the workspace for %s needs %zu bytes (%.2f GiB): %s", what, mem.arena,
                        (double)mem.arena / (1u << 30), k_status_name(ks));
    return LTX2_OK;
}

ltx2_status ltx2_dit_forward(const ltx2_dit *m, const kctx *kc_in, const ltx2_dit_stream *video,
                             const ltx2_dit_stream *audio, const ltx2_dit_perturb *perturb,
                             const ltx2_dit_hooks *hooks, ltx2_error *err)
{
    const bool von = video && video->n > 0, aon = audio && audio->n > 0;
    ltx2_status st;
    if (!von && !aon)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "transformer forward: no video or audio tokens");
    if (von && (st = check_stream(m, video, false, err)) != LTX2_OK)
        return st;
    if (aon && (st = check_stream(m, audio, true, err)) != LTX2_OK)
        return st;
    const bool av = von && aon;
    /* Activations and kernel scratch come from the pass's arena: the caller's (kept warm
     * across the passes of a sampler) or one made for this call. */
    kctx kcl = *kc_in;
    karena *own = NULL;
    if (!kcl.arena) {
        kstatus ks = k_arena_create(&kcl, DIT_ARENA_CHUNK, 0, &own);
        if (ks != KS_OK)
            return ltx2_kerr(err, ks, "transformer forward: workspace");
        kcl.arena = own;
    }
    const kctx *kc = &kcl;
    const kmark mark = k_arena_mark(kc->arena);
    /* Host-side tables (distinct sigmas, RoPE, key bias) go to the pass's arena on the
     * CPU, to a host arena of this call on a device. */
    kctx hkcl = kctx_default(kc->pool);
    karena *host_own = NULL;
    kstatus hks = KS_OK;
    if (kc->backend == KB_CPU)
        hkcl = kcl;
    else
        K_THEN(hks, k_arena_create(&hkcl, DIT_HOST_CHUNK, 0, &host_own));
    hkcl.arena = kc->backend == KB_CPU ? kc->arena : host_own;
    const kctx *hkc = &hkcl;
    ltx2_dit_stream vh = {0}, ah = {0};
    if (von)
        K_THEN(hks, host_stream(kc, hkc, video, &vh));
    if (aon)
        K_THEN(hks, host_stream(kc, hkc, audio, &ah));
    const ltx2_dit *w = m; /* the weights on kc's backend */
    if (hks != KS_OK)
        st = ltx2_kerr(err, hks, "transformer forward: inputs");
    else
        st = place_pass(m, kc, &vh, von, &ah, aon, &w, err);
    /* a streamed model's first uploads overlap the preparation */
    const ltx2_dit *base = m;
    kstatus pks = st == LTX2_OK ? ltx2_dit_pass_begin(base) : KS_OK;
    if (pks != KS_OK)
        st = ltx2_kerr(err, pks, "transformer forward: weight streaming");
    if (st != LTX2_OK) {
        k_arena_destroy(host_own);
        k_arena_release(kc->arena, mark);
        k_arena_destroy(own);
        return st;
    }
    m = w;
    /* Both streams run in the context's precision. The audio stream once stayed in f32
     * in fast precision (guidance at audio cfg 7 lifts its bf16 rounding to 1.08e-2 of
     * the f32 result on the sampler_cfg fixture), but on a GPU that cost ~100 ms of a
     * 560 ms 19B forward (f32 GEMMs without TF32, the bf16 weights widened per call),
     * and the official reference runs it in bf16 too. */
    prep V = {0}, A = {0};
    st = LTX2_OK;
    if (von)
        st = prep_stream(m, kc, hkc, &vh, false, av, hooks, &V);
    if (st == LTX2_OK && aon)
        st = prep_stream(m, kc, hkc, &ah, true, av, hooks, &A);
    for (int i = 0; st == LTX2_OK && i < m->cfg.num_layers; i++) {
        if (hooks && hooks->tick && hooks->tick(hooks->arg, i, m->cfg.num_layers)) {
            st = LTX2_CANCELLED;
            break;
        }
        /* a streamed block: its upload is waited for on the device, its slot freed after */
        st = ltx2_kstatus(ltx2_dit_block_begin(base, i));
        if (st == LTX2_OK)
            st = block_fwd(m, kc, i, &V, &A, perturb, hooks);
        if (st == LTX2_OK)
            st = ltx2_kstatus(ltx2_dit_block_end(base, i));
    }
    ltx2_dit_pass_end(base);
    if (st == LTX2_OK && von)
        st = head_fwd(kc, m->cfg.norm_eps, &V, video->velocity);
    if (st == LTX2_OK && aon)
        st = head_fwd(kc, m->cfg.norm_eps, &A, audio->velocity);
    k_arena_release(kc->arena, mark);
    k_arena_destroy(host_own);
    k_arena_destroy(own);
    if (st == LTX2_ERR_OOM)
        return ltx2_err(err, st, "transformer forward: out of memory");
    if (st == LTX2_CANCELLED)
        return ltx2_err(err, st, "transformer forward: cancelled");
    if (st != LTX2_OK)
        return ltx2_err(err, st, "transformer forward: a kernel refused its arguments or backend");
    return st;
}
