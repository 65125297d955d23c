/* test_vae_memory.c — the video VAE decode's memory plan (vae_memory.h) against what the
 * decode allocates, and the budget decisions built on it.
 *
 * CPU: the activations and frames are host blocks from k_alloc (aligned_alloc, wrapped
 * here by the linker to count the bytes live), the op scratch comes from an arena the test
 * gives the context: the plan's activation bytes must equal the counted peak, its scratch
 * cover the arena's measured peak. CUDA (last argument cuda; exit 77 without a device):
 * the plan's total, weights included, against kcuda's measured peak of a cold decode.
 * Then, on the backend: a budget under the whole decode makes the plan tile (largest tiles
 * that fit) and the tiled decode under it stays within the budget; a budget under the
 * smallest tile is refused with LTX2_ERR_OOM, the words naming weights, one tile's
 * activations and the bytes; user tiles over budget are refused, not changed.
 * Usage: test_vae_memory FIXTURES_DIR [cpu|cuda] */
#include <malloc.h>
#include <pthread.h>

#include "../fixture_backend.h"
#include "video_vae/vae_memory.h"
#include "video_vae/vae_model.h"
#include "video_vae/vae_tiling.h"

/* ---------------------------------------------------------------- counted host blocks */
/* The test's own bookkeeping of the wrapped allocator (one table for the process). */
#define TRACK_SLOTS 4096
static struct {
    pthread_mutex_t lock;
    int armed;
    size_t live, peak;
    void *ptr[TRACK_SLOTS];
    size_t size[TRACK_SLOTS];
} T = {.lock = PTHREAD_MUTEX_INITIALIZER};

void *__real_aligned_alloc(size_t al, size_t size);
void __real_free(void *p);
void *__wrap_aligned_alloc(size_t al, size_t size);
void __wrap_free(void *p);

void *__wrap_aligned_alloc(size_t al, size_t size)
{
    void *p = __real_aligned_alloc(al, size);
    pthread_mutex_lock(&T.lock);
    if (p && T.armed)
        for (int i = 0; i < TRACK_SLOTS; i++)
            if (!T.ptr[i]) {
                T.ptr[i] = p;
                T.size[i] = size;
                T.live += size;
                T.peak = T.live > T.peak ? T.live : T.peak;
                break;
            }
    pthread_mutex_unlock(&T.lock);
    return p;
}

void __wrap_free(void *p)
{
    if (p) {
        pthread_mutex_lock(&T.lock);
        for (int i = 0; i < TRACK_SLOTS; i++)
            if (T.ptr[i] == p) {
                T.live -= T.size[i];
                T.ptr[i] = NULL;
                break;
            }
        pthread_mutex_unlock(&T.lock);
    }
    __real_free(p);
}

static void arm(int on)
{
    pthread_mutex_lock(&T.lock);
    T.armed = on;
    T.peak = T.live;
    pthread_mutex_unlock(&T.lock);
}
static size_t counted_peak(void)
{
    pthread_mutex_lock(&T.lock);
    size_t p = T.peak;
    pthread_mutex_unlock(&T.lock);
    return p;
}

/* ---------------------------------------------------------------- the decode under test */
typedef struct fx {
    ltx2_store *store;
    ltx2_checkpoint *w;
    ltx2_video_vae *vae;
} fx;

static int open_vae(fx *f, const char *dir)
{
    char p[1024];
    ltx2_error err = {0};
    memset(f, 0, sizeof *f);
    f->store = ltx2_store_new();
    snprintf(p, sizeof p, "%s/video_vae_decoder.weights.safetensors", dir);
    if (ltx2_checkpoint_open(f->store, p, &f->w, &err) != LTX2_OK ||
        ltx2_video_vae_build(f->w, &f->vae, &err) != LTX2_OK || !f->vae) {
        printf("FAIL: %s: %s\n", p, err.msg);
        return 0;
    }
    return 1;
}

static void close_vae(fx *f)
{
    ltx2_video_vae_free(f->vae);
    ltx2_checkpoint_release(f->w);
    ltx2_store_free(f->store);
}

/* A latent of random normals, and a noise of the same shape, in kc's memory. */
static float *latent_on(const kctx *kc, int64_t n, unsigned seed)
{
    float *h = malloc((size_t)n * sizeof *h);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        h[i] = ((float)(seed >> 8) / (float)(1u << 24) - 0.5f) * 3.0f;
    }
    float *d = fb_on(kc, h, n);
    if (d != h)
        free(h);
    return d;
}

