/* Tile layout of the tiled decode against the reference's worked example (spec §1.8:
 * 1024×1536, 121 frames → latent 16×32×48 under the default tiling) and the blend masks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "video_vae/vae_tiling.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static void expect_axis(const vae_tile_plan *p, int a, int n, const int64_t (*iv)[2])
{
    CHECK(p->n[a] == n, "axis %d: %d intervals, expected %d", a, p->n[a], n);
    for (int i = 0; i < n && i < p->n[a]; i++)
        CHECK(p->iv[a][i].start == iv[i][0] && p->iv[a][i].end == iv[i][1], "axis %d tile %d: [%lld,%lld) expected [%lld,%lld)", a, i,
              (long long)p->iv[a][i].start, (long long)p->iv[a][i].end, (long long)iv[i][0], (long long)iv[i][1]);
}

int main(void)
{
    /* a decoder with the 19B geometry: patch 4, three ×2 (t, h, w) upsamplers */
    ltx2_video_vae v = {.patch = 4, .latent_ch = 128, .in_ch = 3};
    vblock blocks[3] = {{.kind = VB_UP, .st = 2, .sh = 2, .sw = 2}, {.kind = VB_UP, .st = 2, .sh = 2, .sw = 2},
                        {.kind = VB_UP, .st = 2, .sh = 2, .sw = 2}};
    v.dec.blocks = blocks;
    v.dec.n_blocks = 3;
    vae_tiling def = {512, 64, 64, 24};
    vae_tile_plan p;
    ltx2_error err = {0};
    CHECK(vae_tile_plan_make(&v, 16, 32, 48, &def, &p, &err) == LTX2_OK, "plan: %s", err.msg);
    expect_axis(&p, 0, 3, (const int64_t[][2]){{0, 8}, {4, 13}, {9, 16}});
    expect_axis(&p, 1, 4, (const int64_t[][2]){{0, 11}, {9, 20}, {18, 29}, {27, 32}});
    expect_axis(&p, 2, 4, (const int64_t[][2]){{0, 16}, {14, 30}, {28, 44}, {42, 48}});
    const int64_t fr[3][2] = {{0, 57}, {32, 97}, {72, 121}};
    for (int i = 0; i < 3 && i < p.n[0]; i++)
        CHECK(p.o0[0][i] == fr[i][0] && p.o1[0][i] == fr[i][1], "frames of temporal tile %d", i);
    /* temporal tile 1: left ramp 1 + 8·(3+1−1) = 25 frames from 0, right ramp 3·8 = 24 */
    if (p.n[0] > 1) {
        const float *m = p.mask[0][1];
        CHECK(m[0] == 0.0f && fabsf(m[1] - 1.0f / 25) < 1e-7f && m[25] == 1.0f, "temporal left ramp");
        CHECK(fabsf(m[41] - (1.0f - 1.0f / 25)) < 1e-6f && fabsf(m[64] - 1.0f / 25) < 1e-6f && m[40] == 1.0f, "temporal right ramp");
    }
    /* spatial ramps are 32·overlap pixels, first weight 1/(a+1) */
    if (p.n[1] > 1) {
        const float *m = p.mask[1][1];
        CHECK(fabsf(m[0] - 1.0f / 65) < 1e-7f && m[64] == 1.0f, "spatial left ramp");
    }
    vae_tile_plan_free(&p);

    /* small latents: one tile, weights 1 */
    CHECK(vae_tile_plan_make(&v, 3, 4, 6, &def, &p, &err) == LTX2_OK, "small plan");
    CHECK(p.n[0] == 1 && p.n[1] == 1 && p.n[2] == 1, "a small latent is one tile");
    CHECK(p.mask[1][0][0] == 1.0f && p.mask[0][0][0] == 1.0f, "single tile weights");
    vae_tile_plan_free(&p);

    /* invalid overlaps are errors, not crashes */
    vae_tiling bad = {64, 64, 24, 8};
    CHECK(vae_tile_plan_make(&v, 4, 8, 8, &bad, &p, &err) == LTX2_ERR_BAD_INPUT, "overlap == tile must fail");

    /* split: exact reference formula */
    vae_interval iv[8];
    CHECK(vae_split(4, 3, 1, iv, 8) == 2 && iv[1].start == 2 && iv[1].end == 4 && iv[0].right == 1 && iv[1].left == 1, "split(4,3,1)");
    CHECK(vae_split(3, 3, 1, iv, 8) == 1 && iv[0].end == 3 && iv[0].left == 0 && iv[0].right == 0, "split(len<=size)");
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
