/* test_text_encoder.c — the whole chain (tokenizer, Gemma 3, feature extractor, both
 * connectors) against the text_encoder fixture, in exact and fast precision, and after
 * releasing and re-opening the Gemma weights (argv: fixtures dir, optional backend
 * cpu|cuda: on cuda Gemma 3, the feature extractor and the connectors run on the device
 * within the same bounds, exit 77 where none is usable). */
#include <stdint.h>
#include "loaders/loaders.h"
#include "object.h"
#include "text/text_encoder.h"
#include "text_test_util.h"
#include "../fixture_backend.h"

/* Compares one output tensor with the fixture's `out.p<p>_<name>`. */
static void compare(ltx2_checkpoint *io, int p, const char *name, const ltx2_tensor *got, double tol_rel,
                    double tol_abs, const char *mode)
{
    char key[64];
    snprintf(key, sizeof key, "out.p%d_%s", p, name);
    const ltx2_st_tensor *ref = ltx2_checkpoint_find(io, key);
    CHECK(ref && got, "%s missing", key);
    if (!ref || !got) return;
    int64_t n = 1;
    for (int i = 0; i < ref->ndim; ++i) n *= ref->shape[i];
    CHECK(ltx2_tensor_numel(got) == n, "%s: %lld values, reference %lld", key, (long long)ltx2_tensor_numel(got),
          (long long)n);
    if (ltx2_tensor_numel(got) != n) return;
    float *want = NULL;
    ltx2_error err = {0};
    CHECK(ltx2_ckpt_f32(io, key, n, &want, &err) == LTX2_OK, "%s", err.msg);
    double mx, rel = rel_l2(ltx2_tensor_cf32(got), want, n, &mx);
    CHECK(rel <= tol_rel && mx <= tol_abs, "[%s] %s: rel L2 %.3g (tol %.3g), max abs %.3g (tol %.3g)", mode, key,
          rel, tol_rel, mx, tol_abs);
    fprintf(stderr, "[%s] %-22s rel %.3g  max abs %.3g\n", mode, key, rel, mx);
    free(want);
}

static ltx2_status no_cancel_after(void *user, int64_t done, int64_t total)
{
    int64_t *calls = user;
    ++*calls;
    (void)total;
    return done >= 2 ? LTX2_CANCELLED : LTX2_OK; /* cancels after layer 2 */
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/fixtures";
    char *wp = fixture_path(dir, "text_encoder.weights.safetensors"), *tp = fixture_path(dir, "text_encoder.tokenizer.model");
    char *iop = fixture_path(dir, "text_encoder.io.safetensors");
    ltx2_store *store = ltx2_store_new();
    kpool *pool = kpool_create(2);
    kctx base = fb_context(argc > 2 ? argv[2] : NULL, pool);
    ltx2_error err = {0};
    ltx2_checkpoint *w = NULL, *io = NULL;
    ltx2_object *obj = NULL;
    CHECK(ltx2_checkpoint_open(store, wp, &w, &err) == LTX2_OK, "%s", err.msg);
    CHECK(ltx2_checkpoint_open(store, iop, &io, &err) == LTX2_OK, "%s", err.msg);
    if (w) CHECK(ltx2_load_text_encoder(w, w, tp, &obj, &err) == LTX2_OK && obj, "%s", err.msg);
    ltx2_text_encoder *te = obj ? ltx2_object_payload(obj, LTX2_TEXT_ENCODER_PAYLOAD) : NULL;
    struct json_object *vars = io ? graph_vars(io) : NULL;
    const char *ml = graph_var(vars, "MAX_LENGTH");
    const int64_t L = ml ? atoll(ml) : 0;
    CHECK(te && L > 0, "encoder and MAX_LENGTH");

    for (int mode = 0; te && L > 0 && mode < 3; ++mode) {
        /* 0: exact, 1: exact after releasing Gemma (re-opened), 2: fast. */
        kctx ctx = base;
        ctx.prec = mode == 2 ? KP_FAST : KP_EXACT;
        const char *mname = mode == 0 ? "exact" : mode == 1 ? "reopened" : "fast";
        if (mode == 1) ltx2_text_encoder_release_gemma(te);
        double th = mode == 2 ? 1e-2 : 1e-4, tc = mode == 2 ? 1e-2 : 5e-5, ta = mode == 2 ? 0.1 : 5e-5;
        for (int p = 0; p < 2; ++p) {
            char var[16];
            snprintf(var, sizeof var, "PROMPT_%d", p);
            ltx2_text_encoding e;
            ltx2_status st = ltx2_text_encoder_encode(te, store, &ctx, graph_var(vars, var), L, 1, NULL, NULL, &e, &err);
            CHECK(st == LTX2_OK, "encode %s: %s", var, err.msg);
            if (st) continue;
            compare(io, p, "token_ids", e.token_ids, 0, 0, mname);
            compare(io, p, "token_mask", e.token_mask, 0, 0, mname);
            compare(io, p, "hidden_states", e.hidden_states, th, ta * 2, mname);
            compare(io, p, "features", e.features, tc, ta, mname);
            compare(io, p, "video_context", e.video_context, tc, ta, mname);
            compare(io, p, "audio_context", e.audio_context, tc, ta, mname);
            compare(io, p, "context_mask", e.context_mask, 0, 0, mname);
            ltx2_text_encoding_release(&e);
        }
    }
    if (te && L > 0) { /* cancellation from the layer callback unwinds cleanly */
        kctx ctx = base;
        int64_t calls = 0;
        ltx2_text_encoding e;
        ltx2_status st = ltx2_text_encoder_encode(te, store, &ctx, "x", L, 1, no_cancel_after, &calls, &e, &err);
        CHECK(st == LTX2_CANCELLED && calls == 3 && !e.video_context, "cancel: status %d after %lld calls", st,
              (long long)calls);
        st = ltx2_text_encoder_encode(te, store, &ctx, "x", L - 1, 0, NULL, NULL, &e, &err);
        CHECK(st == LTX2_ERR_BAD_INPUT, "max_length not a multiple of the registers must be refused");
    }
    json_object_put(vars);
    ltx2_object_release(obj); /* frees the device weights: before the device */
    fb_context_done(&base);
    ltx2_checkpoint_release(w);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
    kpool_destroy(pool);
    free(wp), free(tp), free(iop);
    if (g_failures) fprintf(stderr, "%d failures\n", g_failures);
    return g_failures != 0;
}
