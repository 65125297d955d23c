/* vocoder.h — the LTX-2 vocoder (HiFi-GAN V1 style): stereo log-mel → waveform.
 * Config from `config["vocoder"]`. Spec: vae-audio-upsampler-formats.md §3. */
#ifndef LTX2_VOCODER_H
#define LTX2_VOCODER_H
#include <stdbool.h>
#include "common/weights.h"
#include "error.h"
#include "kernels.h"
#include "store/store.h"

#define LTX2_VOCODER_PAYLOAD "ltx2.vocoder"
#define LTX2_VOC_MAX_UPS 8
#define LTX2_VOC_MAX_KERNELS 4
#define LTX2_VOC_MAX_DIL 4

typedef struct voc_conv1d {
    kconvw *w;   /* packed for the CPU; device weights in a device mirror */
    float *bias;
    kmat stored; /* the checkpoint's weight, for the device mirror */
    int64_t cin, cout;
    int k, dilation, pad;
    bool transposed;
} voc_conv1d;

typedef struct voc_resblock {
    voc_conv1d c1[LTX2_VOC_MAX_DIL], c2[LTX2_VOC_MAX_DIL];
    int n;
} voc_resblock;

typedef struct vocoder {
    int n_ups, n_kernels, initial_channels, out_channels, sample_rate, mel_bins;
    int up_rates[LTX2_VOC_MAX_UPS], up_kernels[LTX2_VOC_MAX_UPS];
    bool stereo;
    voc_conv1d conv_pre, conv_post, ups[LTX2_VOC_MAX_UPS];
    voc_resblock *res; /* [n_ups * n_kernels] */
    ltx2_checkpoint *ckpt;
    lx_resident resident; /* the weights on a device, after the first device run */
} vocoder;

void vocoder_free(void *v);
/* *out = v on a CPU context; on a device, v's mirror there (uploaded at the first call). */
ltx2_status vocoder_on(const vocoder *v, const kctx *kc, const vocoder **out, ltx2_error *err);
/* Samples produced for t mel frames. */
int64_t vocoder_samples(const vocoder *v, int64_t t);
/* cancel (may be NULL) is polled between resblocks: LTX2_CANCELLED once set.
 * mel (channels=2, t, mel_bins) → wave (out_channels, vocoder_samples(t)), both memory of
 * ctx's backend (a CUDA context runs on the weights resident on its device). */
ltx2_status vocoder_run(const vocoder *v, const kctx *ctx, int64_t t, const float *mel,
                        float *wave, const volatile int32_t *cancel, ltx2_error *err);

#endif
