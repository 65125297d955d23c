/* Video VAE model code against the golden fixtures (no host): decode with and without
 * timestep conditioning, encode, tiled decode; on the CPU, or with the last argument cuda
 * with the weights, inputs and outputs on a CUDA device (exit 77 where none is usable),
 * within the same bounds. Usage: test_vae_fixtures FIXTURES_DIR [case|all] [cpu|cuda] */
#include "../fixture_backend.h"
#include "video_vae/vae_model.h"
#include "video_vae/vae_tiling.h"

static int failures;
static kctx K; /* the backend the model code runs on */

/* n floats of K's memory for an output (host memory on the CPU). */
static float *out_buf(int64_t n)
{
    void *p = NULL;
    if (k_alloc(&K, (size_t)(n > 0 ? n : 1) * sizeof(float), &p) != KS_OK) {
        printf("FAIL: out of memory for %lld floats\n", (long long)n);
        exit(1);
    }
    return p;
}

/* The K-memory result y as a host array (y itself on the CPU, which the caller frees). */
static float *host_result(float *y, int64_t n)
{
    if (K.backend == KB_CPU) return y;
    float *h = malloc((size_t)n * sizeof *h);
    fb_to_host(&K, h, y, n);
    k_free(&K, y);
    return h;
}

static float *io_f32(ltx2_checkpoint *io, const char *name, int64_t *numel)
{
    const ltx2_st_tensor *st = ltx2_checkpoint_find(io, name);
    if (!st) return NULL;
    int64_t n = 1;
    for (int i = 0; i < st->ndim; i++) n *= st->shape[i];
    float *out = NULL;
    ltx2_error err;
    if (ltx2_ckpt_f32(io, name, n, &out, &err) != LTX2_OK) return NULL;
    if (numel) *numel = n;
    return out;
}

static void compare(const char *what, const float *got, const float *ref, int64_t n, double tol_rel)
{
    double num = 0, den = 0, mx = 0, mref = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
        if (fabs(d) > mx || d != d) mx = fabs(d);
        if (fabs(ref[i]) > mref) mref = fabs(ref[i]);
    }
    double rel = sqrt(num / (den > 0 ? den : 1));
    double abs_bound = 2e-5 * (mref > 1 ? mref : 1);
    int ok = rel <= tol_rel && mx <= abs_bound;
    printf("%-28s rel_l2 %.3g  max_abs %.3g (bound %.3g)  %s\n", what, rel, mx, abs_bound, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

typedef struct fx {
    ltx2_store *store;
    ltx2_checkpoint *w, *io;
    ltx2_video_vae *vae;
} fx;

static int open_case(fx *f, const char *dir, const char *name)
{
    char p[1024];
    ltx2_error err = {0};
    memset(f, 0, sizeof *f);
    f->store = ltx2_store_new();
    snprintf(p, sizeof p, "%s/%s.weights.safetensors", dir, name);
    if (ltx2_checkpoint_open(f->store, p, &f->w, &err) != LTX2_OK) goto bad;
    snprintf(p, sizeof p, "%s/%s.io.safetensors", dir, name);
    if (ltx2_checkpoint_open(f->store, p, &f->io, &err) != LTX2_OK) goto bad;
    if (ltx2_video_vae_build(f->w, &f->vae, &err) != LTX2_OK || !f->vae) goto bad;
    return 1;
bad:
    printf("%s: setup failed: %s\n", name, err.msg);
    failures++;
    return 0;
}

static void close_case(fx *f)
{
    ltx2_video_vae_free(f->vae);
    ltx2_checkpoint_release(f->w);
    ltx2_checkpoint_release(f->io);
    ltx2_store_free(f->store);
}

/* channels-last [n][c] pixels → NCFHW to compare with the fixture */
static float *to_ncf(const float *cl, int64_t c, int64_t n)
{
    float *o = malloc((size_t)(c * n) * sizeof *o);
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t i = 0; i < n; i++) o[ch * n + i] = cl[i * c + ch];
    return o;
}

static void run_decoder(const char *dir, const char *name)
{
    fx f;
    if (!open_case(&f, dir, name)) return;
    const ltx2_st_tensor *lt = ltx2_checkpoint_find(f.io, "in.latent");
    int64_t ref_n;
    float *lat = io_f32(f.io, "in.latent", NULL), *ref = io_f32(f.io, "out.video", &ref_n);
    float *noise = io_f32(f.io, "in.noise", NULL), *ts = io_f32(f.io, "in.timestep", NULL);
    int64_t F, H, W, fl = lt->shape[2], hl = lt->shape[3], wl = lt->shape[4];
    ltx2_vae_pixel_size(f.vae, fl, hl, wl, &F, &H, &W);
    if (F * H * W * 3 != ref_n) {
        printf("%s: output size mismatch\n", name);
        failures++;
    } else {
        float *px = out_buf(ref_n);
        float *dlat = fb_on(&K, lat, lt->shape[1] * fl * hl * wl);
        float *dnoise = noise ? fb_on(&K, noise, lt->shape[1] * fl * hl * wl) : NULL;
        vae_dec_opts o = {.timestep = ts ? ts[0] : 0.05f, .noise_scale = 0.025f, .noise = dnoise};
        ltx2_error err = {0};
        /* CPU conv panels exist only once a CPU run needed them (none on a device run) */
        if (f.vae->dec.conv_in.w) {
            printf("%s: CPU conv panels made at load\n", name);
            failures++;
        }
        ltx2_status st = ltx2_vae_decode(&K, f.vae, dlat, fl, hl, wl, &o, px, &err);
        if (st == LTX2_OK && !f.vae->dec.conv_in.w != (K.backend != KB_CPU)) {
            printf("%s: CPU conv panels %s after a %s decode\n", name, f.vae->dec.conv_in.w ? "made" : "missing",
                   K.backend == KB_CPU ? "CPU" : "device");
            failures++;
        }
        fb_free(&K, dlat, lat);
        fb_free(&K, dnoise, noise);
        px = host_result(px, ref_n);
        if (st != LTX2_OK) {
            printf("%s: decode failed: %s\n", name, err.msg);
            failures++;
        } else {
            float *ncf = to_ncf(px, 3, F * H * W);
            compare(name, ncf, ref, ref_n, 1e-4);
            free(ncf);
        }
        free(px);
    }
    free(lat);
    free(ref);
    free(noise);
    free(ts);
    close_case(&f);
}

