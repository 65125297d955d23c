/* latent.c — LATENT shape checks, (un)patchify and the sampler's token sequences. */
#include "sampler/latent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "transformer/transformer.h"

static ltx2_status want_f32(const ltx2_tensor *t, const char *key, int ndim, ltx2_error *err)
{
    char buf[96];
    if (t->ndim != ndim || t->shape[0] != 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "LATENT entry %s is %s, expected %d dims with batch 1",
                        key, ltx2_tensor_str(t, buf, sizeof buf), ndim);
    return LTX2_OK;
}

ltx2_status ltx2_latent_dims_of(const ltx2_object *lat, ltx2_latent_dims *d, ltx2_error *err)
{
    memset(d, 0, sizeof *d);
    if (!lat || !ltx2_object_is(lat, "LATENT"))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "not a LATENT");
    const ltx2_tensor *v = ltx2_object_tensor(lat, LTX2_LAT_VIDEO);
    if (!v)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "LATENT has no video `samples`");
    ltx2_status s = want_f32(v, LTX2_LAT_VIDEO, 5, err);
    if (s)
        return s;
    d->c = v->shape[1], d->f = v->shape[2], d->h = v->shape[3], d->w = v->shape[4];
    d->fps = ltx2_object_float(lat, LTX2_LAT_FPS, 0.0);
    if (!(d->fps > 0.0) || !isfinite(d->fps))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "LATENT frame_rate must be > 0 (got %g)", d->fps);
    const int64_t nv = d->f * d->h * d->w;
    const ltx2_tensor *a = ltx2_object_tensor(lat, LTX2_LAT_AUDIO);
    if (a) {
        if ((s = want_f32(a, LTX2_LAT_AUDIO, 4, err)))
            return s;
        d->ca = a->shape[1], d->t = a->shape[2], d->m = a->shape[3];
    }
    const ltx2_tensor *vm = ltx2_object_tensor(lat, LTX2_LAT_VIDEO_MASK);
    if (vm && ltx2_tensor_numel(vm) != nv)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "video_denoise_mask has %lld values for %lld tokens",
                        (long long)ltx2_tensor_numel(vm), (long long)nv);
    const ltx2_tensor *am = ltx2_object_tensor(lat, LTX2_LAT_AUDIO_MASK);
    if (am && ltx2_tensor_numel(am) != d->t)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "audio_denoise_mask has %lld values for %lld tokens",
                        (long long)ltx2_tensor_numel(am), (long long)d->t);
    const ltx2_tensor *ct = ltx2_object_tensor(lat, LTX2_LAT_COND_TOKENS);
    if (ct) {
        const ltx2_tensor *cm = ltx2_object_tensor(lat, LTX2_LAT_COND_MASK);
        const ltx2_tensor *cp = ltx2_object_tensor(lat, LTX2_LAT_COND_POS);
        if (ct->ndim != 3 || ct->shape[2] != d->c)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "video_cond_tokens must be [1, n, %lld]",
                            (long long)d->c);
        d->n_cond = ct->shape[1];
        if (!cm || ltx2_tensor_numel(cm) != d->n_cond)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "video_cond_mask missing or not [1, %lld, 1]",
                            (long long)d->n_cond);
        if (!cp || ltx2_tensor_numel(cp) != 6 * d->n_cond)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                            "video_cond_positions missing or not [1, 3, %lld, 2]", (long long)d->n_cond);
    }
    return LTX2_OK;
}

kstatus ltx2_patchify_video(const kctx *kc, const float *src, int64_t c, int64_t n, float *dst)
{
    return k_transpose2d(kc, c, n, src, dst);
}

kstatus ltx2_unpatchify_video(const kctx *kc, const float *src, int64_t c, int64_t n, float *dst)
{
    return k_transpose2d(kc, n, c, src, dst);
}

kstatus ltx2_patchify_audio(const kctx *kc, const float *src, int64_t c, int64_t t, int64_t m, float *dst)
{
    return k_transpose_blocks(kc, c, t, m, src, dst);
}

kstatus ltx2_unpatchify_audio(const kctx *kc, const float *src, int64_t c, int64_t t, int64_t m, float *dst)
{
    return k_transpose_blocks(kc, t, c, m, src, dst);
}

