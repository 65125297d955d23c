/* video_unavailable.c — a build without FFmpeg (-DLTX2_VIDEO=OFF): the video entry
 * points refuse with the reason, so the nodes that need them fail with a clear message
 * naming the node while every other node works. */
#include "io/video_io.h"

#define NO_VIDEO "this build has no video files (configured with -DLTX2_VIDEO=OFF; install FFmpeg's -dev packages and rebuild)"

void io_av_quiet(void) {}

ltx2_status io_mp4_write(const char *path, const io_clip *c, int crf, const volatile int32_t *cancel,
                         ltx2_error *err)
{
    (void)path, (void)c, (void)crf, (void)cancel;
    return ltx2_err(err, LTX2_ERR_UNSUPPORTED, NO_VIDEO);
}

ltx2_status io_video_read(const char *path, io_clip *out, ltx2_error *err)
{
    (void)path, (void)out;
    return ltx2_err(err, LTX2_ERR_UNSUPPORTED, NO_VIDEO);
}

ltx2_status io_h264_roundtrip(const uint8_t *rgb, int w, int h, int crf, uint8_t *out, ltx2_error *err)
{
    (void)rgb, (void)w, (void)h, (void)crf, (void)out;
    return ltx2_err(err, LTX2_ERR_UNSUPPORTED, NO_VIDEO);
}
