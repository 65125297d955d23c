/* bench_dit_model.c — see bench_dit_model.h. */
#include "bench_dit_model.h"

#include <stdlib.h>
#include <string.h>

#define POOL_ELEMS ((int64_t)6 * 4096 * 4096) /* the largest matrix: the video AdaLN projection */

struct bench_dit {
    ltx2_dit *m;
    void **bufs; /* matrices owned here (the model owns its vectors) */
    int fp8;     /* matrices in E4M3 (one byte each) instead of bf16 */
    int n_bufs, cap_bufs;
    uint8_t *pool;
    int64_t pool_at;
    uint64_t seed;
    int oom;
};

/* Uniform values in ±2/cols: bf16 as they are, E4M3 as ±1 (the scale 2/cols is the kmat's). */
static void fill(void *w, int fp8, int64_t n, int64_t cols, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const float u = ((float)(x >> 40) / (float)(1 << 24) - 0.5f) * 2.0f;
        if (fp8)
            ((uint8_t *)w)[i] = k_f32_to_e4m3(u);
        else
            ((uint16_t *)w)[i] = k_f32_to_bf16(u * 2.0f / (float)cols);
    }
}

static kmat mk(bench_dit *d, int64_t rows, int64_t cols)
{
    const int64_t n = rows * cols;
    const size_t es = d->fp8 ? 1 : 2;
    uint8_t *w = NULL;
    if (d->pool) { /* a slice of the pool, wrapping around */
        if (d->pool_at + n > POOL_ELEMS) d->pool_at = 0;
        w = d->pool + d->pool_at * (int64_t)es;
        d->pool_at += n / 3 + 1;
    } else {
        if (d->n_bufs == d->cap_bufs) {
            int cap = d->cap_bufs ? 2 * d->cap_bufs : 64;
            void **nb = realloc(d->bufs, sizeof *nb * (size_t)cap);
            if (!nb) {
                d->oom = 1;
                return (kmat){0};
            }
            d->bufs = nb, d->cap_bufs = cap;
        }
        if (!(w = malloc((size_t)n * es))) {
            d->oom = 1;
            return (kmat){0};
        }
        d->bufs[d->n_bufs++] = w;
        fill(w, d->fp8, n, cols, ++d->seed);
    }
    if (d->fp8) return (kmat){KD_F8_E4M3, w, rows, cols, cols, 2.0f / (float)cols};
    return (kmat){KD_BF16, w, rows, cols, cols, 1.0f};
}

static float *vec(bench_dit *d, int64_t n, float v)
{
    float *p = malloc((size_t)n * sizeof(float));
    if (!p) {
        d->oom = 1;
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) p[i] = v;
    return p;
}

static void mk_attn(bench_dit *d, ltx2_dit_attn *a, int qdim, int kvdim, int heads, int hd, int outdim)
{
    const int inner = heads * hd;
    a->heads = heads, a->head_dim = hd;
    a->q = mk(d, inner, qdim), a->k = mk(d, inner, kvdim), a->v = mk(d, inner, kvdim), a->o = mk(d, outdim, inner);
    a->bq = vec(d, inner, 0.01f), a->bk = vec(d, inner, 0.01f), a->bv = vec(d, inner, 0.01f);
    a->bo = vec(d, outdim, 0.01f), a->q_norm = vec(d, inner, 1.0f), a->k_norm = vec(d, inner, 1.0f);
}

static void mk_ff(bench_dit *d, ltx2_dit_ff *f, int dim)
{
    f->hidden = 4 * dim;
    f->w1 = mk(d, f->hidden, dim), f->w2 = mk(d, dim, f->hidden);
    f->b1 = vec(d, f->hidden, 0.01f), f->b2 = vec(d, dim, 0.01f);
}

static void mk_adaln(bench_dit *d, ltx2_dit_adaln *a, int dim, int coef)
{
    a->dim = dim, a->coef = coef;
    a->l1 = mk(d, dim, 256), a->l2 = mk(d, dim, dim), a->lin = mk(d, (int64_t)coef * dim, dim);
    a->b1 = vec(d, dim, 0.0f), a->b2 = vec(d, dim, 0.0f), a->blin = vec(d, (int64_t)coef * dim, 0.0f);
}

static void mk_io(bench_dit *d, ltx2_dit_io *io, int dim, int cap)
{
    io->patchify = mk(d, dim, 128), io->proj_out = mk(d, 128, dim);
    io->cap1 = mk(d, dim, cap), io->cap2 = mk(d, dim, dim);
    io->b_patchify = vec(d, dim, 0), io->b_proj_out = vec(d, 128, 0);
    io->b_cap1 = vec(d, dim, 0), io->b_cap2 = vec(d, dim, 0), io->sst_out = vec(d, 2 * (int64_t)dim, 0.1f);
    mk_adaln(d, &io->adaln, dim, 6), mk_adaln(d, &io->cross_ss, dim, 4), mk_adaln(d, &io->cross_gate, dim, 1);
}

