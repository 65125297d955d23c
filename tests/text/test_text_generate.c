/* test_text_generate.c — Gemma 3 generation against transformers' golden data
 * (tests/golden/gemma_gen, written by tools/gemma_golden.py): the chat tokens, greedy
 * tokens, first decode logits, the KV-cached decode against a full recomputation,
 * seeded sampling, top-k/top-p on a crafted distribution, cancellation.
 * argv: fixtures dir (unused), optional backend cpu|cuda. On cuda (exit 77 where none is
 * usable) the same checks run with weights, activations and KV cache on the device, and
 * besides: the greedy tokens equal the CPU's, the first-step logits within 1e-5
 * relative L2 of the CPU's, and a device budget the weights do not fit is refused with
 * LTX2_ERR_OOM naming the model and the bytes. */
#include <stdint.h>
#include "../fixture_backend.h"
#include "text/gemma3_chat.h"
#include "text/gemma3_generate.h"
#include "text/gemma3_image.h"
#include "text/gemma3_vision.h"
#include "text_test_util.h"

#ifndef GEMMA_GEN_DIR
#define GEMMA_GEN_DIR "tests/golden/gemma_gen"
#endif

typedef struct fixture {
    ltx2_store *store;
    ltx2_checkpoint *golden;
    ltx2_gemma3 *m;
    ltx2_gemma3_vision *vis;
    ltx2_spm *spm;
    ltx2_chat_tokens ct;
    ltx2_gen_config gc;
    struct json_object *cas;
} fixture;

static int open_fixture(fixture *f, const char *dir)
{
    ltx2_error err = {0};
    char *mp = fixture_path(dir, "model/model.safetensors"), *cp = fixture_path(dir, "model/config.json");
    char *tp = fixture_path(dir, "model/tokenizer.model"), *gp = fixture_path(dir, "golden.safetensors");
    char *md = fixture_path(dir, "model"), msg[256] = {0};
    f->store = ltx2_store_new();
    ltx2_checkpoint *w = NULL;
    int ok = ltx2_checkpoint_open(f->store, mp, &w, &err) == LTX2_OK &&
             ltx2_checkpoint_open(f->store, gp, &f->golden, &err) == LTX2_OK;
    CHECK(ok, "open: %s", err.msg);
    struct json_object *cj = json_object_from_file(cp);
    ltx2_gemma3_config cfg;
    if (ok) ok = ltx2_gemma3_config_parse(cj, &cfg, &err) == LTX2_OK && ltx2_gemma3_load(w, &cfg, &f->m, &err) == LTX2_OK;
    CHECK(ok, "model: %s", err.msg);
    f->spm = ltx2_spm_load(tp, msg, sizeof msg);
    CHECK(f->spm, "tokenizer: %s", msg);
    if (ok && f->spm) ok = ltx2_chat_tokens_find(f->spm, &f->ct, &err) == LTX2_OK;
    CHECK(ok, "chat tokens: %s", err.msg);
    if (ok) ok = ltx2_gen_config_read(md, &f->gc, &err) == LTX2_OK;
    CHECK(ok && f->gc.n_stop == 2 && f->gc.top_k == 7, "generation config: %s (%d stops, top_k %lld)", err.msg,
          f->gc.n_stop, (long long)f->gc.top_k);
    struct json_object *v;
    f->cas = f->golden ? json_tokener_parse(ltx2_checkpoint_meta(f->golden, "case")) : NULL;
    (void)v;
    if (ok) ok = ltx2_gemma3_vision_load(w, cj, f->m->cfg.hidden, &f->vis, &err) == LTX2_OK && f->vis;
    CHECK(ok, "vision: %s", err.msg);
    if (ok) f->ct.image_soft = f->vis->image_token, f->ct.image_len = f->vis->tokens;
    json_object_put(cj);
    ltx2_checkpoint_release(w);
    free(mp), free(cp), free(tp), free(gp), free(md);
    return ok && f->spm && f->cas;
}

