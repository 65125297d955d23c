/* Latent upsamplers (spatial ×2, temporal ×2) against the golden fixtures, with the
 * statistics bundled in the fixture file; on the CPU, or with the last argument cuda with
 * the weights, latents and result on a CUDA device (exit 77 where none is usable), within
 * the same bounds. Usage: test_upscaler_fixtures FIXTURES_DIR [cpu|cuda] */
#include "../fixture_backend.h"
#include "upscaler/upscaler_model.h"

static int failures;
static kctx K; /* the backend the model code runs on */

static float *io_f32(ltx2_checkpoint *io, const char *name, int64_t *numel)
{
    const ltx2_st_tensor *st = ltx2_checkpoint_find(io, name);
    if (!st) return NULL;
    int64_t n = 1;
    for (int i = 0; i < st->ndim; i++) n *= st->shape[i];
    float *out = NULL;
    ltx2_error err;
    if (ltx2_ckpt_f32(io, name, n, &out, &err) != LTX2_OK) return NULL;
    *numel = n;
    return out;
}

static void run(const char *dir, const char *name)
{
    char p[1024];
    ltx2_error err = {0};
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *w = NULL, *io = NULL;
    ltx2_upscaler *u = NULL;
    snprintf(p, sizeof p, "%s/%s.weights.safetensors", dir, name);
    int ok = ltx2_checkpoint_open(store, p, &w, &err) == LTX2_OK;
    snprintf(p, sizeof p, "%s/%s.io.safetensors", dir, name);
    ok = ok && ltx2_checkpoint_open(store, p, &io, &err) == LTX2_OK;
    ok = ok && ltx2_upscaler_build(w, &u, &err) == LTX2_OK && u && u->mean;
    if (!ok) {
        printf("%s: setup failed: %s\n", name, err.msg);
        failures++;
    } else {
        const ltx2_st_tensor *lt = ltx2_checkpoint_find(io, "in.latent");
        int64_t n_in, n_ref, fo, ho, wo;
        float *lat = io_f32(io, "in.latent", &n_in), *ref = io_f32(io, "out.latent", &n_ref);
        ltx2_upscaler_out_size(u, lt->shape[2], lt->shape[3], lt->shape[4], &fo, &ho, &wo);
        if (fo * ho * wo * u->in_ch != n_ref) {
            printf("%s: output size mismatch\n", name);
            failures++;
        } else {
            float *y = malloc((size_t)n_ref * sizeof *y);
            float *dy = y, *dlat = fb_on(&K, lat, n_in);
            if (K.backend != KB_CPU && k_alloc(&K, (size_t)n_ref * sizeof *y, (void **)&dy) != KS_OK) dy = NULL;
            ltx2_status st = dy ? ltx2_upscaler_run(&K, u, u->mean, u->std, dlat, lt->shape[2], lt->shape[3],
                                                    lt->shape[4], dy, &err)
                                : LTX2_ERR_OOM;
            if (st == LTX2_OK) fb_to_host(&K, y, dy, n_ref);
            if (dy != y) k_free(&K, dy);
            fb_free(&K, dlat, lat);
            if (st != LTX2_OK) {
                printf("%s: run failed: %s\n", name, err.msg);
                failures++;
            } else {
                double num = 0, den = 0, mx = 0, mref = 0;
                for (int64_t i = 0; i < n_ref; i++) {
                    double d = (double)y[i] - ref[i];
                    num += d * d;
                    den += (double)ref[i] * ref[i];
                    if (!(fabs(d) <= mx)) mx = fabs(d);
                    if (fabs(ref[i]) > mref) mref = fabs(ref[i]);
                }
                double rel = sqrt(num / den), bound = 2e-5 * (mref > 1 ? mref : 1);
                int good = rel <= 1e-4 && mx <= bound;
                printf("%-20s rel_l2 %.3g max_abs %.3g (bound %.3g) %s\n", name, rel, mx, bound, good ? "ok" : "FAIL");
                failures += !good;
            }
            free(y);
        }
        free(lat);
        free(ref);
    }
    ltx2_upscaler_free(u);
    ltx2_checkpoint_release(w);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    K = fb_context(argc > 2 ? argv[2] : NULL, NULL);
    run(argv[1], "spatial_upsampler");
    run(argv[1], "temporal_upsampler");
    fb_context_done(&K); /* each model (and its device weights) was freed first */
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