static void run_encoder(const char *dir)
{
    fx f;
    if (!open_case(&f, dir, "video_vae_encoder")) return;
    const ltx2_st_tensor *vt = ltx2_checkpoint_find(f.io, "in.video");
    int64_t ref_n;
    float *video = io_f32(f.io, "in.video", NULL), *ref = io_f32(f.io, "out.latent", &ref_n);
    float *lat = out_buf(ref_n);
    int64_t lf, lh, lw, nv = vt->shape[1] * vt->shape[2] * vt->shape[3] * vt->shape[4];
    float *dvideo = fb_on(&K, video, nv);
    ltx2_error err = {0};
    ltx2_status st = ltx2_vae_encode(&K, f.vae, dvideo, vt->shape[2], vt->shape[3], vt->shape[4], lat, &lf, &lh, &lw, &err);
    fb_free(&K, dvideo, video);
    lat = host_result(lat, ref_n);
    if (st != LTX2_OK) {
        printf("encoder failed: %s\n", err.msg);
        failures++;
    } else if (lf * lh * lw * f.vae->latent_ch != ref_n) {
        printf("encoder: latent size mismatch\n");
        failures++;
    } else {
        compare("video_vae_encoder", lat, ref, ref_n, 1e-4);
    }
    free(video);
    free(ref);
    free(lat);
    close_case(&f);
}

typedef struct tud {
    ltx2_checkpoint *io;
    int ticks;
} tud;

static ltx2_status fx_noise(void *ud, int tile, const int64_t shape[4], float *out, int *used, ltx2_error *err)
{
    tud *t = ud;
    char key[64];
    snprintf(key, sizeof key, "in.noise.%02d", tile);
    int64_t n;
    float *x = io_f32(t->io, key, &n);
    if (!x || n != shape[0] * shape[1] * shape[2] * shape[3]) {
        free(x);
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s missing or misshapen", key);
    }
    memcpy(out, x, (size_t)n * sizeof *out);
    free(x);
    *used = 1;
    return LTX2_OK;
}

static ltx2_status fx_tick(void *ud, int done, int total)
{
    tud *t = ud;
    (void)done;
    (void)total;
    t->ticks++;
    return LTX2_OK;
}

static void run_tiled(const char *dir)
{
    fx f;
    if (!open_case(&f, dir, "video_vae_decoder_tiled")) return;
    const ltx2_st_tensor *lt = ltx2_checkpoint_find(f.io, "in.latent");
    int64_t ref_n;
    float *lat = io_f32(f.io, "in.latent", NULL), *ref = io_f32(f.io, "out.video", &ref_n);
    float *ts = io_f32(f.io, "in.timestep", NULL);
    int64_t F, H, W, fl = lt->shape[2], hl = lt->shape[3], wl = lt->shape[4];
    ltx2_vae_pixel_size(f.vae, fl, hl, wl, &F, &H, &W);
    /* the case's tiling (graph_vars): 64/32 px, 24/8 frames */
    vae_tiling cfg = {64, 32, 24, 8};
    tud ud = {f.io, 0};
    vae_tile_hooks hooks = {.ud = &ud, .noise = fx_noise, .tick = fx_tick};
    float *px = out_buf(ref_n);
    float *dlat = fb_on(&K, lat, lt->shape[1] * fl * hl * wl);
    ltx2_error err = {0};
    ltx2_status st = F * H * W * 3 != ref_n ? LTX2_ERR_BAD_INPUT
                   : ltx2_vae_decode_tiled(&K, f.vae, dlat, fl, hl, wl, &cfg, ts[0], 0.025f, &hooks, px, &err);
    fb_free(&K, dlat, lat);
    px = host_result(px, ref_n);
    if (st != LTX2_OK) {
        printf("tiled decode failed: %s\n", err.msg);
        failures++;
    } else {
        float *ncf = to_ncf(px, 3, F * H * W);
        compare("video_vae_decoder_tiled", ncf, ref, ref_n, 1e-4);
        free(ncf);
        if (ud.ticks != 8) {
            printf("tiled: %d progress ticks, expected 8 tiles\n", ud.ticks);
            failures++;
        }
    }
    free(px);
    free(lat);
    free(ref);
    free(ts);
    close_case(&f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR [case]\n", argv[0]);
        return 2;
    }
    const char *backend = argc > 3 ? argv[3] : NULL;
    const char *only = argc > 2 && strcmp(argv[2], "all") ? argv[2] : NULL;
    K = fb_context(backend, NULL);
    if (!only || !strcmp(only, "plain")) run_decoder(argv[1], "video_vae_decoder_plain");
    if (!only || !strcmp(only, "decoder")) run_decoder(argv[1], "video_vae_decoder");
    if (!only || !strcmp(only, "encoder")) run_encoder(argv[1]);
    if (!only || !strcmp(only, "tiled")) run_tiled(argv[1]);
    fb_context_done(&K); /* each case freed its model (and its device weights) first */
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
