/* SaveAudio: an AUDIO object (waveform [1, C, N] + sample_rate) → <prefix>.wav,
 * 16-bit PCM, channels as given, written atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"
#include "node.h"

enum { IN_AUDIO, IN_PREFIX };

static ltx2_status save_audio(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)out;
    const ltx2_node_type *type = ((ltx2_node *)inst)->type;
    ltx2_object *audio = NULL;
    ltx2_status st = ltx2_in_object(ctx, type, in, IN_AUDIO, "AUDIO", &audio);
    if (st != LTX2_OK)
        return st;
    const char *prefix = ltx2_in_string(in, IN_PREFIX);
    if (!prefix[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "filename_prefix", "empty file name prefix");
    ltx2_tensor *wave = ltx2_object_tensor(audio, "waveform");
    int64_t rate = ltx2_object_int(audio, "sample_rate", 0);
    if (!wave || wave->ndim != 3 || wave->shape[0] != 1)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio", "expected a waveform tensor [1, C, N]");
    if (rate <= 0 || rate > 1000000)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "audio", "bad sample_rate %lld", (long long)rate);
    ltx2_tensor *f = ltx2_tensor_as_f32(wave);
    if (!f)
        return ltx2_fail(ctx, LTX2_ERR_OOM, "audio", "out of memory");
    size_t len = strlen(prefix) + 8;
    char *path = malloc(len);
    ltx2_error err = {0};
    io_tmp tmp;
    if (!path) {
        st = ltx2_fail(ctx, LTX2_ERR_OOM, "filename_prefix", "out of memory");
    } else {
        snprintf(path, len, "%s.wav", prefix);
        if (io_tmp_open(&tmp, path, &err) != LTX2_OK) {
            st = ltx2_fail_err(ctx, "filename_prefix", &err);
        } else {
            st = io_wav_write(tmp.f, ltx2_tensor_cf32(f), f->shape[2], (int)f->shape[1], f->shape[2],
                              (int)rate, &err);
            if (st == LTX2_OK && ltx2_progress(ctx, 1, 1, "writing audio") == LTX2_CANCELLED)
                st = LTX2_CANCELLED;
            st = io_tmp_close(&tmp, st, &err);
            if (st != LTX2_OK && st != LTX2_CANCELLED)
                st = ltx2_fail_err(ctx, "filename_prefix", &err);
        }
    }
    free(path);
    ltx2_tensor_release(f);
    return st;
}

static const ltx2_port inputs[] = {
    LTX2_PORT("audio", "AUDIO", 0, "waveform [1, C, N] and sample_rate."),
    LTX2_PORT_STRING("filename_prefix", "ltx2/audio", 0,
                     "Output path without extension (folders are created): writes <prefix>.wav."),
};
const ltx2_node_type ltx2_node_save_audio =
    IO_WRITER_NODE_TYPE("SaveAudio", "Save Audio (WAV)",
                        "Writes the waveform as 16-bit PCM WAV (clipped to [-1, 1]).", inputs, save_audio);
