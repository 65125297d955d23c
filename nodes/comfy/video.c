/* video.c — ComfyUI's VIDEO nodes: CreateVideo, GetVideoComponents, SaveVideo (MP4:
 * H.264 + AAC through FFmpeg, written atomically) and LoadVideo. A VIDEO is an object
 * {images: IMAGE, audio: AUDIO (optional), fps: FLOAT}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"
#include "io/video_io.h"

static ltx2_status oom(ltx2_exec_ctx *ctx) { return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory"); }

static ltx2_object *video_new(ltx2_tensor *images, ltx2_object *audio, double fps)
{
    ltx2_object *v = ltx2_object_new("VIDEO");
    if (v && (ltx2_object_set_tensor(v, "images", images) || (audio && ltx2_object_set_object(v, "audio", audio)) ||
              ltx2_object_set_float(v, "fps", fps))) {
        ltx2_object_release(v);
        return NULL;
    }
    return v;
}

/* ---------------------------------------------------------------- CreateVideo */
static const ltx2_port cv_inputs[] = {
    LTX2_PORT("images", "IMAGE", 0, "The images to create a video from."),
    LTX2_PORT_FLOAT("fps", 30.0, 1.0, 120.0, 1.0, 0, NULL),
    LTX2_PORT("audio", "AUDIO", LTX2_PORT_OPTIONAL, "The audio to add to the video."),
};
static const ltx2_port video_out[] = {LTX2_PORT("VIDEO", "VIDEO", 0, NULL)};
static ltx2_status cv_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_tensor *img = NULL;
    ltx2_object *audio = NULL;
    ltx2_status st;
    if ((st = ltx2_in_tensor(ctx, &comfy_create_video, in, 0, &img)) ||
        (st = ltx2_in_object(ctx, &comfy_create_video, in, 2, "AUDIO", &audio)))
        return st;
    if (img->ndim != 4 || img->shape[3] != 3)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "images", "expected an IMAGE [F, H, W, 3]");
    ltx2_object *v = video_new(img, audio, ltx2_in_float(in, 1));
    if (!v)
        return oom(ctx);
    out[0] = ltx2_value_object(v);
    return LTX2_OK;
}
const ltx2_node_type comfy_create_video = LTX2_NODE_TYPE("CreateVideo", "Create Video", "image/video", 0,
                                                         "Create a video from images.", cv_inputs, video_out,
                                                         cv_execute);

/* ---------------------------------------------------------------- GetVideoComponents */
static const ltx2_port gvc_inputs[] = {LTX2_PORT("video", "VIDEO", 0, "The video to extract components from.")};
static const ltx2_port gvc_outputs[] = {
    LTX2_PORT("images", "IMAGE", 0, NULL),
    LTX2_PORT("audio", "AUDIO", 0, NULL),
    LTX2_PORT("fps", "FLOAT", 0, NULL),
};
static ltx2_status gvc_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    ltx2_object *v = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_get_video_components, in, 0, "VIDEO", &v);
    if (st)
        return st;
    ltx2_tensor *img = ltx2_object_tensor(v, "images");
    if (!img)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video", "has no images");
    ltx2_tensor_retain(img);
    out[0] = ltx2_value_tensor(img);
    ltx2_object *a = ltx2_object_object(v, "audio");
    if (a) {
        ltx2_object_retain(a);
        out[1] = ltx2_value_object(a);
    }
    out[2] = (ltx2_value){.kind = LTX2_V_FLOAT, .u = {.f = ltx2_object_float(v, "fps", 0.0)}};
    return LTX2_OK;
}
const ltx2_node_type comfy_get_video_components =
    LTX2_NODE_TYPE("GetVideoComponents", "Get Video Components", "image/video", 0,
                   "Extracts all components from a video: frames, audio, and framerate.", gvc_inputs, gvc_outputs,
                   gvc_execute);

