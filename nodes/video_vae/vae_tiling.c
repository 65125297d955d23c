/* vae_tiling.c — tiled decode with the reference's layout and blending. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "video_vae/vae_tiling.h"
#include "node.h"

int vae_split(int64_t len, int64_t size, int64_t ov, vae_interval *iv, int max)
{
    if (size <= 0 || ov < 0 || ov >= size || max < 1) return -1;
    if (len <= size) {
        iv[0] = (vae_interval){0, len, 0, 0};
        return 1;
    }
    int64_t n = (len + size - 2 * ov - 1) / (size - ov);
    if (n > max) return -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = i * (size - ov);
        iv[i] = (vae_interval){s, i == n - 1 ? len : s + size, i == 0 ? 0 : ov, i == n - 1 ? 0 : ov};
    }
    return (int)n;
}

void vae_trapezoid(int64_t n, int64_t left, int64_t right, int starts_from_0, float *m)
{
    left = left < 0 ? 0 : (left > n ? n : left);
    right = right < 0 ? 0 : (right > n ? n : right);
    for (int64_t i = 0; i < n; i++) m[i] = 1.0f;
    for (int64_t k = 0; k < left; k++) /* fade in: k/a from 0, else (k+1)/(a+1) */
        m[k] *= starts_from_0 ? (float)k / (float)left : (float)(k + 1) / (float)(left + 1);
    for (int64_t k = 0; k < right; k++) /* fade out: 1 − (k+1)/(b+1) */
        m[n - right + k] *= 1.0f - (float)(k + 1) / (float)(right + 1);
}

static void model_factors(const ltx2_video_vae *v, int64_t *ft, int64_t *fs)
{
    *ft = 1;
    *fs = v->patch;
    for (int i = 0; i < v->dec.n_blocks; i++)
        if (v->dec.blocks[i].kind == VB_UP) {
            *ft *= v->dec.blocks[i].st;
            *fs *= v->dec.blocks[i].sh;
        }
}

void vae_tile_plan_free(vae_tile_plan *p)
{
    for (int a = 0; a < 3; a++) {
        if (p->mask[a])
            for (int i = 0; i < p->n[a]; i++) free(p->mask[a][i]);
        free(p->mask[a]);
        free(p->iv[a]);
        free(p->o0[a]);
        free(p->o1[a]);
    }
    memset(p, 0, sizeof *p);
}

ltx2_status vae_tile_plan_make(const ltx2_video_vae *v, int64_t f, int64_t h, int64_t w,
                               const vae_tiling *cfg, vae_tile_plan *p, ltx2_error *err)
{
    memset(p, 0, sizeof *p);
    int64_t ft, fs, len[3] = {f, h, w};
    model_factors(v, &ft, &fs);
    /* the reference TilingConfig's rules, in this model's units (32 px, 8 frames) */
    if (cfg->tile_px > 0 && (cfg->tile_px < 2 * fs || cfg->tile_px % fs || cfg->overlap_px < 0 ||
                             cfg->overlap_px % fs || cfg->overlap_px >= cfg->tile_px))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "spatial tile %lld / overlap %lld pixels: need a tile >= %lld, both multiples of %lld, overlap < tile",
                        (long long)cfg->tile_px, (long long)cfg->overlap_px, (long long)(2 * fs), (long long)fs);
    if (cfg->tile_frames > 0 && (cfg->tile_frames < 2 * ft || cfg->tile_frames % ft || cfg->overlap_frames < 0 ||
                                 cfg->overlap_frames % ft || cfg->overlap_frames >= cfg->tile_frames))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "temporal tile %lld / overlap %lld frames: need a tile >= %lld, both multiples of %lld, overlap < tile",
                        (long long)cfg->tile_frames, (long long)cfg->overlap_frames, (long long)(2 * ft), (long long)ft);
    for (int a = 0; a < 3; a++) {
        p->iv[a] = calloc(VAE_MAX_TILES_PER_AXIS, sizeof *p->iv[a]);
        if (!p->iv[a]) goto oom;
    }
    /* temporal: causal split (every tile after the first starts one latent earlier) */
    if (cfg->tile_frames > 0) {
        int64_t size = cfg->tile_frames / ft, ov = cfg->overlap_frames / ft;
        p->n[0] = vae_split(f, size, ov, p->iv[0], VAE_MAX_TILES_PER_AXIS);
        if (p->n[0] < 0)
            return vae_tile_plan_free(p), ltx2_err(err, LTX2_ERR_BAD_INPUT, "temporal tile %lld / overlap %lld frames: need 0 <= overlap < tile and tile >= %lld",
                                                   (long long)cfg->tile_frames, (long long)cfg->overlap_frames, (long long)ft);
        for (int i = 1; i < p->n[0]; i++) {
            p->iv[0][i].start -= 1;
            p->iv[0][i].left += 1;
        }
    } else {
        p->n[0] = 1;
        p->iv[0][0] = (vae_interval){0, f, 0, 0};
    }
    /* spatial: tile size scaled by the axis' share of the long side */
    int64_t lng = h > w ? h : w;
    for (int a = 1; a < 3; a++) {
        if (cfg->tile_px > 0) {
            int64_t size = cfg->tile_px / fs, ov = cfg->overlap_px / fs;
            int64_t lo = ov + 1 > 2 ? ov + 1 : 2;
            int64_t t = (int64_t)nearbyint((double)size * (double)len[a] / (double)lng);
            if (t < lo) t = lo;
            p->n[a] = vae_split(len[a], t, ov, p->iv[a], VAE_MAX_TILES_PER_AXIS);
            if (p->n[a] < 0)
                return vae_tile_plan_free(p), ltx2_err(err, LTX2_ERR_BAD_INPUT, "spatial tile %lld / overlap %lld pixels: need 0 <= overlap < tile",
                                                       (long long)cfg->tile_px, (long long)cfg->overlap_px);
        } else {
            p->n[a] = 1;
            p->iv[a][0] = (vae_interval){0, len[a], 0, 0};
        }
    }
    for (int a = 0; a < 3; a++) {
        int n = p->n[a];
        p->o0[a] = calloc((size_t)n, sizeof(int64_t));
        p->o1[a] = calloc((size_t)n, sizeof(int64_t));
        p->mask[a] = calloc((size_t)n, sizeof(float *));
        if (!p->o0[a] || !p->o1[a] || !p->mask[a]) goto oom;
        for (int i = 0; i < n; i++) {
            const vae_interval *iv = &p->iv[a][i];
            int64_t s, e, l, r;
            if (a == 0) {
                s = iv->start * ft;
                e = 1 + (iv->end - 1) * ft;
                l = iv->left ? 1 + (iv->left - 1) * ft : 0;
                r = iv->right * ft;
            } else {
                s = iv->start * fs;
                e = iv->end * fs;
                l = iv->left * fs;
                r = iv->right * fs;
            }
            p->o0[a][i] = s;
            p->o1[a][i] = e;
            p->mask[a][i] = malloc((size_t)(e - s) * sizeof(float));
            if (!p->mask[a][i]) goto oom;
            vae_trapezoid(e - s, l, r, a == 0, p->mask[a][i]);
        }
    }
    return LTX2_OK;