/* One decode as the node runs it: the frames, the decode noise (timestep-conditioned
 * VAEs), then the whole decode (cfg NULL) or the tiled one. */
static ltx2_status decode(const kctx *kc, const ltx2_video_vae *v, const float *lat, int64_t f, int64_t h,
                          int64_t w, const vae_tiling *cfg, ltx2_error *err)
{
    int64_t F, H, W;
    ltx2_vae_pixel_size(v, f, h, w, &F, &H, &W);
    float *px = vae_alloc(kc, F * H * W * v->in_ch);
    if (!px)
        return LTX2_ERR_OOM;
    ltx2_status st;
    if (cfg) {
        st = ltx2_vae_decode_tiled(kc, v, lat, f, h, w, cfg, 0.05f, 0.025f, NULL, px, err);
    } else {
        float *noise = v->ts_cond ? vae_alloc(kc, v->latent_ch * f * h * w) : NULL;
        vae_dec_opts o = {.timestep = 0.05f, .noise_scale = 0.025f, .noise = noise};
        st = noise && k_memset0(kc, noise, (size_t)(v->latent_ch * f * h * w) * sizeof(float)) != KS_OK
                 ? LTX2_ERR_FAILED
                 : ltx2_vae_decode(kc, v, lat, f, h, w, &o, px, err);
        k_free(kc, noise);
    }
    k_free(kc, px);
    return st;
}

/* CPU: plan vs counted blocks and the arena's peak, for the whole decode or cfg's tiles. */
static void measure_cpu(const kctx *base, const ltx2_video_vae *v, const float *lat, int64_t f, int64_t h, int64_t w,
                        const vae_tiling *cfg, const char *what)
{
    ltx2_error err = {0};
    karena *ar = NULL;
    FB_CHECK(k_arena_create(base, 64 << 10, 0, &ar) == KS_OK, "arena");
    kctx kc = *base;
    vae_dec_mem m; /* planned without an arena: the scratch in full */
    FB_CHECK(vae_decode_mem(v, &kc, f, h, w, cfg, 0, &m, &err) == LTX2_OK, "%s: plan: %s", what, err.msg);
    kc.arena = ar;
    /* the arena holds the planned scratch before the run, as a node's arena would */
    FB_CHECK(k_arena_reserve(ar, m.scratch) == KS_OK, "reserve");
    vae_dec_mem held;
    FB_CHECK(vae_decode_mem(v, &kc, f, h, w, cfg, 0, &held, &err) == LTX2_OK && held.scratch == 0,
             "%s: a reserved arena leaves no new scratch (%zu)", what, held.scratch);
    arm(1);
    const size_t before = counted_peak();
    ltx2_status st = decode(&kc, v, lat, f, h, w, cfg, &err);
    const size_t measured = counted_peak() - before;
    arm(0);
    FB_CHECK(st == LTX2_OK, "%s: decode: %s", what, err.msg);
    const size_t planned = m.frames + m.activations, arena_peak = k_arena_peak(ar);
    printf("%-34s planned %zu + scratch %zu bytes; measured %zu + arena peak %zu (%d tiles)\n", what, planned,
           m.scratch, measured, arena_peak, m.tiles);
    FB_CHECK(planned == measured, "%s: planned activations and frames %zu != measured %zu", what, planned, measured);
    FB_CHECK(m.scratch >= arena_peak && m.scratch <= 2 * arena_peak + 4096, "%s: planned scratch %zu vs arena peak %zu",
             what, m.scratch, arena_peak);
    k_arena_destroy(ar);
}

#ifdef LTX2_CUDA
/* CUDA: the plan of a cold decode (weights uploaded by it) against kcuda's peak. */
static void measure_cuda(const char *dir, int64_t f, int64_t h, int64_t w, const vae_tiling *cfg, const char *what)
{
    fx fv;
    if (!open_vae(&fv, dir))
        return;
    kctx kc = fb_context("cuda", NULL);
    const int64_t n = fv.vae->latent_ch * f * h * w;
    float *lat = latent_on(&kc, n, 7);
    ltx2_error err = {0};
    vae_dec_mem m;
    FB_CHECK(vae_decode_mem(fv.vae, &kc, f, h, w, cfg, 0, &m, &err) == LTX2_OK, "%s: plan: %s", what, err.msg);
    const size_t base = kcuda_bytes_in_use(kc.cuda);
    FB_CHECK(kcuda_peak_bytes(kc.cuda) == base, "a fresh device's peak is its use");
    ltx2_status st = decode(&kc, fv.vae, lat, f, h, w, cfg, &err);
    FB_CHECK(st == LTX2_OK, "%s: decode: %s", what, err.msg);
    const size_t measured = kcuda_peak_bytes(kc.cuda) - base;
    printf("%-34s planned %zu bytes (weights %zu, activations %zu, scratch %zu, frames %zu); kcuda peak %zu\n", what,
           m.total, m.weights, m.activations, m.scratch, m.frames, measured);
    /* the arena's chunk granularity (lx_workspace) may add up to a chunk of 4 MiB */
    FB_CHECK(m.total >= measured - (measured > ((size_t)4 << 20) ? ((size_t)4 << 20) : measured) &&
                 m.total <= measured + measured / 20 + ((size_t)1 << 20),
             "%s: planned %zu vs measured %zu", what, m.total, measured);
    k_free(&kc, lat);
    ltx2_video_vae_free(fv.vae);
    fv.vae = NULL;
    fb_context_done(&kc);
    close_vae(&fv);
}
#endif

