/* test_lora_fixture.c — LoRA fusion vs the `lora` fixture (argv: fixtures dir): the two
 * LoRAs applied one after the other (chained) with the case's strengths must give the
 * reference's bf16 fused weights exactly or within 1 bf16 ulp, untouched weights must
 * stay the base's (and not be copied), and the float32 build must match to 1e-6. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lora/lora.h"
#include "store/store.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

/* Distance in bf16 units of last place between two bf16-representable floats. */
static long ulps(float a, float b)
{
    int32_t ia = (int32_t)k_f32_to_bf16(a), ib = (int32_t)k_f32_to_bf16(b);
    if (ia & 0x8000) ia = 0x8000 - ia;
    if (ib & 0x8000) ib = 0x8000 - ib;
    return labs((long)ia - ib);
}

static void check_keys(ltx2_checkpoint *io, ltx2_dit *m, const char *prefix, bool bf16)
{
    int n = 0;
    for (size_t i = 0; i < ltx2_checkpoint_count(io); i++) {
        const ltx2_st_tensor *t = ltx2_checkpoint_at(io, i);
        if (strncmp(t->name, prefix, strlen(prefix)))
            continue;
        const char *key = t->name + strlen(prefix);
        ltx2_error err = {0};
        ltx2_tensor *got = NULL;
        if (ltx2_dit_weight_f32(m, key, &got, &err) != LTX2_OK) {
            CHECK(0, "%s: %s", key, err.msg);
            continue;
        }
        float *want = NULL;
        const int64_t numel = ltx2_tensor_numel(got);
        CHECK(ltx2_ckpt_f32(io, t->name, numel, &want, &err) == LTX2_OK, "%s: %s", t->name, err.msg);
        if (!want) {
            ltx2_tensor_release(got);
            continue;
        }
        const float *g = ltx2_tensor_cf32(got);
        long worst = 0;
        double num = 0, den = 0;
        for (int64_t j = 0; j < numel; j++) {
            if (bf16) {
                long u = ulps(g[j], want[j]);
                worst = u > worst ? u : worst;
            }
            num += ((double)g[j] - want[j]) * ((double)g[j] - want[j]);
            den += (double)want[j] * want[j];
        }
        if (bf16)
            CHECK(worst <= 1, "%s: %ld bf16 ulps off", key, worst);
        else
            CHECK(sqrt(num / den) <= 1e-6, "%s: rel L2 %.3g", key, sqrt(num / den));
        n++;
        free(want);
        ltx2_tensor_release(got);
    }
    CHECK(n > 0, "no %s* tensors in the fixture", prefix);
    printf("%s: %d weights compared\n", prefix, n);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char path[1024];
    ltx2_error err = {0};
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *w = NULL, *io = NULL, *l1 = NULL, *l2 = NULL;
    snprintf(path, sizeof path, "%s/lora.weights.safetensors", argv[1]);
    CHECK(ltx2_checkpoint_open(store, path, &w, &err) == LTX2_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/lora.io.safetensors", argv[1]);
    CHECK(ltx2_checkpoint_open(store, path, &io, &err) == LTX2_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/lora.lora1.safetensors", argv[1]);
    CHECK(ltx2_checkpoint_open(store, path, &l1, &err) == LTX2_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/lora.lora2.safetensors", argv[1]);
    CHECK(ltx2_checkpoint_open(store, path, &l2, &err) == LTX2_OK, "%s", err.msg);
    if (failures)
        return 1;
    /* strengths from the case metadata */
    double s[2] = {0, 0};
    struct json_object *cs = json_tokener_parse(ltx2_checkpoint_meta(io, "case")), *arr = NULL;
    CHECK(cs && json_object_object_get_ex(cs, "lora_strengths", &arr), "case.lora_strengths missing");
    for (int i = 0; arr && i < 2; i++)
        s[i] = json_object_get_double(json_object_array_get_idx(arr, (size_t)i));
    json_object_put(cs);

    ltx2_dit *base = NULL, *m1 = NULL, *m2 = NULL, *f1 = NULL, *f2 = NULL;
    CHECK(ltx2_dit_load(w, &base, &err) == LTX2_OK && base, "load: %s", err.msg);
    kpool *pool = kpool_create(2);
    kctx kc = kctx_default(pool);
    CHECK(ltx2_lora_apply(base, l1, (float)s[0], false, &kc, &m1, &err) == LTX2_OK, "lora1: %s", err.msg);
    CHECK(m1 && ltx2_lora_apply(m1, l2, (float)s[1], false, &kc, &m2, &err) == LTX2_OK, "lora2: %s", err.msg);
    CHECK(ltx2_lora_apply(base, l1, (float)s[0], true, &kc, &f1, &err) == LTX2_OK, "f32 lora1: %s", err.msg);
    CHECK(f1 && ltx2_lora_apply(f1, l2, (float)s[1], true, &kc, &f2, &err) == LTX2_OK, "f32 lora2: %s", err.msg);
    if (m2 && f2) {
        check_keys(io, m2, "out.model.diffusion_model.", true);
        check_keys(io, f2, "out.f32build.model.diffusion_model.", false);
        /* untouched weights are shared with the base, not copied */
        const kmat *bw = ltx2_dit_find_mat(base, "transformer_blocks.0.attn2.to_k.weight");
        const kmat *mw = ltx2_dit_find_mat(m2, "transformer_blocks.0.attn2.to_k.weight");
        CHECK(bw && mw && bw->data == mw->data, "untouched weight was copied");
        const kmat *tq = ltx2_dit_find_mat(m2, "transformer_blocks.0.attn1.to_q.weight");
        const kmat *bq = ltx2_dit_find_mat(base, "transformer_blocks.0.attn1.to_q.weight");
        CHECK(tq && bq && tq->data != bq->data, "touched weight not fused");
        CHECK(m2->base == base && m2->n_loras == 2, "chain does not share the base");
        /* the base is unchanged by the applies */
        ltx2_tensor *t = NULL;
        CHECK(ltx2_dit_weight_f32(base, "transformer_blocks.0.attn1.to_q.weight", &t, &err) == LTX2_OK, "%s", err.msg);
        const ltx2_st_tensor *raw = ltx2_checkpoint_find(w, "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight");
        CHECK(t && raw && k_bf16_to_f32(((const uint16_t *)raw->data)[0]) == ltx2_tensor_cf32(t)[0], "base changed");
        ltx2_tensor_release(t);
    }
    ltx2_dit_release(m1), ltx2_dit_release(m2), ltx2_dit_release(f1), ltx2_dit_release(f2);
    ltx2_dit_release(base);
    kpool_destroy(pool);
    ltx2_checkpoint_release(w), ltx2_checkpoint_release(io), ltx2_checkpoint_release(l1), ltx2_checkpoint_release(l2);
    ltx2_store_free(store);
    printf("lora: %d failures\n", failures);
    return failures ? 1 : 0;
}
