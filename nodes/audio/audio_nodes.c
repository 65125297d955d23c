/* audio_nodes.c — audio VAE decode / encode and vocoder nodes. On a CUDA context
 * everything after the inputs' one copy to the device (channel fan-out, resampling, mel
 * front end, networks) runs there and the outputs stay there (the execute boundary gives
 * CPU consumers host copies). */
#include <stdlib.h>
#include <string.h>

#include "audio/audio_vae.h"
#include "audio/mel.h"
#include "audio/vocoder.h"
#include "finite.h"
#include "node.h"
#include "stages.h"

/* *out = t as a contiguous F32 tensor in k's memory (t itself, retained, when it already
 * is); any dtype or device in, converted on the host when it must be. */
static ltx2_status f32_on(const kctx *k, ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err)
{
    *out = NULL;
    if (t->dtype == LTX2_F32 && ltx2_tensor_is_contiguous(t))
        return ltx2_tensor_on(k, t, out, err);
    ltx2_tensor *h = NULL;
    ltx2_status st = ltx2_tensor_to_host(t, &h, err);
    if (st != LTX2_OK)
        return st;
    ltx2_tensor *f = ltx2_tensor_as_f32(h);
    ltx2_tensor_release(h);
    if (!f)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    st = ltx2_tensor_on(k, f, out, err);
    ltx2_tensor_release(f);
    return st;
}

/* The audio latent of a LATENT object (entry audio_samples) or a bare tensor. */
static ltx2_status audio_latent_in(ltx2_exec_ctx *ctx, const ltx2_node_type *type,
                                   const ltx2_value *in, uint32_t idx_latent, uint32_t idx_tensor,
                                   ltx2_tensor **out)
{
    ltx2_object *lat = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, idx_latent, "LATENT", &lat);
    if (st != LTX2_OK)
        return st;
    if (lat) {
        *out = ltx2_object_tensor(lat, "audio_samples");
        if (!*out)
            return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, type->inputs[idx_latent].name,
                             "the LATENT has no audio latent (entry 'audio_samples')");
        return LTX2_OK;
    }
    if ((st = ltx2_in_tensor(ctx, type, in, idx_tensor, out)) != LTX2_OK)
        return st;
    if (!*out)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, type->inputs[idx_latent].name,
                         "connect either a LATENT here or a tensor to '%s'",
                         type->inputs[idx_tensor].name);
    return LTX2_OK;
}

/* ---------------------------------------------------------------- LTX2AudioVAEDecode */
enum { AD_VAE, AD_SAMPLES, AD_LATENT, AD_PRECISION };
static const ltx2_port ad_inputs[] = {
    LTX2_PORT("audio_vae", "AUDIO_VAE", 0, "audio VAE with decoder weights"),
    LTX2_PORT("samples", "LATENT", LTX2_PORT_OPTIONAL, "LATENT holding an audio latent"),
    LTX2_PORT("latent", "TENSOR", LTX2_PORT_OPTIONAL | LTX2_PORT_ADVANCED,
              "or a normalized audio latent tensor (1, C, T, F)"),
    LTX2_PORT_PRECISION,
};
static const ltx2_port ad_outputs[] = {
    LTX2_PORT("mel", "TENSOR", 0, "stereo log-mel spectrogram (1, 2, T_mel, mel_bins)"),
};

