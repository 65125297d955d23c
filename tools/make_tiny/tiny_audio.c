/* tiny_audio.c — the audio VAE (`audio_vae.*`, causal 2-D convs, PixelNorm) and the
 * HiFi-GAN vocoder (`vocoder.*`), with the release key layout. */
#include <stdio.h>
#include "tiny.h"
#include "tiny_dims.h"

static void resnet(tiny_set *s, const char *p, int64_t in, int64_t out)
{
    char k[512];
    snprintf(k, sizeof k, "%s.conv1.conv", p);
    tiny_conv(s, k, out, in, 3, 2);
    snprintf(k, sizeof k, "%s.conv2.conv", p);
    tiny_conv(s, k, out, out, 3, 2);
    if (in != out) {
        snprintf(k, sizeof k, "%s.nin_shortcut.conv", p);
        tiny_conv(s, k, out, in, 1, 2);
    }
}

void tiny_build_audio_vae(tiny_set *s, const tiny_dims *d)
{
    static const int64_t mult[3] = {1, 2, 4};
    const int64_t ch = d->a_ch, top = ch * mult[2];
    char p[256];
    /* Encoder: conv_in; per level num_res_blocks ResBlocks (+ Downsample except the last). */
    tiny_conv(s, "audio_vae.encoder.conv_in.conv", ch, 2, 3, 2);
    int64_t c = ch;
    for (int i = 0; i < 3; i++) {
        for (int64_t j = 0; j < d->a_res_blocks; j++) {
            snprintf(p, sizeof p, "audio_vae.encoder.down.%d.block.%lld", i, (long long)j);
            resnet(s, p, c, ch * mult[i]);
            c = ch * mult[i];
        }
        if (i < 2) {
            snprintf(p, sizeof p, "audio_vae.encoder.down.%d.downsample.conv", i);
            tiny_conv(s, p, c, c, 3, 2);
        }
    }
    resnet(s, "audio_vae.encoder.mid.block_1", top, top);
    resnet(s, "audio_vae.encoder.mid.block_2", top, top);
    tiny_conv(s, "audio_vae.encoder.conv_out.conv", 2 * d->a_z, top, 3, 2);

    /* Decoder: conv_in; mid; levels 2, 1, 0 with num_res_blocks + 1 ResBlocks (+ Upsample
     * except level 0). */
    tiny_conv(s, "audio_vae.decoder.conv_in.conv", top, d->a_z, 3, 2);
    resnet(s, "audio_vae.decoder.mid.block_1", top, top);
    resnet(s, "audio_vae.decoder.mid.block_2", top, top);
    c = top;
    for (int i = 2; i >= 0; i--) {
        for (int64_t j = 0; j <= d->a_res_blocks; j++) {
            snprintf(p, sizeof p, "audio_vae.decoder.up.%d.block.%lld", i, (long long)j);
            resnet(s, p, c, ch * mult[i]);
            c = ch * mult[i];
        }
        if (i > 0) {
            snprintf(p, sizeof p, "audio_vae.decoder.up.%d.upsample.conv.conv", i);
            tiny_conv(s, p, c, c, 3, 2);
        }
    }
    tiny_conv(s, "audio_vae.decoder.conv_out.conv", 2, ch, 3, 2);

    const int64_t feat = d->a_z * (d->a_mel / 4);
    tiny_around(s, "audio_vae.per_channel_statistics.mean-of-means", 0.0, 0.1, SHAPE(feat));
    tiny_around(s, "audio_vae.per_channel_statistics.std-of-means", 1.0, 0.5, SHAPE(feat));
}

void tiny_build_vocoder(tiny_set *s, const tiny_dims *d)
{
    static const int64_t rates[5] = {6, 5, 2, 2, 2}, kups[5] = {16, 15, 8, 4, 4}, kres[3] = {3, 7, 11};
    char p[256];
    tiny_conv(s, "vocoder.conv_pre", d->voc_ch, 2 * d->a_mel, 7, 1);
    int64_t c = d->voc_ch;
    for (int i = 0; i < 5; i++) {
        /* ConvTranspose1d weight is [in, out, k]; each input feeds k/stride outputs */
        char k[300];
        snprintf(k, sizeof k, "vocoder.ups.%d.weight", i);
        tiny_weight(s, k, (double)(c * kups[i] / rates[i]), 1.0, SHAPE(c, c / 2, kups[i]));
        snprintf(k, sizeof k, "vocoder.ups.%d.bias", i);
        tiny_around(s, k, 0.0, 0.02, SHAPE(c / 2));
        c /= 2;
        for (int j = 0; j < 3; j++)
            for (int q = 0; q < 3; q++) {
                snprintf(p, sizeof p, "vocoder.resblocks.%d.convs1.%d", 3 * i + j, q);
                tiny_conv(s, p, c, c, kres[j], 1);
                snprintf(p, sizeof p, "vocoder.resblocks.%d.convs2.%d", 3 * i + j, q);
                tiny_conv(s, p, c, c, kres[j], 1);
            }
    }
    tiny_conv(s, "vocoder.conv_post", 2, c, 7, 1);
}