/* Budget decisions on kc's backend. */
static void budgets(const kctx *base, const ltx2_video_vae *v, const float *lat, int64_t f, int64_t h, int64_t w)
{
    ltx2_error err = {0};
    kctx kc = *base;
    vae_dec_fit fit;
    kc.budget = 0;
    FB_CHECK(vae_decode_fit_budget(v, &kc, f, h, w, NULL, 0, &fit, &err) == LTX2_OK && (kc.backend != KB_CPU || !fit.tiled),
             "no budget on the CPU: the whole decode (%s)", err.msg);
    vae_dec_mem whole;
    FB_CHECK(vae_decode_mem(v, &kc, f, h, w, NULL, 0, &whole, &err) == LTX2_OK, "whole plan");

    /* a budget just under the whole decode: tiles, each within it */
    kc.budget = whole.total - 1;
#ifdef LTX2_CUDA
    if (kc.backend == KB_CUDA) /* what the device holds already counts against the budget */
        kc.budget += kcuda_bytes_in_use(kc.cuda);
#endif
    FB_CHECK(vae_decode_fit_budget(v, &kc, f, h, w, NULL, 0, &fit, &err) == LTX2_OK, "tiled fit: %s", err.msg);
    char t[160];
    vae_tiling_describe(&fit.cfg, t, sizeof t);
    printf("budget %zu (whole decode %zu): %s, %d tiles, %zu bytes\n", kc.budget, whole.total, t, fit.mem.tiles,
           fit.mem.total);
    FB_CHECK(fit.tiled && fit.chosen && fit.mem.tiles > 1 && fit.mem.total <= fit.room.bytes,
             "under budget: tiled within the room (%zu <= %zu)", fit.mem.total, fit.room.bytes);
    FB_CHECK(fit.cfg.overlap_px == 64 && fit.cfg.overlap_frames == 24 && fit.cfg.tile_px % 32 == 0 &&
                 fit.cfg.tile_frames % 8 == 0,
             "the default overlaps on the tiling grid");
    FB_CHECK(fit.whole == whole.total, "the whole decode's bytes kept for the log");
    /* largest: no plan with fewer tiles fits (the next spatial size up, same temporal tiles) */
    if (fit.cfg.tile_px > 0) {
        vae_tiling up = fit.cfg;
        up.tile_px += 32;
        vae_dec_mem mu;
        if (vae_decode_mem(v, &kc, f, h, w, &up, 0, &mu, &err) == LTX2_OK && mu.tiles < fit.mem.tiles)
            FB_CHECK(mu.total > fit.room.bytes, "a larger spatial tile (%lld px) with fewer tiles fits too",
                     (long long)up.tile_px);
    }
    /* the chosen tiles decode as LTX2VAEDecodeTiled with them: the same call */
    {
        vae_dec_fit again;
        FB_CHECK(vae_decode_fit_budget(v, &kc, f, h, w, &fit.cfg, 0, &again, &err) == LTX2_OK &&
                     again.mem.total == fit.mem.total,
                 "the chosen tiles pass LTX2VAEDecodeTiled's check");
        FB_CHECK(decode(&kc, v, lat, f, h, w, &fit.cfg, &err) == LTX2_OK, "tiled decode under budget: %s", err.msg);
    }
    /* user tiles over the budget: refused, named, not changed */
    {
        vae_tiling big = {0, 64, 0, 24}; /* no tiling at all: the whole decode and more */
        vae_dec_fit over;
        ltx2_error e = {0};
        FB_CHECK(vae_decode_fit_budget(v, &kc, f, h, w, &big, 0, &over, &e) == LTX2_ERR_OOM &&
                     strstr(e.msg, "the tiles asked for") && over.cfg.tile_px == 0,
                 "user tiles over budget refused: \"%s\"", e.msg);
    }
    /* a budget under the smallest tile: refused before any work, the words naming the parts */
    kc.budget = whole.weights + 1024;
#ifdef LTX2_CUDA
    if (kc.backend == KB_CUDA)
        kc.budget += kcuda_bytes_in_use(kc.cuda);
#endif
    ltx2_error oom = {0};
    ltx2_status so = vae_decode_fit_budget(v, &kc, f, h, w, NULL, 0, &fit, &oom);
    printf("refused: %s\n", oom.msg);
    FB_CHECK(so == LTX2_ERR_OOM && strstr(oom.msg, "weights") && strstr(oom.msg, "one tile's activations") &&
                 strstr(oom.msg, "bytes") && strstr(oom.msg, "the budget leaves") && strstr(oom.msg, "smallest tiles"),
             "refusal words: \"%s\"", oom.msg);
}

