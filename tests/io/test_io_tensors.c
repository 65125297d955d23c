/* SaveTensors → LoadTensors round trip: a TENSORS bag with metadata, dtypes kept
 * (F32, BF16, I64), values picked from objects ("out=key", nested "a.b", "prefix."),
 * numbers as 0-d tensors; LoadTensors' `name` output and its errors; a failing save
 * leaves no file. */
#include <unistd.h>
#include "io_test_host.h"
#include "object.h"
#include "tensor.h"

static ltx2_object *load(ltx2_plugin *p, const char *path, const char *name, ltx2_tensor **picked,
                         test_ctx *tc)
{
    th_ctx_init(tc, "LoadTensors");
    ltx2_value out[2] = {0};
    const char *names[] = {"path", "name"};
    ltx2_value vals[] = {th_str(path), th_str(name ? name : "")};
    ltx2_status st = th_run(p, th_type(p, "LoadTensors"), tc, names, vals, 2, out);
    if (st != LTX2_OK)
        return NULL;
    if (picked)
        *picked = out[1].kind == LTX2_V_TENSOR ? out[1].u.t : NULL;
    else if (out[1].kind == LTX2_V_TENSOR)
        ltx2_tensor_release(out[1].u.t);
    return out[0].u.o;
}

static int same_tensor(const ltx2_tensor *a, const ltx2_tensor *b)
{
    return a && b && a->dtype == b->dtype && ltx2_tensor_same_shape(a, b) &&
           !memcmp(a->data, b->data, ltx2_tensor_nbytes(a));
}