static void mk_block(bench_dit *d, ltx2_dit_block *bl, int VD, int AD)
{
    mk_attn(d, &bl->attn1, VD, VD, 32, 128, VD), mk_attn(d, &bl->attn2, VD, VD, 32, 128, VD);
    mk_attn(d, &bl->audio_attn1, AD, AD, 32, 64, AD), mk_attn(d, &bl->audio_attn2, AD, AD, 32, 64, AD);
    mk_attn(d, &bl->a2v, VD, AD, 32, 64, VD), mk_attn(d, &bl->v2a, AD, VD, 32, 64, AD);
    mk_ff(d, &bl->ff, VD), mk_ff(d, &bl->audio_ff, AD);
    bl->sst = vec(d, 6 * VD, 0.05f), bl->audio_sst = vec(d, 6 * AD, 0.05f);
    bl->sst_a2v_video = vec(d, 5 * VD, 0.05f), bl->sst_a2v_audio = vec(d, 5 * AD, 0.05f);
}

bench_dit *bench_dit_make(int layers, int caption, int shared_pool, int fp8)
{
    const int VD = 4096, AD = 2048;
    bench_dit *d = calloc(1, sizeof *d);
    ltx2_dit *m = d ? calloc(1, sizeof *m) : NULL;
    if (!m || !(m->blocks = calloc((size_t)layers, sizeof *m->blocks))) {
        free(m), free(d);
        return NULL;
    }
    d->m = m;
    d->fp8 = fp8;
    atomic_init(&m->refs, 1);
    ltx2_dit_init_resident(m);
    if (shared_pool) {
        if (!(d->pool = malloc((size_t)POOL_ELEMS * (fp8 ? 1 : 2)))) {
            bench_dit_free(d);
            return NULL;
        }
        fill(d->pool, fp8, POOL_ELEMS, 4096, 1);
    }
    m->cfg = (ltx2_dit_config){.has_video = true, .has_audio = true, .num_layers = layers, .v_heads = 32,
                               .v_head_dim = 128, .v_dim = VD, .v_in = 128, .v_out = 128, .v_ctx_dim = VD,
                               .v_max_pos = {20, 2048, 2048}, .a_heads = 32, .a_head_dim = 64, .a_dim = AD,
                               .a_in = 128, .a_out = 128, .a_ctx_dim = AD, .a_max_pos = {20},
                               .caption_channels = caption, .theta = 10000.0, .timestep_scale = 1000.0,
                               .av_ca_timestep_scale = 1000.0, .cross_max_pos = 20, .norm_eps = 1e-6f,
                               .rope_type = LTX2_ROPE_SPLIT, .rope_f64 = true, .middle_indices = true,
                               .geom = LTX2_LATENT_GEOM_DEFAULT};
    mk_io(d, &m->video, VD, caption);
    mk_io(d, &m->audio, AD, caption);
    for (int i = 0; i < layers; i++) mk_block(d, &m->blocks[i], VD, AD);
    if (d->oom) {
        bench_dit_free(d);
        return NULL;
    }
    return d;
}

ltx2_dit *bench_dit_model(bench_dit *d) { return d->m; }

void bench_dit_free(bench_dit *d)
{
    if (!d) return;
    ltx2_dit_release(d->m);
    for (int i = 0; i < d->n_bufs; i++) free(d->bufs[i]);
    free(d->bufs);
    free(d->pool);
    free(d);
}

double bench_dit_flops(const ltx2_dit_config *c, double v, double a, double L)
{
    const double VD = c->v_dim, AD = c->a_dim;
    double fl = 2 * v * (4.0 * VD * VD) + 4 * v * v * VD;                      /* attn1 */
    fl += 2 * v * (2.0 * VD * VD) + 2 * L * (2.0 * VD * VD) + 4 * v * L * VD;  /* attn2 */
    fl += 2 * a * (4.0 * AD * AD) + 4 * a * a * AD;                            /* audio_attn1 */
    fl += 2 * a * (2.0 * AD * AD) + 2 * L * (2.0 * AD * AD) + 4 * a * L * AD;  /* audio_attn2 */
    fl += 2 * v * (2.0 * VD * AD) + 2 * a * (2.0 * AD * AD) + 4 * v * a * AD;  /* a2v */
    fl += 2 * a * (2.0 * AD * AD) + 2 * v * (2.0 * VD * AD) + 4 * a * v * AD;  /* v2a */
    fl += 2 * v * (8.0 * VD * VD) + 2 * a * (8.0 * AD * AD);                   /* FFNs */
    return fl * c->num_layers;
}
