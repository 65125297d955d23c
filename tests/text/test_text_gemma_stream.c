/* test_text_gemma_stream.c — Gemma 3 under a memory budget: the tiny golden Gemma
 * (tests/golden/gemma_gen) with its layers repeated to STREAM_LAYERS (two layers cannot
 * stream: two slots would hold them all), run resident and then under budgets that force
 * streaming (two slots; four slots and a resident layer). The encoder forward's hidden
 * states (every layer's) and greedy generation's tokens and logits (a prefill and many
 * decode passes over the ring) must be the resident bits; a budget below two layer slots
 * is refused before any work (the outputs untouched), naming the model, the layer slots
 * and the bytes. On the CPU a budget makes the model stream through host slots (the same
 * ring); argv[2] = cuda runs it on the device (exit 77 without one) and also checks the
 * planned workspace against the arena's and the device's measured peaks. */
#include <stdint.h>
#include "../fixture_backend.h"
#include "node.h"
#include "text/gemma3_generate.h"
#include "text_test_util.h"

#ifndef GEMMA_GEN_DIR
#define GEMMA_GEN_DIR "tests/golden/gemma_gen"
#endif

#define STREAM_LAYERS 6
#define N_TOKENS 11
#define MAX_NEW 8

typedef struct fixture {
    ltx2_store *store;
    ltx2_gemma3 *m; /* the golden model */
    kctx kc;
    int32_t ids[N_TOKENS];
} fixture;

static int open_fixture(fixture *f)
{
    ltx2_error err = {0};
    char *mp = fixture_path(GEMMA_GEN_DIR, "model/model.safetensors");
    char *cp = fixture_path(GEMMA_GEN_DIR, "model/config.json");
    f->store = ltx2_store_new();
    ltx2_checkpoint *w = NULL;
    int ok = ltx2_checkpoint_open(f->store, mp, &w, &err) == LTX2_OK;
    struct json_object *cj = json_object_from_file(cp);
    ltx2_gemma3_config cfg;
    if (ok) ok = ltx2_gemma3_config_parse(cj, &cfg, &err) == LTX2_OK && ltx2_gemma3_load(w, &cfg, &f->m, &err) == LTX2_OK;
    CHECK(ok, "model: %s", err.msg);
    json_object_put(cj);
    ltx2_checkpoint_release(w);
    free(mp), free(cp);
    for (int i = 0; ok && i < N_TOKENS; ++i) /* spread over the vocabulary, id 2 (BOS) first */
        f->ids[i] = i == 0 ? 2 : (int32_t)((7919 * (int64_t)i + 13) % f->m->cfg.vocab);
    return ok;
}

/* A budget leaving `layers` of r's largest layers beside its fixed weights and the
 * workspace of the run (n tokens, a cache of cap positions, gen) on k. */
static size_t budget_of(const ltx2_gemma3 *r, const kctx *k, int64_t cap, int gen, double layers)
{
    size_t fixed = 0, layer = 0;
    ltx2_gemma3_weight_bytes(r, &fixed, &layer);
    const ltx2_gemma3_mem mem = ltx2_gemma3_workspace(r, k, N_TOKENS, cap, gen);
    size_t base = fixed + mem.fresh;
#ifdef LTX2_CUDA
    if (k->backend == KB_CUDA) base += kcuda_bytes_in_use(k->cuda);
#endif
    return base + (size_t)(layers * (double)layer);
}

/* What one run under a budget gives back. */
typedef struct result {
    ltx2_status st;
    lx_plan plan;
    float *hidden;  /* encoder: [STREAM_LAYERS + 1][N_TOKENS][hidden] on the host */
    int32_t tokens[MAX_NEW];
    int64_t n_tokens;
    float *logits;  /* generation: [MAX_NEW][vocab] */
    int64_t n_logits;
    char msg[sizeof(((ltx2_error *)0)->msg)];
} result;

static ltx2_status keep_logits(void *user, int64_t step, const float *logits, int64_t vocab)
{
    result *r = user;
    if (step < MAX_NEW) memcpy(r->logits + step * vocab, logits, (size_t)vocab * sizeof(float)), r->n_logits = step + 1;
    return LTX2_OK;
}

/* One encoder forward (gen 0) or greedy generation (gen 1) of a fresh repeated model
 * under a budget of `layers` (0: none). The encoder's hidden buffer holds a sentinel
 * before the run. */
