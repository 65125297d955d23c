/* audio_weights.c — see audio_weights.h. */
#include "audio/audio_weights.h"

void audio_conv_upload(lx_upload *u, kconvw **w, float **bias, const kmat *stored, int64_t cin, int64_t cout,
                       int kh, int kw, bool transposed)
{
    if (!stored->data)
        return;
    lx_upload_vec(u, bias, cout);
    if (!u->block || u->st != KS_OK)
        return; /* sizing: the conv weights are their own device allocations */
    u->st = transposed ? k_convw_pack_transposed1d(u->dev, stored, cout, kw, w)
                       : k_convw_pack(u->dev, stored, cin, 1, kh, kw, w);
}
