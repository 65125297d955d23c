/* video_read.c — decodes a video file with libavformat/libavcodec: every frame of the
 * best video stream as f32 RGB, the best audio stream as planar f32 at its own rate. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#include "video_io.h"

typedef struct reader {
    AVFormatContext *fmt;
    AVCodecContext *vdec, *adec;
    int vi, ai;
    struct SwsContext *sws;
    SwrContext *swr;
    AVFrame *frame;
    AVPacket *pkt;
    uint8_t *rgb;
    int64_t cap_frames, cap_samples;
} reader;

static ltx2_status av_fail(ltx2_error *err, const char *what, int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, buf, sizeof buf);
    return ltx2_err(err, LTX2_ERR_IO, "%s: %s", what, buf);
}

static ltx2_status open_decoder(AVFormatContext *fmt, int idx, AVCodecContext **out, ltx2_error *err)
{
    const AVCodecParameters *par = fmt->streams[idx]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "no decoder for %s", avcodec_get_name(par->codec_id));
    if (!(*out = avcodec_alloc_context3(codec)))
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    int r = avcodec_parameters_to_context(*out, par);
    if (r >= 0)
        r = avcodec_open2(*out, codec, NULL);
    return r < 0 ? av_fail(err, "opening the decoder", r) : LTX2_OK;
}

static ltx2_status grow(void **buf, int64_t *cap, int64_t need, size_t unit, ltx2_error *err)
{
    if (need <= *cap)
        return LTX2_OK;
    int64_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*buf, (size_t)n * unit);
    if (!p)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the decoded video");
    *buf = p;
    *cap = n;
    return LTX2_OK;
}

static ltx2_status take_video(reader *R, io_clip *c, ltx2_error *err)
{
    AVFrame *f = R->frame;
    if (!R->sws) {
        c->width = f->width;
        c->height = f->height;
        R->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGB24,
                                SWS_BICUBIC, NULL, NULL, NULL);
        R->rgb = malloc((size_t)f->width * f->height * 3);
        if (!R->sws || !R->rgb)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory (colour conversion)");
    }
    if (f->width != c->width || f->height != c->height)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "the frame size changes inside the video");
    const size_t px = (size_t)c->width * c->height * 3;
    ltx2_status st = grow((void **)&c->frames, &R->cap_frames, c->n_frames + 1, px * sizeof(float), err);
    if (st)
        return st;
    uint8_t *dst[1] = {R->rgb};
    const int stride[1] = {c->width * 3};
    sws_scale(R->sws, (const uint8_t *const *)f->data, f->linesize, 0, c->height, dst, stride);
    float *out = c->frames + (size_t)c->n_frames * px;
    for (size_t i = 0; i < px; i++)
        out[i] = R->rgb[i] / 255.0f;
    c->n_frames++;
    return LTX2_OK;
}

/* Appends one decoded audio frame, converted to planar f32 (channels kept); the
 * planar buffer is re-laid out at the end (samples are not known up front). */
static ltx2_status take_audio(reader *R, io_clip *c, ltx2_error *err)
{
    AVFrame *f = R->frame;
    if (!R->swr) {
        c->channels = f->ch_layout.nb_channels;
        c->sample_rate = f->sample_rate;
        int r = swr_alloc_set_opts2(&R->swr, &f->ch_layout, AV_SAMPLE_FMT_FLT, f->sample_rate, &f->ch_layout,
                                    f->format, f->sample_rate, 0, NULL);
        if (r < 0 || (r = swr_init(R->swr)) < 0)
            return av_fail(err, "audio conversion", r);
    }
    const int ch = c->channels;
    ltx2_status st = grow((void **)&c->audio, &R->cap_samples, c->samples + f->nb_samples,
                          (size_t)ch * sizeof(float), err);
    if (st)
        return st;
    uint8_t *dst[1] = {(uint8_t *)(c->audio + (size_t)c->samples * ch)}; /* interleaved for now */
    const int n = swr_convert(R->swr, dst, f->nb_samples, (const uint8_t **)f->extended_data, f->nb_samples);
    if (n < 0)
        return av_fail(err, "audio conversion", n);
    c->samples += n;
    return LTX2_OK;
}