int64_t ltx2_audio_latent_frames(int64_t frames, double fps, const ltx2_latent_geom *g)
{
    /* Python's round(): nearest, ties to even (rint in the default rounding mode). */
    return (int64_t)nearbyint((double)frames / fps * ltx2_latent_geom_audio_fps(g));
}

ltx2_tensor *ltx2_latent_copy(const ltx2_object *lat, const char *key)
{
    const ltx2_tensor *t = ltx2_object_tensor(lat, key);
    return t ? ltx2_tensor_to_f32(t) : NULL;
}

/* Copies the F32 values of entry key (numel n) into dst, or fills with `fill`. */
static ltx2_status entry_values(const ltx2_object *lat, const char *key, int64_t n, float fill,
                                float *dst, ltx2_error *err)
{
    const ltx2_tensor *t = ltx2_object_tensor(lat, key);
    if (!t) {
        const kctx host = kctx_default(NULL); /* the sequence buffers are host memory */
        return ltx2_kerr(err, k_fill(&host, dst, fill, n), key);
    }
    ltx2_tensor *f = ltx2_tensor_to_f32(t);
    if (!f)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory copying %s", key);
    memcpy(dst, ltx2_tensor_cf32(f), (size_t)n * sizeof(float));
    ltx2_tensor_release(f);
    return LTX2_OK;
}

kstatus ltx2_host_to_backend(const kctx *kc, float **p, int64_t n)
{
    if (kc->backend == KB_CPU)
        return KS_OK;
    void *d = NULL;
    const size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
    kstatus ks = k_alloc(kc, bytes, &d);
    K_THEN(ks, k_copy(kc, d, *p, (size_t)(n > 0 ? n : 0) * sizeof(float), K_H2D));
    if (ks != KS_OK) {
        k_free(kc, d);
        return ks;
    }
    free(*p);
    *p = d;
    return KS_OK;
}

/* Moves a host-built sequence into kc's memory, all four arrays or none (on failure
 * the sequence stays on the host and is freed). */
static ltx2_status seq_to(const kctx *kc, ltx2_seq *s, ltx2_error *err)
{
    if (kc->backend == KB_CPU)
        return LTX2_OK;
    const int64_t n = s->n > 0 ? s->n : 1;
    float **arr[4] = {&s->x, &s->clean, &s->mask, &s->pos};
    const int64_t len[4] = {n * s->ch, n * s->ch, n, n * 2 * s->axes};
    void *dev[4] = {NULL, NULL, NULL, NULL};
    kstatus ks = KS_OK;
    for (int i = 0; i < 4; i++) {
        K_THEN(ks, k_alloc(kc, (size_t)len[i] * sizeof(float), &dev[i]));
        K_THEN(ks, k_copy(kc, dev[i], *arr[i], (size_t)len[i] * sizeof(float), K_H2D));
    }
    if (ks != KS_OK) {
        for (int i = 0; i < 4; i++)
            k_free(kc, dev[i]);
        ltx2_seq_free(s);
        return ltx2_kerr(err, ks, "latent tokens to the device");
    }
    for (int i = 0; i < 4; i++) {
        free(*arr[i]);
        *arr[i] = dev[i];
    }
    s->home = (kctx){.backend = kc->backend, .cuda = kc->cuda};
    return LTX2_OK;
}

