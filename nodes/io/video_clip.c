/* video_clip.c — the in-memory clip's buffers (with or without FFmpeg). */
#include "io/video_io.h"

#include <stdlib.h>

void io_clip_free(io_clip *c)
{
    free(c->frames);
    free(c->audio);
    c->frames = c->audio = NULL;
}