static void run(const fixture *f, int gen, double layers, result *out)
{
    const ltx2_gemma3_config *g = &f->m->cfg;
    const int64_t NS = STREAM_LAYERS + 1, nh = NS * N_TOKENS * g->hidden;
    memset(out->msg, 0, sizeof out->msg);
    out->n_tokens = out->n_logits = 0;
    ltx2_error err = {0};
    ltx2_gemma3 *r = NULL;
    kctx k = f->kc;
    karena *arena = NULL;
    out->st = ltx2_gemma3_repeat_layers(f->m, STREAM_LAYERS, &r, &err);
    if (!out->st) out->st = ltx2_kstatus(k_arena_create(&k, (size_t)1 << 20, 0, &arena));
    if (out->st) {
        CHECK(0, "setup: %s", err.msg);
        ltx2_gemma3_free(r);
        return;
    }
    k.arena = arena;
    if (!gen) {
        for (int64_t i = 0; i < nh; ++i) out->hidden[i] = 12345.0f;
        float *dh = fb_on(&k, out->hidden, nh);
        if (layers > 0) k.budget = budget_of(r, &k, 0, 0, layers);
        out->st = ltx2_gemma3_forward(&k, r, f->ids, N_TOKENS, dh, NULL, NULL, &err);
        if (layers > 0 && !out->st) /* a second pass reuses the ring */
            out->st = ltx2_gemma3_forward(&k, r, f->ids, N_TOKENS, dh, NULL, NULL, &err);
        fb_to_host(&k, out->hidden, dh, nh);
        if (dh != out->hidden) k_free(&k, dh);
    } else {
        if (layers > 0) k.budget = budget_of(r, &k, N_TOKENS + MAX_NEW, 1, layers);
        ltx2_gen_request q = {.ids = f->ids, .n = N_TOKENS, .max_new_tokens = MAX_NEW, .on_logits = keep_logits,
                              .logits_user = out};
        out->st = ltx2_gemma3_generate(&k, r, &q, out->tokens, &out->n_tokens, &err);
    }
    const lx_plan *p = ltx2_gemma3_plan(r);
    out->plan = p ? *p : (lx_plan){0};
    memcpy(out->msg, err.msg, sizeof out->msg);
    ltx2_gemma3_free(r); /* before its arena's device goes */
    k_arena_destroy(arena);
}

static int64_t differ(const float *a, const float *b, int64_t n)
{
    int64_t d = 0;
    for (int64_t i = 0; i < n; ++i) d += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return d;
}

static void check_streaming(const fixture *f, int gen)
{
    const ltx2_gemma3_config *g = &f->m->cfg;
    const char *what = gen ? "generation" : "encoder";
    const int64_t nh = (STREAM_LAYERS + 1) * N_TOKENS * g->hidden;
    result ref = {0}, got = {0};
    ref.hidden = malloc((size_t)nh * sizeof(float)), got.hidden = malloc((size_t)nh * sizeof(float));
    ref.logits = malloc((size_t)(MAX_NEW * g->vocab) * sizeof(float));
    got.logits = malloc((size_t)(MAX_NEW * g->vocab) * sizeof(float));
    run(f, gen, 0, &ref);
    CHECK(ref.st == LTX2_OK, "resident %s: %s", what, ref.msg);
    if (gen) CHECK(ref.n_tokens == MAX_NEW && ref.n_logits == MAX_NEW, "resident generation: %lld tokens",
                   (long long)ref.n_tokens);
    /* 2.5 layers: two slots; 5.5: four slots (the most) and one resident layer */
    const struct {
        double layers;
        int slots, resident;
    } cases[2] = {{2.5, 2, 0}, {5.5, LX_STREAM_MAX_SLOTS, 1}};
    for (int c = 0; c < 2; ++c) {
        run(f, gen, cases[c].layers, &got);
        CHECK(got.st == LTX2_OK, "streamed %s (%.1f layers): %s", what, cases[c].layers, got.msg);
        char desc[200];
        lx_plan_describe(&got.plan, "layer", desc, sizeof desc);
        printf("%s, budget of %.1f layers: %s\n", what, cases[c].layers, desc);
        CHECK(got.plan.mode == LX_STREAMED && got.plan.slots == cases[c].slots &&
                  got.plan.resident_units == cases[c].resident,
              "%s at %.1f layers: plan %d, %d slots, %d resident", what, cases[c].layers, got.plan.mode,
              got.plan.slots, got.plan.resident_units);
        CHECK(got.plan.upload_per_pass == (size_t)(STREAM_LAYERS - got.plan.resident_units) * got.plan.slot_bytes,
              "upload per pass %zu", got.plan.upload_per_pass);
#ifdef LTX2_CUDA
        if (f->kc.backend == KB_CUDA) { /* host-sim's run summary prints the device's note */
            char note[256];
            kcuda_note(f->kc.cuda, note, sizeof note);
            CHECK(strstr(note, "Gemma 3 text model streamed: "), "device note \"%s\"", note);
        }
#endif
        if (!gen) {
            const int64_t d = differ(got.hidden, ref.hidden, nh);
            CHECK(d == 0, "streamed hidden states: %lld of %lld values differ from the resident run", (long long)d,
                  (long long)nh);
        } else {
            CHECK(got.n_tokens == ref.n_tokens && !memcmp(got.tokens, ref.tokens, (size_t)ref.n_tokens * sizeof(int32_t)),
                  "streamed greedy tokens differ from the resident ones");
            const int64_t d = differ(got.logits, ref.logits, ref.n_logits * g->vocab);
            CHECK(got.n_logits == ref.n_logits && d == 0, "streamed logits: %lld values differ", (long long)d);
        }
    }
    /* 1.5 layers: refused before any work; the encoder's output keeps its sentinel */
    run(f, gen, 1.5, &got);
    printf("%s, budget of 1.5 layers: %s\n", what, got.msg);
    CHECK(got.st == LTX2_ERR_OOM && strstr(got.msg, "Gemma 3 text model") && strstr(got.msg, "layer slots") &&
              strstr(got.msg, "bytes") && strstr(got.msg, "tokens"),
          "%s refusal: status %d, \"%s\"", what, got.st, got.msg);
    if (gen) CHECK(got.plan.n_units == 0 && got.n_tokens == 0, "the refused generation ran");
    int64_t touched = 0;
    for (int64_t i = 0; !gen && i < nh; ++i) touched += got.hidden[i] != 12345.0f;
    CHECK(touched == 0, "the refused forward wrote %lld values", (long long)touched);
    free(ref.hidden), free(got.hidden), free(ref.logits), free(got.logits);
}

