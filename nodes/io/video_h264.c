/* video_h264.c — LTXVPreprocess's compression: one frame through H.264 (x264 at the
 * given CRF, preset veryfast, 4:2:0) and back, in memory (no container needed). */
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "video_io.h"

typedef struct rt {
    AVCodecContext *enc, *dec;
    AVFrame *yuv, *out, *scratch;
    AVPacket *pkt;
    struct SwsContext *to_yuv, *to_rgb;
} rt;

static ltx2_status av_fail(ltx2_error *err, const char *what, int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, buf, sizeof buf);
    return ltx2_err(err, LTX2_ERR_IO, "%s: %s", what, buf);
}

static ltx2_status open_codecs(rt *R, int w, int h, int crf, ltx2_error *err)
{
    const AVCodec *ec = avcodec_find_encoder_by_name("libx264");
    if (!ec)
        ec = avcodec_find_encoder(AV_CODEC_ID_H264);
    const AVCodec *dc = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!ec || !dc)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this FFmpeg lacks an H.264 encoder or decoder");
    R->enc = avcodec_alloc_context3(ec);
    R->dec = avcodec_alloc_context3(dc);
    if (!R->enc || !R->dec)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    R->enc->width = w;
    R->enc->height = h;
    R->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    R->enc->time_base = (AVRational){1, 1};
    R->enc->framerate = (AVRational){1, 1};
    char s[16];
    snprintf(s, sizeof s, "%d", crf);
    av_opt_set(R->enc->priv_data, "crf", s, 0);
    av_opt_set(R->enc->priv_data, "preset", "veryfast", 0);
    int r = avcodec_open2(R->enc, ec, NULL);
    if (r < 0 || (r = avcodec_open2(R->dec, dc, NULL)) < 0)
        return av_fail(err, "opening H.264", r);
    return LTX2_OK;
}

/* Moves every picture the decoder has into R->out (the last one wins). */
static void collect(rt *R, bool *got)
{
    while (avcodec_receive_frame(R->dec, R->scratch) >= 0) {
        av_frame_unref(R->out);
        av_frame_move_ref(R->out, R->scratch);
        *got = true;
    }
}

/* Feeds every packet of the encoder (after sending fr, NULL = flush) to the decoder
 * and keeps the decoded picture in R->out. */
static ltx2_status pump(rt *R, AVFrame *fr, bool *got, ltx2_error *err)
{
    int r = avcodec_send_frame(R->enc, fr);
    if (r < 0)
        return av_fail(err, "H.264 encode", r);
    while ((r = avcodec_receive_packet(R->enc, R->pkt)) >= 0) {
        r = avcodec_send_packet(R->dec, R->pkt);
        av_packet_unref(R->pkt);
        if (r < 0)
            return av_fail(err, "H.264 decode", r);
        collect(R, got);
    }
    if (!fr) {
        avcodec_send_packet(R->dec, NULL);
        collect(R, got);
    }
    return (r == AVERROR(EAGAIN) || r == AVERROR_EOF) ? LTX2_OK : av_fail(err, "H.264 encode", r);
}

static ltx2_status run(rt *R, const uint8_t *rgb, int w, int h, int src_w, int crf, uint8_t *out, ltx2_error *err)
{
    ltx2_status st = open_codecs(R, w, h, crf, err);
    if (st)
        return st;
    R->yuv = av_frame_alloc();
    R->out = av_frame_alloc();
    R->scratch = av_frame_alloc();
    R->pkt = av_packet_alloc();
    if (!R->yuv || !R->out || !R->scratch || !R->pkt)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    R->yuv->format = AV_PIX_FMT_YUV420P;
    R->yuv->width = w;
    R->yuv->height = h;
    int r = av_frame_get_buffer(R->yuv, 0);
    if (r < 0)
        return av_fail(err, "frame", r);
    R->to_yuv = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!R->to_yuv)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory (colour conversion)");
    const uint8_t *src[1] = {rgb};
    const int src_stride[1] = {src_w * 3};
    sws_scale(R->to_yuv, src, src_stride, 0, h, R->yuv->data, R->yuv->linesize);
    R->yuv->pts = 0;
    bool got = false;
    if ((st = pump(R, R->yuv, &got, err)) || (st = pump(R, NULL, &got, err)))
        return st;
    if (!got || R->out->width != w || R->out->height != h)
        return ltx2_err(err, LTX2_ERR_IO, "H.264 round trip returned no picture");
    R->to_rgb = sws_getContext(w, h, R->out->format, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    if (!R->to_rgb)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory (colour conversion)");
    uint8_t *dst[1] = {out};
    const int dst_stride[1] = {w * 3};
    sws_scale(R->to_rgb, (const uint8_t *const *)R->out->data, R->out->linesize, 0, h, dst, dst_stride);
    return LTX2_OK;
}

ltx2_status io_h264_roundtrip(const uint8_t *rgb, int w, int h, int crf, uint8_t *out, ltx2_error *err)
{
    io_av_quiet();
    const int we = w & ~1, he = h & ~1;
    if (we < 2 || he < 2)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "an image of at least 2x2 pixels is needed");
    rt R = {0};
    ltx2_status st = run(&R, rgb, we, he, w, crf, out, err);
    sws_freeContext(R.to_yuv);
    sws_freeContext(R.to_rgb);
    av_frame_free(&R.yuv);
    av_frame_free(&R.out);
    av_frame_free(&R.scratch);
    av_packet_free(&R.pkt);
    avcodec_free_context(&R.enc);
    avcodec_free_context(&R.dec);
    return st;
}
