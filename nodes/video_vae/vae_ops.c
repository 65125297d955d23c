/* vae_ops.c — conv layers, patchify and the timestep embedder (see vae_ops.h). */
#include "video_vae/vae_ops.h"
#include "common/layers.h"
#include "node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ltx2_status vconv_load(vconv *c, const ltx2_checkpoint *ck, const char *prefix, int64_t cout,
                       int64_t cin, int kt, int kh, int kw, ltx2_error *err)
{
    memset(c, 0, sizeof *c);
    char name[512];
    snprintf(name, sizeof name, "%sweight", prefix);
    const ltx2_st_tensor *st = NULL;
    ltx2_status s;
    if (kt > 0)
        s = ltx2_ckpt_require(ck, name, 5, (const int64_t[]){cout, cin, kt, kh, kw}, &st, err);
    else
        s = ltx2_ckpt_require(ck, name, 4, (const int64_t[]){cout, cin, kh, kw}, &st, err);
    if (s != LTX2_OK) return s;
    if (kt <= 0) kt = 1;
    c->cin = cin;
    c->cout = cout;
    c->kt = kt;
    c->kh = kh;
    c->kw = kw;
    c->wt = (kmat){.dtype = (kdtype)st->dtype, .data = st->data, .rows = cout,
                   .cols = cin * kt * kh * kw, .ld = cin * kt * kh * kw, .scale = 1.0f};
    /* the CPU panels are packed on the first CPU run (vconv_run): a model that only runs
     * on a device never holds them */
    snprintf(name, sizeof name, "%sbias", prefix);
    return ltx2_ckpt_vec(ck, name, cout, &c->bias, err);
}

/* The CPU panels are packed by the first CPU run that needs them (exact context: bf16
 * weights stay bf16 either way). The slot is the one mutable part of a loaded layer;
 * concurrent first runs each pack, one publishes, the others free theirs. */
kstatus vconv_weights(const kctx *ctx, const vconv *c, const kconvw **out)
{
    if (ctx->backend != KB_CPU) { /* a device mirror's, set at upload */
        *out = c->w;
        return KS_OK;
    }
    kconvw *cur = __atomic_load_n(&c->w, __ATOMIC_ACQUIRE);
    if (!cur) {
        kconvw *mine = NULL;
        const kctx pctx = kctx_default(NULL);
        kstatus s = k_convw_pack(&pctx, &c->wt, c->cin, c->kt, c->kh, c->kw, &mine);
        if (s != KS_OK)
            return s;
        kconvw **slot = (kconvw **)&c->w;
        if (__atomic_compare_exchange_n(slot, &cur, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            cur = mine;
        else
            k_convw_free(mine); /* another run published first: cur is theirs */
    }
    *out = cur;
    return KS_OK;
}

void vconv_free(vconv *c)
{
    if (!c) return;
    k_convw_free(c->w);
    free(c->bias);
    c->w = NULL;
    c->bias = NULL;
}

void vconv_upload(lx_upload *u, vconv *c)
{
    lx_upload_conv(u, &c->w, &c->wt, c->cin, c->kt, c->kh, c->kw);
    lx_upload_vec(u, &c->bias, c->cout);
}

void vconv_mirror_free(vconv *c)
{
    k_convw_free(c->w);
    c->w = NULL;
}

/* The k_conv call of a same-size conv (the weights are filled in by the caller). */
static kconv vconv_desc(const vconv *c, int64_t t, int64_t h, int64_t w, const float *x, float *y, vtpad tpad,
                        kpad spad)
{
    kconv k = {.t = t, .h = h, .w = w, .cin = c->cin, .cout = c->cout, .kt = c->kt, .kh = c->kh,
               .kw = c->kw, .st = 1, .sh = 1, .sw = 1, .dt = 1, .dh = 1, .dw = 1,
               .ph0 = c->kh / 2, .ph1 = c->kh / 2, .pw0 = c->kw / 2, .pw1 = c->kw / 2,
               .hpad = spad, .wpad = spad, .x = x, .bias = c->bias, .y = y};
    int p = c->kt - 1;
    if (c->kt > 1) {
        switch (tpad) {
        case VT_CAUSAL: k.pt0 = p; k.pt1 = 0; k.tpad = KPAD_REPLICATE; break;
        case VT_SYMM: k.pt0 = p / 2; k.pt1 = p - p / 2; k.tpad = KPAD_REPLICATE; break;
        default: k.pt0 = p / 2; k.pt1 = p - p / 2; k.tpad = KPAD_ZEROS; break;
        }
    }
    return k;
}

kstatus vconv_run(const kctx *ctx, const vconv *c, int64_t t, int64_t h, int64_t w, const float *x,
               float *y, vtpad tpad, kpad spad)
{
    const kconvw *wts = NULL;
    kstatus s = vconv_weights(ctx, c, &wts);
    if (s != KS_OK)
        return s;
    kconv k = vconv_desc(c, t, h, w, x, y, tpad, spad);
    k.weights = wts;
    return k_conv(ctx, &k);
}

size_t vconv_scratch(const kctx *ctx, const vconv *c, int64_t t, int64_t h, int64_t w, vtpad tpad, kpad spad)
{
    const kconv k = vconv_desc(c, t, h, w, NULL, NULL, tpad, spad);
    return k_conv_scratch(ctx, &k);
}

float *vae_alloc(const kctx *ctx, int64_t n)
{
    void *p = NULL;
    return k_alloc(ctx, (size_t)(n > 0 ? n : 1) * sizeof(float), &p) == KS_OK ? p : NULL;
}

int64_t vae_dim0(const ltx2_checkpoint *ck, const char *name)
{
    const ltx2_st_tensor *st = ltx2_checkpoint_find(ck, name);
    return (st && st->ndim >= 1) ? st->shape[0] : -1;
}

ltx2_status vtembed_load(vtembed *e, const ltx2_checkpoint *ck, const char *prefix, int64_t dim,
                         ltx2_error *err)
{
    memset(e, 0, sizeof *e);
    char name[512];
    ltx2_status s;
    e->dim = dim;
    snprintf(name, sizeof name, "%slinear_1.weight", prefix);
    if ((s = ltx2_ckpt_mat(ck, name, dim, 256, &e->l1, err)) != LTX2_OK) return s;
    snprintf(name, sizeof name, "%slinear_1.bias", prefix);
    if ((s = ltx2_ckpt_vec(ck, name, dim, &e->b1, err)) != LTX2_OK) return s;
    snprintf(name, sizeof name, "%slinear_2.weight", prefix);
    if ((s = ltx2_ckpt_mat(ck, name, dim, dim, &e->l2, err)) != LTX2_OK) return s;
    snprintf(name, sizeof name, "%slinear_2.bias", prefix);
    return ltx2_ckpt_vec(ck, name, dim, &e->b2, err);
}

void vtembed_free(vtembed *e)
{
    if (!e) return;
    free(e->b1);
    free(e->b2);
    e->b1 = e->b2 = NULL;
}

void vtembed_upload(lx_upload *u, vtembed *e)
{
    lx_upload_mat(u, &e->l1);
    lx_upload_mat(u, &e->l2);
    lx_upload_vec(u, &e->b1, e->dim);
    lx_upload_vec(u, &e->b2, e->dim);
}

ltx2_status vtembed_run(const kctx *ctx, const vtembed *e, float t, float *out)
{
    kctx ex = *ctx;
    ex.prec = KP_EXACT; /* a handful of numbers: keep them exact */
    return lx_timestep_embed(&ex, &e->l1, e->b1, &e->l2, e->b2, 1, &t, out);
}
