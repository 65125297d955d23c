/* Dtype widening: every F16 and BF16 bit pattern and every FP8 E4M3 / E5M2 byte,
 * through a generated checkpoint, against the formulas of the formats; FP8 weight
 * matrices pick up their per-tensor `weight_scale`. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include "st_test_util.h"
#include "store/store.h"

/* (-1)^s · 2^(e-bias) · (1 + m/2^mb), subnormal 2^(1-bias) · m/2^mb. */
static double fp_formula(unsigned v, int eb, int mb, int bias, int has_inf)
{
    unsigned s = v >> (eb + mb), e = (v >> mb) & ((1u << eb) - 1), m = v & ((1u << mb) - 1);
    double mag;
    if (e == (1u << eb) - 1 && has_inf)
        mag = m ? NAN : INFINITY;
    else if (e == 0)
        mag = ldexp((double)m / (1 << mb), 1 - bias);
    else
        mag = ldexp(1.0 + (double)m / (1 << mb), (int)e - bias);
    return s ? -mag : mag;
}

static double e4m3_formula(unsigned v)
{
    if ((v & 0x7f) == 0x7f)
        return NAN; /* E4M3FN: only S.1111.111 is NaN, no infinities */
    return fp_formula(v, 4, 3, 7, 0);
}

static bool equal_or_nan(float a, double ref)
{
    return isnan(ref) ? isnan(a) : ((double)a == ref && !signbit(a) == !signbit(ref));
}

static ltx2_checkpoint *open_ok(st_test *T, ltx2_store *s, const char *path)
{
    ltx2_checkpoint *c = NULL;
    ltx2_error err = {0};
    CHECK(T, ltx2_checkpoint_open(s, path, &c, &err) == LTX2_OK, "%s", err.msg);
    return c;
}