static const char *case_str(const fixture *f, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(f->cas, key, &v) ? json_object_get_string(v) : "";
}

/* The golden tensor `name` as f32 (malloc'd) and its element count. */
static float *golden(const fixture *f, const char *name, int64_t *n)
{
    const ltx2_st_tensor *t = ltx2_checkpoint_find(f->golden, name);
    *n = 0;
    CHECK(t, "%s missing", name);
    if (!t) return NULL;
    int64_t c = 1;
    for (int i = 0; i < t->ndim; ++i) c *= t->shape[i];
    float *v = NULL;
    ltx2_error err = {0};
    CHECK(ltx2_ckpt_f32(f->golden, name, c, &v, &err) == LTX2_OK, "%s: %s", name, err.msg);
    *n = v ? c : 0;
    return v;
}

/* n floats in ctx's memory (host memory on the CPU); exits on failure. */
static float *ctx_floats(const kctx *ctx, int64_t n)
{
    void *p = NULL;
    if (k_alloc(ctx, (size_t)(n > 0 ? n : 1) * sizeof(float), &p) != KS_OK) {
        fprintf(stderr, "FAIL: %lld floats in the context's memory\n", (long long)n);
        exit(1);
    }
    return p;
}

/* A copy of host values in ctx's memory. */
static float *ctx_copy(const kctx *ctx, const float *host, int64_t n)
{
    float *p = ctx_floats(ctx, n);
    kstatus ks = k_copy(ctx, p, host, (size_t)n * sizeof(float), K_H2D);
    CHECK(ks == KS_OK, "upload: %s", k_status_name(ks));
    return p;
}

typedef struct logits_log {
    float *rows; /* [cap][vocab] */
    int64_t cap, vocab, n;
} logits_log;

static ltx2_status keep_logits(void *user, int64_t step, const float *logits, int64_t vocab)
{
    logits_log *l = user;
    if (step < l->cap) memcpy(l->rows + step * vocab, logits, (size_t)vocab * sizeof(float)), l->n = step + 1;
    return LTX2_OK;
}

static ltx2_status cancel_after_two(void *user, int64_t done, int64_t total)
{
    (void)user, (void)total;
    return done >= 2 ? LTX2_CANCELLED : LTX2_OK;
}

static int64_t generate_with(const fixture *f, const kctx *ctx, const int32_t *ids, int64_t n, int64_t max_new,
                             ltx2_sample_params sp, int32_t *out, logits_log *log, const float *soft,
                             const ltx2_gemma3_span *img)
{
    ltx2_gen_request r = {.ids = ids, .n = n, .max_new_tokens = max_new, .sample = sp, .stop = f->gc.stop,
                          .n_stop = f->gc.n_stop, .on_logits = log ? keep_logits : NULL, .logits_user = log,
                          .soft = soft, .soft_id = f->ct.image_soft, .bidir = img, .n_bidir = img ? 1 : 0};
    ltx2_error err = {0};
    int64_t got = 0;
    CHECK(ltx2_gemma3_generate(ctx, f->m, &r, out, &got, &err) == LTX2_OK, "generate: %s", err.msg);
    return got;
}

static int64_t generate(const fixture *f, const kctx *ctx, const int32_t *ids, int64_t n, int64_t max_new,
                        ltx2_sample_params sp, int32_t *out, logits_log *log)
{
    return generate_with(f, ctx, ids, n, max_new, sp, out, log, NULL, NULL);
}

