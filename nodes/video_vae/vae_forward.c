/* vae_forward.c — whole-latent decode and whole-video encode. */
#include "video_vae/vae_blocks.h"
#include "common/layers.h"
#include "node.h"

void ltx2_vae_pixel_size(const ltx2_video_vae *v, int64_t f, int64_t h, int64_t w, int64_t *F,
                         int64_t *H, int64_t *W)
{
    int64_t ft = 1, fs = v->patch;
    for (int i = 0; i < v->dec.n_blocks; i++)
        if (v->dec.blocks[i].kind == VB_UP) {
            ft *= v->dec.blocks[i].st;
            fs *= v->dec.blocks[i].sh;
        }
    /* each ×2 in time drops its first frame: f → ft·(f−1)+1 */
    *F = ft * (f - 1) + 1;
    *H = h * fs;
    *W = w * fs;
}

static ltx2_status ltx2_vae_decode_run(const kctx *ctx, const ltx2_video_vae *v, const float *latent,
                            int64_t f, int64_t h, int64_t w, const vae_dec_opts *opts, float *y,
                            ltx2_error *err)
{
    if (!v->has_dec) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "this VAE has no decoder weights (vae.decoder.*)");
    if (f < 1 || h < 1 || w < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "empty latent");
    if (v->dec_spad == KPAD_REFLECT && (h < 2 || w < 2))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "latent height and width must be at least 2 for reflect padding (got %lldx%lld)", (long long)h, (long long)w);
    ltx2_status s = ltx2_vae_on(v, ctx, &v, err); /* the weights on ctx's backend */
    if (s != LTX2_OK) return s;
    int64_t C = v->latent_ch, n = f * h * w;
    vtpad tpad = v->causal_dec ? VT_CAUSAL : VT_SYMM;
    kpad spad = v->dec_spad;
    float *x = vae_alloc(ctx, n * C);
    float *temb = NULL, *cur = NULL;
    if (!x) return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the latent");
    /* noise mix (timestep conditioning only), then un-normalize, into channels-last */
    const float *noise = v->ts_cond && opts ? opts->noise : NULL;
    if ((s = ltx2_kstatus(k_latent_unnormalize(ctx, C, n, latent, noise, noise ? opts->noise_scale : 0.0f, v->mean,
                                               v->std, x))) != LTX2_OK)
        goto out;
    float ts = v->ts_cond ? (opts ? opts->timestep : 0.05f) * v->ts_mult : 0.0f;

    int64_t c = v->dec.conv_in.cout;
    cur = vae_alloc(ctx, n * c);
    if (!cur) { s = LTX2_ERR_OOM; goto out; }
    if ((s = ltx2_kstatus(vconv_run(ctx, &v->dec.conv_in, f, h, w, x, cur, tpad, spad))) != LTX2_OK) goto out;
    k_free(ctx, x);
    x = NULL;
    for (int i = 0; i < v->dec.n_blocks; i++) {
        const vblock *b = &v->dec.blocks[i];
        if (opts && opts->cancel && *opts->cancel) { s = LTX2_CANCELLED; goto out; }
        if (b->kind == VB_RES) {
            if (b->has_te) {
                temb = vae_alloc(ctx, 4 * c);
                s = temb ? vtembed_run(ctx, &b->te, ts, temb) : LTX2_ERR_OOM;
                if (s != LTX2_OK) goto out;
            }
            s = vblock_res(ctx, b, f, h, w, cur, tpad, spad, temb);
            k_free(ctx, temb);
            temb = NULL;
        } else {
            float *nx = NULL;
            int64_t nf;
            s = vblock_up(ctx, b, f, h, w, cur, tpad, spad, &nx, &nf);
            if (s == LTX2_OK) {
                k_free(ctx, cur);
                cur = nx;
                f = nf;
                h *= b->sh;
                w *= b->sw;
                c = b->cout;
            }
        }
        if (s != LTX2_OK) goto out;
    }
    n = f * h * w;
    if ((s = ltx2_kstatus(k_pixelnorm(ctx, n, c, cur, 1e-8f, cur))) != LTX2_OK) goto out;
    if (v->ts_cond) {
        float *e = vae_alloc(ctx, 2 * c);
        s = e ? vtembed_run(ctx, &v->last_te, ts, e) : LTX2_ERR_OOM;
        if (s == LTX2_OK) /* rows: shift, scale */
            s = ltx2_kstatus(k_add(ctx, e, v->last_sst, e, 2 * c));
        if (s == LTX2_OK)
            s = ltx2_kstatus(k_modulate(ctx, n, c, cur, e + c, e, cur));
        k_free(ctx, e);
        if (s != LTX2_OK) goto out;
    }
    if ((s = ltx2_kstatus(k_silu(ctx, cur, cur, n * c))) != LTX2_OK) goto out;
    int64_t co = v->dec.conv_out.cout;
    x = vae_alloc(ctx, n * co);
    if (!x) { s = LTX2_ERR_OOM; goto out; }
    if ((s = ltx2_kstatus(vconv_run(ctx, &v->dec.conv_out, f, h, w, cur, x, tpad, spad))) != LTX2_OK) goto out;
    s = ltx2_kstatus(k_unpatchify2d(ctx, f, h, w, v->in_ch, v->patch, x, y));
