/* video_io.h — MP4 files through FFmpeg's libraries (libavformat/libavcodec): H.264
 * video (libx264, yuv420p) + AAC audio, written atomically like the other savers;
 * any FFmpeg-readable video read back as f32 RGB frames and planar f32 audio; and
 * the one-frame H.264 CRF round trip LTXVPreprocess applies. */
#ifndef LTX2_VIDEO_IO_H
#define LTX2_VIDEO_IO_H
#include <stdbool.h>
#include <stdint.h>
#include "error.h"

/* A clip in memory: frames [n][h][w][3] f32 in [0, 1]; audio [channels][samples]
 * planar f32 (audio NULL / channels 0: none). */
typedef struct io_clip {
    float *frames;
    int64_t n_frames;
    int width, height;
    double fps;
    float *audio;
    int channels;
    int64_t samples;
    int sample_rate;
} io_clip;

void io_clip_free(io_clip *c); /* frees the buffers, not c */

/* FFmpeg logs to stderr by default; errors come back as values here, so its own
 * messages are silenced (process-wide: the library has one log level). */
void io_av_quiet(void);

/* Writes c to path (temp file beside it, renamed on success; nothing left on failure).
 * Odd sizes lose their last column / row (4:2:0 needs even ones). crf: x264's
 * constant rate factor (23 = its default). cancel (may be NULL) is polled per frame. */
ltx2_status io_mp4_write(const char *path, const io_clip *c, int crf, const volatile int32_t *cancel,
                         ltx2_error *err);

/* Reads every video frame (and the first audio stream, if any) of path. */
ltx2_status io_video_read(const char *path, io_clip *out, ltx2_error *err);

/* ComfyUI's LTXVPreprocess on one frame rgb[h][w][3] (8-bit): H.264 at crf, decoded
 * back into out (w & ~1) x (h & ~1). */
ltx2_status io_h264_roundtrip(const uint8_t *rgb, int w, int h, int crf, uint8_t *out, ltx2_error *err);

#endif