static ltx2_status seq_alloc(ltx2_seq *s, int64_t n, int64_t ch, int axes, ltx2_error *err)
{
    s->n = n, s->ch = ch, s->axes = axes;
    size_t nn = (size_t)(n > 0 ? n : 1);
    s->x = malloc(nn * (size_t)ch * sizeof(float));
    s->clean = malloc(nn * (size_t)ch * sizeof(float));
    s->mask = malloc(nn * sizeof(float));
    s->pos = malloc(nn * 2 * (size_t)axes * sizeof(float));
    if (!s->x || !s->clean || !s->mask || !s->pos) {
        ltx2_seq_free(s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for %lld tokens", (long long)n);
    }
    return LTX2_OK;
}

ltx2_status ltx2_seq_video(const kctx *kc, const ltx2_object *lat, const ltx2_latent_geom *g, ltx2_seq *s,
                           ltx2_error *err)
{
    memset(s, 0, sizeof *s);
    ltx2_latent_dims d;
    ltx2_status st = ltx2_latent_dims_of(lat, &d, err);
    if (st)
        return st;
    const int64_t ng = d.f * d.h * d.w, n = ng + d.n_cond;
    const kctx host = kctx_default(kc->pool); /* built on the host, then moved */
    if ((st = seq_alloc(s, n, d.c, 3, err)))
        return st;
    s->n_gen = ng;
    ltx2_tensor *v = ltx2_latent_copy(lat, LTX2_LAT_VIDEO);
    if (!v) {
        ltx2_seq_free(s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory copying samples");
    }
    kstatus ks = ltx2_patchify_video(&host, ltx2_tensor_cf32(v), d.c, ng, s->x);
    ltx2_tensor_release(v);
    if (ks != KS_OK) {
        ltx2_seq_free(s);
        return ltx2_kerr(err, ks, "video patchify");
    }
    float *gpos = malloc((size_t)(ng > 0 ? ng : 1) * 6 * sizeof(float));
    if (!gpos) {
        ltx2_seq_free(s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for positions");
    }
    ltx2_dit_video_positions(g, d.f, d.h, d.w, d.fps, true, gpos);
    for (int a = 0; a < 3; a++)
        memcpy(s->pos + (size_t)a * n * 2, gpos + (size_t)a * ng * 2, (size_t)ng * 2 * sizeof(float));
    free(gpos);
    st = entry_values(lat, LTX2_LAT_VIDEO_MASK, ng, 1.0f, s->mask, err);
    if (!st && d.n_cond) {
        st = entry_values(lat, LTX2_LAT_COND_TOKENS, d.n_cond * d.c, 0.0f, s->x + ng * d.c, err);
        if (!st)
            st = entry_values(lat, LTX2_LAT_COND_MASK, d.n_cond, 1.0f, s->mask + ng, err);
        float *cpos = st ? NULL : malloc((size_t)d.n_cond * 6 * sizeof(float));
        if (!st && !cpos)
            st = ltx2_err(err, LTX2_ERR_OOM, "out of memory for positions");
        if (!st)
            st = entry_values(lat, LTX2_LAT_COND_POS, d.n_cond * 6, 0.0f, cpos, err);
        if (!st)
            for (int a = 0; a < 3; a++)
                memcpy(s->pos + (size_t)a * n * 2 + ng * 2, cpos + (size_t)a * d.n_cond * 2,
                       (size_t)d.n_cond * 2 * sizeof(float));
        free(cpos);
    }
    if (st) {
        ltx2_seq_free(s);
        return st;
    }
    memcpy(s->clean, s->x, (size_t)(n * d.c) * sizeof(float));
    return seq_to(kc, s, err);
}

ltx2_status ltx2_seq_audio(const kctx *kc, const ltx2_object *lat, const ltx2_latent_geom *g, ltx2_seq *s,
                           ltx2_error *err)
{
    memset(s, 0, sizeof *s);
    ltx2_latent_dims d;
    ltx2_status st = ltx2_latent_dims_of(lat, &d, err);
    if (st)
        return st;
    if (!d.t)
        return LTX2_OK;
    const kctx host = kctx_default(kc->pool); /* built on the host, then moved */
    if ((st = seq_alloc(s, d.t, d.ca * d.m, 1, err)))
        return st;
    s->n_gen = d.t;
    ltx2_tensor *a = ltx2_latent_copy(lat, LTX2_LAT_AUDIO);
    if (!a) {
        ltx2_seq_free(s);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory copying audio_samples");
    }
    kstatus ks = ltx2_patchify_audio(&host, ltx2_tensor_cf32(a), d.ca, d.t, d.m, s->x);
    ltx2_tensor_release(a);
    K_THEN(ks, k_copy(&host, s->clean, s->x, (size_t)(d.t * s->ch) * sizeof(float), K_D2D));
    if (ks != KS_OK) {
        ltx2_seq_free(s);
        return ltx2_kerr(err, ks, "audio patchify");
    }
    ltx2_dit_audio_positions(g, d.t, s->pos);
    if ((st = entry_values(lat, LTX2_LAT_AUDIO_MASK, d.t, 1.0f, s->mask, err))) {
        ltx2_seq_free(s);
        return st;
    }
    return seq_to(kc, s, err);
}

void ltx2_seq_free(ltx2_seq *s)
{
    k_free(&s->home, s->x);
    k_free(&s->home, s->clean);
    k_free(&s->home, s->mask);
    k_free(&s->home, s->pos);
    memset(s, 0, sizeof *s);
}
