/* dit_memory.c — the memory one transformer forward needs beside its weights
 * (ltx2_dit_workspace), derived from the allocations the code makes: the forward's arena
 * (dit_forward.c: the per-stream state of prep_stream, then one phase of a block at a
 * time: stream_attn, stream_av, stream_ff, head_fwd), the attention's projections
 * (nodes/common/layers.c lx_attention), the feed-forward's hidden chunk
 * (kernels/feedforward.c), and the device scratch each kernel asks for
 * (kcuda_*_scratch). Keep it in step with them: the GPU fixture test compares it with the
 * arena's and the device's measured peaks. */
#include "dit_internal.h"

#include "cuda/kcuda.h"

#define ARENA_ALIGN 64       /* karena rounds every allocation up to this */
#define FF_CHUNK_DEVICE 8192 /* kernels/feedforward.c: rows per hidden chunk on a device */
#define FF_CHUNK_CPU 1024

/* An arena allocation of n floats (dit_falloc, layers.c falloc). */
static size_t fl(int64_t n)
{
    const size_t b = (size_t)(n > 0 ? n : 1) * sizeof(float);
    return (b + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

/* One stream as the forward runs it. */
typedef struct side {
    bool on;
    int64_t n, n_ctx, d, ix; /* ix: the A<->V inner width */
    int nu;
    bool mask;
    kprec prec;
    const ltx2_dit_io *io;
} side;

static side side_of(const ltx2_dit *m, const ltx2_dit_tokens *t, bool audio, kprec prec)
{
    side s = {0};
    if (!t || t->n <= 0)
        return s;
    s.on = true;
    s.n = t->n;
    s.n_ctx = t->n_ctx;
    s.nu = t->nu > 0 ? t->nu : 1;
    s.mask = t->mask;
    s.d = audio ? m->cfg.a_dim : m->cfg.v_dim;
    s.ix = m->cfg.a_ctx_dim;
    s.prec = prec;
    s.io = audio ? &m->audio : &m->video;
    return s;
}

/* prep_stream's allocations that live through the pass. */
static size_t persistent(const side *s, bool av, bool cpu)
{
    if (!s->on)
        return 0;
    const int64_t n = s->n, d = s->d, nu = s->nu;
    size_t b = fl(n * d) + fl(s->n_ctx * d);            /* x, projected context */
    b += fl(nu * d) + fl(nu * 6 * d);                   /* AdaLN emb, mod */
    if (av)
        b += fl(nu * d) + fl(nu * 4 * d) + fl(nu * d) + fl(nu * d); /* cross scale/shift and gate */
    b += fl(nu * 6 * d) + (av ? fl(nu * 5 * d) : 0);    /* per-block values */
    if (s->mask)
        b += fl(s->n_ctx);                              /* key bias */
    b += 2 * fl(n * (d / 2));                           /* RoPE cos, sin */
    if (av)
        b += 2 * fl(n * (s->ix / 2));                   /* cross RoPE cos, sin */
    if (cpu) /* the host tables share the arena on the CPU: sigmas, runs, timesteps */
        b += fl(n) + fl(n * 8) + 2 * fl(nu);
    return b;
}

static bool ff_fused(const kctx *kc, const side *s, const ltx2_dit_ff *ff)
{
    return kc->backend == KB_CUDA && kcuda_feedforward_scratch(kc->cuda, s->prec, s->n, &ff->w1, &ff->w2) > 0;
}

/* The largest temporary phase of a pass on top of the persistent state. */
static size_t phase_peak(const ltx2_dit *m, const kctx *kc, const side *v, const side *a)
{
    const bool cpu = kc->backend == KB_CPU;
    size_t peak = 0;
    const side *both[2] = {v, a};
    for (int k = 0; k < 2; k++) {
        const side *s = both[k];
        if (!s->on)
            continue;
        const int64_t n = s->n, d = s->d, nu = s->nu;
        /* prep: AdaLN temporaries (h; lx_timestep_embed feat, h), caption projection h */
        peak = max2(peak, max2(fl(nu * d) + fl(nu * 256) + fl(nu * d), fl(s->n_ctx * d)));
        /* stream_attn: h, o, then lx_attention's q, k, v, o (self: n keys; text: n_ctx) */
        peak = max2(peak, 2 * fl(n * d) + max2(4 * fl(n * d), 2 * fl(n * d) + 2 * fl(s->n_ctx * d)));
        /* stream_ff: h, o, and the hidden chunk when the FFN is not fused */
        size_t ff = 0;
        for (int i = 0; i < m->cfg.num_layers; i++) {
            const ltx2_dit_ff *f = k == 0 ? &m->blocks[i].ff : &m->blocks[i].audio_ff;
            if (!ff_fused(kc, s, f)) {
                const int64_t cap = cpu ? FF_CHUNK_CPU : FF_CHUNK_DEVICE;
                ff = max2(ff, fl((n < cap ? n : cap) * f->hidden));
            }
        }
        peak = max2(peak, 2 * fl(n * d) + ff);
        /* head_fwd: h, the shift/scale rows */
        peak = max2(peak, fl(n * d) + fl(2 * d * nu));
    }
    if (v->on && a->on) /* stream_av: six normalised copies, then one direction's q, k, v, o */
        peak = max2(peak, 3 * (fl(v->n * v->d) + fl(a->n * a->d)) + 2 * fl(v->n * v->ix) + 2 * fl(a->n * a->ix));
    return peak;
}

/* ---------------------------------------------------------------- device scratch */
typedef struct scratch_max {
    const kcuda *d;
    size_t mx;
} scratch_max;

static void lin(scratch_max *sm, kprec prec, int64_t rows, const kmat *w)
{
    if (w->rows > 0)
        sm->mx = max2(sm->mx, kcuda_linear_scratch(sm->d, prec, rows, w));
}

static void adaln(scratch_max *sm, kprec prec, int nu, const ltx2_dit_adaln *a)
{
    lin(sm, prec, nu, &a->l1);
    lin(sm, prec, nu, &a->l2);
    lin(sm, prec, nu, &a->lin);
}

/* lx_attention: projections of nq query and nkv key rows, then the attention kernel. */
static void attn(scratch_max *sm, kprec prec, int64_t nq, int64_t nkv, const lx_attn *a)
{
    lin(sm, prec, nq, &a->q);
    lin(sm, prec, nkv, &a->k);
    lin(sm, prec, nkv, &a->v);
    lin(sm, prec, nq, &a->o);
    sm->mx = max2(sm->mx, kcuda_attention_scratch(sm->d, prec, nq, nkv, a->heads, a->heads, a->head_dim));
}

static void ff_scratch(scratch_max *sm, const side *s, const lx_ff *f)
{
    const size_t fused = kcuda_feedforward_scratch(sm->d, s->prec, s->n, &f->w1, &f->w2);
    if (fused) {
        sm->mx = max2(sm->mx, fused);
        return;
    }
    const int64_t rows = s->n < FF_CHUNK_DEVICE ? s->n : FF_CHUNK_DEVICE;
    lin(sm, s->prec, rows, &f->w1);
    lin(sm, s->prec, rows, &f->w2);
}

static size_t device_scratch(const ltx2_dit *m, const kctx *kc, const side *v, const side *a)
{
    scratch_max sm = {kc->cuda, 0};
    const bool av = v->on && a->on;
    const side *both[2] = {v, a};
    for (int k = 0; k < 2; k++) {
        const side *s = both[k];
        if (!s->on)
            continue;
        lin(&sm, s->prec, s->n, &s->io->patchify);
        adaln(&sm, s->prec, s->nu, &s->io->adaln);
        if (av) {
            adaln(&sm, s->prec, s->nu, &s->io->cross_ss);
            adaln(&sm, s->prec, s->nu, &s->io->cross_gate);
        }
        lin(&sm, s->prec, s->n_ctx, &s->io->cap1);
        lin(&sm, s->prec, s->n_ctx, &s->io->cap2);
        lin(&sm, s->prec, s->n, &s->io->proj_out);
        for (int i = 0; i < m->cfg.num_layers; i++) {
            const ltx2_dit_block *b = &m->blocks[i];
            attn(&sm, s->prec, s->n, s->n, k == 0 ? &b->attn1 : &b->audio_attn1);
            attn(&sm, s->prec, s->n, s->n_ctx, k == 0 ? &b->attn2 : &b->audio_attn2);
            ff_scratch(&sm, s, k == 0 ? &b->ff : &b->audio_ff);
        }
    }
    for (int i = 0; av && i < m->cfg.num_layers; i++) { /* stream_av runs on the video context */
        attn(&sm, v->prec, v->n, a->n, &m->blocks[i].a2v);
        attn(&sm, v->prec, a->n, v->n, &m->blocks[i].v2a);
    }
    return sm.mx ? kcuda_scratch_rounded(kc->cuda, sm.mx) : 0;
}

ltx2_dit_mem ltx2_dit_workspace(const ltx2_dit *m, const kctx *kc, const ltx2_dit_tokens *video,
                                const ltx2_dit_tokens *audio)
{
    /* the audio stream runs in exact precision in both (dit_forward.c) */
    const side v = side_of(m, video, false, kc->prec), a = side_of(m, audio, true, KP_EXACT);
    const bool cpu = kc->backend == KB_CPU, av = v.on && a.on;
    ltx2_dit_mem r = {0};
    r.arena = persistent(&v, av, cpu) + persistent(&a, av, cpu) + phase_peak(m, kc, &v, &a);
    r.scratch = kc->backend == KB_CUDA ? device_scratch(m, kc, &v, &a) : 0;
    r.total = r.arena + r.scratch;
    r.fresh = kc->arena ? k_arena_fresh_for(kc->arena, r.arena) : r.arena;
    if (kc->backend == KB_CUDA) {
        const size_t held = kcuda_scratch_held(kc->cuda);
        r.fresh += r.scratch > held ? r.scratch - held : 0;
    }
    return r;
}
