/* dtype conversions: FP8 decode checked over all 256 codes against the format's formula,
 * bf16 / f16 / e4m3 rounding edge cases, and k_to_f32 / k_round_bf16 over buffers. */
#include "check.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float fbits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* value of a minifloat code with e_bits/m_bits and bias, IEEE-style subnormals */
static double minifloat(unsigned code, int e_bits, int m_bits, int bias) {
    int s = (code >> (e_bits + m_bits)) & 1;
    int e = (code >> m_bits) & ((1 << e_bits) - 1);
    int m = code & ((1 << m_bits) - 1);
    double v = e == 0 ? ldexp((double)m / (1 << m_bits), 1 - bias) : ldexp(1.0 + (double)m / (1 << m_bits), e - bias);
    return s ? -v : v;
}

static void test_fp8(void) {
    for (unsigned c = 0; c < 256; c++) {
        float v = k_e4m3_to_f32((uint8_t)c);
        if ((c & 0x7f) == 0x7f) {
            CHECK(isnan(v), "e4m3 %02x should be NaN", c);
        } else {
            CHECK((double)v == minifloat(c, 4, 3, 7), "e4m3 %02x -> %g vs %g", c, v, minifloat(c, 4, 3, 7));
            CHECK((signbit(v) != 0) == ((c & 0x80) != 0), "e4m3 sign %02x", c);
            CHECK(k_f32_to_e4m3(v) == c, "e4m3 round trip %02x -> %02x", c, k_f32_to_e4m3(v));
        }
        float w = k_e5m2_to_f32((uint8_t)c);
        int e = (c >> 2) & 0x1f, m = c & 3;
        if (e == 31 && m) CHECK(isnan(w), "e5m2 %02x NaN", c);
        else if (e == 31) CHECK(isinf(w) && (w < 0) == ((c & 0x80) != 0), "e5m2 %02x inf", c);
        else CHECK((double)w == minifloat(c, 5, 2, 15), "e5m2 %02x -> %g vs %g", c, w, minifloat(c, 5, 2, 15));
    }
    CHECK(k_e4m3_to_f32(0x7e) == 448.0f, "e4m3 max");
    CHECK(k_f32_to_e4m3(1000.0f) == 0x7e && k_f32_to_e4m3(-INFINITY) == 0xfe, "e4m3 saturates");
    CHECK((k_f32_to_e4m3(NAN) & 0x7f) == 0x7f, "e4m3 NaN");
    /* ties to even: 1 + 1/16 lies between 1 (m=0) and 1.125 (m=1) -> 1; 1 + 3/16 -> 1.25 */
    CHECK(k_f32_to_e4m3(1.0625f) == 0x38, "tie down to even");
    CHECK(k_f32_to_e4m3(1.1875f) == 0x3a, "tie up to even");
    /* subnormal quantum 2^-9: 1.5 * 2^-9 is a tie between codes 1 and 2 -> 2 */
    CHECK(k_f32_to_e4m3(ldexpf(1.5f, -9)) == 0x02, "subnormal tie");
    CHECK(k_f32_to_e4m3(ldexpf(0.5f, -9)) == 0x00, "half the smallest subnormal rounds to 0");
    /* every midpoint between neighbouring positive codes rounds to the even code */
    for (unsigned c = 0; c < 0x7e; c++) {
        double mid = 0.5 * (minifloat(c, 4, 3, 7) + minifloat(c + 1, 4, 3, 7));
        unsigned even = (c & 1) ? c + 1 : c;
        CHECK(k_f32_to_e4m3((float)mid) == even, "midpoint after %02x -> %02x", c, k_f32_to_e4m3((float)mid));
        CHECK(k_f32_to_e4m3((float)-mid) == (even | 0x80), "negative midpoint after %02x", c);
    }
}

static void test_bf16(void) {
    CHECK(k_f32_to_bf16(1.0f) == 0x3f80, "1.0");
    CHECK(k_f32_to_bf16(fbits(0x3f808000u)) == 0x3f80, "tie to even (down)");
    CHECK(k_f32_to_bf16(fbits(0x3f818000u)) == 0x3f82, "tie to even (up)");
    CHECK(k_f32_to_bf16(fbits(0x3f808001u)) == 0x3f81, "above tie");
    CHECK(k_f32_to_bf16(fbits(0x3f807fffu)) == 0x3f80, "below tie");
    CHECK(k_f32_to_bf16(fbits(0x7f7fffffu)) == 0x7f80, "FLT_MAX rounds to inf");
    CHECK(k_f32_to_bf16(INFINITY) == 0x7f80 && k_f32_to_bf16(-INFINITY) == 0xff80, "inf");
    CHECK(k_f32_to_bf16(-0.0f) == 0x8000, "-0");
    CHECK(k_f32_to_bf16(fbits(0x00018000u)) == 0x0002, "subnormal tie to even");
    for (uint32_t nan = 0x7f800001u; nan < 0x7f800001u + 3; nan++) {
        uint16_t h = k_f32_to_bf16(fbits(nan));
        CHECK((h & 0x7f80) == 0x7f80 && (h & 0x7f), "NaN %08x stays NaN (%04x)", nan, h);
    }
    CHECK(isnan(k_bf16_to_f32(k_f32_to_bf16(fbits(0xffffffffu)))), "NaN with carry");
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = k_bf16_to_f32((uint16_t)h);
        CHECK(bits(f) == h << 16, "bf16 widen %04x", h);
        if (!isnan(f)) CHECK(k_f32_to_bf16(f) == h, "bf16 round trip %04x", h);
    }
    float buf[5] = {1.0f, fbits(0x3f808000u), fbits(0x3f818000u), -3.0f, fbits(0x3f80ffffu)};
    k_round_bf16(buf, 5);
    CHECK(buf[0] == 1.0f && buf[1] == 1.0f && bits(buf[2]) == 0x3f820000u && buf[3] == -3.0f &&
              bits(buf[4]) == 0x3f810000u, "k_round_bf16");
}

