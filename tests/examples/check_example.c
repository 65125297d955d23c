/* check_example OUTDIR FRAMES WIDTH HEIGHT FPS
 *
 * Checks what an example graph wrote: OUTDIR/frames/frame_00001.png … frame_<FRAMES>.png
 * (and no more), each WIDTH × HEIGHT and not constant, consecutive frames not all
 * identical, the contact sheet, and OUTDIR/audio.wav: PCM 16-bit stereo 24 kHz whose
 * duration is FRAMES/FPS within 0.1 s (the reference's audio is 240·(4·T_a − 3)
 * samples, T_a = round(25·FRAMES/FPS)). Prints one line per failure; exit 0 = pass. */
#include "example_files.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures;

#define FAIL(...)                         \
    do {                                  \
        fprintf(stderr, "FAIL: " __VA_ARGS__); \
        fputc('\n', stderr);              \
        failures++;                       \
    } while (0)

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void check_frames(const char *dir, int frames, int W, int H)
{
    char path[4096];
    unsigned char *prev = NULL;
    int identical_pairs = 0;
    for (int i = 1; i <= frames; i++) {
        snprintf(path, sizeof path, "%s/frames/frame_%05d.png", dir, i);
        unsigned char *rgb = NULL;
        int w = 0, h = 0;
        if (ex_read_png(path, &rgb, &w, &h) != 0) {
            FAIL("%s: missing or unreadable", path);
            continue;
        }
        if (w != W || h != H)
            FAIL("%s: %dx%d, expected %dx%d", path, w, h, W, H);
        size_t n = (size_t)w * (size_t)h * 3;
        unsigned char lo = 255, hi = 0;
        for (size_t k = 0; k < n; k++) {
            if (rgb[k] < lo) lo = rgb[k];
            if (rgb[k] > hi) hi = rgb[k];
        }
        if (hi - lo < 8)
            FAIL("%s: constant frame (values %d..%d)", path, lo, hi);
        if (prev && w == W && h == H && memcmp(prev, rgb, n) == 0)
            identical_pairs++;
        free(prev);
        prev = (w == W && h == H) ? rgb : (free(rgb), NULL);
    }
    free(prev);
    if (frames > 1 && identical_pairs == frames - 1)
        FAIL("%s/frames: every frame is the same picture", dir);
    snprintf(path, sizeof path, "%s/frames/frame_%05d.png", dir, frames + 1);
    if (exists(path))
        FAIL("%s: more frames than the expected %d", path, frames);
    snprintf(path, sizeof path, "%s/frames/frame_contact.png", dir);
    if (!exists(path))
        FAIL("%s: no contact sheet", path);
}

static void check_wav(const char *dir, int frames, double fps)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/audio.wav", dir);
    ex_wav wav;
    const char *why = ex_read_wav(path, &wav, NULL);
    if (why) {
        FAIL("%s: %s", path, why);
        return;
    }
    if (wav.fmt != 1 || wav.channels != 2 || wav.rate != 24000 || wav.bits != 16) {
        FAIL("%s: format %u, %u channels, %u Hz, %u bits (expected PCM stereo 24000 Hz 16-bit)", path, wav.fmt,
             wav.channels, wav.rate, wav.bits);
        return;
    }
    double secs = (double)wav.data_bytes / 4.0 / 24000.0, want = frames / fps;
    if (fabs(secs - want) > 0.1)
        FAIL("%s: %.3f s of audio, the video lasts %.3f s", path, secs, want);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s OUTDIR FRAMES WIDTH HEIGHT FPS\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int frames = atoi(argv[2]), w = atoi(argv[3]), h = atoi(argv[4]);
    double fps = atof(argv[5]);
    check_frames(dir, frames, w, h);
    check_wav(dir, frames, fps);
    if (!failures)
        printf("ok: %s: %d frames %dx%d, audio matches %.3f s\n", dir, frames, w, h, frames / fps);
    return failures ? 1 : 0;
}
