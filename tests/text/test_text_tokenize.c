/* test_text_tokenize.c — strip rules, and the wrapper's ids against the fixture's
 * reference tokenisation (left padding, BOS, byte fallback, digit splitting), plus
 * truncation and empty prompts derived from the untruncated result. */
#include <stdint.h>
#include "text/tokenize.h"
#include "text_test_util.h"

static void test_strip(void)
{
    struct { const char *in, *out; } cases[] = {
        {"  hello world \t\n", "hello world"}, {"", ""}, {" \r\n\v\f ", ""}, {"x", "x"},
        {"\xc2\xa0" "a b" "\xe3\x80\x80", "a b"},  /* NBSP and ideographic space */
        {"\xe2\x80\x83" "caf\xc3\xa9" "\x1f", "caf\xc3\xa9"}, /* em space, 0x1F separator */
        {"\xc3\xa9 ", "\xc3\xa9"},                 /* é is not space */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
        size_t b, n;
        ltx2_text_strip(cases[i].in, &b, &n);
        CHECK(n == strlen(cases[i].out) && memcmp(cases[i].in + b, cases[i].out, n) == 0, "strip case %zu", i);
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/fixtures";
    test_strip();

    char *model = fixture_path(dir, "text_encoder.tokenizer.model"), *iop = fixture_path(dir, "text_encoder.io.safetensors");
    char msg[256] = {0};
    ltx2_spm *spm = ltx2_spm_load(model, msg, sizeof msg);
    CHECK(spm != NULL, "load %s: %s", model, msg);
    ltx2_spm *bad = ltx2_spm_load(iop, msg, sizeof msg); /* not a model file */
    CHECK(bad == NULL && msg[0], "loading a non-model file must fail with a message");

    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *io = NULL;
    ltx2_error err = {0};
    int64_t dropped = -1;
    CHECK(ltx2_checkpoint_open(store, iop, &io, &err) == LTX2_OK, "%s", err.msg);
    struct json_object *vars = io ? graph_vars(io) : NULL;
    const char *ml = graph_var(vars, "MAX_LENGTH");
    const int64_t L = ml ? atoll(ml) : 0;
    CHECK(L > 0, "MAX_LENGTH graph var");

    for (int p = 0; spm && io && L > 0 && p < 2; ++p) {
        char var[16], key[32];
        snprintf(var, sizeof var, "PROMPT_%d", p);
        const char *prompt = graph_var(vars, var);
        CHECK(prompt != NULL, "%s", var);
        if (!prompt) continue;
        float *want = NULL, *want_mask = NULL;
        snprintf(key, sizeof key, "out.p%d_token_ids", p);
        CHECK(ltx2_ckpt_f32(io, key, L, &want, &err) == LTX2_OK, "%s", err.msg);
        snprintf(key, sizeof key, "out.p%d_token_mask", p);
        CHECK(ltx2_ckpt_f32(io, key, L, &want_mask, &err) == LTX2_OK, "%s", err.msg);
        int32_t *ids = malloc((size_t)L * sizeof *ids);
        int64_t nv = 0;
        CHECK(ltx2_text_tokenize(spm, prompt, L, ids, &nv, NULL, &err) == LTX2_OK, "%s", err.msg);
        for (int64_t i = 0; want && want_mask && i < L; ++i) {
            CHECK(ids[i] == (int32_t)want[i], "prompt %d id %lld: %d != %g", p, (long long)i, ids[i], want[i]);
            CHECK((i >= L - nv) == (want_mask[i] == 1.0f), "prompt %d mask %lld", p, (long long)i);
        }
        /* Truncation keeps the first tokens (BOS included) and drops the padding. */
        int64_t T = nv - 3, nt = 0;
        int32_t *tr = malloc((size_t)T * sizeof *tr);
        CHECK(ltx2_text_tokenize(spm, prompt, T, tr, &nt, &dropped, &err) == LTX2_OK && nt == T && dropped == nv - T, "truncate to %lld", (long long)T);
        for (int64_t i = 0; i < T; ++i) CHECK(tr[i] == ids[L - nv + i], "truncated id %lld", (long long)i);
        free(tr), free(ids), free(want), free(want_mask);
    }
    if (spm) {
        int32_t ids[4];
        int64_t nv = 0;
        CHECK(ltx2_text_tokenize(spm, "  \n ", 4, ids, &nv, &dropped, &err) == LTX2_OK && nv == 1 && dropped == 0, "blank prompt");
        CHECK(ids[3] == ltx2_spm_bos_id(spm) && ids[0] == 0 && ids[2] == 0, "blank prompt = pads + BOS");
        CHECK(ltx2_text_tokenize(spm, "x", 0, ids, &nv, NULL, &err) == LTX2_ERR_BAD_INPUT, "max_length 0 refused");
    }
    json_object_put(vars);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
    ltx2_spm_free(spm);
    free(model), free(iop);
    if (g_failures) fprintf(stderr, "%d failures\n", g_failures);
    return g_failures != 0;
}