/* ---------------------------------------------------------------- the 19B decoder's table */
/* The 19B decoder's layer shapes (spec: conv_in 128→1024; res_x ×5 at 1024, 512, 256, 128
 * with a ×2 (t, h, w) depth-to-space between; conv_out 128→48; no timestep conditioning),
 * without weights: the plan's activation and scratch figures need only the shapes. */
typedef struct vae19 {
    ltx2_video_vae v;
    vblock blocks[7];
    vres res[4][5];
} vae19;

static vconv conv3(int64_t cin, int64_t cout) { return (vconv){.cin = cin, .cout = cout, .kt = 3, .kh = 3, .kw = 3}; }

static void vae19_make(vae19 *m)
{
    memset(m, 0, sizeof *m);
    m->v.latent_ch = 128;
    m->v.patch = 4;
    m->v.in_ch = 3;
    m->v.has_dec = true;
    m->v.dec_spad = KPAD_REFLECT;
    m->v.dec.conv_in = conv3(128, 1024);
    m->v.dec.conv_out = conv3(128, 48);
    m->v.dec.n_blocks = 7;
    m->v.dec.blocks = m->blocks;
    int64_t c = 1024;
    for (int i = 0; i < 7; i++) {
        vblock *b = &m->blocks[i];
        if (i % 2 == 0) {
            vres *r = m->res[i / 2];
            for (int j = 0; j < 5; j++)
                r[j] = (vres){.conv1 = conv3(c, c), .conv2 = conv3(c, c)};
            *b = (vblock){.kind = VB_RES, .cin = c, .cout = c, .n_res = 5, .res = r};
        } else {
            *b = (vblock){.kind = VB_UP, .cin = c, .cout = c / 2, .conv = conv3(c, 4 * c), .st = 2, .sh = 2, .sw = 2,
                          .residual = true, .mult = 2};
            c /= 2;
        }
    }
}

/* bf16 weights and f32 biases of the decoder's convs (what a device holds of them). */
static size_t vae19_weights(const vae19 *m)
{
    size_t b = 0;
    const vcoder *d = &m->v.dec;
#define CONV(cv) (b += (size_t)((cv).cin * (cv).cout * 27) * 2 + (size_t)(cv).cout * 4)
    CONV(d->conv_in);
    CONV(d->conv_out);
    for (int i = 0; i < d->n_blocks; i++) {
        for (int j = 0; j < d->blocks[i].n_res; j++) {
            CONV(d->blocks[i].res[j].conv1);
            CONV(d->blocks[i].res[j].conv2);
        }
        if (d->blocks[i].kind == VB_UP)
            CONV(d->blocks[i].conv);
    }
#undef CONV
    return b;
}

/* What the plan says for 768x512x121 and 1536x1024x121 on this backend (docs/PERFORMANCE.md
 * records the CUDA figures): whole, the default tiles, and the budget's choice at 16 and
 * 8 GiB; a tiled decode always needs less than the whole one. */