/* The image chat: processor pixels, vision features, chat tokens, greedy tokens and logits. */
static void test_image(const fixture *f, const kctx *ctx)
{
    ltx2_error err = {0};
    int64_t npx, npv, nft, nin, ng, nl;
    float *px = golden(f, "image.pixels", &npx), *pv = golden(f, "image.pixel_values", &npv);
    float *ft = golden(f, "image.features", &nft), *want_ids = golden(f, "image.input_ids", &nin);
    float *want = golden(f, "image.greedy", &ng), *want_logits = golden(f, "image.logits", &nl);
    const ltx2_st_tensor *pt = ltx2_checkpoint_find(f->golden, "image.pixels");
    const int64_t S = f->vis->image_size, T = f->vis->tokens, Dt = f->m->cfg.hidden, V = f->m->cfg.vocab;
    uint8_t *u8 = malloc((size_t)npx);
    float *pixels = malloc((size_t)(3 * S * S) * sizeof(float)), *soft = malloc((size_t)(T * Dt) * sizeof(float));
    float *dpv = ctx_copy(ctx, pv, npv), *dsoft = ctx_floats(ctx, T * Dt);
    for (int64_t i = 0; i < npx; ++i) u8[i] = (uint8_t)px[i];
    CHECK(pt && ltx2_gemma3_image_prep(u8, pt->shape[1], pt->shape[0], S, pixels, &err) == LTX2_OK, "prep: %s", err.msg);
    double mx, rel = rel_l2(pixels, pv, npv, &mx);
    CHECK(npv == 3 * S * S && mx <= 1e-6, "pixel values: max abs %.3g (rel %.3g)", mx, rel);
    CHECK(ltx2_gemma3_vision_forward(ctx, f->vis, dpv, dsoft, &err) == LTX2_OK, "vision: %s", err.msg);
    CHECK(k_copy(ctx, soft, dsoft, (size_t)(T * Dt) * sizeof(float), K_D2H) == KS_OK, "features to the host");
    rel = rel_l2(soft, ft, nft, &mx);
    fprintf(stderr, "image features: rel L2 %.3g\n", rel);
    CHECK(nft == T * Dt && rel <= 1e-5, "image features: rel L2 %.3g", rel);

    int32_t *ids = NULL;
    int64_t n = 0;
    ltx2_gemma3_span img = {0};
    CHECK(ltx2_chat_encode(f->spm, &f->ct, case_str(f, "system"), case_str(f, "image_prompt"), 1, &ids, &n, &img,
                           &err) == LTX2_OK,
          "chat: %s", err.msg);
    CHECK(n == nin, "image chat tokens %lld, golden %lld", (long long)n, (long long)nin);
    for (int64_t i = 0; i < n && i < nin; ++i) CHECK(ids[i] == (int32_t)want_ids[i], "image chat token %lld: %d vs %g", (long long)i, ids[i], want_ids[i]);
    logits_log log = {.cap = ng, .vocab = V, .rows = malloc((size_t)(ng * V) * sizeof(float))};
    int32_t *out = malloc((size_t)ng * sizeof(int32_t));
    int64_t got = generate_with(f, ctx, ids, n, ng, (ltx2_sample_params){0}, out, &log, dsoft, &img);
    CHECK(got == ng, "generated %lld of %lld", (long long)got, (long long)ng);
    for (int64_t i = 0; i < got && i < ng; ++i) CHECK(out[i] == (int32_t)want[i], "image token %lld: %d vs %g", (long long)i, out[i], want[i]);
    for (int64_t s = 0; s < nl / V && s < log.n; ++s) {
        rel = rel_l2(log.rows + s * V, want_logits + s * V, V, &mx);
        fprintf(stderr, "image logits step %lld: rel L2 %.3g\n", (long long)s, rel);
        CHECK(rel <= 1e-4, "image logits step %lld: rel L2 %.3g", (long long)s, rel);
    }
    /* The soft tokens' two-way attention matters: without it the first logits move off. */
    logits_log one = {.cap = 1, .vocab = V, .rows = malloc((size_t)V * sizeof(float))};
    generate_with(f, ctx, ids, n, 1, (ltx2_sample_params){0}, out, &one, dsoft, NULL);
    rel = one.n ? rel_l2(one.rows, want_logits, V, &mx) : 0;
    CHECK(rel > 1e-3, "causal-only image attention matched the golden logits (rel %.3g)", rel);
    free(one.rows);
    k_free(ctx, dpv), k_free(ctx, dsoft);
    free(px), free(pv), free(ft), free(want_ids), free(want), free(want_logits), free(u8), free(pixels), free(soft);
    free(ids), free(out), free(log.rows);
}