static ltx2_status ad_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in,
                              ltx2_value *out)
{
    const ltx2_node_type *type = ((ltx2_node *)instance)->type;
    ltx2_object *vo = NULL;
    ltx2_tensor *lat = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, AD_VAE, "AUDIO_VAE", &vo);
    if (st != LTX2_OK || (st = audio_latent_in(ctx, type, in, AD_SAMPLES, AD_LATENT, &lat)) != LTX2_OK)
        return st;
    const audio_vae *v = ltx2_object_payload(vo, LTX2_AUDIO_VAE_PAYLOAD);
    if (!v || !v->dec.present)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio_vae", "no audio VAE decoder in this handle");
    const char *lname = in[AD_SAMPLES].kind != LTX2_V_NONE ? "samples" : "latent";
    if (lat->ndim != 4 || lat->shape[0] != 1 || lat->shape[1] != v->cfg.z_channels ||
        lat->shape[3] != v->cfg.latent_freq || lat->shape[2] < 1) {
        char b[96];
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, lname, "audio latent %s, expected (1, %d, T, %d)",
                         ltx2_tensor_str(lat, b, sizeof b), v->cfg.z_channels, v->cfg.latent_freq);
    }
    if ((st = ltx2_progress(ctx, 0, 1, "audio_decode")) != LTX2_OK)
        return st;
    kctx k;
    if ((st = ltx2_node_kctx_get(instance, ctx, ltx2_in_fast(in, AD_PRECISION), &k)) != LTX2_OK)
        return st;
    ltx2_error err = {0};
    ltx2_tensor *x = NULL;
    if ((st = f32_on(&k, lat, &x, &err)) != LTX2_OK)
        return ltx2_fail_err(ctx, lname, &err);
    int64_t T = lat->shape[2], Tm = audio_vae_mel_frames(v, T);
    ltx2_tensor *mel = ltx2_tensor_new_on(&k, LTX2_F32, 4, (int64_t[]){1, v->cfg.out_ch, Tm, v->cfg.mel_bins});
    if (!mel) {
        ltx2_tensor_release(x);
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for the mel spectrogram");
    }
    st = audio_vae_decode(v, &k, T, ltx2_tensor_f32(x), ltx2_tensor_f32(mel), ctx->cancel_flag, &err);
    ltx2_tensor_release(x);
    int64_t bad = -1;
    kstatus ks = st == LTX2_OK ? ltx2_find_nonfinite_on(&k, ltx2_tensor_cf32(mel), ltx2_tensor_numel(mel), &bad) : KS_OK;
    if (st != LTX2_OK || ks != KS_OK) {
        ltx2_tensor_release(mel);
        return st != LTX2_OK ? ltx2_fail_err(ctx, lname, &err) : ltx2_fail_k(ctx, NULL, ks, "audio VAE decoder");
    }
    if (bad >= 0) {
        ltx2_tensor_release(mel);
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio_vae",
                         "the decoded mel spectrogram holds NaN or Inf (value %lld); check the audio VAE "
                         "weights and the latent", (long long)bad);
    }
    out[0] = ltx2_value_tensor(mel);
    return ltx2_progress(ctx, 1, 1, "audio_decode");
}

static const ltx2_node_type audio_decode_type = LTX2_NODE_TYPE(
    "LTX2AudioVAEDecode", "LTX-2 Audio VAE Decode", "ltx2/audio", LTX2_NODE_PROGRESS | LTX2_NODE_CUDA,
    "Decodes a normalized audio latent into a stereo log-mel spectrogram (feed it to the vocoder).",
    ad_inputs, ad_outputs, ad_execute);

/* ---------------------------------------------------------------- LTX2Vocoder */
enum { VO_VOCODER, VO_MEL, VO_PRECISION };
static const ltx2_port vo_inputs[] = {
    LTX2_PORT("vocoder", "VOCODER", 0, NULL),
    LTX2_PORT("mel", "TENSOR", 0, "stereo log-mel (1, 2, T, mel_bins) from the audio VAE decoder"),
    LTX2_PORT_PRECISION,
};
static const ltx2_port vo_outputs[] = {
    LTX2_PORT("AUDIO", "AUDIO", 0, "waveform (1, 2, samples) and its sample rate"),
};

