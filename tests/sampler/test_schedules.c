/* Sigma schedules vs the reference's scheduler.json, bit-exact in float32. Cases where
 * the reference produces NaN (nothing to stretch) must be refused with an error. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sampler/schedules.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint32_t f32_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

static double num_or(json_object *o, const char *key, double fallback)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && v && !json_object_is_type(v, json_type_null)
               ? json_object_get_double(v) : fallback;
}

static void check_list(const char *what, const float *got, int n, json_object *c)
{
    json_object *bits;
    if (!json_object_object_get_ex(c, "sigmas_f32_bits", &bits)) {
        CHECK(0, "%s: no sigmas_f32_bits", what);
        return;
    }
    int m = (int)json_object_array_length(bits);
    CHECK(m == n, "%s: %d values, expected %d", what, n, m);
    for (int i = 0; i < n && i < m; i++) {
        uint32_t want = (uint32_t)json_object_get_int64(json_object_array_get_idx(bits, i));
        CHECK(f32_bits(got[i]) == want, "%s: sigma[%d] = %.9g (0x%08x), expected bits 0x%08x", what,
              i, (double)got[i], f32_bits(got[i]), want);
    }
}

static int run_cases(json_object *arr)
{
    int checked = 0;
    for (size_t k = 0; k < json_object_array_length(arr); k++) {
        json_object *c = json_object_array_get_idx(arr, k);
        int steps = (int)num_or(c, "steps", 0);
        int64_t tokens = (int64_t)num_or(c, "tokens", 0);
        json_object *st;
        bool stretch = !json_object_object_get_ex(c, "stretch", &st) || json_object_get_boolean(st);
        double terminal = num_or(c, "terminal", 0.1);
        double max_shift = num_or(c, "max_shift", 2.05), base_shift = num_or(c, "base_shift", 0.95);
        float out[256];
        ltx2_error err = {0};
        ltx2_status s = ltx2_sched_ltx2(steps, tokens, max_shift, base_shift, stretch, terminal,
                                        out, &err);
        char what[128];
        snprintf(what, sizeof what, "steps=%d tokens=%lld stretch=%d terminal=%g shift=%g/%g", steps,
                 (long long)tokens, stretch, terminal, max_shift, base_shift);
        json_object *sig;
        json_object_object_get_ex(c, "sigmas", &sig);
        json_object *first = json_object_array_get_idx(sig, 0);
        bool ref_nan = json_object_is_type(first, json_type_null) ||
                       isnan(json_object_get_double(first));
        if (!ref_nan) {
            json_object *bits;
            json_object_object_get_ex(c, "sigmas_f32_bits", &bits);
            uint32_t b0 = (uint32_t)json_object_get_int64(json_object_array_get_idx(bits, 0));
            ref_nan = (b0 & 0x7f800000u) == 0x7f800000u && (b0 & 0x7fffffu);
        }
        if (ref_nan) {
            CHECK(s != LTX2_OK, "%s: reference gives NaN, expected an error", what);
            CHECK(err.msg[0] != 0, "%s: error without a message", what);
        } else {
            CHECK(s == LTX2_OK, "%s: %s", what, err.msg);
            if (s == LTX2_OK)
                check_list(what, out, steps + 1, c);
        }
        checked++;
    }
    return checked;
}

int main(int argc, char **argv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/scheduler.json", argc > 1 ? argv[1] : ".");
    json_object *root = json_object_from_file(path);
    if (!root) {
        printf("FAIL: cannot read %s\n", path);
        return 1;
    }
    json_object *a, *b, *d1, *d2;
    int n = 0;
    if (json_object_object_get_ex(root, "ltx2_scheduler", &a))
        n += run_cases(a);
    if (json_object_object_get_ex(root, "ltx2_scheduler_extra_kwargs", &b))
        n += run_cases(b);
    CHECK(n >= 30, "only %d scheduler cases found", n);

    int cnt;
    const float *s1 = ltx2_sched_distilled(1, &cnt);
    if (json_object_object_get_ex(root, "distilled_stage1", &d1))
        check_list("distilled stage 1", s1, cnt, d1);
    else
        CHECK(0, "no distilled_stage1");
    const float *s2 = ltx2_sched_distilled(2, &cnt);
    if (json_object_object_get_ex(root, "distilled_stage2", &d2))
        check_list("distilled stage 2", s2, cnt, d2);
    else
        CHECK(0, "no distilled_stage2");

    /* Manual lists: parsed in order, refused when increasing / out of range / too short. */
    float m[16];
    int mn = 0;
    ltx2_error err = {0};
    CHECK(ltx2_sched_parse("0.909375, 0.725,0.421875 ,0", m, 16, &mn, &err) == LTX2_OK, "%s", err.msg);
    CHECK(mn == 4 && m[0] == s2[0] && m[1] == s2[1] && m[2] == s2[2] && m[3] == 0.0f,
          "manual list differs from the stage-2 list");
    CHECK(ltx2_sched_parse("0.5, 0.7", m, 16, &mn, &err) != LTX2_OK, "increasing list accepted");
    CHECK(ltx2_sched_parse("1.5, 0", m, 16, &mn, &err) != LTX2_OK, "sigma > 1 accepted");
    CHECK(ltx2_sched_parse("0.5", m, 16, &mn, &err) != LTX2_OK, "single sigma accepted");
    CHECK(ltx2_sched_parse("0.5, x", m, 16, &mn, &err) != LTX2_OK, "garbage accepted");
    CHECK(ltx2_sched_ltx2(0, 0, 2.05, 0.95, true, 0.1, m, &err) != LTX2_OK, "steps 0 accepted");

    json_object_put(root);
    printf("%s: %d scheduler cases, %d failures\n", failures ? "FAIL" : "OK", n, failures);
    return failures ? 1 : 0;
}
