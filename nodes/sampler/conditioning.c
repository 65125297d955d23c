/* conditioning.c — latent-index, keyframe and reference-video conditioning. */
#include "sampler/conditioning.h"

#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "sampler/latent.h"
#include "transformer/transformer.h"

static ltx2_status check_image(const ltx2_tensor *img, const ltx2_latent_dims *d, const char *what,
                               ltx2_error *err)
{
    char buf[96];
    if (!img || img->ndim != 5 || img->shape[0] != 1 || img->shape[1] != d->c)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s must be a latent [1, %lld, F, H, W], got %s",
                        what, (long long)d->c, img ? ltx2_tensor_str(img, buf, sizeof buf) : "nothing");
    return LTX2_OK;
}

static ltx2_status check_strength(double s, ltx2_error *err)
{
    if (!(s >= 0.0 && s <= 1.0))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "strength must be in [0, 1] (got %g)", s);
    return LTX2_OK;
}

/* A new F32 tensor entry of the given shape filled from src (or `fill`). */
static ltx2_status set_new(ltx2_object *o, const char *key, int ndim, const int64_t *shape,
                           const float *src, float fill, float **data, ltx2_error *err)
{
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, ndim, shape);
    if (!t)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for %s", key);
    int64_t n = ltx2_tensor_numel(t);
    float *p = ltx2_tensor_f32(t);
    /* LATENT entries are host memory: a host context for their values */
    const kctx host = kctx_default(NULL);
    kstatus ks = src ? k_copy(&host, p, src, (size_t)n * sizeof(float), K_H2D) : k_fill(&host, p, fill, n);
    ltx2_status st = ks == KS_OK ? ltx2_object_set_tensor(o, key, t) : ltx2_kstatus(ks);
    ltx2_tensor_release(t);
    if (st)
        return ltx2_err(err, st, "out of memory for %s", key);
    if (data)
        *data = p;
    return LTX2_OK;
}

ltx2_status ltx2_cond_latent_index(const ltx2_object *lat, const ltx2_tensor *image,
                                   int64_t latent_idx, double strength, ltx2_object **out,
                                   ltx2_error *err)
{
    *out = NULL;
    ltx2_latent_dims d;
    ltx2_status st = ltx2_latent_dims_of(lat, &d, err);
    if (st || (st = check_image(image, &d, "image latent", err)) || (st = check_strength(strength, err)))
        return st;
    const int64_t fi = image->shape[2];
    if (image->shape[3] != d.h || image->shape[4] != d.w)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "image latent grid %lldx%lld differs from the latent's %lldx%lld (encode the "
                        "image at the latent's size)", (long long)image->shape[3],
                        (long long)image->shape[4], (long long)d.h, (long long)d.w);
    if (latent_idx < 0 || latent_idx + fi > d.f)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "latent frames [%lld, %lld) outside the latent's %lld",
                        (long long)latent_idx, (long long)(latent_idx + fi), (long long)d.f);
    ltx2_tensor *img = ltx2_tensor_to_f32(image);
    ltx2_tensor *vid = ltx2_latent_copy(lat, LTX2_LAT_VIDEO);
    ltx2_object *o = ltx2_object_clone(lat);
    const int64_t hw = d.h * d.w, nv = d.f * hw;
    float *mask = NULL;
    if (!img || !vid || !o) {
        st = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        goto done;
    }
    /* samples [C][F][H*W]: frames latent_idx.. take the image's frames */
    for (int64_t c = 0; c < d.c; c++)
        memcpy(ltx2_tensor_f32(vid) + (c * d.f + latent_idx) * hw, ltx2_tensor_cf32(img) + c * fi * hw,
               (size_t)(fi * hw) * sizeof(float));
    if ((st = ltx2_object_set_tensor(o, LTX2_LAT_VIDEO, vid))) {
        st = ltx2_err(err, st, "out of memory");
        goto done;
    }
    const ltx2_tensor *old = ltx2_object_tensor(lat, LTX2_LAT_VIDEO_MASK);
    ltx2_tensor *oldf = old ? ltx2_tensor_to_f32(old) : NULL;
    if (old && !oldf) {
        st = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        goto done;
    }
    st = set_new(o, LTX2_LAT_VIDEO_MASK, 3, (const int64_t[]){1, nv, 1},
                 oldf ? ltx2_tensor_cf32(oldf) : NULL, 1.0f, &mask, err);
    ltx2_tensor_release(oldf);
    if (st)
        goto done;
    const kctx host = kctx_default(NULL);
    st = ltx2_kerr(err, k_fill(&host, mask + latent_idx * hw, (float)(1.0 - strength), fi * hw), "denoise mask");
done:
    ltx2_tensor_release(img);
    ltx2_tensor_release(vid);
    if (st)
        ltx2_object_release(o);
    else
        *out = o;
    return st;
}

/* Appends the tokens of `image` with mask 1 - strength and the given positions
 * ([3][n][2]) to the latent's conditioning entries. */