static ltx2_status vo_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in,
                              ltx2_value *out)
{
    const ltx2_node_type *type = ((ltx2_node *)instance)->type;
    ltx2_object *vob = NULL;
    ltx2_tensor *mel = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, VO_VOCODER, "VOCODER", &vob);
    if (st != LTX2_OK || (st = ltx2_in_tensor(ctx, type, in, VO_MEL, &mel)) != LTX2_OK)
        return st;
    const vocoder *v = ltx2_object_payload(vob, LTX2_VOCODER_PAYLOAD);
    if (!v)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "vocoder", "not a vocoder handle");
    if (mel->ndim != 4 || mel->shape[0] != 1 || mel->shape[1] != v->out_channels ||
        mel->shape[3] != v->mel_bins || mel->shape[2] < 1) {
        char b[96];
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "mel", "mel %s, expected (1, %d, T, %d)",
                         ltx2_tensor_str(mel, b, sizeof b), v->out_channels, v->mel_bins);
    }
    if ((st = ltx2_progress(ctx, 0, 1, "vocoder")) != LTX2_OK)
        return st;
    int64_t T = mel->shape[2], N = vocoder_samples(v, T);
    ltx2_tensor *x = NULL, *w = NULL;
    ltx2_object *audio = ltx2_object_new("AUDIO");
    ltx2_error err = {0};
    kctx k;
    if ((st = ltx2_node_kctx_get(instance, ctx, ltx2_in_fast(in, VO_PRECISION), &k)) != LTX2_OK)
        goto done;
    if ((st = f32_on(&k, mel, &x, &err)) != LTX2_OK) {
        st = ltx2_fail_err(ctx, "mel", &err);
        goto done;
    }
    w = ltx2_tensor_new_on(&k, LTX2_F32, 3, (int64_t[]){1, v->out_channels, N});
    if (!w || !audio) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory for the waveform");
        goto done;
    }
    if ((st = vocoder_run(v, &k, T, ltx2_tensor_f32(x), ltx2_tensor_f32(w), ctx->cancel_flag, &err)) != LTX2_OK) {
        st = ltx2_fail_err(ctx, strstr(err.msg, "NaN") ? "vocoder" : "mel", &err);
        goto done;
    }
    if (ltx2_object_set_tensor(audio, "waveform", w) != LTX2_OK ||
        ltx2_object_set_int(audio, "sample_rate", v->sample_rate) != LTX2_OK) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        goto done;
    }
    out[0] = ltx2_value_object(audio);
    audio = NULL;
    st = ltx2_progress(ctx, 1, 1, "vocoder");
done:
    ltx2_tensor_release(x);
    ltx2_tensor_release(w);
    ltx2_object_release(audio);
    return st;
}

static const ltx2_node_type vocoder_type = LTX2_NODE_TYPE(
    "LTX2Vocoder", "LTX-2 Vocoder", "ltx2/audio", LTX2_NODE_PROGRESS | LTX2_NODE_CUDA,
    "Turns the stereo log-mel spectrogram into a waveform (24 kHz for LTX-2).", vo_inputs,
    vo_outputs, vo_execute);

/* ---------------------------------------------------------------- LTX2AudioVAEEncode */
enum { AE_VAE, AE_AUDIO, AE_WAVEFORM, AE_PRECISION };
static const ltx2_port ae_inputs[] = {
    LTX2_PORT("audio_vae", "AUDIO_VAE", 0, "audio VAE with encoder weights"),
    LTX2_PORT("audio", "AUDIO", LTX2_PORT_OPTIONAL,
              "waveform (1, C, N) + sample_rate; resampled when needed, mono duplicated"),
    LTX2_PORT("waveform", "TENSOR", LTX2_PORT_OPTIONAL | LTX2_PORT_ADVANCED,
              "or a bare waveform tensor (1, C, N) at the audio VAE's own sample rate"),
    LTX2_PORT_PRECISION,
};
static const ltx2_port ae_outputs[] = {
    LTX2_PORT("latent", "TENSOR", 0, "normalized audio latent (1, z, T, F)"),
    LTX2_PORT("mel", "TENSOR", 0, "the log-mel spectrogram fed to the encoder (1, 2, T_mel, mel_bins)"),
};

