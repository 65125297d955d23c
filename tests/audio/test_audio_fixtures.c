/* test_audio_fixtures.c — the audio models against their golden fixtures (argv: fixtures
 * dir, optional backend cpu|cuda; on cuda the networks run with weights, inputs and
 * outputs on the device, exit 77 where none is usable): the audio VAE decoder (mel), the
 * mel front end and the encoder (mel, latent), the vocoder (waveform), within the
 * bounds of tests/graphs/fixtures/<case>.tol in exact precision and 1e-2 in fast
 * precision; a repeated call (weights already resident) gives the same result; on cuda, a
 * device budget the weights do not fit is refused with LTX2_ERR_OOM naming the model and
 * the bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_vae.h"
#include "audio/mel.h"
#include "audio/vocoder.h"
#include "loaders/loaders.h"
#include "object.h"
#include "../fixture_backend.h"

typedef struct fixture {
    ltx2_checkpoint *w, *io;
    ltx2_object *model;
} fixture;

typedef ltx2_status (*load_fn)(ltx2_checkpoint *ck, ltx2_object **out, ltx2_error *err);

static int fixture_open(ltx2_store *store, const char *dir, const char *name, load_fn load, fixture *f)
{
    char path[1024];
    ltx2_error err = {0};
    snprintf(path, sizeof path, "%s/%s.weights.safetensors", dir, name);
    if (ltx2_checkpoint_open(store, path, &f->w, &err) != LTX2_OK) {
        printf("FAIL: %s\n", err.msg);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.io.safetensors", dir, name);
    if (ltx2_checkpoint_open(store, path, &f->io, &err) != LTX2_OK) {
        printf("FAIL: %s\n", err.msg);
        return -1;
    }
    if (load(f->w, &f->model, &err) != LTX2_OK || !f->model) {
        printf("FAIL: load %s: %s\n", name, err.msg);
        return -1;
    }
    return 0;
}

static void fixture_close(fixture *f)
{
    ltx2_object_release(f->model); /* frees the device weights: before the device */
    ltx2_checkpoint_release(f->w);
    ltx2_checkpoint_release(f->io);
}

/* A result buffer of n floats in kc's memory, filled with NaN so unwritten values fail. */
static float *poisoned_on(const kctx *kc, int64_t n, float **host)
{
    *host = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        (*host)[i] = NAN;
    return fb_on(kc, *host, n);
}

/* One model call on device (or host) buffers. */
typedef ltx2_status (*run_fn)(const void *model, const kctx *kc, int64_t t, const float *in, float *out,
                              ltx2_error *err);

static ltx2_status run_decode(const void *m, const kctx *kc, int64_t t, const float *in, float *out, ltx2_error *err)
{
    return audio_vae_decode(m, kc, t, in, out, NULL, err);
}

static ltx2_status run_encode(const void *m, const kctx *kc, int64_t t, const float *in, float *out, ltx2_error *err)
{
    return audio_vae_encode(m, kc, t, in, out, NULL, err);
}

static ltx2_status run_vocoder(const void *m, const kctx *kc, int64_t t, const float *in, float *out, ltx2_error *err)
{
    return vocoder_run(m, kc, t, in, out, NULL, err);
}

/* Three passes into d_out (n values, read back into got): exact (weights made resident on a
 * device here), exact again on the resident weights, fast within 1e-2. */
static void check_passes(const kctx *kc0, const char *what, run_fn fn, const void *model, int64_t t,
                         const float *d_in, float *d_out, float *got, const float *want, int64_t n, double max_abs)
{
    static const char *const pass_names[3] = {"", " (resident)", " (fast)"};
    for (int pass = 0; pass < 3; pass++) {
        kctx kc = *kc0;
        kc.prec = pass == 2 ? KP_FAST : KP_EXACT;
        ltx2_error err = {0};
        char name[96];
        snprintf(name, sizeof name, "%s%s", what, pass_names[pass]);
        ltx2_status st = fn(model, &kc, t, d_in, d_out, &err);
        FB_CHECK(st == LTX2_OK, "%s: %s", name, err.msg);
        fb_to_host(&kc, got, d_out, n);
        fb_compare(name, got, want, n, pass == 2 ? 1e-2 : 1e-4, pass == 2 ? INFINITY : max_abs);
    }
}

static void check_decoder(const kctx *kc0, fixture *f)
{
    const audio_vae *v = ltx2_object_payload(f->model, LTX2_AUDIO_VAE_PAYLOAD);
    int64_t nl = 0, nm = 0;
    float *lat = fb_io_f32(f->io, "in.latent", &nl), *want = fb_io_f32(f->io, "out.mel", &nm);
    const int64_t T = nl / ((int64_t)v->cfg.z_channels * v->cfg.latent_freq);
    FB_CHECK(nm == (int64_t)v->cfg.out_ch * audio_vae_mel_frames(v, T) * v->cfg.mel_bins, "decoder: mel size");
    float *got = NULL, *d_lat = fb_on(kc0, lat, nl), *d_mel = poisoned_on(kc0, nm, &got);
    check_passes(kc0, "decoder mel", run_decode, v, T, d_lat, d_mel, got, want, nm, 4.2e-5);
    fb_free(kc0, d_lat, lat);
    fb_free(kc0, d_mel, got);
    free(lat), free(got), free(want);
}

