/* wav_writer.c — RIFF/WAVE, 16-bit PCM, interleaved channels, little-endian. The
 * float → int16 rule is the reference pipeline's: clip to [-1, 1], ×32767,
 * truncate toward zero. */
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

ltx2_status io_wav_write(FILE *f, const float *x, int64_t ld, int channels, int64_t n,
                         int sample_rate, ltx2_error *err)
{
    uint64_t data_bytes = (uint64_t)n * (uint64_t)channels * 2;
    if (channels < 1 || channels > 64 || sample_rate <= 0 || data_bytes > 0xffffffffu - 36)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "cannot write WAV: %d channels, %lld samples, %d Hz",
                        channels, (long long)n, sample_rate);
    uint8_t h[44];
    memcpy(h, "RIFF", 4);
    put_u32(h + 4, (uint32_t)(36 + data_bytes));
    memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16);
    put_u16(h + 20, 1); /* PCM */
    put_u16(h + 22, (uint16_t)channels);
    put_u32(h + 24, (uint32_t)sample_rate);
    put_u32(h + 28, (uint32_t)sample_rate * (uint32_t)channels * 2);
    put_u16(h + 32, (uint16_t)(channels * 2));
    put_u16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put_u32(h + 40, (uint32_t)data_bytes);
    if (fwrite(h, 1, 44, f) != 44)
        return ltx2_err(err, LTX2_ERR_IO, "write error");
    uint8_t buf[4096];
    size_t o = 0;
    for (int64_t i = 0; i < n; i++) {
        for (int c = 0; c < channels; c++) {
            float v = x[(int64_t)c * ld + i];
            v = v != v ? 0.0f : v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
            int16_t s = (int16_t)(v * 32767.0f); /* C conversion truncates toward zero */
            put_u16(buf + o, (uint16_t)s);
            o += 2;
            if (o == sizeof buf) {
                if (fwrite(buf, 1, o, f) != o)
                    return ltx2_err(err, LTX2_ERR_IO, "write error");
                o = 0;
            }
        }
    }
    if (o && fwrite(buf, 1, o, f) != o)
        return ltx2_err(err, LTX2_ERR_IO, "write error");
    return LTX2_OK;
}
