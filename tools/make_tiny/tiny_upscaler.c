/* tiny_upscaler.c — latent upsamplers (file keys have no prefix): spatial ×2
 * (Conv2d → pixel shuffle) or temporal ×2 (Conv3d → time shuffle), GroupNorm(32). */
#include <stdio.h>
#include "tiny.h"
#include "tiny_dims.h"

static void group_norm(tiny_set *s, const char *p, int64_t c)
{
    char k[512];
    snprintf(k, sizeof k, "%s.weight", p);
    tiny_around(s, k, 1.0, 0.1, SHAPE(c));
    snprintf(k, sizeof k, "%s.bias", p);
    tiny_around(s, k, 0.0, 0.1, SHAPE(c));
}

static void res_blocks(tiny_set *s, const char *stage, const tiny_dims *d)
{
    char p[256];
    for (int64_t j = 0; j < d->up_blocks; j++) {
        snprintf(p, sizeof p, "%s.%lld.conv1", stage, (long long)j);
        tiny_conv(s, p, d->up_mid, d->up_mid, 3, 3);
        snprintf(p, sizeof p, "%s.%lld.norm1", stage, (long long)j);
        group_norm(s, p, d->up_mid);
        snprintf(p, sizeof p, "%s.%lld.conv2", stage, (long long)j);
        tiny_conv(s, p, d->up_mid, d->up_mid, 3, 3);
        snprintf(p, sizeof p, "%s.%lld.norm2", stage, (long long)j);
        group_norm(s, p, d->up_mid);
    }
}

void tiny_build_upscaler(tiny_set *s, const tiny_dims *d, int temporal)
{
    const int64_t m = d->up_mid;
    tiny_conv(s, "initial_conv", m, d->latent_ch, 3, 3);
    group_norm(s, "initial_norm", m);
    res_blocks(s, "res_blocks", d);
    if (temporal)
        tiny_conv(s, "upsampler.0", 2 * m, m, 3, 3);
    else
        tiny_conv(s, "upsampler.0", 4 * m, m, 3, 2);
    res_blocks(s, "post_upsample_res_blocks", d);
    tiny_conv(s, "final_conv", d->latent_ch, m, 3, 3);
}