out:
    k_free(ctx, x);
    k_free(ctx, cur);
    k_free(ctx, temb);
    if (s == LTX2_ERR_OOM) return ltx2_err(err, s, "out of memory while decoding");
    if (s == LTX2_CANCELLED) return ltx2_err(err, s, "decode cancelled");
    if (s != LTX2_OK) return ltx2_err(err, s, "decode failed");
    return LTX2_OK;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status ltx2_vae_decode(const kctx *ctx, const ltx2_video_vae *v, const float *latent, int64_t f,
                            int64_t h, int64_t w, const vae_dec_opts *opts, float *y, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = ltx2_vae_decode_run(ws, v, latent, f, h, w, opts, y, err);
    k_arena_destroy(own);
    return st;
}

ltx2_status ltx2_vae_latent_size(const ltx2_video_vae *v, int64_t F, int64_t H, int64_t W,
                                 int64_t *f, int64_t *h, int64_t *w, ltx2_error *err)
{
    int64_t ft = 1, fs = v->patch;
    for (int i = 0; i < v->enc.n_blocks; i++)
        if (v->enc.blocks[i].kind == VB_DOWN) {
            ft *= v->enc.blocks[i].st;
            fs *= v->enc.blocks[i].sh;
        }
    if (F < 1 || H % fs || W % fs || H < fs || W < fs)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "video of %lldx%lld: height and width must be positive multiples of %lld",
                        (long long)H, (long long)W, (long long)fs);
    *f = (F - 1) / ft + 1; /* frames beyond 1 + ft·k are dropped, as the reference does */
    *h = H / fs;
    *w = W / fs;
    return LTX2_OK;
}

