/* bench_transformer.c — one full LTX-2 AV transformer block at the 19B widths (video
 * 32x128 = 4096, audio 32x64 = 2048, FFN x4) on 1024 video + 32 audio tokens with
 * random bf16 weights: a one-layer model run through ltx2_dit_forward (exact and fast).
 * The flop count is the block's; the per-pass preparation (patchify, AdaLN, a small
 * caption projection) and the output head add about 1% that is timed but not counted.
 * The GEMM reference rate is k_linear on the block's dominant shape (1024x4096x4096 bf16). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "transformer/transformer.h"

#define MAX_BUFS 512
typedef struct tb_state {
    ltx2_dit *m;
    void *bufs[MAX_BUFS];
    int n_bufs;
    uint64_t seed;
    kctx kc;
    ltx2_dit_stream v, a;
    int oom;
} tb_state;

static void *keep(tb_state *s, void *p)
{
    if (!p || s->n_bufs >= MAX_BUFS) {
        s->oom = 1;
        free(p);
        return NULL;
    }
    return s->bufs[s->n_bufs++] = p;
}

static kmat mk(tb_state *s, int64_t rows, int64_t cols)
{
    uint16_t *w = keep(s, malloc((size_t)(rows * cols) * 2));
    if (w) {
        uint64_t x = ++s->seed * 0x9E3779B97F4A7C15ull;
        for (int64_t i = 0; i < rows * cols; i++) { /* small random bf16 values (~1/sqrt(cols)) */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            w[i] = k_f32_to_bf16(((float)(x >> 40) / (float)(1 << 24) - 0.5f) * 2.0f / (float)cols);
        }
    }
    return (kmat){KD_BF16, w, rows, cols, cols, 1.0f};
}

