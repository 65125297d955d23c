/* check_video FILE FRAMES WIDTH HEIGHT FPS CHANNELS AUDIO_SECONDS
 * Decodes a video written by SaveVideo (through FFmpeg, nodes/io/video_read.c) and
 * checks its frame count, size, frame rate, audio channels and audio duration (within
 * one AAC frame plus 10 ms), and that the frames are not one flat colour. CHANNELS 0:
 * no audio stream expected. Prints what it found. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/video_io.h"

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: check_video FILE FRAMES WIDTH HEIGHT FPS CHANNELS AUDIO_SECONDS\n");
        return 2;
    }
    const long frames = atol(argv[2]), width = atol(argv[3]), height = atol(argv[4]), channels = atol(argv[6]);
    const double fps = atof(argv[5]), seconds = atof(argv[7]);
    io_clip c;
    ltx2_error err = {0};
    if (io_video_read(argv[1], &c, &err)) {
        fprintf(stderr, "FAIL: %s: %s\n", argv[1], err.msg);
        return 1;
    }
    const double audio_s = c.sample_rate ? (double)c.samples / c.sample_rate : 0.0;
    printf("%s: %lld frames %dx%d at %.3f fps; audio %d channels, %lld samples at %d Hz (%.3f s)\n", argv[1],
           (long long)c.n_frames, c.width, c.height, c.fps, c.channels, (long long)c.samples, c.sample_rate, audio_s);
    int bad = 0;
    if (c.n_frames != frames || c.width != width || c.height != height) {
        fprintf(stderr, "FAIL: expected %ld frames of %ldx%ld\n", frames, width, height);
        bad = 1;
    }
    if (fabs(c.fps - fps) > 1e-3) {
        fprintf(stderr, "FAIL: expected %.3f fps\n", fps);
        bad = 1;
    }
    if (c.channels != channels) {
        fprintf(stderr, "FAIL: expected %ld audio channels\n", channels);
        bad = 1;
    }
    if (channels && fabs(audio_s - seconds) > 1024.0 / c.sample_rate + 0.01) {
        fprintf(stderr, "FAIL: expected %.3f s of audio\n", seconds);
        bad = 1;
    }
    float lo = 1.0f, hi = 0.0f;
    for (int64_t i = 0; i < c.n_frames * c.width * c.height * 3; i++) {
        lo = fminf(lo, c.frames[i]);
        hi = fmaxf(hi, c.frames[i]);
    }
    if (!(hi - lo > 0.05f)) {
        fprintf(stderr, "FAIL: the frames are one flat colour (%.3f..%.3f)\n", (double)lo, (double)hi);
        bad = 1;
    }
    io_clip_free(&c);
    return bad;
}
