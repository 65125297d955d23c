/* tiny_vae.c — the video VAE (`vae.*`): encoder and decoder with the 19B block list
 * (res_x / compress_* stages, PixelNorm so no norm weights, no timestep conditioning)
 * at a base width of d->vae_base, plus the per-channel statistics. */
#include <stdio.h>
#include "tiny.h"
#include "tiny_dims.h"

static void res_stage(tiny_set *s, const char *p, int64_t c, int64_t layers)
{
    char k[512];
    for (int64_t j = 0; j < layers; j++) {
        snprintf(k, sizeof k, "%s.res_blocks.%lld.conv1.conv", p, (long long)j);
        tiny_conv(s, k, c, c, 3, 3);
        snprintf(k, sizeof k, "%s.res_blocks.%lld.conv2.conv", p, (long long)j);
        tiny_conv(s, k, c, c, 3, 3);
    }
}

void tiny_build_video_vae(tiny_set *s, const tiny_dims *d)
{
    const int64_t b = d->vae_base, L = d->vae_res_layers, z = d->latent_ch;
    char p[256];
    /* Encoder: 48 → b; res; space ×2 (b→2b); res; time ×2 (2b→4b); res; all ×2 (4b→8b);
     * res; all ×2 (8b→16b); res; → z+1 (means + one shared log-variance). The
     * compress convs output C_out / (stride product) channels before space-to-depth. */
    tiny_conv(s, "vae.encoder.conv_in.conv", b, 48, 3, 3);
    res_stage(s, "vae.encoder.down_blocks.0", b, L);
    tiny_conv(s, "vae.encoder.down_blocks.1.conv.conv", 2 * b / 4, b, 3, 3);
    res_stage(s, "vae.encoder.down_blocks.2", 2 * b, L);
    tiny_conv(s, "vae.encoder.down_blocks.3.conv.conv", 4 * b / 2, 2 * b, 3, 3);
    res_stage(s, "vae.encoder.down_blocks.4", 4 * b, L);
    tiny_conv(s, "vae.encoder.down_blocks.5.conv.conv", 8 * b / 8, 4 * b, 3, 3);
    res_stage(s, "vae.encoder.down_blocks.6", 8 * b, L);
    tiny_conv(s, "vae.encoder.down_blocks.7.conv.conv", 16 * b / 8, 8 * b, 3, 3);
    res_stage(s, "vae.encoder.down_blocks.8", 16 * b, L);
    tiny_conv(s, "vae.encoder.conv_out.conv", z + 1, 16 * b, 3, 3);

    /* Decoder: z → 8b; res; d2s ×2 (conv 8b→32b, out 4b); res; → 2b; res; → b; res; → 48. */
    tiny_conv(s, "vae.decoder.conv_in.conv", 8 * b, z, 3, 3);
    int64_t c = 8 * b;
    for (int i = 0; i < 7; i++) {
        snprintf(p, sizeof p, "vae.decoder.up_blocks.%d", i);
        if (i % 2 == 0) {
            res_stage(s, p, c, L);
        } else {
            char k[300];
            snprintf(k, sizeof k, "%s.conv.conv", p);
            tiny_conv(s, k, 4 * c, c, 3, 3);
            c /= 2;
        }
    }
    tiny_conv(s, "vae.decoder.conv_out.conv", 48, b, 3, 3);

    tiny_around(s, "vae.per_channel_statistics.mean-of-means", 0.0, 0.1, SHAPE(z));
    tiny_around(s, "vae.per_channel_statistics.std-of-means", 1.0, 0.5, SHAPE(z));
    tiny_around(s, "vae.per_channel_statistics.mean-of-stds", 1.0, 0.2, SHAPE(z));
    tiny_around(s, "vae.per_channel_statistics.mean-of-stds_over_std-of-means", 1.0, 0.2, SHAPE(z));
    tiny_arange(s, "vae.per_channel_statistics.channel", z);
}
