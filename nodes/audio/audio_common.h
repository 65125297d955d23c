/* audio_common.h — what the audio VAE, its mel front end and the vocoder share: a conv
 * layer's weights made on a device from their stored form (during the lx_upload walk of
 * common/weights.h that uploads the model's vectors), and one pass on a workspace arena. */
#ifndef LTX2_AUDIO_COMMON_H
#define LTX2_AUDIO_COMMON_H
#include <stdbool.h>
#include "common/weights.h"
#include "error.h"
#include "kernels.h"

/* The bias (cout floats) goes into the upload block like every vector; the weight is sized
 * and made on the device as lx_upload_conv does (a (1, kh, kw) conv of cin inputs) or,
 * when transposed, with the transposed 1-D packing (stored [cin][cout·kw]). A layer
 * without a stored weight is skipped. */
void audio_conv_upload(lx_upload *u, kconvw **w, float **bias, const kmat *stored, int64_t cin, int64_t cout,
                       int kh, int kw, bool transposed);

/* Runs fn(arg, ws, err) with ws = ctx on a workspace arena (ctx's own, or one made for the
 * call), rewinding the arena to where it was afterwards: a pass's buffers come from ws->arena. */
typedef ltx2_status (*audio_pass_fn)(void *arg, const kctx *ws, ltx2_error *err);
ltx2_status audio_on_workspace(const kctx *ctx, audio_pass_fn fn, void *arg, ltx2_error *err);
/* The same for a model's pass over t frames of `in` into `out` (cancel polled inside). */
typedef ltx2_status (*audio_model_fn)(const void *model, const kctx *ws, int64_t t, const float *in, float *out,
                                      const volatile int32_t *cancel, ltx2_error *err);
ltx2_status audio_model_pass(const kctx *ctx, audio_model_fn fn, const void *model, int64_t t, const float *in,
                             float *out, const volatile int32_t *cancel, ltx2_error *err);

#endif
