/* decode.c — LTXVSpatioTemporalTiledVAEDecode (over LTX2VAEDecodeTiled) and
 * LTXVAudioVAEDecode (LTX2AudioVAEDecode, then LTX2Vocoder). */
#include <string.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"
#include "sampler/latent.h"

static ltx2_status oom(ltx2_exec_ctx *ctx) { return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); }

/* ---------------------------------------------------------------- LTXVSpatioTemporalTiledVAEDecode */
static const char *const dev_options[] = {"cpu", "auto", NULL};
static const char *const dtype_options[] = {"float16", "float32", "auto", NULL};
enum { TD_VAE, TD_LATENTS, TD_TILES, TD_OVERLAP, TD_TLEN, TD_TOVERLAP, TD_LASTFIX, TD_DEVICE, TD_DTYPE };
static const ltx2_port td_inputs[] = {
    LTX2_PORT("vae", "VAE", 0, "The VAE to use."),
    LTX2_PORT("latents", "LATENT", 0, "The latent samples to decode."),
    LTX2_PORT_INT("spatial_tiles", 4, 1, 8, 1, 0, "The number of spatial tiles to use, horizontal and vertical."),
    LTX2_PORT_INT("spatial_overlap", 1, 0, 8, 1, 0, "The overlap between the spatial tiles, in latent pixels."),
    LTX2_PORT_INT("temporal_tile_length", 16, 2, 1000, 1, 0,
                  "The length of a temporal tile in latent frames, overlap included."),
    LTX2_PORT_INT("temporal_overlap", 1, 0, 8, 1, 0, "The overlap between the temporal tiles, in latent frames."),
    LTX2_PORT_BOOL("last_frame_fix", false, 0,
                   "If true, the last frame will be repeated and discarded after the decoding."),
    LTX2_PORT_COMBO("working_device", dev_options, "auto", 0, "accepted for compatibility (the run's device decodes)"),
    LTX2_PORT_COMBO("working_dtype", dtype_options, "auto", 0, "accepted for compatibility (f32)"),
};
static const ltx2_port td_outputs[] = {LTX2_PORT("image", "IMAGE", 0, "decoded frames")};

/* ComfyUI's tile size for a count: (len + (n - 1)·overlap) / n latent units. Our decoder
 * takes one spatial size, so the larger of width's and height's; the overlap stays below it. */
static void tile_of(int64_t len, int64_t n, int64_t ov, int64_t *tile, int64_t *overlap)
{
    *tile = n <= 1 ? 0 : (len + (n - 1) * ov) / n;
    *overlap = *tile > ov ? ov : (*tile > 1 ? *tile - 1 : 0);
}

/* The latent with its last frame repeated (last_frame_fix). */
static ltx2_object *repeat_last_frame(const ltx2_object *lat)
{
    const ltx2_tensor *s = ltx2_object_tensor(lat, LTX2_LAT_VIDEO);
    ltx2_tensor *f = ltx2_tensor_to_f32(s);
    ltx2_object *o = f ? ltx2_object_clone(lat) : NULL;
    const int64_t C = s->shape[1], F = s->shape[2], HW = s->shape[3] * s->shape[4];
    ltx2_tensor *t = o ? ltx2_tensor_new(LTX2_F32, 5, (const int64_t[]){1, C, F + 1, s->shape[3], s->shape[4]}) : NULL;
    if (t) {
        for (int64_t c = 0; c < C; c++) {
            float *dst = ltx2_tensor_f32(t) + c * (F + 1) * HW;
            memcpy(dst, ltx2_tensor_cf32(f) + c * F * HW, (size_t)(F * HW) * sizeof(float));
            memcpy(dst + F * HW, dst + (F - 1) * HW, (size_t)HW * sizeof(float));
        }
    }
    if (!t || ltx2_object_set_tensor(o, LTX2_LAT_VIDEO, t)) {
        ltx2_object_release(o);
        o = NULL;
    }
    ltx2_tensor_release(t);
    ltx2_tensor_release(f);
    return o;
}