/* Greedy text chat: tokens, golden ids and logits, cached decode vs recomputation. */
static void test_text(const fixture *f, const kctx *ctx)
{
    ltx2_error err = {0};
    int32_t *ids = NULL;
    int64_t n = 0, ng, nl, nin;
    CHECK(ltx2_chat_encode(f->spm, &f->ct, case_str(f, "system"), case_str(f, "text_prompt"), 0, &ids, &n, NULL,
                           &err) == LTX2_OK,
          "chat: %s", err.msg);
    float *want_ids = golden(f, "text.input_ids", &nin), *want = golden(f, "text.greedy", &ng);
    float *want_logits = golden(f, "text.logits", &nl);
    CHECK(n == nin, "chat tokens %lld, golden %lld", (long long)n, (long long)nin);
    for (int64_t i = 0; i < n && i < nin; ++i) CHECK(ids[i] == (int32_t)want_ids[i], "chat token %lld: %d vs %g", (long long)i, ids[i], want_ids[i]);
    const int64_t V = f->m->cfg.vocab;
    logits_log log = {.cap = ng, .vocab = V, .rows = malloc((size_t)(ng * V) * sizeof(float))};
    int32_t *out = malloc((size_t)ng * sizeof(int32_t));
    int64_t got = generate(f, ctx, ids, n, ng, (ltx2_sample_params){0}, out, &log);
    CHECK(got == ng, "generated %lld of %lld", (long long)got, (long long)ng);
    for (int64_t i = 0; i < got && i < ng; ++i) CHECK(out[i] == (int32_t)want[i], "token %lld: %d vs %g", (long long)i, out[i], want[i]);
    for (int64_t s = 0; s < nl / V && s < log.n; ++s) {
        double mx, rel = rel_l2(log.rows + s * V, want_logits + s * V, V, &mx);
        fprintf(stderr, "text logits step %lld: rel L2 %.3g\n", (long long)s, rel);
        CHECK(rel <= 1e-4, "logits step %lld: rel L2 %.3g", (long long)s, rel);
    }
    /* Every cached step against a full pass over prompt + the tokens so far. */
    int32_t *all = malloc((size_t)(n + got) * sizeof(int32_t));
    float *h = ctx_floats(ctx, (n + got) * f->m->cfg.hidden), *lg = malloc((size_t)V * sizeof(float));
    memcpy(all, ids, (size_t)n * sizeof(int32_t));
    memcpy(all + n, out, (size_t)got * sizeof(int32_t));
    for (int64_t s = 0; s < log.n; ++s) {
        ltx2_gemma3_pass p = {.ids = all, .n = n + s, .out = h};
        int ok = ltx2_gemma3_run(ctx, f->m, &p, &err) == LTX2_OK &&
                 ltx2_gemma3_logits(ctx, f->m, h + (n + s - 1) * f->m->cfg.hidden, lg, &err) == LTX2_OK;
        CHECK(ok, "full pass: %s", err.msg);
        double mx, rel = ok ? rel_l2(log.rows + s * V, lg, V, &mx) : 1;
        CHECK(rel <= 1e-5, "cached step %lld vs recomputation: rel L2 %.3g", (long long)s, rel);
    }
    k_free(ctx, h);
    free(all), free(lg), free(out), free(log.rows), free(ids), free(want_ids), free(want), free(want_logits);
}

/* The device against the CPU on the golden text chat (exact precision): the same greedy
 * tokens, the first step's logits within 1e-5 relative L2. */
