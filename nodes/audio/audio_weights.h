/* audio_weights.h — what the audio VAE's and the vocoder's device mirrors share: a conv
 * layer's weights made on the device from their stored form, during the lx_upload walk
 * (common/weights.h) that uploads the model's vectors. */
#ifndef LTX2_AUDIO_WEIGHTS_H
#define LTX2_AUDIO_WEIGHTS_H
#include <stdbool.h>
#include "common/weights.h"
#include "kernels.h"

/* The bias (cout floats) goes into the upload block like every vector; on the copying walk
 * *w (NULL until then) becomes device weights packed from `stored` on u->dev:
 * k_convw_pack for a (1, kh, kw) conv of cin inputs, or, when transposed, the transposed
 * 1-D packing (stored [cin][cout·kw]). A layer without a stored weight is skipped. */
void audio_conv_upload(lx_upload *u, kconvw **w, float **bias, const kmat *stored, int64_t cin, int64_t cout,
                       int kh, int kw, bool transposed);

#endif
