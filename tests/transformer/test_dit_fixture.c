/* test_dit_fixture.c — the transformer against a golden fixture case (argv: fixtures
 * dir, case, optional backend cpu|cuda; on cuda every pass runs with weights, inputs and
 * outputs on the device, exit 77 where none is usable): positions from the grid helpers
 * vs the inputs, every dbg_* intermediate (AdaLN, contexts, RoPE tables, hidden state
 * after each block) and the velocities of the plain, STG and isolated-modality passes,
 * in exact precision; the plain pass again in fast precision within 1e-2; on cuda, a device budget the weights do not fit is
 * refused with LTX2_ERR_OOM naming the bytes; streamed under a budget, the same bits as
 * resident (dit_stream_check.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "transformer/transformer.h"
#include "../fixture_backend.h"
#include "dit_stream_check.h"

typedef struct {
    ltx2_checkpoint *io;
    const ltx2_dit_config *cfg;
    int n_dumps, n_checked;
} ctx_t;




/* The fixture's split RoPE tables are [heads][T][hd/2]; ours are [T][heads*hd/2]. */
static void on_dump(void *arg, const char *name, const float *data, int64_t rows, int64_t cols)
{
    ctx_t *c = arg;
    char key[128];
    snprintf(key, sizeof key, "out.dbg_%s", name);
    int64_t n = 0;
    float *want = fb_io_f32(c->io, key, &n);
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
    FB_CHECK(n == rows * cols, "%s: %lld values, fixture has %lld", name, (long long)(rows * cols), (long long)n);
    if (n == rows * cols)
        fb_compare(name, got, want, n, 1e-4, 1e-3);
    free(got);
    free(want);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FIXTURES_DIR CASE [cpu|cuda]\n", argv[0]);
        return 2;
    }
    kpool *pool = kpool_create(2);
    kctx kc = fb_context(argc > 3 ? argv[3] : NULL, pool);
    ltx2_error err = {0};
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *w = NULL, *io = NULL;
    ltx2_dit *m = NULL;
    if (fb_open_dit_case(store, argv[1], argv[2], &w, &io, &m))
        return 1;
    const ltx2_dit_config *cfg = &m->cfg;

    int64_t nv_el = 0, na_el = 0, nctx_el = 0;
    float *vlat = fb_io_f32(io, "in.video_latent", &nv_el), *vsig = fb_io_f32(io, "in.video_timesteps", NULL);
    float *vpos = fb_io_f32(io, "in.video_positions", NULL), *vctx = fb_io_f32(io, "in.video_context", &nctx_el);
    float *alat = fb_io_f32(io, "in.audio_latent", &na_el), *asig = fb_io_f32(io, "in.audio_timesteps", NULL);
    float *apos = fb_io_f32(io, "in.audio_positions", NULL), *actx = fb_io_f32(io, "in.audio_context", NULL);
    float *mask = fb_io_f32(io, "in.context_mask", NULL);
    const int64_t nv = nv_el / cfg->v_in, n_ctx = nctx_el / cfg->caption_channels;
    const int64_t na = alat ? na_el / cfg->a_in : 0;

    /* positions from the grid helpers (the fixture grid is 3x4x6 at 24 fps when nv = 72) */
    const ltx2_st_tensor *vp = ltx2_checkpoint_find(io, "in.video_positions");
    FB_CHECK(vp && vp->shape[2] == nv, "video positions shape");
    if (nv == 72) {
        float *mine = malloc((size_t)(3 * nv * 2) * sizeof(float));
        ltx2_dit_video_positions(&LTX2_LATENT_GEOM_DEFAULT, 3, 4, 6, 24.0, true, mine);
        fb_compare("video positions", mine, vpos, 3 * nv * 2, 1e-7, 1e-7);
        free(mine);
    }
    if (apos) {
        float *mine = malloc((size_t)(na * 2) * sizeof(float));
        ltx2_dit_audio_positions(&LTX2_LATENT_GEOM_DEFAULT, na, mine);
        fb_compare("audio positions", mine, apos, na * 2, 1e-7, 1e-7);
        free(mine);
    }

    float *vout = malloc((size_t)(nv * cfg->v_out) * sizeof(float));
    float *aout = na ? malloc((size_t)(na * cfg->a_out) * sizeof(float)) : NULL;
    /* the streams in the backend's memory */
    float *d_vlat = fb_on(&kc, vlat, nv_el), *d_vsig = fb_on(&kc, vsig, nv);
    float *d_vpos = fb_on(&kc, vpos, 3 * nv * 2), *d_vctx = fb_on(&kc, vctx, nctx_el);
    float *d_alat = fb_on(&kc, alat, na_el), *d_asig = fb_on(&kc, asig, na);
    float *d_apos = fb_on(&kc, apos, na * 2), *d_actx = fb_on(&kc, actx, actx ? nctx_el : 0);
    float *d_mask = fb_on(&kc, mask, n_ctx);
    float *d_vout = fb_on(&kc, vout, nv * cfg->v_out), *d_aout = fb_on(&kc, aout, na * cfg->a_out);
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
        float *want_v = fb_io_f32(io, key, NULL);
        if (!want_v)
            continue;
        ltx2_status st = ltx2_dit_forward(m, &kc, &v, na ? &a : NULL, &passes[pi].p, pi == 0 ? &hooks : NULL, &err);
        FB_CHECK(st == LTX2_OK, "forward%s: %s", passes[pi].suffix, err.msg);
        fb_to_host(&kc, vout, d_vout, nv * cfg->v_out);
        if (na)
            fb_to_host(&kc, aout, d_aout, na * cfg->a_out);
        fb_compare(key, vout, want_v, nv * cfg->v_out, 1e-4, 1e-3);
        free(want_v);
        if (na) {
            snprintf(key, sizeof key, "out.audio_velocity%s", passes[pi].suffix);
            float *want_a = fb_io_f32(io, key, NULL);
            FB_CHECK(want_a != NULL, "%s missing", key);
            if (want_a)
                fb_compare(key, aout, want_a, na * cfg->a_out, 1e-4, 1e-3);
            free(want_a);
        }
    }
    FB_CHECK(c.n_checked >= 8, "only %d of %d dumps had a fixture tensor", c.n_checked, c.n_dumps);

    /* fast precision: same code, bf16 kernels, within 1e-2 */
    kc.prec = KP_FAST;
    ltx2_status st = ltx2_dit_forward(m, &kc, &v, na ? &a : NULL, NULL, NULL, &err);
    FB_CHECK(st == LTX2_OK, "fast forward: %s", err.msg);
    fb_to_host(&kc, vout, d_vout, nv * cfg->v_out);
    if (na)
        fb_to_host(&kc, aout, d_aout, na * cfg->a_out);
    float *want_v = fb_io_f32(io, "out.video_velocity", NULL);
    fb_compare("fast video velocity", vout, want_v, nv * cfg->v_out, 1e-2, INFINITY);
    free(want_v);
    if (na) {
        float *want_a = fb_io_f32(io, "out.audio_velocity", NULL);
        fb_compare("fast audio velocity", aout, want_a, na * cfg->a_out, 1e-2, INFINITY);
        free(want_a);
    }

    /* under a budget: streamed blocks give the resident bits; too small is refused */
    kc.prec = KP_EXACT;
    stream_case sc = {.kc = kc, .w = w, .m = m, .v = &v, .a = na ? &a : NULL, .vout = vout, .aout = aout,
                      .nv_out = nv * cfg->v_out, .na_out = na * cfg->a_out};
    check_streaming(&sc, vsig, asig, mask != NULL);

