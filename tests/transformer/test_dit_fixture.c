/* test_dit_fixture.c — the transformer against a golden fixture case (argv: fixtures
 * dir, case, optional backend cpu|cuda; cuda exits 77 where no device is usable, and
 * then runs every pass with weights, inputs and outputs on the device): positions from the grid helpers vs the inputs, every dbg_* intermediate
 * (AdaLN, contexts, RoPE tables, hidden state after each block) and the velocities of
 * the plain, STG and isolated-modality passes, in exact precision; the plain pass again
 * in fast precision within 1e-2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "transformer/transformer.h"
#ifdef LTX2_CUDA
#include "cuda/kcuda.h"
#endif

static int failures;

#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

typedef struct {
    ltx2_checkpoint *io;
    const ltx2_dit_config *cfg;
    int n_dumps, n_checked;
} ctx_t;

static float *io_f32(ltx2_checkpoint *io, const char *name, int64_t *numel)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_find(io, name);
    if (!t)
        return NULL;
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    float *out = NULL;
    ltx2_error err = {0};
    if (ltx2_ckpt_f32(io, name, n, &out, &err) != LTX2_OK)
        return NULL;
    if (numel)
        *numel = n;
    return out;
}

/* A copy of n host floats in kc's backend memory (the host array itself on the CPU). */
static float *on_backend(const kctx *kc, float *host, int64_t n)
{
    if (kc->backend == KB_CPU || !host)
        return host;
    void *d = NULL;
    if (k_alloc(kc, (size_t)n * sizeof(float), &d) != KS_OK ||
        k_copy(kc, d, host, (size_t)n * sizeof(float), K_H2D) != KS_OK) {
        printf("FAIL: device copy of %lld floats\n", (long long)n);
        exit(1);
    }
    return d;
}

static void to_host(const kctx *kc, float *host, const float *dev, int64_t n)
{
    if (kc->backend != KB_CPU && k_copy(kc, host, dev, (size_t)n * sizeof(float), K_D2H) != KS_OK) {
        printf("FAIL: copy of the result to the host\n");
        exit(1);
    }
}

static void backend_free(const kctx *kc, const float *d, const float *host)
{
    if (d != host)
        k_free(kc, (void *)d);
}

/* Relative L2 and max abs difference. */
static void compare(const char *what, const float *got, const float *want, int64_t n, double max_rel,
                    double max_abs)
{
    double num = 0, den = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        num += d * d;
        den += (double)want[i] * want[i];
        if (fabs(d) > mx || d != d)
            mx = d != d ? INFINITY : fabs(d);
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    CHECK(rel <= max_rel && mx <= max_abs, "%s: rel L2 %.3g (max %.1g), max abs %.3g (max %.1g)", what, rel,
          max_rel, mx, max_abs);
}

/* The fixture's split RoPE tables are [heads][T][hd/2]; ours are [T][heads*hd/2]. */
static void on_dump(void *arg, const char *name, const float *data, int64_t rows, int64_t cols)
{
    ctx_t *c = arg;
    char key[128];
    snprintf(key, sizeof key, "out.dbg_%s", name);
    int64_t n = 0;
    float *want = io_f32(c->io, key, &n);
    c->n_dumps++;
    if (!want)
        return;
    c->n_checked++;
    const bool pe = strstr(name, "_pe_") != NULL;
    float *got = malloc((size_t)(rows * cols) * sizeof(float));
    if (pe && c->cfg->rope_type == LTX2_ROPE_SPLIT) {
        const ltx2_st_tensor *t = ltx2_checkpoint_find(c->io, key);
        const int64_t heads = t->shape[1], hh = t->shape[3];
        for (int64_t h = 0; h < heads; h++)
            for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < hh; j++)
                    got[(h * rows + i) * hh + j] = data[i * cols + h * hh + j];
    } else if (pe) { /* interleaved: the fixture repeats each value twice */
        free(got);
        got = malloc((size_t)(rows * cols * 2) * sizeof(float));
        for (int64_t i = 0; i < rows * cols; i++)
            got[2 * i] = got[2 * i + 1] = data[i];
        rows *= 2;
    } else {
        memcpy(got, data, (size_t)(rows * cols) * sizeof(float));
    }
    CHECK(n == rows * cols, "%s: %lld values, fixture has %lld", name, (long long)(rows * cols), (long long)n);
    if (n == rows * cols)
        compare(name, got, want, n, 1e-4, 1e-3);
    free(got);
    free(want);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FIXTURES_DIR CASE [cpu|cuda]\n", argv[0]);
        return 2;
    }
    const bool cuda = argc > 3 && !strcmp(argv[3], "cuda");
    kpool *pool = kpool_create(2);
    kctx kc = kctx_default(pool);