static void test_device_vs_cpu(const fixture *f, const kctx *dev, const kctx *cpu)
{
    ltx2_error err = {0};
    int32_t *ids = NULL, a[16], b[16];
    int64_t n = 0;
    CHECK(ltx2_chat_encode(f->spm, &f->ct, case_str(f, "system"), case_str(f, "text_prompt"), 0, &ids, &n, NULL,
                           &err) == LTX2_OK,
          "chat: %s", err.msg);
    const int64_t V = f->m->cfg.vocab;
    logits_log lc = {.cap = 1, .vocab = V, .rows = malloc((size_t)V * sizeof(float))};
    logits_log ld = {.cap = 1, .vocab = V, .rows = malloc((size_t)V * sizeof(float))};
    int64_t nc = generate(f, cpu, ids, n, 16, (ltx2_sample_params){0}, a, &lc);
    int64_t nd = generate(f, dev, ids, n, 16, (ltx2_sample_params){0}, b, &ld);
    CHECK(nc == nd && nc > 0 && memcmp(a, b, (size_t)nc * sizeof *a) == 0,
          "device greedy tokens differ from the CPU's (%lld vs %lld tokens)", (long long)nd, (long long)nc);
    double mx, rel = lc.n && ld.n ? rel_l2(ld.rows, lc.rows, V, &mx) : 1;
    fprintf(stderr, "device vs CPU first-step logits: rel L2 %.3g\n", rel);
    CHECK(rel <= 1e-5, "device first-step logits: rel L2 %.3g vs the CPU (bound 1e-5)", rel);
    free(lc.rows), free(ld.rows), free(ids);
}

/* Weights that do not fit the device budget: LTX2_ERR_OOM naming the model and the bytes. */
static void test_over_budget(const fixture *f, const kctx *dev)
{
#ifdef LTX2_CUDA
    kcuda *small = NULL;
    char why[256] = "";
    CHECK(kcuda_create(0, (size_t)64 << 10, &small, why, sizeof why) == KS_OK, "64 KiB device: %s", why);
    if (!small) return;
    ltx2_gemma3 *fresh = NULL;
    ltx2_error err = {0};
    struct json_object *cj = json_object_from_file(GEMMA_GEN_DIR "/model/config.json");
    ltx2_gemma3_config cfg;
    if (ltx2_gemma3_config_parse(cj, &cfg, &err) == LTX2_OK) CHECK(ltx2_gemma3_load(f->m->ckpt, &cfg, &fresh, &err) == LTX2_OK, "reload: %s", err.msg);
    json_object_put(cj);
    if (fresh) {
        kctx sk = *dev;
        sk.cuda = small;
        float *h = NULL;
        CHECK(k_alloc(&sk, 8 * sizeof(float) * (size_t)fresh->cfg.hidden, (void **)&h) == KS_OK, "row buffer");
        const int32_t id = 2;
        ltx2_gemma3_pass p = {.ids = &id, .n = 1, .out = h};
        ltx2_error oom = {0};
        ltx2_status so = ltx2_gemma3_run(&sk, fresh, &p, &oom);
        CHECK(so == LTX2_ERR_OOM && strstr(oom.msg, "Gemma") && strstr(oom.msg, "bytes"), "over budget: %d \"%s\"",
              so, oom.msg);
        fprintf(stderr, "over budget: %s\n", oom.msg);
        k_free(&sk, h);
        ltx2_gemma3_free(fresh);
    }
    kcuda_destroy(small);
#else
    (void)f, (void)dev;
#endif
}

