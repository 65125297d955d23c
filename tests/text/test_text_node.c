/* test_text_node.c — LTX2TextEncoderLoader + LTX2TextEncode through the public plugin
 * table: outputs and their shapes, the optional negative prompt, unload_after and
 * re-opening, progress per layer, cancellation and an error naming max_length; then
 * LTX2EnhancePrompt on the same encoder. */
#include <stdint.h>
#include "ltx2/ltx2_plugin.h"
#include "store/store.h"
#include "text_test_util.h"

typedef struct test_ctx {
    ltx2_exec_ctx base;
    int32_t cancel;
    int progress_calls, cancel_at;
    char err_input[64];
    ltx2_status err_code;
} test_ctx;

static ltx2_status on_progress(ltx2_exec_ctx *c, double v, double max, const char *phase)
{
    test_ctx *t = (test_ctx *)c;
    (void)v, (void)max, (void)phase;
    return ++t->progress_calls == t->cancel_at ? LTX2_CANCELLED : LTX2_OK;
}
static void on_log(ltx2_exec_ctx *c, int32_t level, const char *m) { (void)c, (void)level, (void)m; }
static void on_error(ltx2_exec_ctx *c, ltx2_status code, const char *input, const char *msg)
{
    test_ctx *t = (test_ctx *)c;
    t->err_code = code;
    snprintf(t->err_input, sizeof t->err_input, "%s", input ? input : "");
    (void)msg;
}
static void ctx_init(test_ctx *t, const char *cls)
{
    memset(t, 0, sizeof *t);
    t->base = (ltx2_exec_ctx){.struct_size = sizeof(ltx2_exec_ctx), .node_id = "1", .class_type = cls,
                              .cancel_flag = &t->cancel, .progress = on_progress, .log = on_log, .set_error = on_error};
}

static const ltx2_node_type *find_type(const ltx2_plugin *p, const char *cls)
{
    for (uint32_t i = 0; i < p->n_node_types; ++i)
        if (!strcmp(p->node_types[i]->class_type, cls)) return p->node_types[i];
    return NULL;
}

/* Runs one node; outputs land in out (n_outputs values). */
static ltx2_status run(const ltx2_plugin *p, const ltx2_node_type *t, test_ctx *c, const ltx2_value *in, ltx2_value *out)
{
    void *inst = NULL;
    if (t->init(p, t, &inst) != LTX2_OK) return LTX2_ERR_INTERNAL;
    for (uint32_t i = 0; i < t->n_outputs; ++i) out[i].kind = LTX2_V_NONE;
    ltx2_status st = t->execute(inst, &c->base, in, out);
    t->free(inst);
    return st;
}

static ltx2_value vstr(const char *s) { return (ltx2_value){.kind = LTX2_V_STRING, .u.s = s}; }
static ltx2_value vint(int64_t i) { return (ltx2_value){.kind = LTX2_V_INT, .u.i = i}; }
static ltx2_value vbool(int b) { return (ltx2_value){.kind = LTX2_V_BOOL, .u.b = b}; }

/* Copies a [1, L, D] context out of a CONDITIONING value. */
static float *context_copy(const ltx2_plugin *p, const ltx2_value *cond, const char *key, int64_t *n)
{
    *n = 0;
    if (cond->kind != LTX2_V_OBJECT) return NULL;
    ltx2_value v = p->object_get(cond->u.o, key);
    if (v.kind != LTX2_V_TENSOR) return NULL;
    ltx2_tensor_desc d = {.struct_size = sizeof d};
    p->tensor_describe(v.u.t, &d);
    *n = 1;
    for (int i = 0; i < d.ndim; ++i) *n *= d.shape[i];
    float *buf = malloc((size_t)*n * sizeof(float));
    memcpy(buf, d.data, (size_t)*n * sizeof(float));
    return buf;
}

/* LTX2EnhancePrompt on the fixture's Gemma (text only; its tokenizer has the turn
 * markers): seeded text, a tick per token, cancellation, errors naming the input. */
