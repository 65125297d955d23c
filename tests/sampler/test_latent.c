/* LATENT helpers and conditioning: (un)patchify round trips and layouts, audio length,
 * latent-index replacement and mask, keyframe / reference appended tokens with their
 * positions, and the sequences the sampler builds from the result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler/conditioning.h"
#include "sampler/latent.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static ltx2_tensor *ramp(int ndim, const int64_t *shape, float base)
{
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, ndim, shape);
    for (int64_t i = 0; i < ltx2_tensor_numel(t); i++)
        ltx2_tensor_f32(t)[i] = base + (float)i;
    return t;
}

static ltx2_object *make_latent(int64_t c, int64_t f, int64_t h, int64_t w, double fps)
{
    ltx2_object *o = ltx2_object_new("LATENT");
    ltx2_tensor *v = ramp(5, (const int64_t[]){1, c, f, h, w}, 0.0f);
    ltx2_tensor *a = ramp(4, (const int64_t[]){1, 2, 5, 3}, 1000.0f);
    ltx2_object_set_tensor(o, LTX2_LAT_VIDEO, v);
    ltx2_object_set_tensor(o, LTX2_LAT_AUDIO, a);
    ltx2_object_set_float(o, LTX2_LAT_FPS, fps);
    ltx2_tensor_release(v);
    ltx2_tensor_release(a);
    return o;
}

int main(void)
{
    /* patchify: token n, channel c takes src[c][n]; audio feature c*M + m */
    float src[2 * 3 * 4], tok[24], back[24];
    for (int i = 0; i < 24; i++)
        src[i] = (float)i;
    const kctx kc = kctx_default(NULL);
    CHECK(ltx2_patchify_video(&kc, src, 2, 12, tok) == KS_OK, "video patchify");
    CHECK(tok[5 * 2 + 1] == src[1 * 12 + 5], "video patchify layout");
    CHECK(ltx2_unpatchify_video(&kc, tok, 2, 12, back) == KS_OK, "video unpatchify");
    CHECK(!memcmp(src, back, sizeof src), "video round trip");
    CHECK(ltx2_patchify_audio(&kc, src, 2, 3, 4, tok) == KS_OK, "audio patchify"); /* [C=2][T=3][M=4] */
    CHECK(tok[1 * 8 + 1 * 4 + 2] == src[(1 * 3 + 1) * 4 + 2], "audio patchify layout");
    CHECK(ltx2_unpatchify_audio(&kc, tok, 2, 3, 4, back) == KS_OK, "audio unpatchify");
    CHECK(!memcmp(src, back, sizeof src), "audio round trip");

    const ltx2_latent_geom dg = LTX2_LATENT_GEOM_DEFAULT;
    CHECK(ltx2_audio_latent_frames(17, 24.0, &dg) == 18, "17 frames @24 -> 18");
    CHECK(ltx2_audio_latent_frames(121, 24.0, &dg) == 126, "121 frames @24 -> 126");
    CHECK(ltx2_audio_latent_frames(1, 50.0, &dg) == 0, "0.5 rounds to even 0");
    CHECK(ltx2_audio_latent_frames(3, 50.0, &dg) == 2, "1.5 rounds to even 2");

    const int64_t C = 4, F = 3, H = 2, W = 3, HW = H * W, N = F * HW;
    ltx2_object *lat = make_latent(C, F, H, W, 24.0);
    ltx2_error err = {0};
    ltx2_latent_dims d;
    CHECK(ltx2_latent_dims_of(lat, &d, &err) == LTX2_OK, "%s", err.msg);
    CHECK(d.c == C && d.f == F && d.ca == 2 && d.t == 5 && d.m == 3 && d.n_cond == 0, "dims");

    /* latent index 1 with strength 0.75: frame 1 replaced, mask 0.25 there, 1 elsewhere */
    ltx2_tensor *img = ramp(5, (const int64_t[]){1, C, 1, H, W}, 500.0f);
    ltx2_object *li = NULL;
    CHECK(ltx2_cond_latent_index(lat, img, 1, 0.75, &li, &err) == LTX2_OK, "%s", err.msg);
    if (li) {
        const float *s = ltx2_tensor_cf32(ltx2_object_tensor(li, LTX2_LAT_VIDEO));
        const float *m = ltx2_tensor_cf32(ltx2_object_tensor(li, LTX2_LAT_VIDEO_MASK));
        CHECK(s[(2 * F + 1) * HW + 4] == 500.0f + (float)(2 * HW + 4), "frame 1 replaced");
        CHECK(s[(2 * F + 0) * HW + 4] == (float)((2 * F + 0) * HW + 4), "frame 0 untouched");
        CHECK(m[HW + 2] == 0.25f && m[2] == 1.0f && m[2 * HW] == 1.0f, "mask values");
        const float *orig = ltx2_tensor_cf32(ltx2_object_tensor(lat, LTX2_LAT_VIDEO));
        CHECK(orig[(2 * F + 1) * HW + 4] == (float)((2 * F + 1) * HW + 4), "input latent modified");
    }
    ltx2_object *bad = NULL;
    CHECK(ltx2_cond_latent_index(lat, img, 3, 1.0, &bad, &err) != LTX2_OK && !bad, "index past the end accepted");
    CHECK(ltx2_cond_latent_index(lat, img, 0, 1.5, &bad, &err) != LTX2_OK, "strength 1.5 accepted");

    /* keyframes at pixel frames 0 and 16 (strength 1 and 0.8), then a reference at factor 2 */
    ltx2_object *k1 = NULL, *k2 = NULL, *rf = NULL;
    CHECK(ltx2_cond_keyframe(li, img, 0, 1.0, &k1, &err) == LTX2_OK, "%s", err.msg);
    CHECK(k1 && ltx2_cond_keyframe(k1, img, 16, 0.8, &k2, &err) == LTX2_OK, "%s", err.msg);
    ltx2_tensor *ref = ramp(5, (const int64_t[]){1, C, 2, 1, 2}, -50.0f);
    CHECK(k2 && ltx2_cond_reference(k2, ref, 2, 1.0, &rf, &err) == LTX2_OK, "%s", err.msg);
    CHECK(ltx2_cond_keyframe(lat, img, 17, 1.0, &bad, &err) != LTX2_OK, "keyframe past the last frame accepted");
    if (rf) {
        ltx2_seq s;
        CHECK(ltx2_seq_video(&kc, rf, &dg, &s, &err) == LTX2_OK, "%s", err.msg);
        const int64_t n = s.n;
        CHECK(s.n_gen == N && n == N + 2 * HW + 4, "sequence %lld tokens", (long long)n);
        const float *t = s.pos, *y = s.pos + 2 * n, *x = s.pos + 4 * n;
        /* generated frame 1: t = [1, 9] / 24 after the causal fix */
        CHECK(t[2 * HW] == 1.0f / 24.0f && t[2 * HW + 1] == 9.0f / 24.0f, "generated frame 1 time");
        /* keyframe 0 (causal): [0, 1]/24; keyframe 1: [16, 24]/24 */
        CHECK(t[2 * N] == 0.0f && t[2 * N + 1] == 1.0f / 24.0f, "keyframe 0 time");
        CHECK(t[2 * (N + HW)] == 16.0f / 24.0f && t[2 * (N + HW) + 1] == 24.0f / 24.0f, "keyframe 1 time");
        CHECK(y[2 * (N + HW) + 2 * 1] == 0.0f && x[2 * (N + 1)] == 32.0f, "keyframe space");
        /* reference token (f=1, h=0, w=1): t [1, 9]/24, x [64, 128) * 2 */
        const int64_t r = N + 2 * HW + 3;
        CHECK(t[2 * r] == 1.0f / 24.0f && t[2 * r + 1] == 9.0f / 24.0f, "reference time");
        CHECK(x[2 * r] == 64.0f && x[2 * r + 1] == 128.0f && y[2 * r + 1] == 64.0f, "reference space x%g y%g",
              (double)x[2 * r], (double)y[2 * r + 1]);
        CHECK(s.mask[N] == 0.0f && s.mask[N + HW] == (float)(1.0 - 0.8) && s.mask[r] == 0.0f &&
                  s.mask[HW] == 0.25f && s.mask[0] == 1.0f, "sequence mask");
        CHECK(s.x[N * C + 1] == 500.0f + (float)(1 * HW), "first appended token = keyframe (h0,w0) ch1");
        CHECK(s.x[r * C] == -50.0f + 3.0f, "reference token values");
        CHECK(!memcmp(s.x, s.clean, (size_t)(n * C) * sizeof(float)), "clean = initial");
        ltx2_seq_free(&s);
        ltx2_seq a;
        CHECK(ltx2_seq_audio(&kc, rf, &dg, &a, &err) == LTX2_OK && a.n == 5 && a.ch == 6, "audio sequence");
        CHECK(a.x[1 * 6 + 1 * 3 + 2] == 1000.0f + (float)((1 * 5 + 1) * 3 + 2), "audio token layout");
        ltx2_seq_free(&a);
    }
    ltx2_object_release(li);
    ltx2_object_release(k1);
    ltx2_object_release(k2);
    ltx2_object_release(rf);
    ltx2_tensor_release(img);
    ltx2_tensor_release(ref);

    /* an inconsistent mask is refused, naming it */
    ltx2_object *m2 = ltx2_object_clone(lat);
    ltx2_tensor *wrong = ramp(3, (const int64_t[]){1, N - 1, 1}, 0.0f);
    ltx2_object_set_tensor(m2, LTX2_LAT_VIDEO_MASK, wrong);
    CHECK(ltx2_latent_dims_of(m2, &d, &err) != LTX2_OK && strstr(err.msg, "video_denoise_mask"), "bad mask accepted");
    ltx2_tensor_release(wrong);
    ltx2_object_release(m2);
    ltx2_object_release(lat);
    printf("%s: %d failures\n", failures ? "FAIL" : "OK", failures);
    return failures ? 1 : 0;
}