static void table_19b(const kctx *base)
{
    vae19 m;
    vae19_make(&m);
    const size_t wts = vae19_weights(&m);
    const int64_t sizes[2][3] = {{16, 16, 24}, {16, 32, 48}}; /* latent f, h, w */
    printf("19B decoder weights (decoder only, bf16): %zu bytes (%.2f GiB)\n", wts, (double)wts / (1u << 30));
    for (int s = 0; s < 2; s++) {
        const int64_t f = sizes[s][0], h = sizes[s][1], w = sizes[s][2];
        vae_dec_mem whole, tiled;
        ltx2_error err = {0};
        kctx kc = *base;
        kc.arena = NULL;
        FB_CHECK(vae_decode_mem(&m.v, &kc, f, h, w, NULL, 1, &whole, &err) == LTX2_OK, "19B whole: %s", err.msg);
        FB_CHECK(vae_decode_mem(&m.v, &kc, f, h, w, &(vae_tiling){512, 64, 64, 24}, 1, &tiled, &err) == LTX2_OK,
                 "19B tiled: %s", err.msg);
        printf("%lldx%lldx121 whole: activations %.2f GiB, frames %.2f GiB, scratch %zu, total+weights %.2f GiB\n",
               (long long)(w * 32), (long long)(h * 32), (double)whole.activations / (1u << 30),
               (double)whole.frames / (1u << 30), whole.scratch, (double)(whole.total + wts) / (1u << 30));
        printf("%lldx%lldx121 tiles 512 px/64 frames (%d tiles): one tile %.2f GiB, total+weights %.2f GiB\n",
               (long long)(w * 32), (long long)(h * 32), tiled.tiles, (double)tiled.activations / (1u << 30),
               (double)(tiled.total + wts) / (1u << 30));
        FB_CHECK(tiled.activations < whole.activations, "tiles need less than the whole decode");
        for (int g = 16; g >= 8; g -= 8) {
            kc.budget = ((size_t)g << 30) - wts; /* the plan counts no weights here (none loaded) */
            vae_dec_fit fit;
            char t[160] = "";
            ltx2_status st = vae_decode_fit_budget(&m.v, &kc, f, h, w, NULL, 1, &fit, &err);
            vae_tiling_describe(&fit.cfg, t, sizeof t);
            printf("  budget %d GiB: %s%s%s (%d tiles, %.2f GiB)\n", g, st != LTX2_OK ? "refused" : fit.tiled ? "" : "whole",
                   st == LTX2_OK && fit.tiled ? t : "", "", fit.mem.tiles, (double)(fit.mem.total + wts) / (1u << 30));
        }
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/fixtures";
    const char *backend = argc > 2 ? argv[2] : "cpu";
    fx fv;
    if (!open_vae(&fv, dir))
        return 1;
    const ltx2_video_vae *v = fv.vae;
    int64_t ft, fs, one;
    ltx2_vae_pixel_size(v, 2, 1, 1, &ft, &fs, &one);
    /* a latent a few smallest tiles wide: 96 px and 32 frames are the smallest tiles */
    const int64_t f = 1 + 2 * (32 / (ft - 1)), h = 2 * 96 / fs, w = 3 * 96 / fs;
    printf("latent %lld x %lld x %lld (%lld px per position, %lld frames per step)\n", (long long)f, (long long)h,
           (long long)w, (long long)fs, (long long)(ft - 1));
    if (!strcmp(backend, "cuda")) {
#ifdef LTX2_CUDA
        measure_cuda(dir, f, h, w, NULL, "cuda whole decode");
        measure_cuda(dir, f, h, w, &(vae_tiling){96, 64, 32, 24}, "cuda tiled decode (96 px, 32 frames)");
        kctx kc = fb_context("cuda", NULL);
        float *lat = latent_on(&kc, v->latent_ch * f * h * w, 3);
        budgets(&kc, v, lat, f, h, w);
        table_19b(&kc);
        k_free(&kc, lat);
        ltx2_video_vae_free(fv.vae); /* its device weights go before the device */
        fv.vae = NULL;
        fb_context_done(&kc);
#else
        (void)fb_context("cuda", NULL); /* exits 77 */
#endif
    } else {
        kctx kc = fb_context("cpu", NULL);
        float *lat = latent_on(&kc, v->latent_ch * f * h * w, 3);
        ltx2_error err = {0};
        /* a first decode packs the CPU conv panels (kept with the model, not the decode's) */
        FB_CHECK(decode(&kc, v, lat, 2, 2, 2, NULL, &err) == LTX2_OK, "warm-up: %s", err.msg);
        measure_cpu(&kc, v, lat, f, h, w, NULL, "cpu whole decode");
        measure_cpu(&kc, v, lat, f, h, w, &(vae_tiling){96, 64, 32, 24}, "cpu tiled decode (96 px, 32 frames)");
        measure_cpu(&kc, v, lat, f, h, w, &(vae_tiling){0, 64, 32, 24}, "cpu tiled decode (32 frames)");
        budgets(&kc, v, lat, f, h, w);
        table_19b(&kc);
        free(lat);
    }
    close_vae(&fv);
    printf("%s\n", fb_failures ? "FAILED" : "ok");
    return fb_failures ? 1 : 0;
}