static ltx2_status drain(reader *R, AVCodecContext *dec, bool video, io_clip *c, ltx2_error *err)
{
    int r;
    while ((r = avcodec_receive_frame(dec, R->frame)) >= 0) {
        ltx2_status st = video ? take_video(R, c, err) : take_audio(R, c, err);
        av_frame_unref(R->frame);
        if (st)
            return st;
    }
    return (r == AVERROR(EAGAIN) || r == AVERROR_EOF) ? LTX2_OK : av_fail(err, "decoding", r);
}

static ltx2_status read_all(reader *R, const char *path, io_clip *c, ltx2_error *err)
{
    int r = avformat_open_input(&R->fmt, path, NULL, NULL);
    if (r < 0)
        return av_fail(err, path, r);
    if ((r = avformat_find_stream_info(R->fmt, NULL)) < 0)
        return av_fail(err, path, r);
    R->vi = av_find_best_stream(R->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    R->ai = av_find_best_stream(R->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (R->vi < 0)
        return ltx2_err(err, LTX2_ERR_IO, "%s has no video stream", path);
    ltx2_status st = open_decoder(R->fmt, R->vi, &R->vdec, err);
    if (!st && R->ai >= 0)
        st = open_decoder(R->fmt, R->ai, &R->adec, err);
    if (st)
        return st;
    const AVRational fr = av_guess_frame_rate(R->fmt, R->fmt->streams[R->vi], NULL);
    c->fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0.0;
    R->frame = av_frame_alloc();
    R->pkt = av_packet_alloc();
    if (!R->frame || !R->pkt)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    while ((r = av_read_frame(R->fmt, R->pkt)) >= 0) {
        AVCodecContext *dec = R->pkt->stream_index == R->vi ? R->vdec
                              : (R->adec && R->pkt->stream_index == R->ai) ? R->adec : NULL;
        if (dec && (r = avcodec_send_packet(dec, R->pkt)) < 0) {
            av_packet_unref(R->pkt);
            return av_fail(err, "decoding", r);
        }
        av_packet_unref(R->pkt);
        if (dec && (st = drain(R, dec, dec == R->vdec, c, err)))
            return st;
    }
    if (r != AVERROR_EOF)
        return av_fail(err, path, r);
    avcodec_send_packet(R->vdec, NULL);
    if ((st = drain(R, R->vdec, true, c, err)))
        return st;
    if (R->adec) {
        avcodec_send_packet(R->adec, NULL);
        if ((st = drain(R, R->adec, false, c, err)))
            return st;
    }
    if (c->n_frames == 0)
        return ltx2_err(err, LTX2_ERR_IO, "%s: no video frame decoded", path);
    if (c->samples > 0) { /* interleaved -> planar */
        float *p = malloc((size_t)c->samples * c->channels * sizeof(float));
        if (!p)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        for (int64_t s = 0; s < c->samples; s++)
            for (int k = 0; k < c->channels; k++)
                p[(size_t)k * c->samples + s] = c->audio[(size_t)s * c->channels + k];
        free(c->audio);
        c->audio = p;
    } else {
        free(c->audio);
        c->audio = NULL;
        c->channels = 0;
    }
    return LTX2_OK;
}

ltx2_status io_video_read(const char *path, io_clip *out, ltx2_error *err)
{
    io_av_quiet();
    memset(out, 0, sizeof *out);
    reader R = {.vi = -1, .ai = -1};
    ltx2_status st = read_all(&R, path, out, err);
    sws_freeContext(R.sws);
    swr_free(&R.swr);
    free(R.rgb);
    av_frame_free(&R.frame);
    av_packet_free(&R.pkt);
    avcodec_free_context(&R.vdec);
    avcodec_free_context(&R.adec);
    avformat_close_input(&R.fmt);
    if (st)
        io_clip_free(out);
    return st;
}