#ifdef LTX2_CUDA
/* The planned workspace against the measured peaks of a resident run on a fresh device
 * (its peak counts this run only): weights + arena + scratch (+ the KV cache). */
static void check_estimate(const fixture *f, int gen)
{
    kcuda *dev = NULL;
    char why[256] = "";
    CHECK(kcuda_create(0, 0, &dev, why, sizeof why) == KS_OK, "fresh device: %s", why);
    if (!dev) return;
    kctx k = f->kc;
    k.cuda = dev;
    karena *arena = NULL;
    ltx2_gemma3 *r = NULL;
    ltx2_error err = {0};
    const ltx2_gemma3_config *g = &f->m->cfg;
    const int64_t nh = (STREAM_LAYERS + 1) * N_TOKENS * g->hidden;
    float *dh = NULL;
    if (ltx2_gemma3_repeat_layers(f->m, STREAM_LAYERS, &r, &err) || k_arena_create(&k, (size_t)1 << 20, 0, &arena) ||
        (!gen && k_alloc(&k, (size_t)nh * sizeof(float), (void **)&dh))) {
        CHECK(0, "estimate setup: %s", err.msg);
        ltx2_gemma3_free(r), k_arena_destroy(arena), kcuda_destroy(dev);
        return;
    }
    k.arena = arena;
    const int64_t cap = gen ? N_TOKENS + MAX_NEW : 0;
    const ltx2_gemma3_mem mem = ltx2_gemma3_workspace(r, &k, N_TOKENS, cap, gen);
    const size_t before = kcuda_bytes_in_use(dev); /* the encoder's output buffer */
    ltx2_status st;
    if (!gen) {
        st = ltx2_gemma3_forward(&k, r, f->ids, N_TOKENS, dh, NULL, NULL, &err);
    } else {
        int32_t tokens[MAX_NEW];
        int64_t n = 0;
        ltx2_gen_request q = {.ids = f->ids, .n = N_TOKENS, .max_new_tokens = MAX_NEW};
        st = ltx2_gemma3_generate(&k, r, &q, tokens, &n, &err);
    }
    CHECK(st == LTX2_OK && k_sync(&k) == KS_OK, "estimate run: %s", err.msg);
    const lx_plan *p = ltx2_gemma3_plan(r);
    const size_t weights = p ? p->weights : 0, planned = before + weights + mem.fresh, peak = kcuda_peak_bytes(dev);
    printf("%s, %s precision: arena planned %zu, used %zu; device peak planned %zu (weights %zu + workspace %zu, "
           "KV %zu), measured %zu\n",
           gen ? "generation" : "encoder", k.prec == KP_FAST ? "fast" : "exact", mem.arena, k_arena_peak(arena),
           planned, weights, mem.fresh, mem.kv, peak);
    CHECK(k_arena_peak(arena) <= mem.arena, "the arena used %zu bytes, more than the planned %zu",
          k_arena_peak(arena), mem.arena);
    CHECK(mem.arena <= k_arena_peak(arena) + k_arena_peak(arena) / 10 + 4096,
          "the planned arena %zu is far above the %zu used", mem.arena, k_arena_peak(arena));
    CHECK(peak <= planned, "device peak %zu above the planned %zu", peak, planned);
    CHECK(planned <= peak + peak / 4, "planned %zu far above the device peak %zu", planned, peak);
    k_free(&k, dh);
    ltx2_gemma3_free(r);
    k_arena_destroy(arena);
    kcuda_destroy(dev);
}
#endif

int main(int argc, char **argv)
{
    fixture f = {0};
    f.kc = fb_context(argc > 2 ? argv[2] : NULL, NULL);
    if (open_fixture(&f)) {
        for (int gen = 0; gen < 2; ++gen) check_streaming(&f, gen);
#ifdef LTX2_CUDA
        for (int prec = 0; f.kc.backend == KB_CUDA && prec < 2; ++prec) {
            f.kc.prec = prec ? KP_FAST : KP_EXACT;
            for (int gen = 0; gen < 2; ++gen) check_estimate(&f, gen);
        }
#endif
    }
    ltx2_gemma3_free(f.m);
    ltx2_store_free(f.store);
    fb_context_done(&f.kc);
    if (g_failures || fb_failures) {
        fprintf(stderr, "%d failure(s)\n", g_failures + fb_failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