oom:
    vae_tile_plan_free(p);
    return ltx2_err(err, LTX2_ERR_OOM, "out of memory planning the tiles");
}

/* The plan's 1-D tables in one array: per axis the weight sum over the output, then every
 * interval's mask; *off[a][i] is where mask i of axis a starts, sum[a] where its sum does. */
typedef struct tile_tables {
    float *host;
    int64_t n, sum[3], *off[3];
} tile_tables;

static void tables_free(tile_tables *t)
{
    free(t->host);
    for (int a = 0; a < 3; a++) free(t->off[a]);
}

static int tables_make(const vae_tile_plan *p, const int64_t len[3], tile_tables *t)
{
    memset(t, 0, sizeof *t);
    for (int a = 0; a < 3; a++) {
        t->sum[a] = t->n;
        t->n += len[a];
        if (!(t->off[a] = malloc((size_t)p->n[a] * sizeof(int64_t)))) return 0;
        for (int i = 0; i < p->n[a]; i++) {
            t->off[a][i] = t->n;
            t->n += p->o1[a][i] - p->o0[a][i];
        }
    }
    if (!(t->host = calloc((size_t)t->n, sizeof(float)))) return 0;
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < p->n[a]; i++) {
            float *ws = t->host + t->sum[a];
            const int64_t m = p->o1[a][i] - p->o0[a][i];
            memcpy(t->host + t->off[a][i], p->mask[a][i], (size_t)m * sizeof(float));
            for (int64_t k = p->o0[a][i]; k < p->o1[a][i]; k++) ws[k] += p->mask[a][i][k - p->o0[a][i]];
        }
    return 1;
}

