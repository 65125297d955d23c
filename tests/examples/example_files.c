/* example_files.c — see example_files.h. */
#include "example_files.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ex_read_png(const char *path, unsigned char **rgb, int *w, int *h)
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

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

const char *ex_read_wav(const char *path, ex_wav *info, int16_t **samples)
{
    memset(info, 0, sizeof *info);
    if (samples) *samples = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return "missing";
    unsigned char hdr[12], ch[8];
    const char *why = "no data chunk";
    if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) {
        fclose(f);
        return "not a RIFF/WAVE file";
    }
    while (fread(ch, 1, 8, f) == 8) {
        uint32_t len = le32(ch + 4);
        if (!memcmp(ch, "fmt ", 4) && len >= 16) {
            unsigned char b[16];
            if (fread(b, 1, 16, f) != 16) break;
            info->fmt = le16(b), info->channels = le16(b + 2), info->rate = le32(b + 4), info->bits = le16(b + 14);
            fseek(f, (long)(len - 16 + (len & 1)), SEEK_CUR);
        } else if (!memcmp(ch, "data", 4)) {
            info->data_bytes = len;
            why = NULL;
            if (samples) {
                *samples = malloc(len ? len : 1);
                if (!*samples || fread(*samples, 1, len, f) != len) { /* little-endian host */
                    free(*samples);
                    *samples = NULL;
                    why = "truncated data chunk";
                }
            }
            break;
        } else {
            fseek(f, (long)(len + (len & 1)), SEEK_CUR);
        }
    }
    fclose(f);
    return why;
}