static void test_enhance(const ltx2_plugin *p, ltx2_value encoder)
{
    const ltx2_node_type *enh = find_type(p, "LTX2EnhancePrompt");
    CHECK(enh, "LTX2EnhancePrompt registered");
    if (!enh) return;
    test_ctx c;
    ltx2_value out[1];
    char *text[3] = {NULL, NULL, NULL};
    const int64_t seeds[3] = {5, 5, 6}, max_new = 16;
    for (int i = 0; i < 3; ++i) {
        ctx_init(&c, "LTX2EnhancePrompt");
        ltx2_value in[8] = {encoder, vstr("a red kite over the harbour"), {.kind = LTX2_V_NONE}, vint(seeds[i]),
                            vint(max_new), {.kind = LTX2_V_NONE}, {.kind = LTX2_V_FLOAT, .u.f = 1.0}, vstr("exact")};
        CHECK(run(p, enh, &c, in, out) == LTX2_OK && out[0].kind == LTX2_V_STRING, "enhance seed %lld: error on %s",
              (long long)seeds[i], c.err_input);
        CHECK(c.progress_calls >= 1 && c.progress_calls <= max_new, "one tick per token (%d)", c.progress_calls);
        if (out[0].kind == LTX2_V_STRING) text[i] = strdup(out[0].u.s);
        p->value_release(&out[0]);
    }
    CHECK(text[0] && text[1] && !strcmp(text[0], text[1]), "same seed, same text");
    CHECK(text[0] && text[2] && strcmp(text[0], text[2]) != 0, "seeds 5 and 6 gave the same text \"%s\"",
          text[0] ? text[0] : "?");
    fprintf(stderr, "enhanced (fixture, random weights): \"%s\"\n", text[0] ? text[0] : "?");
    for (int i = 0; i < 3; ++i) free(text[i]);

    ltx2_value in[8] = {encoder, vstr("a kite"), {.kind = LTX2_V_NONE}, vint(1), vint(max_new),
                        vstr("Describe it."), {.kind = LTX2_V_FLOAT, .u.f = 0.7}, vstr("exact")};
    ctx_init(&c, "LTX2EnhancePrompt");
    c.cancel_at = 2;
    CHECK(run(p, enh, &c, in, out) == LTX2_CANCELLED && out[0].kind == LTX2_V_NONE, "enhance cancelled");
    ctx_init(&c, "LTX2EnhancePrompt");
    in[4] = vint(0);
    CHECK(run(p, enh, &c, in, out) == LTX2_ERR_BAD_INPUT && !strcmp(c.err_input, "max_new_tokens"),
          "max_new_tokens 0 reported on '%s'", c.err_input);
    ctx_init(&c, "LTX2EnhancePrompt");
    in[4] = vint(max_new), in[6] = (ltx2_value){.kind = LTX2_V_FLOAT, .u.f = -1.0};
    CHECK(run(p, enh, &c, in, out) == LTX2_ERR_BAD_INPUT && !strcmp(c.err_input, "temperature"),
          "negative temperature reported on '%s'", c.err_input);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/fixtures";
    char *wp = fixture_path(dir, "text_encoder.weights.safetensors"), *tp = fixture_path(dir, "text_encoder.tokenizer.model");
    char *iop = fixture_path(dir, "text_encoder.io.safetensors");
    ltx2_host_api host = {.struct_size = sizeof host, .abi_major = LTX2_ABI_MAJOR, .abi_minor = LTX2_ABI_MINOR,
                          .host_name = "test_text_node", .host_version = "0", .num_threads = 2};
    ltx2_plugin *p = NULL;
    char msg[256];
    if (ltx2_plugin_entry(&host, &p, msg, sizeof msg) != LTX2_OK) {
        fprintf(stderr, "plugin entry: %s\n", msg);
        return 1;
    }
    const ltx2_node_type *loader = find_type(p, "LTX2TextEncoderLoader"), *enc = find_type(p, "LTX2TextEncode");
    CHECK(loader && enc, "node types registered");
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *io = NULL;
    ltx2_error err = {0};
    CHECK(ltx2_checkpoint_open(store, iop, &io, &err) == LTX2_OK, "%s", err.msg);
    struct json_object *vars = io ? graph_vars(io) : NULL;
    const char *p0 = graph_var(vars, "PROMPT_0"), *p1 = graph_var(vars, "PROMPT_1"), *ml = graph_var(vars, "MAX_LENGTH");
    const int64_t L = ml ? atoll(ml) : 0;
    CHECK(p0 && p1 && L > 0, "graph vars");

    ltx2_value lout[1] = {{0}};
    test_ctx c;
    if (loader && enc && p0 && p1 && L > 0) {
        ctx_init(&c, "LTX2TextEncoderLoader");
        ltx2_value lin[3] = {vstr(wp), vstr(""), vstr(tp)}; /* empty ckpt_path: same file */
        CHECK(run(p, loader, &c, lin, lout) == LTX2_OK && lout[0].kind == LTX2_V_OBJECT, "loader");
    }
    if (lout[0].kind == LTX2_V_OBJECT) {
        float *ref = NULL;
        CHECK(ltx2_ckpt_f32(io, "out.p0_video_context", L * 64, &ref, &err) == LTX2_OK, "%s", err.msg);
        ltx2_value out[5];
        /* 1: positive only, no intermediates. */
        ctx_init(&c, "LTX2TextEncode");
        ltx2_value in[7] = {lout[0], vstr(p0), {.kind = LTX2_V_NONE}, vint(L), vstr("exact"), vbool(0), vbool(0)};
        CHECK(run(p, enc, &c, in, out) == LTX2_OK, "encode: error on %s", c.err_input);
        CHECK(out[1].kind == LTX2_V_NONE && out[4].kind == LTX2_V_NONE, "negative / intermediates absent");
        CHECK(out[2].kind == LTX2_V_TENSOR && out[3].kind == LTX2_V_TENSOR, "token tensors");
        CHECK(c.progress_calls >= 2, "progress per layer (%d calls)", c.progress_calls);
        int64_t n = 0;
        float *v1 = context_copy(p, &out[0], "video_context", &n), *m1 = NULL;
        int64_t nm = 0;
        m1 = context_copy(p, &out[0], "mask", &nm);
        CHECK(v1 && n == L * 64 && ref, "video_context [1,%lld,64] (got %lld values)", (long long)L, (long long)n);
        if (v1 && ref && n == L * 64) {
            double mx, rel = rel_l2(v1, ref, n, &mx);
            CHECK(rel <= 5e-5 && mx <= 5e-5, "p0 video context rel %.3g max %.3g", rel, mx);
        }
        CHECK(m1 && nm == L && m1[0] == 1.0f && m1[L - 1] == 1.0f, "mask all ones");
        ltx2_value a = out[0].kind == LTX2_V_OBJECT ? p->object_get(out[0].u.o, "audio_context") : (ltx2_value){0};
        CHECK(a.kind == LTX2_V_TENSOR, "audio_context present");
        for (int i = 0; i < 5; ++i) p->value_release(&out[i]);

        /* 2: with a negative prompt, releasing Gemma afterwards; then again (re-opened). */
        for (int round = 0; round < 2; ++round) {
            ctx_init(&c, "LTX2TextEncode");
            ltx2_value in2[7] = {lout[0], vstr(p0), vstr(p1), vint(L), vstr("exact"), vbool(1), vbool(1)};
            CHECK(run(p, enc, &c, in2, out) == LTX2_OK, "encode round %d: error on %s", round, c.err_input);
            CHECK(out[1].kind == LTX2_V_OBJECT && out[4].kind == LTX2_V_OBJECT, "negative and intermediates present (round %d)",
                  round);
            if (out[4].kind == LTX2_V_OBJECT) {
                CHECK(!strcmp(p->object_type(out[4].u.o), "TENSORS") && p->object_count(out[4].u.o) == 7,
                      "intermediates: TENSORS with 7 entries");
                CHECK(p->object_get(out[4].u.o, "hidden_states").kind == LTX2_V_TENSOR, "hidden_states entry");
            }
            float *ref1 = NULL;
            int64_t nn = 0;
            float *vn = context_copy(p, &out[1], "video_context", &nn);
            CHECK(ltx2_ckpt_f32(io, "out.p1_video_context", L * 64, &ref1, &err) == LTX2_OK, "%s", err.msg);
            if (vn && ref1 && nn == L * 64) {
                double mx, rel = rel_l2(vn, ref1, nn, &mx);
                CHECK(rel <= 5e-5 && mx <= 5e-5, "negative (p1) video context rel %.3g max %.3g", rel, mx);
            } else {
                CHECK(0, "negative video_context missing or misshapen");
            }
            free(vn), free(ref1);
            float *v2 = context_copy(p, &out[0], "video_context", &n);
            if (v1 && v2) {
                double mx, rel = rel_l2(v2, v1, n, &mx);
                CHECK(rel <= 1e-6, "round %d: same positive context after unload (rel %.3g)", round, rel);
            }
            free(v2);
            for (int i = 0; i < 5; ++i) p->value_release(&out[i]);
        }

        /* 3: cancelled from progress: CANCELLED, no outputs. */
        ctx_init(&c, "LTX2TextEncode");
        c.cancel_at = 2;
        CHECK(run(p, enc, &c, in, out) == LTX2_CANCELLED && out[0].kind == LTX2_V_NONE, "cancel");

        /* 4: max_length not a multiple of the registers: an error naming max_length. */
        ctx_init(&c, "LTX2TextEncode");
        in[3] = vint(L - 1);
        CHECK(run(p, enc, &c, in, out) == LTX2_ERR_BAD_INPUT && !strcmp(c.err_input, "max_length"),
              "bad max_length reported on '%s'", c.err_input);
        for (int i = 0; i < 5; ++i) p->value_release(&out[i]);
        test_enhance(p, lout[0]);
        free(v1), free(m1), free(ref);
        p->value_release(&lout[0]);
    }
    json_object_put(vars);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
    p->unload(p);
    free(wp), free(tp), free(iop);
    if (g_failures) fprintf(stderr, "%d failures\n", g_failures);
    return g_failures != 0;
}