/* Seeded sampling with the folder's top-k/top-p; cancellation between tokens. */
static void test_sampling(const fixture *f, const kctx *ctx)
{
    ltx2_error err = {0};
    int32_t *ids = NULL, a[24], b[24], c[24];
    int64_t n = 0;
    CHECK(ltx2_chat_encode(f->spm, &f->ct, NULL, case_str(f, "text_prompt"), 0, &ids, &n, NULL, &err) == LTX2_OK,
          "chat: %s", err.msg);
    ltx2_sample_params sp = {.temperature = 0.7, .top_k = f->gc.top_k, .top_p = f->gc.top_p, .seed = 10};
    int64_t na = generate(f, ctx, ids, n, 24, sp, a, NULL), nb = generate(f, ctx, ids, n, 24, sp, b, NULL);
    sp.seed = 11;
    int64_t nc = generate(f, ctx, ids, n, 24, sp, c, NULL);
    CHECK(na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0, "same seed, different tokens");
    char msg[128];
    char *ta = ltx2_spm_decode(f->spm, a, (size_t)na, NULL, 0, msg, sizeof msg);
    char *tc = ltx2_spm_decode(f->spm, c, (size_t)nc, NULL, 0, msg, sizeof msg);
    CHECK(ta && tc && strcmp(ta, tc) != 0, "seeds 10 and 11 gave the same text \"%s\"", ta ? ta : "?");
    free(ta), free(tc);

    ltx2_gen_request r = {.ids = ids, .n = n, .max_new_tokens = 8, .sample = sp, .progress = cancel_after_two};
    int64_t got = 0;
    CHECK(ltx2_gemma3_generate(ctx, f->m, &r, a, &got, &err) == LTX2_CANCELLED && got == 2,
          "cancel after two tokens: %lld tokens", (long long)got);
    free(ids);
}

/* top-k / top-p keep exactly the tokens they should on a known distribution. */
static void test_filters(void)
{
    const int64_t V = 10;
    const float p[10] = {0.05f, 0.4f, 0.02f, 0.3f, 0.2f, 0.01f, 0.005f, 0.005f, 0.005f, 0.005f};
    float lg[10];
    for (int i = 0; i < V; ++i) lg[i] = logf(p[i]);
    ltx2_sampler s = {0};
    ltx2_error err = {0};
    CHECK(ltx2_sampler_init(&s, V, &err) == LTX2_OK, "%s", err.msg);
    const struct {
        int64_t k;
        double top_p;
        unsigned allowed; /* bit set of ids */
    } cases[] = {{3, 1.0, (1u << 1) | (1u << 3) | (1u << 4)},
                 {0, 0.65, (1u << 1) | (1u << 3)},
                 {0, 0.71, (1u << 1) | (1u << 3) | (1u << 4)},
                 {2, 0.99, (1u << 1) | (1u << 3)},
                 {0, 0.1, 1u << 1}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; ++c) {
        ltx2_sample_params sp = {.temperature = 1.0, .top_k = cases[c].k, .top_p = cases[c].top_p, .seed = 3};
        unsigned seen = 0;
        for (uint64_t step = 0; step < 2000; ++step) {
            int32_t t = ltx2_sample_token(&s, lg, &sp, step, NULL);
            CHECK(cases[c].allowed >> t & 1u, "case %zu: token %d outside the allowed set", c, t);
            seen |= 1u << t;
        }
        CHECK(seen == cases[c].allowed, "case %zu: saw %#x, allowed %#x", c, seen, cases[c].allowed);
    }
    ltx2_sample_params greedy = {0};
    CHECK(ltx2_sample_token(&s, lg, &greedy, 0, NULL) == 1, "greedy is the arg max");
    ltx2_sampler_free(&s);
}

int main(int argc, char **argv)
{
    fixture f = {0};
    kpool *pool = kpool_create(2);
    kctx ctx = fb_context(argc > 2 ? argv[2] : NULL, pool), cpu = kctx_default(pool);
    test_filters();
    if (open_fixture(&f, GEMMA_GEN_DIR)) {
        test_text(&f, &ctx);
        test_sampling(&f, &ctx);
        test_image(&f, &ctx);
        if (ctx.backend != KB_CPU) {
            test_device_vs_cpu(&f, &ctx, &cpu);
            test_over_budget(&f, &ctx);
        }
    }
    json_object_put(f.cas);
    ltx2_gemma3_free(f.m); /* frees the device weights: before the device */
    ltx2_gemma3_vision_free(f.vis);
    fb_context_done(&ctx);
    ltx2_spm_free(f.spm);
    ltx2_checkpoint_release(f.golden);
    ltx2_store_free(f.store);
    kpool_destroy(pool);
    if (g_failures) fprintf(stderr, "%d check(s) failed\n", g_failures);
    return g_failures ? 1 : 0;
}