static ltx2_status append_tokens(const ltx2_object *lat, const ltx2_latent_dims *d,
                                 const ltx2_tensor *image, double strength, const float *pos,
                                 ltx2_object **out, ltx2_error *err)
{
    const int64_t n = image->shape[2] * image->shape[3] * image->shape[4];
    const int64_t old = d->n_cond, tot = old + n, c = d->c;
    ltx2_tensor *img = ltx2_tensor_to_f32(image);
    ltx2_tensor *tok = ltx2_tensor_new(LTX2_F32, 3, (const int64_t[]){1, tot, c});
    ltx2_tensor *msk = ltx2_tensor_new(LTX2_F32, 3, (const int64_t[]){1, tot, 1});
    ltx2_tensor *pst = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){1, 3, tot, 2});
    ltx2_object *o = ltx2_object_clone(lat);
    ltx2_status st = LTX2_OK;
    if (!img || !tok || !msk || !pst || !o) {
        st = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        goto done;
    }
    float *tp = ltx2_tensor_f32(tok), *mp = ltx2_tensor_f32(msk), *pp = ltx2_tensor_f32(pst);
    if (old) {
        ltx2_tensor *t0 = ltx2_latent_copy(lat, LTX2_LAT_COND_TOKENS);
        ltx2_tensor *m0 = ltx2_latent_copy(lat, LTX2_LAT_COND_MASK);
        ltx2_tensor *p0 = ltx2_latent_copy(lat, LTX2_LAT_COND_POS);
        if (t0 && m0 && p0) {
            memcpy(tp, ltx2_tensor_cf32(t0), (size_t)(old * c) * sizeof(float));
            memcpy(mp, ltx2_tensor_cf32(m0), (size_t)old * sizeof(float));
            for (int a = 0; a < 3; a++)
                memcpy(pp + a * tot * 2, ltx2_tensor_cf32(p0) + a * old * 2, (size_t)old * 2 * sizeof(float));
        } else {
            st = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        }
        ltx2_tensor_release(t0);
        ltx2_tensor_release(m0);
        ltx2_tensor_release(p0);
        if (st)
            goto done;
    }
    /* the LATENT object's tensors are host memory: a host context for its layout */
    const kctx host = kctx_default(NULL);
    if ((st = ltx2_kerr(err, ltx2_patchify_video(&host, ltx2_tensor_cf32(img), c, n, tp + old * c), "patchify")))
        goto done;
    if ((st = ltx2_kerr(err, k_fill(&host, mp + old, (float)(1.0 - strength), n), "denoise mask")))
        goto done;
    for (int a = 0; a < 3; a++)
        memcpy(pp + a * tot * 2 + old * 2, pos + a * n * 2, (size_t)n * 2 * sizeof(float));
    if (ltx2_object_set_tensor(o, LTX2_LAT_COND_TOKENS, tok) || ltx2_object_set_tensor(o, LTX2_LAT_COND_MASK, msk) ||
        ltx2_object_set_tensor(o, LTX2_LAT_COND_POS, pst))
        st = ltx2_err(err, LTX2_ERR_OOM, "out of memory");
done:
    ltx2_tensor_release(img);
    ltx2_tensor_release(tok);
    ltx2_tensor_release(msk);
    ltx2_tensor_release(pst);
    if (st)
        ltx2_object_release(o);
    else
        *out = o;
    return st;
}

ltx2_status ltx2_cond_keyframe(const ltx2_object *lat, const ltx2_tensor *image, int64_t frame_idx,
                               double strength, ltx2_object **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_latent_dims d;
    ltx2_latent_geom g; /* the grid the latent was made with */
    ltx2_status st = ltx2_latent_dims_of(lat, &d, err);
    if (st || (st = ltx2_latent_geom_of(lat, &LTX2_LATENT_GEOM_DEFAULT, &g, err)) ||
        (st = check_image(image, &d, "keyframe latent", err)) || (st = check_strength(strength, err)))
        return st;
    const int64_t pixel_frames = (d.f - 1) * g.scale_t + 1;
    if (frame_idx < 0 || frame_idx >= pixel_frames)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "frame index %lld outside the video's %lld frames",
                        (long long)frame_idx, (long long)pixel_frames);
    const int64_t f = image->shape[2], h = image->shape[3], w = image->shape[4], n = f * h * w;
    float *pos = malloc((size_t)(n > 0 ? n : 1) * 6 * sizeof(float));
    if (!pos)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    /* Pixel-frame bounds of the keyframe's own grid (fps 1 keeps them integral), then
     * shifted to frame_idx and converted to seconds in float32 like the reference. */
    ltx2_dit_video_positions(&g, f, h, w, 1.0, frame_idx == 0, pos);
    for (int64_t i = 0; i < 2 * n; i++)
        pos[i] = (pos[i] + (float)frame_idx) / (float)d.fps;
    st = append_tokens(lat, &d, image, strength, pos, out, err);
    free(pos);
    return st;
}

ltx2_status ltx2_cond_reference(const ltx2_object *lat, const ltx2_tensor *ref,
                                int64_t downscale_factor, double strength, ltx2_object **out,
                                ltx2_error *err)
{
    *out = NULL;
    ltx2_latent_dims d;
    ltx2_latent_geom g; /* the grid the latent was made with */
    ltx2_status st = ltx2_latent_dims_of(lat, &d, err);
    if (st || (st = ltx2_latent_geom_of(lat, &LTX2_LATENT_GEOM_DEFAULT, &g, err)) ||
        (st = check_image(ref, &d, "reference latent", err)) || (st = check_strength(strength, err)))
        return st;
    if (downscale_factor < 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "downscale factor must be >= 1 (got %lld)",
                        (long long)downscale_factor);
    const int64_t f = ref->shape[2], h = ref->shape[3], w = ref->shape[4], n = f * h * w;
    float *pos = malloc((size_t)(n > 0 ? n : 1) * 6 * sizeof(float));
    if (!pos)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    ltx2_dit_video_positions(&g, f, h, w, d.fps, true, pos);
    if (downscale_factor != 1)
        for (int64_t i = 2 * n; i < 6 * n; i++)
            pos[i] *= (float)downscale_factor;
    st = append_tokens(lat, &d, ref, strength, pos, out, err);
    free(pos);
    return st;
}
