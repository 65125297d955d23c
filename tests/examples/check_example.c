/* check_example OUTDIR FRAMES WIDTH HEIGHT FPS
 *
 * Checks what an example graph wrote: OUTDIR/frames/frame_00001.png … frame_<FRAMES>.png
 * (and no more), each WIDTH × HEIGHT and not constant, consecutive frames not all
 * identical, the contact sheet, and OUTDIR/audio.wav: PCM 16-bit stereo 24 kHz whose
 * duration is FRAMES/FPS within 0.1 s (the reference's audio is 240·(4·T_a − 3)
 * samples, T_a = round(25·FRAMES/FPS)). Prints one line per failure; exit 0 = pass. */
#include <math.h>
#include <png.h>
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

/* Decodes an 8-bit RGB(A) PNG into rgb (w*h*3 bytes, malloc'd). Returns 0 or -1. */
static int read_png(const char *path, unsigned char **rgb, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        return -1;
    img.format = PNG_FORMAT_RGB;
    *w = (int)img.width;
    *h = (int)img.height;
    *rgb = malloc(PNG_IMAGE_SIZE(img));
    if (!*rgb || !png_image_finish_read(&img, NULL, *rgb, 0, NULL)) {
        png_image_free(&img);
        free(*rgb);
        *rgb = NULL;
        return -1;
    }
    return 0;
}

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
        if (read_png(path, &rgb, &w, &h) != 0) {
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

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void check_wav(const char *dir, int frames, double fps)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/audio.wav", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        FAIL("%s: missing", path);
        return;
    }
    unsigned char hdr[12], ch[8];
    uint16_t fmt = 0, channels = 0, bits = 0;
    uint32_t rate = 0, data = 0;
    int have_data = 0;
    if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) {
        FAIL("%s: not a RIFF/WAVE file", path);
        fclose(f);
        return;
    }
    while (!have_data && fread(ch, 1, 8, f) == 8) {
        uint32_t len = le32(ch + 4);
        if (!memcmp(ch, "fmt ", 4) && len >= 16) {
            unsigned char b[16];
            if (fread(b, 1, 16, f) != 16) break;
            fmt = le16(b), channels = le16(b + 2), rate = le32(b + 4), bits = le16(b + 14);
            fseek(f, (long)(len - 16 + (len & 1)), SEEK_CUR);
        } else if (!memcmp(ch, "data", 4)) {
            data = len;
            have_data = 1;
        } else {
            fseek(f, (long)(len + (len & 1)), SEEK_CUR);
        }
    }
    fclose(f);
    if (!have_data || fmt != 1 || channels != 2 || rate != 24000 || bits != 16) {
        FAIL("%s: format %u, %u channels, %u Hz, %u bits, data chunk %s (expected PCM stereo 24000 Hz 16-bit)", path,
             fmt, channels, rate, bits, have_data ? "present" : "missing");
        return;
    }
    double secs = (double)data / 4.0 / 24000.0, want = frames / fps;
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
