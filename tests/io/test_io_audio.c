/* WAV round trip: SaveAudio writes 16-bit PCM stereo; a small reader here parses the
 * RIFF file and compares each sample with the clipped input within 1/32767. */
#include <math.h>
#include <unistd.h>
#include "io_test_host.h"
#include "object.h"
#include "tensor.h"

static uint32_t u32le(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t u16le(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Reads a PCM16 WAV: returns malloc'd interleaved samples, fills channels/rate/frames. */
static int16_t *read_wav(const char *path, int *channels, int *rate, long *frames)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t h[12], ch[8];
    int16_t *data = NULL;
    int bits = 0;
    *channels = 0;
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
        goto out;
    while (fread(ch, 1, 8, f) == 8) {
        uint32_t size = u32le(ch + 4);
        if (!memcmp(ch, "fmt ", 4)) {
            uint8_t fmt[16];
            if (size < 16 || fread(fmt, 1, 16, f) != 16 || u16le(fmt) != 1)
                goto out;
            *channels = u16le(fmt + 2);
            *rate = (int)u32le(fmt + 4);
            bits = u16le(fmt + 14);
            fseek(f, (long)size - 16, SEEK_CUR);
        } else if (!memcmp(ch, "data", 4)) {
            if (bits != 16 || *channels < 1)
                goto out;
            data = malloc(size ? size : 1);
            if (fread(data, 1, size, f) != size) {
                free(data);
                data = NULL;
                goto out;
            }
            *frames = (long)(size / 2 / (uint32_t)*channels);
            break;
        } else {
            fseek(f, (long)size, SEEK_CUR);
        }
    }
out:
    fclose(f);
    return data;
}

int main(void)
{
    ltx2_plugin *p = th_load();
    if (!p)
        return 1;
    char dir[] = "/tmp/ltx2_io_audioXXXXXX";
    if (!mkdtemp(dir))
        return 2;
    const int64_t C = 2, N = 4801;
    ltx2_tensor *w = ltx2_tensor_new(LTX2_F32, 3, (const int64_t[]){1, C, N});
    float *x = ltx2_tensor_f32(w);
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < N; i++)
            x[c * N + i] = (float)(1.3 * sin(0.01 * (double)i * (double)(c + 1)) + (c ? 0.05 : 0));
    x[7] = -1.0f; /* exact extremes */
    x[8] = 1.0f;
    ltx2_object *audio = ltx2_object_new("AUDIO");
    ltx2_object_set_tensor(audio, "waveform", w);
    ltx2_object_set_int(audio, "sample_rate", 24000);

    char prefix[512], path[600];
    snprintf(prefix, sizeof prefix, "%s/sub/song", dir);
    test_ctx tc;
    th_ctx_init(&tc, "SaveAudio");
    const char *names[] = {"audio", "filename_prefix"};
    ltx2_value vals[] = {{.kind = LTX2_V_OBJECT, .u.o = audio}, th_str(prefix)};
    ltx2_status st = th_run(p, th_type(p, "SaveAudio"), &tc, names, vals, 2, NULL);
    CHECK(st == LTX2_OK, "SaveAudio: %s", tc.err_msg);

    snprintf(path, sizeof path, "%s.wav", prefix);
    int ch = 0, rate = 0;
    long frames = 0;
    int16_t *pcm = read_wav(path, &ch, &rate, &frames);
    CHECK(pcm && ch == 2 && rate == 24000 && frames == N, "wav header: %d ch, %d Hz, %ld frames", ch,
          rate, frames);
    double worst = 0;
    for (long i = 0; pcm && i < frames; i++)
        for (int c = 0; c < ch; c++) {
            float v = x[c * N + i];
            v = v < -1 ? -1 : v > 1 ? 1 : v;
            worst = fmax(worst, fabs(pcm[i * ch + c] / 32767.0 - v));
        }
    CHECK(worst < 1.0 / 32767, "wav round trip error %g", worst);
    CHECK(pcm && pcm[7 * 2] == -32767 && pcm[8 * 2] == 32767, "extremes map to ±32767");
    free(pcm);
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK(th_count_files(path, NULL) == 1, "only the wav in %s", path);

    /* Not an AUDIO object / bad sample rate: errors name `audio`, no file. */
    ltx2_object *bad = ltx2_object_new("AUDIO");
    ltx2_object_set_tensor(bad, "waveform", w);
    ltx2_object_set_int(bad, "sample_rate", 0);
    snprintf(prefix, sizeof prefix, "%s/bad/song", dir);
    th_ctx_init(&tc, "SaveAudio");
    ltx2_value bvals[] = {{.kind = LTX2_V_OBJECT, .u.o = bad}, th_str(prefix)};
    st = th_run(p, th_type(p, "SaveAudio"), &tc, names, bvals, 2, NULL);
    CHECK(st != LTX2_OK && !strcmp(tc.err_input, "audio") && strstr(tc.err_msg, "sample_rate"),
          "bad rate: %s: %s", tc.err_input, tc.err_msg);
    snprintf(path, sizeof path, "%s/bad/song.wav", dir);
    CHECK(access(path, F_OK) != 0, "no wav after a failure");

    /* Cancelled: no file. */
    snprintf(prefix, sizeof prefix, "%s/cancel", dir);
    th_ctx_init(&tc, "SaveAudio");
    tc.cancel_after = 1;
    ltx2_value cvals[] = {{.kind = LTX2_V_OBJECT, .u.o = audio}, th_str(prefix)};
    st = th_run(p, th_type(p, "SaveAudio"), &tc, names, cvals, 2, NULL);
    CHECK(st == LTX2_CANCELLED, "cancel status %d", st);
    CHECK(th_count_files(dir, "cancel") == 0, "cancelled run left a file");

    ltx2_object_release(bad);
    ltx2_object_release(audio);
    ltx2_tensor_release(w);
    p->unload(p);
    th_rmtree(dir);
    printf("%d failures\n", g_failures);
    return g_failures ? 1 : 0;
}