static ltx2_status ltx2_vae_encode_run(const kctx *ctx, const ltx2_video_vae *v, const float *video,
                            int64_t F, int64_t H, int64_t W, float *latent, int64_t *fo,
                            int64_t *ho, int64_t *wo, ltx2_error *err)
{
    if (!v->has_enc) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "this VAE has no encoder weights (vae.encoder.*)");
    int64_t lf, lh, lw;
    ltx2_status s = ltx2_vae_latent_size(v, F, H, W, &lf, &lh, &lw, err);
    if (s != LTX2_OK) return s;
    if ((s = ltx2_vae_on(v, ctx, &v, err)) != LTX2_OK) return s; /* the weights on ctx's backend */
    int p = v->patch;
    int64_t cin = v->in_ch, Fk = F, plane = H * W;
    {   /* keep 1 + 8k frames (the time factor of the encoder) */
        int64_t tf = 1;
        for (int i = 0; i < v->enc.n_blocks; i++)
            if (v->enc.blocks[i].kind == VB_DOWN) tf *= v->enc.blocks[i].st;
        Fk = F - (F - 1) % tf;
    }
    int64_t f = Fk, h = H / p, w = W / p, n = f * h * w;
    vtpad tpad = VT_CAUSAL;
    kpad spad = v->enc_spad;
    float *cl = vae_alloc(ctx, F * plane * cin);
    float *x = vae_alloc(ctx, n * cin * p * p);
    float *cur = NULL;
    if (!cl || !x) { s = LTX2_ERR_OOM; goto out; }
    /* NCFHW → channels-last; the cropped frames are the first Fk of it */
    if ((s = ltx2_kstatus(k_transpose2d(ctx, cin, F * plane, video, cl))) != LTX2_OK ||
        (s = ltx2_kstatus(k_patchify2d(ctx, f, h, w, cin, p, cl, x))) != LTX2_OK)
        goto out;
    k_free(ctx, cl);
    cl = NULL;
    int64_t c = v->enc.conv_in.cout;
    cur = vae_alloc(ctx, n * c);
    if (!cur) { s = LTX2_ERR_OOM; goto out; }
    if ((s = ltx2_kstatus(vconv_run(ctx, &v->enc.conv_in, f, h, w, x, cur, tpad, spad))) != LTX2_OK) goto out;
    k_free(ctx, x);
    x = NULL;
    for (int i = 0; i < v->enc.n_blocks; i++) {
        const vblock *b = &v->enc.blocks[i];
        if (b->kind == VB_RES) {
            s = vblock_res(ctx, b, f, h, w, cur, tpad, spad, NULL);
        } else {
            float *nx = NULL;
            int64_t nf;
            s = vblock_down(ctx, b, f, h, w, cur, tpad, spad, &nx, &nf);
            if (s == LTX2_OK) {
                k_free(ctx, cur);
                cur = nx;
                f = nf;
                h /= b->sh;
                w /= b->sw;
                c = b->cout;
            }
        }
        if (s != LTX2_OK) goto out;
    }
    n = f * h * w;
    if ((s = ltx2_kstatus(k_pixelnorm(ctx, n, c, cur, 1e-8f, cur))) != LTX2_OK) goto out;
    if ((s = ltx2_kstatus(k_silu(ctx, cur, cur, n * c))) != LTX2_OK) goto out;
    int64_t co = v->enc.conv_out.cout, C = v->latent_ch;
    x = vae_alloc(ctx, n * co);
    if (!x) { s = LTX2_ERR_OOM; goto out; }
    if ((s = ltx2_kstatus(vconv_run(ctx, &v->enc.conv_out, f, h, w, cur, x, tpad, spad))) != LTX2_OK) goto out;
    /* means = the first C channels, normalized, to NCFHW */
    if ((s = ltx2_kstatus(k_latent_normalize(ctx, n, C, x, co, v->mean, v->std, latent))) != LTX2_OK) goto out;
    *fo = f;
    *ho = h;
    *wo = w;
out:
    k_free(ctx, cl);
    k_free(ctx, x);
    k_free(ctx, cur);
    if (s == LTX2_ERR_OOM) return ltx2_err(err, s, "out of memory while encoding");
    if (s != LTX2_OK) return ltx2_err(err, s, "encode failed (video of %lld frames, %lldx%lld)", (long long)F, (long long)H, (long long)W);
    return LTX2_OK;
}

/* The body above on one workspace arena for the whole call (kernel scratch without a
 * malloc per op). */
ltx2_status ltx2_vae_encode(const kctx *ctx, const ltx2_video_vae *v, const float *video, int64_t F,
                            int64_t H, int64_t W, float *latent, int64_t *fo, int64_t *ho, int64_t *wo,
                            ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    ltx2_status st = ltx2_vae_encode_run(ws, v, video, F, H, W, latent, fo, ho, wo, err);
    k_arena_destroy(own);
    return st;
}
