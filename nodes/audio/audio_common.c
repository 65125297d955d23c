/* audio_common.c — see audio_common.h. */
#include "audio/audio_common.h"

#include "common/layers.h"

void audio_conv_upload(lx_upload *u, kconvw **w, float **bias, const kmat *stored, int64_t cin, int64_t cout,
                       int kh, int kw, bool transposed)
{
    if (!stored->data)
        return;
    lx_upload_vec(u, bias, cout);
    if (!transposed || !u->block) { /* sizing counts a transposed weight alike */
        lx_upload_conv(u, w, stored, cin, 1, kh, kw);
        return;
    }
    if (u->st == KS_OK)
        u->st = k_convw_pack_transposed1d(u->dev, stored, cout, kw, w);
}

ltx2_status audio_on_workspace(const kctx *ctx, audio_pass_fn fn, void *arg, ltx2_error *err)
{
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the workspace");
    kmark mark = k_arena_mark(ws->arena);
    ltx2_status st = fn(arg, ws, err);
    k_arena_release(ws->arena, mark);
    k_arena_destroy(own);
    return st;
}

typedef struct model_args {
    audio_model_fn fn;
    const void *model;
    int64_t t;
    const float *in;
    float *out;
    const volatile int32_t *cancel;
} model_args;

static ltx2_status model_pass(void *arg, const kctx *ws, ltx2_error *err)
{
    const model_args *a = arg;
    return a->fn(a->model, ws, a->t, a->in, a->out, a->cancel, err);
}

ltx2_status audio_model_pass(const kctx *ctx, audio_model_fn fn, const void *model, int64_t t, const float *in,
                             float *out, const volatile int32_t *cancel, ltx2_error *err)
{
    model_args a = {fn, model, t, in, out, cancel};
    return audio_on_workspace(ctx, model_pass, &a, err);
}
