/* Every file of the golden fixtures folder opens through the store, every tensor
 * is readable as a handle and widens to f32 exactly as the bit-level definition
 * of its dtype says; `config` metadata parses wherever it is present. */
#include <dirent.h>
#include <json-c/json.h>
#include <math.h>
#include "st_test_util.h"
#include "store/store.h"

/* Bit-level references, written independently of the kernels. */
static float ref_bf16(uint16_t v)
{
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double ref_f16(uint16_t v)
{
    int s = v >> 15, e = (v >> 10) & 31, m = v & 1023;
    double mag = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -mag : mag;
}

static bool same_bits_or_nan(float a, double ref)
{
    if (isnan(ref))
        return isnan(a);
    return (double)a == ref && !signbit(a) == !signbit(ref);
}

static void check_file(st_test *T, ltx2_store *s, const char *path, size_t *n_tensors)
{
    ltx2_checkpoint *c = NULL;
    ltx2_error err = {0};
    ltx2_status st = ltx2_checkpoint_open(s, path, &c, &err);
    CHECK(T, st == LTX2_OK, "%s: %s", path, err.msg);
    if (st != LTX2_OK)
        return;
    size_t n = ltx2_checkpoint_count(c);
    CHECK(T, n > 0, "%s: no tensors", path);
    for (size_t i = 0; i < n; i++) {
        const ltx2_st_tensor *e = ltx2_checkpoint_at(c, i);
        if (i)
            CHECK(T, strcmp(ltx2_checkpoint_at(c, i - 1)->name, e->name) < 0, "not sorted");
        CHECK(T, ltx2_checkpoint_find(c, e->name) == e, "%s: find(%s)", path, e->name);
        ltx2_tensor *t = ltx2_checkpoint_tensor(c, e->name);
        CHECK(T, t != NULL, "%s: tensor handle for %s", path, e->name);
        if (!t)
            continue;
        CHECK(T, ltx2_tensor_nbytes(t) == e->nbytes && t->data == e->data && t->ndim == e->ndim,
              "%s: handle of %s disagrees with its entry", path, e->name);
        int64_t numel = ltx2_tensor_numel(t);
        float *w = NULL;
        st = ltx2_ckpt_f32(c, e->name, numel, &w, &err);
        CHECK(T, st == LTX2_OK, "%s: widen %s: %s", path, e->name, err.msg);
        for (int64_t k = 0; w && k < numel; k++) {
            const uint8_t *b = (const uint8_t *)e->data;
            bool ok;
            if (e->dtype == LTX2_F32) {
                ok = memcmp(&w[k], b + 4 * k, 4) == 0;
            } else {
                uint16_t u;
                memcpy(&u, b + 2 * k, 2);
                ok = e->dtype == LTX2_BF16 ? same_bits_or_nan(w[k], ref_bf16(u))
                                           : same_bits_or_nan(w[k], ref_f16(u));
            }
            if (!ok) {
                CHECK(T, ok, "%s: %s (%s) [%lld] widened wrongly to %.9g", path, e->name,
                      ltx2_dtype_name(e->dtype), (long long)k, (double)w[k]);
                break;
            }
        }
        free(w);
        ltx2_tensor_release(t);
        (*n_tensors)++;
    }
    if (ltx2_checkpoint_meta(c, "config"))
        CHECK(T, json_object_is_type(ltx2_checkpoint_config(c), json_type_object),
              "%s: config not parsed", path);
    enum json_tokener_error jerr;
    json_object *meta = json_tokener_parse_verbose(ltx2_checkpoint_meta_json(c), &jerr);
    CHECK(T, meta && json_object_is_type(meta, json_type_object), "%s: meta json", path);
    json_object_put(meta);
    ltx2_checkpoint_release(c);
}

int main(int argc, char **argv)
{
    st_test T = {0};
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    CHECK(&T, d != NULL, "cannot open %s", argv[1]);
    if (!d)
        return 1;
    ltx2_store *s = ltx2_store_new();
    size_t files = 0, tensors = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 12 || strcmp(e->d_name + n - 12, ".safetensors") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        check_file(&T, s, path, &tensors);
        files++;
    }
    closedir(d);
    ltx2_store_free(s);
    CHECK(&T, files >= 1, "no fixture files found in %s", argv[1]);
    printf("%zu files, %zu tensors, %d checks, %d failures\n", files, tensors, T.checks, T.failures);
    return T.failures ? 1 : 0;
}