/* vectors are owned by the model (freed by ltx2_dit_release) */
static float *vec(tb_state *s, int64_t n, float v)
{
    float *p = malloc((size_t)n * sizeof(float));
    if (!p) {
        s->oom = 1;
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        p[i] = v;
    return p;
}

static void mk_attn(tb_state *s, ltx2_dit_attn *a, int qdim, int kvdim, int heads, int hd, int outdim)
{
    const int inner = heads * hd;
    a->heads = heads, a->head_dim = hd;
    a->q = mk(s, inner, qdim), a->k = mk(s, inner, kvdim), a->v = mk(s, inner, kvdim), a->o = mk(s, outdim, inner);
    a->bq = vec(s, inner, 0.01f), a->bk = vec(s, inner, 0.01f), a->bv = vec(s, inner, 0.01f);
    a->bo = vec(s, outdim, 0.01f), a->q_norm = vec(s, inner, 1.0f), a->k_norm = vec(s, inner, 1.0f);
}

static void mk_ff(tb_state *s, ltx2_dit_ff *f, int dim)
{
    f->hidden = 4 * dim;
    f->w1 = mk(s, f->hidden, dim), f->w2 = mk(s, dim, f->hidden);
    f->b1 = vec(s, f->hidden, 0.01f), f->b2 = vec(s, dim, 0.01f);
}

static void mk_adaln(tb_state *s, ltx2_dit_adaln *a, int dim, int coef)
{
    a->dim = dim, a->coef = coef;
    a->l1 = mk(s, dim, 256), a->l2 = mk(s, dim, dim), a->lin = mk(s, (int64_t)coef * dim, dim);
    a->b1 = vec(s, dim, 0.0f), a->b2 = vec(s, dim, 0.0f), a->blin = vec(s, (int64_t)coef * dim, 0.0f);
}

static void mk_io(tb_state *s, ltx2_dit_io *io, int dim, int cap)
{
    io->patchify = mk(s, dim, 128), io->proj_out = mk(s, 128, dim);
    io->cap1 = mk(s, dim, cap), io->cap2 = mk(s, dim, dim);
    io->b_patchify = vec(s, dim, 0), io->b_proj_out = vec(s, 128, 0);
    io->b_cap1 = vec(s, dim, 0), io->b_cap2 = vec(s, dim, 0), io->sst_out = vec(s, 2 * (int64_t)dim, 0.1f);
    mk_adaln(s, &io->adaln, dim, 6), mk_adaln(s, &io->cross_ss, dim, 4), mk_adaln(s, &io->cross_gate, dim, 1);
}

static void run_forward(void *arg)
{
    tb_state *s = arg;
    ltx2_error err;
    ltx2_dit_forward(s->m, &s->kc, &s->v, &s->a, NULL, NULL, &err);
}

static void run_gemm(void *arg)
{
    void **p = arg;
    const kmat *w = p[0];
    BENCH_OK(k_linear(p[3], 1024, p[1], w->cols, w, NULL, NULL, p[2], w->rows, 0));
}

void bench_transformer(bench *b)
{
    if (!bench_selected(b, "transformer_block"))
        return;
    const int VD = 4096, AD = 2048, CAP = 128, NV = 1024, NA = 32, NCTX = 128;
    tb_state *s = calloc(1, sizeof *s);
    ltx2_dit *m = s ? calloc(1, sizeof *m) : NULL;
    if (!m || !(m->blocks = calloc(1, sizeof *m->blocks))) {
        bench_row(b, "transformer_block", "transformer block", 0, 0, "out of memory");
        free(m), free(s);
        return;
    }
    s->m = m;
    atomic_init(&m->refs, 1);
    ltx2_dit_config *c = &m->cfg;
    *c = (ltx2_dit_config){.has_video = true, .has_audio = true, .num_layers = 1, .v_heads = 32, .v_head_dim = 128,
                           .v_dim = VD, .v_in = 128, .v_out = 128, .v_ctx_dim = VD, .v_max_pos = {20, 2048, 2048},
                           .a_heads = 32, .a_head_dim = 64, .a_dim = AD, .a_in = 128, .a_out = 128, .a_ctx_dim = AD,
                           .a_max_pos = {20}, .caption_channels = CAP, .theta = 10000.0, .timestep_scale = 1000.0,
                           .av_ca_timestep_scale = 1000.0, .cross_max_pos = 20, .norm_eps = 1e-6f,
                           .rope_type = LTX2_ROPE_SPLIT, .rope_f64 = true, .middle_indices = true};
    mk_io(s, &m->video, VD, CAP);
    mk_io(s, &m->audio, AD, CAP);
    ltx2_dit_block *bl = &m->blocks[0];
    mk_attn(s, &bl->attn1, VD, VD, 32, 128, VD), mk_attn(s, &bl->attn2, VD, VD, 32, 128, VD);
    mk_attn(s, &bl->audio_attn1, AD, AD, 32, 64, AD), mk_attn(s, &bl->audio_attn2, AD, AD, 32, 64, AD);
    mk_attn(s, &bl->a2v, VD, AD, 32, 64, VD), mk_attn(s, &bl->v2a, AD, VD, 32, 64, AD);
    mk_ff(s, &bl->ff, VD), mk_ff(s, &bl->audio_ff, AD);
    bl->sst = vec(s, 6 * VD, 0.05f), bl->audio_sst = vec(s, 6 * AD, 0.05f);
    bl->sst_a2v_video = vec(s, 5 * VD, 0.05f), bl->sst_a2v_audio = vec(s, 5 * AD, 0.05f);
    /* inputs: latent, sigmas (first frame clean), grid positions 4 x 16 x 16, context */
    float *vl = keep(s, malloc((size_t)NV * 128 * 4)), *al = keep(s, malloc((size_t)NA * 128 * 4));
    float *vs = keep(s, malloc((size_t)NV * 4)), *as = keep(s, malloc((size_t)NA * 4));
    float *vp = keep(s, malloc((size_t)NV * 6 * 4)), *ap = keep(s, malloc((size_t)NA * 2 * 4));
    float *ctx = keep(s, malloc((size_t)NCTX * CAP * 4));
    float *vo = keep(s, malloc((size_t)NV * 128 * 4)), *ao = keep(s, malloc((size_t)NA * 128 * 4));
    if (s->oom) {
        bench_row(b, "transformer_block", "transformer block", 0, 0, "out of memory");
    } else {
        bench_fill(vl, NV * 128, 1), bench_fill(al, NA * 128, 2), bench_fill(ctx, NCTX * CAP, 3);
        for (int i = 0; i < NV; i++)
            vs[i] = i < 256 ? 0.0f : 0.7f;
        for (int i = 0; i < NA; i++)
            as[i] = 0.7f;
        ltx2_dit_video_positions(&LTX2_LATENT_GEOM_DEFAULT, 4, 16, 16, 24.0, true, vp);
        ltx2_dit_audio_positions(&LTX2_LATENT_GEOM_DEFAULT, NA, ap);
        s->v = (ltx2_dit_stream){NV, vl, vs, vp, ctx, NCTX, NULL, vo};
        s->a = (ltx2_dit_stream){NA, al, as, ap, ctx, NCTX, NULL, ao};
        /* block flops: linear layers 2*m*n*k, attention 4*nq*nkv*inner */
        const double v = NV, a = NA, L = NCTX;
        double fl = 2 * v * (4.0 * VD * VD) + 4 * v * v * VD;             /* attn1 */
        fl += 2 * v * (2.0 * VD * VD) + 2 * L * (2.0 * VD * VD) + 4 * v * L * VD; /* attn2 */
        fl += 2 * a * (4.0 * AD * AD) + 4 * a * a * AD;                   /* audio_attn1 */
        fl += 2 * a * (2.0 * AD * AD) + 2 * L * (2.0 * AD * AD) + 4 * a * L * AD;
        fl += 2 * v * (2.0 * VD * AD) + 2 * a * (2.0 * AD * AD) + 4 * v * a * AD; /* a2v */
        fl += 2 * a * (2.0 * AD * AD) + 2 * v * (2.0 * VD * AD) + 4 * a * v * AD; /* v2a */
        fl += 2 * v * (8.0 * VD * VD) + 2 * a * (8.0 * AD * AD);          /* FFNs */
        /* GEMM reference rate on the dominant shape */
        float *gy = keep(s, malloc((size_t)NV * VD * 4)), *gx = keep(s, malloc((size_t)NV * VD * 4));
        kmat gw = bl->attn1.q;
        const char *tags[2] = {"exact", "fast"};
        for (int p = 0; p < 2 && gx && gy; p++) {
            s->kc = kctx_default(bench_pool(b));
            s->kc.prec = p ? KP_FAST : KP_EXACT;
            bench_fill(gx, (int64_t)NV * VD, 4);
            void *ga[4] = {&gw, gx, gy, &s->kc};
            char key[64], label[96];
            double tg = bench_time(run_gemm, ga, 3, 5.0);
            snprintf(key, sizeof key, "transformer_gemm_%s", tags[p]);
            snprintf(label, sizeof label, "k_linear %s bf16w 1024x4096x4096", tags[p]);
            bench_row(b, key, label, 2.0 * NV * VD * VD, tg, "reference rate for the block");
            double t = bench_time(run_forward, s, 2, 20.0);
            snprintf(key, sizeof key, "transformer_block_%s", tags[p]);
            snprintf(label, sizeof label, "AV block 19B widths, %s, 1024v+32a tokens", tags[p]);
            bench_row(b, key, label, fl, t, "1-layer ltx2_dit_forward, random bf16 weights");
            if (t > 0 && tg > 0) {
                snprintf(key, sizeof key, "transformer_block_%s_vs_gemm", tags[p]);
                bench_ratio(b, key, (fl / t) / (2.0 * NV * VD * VD / tg));
            }
        }
    }
    for (int i = 0; i < s->n_bufs; i++)
        free(s->bufs[i]);
    ltx2_dit_release(m);
    free(s);
}