#ifdef LTX2_CUDA
    kcuda *dev = NULL;
    if (cuda) {
        char why[256] = "";
        if (kcuda_device_count() == 0 || kcuda_create(0, 0, &dev, why, sizeof why) != KS_OK) {
            printf("SKIP: no usable CUDA device (%s)\n", why[0] ? why : "none found");
            kpool_destroy(pool);
            return 77;
        }
        printf("device: %s\n", kcuda_name(dev));
        kc.backend = KB_CUDA;
        kc.cuda = dev;
    }
#else
    if (cuda) {
        printf("SKIP: no usable CUDA device (built without LTX2_CUDA)\n");
        kpool_destroy(pool);
        return 77;
    }
#endif
    char path[1024];
    ltx2_error err = {0};
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *w = NULL, *io = NULL;
    snprintf(path, sizeof path, "%s/%s.weights.safetensors", argv[1], argv[2]);
    if (ltx2_checkpoint_open(store, path, &w, &err) != LTX2_OK) {
        printf("SKIP/FAIL: %s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s.io.safetensors", argv[1], argv[2]);
    if (ltx2_checkpoint_open(store, path, &io, &err) != LTX2_OK) {
        printf("FAIL: %s\n", err.msg);
        return 1;
    }
    ltx2_dit *m = NULL;
    if (ltx2_dit_load(w, &m, &err) != LTX2_OK || !m) {
        printf("FAIL: load: %s\n", err.msg);
        return 1;
    }
    const ltx2_dit_config *cfg = &m->cfg;

    int64_t nv_el = 0, na_el = 0, nctx_el = 0;
    float *vlat = io_f32(io, "in.video_latent", &nv_el), *vsig = io_f32(io, "in.video_timesteps", NULL);
    float *vpos = io_f32(io, "in.video_positions", NULL), *vctx = io_f32(io, "in.video_context", &nctx_el);
    float *alat = io_f32(io, "in.audio_latent", &na_el), *asig = io_f32(io, "in.audio_timesteps", NULL);
    float *apos = io_f32(io, "in.audio_positions", NULL), *actx = io_f32(io, "in.audio_context", NULL);
    float *mask = io_f32(io, "in.context_mask", NULL);
    const int64_t nv = nv_el / cfg->v_in, n_ctx = nctx_el / cfg->caption_channels;
    const int64_t na = alat ? na_el / cfg->a_in : 0;

    /* positions from the grid helpers (the fixture grid is 3x4x6 at 24 fps when nv = 72) */
    const ltx2_st_tensor *vp = ltx2_checkpoint_find(io, "in.video_positions");
    CHECK(vp && vp->shape[2] == nv, "video positions shape");
    if (nv == 72) {
        float *mine = malloc((size_t)(3 * nv * 2) * sizeof(float));
        ltx2_dit_video_positions(3, 4, 6, 24.0, true, mine);
        compare("video positions", mine, vpos, 3 * nv * 2, 1e-7, 1e-7);
        free(mine);
    }
    if (apos) {
        float *mine = malloc((size_t)(na * 2) * sizeof(float));
        ltx2_dit_audio_positions(na, mine);
        compare("audio positions", mine, apos, na * 2, 1e-7, 1e-7);
        free(mine);
    }

    float *vout = malloc((size_t)(nv * cfg->v_out) * sizeof(float));
    float *aout = na ? malloc((size_t)(na * cfg->a_out) * sizeof(float)) : NULL;
    /* the streams in the backend's memory */
    float *d_vlat = on_backend(&kc, vlat, nv_el), *d_vsig = on_backend(&kc, vsig, nv);
    float *d_vpos = on_backend(&kc, vpos, 3 * nv * 2), *d_vctx = on_backend(&kc, vctx, nctx_el);
    float *d_alat = on_backend(&kc, alat, na_el), *d_asig = on_backend(&kc, asig, na);
    float *d_apos = on_backend(&kc, apos, na * 2), *d_actx = on_backend(&kc, actx, actx ? nctx_el : 0);
    float *d_mask = on_backend(&kc, mask, n_ctx);
    float *d_vout = on_backend(&kc, vout, nv * cfg->v_out), *d_aout = on_backend(&kc, aout, na * cfg->a_out);
    ltx2_dit_stream v = {nv, d_vlat, d_vsig, d_vpos, d_vctx, n_ctx, d_mask, d_vout};
    ltx2_dit_stream a = {na, d_alat, d_asig, d_apos, d_actx, n_ctx, d_mask, d_aout};
    ctx_t c = {io, cfg, 0, 0};
    ltx2_dit_hooks hooks = {NULL, on_dump, &c};

    struct {
        const char *suffix;
        ltx2_dit_perturb p;
    } passes[3];
    int stg_block[1] = {cfg->num_layers > 1 ? 1 : 0};
    memset(passes, 0, sizeof passes);
    passes[0].suffix = "";
    passes[1].suffix = "_stg";
    passes[1].p.skip_video_self = (ltx2_dit_blocks){false, stg_block, 1};
    passes[1].p.skip_audio_self = (ltx2_dit_blocks){false, stg_block, 1};
    passes[2].suffix = "_isolated";
    passes[2].p.skip_a2v.all = passes[2].p.skip_v2a.all = true;
    for (int pi = 0; pi < 3; pi++) {
        char key[128];
        snprintf(key, sizeof key, "out.video_velocity%s", passes[pi].suffix);
        float *want_v = io_f32(io, key, NULL);
        if (!want_v)
            continue;
        ltx2_status st = ltx2_dit_forward(m, &kc, &v, na ? &a : NULL, &passes[pi].p, pi == 0 ? &hooks : NULL, &err);
        CHECK(st == LTX2_OK, "forward%s: %s", passes[pi].suffix, err.msg);
        to_host(&kc, vout, d_vout, nv * cfg->v_out);
        if (na)
            to_host(&kc, aout, d_aout, na * cfg->a_out);
        compare(key, vout, want_v, nv * cfg->v_out, 1e-4, 1e-3);
        free(want_v);
        if (na) {
            snprintf(key, sizeof key, "out.audio_velocity%s", passes[pi].suffix);
            float *want_a = io_f32(io, key, NULL);
            CHECK(want_a != NULL, "%s missing", key);
            if (want_a)
                compare(key, aout, want_a, na * cfg->a_out, 1e-4, 1e-3);
            free(want_a);
        }
    }
    CHECK(c.n_checked >= 8, "only %d of %d dumps had a fixture tensor", c.n_checked, c.n_dumps);

    /* fast precision: same code, bf16 kernels, within 1e-2 */
    kc.prec = KP_FAST;
    ltx2_status st = ltx2_dit_forward(m, &kc, &v, na ? &a : NULL, NULL, NULL, &err);
    CHECK(st == LTX2_OK, "fast forward: %s", err.msg);
    to_host(&kc, vout, d_vout, nv * cfg->v_out);
    if (na)
        to_host(&kc, aout, d_aout, na * cfg->a_out);
    float *want_v = io_f32(io, "out.video_velocity", NULL);
    compare("fast video velocity", vout, want_v, nv * cfg->v_out, 1e-2, INFINITY);
    free(want_v);
    if (na) {
        float *want_a = io_f32(io, "out.audio_velocity", NULL);
        compare("fast audio velocity", aout, want_a, na * cfg->a_out, 1e-2, INFINITY);
        free(want_a);
    }

    const float *dev_bufs[11] = {d_vlat, d_vsig, d_vpos, d_vctx, d_alat, d_asig, d_apos, d_actx, d_mask, d_vout, d_aout};
    const float *host_bufs[11] = {vlat, vsig, vpos, vctx, alat, asig, apos, actx, mask, vout, aout};
    for (int i = 0; i < 11; i++)
        backend_free(&kc, dev_bufs[i], host_bufs[i]);
    free(vlat), free(vsig), free(vpos), free(vctx), free(alat), free(asig), free(apos), free(actx);
    free(mask), free(vout), free(aout);
    ltx2_dit_release(m); /* frees the device weights: before the device */
#ifdef LTX2_CUDA
    kcuda_destroy(dev);
#endif
    kpool_destroy(pool);
    ltx2_checkpoint_release(w);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
    printf("%s: %d dumps checked, %d failures\n", argv[2], c.n_checked, failures);
    return failures ? 1 : 0;
}