static ltx2_status ae_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in,
                              ltx2_value *out)
{
    const ltx2_node_type *type = ((ltx2_node *)instance)->type;
    ltx2_object *vo = NULL, *audio = NULL;
    ltx2_tensor *wt = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, AE_VAE, "AUDIO_VAE", &vo);
    if (st != LTX2_OK || (st = ltx2_in_object(ctx, type, in, AE_AUDIO, "AUDIO", &audio)) != LTX2_OK ||
        (st = ltx2_in_tensor(ctx, type, in, AE_WAVEFORM, &wt)) != LTX2_OK)
        return st;
    const audio_vae *v = ltx2_object_payload(vo, LTX2_AUDIO_VAE_PAYLOAD);
    if (!v || !v->enc.present)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio_vae", "no audio VAE encoder in this handle");
    const char *wname = audio ? "audio" : "waveform";
    int64_t sr = v->cfg.sample_rate;
    if (audio) {
        wt = ltx2_object_tensor(audio, "waveform");
        sr = ltx2_object_int(audio, "sample_rate", 0);
    } else if (!wt) {
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio", "connect an AUDIO here or a tensor to 'waveform'");
    }
    if (!wt || wt->ndim != 3 || wt->shape[0] != 1 || wt->shape[1] < 1 || wt->shape[1] > 2 || sr <= 0)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, wname,
                         "expected a waveform (1, 1|2, N) and a positive sample_rate");
    int C = v->cfg.in_channels;
    int64_t n = wt->shape[2];
    kctx k;
    if ((st = ltx2_node_kctx_get(instance, ctx, ltx2_in_fast(in, AE_PRECISION), &k)) != LTX2_OK)
        return st;
    ltx2_tensor *w32 = NULL, *mel = NULL, *lat = NULL;
    void *stereo = NULL, *res = NULL;
    ltx2_error err = {0};
    if ((st = f32_on(&k, wt, &w32, &err)) != LTX2_OK) {
        st = ltx2_fail_err(ctx, wname, &err);
        goto done;
    }
    /* a mono track feeds every channel */
    const size_t row = (size_t)n * sizeof(float);
    kstatus ks = k_alloc(&k, (size_t)C * row, &stereo);
    for (int c = 0; c < C; c++)
        K_THEN(ks, k_copy(&k, (char *)stereo + c * row, ltx2_tensor_f32(w32) + (c % wt->shape[1]) * n, row, K_D2D));
    if (ks != KS_OK) {
        st = ltx2_fail_k(ctx, wname, ks, "the waveform's channels");
        goto done;
    }
    const float *wave = stereo;
    if (sr != v->cfg.sample_rate) {
        int64_t m = mel_resample_len(n, (int)sr, v->cfg.sample_rate);
        if ((ks = k_alloc(&k, (size_t)(C * (m > 0 ? m : 1)) * sizeof(float), &res)) != KS_OK) {
            st = ltx2_fail_k(ctx, wname, ks, "resampling");
            goto done;
        }
        if ((st = mel_resample(&k, C, n, stereo, (int)sr, v->cfg.sample_rate, res, &err)) != LTX2_OK) {
            st = ltx2_fail_err(ctx, wname, &err);
            goto done;
        }
        wave = res;
        n = m;
    }
    mel_config mc = audio_vae_mel_config(v);
    int64_t Tm = mel_frames(&mc, n), Tl = audio_vae_latent_frames(v, Tm);
    mel = ltx2_tensor_new_on(&k, LTX2_F32, 4, (int64_t[]){1, C, Tm, v->cfg.n_mels});
    lat = ltx2_tensor_new_on(&k, LTX2_F32, 4, (int64_t[]){1, v->cfg.z_channels, Tl, v->cfg.latent_freq});
    if (!mel || !lat) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
        goto done;
    }
    if ((st = audio_vae_mel(v, &k, C, n, wave, ltx2_tensor_f32(mel), &err)) != LTX2_OK ||
        (st = ltx2_progress(ctx, 1, 2, "audio_encode")) != LTX2_OK ||
        (st = audio_vae_encode(v, &k, Tm, ltx2_tensor_f32(mel), ltx2_tensor_f32(lat), ctx->cancel_flag, &err)) != LTX2_OK) {
        if (st != LTX2_CANCELLED)
            st = ltx2_fail_err(ctx, wname, &err);
        goto done;
    }
    out[0] = ltx2_value_tensor(lat);
    out[1] = ltx2_value_tensor(mel);
    lat = mel = NULL;
    st = ltx2_progress(ctx, 2, 2, "audio_encode");
done:
    k_free(&k, stereo);
    k_free(&k, res);
    ltx2_tensor_release(w32);
    ltx2_tensor_release(mel);
    ltx2_tensor_release(lat);
    return st;
}

static const ltx2_node_type audio_encode_type = LTX2_NODE_TYPE(
    "LTX2AudioVAEEncode", "LTX-2 Audio VAE Encode", "ltx2/audio", LTX2_NODE_PROGRESS | LTX2_NODE_CUDA,
    "Waveform → log-mel (the reference's front end) → normalized audio latent.", ae_inputs,
    ae_outputs, ae_execute);

static const ltx2_node_type *const audio_types[] = {
    &audio_decode_type,
    &vocoder_type,
    &audio_encode_type,
};

const ltx2_node_type *const *ltx2_nodes_audio(size_t *count)
{
    *count = sizeof audio_types / sizeof audio_types[0];
    return audio_types;
}