ltx2_status ltx2_vae_decode_tiled(const kctx *ctx, const ltx2_video_vae *v, const float *latent,
                                  int64_t f, int64_t h, int64_t w, const vae_tiling *cfg,
                                  float timestep, float noise_scale, const vae_tile_hooks *hooks,
                                  float *y, ltx2_error *err)
{
    vae_tile_plan p;
    ltx2_status s = vae_tile_plan_make(v, f, h, w, cfg, &p, err);
    if (s != LTX2_OK) return s;
    int64_t F, H, W, C = v->latent_ch, ch = v->in_ch;
    ltx2_vae_pixel_size(v, f, h, w, &F, &H, &W);
    const bool host = ctx->backend == KB_CPU;
    tile_tables tab;
    float *lat = NULL, *noise = NULL, *dec = NULL, *host_noise = NULL;
    const float *dtab = NULL; /* the tables in ctx's memory */
    int total = p.n[0] * p.n[1] * p.n[2], done = 0;
    kstatus ks = KS_OK;
    if (!tables_make(&p, (const int64_t[]){F, H, W}, &tab)) { s = ltx2_err(err, LTX2_ERR_OOM, "out of memory"); goto out; }
    dtab = tab.host;
    if (!host) {
        float *d = vae_alloc(ctx, tab.n);
        ks = d ? k_copy(ctx, d, tab.host, (size_t)tab.n * sizeof(float), K_H2D) : KS_OOM;
        dtab = d;
    }
    K_THEN(ks, k_memset0(ctx, y, (size_t)(F * H * W * ch) * sizeof *y));
    if (ks != KS_OK) { s = ltx2_kerr(err, ks, "tiled decode tables"); goto out; }

    for (int it = 0; it < p.n[0]; it++)
        for (int ih = 0; ih < p.n[1]; ih++)
            for (int iw = 0; iw < p.n[2]; iw++) {
                const vae_interval *a = &p.iv[0][it], *b = &p.iv[1][ih], *c = &p.iv[2][iw];
                int64_t tf = a->end - a->start, th = b->end - b->start, tw = c->end - c->start;
                int64_t n = tf * th * tw;
                lat = vae_alloc(ctx, C * n);
                noise = vae_alloc(ctx, C * n);
                /* the hooks write host memory: staged on a device */
                host_noise = host ? noise : malloc((size_t)(C * n) * sizeof *host_noise);
                if (!lat || !noise || !host_noise) { s = ltx2_err(err, LTX2_ERR_OOM, "out of memory"); goto out; }
                kbox3d crop = {f, h, w, a->start, b->start, c->start, tf, th, tw};
                if ((ks = k_crop3d(ctx, C, &crop, latent, lat)) != KS_OK) { s = ltx2_kerr(err, ks, "latent tile"); goto out; }
                int used = 0;
                if (v->ts_cond && hooks && hooks->noise) {
                    s = hooks->noise(hooks->ud, done, (const int64_t[]){C, tf, th, tw}, host_noise, &used, err);
                    if (s != LTX2_OK) goto out;
                    if (used && !host &&
                        (ks = k_copy(ctx, noise, host_noise, (size_t)(C * n) * sizeof *noise, K_H2D)) != KS_OK) {
                        s = ltx2_kerr(err, ks, "tile noise to the device");
                        goto out;
                    }
                }
                if (!host) free(host_noise);
                host_noise = NULL;
                int64_t TF, TH, TW;
                ltx2_vae_pixel_size(v, tf, th, tw, &TF, &TH, &TW);
                dec = vae_alloc(ctx, TF * TH * TW * ch);
                if (!dec) { s = ltx2_err(err, LTX2_ERR_OOM, "out of memory"); goto out; }
                vae_dec_opts o = {.timestep = timestep, .noise_scale = noise_scale, .noise = used ? noise : NULL,
                                  .cancel = hooks ? hooks->cancel : NULL};
                s = ltx2_vae_decode(ctx, v, lat, tf, th, tw, &o, dec, err);
                k_free(ctx, lat);
                k_free(ctx, noise);
                lat = noise = NULL;
                if (s != LTX2_OK) goto out;
                /* accumulate tile · mask over the tile's output slice */
                int64_t t0 = p.o0[0][it], h0 = p.o0[1][ih], w0 = p.o0[2][iw];
                int64_t nt = p.o1[0][it] - t0, nh = p.o1[1][ih] - h0, nw = p.o1[2][iw] - w0;
                if (nt > TF) nt = TF;
                if (nh > TH) nh = TH;
                if (nw > TW) nw = TW;
                kbox3d box = {F, H, W, t0, h0, w0, nt, nh, nw};
                ks = k_blend_box3d(ctx, &box, ch, dec, TH, TW, dtab + tab.off[0][it], dtab + tab.off[1][ih],
                                   dtab + tab.off[2][iw], y);
                k_free(ctx, dec);
                dec = NULL;
                if (ks != KS_OK) { s = ltx2_kerr(err, ks, "tile blend"); goto out; }
                done++;
                if (hooks && hooks->tick && (s = hooks->tick(hooks->ud, done, total)) != LTX2_OK) goto out;
            }
    /* the weight sum of a Cartesian product of separable masks is separable */
    ks = k_div_separable(ctx, F, H, W, ch, dtab + tab.sum[0], dtab + tab.sum[1], dtab + tab.sum[2], 1e-8f, y);
    if (ks != KS_OK) s = ltx2_kerr(err, ks, "tile weights");
out:
    k_free(ctx, lat);
    k_free(ctx, noise);
    k_free(ctx, dec);
    if (!host) {
        free(host_noise);
        k_free(ctx, (float *)dtab);
    }
    tables_free(&tab);
    vae_tile_plan_free(&p);
    return s;
}