int main(void)
{
    ltx2_plugin *p = th_load();
    if (!p)
        return 1;
    char dir[] = "/tmp/ltx2_io_tensorsXXXXXX";
    if (!mkdtemp(dir))
        return 2;

    ltx2_tensor *f = ltx2_tensor_new(LTX2_F32, 2, (const int64_t[]){2, 3});
    ltx2_tensor *h = ltx2_tensor_new(LTX2_BF16, 1, (const int64_t[]){5});
    ltx2_tensor *ids = ltx2_tensor_new(LTX2_I64, 1, (const int64_t[]){4});
    for (int i = 0; i < 6; i++)
        ltx2_tensor_f32(f)[i] = (float)i * 0.25f - 1.0f;
    for (int i = 0; i < 5; i++)
        ((uint16_t *)h->data)[i] = (uint16_t)(0x3f80 + i);
    for (int i = 0; i < 4; i++)
        ((int64_t *)ids->data)[i] = (int64_t)i * 1000000007LL;
    ltx2_object *bag = ltx2_object_new("TENSORS");
    ltx2_object_set_tensor(bag, "in.f", f);
    ltx2_object_set_tensor(bag, "w.bf16", h);
    ltx2_object_set_metadata(bag, "{\"config\":\"{\\\"a\\\":1}\",\"note\":\"hi\"}");
    /* A LATENT-like object with a nested object. */
    ltx2_object *inner = ltx2_object_new("CONDITIONING");
    ltx2_object_set_tensor(inner, "mask", ids);
    ltx2_object *lat = ltx2_object_new("LATENT");
    ltx2_object_set_tensor(lat, "samples", f);
    ltx2_object_set_object(lat, "cond", inner);

    char path[600];
    snprintf(path, sizeof path, "%s/new/dir/out.safetensors", dir);
    test_ctx tc;
    th_ctx_init(&tc, "SaveTensors");
    const char *names[] = {"path", "tensors", "name_1", "value_1", "name_2", "value_2", "name_3",
                           "value_3", "name_4", "value_4", "name_5", "value_5"};
    ltx2_value vals[] = {
        th_str(path),        {.kind = LTX2_V_OBJECT, .u.o = bag},
        th_str("lat="),      {.kind = LTX2_V_NONE}, /* placeholder, replaced below */
        th_str("video=samples"), {.kind = LTX2_V_OBJECT, .u.o = lat},
        th_str("m=cond.mask"),   {.kind = LTX2_V_OBJECT, .u.o = lat},
        th_str("all."),          {.kind = LTX2_V_OBJECT, .u.o = lat},
        th_str("sigma"),         {.kind = LTX2_V_FLOAT, .u.f = 0.5},
    };
    vals[2] = th_str("raw");
    vals[3] = (ltx2_value){.kind = LTX2_V_TENSOR, .u.t = ids};
    ltx2_status st = th_run(p, th_type(p, "SaveTensors"), &tc, names, vals, 12, NULL);
    CHECK(st == LTX2_OK, "SaveTensors: %s: %s", tc.err_input, tc.err_msg);

    ltx2_tensor *picked = NULL;
    ltx2_object *back = load(p, path, "video", &picked, &tc);
    CHECK(back != NULL, "LoadTensors: %s", tc.err_msg);
    if (back) {
        CHECK(ltx2_object_is(back, "TENSORS"), "type %s", ltx2_object_type(back));
        CHECK(same_tensor(ltx2_object_tensor(back, "in.f"), f), "in.f");
        CHECK(same_tensor(ltx2_object_tensor(back, "w.bf16"), h), "BF16 kept");
        CHECK(same_tensor(ltx2_object_tensor(back, "raw"), ids), "I64 kept");
        CHECK(same_tensor(ltx2_object_tensor(back, "video"), f), "out=key");
        CHECK(same_tensor(ltx2_object_tensor(back, "m"), ids), "nested a.b");
        CHECK(same_tensor(ltx2_object_tensor(back, "all.samples"), f) &&
                  same_tensor(ltx2_object_tensor(back, "all.cond.mask"), ids),
              "prefix. saves every tensor");
        ltx2_tensor *s = ltx2_object_tensor(back, "sigma");
        CHECK(s && s->ndim == 0 && s->dtype == LTX2_F32 && *(float *)s->data == 0.5f, "number saved");
        CHECK(ltx2_object_count(back) == 8, "8 tensors, got %u", ltx2_object_count(back));
        const char *meta = ltx2_object_metadata(back);
        CHECK(strstr(meta, "\"note\":\"hi\"") != NULL, "metadata kept: %s", meta);
        CHECK(ltx2_object_tensor(back, "in.f")->owner == LTX2_OWNER_MAPPED, "loaded tensors are mapped");
        CHECK(same_tensor(picked, f), "name output");
        for (uint32_t i = 0; i < ltx2_object_count(back); i++) {
            const char *key;
            ltx2_value v;
            ltx2_object_entry(back, i, &key, &v);
            CHECK(v.kind == LTX2_V_TENSOR &&
                      (uintptr_t)v.u.t->data % ltx2_dtype_size(v.u.t->dtype) == 0,
                  "tensor %s is not aligned to its dtype in the file", key);
        }
        ltx2_tensor_release(picked);
        ltx2_object_release(back);
    }

    /* Absent name: error names `name`; missing file: error names `path`. */
    CHECK(load(p, path, "nope", NULL, &tc) == NULL && !strcmp(tc.err_input, "name") &&
              strstr(tc.err_msg, "'nope'"),
          "absent name: %s %s", tc.err_input, tc.err_msg);
    char missing[640];
    snprintf(missing, sizeof missing, "%s/missing.safetensors", dir);
    CHECK(load(p, missing, NULL, NULL, &tc) == NULL && !strcmp(tc.err_input, "path") &&
              strstr(tc.err_msg, "no such file"),
          "missing file: %s %s", tc.err_input, tc.err_msg);

    /* A failing save (a string value) and a duplicate name leave no file. */
    char failed[640];
    snprintf(failed, sizeof failed, "%s/fail/out.safetensors", dir);
    th_ctx_init(&tc, "SaveTensors");
    const char *fnames[] = {"path", "name_1", "value_1", "name_2", "value_2"};
    ltx2_value fvals[] = {th_str(failed), th_str("x"), {.kind = LTX2_V_TENSOR, .u.t = f}, th_str("y"),
                          th_str("text")};
    st = th_run(p, th_type(p, "SaveTensors"), &tc, fnames, fvals, 5, NULL);
    CHECK(st != LTX2_OK && !strcmp(tc.err_input, "value_2"), "string value: %s %s", tc.err_input,
          tc.err_msg);
    fvals[3] = th_str("x");
    fvals[4] = (ltx2_value){.kind = LTX2_V_TENSOR, .u.t = h};
    th_ctx_init(&tc, "SaveTensors");
    st = th_run(p, th_type(p, "SaveTensors"), &tc, fnames, fvals, 5, NULL);
    CHECK(st != LTX2_OK && strstr(tc.err_msg, "'x'"), "duplicate: %s", tc.err_msg);
    CHECK(access(failed, F_OK) != 0, "no file after failures");
    snprintf(missing, sizeof missing, "%s/fail", dir);
    CHECK(th_count_files(missing, NULL) == 0, "no temp files after failures");

    /* Cancelled: the previous good file stays as it was, no temp file remains. */
    th_ctx_init(&tc, "SaveTensors");
    tc.cancel_after = 1;
    const char *cnames[] = {"path", "name_1", "value_1"};
    ltx2_value cvals[] = {th_str(path), th_str("z"), {.kind = LTX2_V_TENSOR, .u.t = f}};
    st = th_run(p, th_type(p, "SaveTensors"), &tc, cnames, cvals, 3, NULL);
    CHECK(st == LTX2_CANCELLED, "cancel status %d", st);
    back = load(p, path, NULL, NULL, &tc);
    CHECK(back && ltx2_object_count(back) == 8, "old file intact after a cancel");
    ltx2_object_release(back);
    snprintf(missing, sizeof missing, "%s/new/dir", dir);
    CHECK(th_count_files(missing, ".tmp") == 0, "no temp after cancel");

    ltx2_object_release(lat);
    ltx2_object_release(inner);
    ltx2_object_release(bag);
    ltx2_tensor_release(f);
    ltx2_tensor_release(h);
    ltx2_tensor_release(ids);
    p->unload(p);
    th_rmtree(dir);
    printf("%d failures\n", g_failures);
    return g_failures ? 1 : 0;
}