#ifdef LTX2_CUDA
    /* A model that does not fit the device budget is refused, naming the bytes needed. */
    if (kc.backend == KB_CUDA) {
        kcuda *small = NULL;
        char why[256] = "";
        ltx2_dit *fresh = NULL;
        FB_CHECK(kcuda_create(0, (size_t)1 << 20, &small, why, sizeof why) == KS_OK, "1 MiB device: %s", why);
        FB_CHECK(ltx2_dit_load(w, &fresh, &err) == LTX2_OK && fresh, "reload: %s", err.msg);
        if (small && fresh) {
            kctx sk = kc;
            sk.cuda = small;
            ltx2_error oom = {0};
            ltx2_status so = ltx2_dit_forward(fresh, &sk, &v, na ? &a : NULL, NULL, NULL, &oom);
            FB_CHECK(so == LTX2_ERR_OOM && strstr(oom.msg, "transformer") && strstr(oom.msg, "bytes"),
                     "over budget: status %d, \"%s\"", so, oom.msg);
            printf("over budget: %s\n", oom.msg);
        }
        ltx2_dit_release(fresh);
        if (small)
            kcuda_destroy(small);
    }
#endif
    const float *dev_bufs[11] = {d_vlat, d_vsig, d_vpos, d_vctx, d_alat, d_asig, d_apos, d_actx, d_mask, d_vout, d_aout};
    const float *host_bufs[11] = {vlat, vsig, vpos, vctx, alat, asig, apos, actx, mask, vout, aout};
    for (int i = 0; i < 11; i++)
        fb_free(&kc, dev_bufs[i], host_bufs[i]);
    free(vlat), free(vsig), free(vpos), free(vctx), free(alat), free(asig), free(apos), free(actx);
    free(mask), free(vout), free(aout);
    ltx2_dit_release(m); /* frees the device weights: before the device */
    fb_context_done(&kc);
    kpool_destroy(pool);
    ltx2_checkpoint_release(w);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
    printf("%s: %d dumps checked, %d failures\n", argv[2], c.n_checked, fb_failures);
    return fb_failures ? 1 : 0;
}