static void test_f16(void) {
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = k_f16_to_f32((uint16_t)h);
        int e = (h >> 10) & 0x1f, m = h & 0x3ff;
        if (e == 31 && m) {
            CHECK(isnan(f), "f16 %04x NaN", h);
            CHECK(isnan(k_f16_to_f32(k_f32_to_f16(f))), "f16 NaN round trip %04x", h);
            continue;
        }
        if (e == 31) CHECK(isinf(f), "f16 %04x inf", h);
        else CHECK((double)f == minifloat(h, 5, 10, 15), "f16 %04x -> %g", h, f);
        CHECK(k_f32_to_f16(f) == h, "f16 round trip %04x -> %04x", h, k_f32_to_f16(f));
    }
    /* rounding: midpoints go to even, with a reference in double */
    for (uint32_t h = 0; h < 0x7bff; h++) {
        double a = minifloat(h, 5, 10, 15), b = minifloat(h + 1, 5, 10, 15);
        float mid = (float)(0.5 * (a + b)); /* exact in f32 */
        uint16_t want = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
        CHECK(k_f32_to_f16(mid) == want, "f16 midpoint after %04x", h);
        CHECK(k_f32_to_f16(nextafterf(mid, 0.0f)) == h, "f16 below midpoint %04x", h);
        CHECK(k_f32_to_f16(nextafterf(mid, 1e9f)) == h + 1, "f16 above midpoint %04x", h);
    }
    CHECK(k_f32_to_f16(65519.0f) == 0x7bff && k_f32_to_f16(65520.0f) == 0x7c00, "f16 overflow threshold");
    CHECK(k_f32_to_f16(-1e10f) == 0xfc00, "f16 -inf");
    CHECK(k_f32_to_f16(ldexpf(1.0f, -26)) == 0 && k_f32_to_f16(ldexpf(1.5f, -25)) == 1, "f16 underflow");
}

static void test_to_f32(void) {
    uint16_t h[7];
    uint8_t b8[7];
    float src[7], dst[8];
    for (int i = 0; i < 7; i++) {
        src[i] = (float)(i * 3 - 9) * 0.25f;
        h[i] = k_f32_to_bf16(src[i]);
        b8[i] = k_f32_to_e4m3(src[i]);
    }
    dst[7] = 42.0f;
    k_to_f32(KD_BF16, h, dst, 7);
    for (int i = 0; i < 7; i++) CHECK(dst[i] == src[i], "bf16 buffer %d", i);
    k_to_f32(KD_F8_E4M3, b8, dst, 7);
    for (int i = 0; i < 7; i++) CHECK(dst[i] == src[i], "e4m3 buffer %d", i);
    for (int i = 0; i < 7; i++) h[i] = k_f32_to_f16(src[i]);
    k_to_f32(KD_F16, h, dst, 7);
    for (int i = 0; i < 7; i++) CHECK(dst[i] == src[i], "f16 buffer %d", i);
    for (int i = 0; i < 7; i++) b8[i] = (uint8_t)(0x3c + i);
    k_to_f32(KD_F8_E5M2, b8, dst, 7);
    for (int i = 0; i < 7; i++) CHECK(dst[i] == k_e5m2_to_f32((uint8_t)(0x3c + i)), "e5m2 buffer %d", i);
    k_to_f32(KD_F32, src, dst, 7);
    for (int i = 0; i < 7; i++) CHECK(dst[i] == src[i], "f32 buffer %d", i);
    CHECK(dst[7] == 42.0f, "k_to_f32 wrote past n");
    CHECK(k_dtype_size(KD_F32) == 4 && k_dtype_size(KD_BF16) == 2 && k_dtype_size(KD_F16) == 2 &&
              k_dtype_size(KD_F8_E4M3) == 1 && k_dtype_size(KD_F8_E5M2) == 1, "sizes");
    CHECK(k_isa_best() >= KISA_SCALAR && k_isa_best() <= KISA_AVX512BF16, "isa");
    for (int i = 0; i <= (int)k_isa_best(); i++) CHECK(k_isa_name((kisa)i)[0] != 'u', "isa name %d", i);
    kctx c = kctx_default(NULL);
    CHECK(c.pool == NULL && c.prec == KP_EXACT && c.isa == k_isa_best(), "kctx_default");
}

int main(void) {
    test_fp8();
    test_bf16();
    test_f16();
    test_to_f32();
    return 0;
}