static void check_encoder(const kctx *kc0, fixture *f)
{
    const audio_vae *v = ltx2_object_payload(f->model, LTX2_AUDIO_VAE_PAYLOAD);
    const audio_vae_config *c = &v->cfg;
    int64_t nw = 0, nm = 0, nl = 0;
    float *wave = fb_io_f32(f->io, "in.waveform", &nw), *want_mel = fb_io_f32(f->io, "out.mel", &nm);
    float *want_lat = fb_io_f32(f->io, "out.latent", &nl);
    const int64_t n = nw / c->in_channels;
    mel_config mc = audio_vae_mel_config(v);
    const int64_t Tm = mel_frames(&mc, n), Tl = audio_vae_latent_frames(v, Tm);
    FB_CHECK(nm == c->in_channels * Tm * c->n_mels && nl == c->z_channels * Tl * c->latent_freq, "encoder: sizes");
    /* the front end on the backend, as the node runs it */
    float *mel = NULL, *got = NULL, *d_wave = fb_on(kc0, wave, nw), *d_mel = poisoned_on(kc0, nm, &mel);
    ltx2_error err = {0};
    FB_CHECK(audio_vae_mel(v, kc0, c->in_channels, n, d_wave, d_mel, &err) == LTX2_OK, "mel: %s", err.msg);
    fb_to_host(kc0, mel, d_mel, nm);
    fb_compare("encoder mel", mel, want_mel, nm, 1e-4, 8.5e-5);
    float *d_lat = poisoned_on(kc0, nl, &got);
    check_passes(kc0, "encoder latent", run_encode, v, Tm, d_mel, d_lat, got, want_lat, nl, 6.5e-5);
    fb_free(kc0, d_wave, wave);
    fb_free(kc0, d_mel, mel);
    fb_free(kc0, d_lat, got);
    free(wave), free(want_mel), free(want_lat), free(mel), free(got);
}

static void check_vocoder(const kctx *kc0, fixture *f)
{
    const vocoder *v = ltx2_object_payload(f->model, LTX2_VOCODER_PAYLOAD);
    int64_t nm = 0, nw = 0;
    float *mel = fb_io_f32(f->io, "in.mel", &nm), *want = fb_io_f32(f->io, "out.waveform", &nw);
    const int64_t T = nm / ((int64_t)v->out_channels * v->mel_bins);
    FB_CHECK(nw == v->out_channels * vocoder_samples(v, T), "vocoder: waveform size");
    float *got = NULL, *d_mel = fb_on(kc0, mel, nm), *d_wave = poisoned_on(kc0, nw, &got);
    check_passes(kc0, "vocoder waveform", run_vocoder, v, T, d_mel, d_wave, got, want, nw, 2e-5);
    fb_free(kc0, d_mel, mel);
    fb_free(kc0, d_wave, got);
    free(mel), free(want), free(got);
}

#ifdef LTX2_CUDA
/* A first call on a device the weights do not fit: LTX2_ERR_OOM naming the model and the
 * bytes its weights need. */
static void check_refused(const kctx *sk, const char *what, run_fn fn, const void *model)
{
    ltx2_error oom = {0};
    ltx2_status so = fn(model, sk, 1, NULL, NULL, &oom);
    FB_CHECK(so == LTX2_ERR_OOM && strstr(oom.msg, what) && strstr(oom.msg, "bytes"), "%s over budget: %d \"%s\"",
             what, so, oom.msg);
    printf("over budget: %s\n", oom.msg);
}

/* Fresh models on a 64 KiB device: their weights do not fit and the run says so. */
static void check_over_budget(const kctx *kc0, fixture *dec, fixture *voc)
{
    kcuda *small = NULL;
    char why[256] = "";
    FB_CHECK(kcuda_create(0, (size_t)64 << 10, &small, why, sizeof why) == KS_OK, "64 KiB device: %s", why);
    if (!small)
        return;
    kctx sk = *kc0;
    sk.cuda = small;
    ltx2_error err = {0};
    ltx2_object *a = NULL, *w = NULL;
    FB_CHECK(ltx2_load_audio_vae(dec->w, &a, &err) == LTX2_OK && a, "reload audio VAE: %s", err.msg);
    FB_CHECK(ltx2_load_vocoder(voc->w, &w, &err) == LTX2_OK && w, "reload vocoder: %s", err.msg);
    if (a)
        check_refused(&sk, "audio VAE", run_decode, ltx2_object_payload(a, LTX2_AUDIO_VAE_PAYLOAD));
    if (w)
        check_refused(&sk, "vocoder", run_vocoder, ltx2_object_payload(w, LTX2_VOCODER_PAYLOAD));
    ltx2_object_release(a);
    ltx2_object_release(w);
    kcuda_destroy(small);
}
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR [cpu|cuda]\n", argv[0]);
        return 2;
    }
    kpool *pool = kpool_create(2);
    kctx kc = fb_context(argc > 2 ? argv[2] : NULL, pool);
    ltx2_store *store = ltx2_store_new();
    fixture dec = {0}, enc = {0}, voc = {0};
    if (fixture_open(store, argv[1], "audio_vae_decoder", ltx2_load_audio_vae, &dec) ||
        fixture_open(store, argv[1], "audio_vae_encoder", ltx2_load_audio_vae, &enc) ||
        fixture_open(store, argv[1], "vocoder", ltx2_load_vocoder, &voc))
        return 1;
    check_decoder(&kc, &dec);
    check_encoder(&kc, &enc);
    check_vocoder(&kc, &voc);
#ifdef LTX2_CUDA
    if (kc.backend == KB_CUDA)
        check_over_budget(&kc, &dec, &voc);
#endif
    fixture_close(&dec);
    fixture_close(&enc);
    fixture_close(&voc);
    fb_context_done(&kc);
    kpool_destroy(pool);
    ltx2_store_free(store);
    printf("audio fixtures (%s): %d failures\n", kc.backend == KB_CUDA ? "cuda" : "cpu", fb_failures);
    return fb_failures ? 1 : 0;
}