int main(void)
{
    st_test T = {0};
    char dir[] = "/tmp/ltx2_store_dtypesXXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char path[256];
    snprintf(path, sizeof path, "%s/all.safetensors", dir);

    /* Data area: all 65536 F16, all 65536 BF16, all 256 E4M3, all 256 E5M2, a 2x2 E4M3
     * matrix with its f32 scale. */
    size_t n16 = 65536 * 2, n8 = 256;
    size_t total = 2 * n16 + 2 * n8 + 4 + 4;
    uint8_t *data = malloc(total);
    for (unsigned i = 0; i < 65536; i++) {
        data[2 * i] = (uint8_t)i;
        data[2 * i + 1] = (uint8_t)(i >> 8);
        data[n16 + 2 * i] = (uint8_t)i;
        data[n16 + 2 * i + 1] = (uint8_t)(i >> 8);
    }
    for (unsigned i = 0; i < 256; i++) {
        data[2 * n16 + i] = (uint8_t)i;
        data[2 * n16 + n8 + i] = (uint8_t)i;
    }
    const uint8_t mat[4] = {0x38, 0x40, 0xb8, 0x00}; /* 1, 2, -1, 0 in E4M3 */
    memcpy(data + 2 * n16 + 2 * n8, mat, 4);
    const float scale = 0.25f;
    memcpy(data + 2 * n16 + 2 * n8 + 4, &scale, 4);
    char header[1024];
    snprintf(header, sizeof header,
             "{\"f16\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,%zu]},"
             "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[65536],\"data_offsets\":[%zu,%zu]},"
             "\"e4m3\":{\"dtype\":\"F8_E4M3\",\"shape\":[256],\"data_offsets\":[%zu,%zu]},"
             "\"e5m2\":{\"dtype\":\"F8_E5M2\",\"shape\":[16,16],\"data_offsets\":[%zu,%zu]},"
             "\"lin.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[2,2],\"data_offsets\":[%zu,%zu]},"
             "\"lin.weight_scale\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[%zu,%zu]}}",
             n16, n16, 2 * n16, 2 * n16, 2 * n16 + n8, 2 * n16 + n8, 2 * n16 + 2 * n8,
             2 * n16 + 2 * n8, 2 * n16 + 2 * n8 + 4, 2 * n16 + 2 * n8 + 4, total);
    CHECK(&T, st_write(path, header, data, total) == 0, "write %s", path);
    free(data);

    ltx2_store *s = ltx2_store_new();
    ltx2_checkpoint *c = open_ok(&T, s, path);
    ltx2_error err = {0};
    if (c) {
        float *w = NULL;
        CHECK(&T, ltx2_ckpt_f32(c, "f16", 65536, &w, &err) == LTX2_OK, "%s", err.msg);
        for (unsigned i = 0; w && i < 65536; i++)
            if (!equal_or_nan(w[i], fp_formula(i, 5, 10, 15, 1))) {
                CHECK(&T, 0, "F16 0x%04x -> %.9g", i, (double)w[i]);
                break;
            }
        free(w);
        w = NULL;
        CHECK(&T, ltx2_ckpt_vec(c, "bf16", 65536, &w, &err) == LTX2_OK, "%s", err.msg);
        for (unsigned i = 0; w && i < 65536; i++)
            if (!equal_or_nan(w[i], fp_formula(i, 8, 7, 127, 1))) {
                CHECK(&T, 0, "BF16 0x%04x -> %.9g", i, (double)w[i]);
                break;
            }
        free(w);
        w = NULL;
        CHECK(&T, ltx2_ckpt_f32(c, "e4m3", 256, &w, &err) == LTX2_OK, "%s", err.msg);
        for (unsigned i = 0; w && i < 256; i++)
            CHECK(&T, equal_or_nan(w[i], e4m3_formula(i)), "E4M3 0x%02x -> %.9g", i, (double)w[i]);
        free(w);
        w = NULL;
        CHECK(&T, ltx2_ckpt_f32(c, "e5m2", 256, &w, &err) == LTX2_OK, "%s", err.msg);
        for (unsigned i = 0; w && i < 256; i++)
            CHECK(&T, equal_or_nan(w[i], fp_formula(i, 5, 2, 15, 1)), "E5M2 0x%02x -> %.9g", i,
                  (double)w[i]);
        free(w);

        /* The kernels' scalar decoders agree with the formula on every byte. */
        for (unsigned i = 0; i < 256; i++) {
            CHECK(&T, equal_or_nan(k_e4m3_to_f32((uint8_t)i), e4m3_formula(i)), "k_e4m3 0x%02x", i);
            CHECK(&T, equal_or_nan(k_e5m2_to_f32((uint8_t)i), fp_formula(i, 5, 2, 15, 1)),
                  "k_e5m2 0x%02x", i);
        }
        CHECK(&T, e4m3_formula(0x7e) == 448.0, "E4M3 max is 448");

        kmat m;
        CHECK(&T, ltx2_ckpt_mat(c, "lin.weight", 2, 2, &m, &err) == LTX2_OK, "%s", err.msg);
        CHECK(&T, m.dtype == KD_F8_E4M3 && m.scale == 0.25f && m.ld == 2 && m.rows == 2,
              "fp8 kmat: dtype %d scale %g", m.dtype, (double)m.scale);
        CHECK(&T, ltx2_ckpt_mat(c, "e5m2", 16, 16, &m, &err) == LTX2_OK && m.scale == 1.0f,
              "fp8 without a scale: %s", err.msg);
        /* Errors name the key and both shapes. */
        CHECK(&T, ltx2_ckpt_mat(c, "lin.weight", 3, -1, &m, &err) != LTX2_OK &&
                      strstr(err.msg, "'lin.weight'") && strstr(err.msg, "[3, *]") &&
                      strstr(err.msg, "F8_E4M3[2, 2]"),
              "shape error: %s", err.msg);
        CHECK(&T, ltx2_ckpt_vec(c, "nope.bias", 4, &w, &err) != LTX2_OK &&
                      strstr(err.msg, "missing tensor 'nope.bias'"),
              "missing error: %s", err.msg);
        CHECK(&T, ltx2_ckpt_f32(c, "bf16", 7, &w, &err) != LTX2_OK && strstr(err.msg, "'bf16'") &&
                      strstr(err.msg, "expected 7") && strstr(err.msg, "BF16[65536]"),
              "numel error: %s", err.msg);
        ltx2_checkpoint_release(c);
    }
    ltx2_store_free(s);
    unlink(path);
    rmdir(dir);
    printf("%d checks, %d failures\n", T.checks, T.failures);
    return T.failures ? 1 : 0;
}
