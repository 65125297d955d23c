/* test_video_io — nodes/io/video_*: an MP4 written from a synthetic clip decodes back
 * with its frame count, size, frame rate, audio channels, rate and duration and close
 * pixels; a cancelled write leaves no file; the H.264 round trip keeps a picture close
 * and crops odd sizes to even ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/video_io.h"

#define CHECK(c, ...)                                                                                              \
    do {                                                                                                          \
        if (!(c)) {                                                                                               \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                  \
            fprintf(stderr, __VA_ARGS__);                                                                         \
            fputc('\n', stderr);                                                                                  \
            return 1;                                                                                             \
        }                                                                                                         \
    } while (0)

/* A moving gradient: frame i, pixel (x, y). */
static float pix(int64_t i, int x, int y, int k) { return (float)(((x + 3 * i) % 64) / 64.0 * (k + 1) / 3.0 + y / 400.0); }

static int mp4_roundtrip(const char *dir)
{
    const int W = 66, H = 50, N = 10, RATE = 24000, CH = 2;
    const double FPS = 12.5, SECONDS = 0.8;
    const int64_t S = (int64_t)(SECONDS * RATE);
    io_clip c = {.n_frames = N, .width = W, .height = H, .fps = FPS, .channels = CH, .samples = S, .sample_rate = RATE};
    c.frames = malloc(sizeof(float) * N * W * H * 3);
    c.audio = malloc(sizeof(float) * CH * S);
    CHECK(c.frames && c.audio, "out of memory");
    for (int64_t i = 0; i < N; i++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int k = 0; k < 3; k++)
                    c.frames[((i * H + y) * W + x) * 3 + k] = pix(i, x, y, k);
    for (int ch = 0; ch < CH; ch++)
        for (int64_t s = 0; s < S; s++)
            c.audio[ch * S + s] = 0.5f * (float)sin(2 * M_PI * 440.0 * (ch + 1) * s / RATE);
    char path[4096];
    snprintf(path, sizeof path, "%s/sub/clip.mp4", dir);
    ltx2_error err = {0};
    CHECK(io_mp4_write(path, &c, 18, NULL, &err) == LTX2_OK, "write: %s", err.msg);
    io_clip r;
    CHECK(io_video_read(path, &r, &err) == LTX2_OK, "read: %s", err.msg);
    printf("read %lld frames %dx%d %.3f fps, %d ch %lld samples at %d Hz\n", (long long)r.n_frames, r.width,
           r.height, r.fps, r.channels, (long long)r.samples, r.sample_rate);
    CHECK(r.n_frames == N && r.width == W && r.height == H, "frames/size");
    CHECK(fabs(r.fps - FPS) < 1e-6, "fps %.6f", r.fps);
    CHECK(r.channels == CH && r.sample_rate == RATE, "audio format");
    CHECK(llabs(r.samples - S) <= 1024, "audio length %lld, wrote %lld", (long long)r.samples, (long long)S);
    double err_px = 0.0;
    for (int64_t i = 0; i < (int64_t)N * W * H * 3; i++)
        err_px += fabs(r.frames[i] - c.frames[i]);
    err_px /= (double)N * W * H * 3;
    CHECK(err_px < 0.03, "mean pixel error %.4f", err_px);
    double e = 0.0, p = 0.0; /* the sine survives AAC: energy in the first 1000 samples after priming */
    for (int64_t s = 2048; s < 3048; s++) {
        e += r.audio[s] * r.audio[s];
        p += c.audio[s] * c.audio[s];
    }
    CHECK(e > 0.5 * p && e < 2.0 * p, "audio energy %.3f vs %.3f", e, p);
    io_clip_free(&r);

    /* cancelled: no file, no temp file */
    volatile int32_t cancel = 1;
    snprintf(path, sizeof path, "%s/cancelled.mp4", dir);
    CHECK(io_mp4_write(path, &c, 18, &cancel, &err) == LTX2_CANCELLED, "cancel");
    struct stat st;
    CHECK(stat(path, &st) != 0, "a cancelled write left %s", path);
    io_clip_free(&c);
    return 0;
}

static int h264_roundtrip(void)
{
    const int W = 37, H = 21;
    uint8_t *in = malloc(W * H * 3), *out = malloc(W * H * 3);
    CHECK(in && out, "out of memory");
    for (int i = 0; i < W * H * 3; i++)
        in[i] = (uint8_t)(i * 7 % 200 / 4 + 60);
    ltx2_error err = {0};
    CHECK(io_h264_roundtrip(in, W, H, 20, out, &err) == LTX2_OK, "%s", err.msg);
    double d = 0.0, d_flat = 0.0;
    for (int y = 0; y < H - 1; y++)
        for (int x = 0; x < W - 1; x++)
            for (int k = 0; k < 3; k++) {
                d += fabs((double)out[(y * (W - 1) + x) * 3 + k] - in[(y * W + x) * 3 + k]);
                d_flat += fabs(128.0 - in[(y * W + x) * 3 + k]);
            }
    printf("h264 round trip: mean abs error %.2f (vs %.2f for a flat grey)\n", d / ((W - 1) * (H - 1) * 3),
           d_flat / ((W - 1) * (H - 1) * 3));
    CHECK(d < 0.5 * d_flat, "the round trip lost the picture");
    CHECK(io_h264_roundtrip(in, 1, 1, 20, out, &err) == LTX2_ERR_BAD_INPUT, "1x1 accepted");
    free(in);
    free(out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_video_io WORKDIR\n");
        return 2;
    }
    return mp4_roundtrip(argv[1]) || h264_roundtrip();
}