/* ---------------------------------------------------------------- SaveVideo */
static const char *const fmt_options[] = {"auto", "mp4", NULL};
static const char *const codec_options[] = {"auto", "h264", NULL};
static const ltx2_port sv_inputs[] = {
    LTX2_PORT("video", "VIDEO", 0, "The video to save."),
    LTX2_PORT_STRING("filename_prefix", "video/ComfyUI", 0,
                     "Output path without extension (folders are created): writes <prefix>.mp4."),
    LTX2_PORT_COMBO("format", fmt_options, "auto", 0, "The format to save the video as."),
    LTX2_PORT_COMBO("codec", codec_options, "auto", 0, "The codec to use for the video."),
};
static ltx2_status sv_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    (void)out;
    ltx2_object *v = NULL;
    ltx2_status st = ltx2_in_object(ctx, &comfy_save_video, in, 0, "VIDEO", &v);
    if (st)
        return st;
    const char *prefix = ltx2_in_string(in, 1);
    if (!prefix[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "filename_prefix", "empty file name prefix");
    const ltx2_tensor *img = ltx2_object_tensor(v, "images");
    const ltx2_object *a = ltx2_object_object(v, "audio");
    const ltx2_tensor *wave = a ? ltx2_object_tensor(a, "waveform") : NULL;
    if (!img || img->ndim != 4 || img->shape[3] != 3)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video", "has no IMAGE frames [F, H, W, 3]");
    if (a && (!wave || wave->ndim != 3 || wave->shape[0] != 1))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video", "its audio has no waveform [1, C, N]");
    const int64_t rate = a ? ltx2_object_int(a, "sample_rate", 0) : 0;
    if (a && (rate <= 0 || rate > 384000))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "video", "its audio has a bad sample_rate %lld", (long long)rate);
    ltx2_tensor *fi = ltx2_tensor_to_f32(img), *fa = wave ? ltx2_tensor_to_f32(wave) : NULL;
    char *path = malloc(strlen(prefix) + 8);
    if (!fi || (wave && !fa) || !path) {
        st = oom(ctx);
        goto done;
    }
    sprintf(path, "%s.mp4", prefix);
    io_clip c = {.frames = ltx2_tensor_f32(fi), .n_frames = img->shape[0], .height = (int)img->shape[1],
                 .width = (int)img->shape[2], .fps = ltx2_object_float(v, "fps", 24.0)};
    if (fa) {
        c.audio = ltx2_tensor_f32(fa);
        c.channels = (int)wave->shape[1];
        c.samples = wave->shape[2];
        c.sample_rate = (int)rate;
    }
    ltx2_error err = {0};
    st = io_mp4_write(path, &c, 23, ctx->cancel_flag, &err);
    if (st && st != LTX2_CANCELLED)
        st = ltx2_fail_err(ctx, "filename_prefix", &err);
    else if (!st)
        ltx2_logf(ctx, LTX2_LOG_INFO, "wrote %s", path);
done:
    free(path);
    ltx2_tensor_release(fi);
    ltx2_tensor_release(fa);
    return st;
}
const ltx2_node_type comfy_save_video = {
    .struct_size = sizeof(ltx2_node_type), .node_version = 1,
    .flags = LTX2_NODE_OUTPUT | LTX2_NODE_CANCELLABLE, .class_type = "SaveVideo", .display_name = "Save Video",
    .category = "image/video", .description = "Saves the video as MP4 (H.264, AAC audio, the video's fps).",
    .inputs = sv_inputs, .n_inputs = LTX2_COUNT(sv_inputs), .outputs = NULL, .n_outputs = 0,
    .init = ltx2_node_init_default, .execute = sv_execute, .free = ltx2_node_free_default};

/* ---------------------------------------------------------------- LoadVideo */
static const ltx2_port lv_inputs[] = {
    LTX2_PORT_STRING("file", "", LTX2_PORT_FILE | LTX2_PORT_UPLOAD, "a video in the input folder"),
};
/* A new tensor holding a copy of n floats. */
static ltx2_tensor *tensor_of(int ndim, const int64_t *shape, const float *src)
{
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, ndim, shape);
    if (t)
        memcpy(ltx2_tensor_f32(t), src, (size_t)ltx2_tensor_numel(t) * sizeof(float));
    return t;
}

static ltx2_status lv_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    io_clip c;
    ltx2_error err = {0};
    if (io_video_read(ltx2_in_string(in, 0), &c, &err))
        return ltx2_fail_err(ctx, "file", &err);
    ltx2_tensor *img = tensor_of(4, (const int64_t[]){c.n_frames, c.height, c.width, 3}, c.frames);
    ltx2_tensor *wave = c.audio ? tensor_of(3, (const int64_t[]){1, c.channels, c.samples}, c.audio) : NULL;
    ltx2_object *audio = wave ? ltx2_object_new("AUDIO") : NULL, *v = NULL;
    ltx2_status st = LTX2_OK;
    if (!img || (c.audio && (!audio || ltx2_object_set_tensor(audio, "waveform", wave) ||
                             ltx2_object_set_int(audio, "sample_rate", c.sample_rate))) ||
        !(v = video_new(img, audio, c.fps)))
        st = oom(ctx);
    else
        out[0] = ltx2_value_object(v);
    io_clip_free(&c);
    ltx2_tensor_release(img);
    ltx2_tensor_release(wave);
    ltx2_object_release(audio);
    return st;
}
const ltx2_node_type comfy_load_video = LTX2_NODE_TYPE("LoadVideo", "Load Video", "image/video", 0,
                                                       "Decodes a video file (FFmpeg): frames, audio, fps.",
                                                       lv_inputs, video_out, lv_execute);