static ltx2_status td_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const ltx2_node_type *T = &comfy_ltxv_tiled_decode;
    ltx2_object *vae = NULL, *lat = NULL;
    ltx2_status st;
    if ((st = ltx2_in_object(ctx, T, in, TD_VAE, "VAE", &vae)) ||
        (st = ltx2_in_object(ctx, T, in, TD_LATENTS, "LATENT", &lat)))
        return st;
    const ltx2_tensor *s = ltx2_object_tensor(lat, LTX2_LAT_VIDEO);
    if (!s || s->ndim != 5)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "latents", "expected a video latent [1, C, F, H, W]");
    ltx2_latent_geom g; /* the VAE's grid: tile sizes in pixels */
    ltx2_error gerr = {0};
    if (ltx2_latent_geom_of(vae, &LTX2_LATENT_GEOM_DEFAULT, &g, &gerr))
        return ltx2_fail_err(ctx, "vae", &gerr);
    const bool fix = ltx2_in_bool(in, TD_LASTFIX);
    ltx2_object *l = fix ? repeat_last_frame(lat) : lat;
    if (!l)
        return oom(ctx);
    const int64_t n = ltx2_in_int(in, TD_TILES), ov = ltx2_in_int(in, TD_OVERLAP);
    int64_t tw, ow, th, oh, tt, ot;
    tile_of(s->shape[4], n, ov, &tw, &ow);
    tile_of(s->shape[3], n, ov, &th, &oh);
    const int64_t tile = tw > th ? tw : th, tov = tw > th ? ow : oh;
    const int64_t tlen = ltx2_in_int(in, TD_TLEN), tov_t = ltx2_in_int(in, TD_TOVERLAP);
    const int64_t F = s->shape[2] + (fix ? 1 : 0);
    tt = F <= tlen ? 0 : tlen;
    ot = tt ? (tov_t < tt ? tov_t : tt - 1) : 0;
    ltx2_value r[COMFY_MAX_OUT];
    st = COMFY_CALL(inst, ctx, "LTX2VAEDecodeTiled", 0x1, r, COMFY_OBJ("vae", vae), COMFY_OBJ("samples", l),
                    COMFY_INT("tile_size", tile * g.scale_s), COMFY_INT("tile_overlap", tov * g.scale_s),
                    COMFY_INT("temporal_tile_size", tt * g.scale_t), COMFY_INT("temporal_overlap", ot * g.scale_t));
    if (fix)
        ltx2_object_release(l);
    if (st)
        return st;
    ltx2_tensor *img = r[0].u.t;
    if (fix && img->shape[0] > g.scale_t) { /* drop the frames of the repeated latent frame */
        const int64_t keep = img->shape[0] - g.scale_t;
        ltx2_tensor *h = NULL; /* the decoder may have run on a device */
        ltx2_error herr = {0};
        if (ltx2_tensor_to_host(img, &h, &herr)) {
            comfy_release(r, 2);
            return ltx2_fail_err(ctx, "latents", &herr);
        }
        ltx2_tensor *c = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){keep, img->shape[1], img->shape[2], 3});
        if (!c) {
            ltx2_tensor_release(h);
            comfy_release(r, 2);
            return oom(ctx);
        }
        memcpy(ltx2_tensor_f32(c), ltx2_tensor_cf32(h), (size_t)ltx2_tensor_numel(c) * sizeof(float));
        ltx2_tensor_release(h);
        out[0] = ltx2_value_tensor(c);
    } else {
        out[0] = comfy_take(&r[0]);
    }
    comfy_release(r, 2);
    return LTX2_OK;
}
const ltx2_node_type comfy_ltxv_tiled_decode = LTX2_NODE_TYPE(
    "LTXVSpatioTemporalTiledVAEDecode", "LTXV Spatio Temporal Tiled VAE Decode", "latent",
    LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE,
    "Decodes the video latent in tiles sized from ComfyUI's tile counts (blended as the reference's tiled "
    "decode).",
    td_inputs, td_outputs, td_execute);

/* ---------------------------------------------------------------- LTXVAudioVAEDecode */
static const ltx2_port ad_inputs[] = {
    LTX2_PORT("samples", "LATENT", 0, "The latent to be decoded."),
    LTX2_PORT("audio_vae", "VAE", 0, "The Audio VAE model used for decoding the latent."),
};
static const ltx2_port ad_outputs[] = {LTX2_PORT("Audio", "AUDIO", 0, "stereo waveform")};
static ltx2_status ad_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_object *w = NULL, *avae = NULL, *voc = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_ltxv_audio_vae_decode, in, 1, "VAE", &w);
    if (st || (st = comfy_unwrap(ctx, w, COMFY_AVAE, "audio_vae", "the VAE of LTXVAudioVAELoader", &avae)) ||
        (st = comfy_unwrap(ctx, w, COMFY_VOCODER, "audio_vae", "the VAE of LTXVAudioVAELoader", &voc)))
        return st;
    ltx2_value mel[COMFY_MAX_OUT];
    if ((st = COMFY_CALL(inst, ctx, "LTX2AudioVAEDecode", 0x1, mel, COMFY_OBJ("audio_vae", avae),
                         COMFY_OBJ("samples", in[0].u.o))))
        return st;
    st = COMFY_CALL(inst, ctx, "LTX2Vocoder", 0x1, out, COMFY_OBJ("vocoder", voc), COMFY_TEN("mel", mel[0].u.t));
    comfy_release(mel, 1);
    return st;
}
const ltx2_node_type comfy_ltxv_audio_vae_decode =
    LTX2_NODE_TYPE("LTXVAudioVAEDecode", "LTXV Audio VAE Decode", "model/latent/ltxv",
                   LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE, "Audio latent -> mel -> waveform.", ad_inputs,
                   ad_outputs, ad_execute);
