/* video_write.c — MP4 writer (H.264 + AAC) over libavformat/libavcodec, into the
 * atomic temp file of io_tmp through a custom AVIO context (the MP4 muxer seeks back
 * to finish its header, so the context can seek). */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "video_io.h"

/* FFmpeg 7 made the write callback's buffer const. */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define IO_WBUF const uint8_t
#else
#define IO_WBUF uint8_t
#endif
void io_av_quiet(void) { av_log_set_level(AV_LOG_QUIET); }

static int file_write(void *opaque, IO_WBUF *buf, int n)
{
    return fwrite(buf, 1, (size_t)n, opaque) == (size_t)n ? n : AVERROR(EIO);
}

static int64_t file_seek(void *opaque, int64_t off, int whence)
{
    FILE *f = opaque;
    if (whence == AVSEEK_SIZE) {
        const off_t cur = ftello(f);
        if (fseeko(f, 0, SEEK_END))
            return -1;
        const off_t end = ftello(f);
        return fseeko(f, cur, SEEK_SET) ? -1 : (int64_t)end;
    }
    return fseeko(f, (off_t)off, whence & ~AVSEEK_FORCE) ? -1 : (int64_t)ftello(f);
}

typedef struct mp4_out {
    AVFormatContext *fmt;
    AVIOContext *io;
    AVCodecContext *venc, *aenc;
    AVStream *vs, *as;
    AVFrame *frame;
    AVPacket *pkt;
    struct SwsContext *sws;
} mp4_out;

static ltx2_status av_fail(ltx2_error *err, const char *what, int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, buf, sizeof buf);
    return ltx2_err(err, LTX2_ERR_IO, "%s: %s", what, buf);
}

/* Sends one frame (NULL = flush) and writes every packet it yields. */
static ltx2_status encode(mp4_out *o, AVCodecContext *enc, AVStream *st, AVFrame *fr, ltx2_error *err)
{
    int r = avcodec_send_frame(enc, fr);
    if (r < 0)
        return av_fail(err, "encoding", r);
    while ((r = avcodec_receive_packet(enc, o->pkt)) >= 0) {
        av_packet_rescale_ts(o->pkt, enc->time_base, st->time_base);
        o->pkt->stream_index = st->index;
        if ((r = av_interleaved_write_frame(o->fmt, o->pkt)) < 0)
            return av_fail(err, "writing the MP4", r);
    }
    return (r == AVERROR(EAGAIN) || r == AVERROR_EOF) ? LTX2_OK : av_fail(err, "encoding", r);
}

static ltx2_status open_video(mp4_out *o, const io_clip *c, int w, int h, int crf, ltx2_error *err)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!codec)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this FFmpeg has no H.264 encoder");
    o->vs = avformat_new_stream(o->fmt, NULL);
    o->venc = avcodec_alloc_context3(codec);
    if (!o->vs || !o->venc)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    const AVRational rate = av_d2q(c->fps, 100000);
    o->venc->width = w;
    o->venc->height = h;
    o->venc->pix_fmt = AV_PIX_FMT_YUV420P;
    o->venc->framerate = rate;
    o->venc->time_base = av_inv_q(rate);
    if (o->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        o->venc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    char crf_s[16];
    snprintf(crf_s, sizeof crf_s, "%d", crf);
    av_opt_set(o->venc->priv_data, "crf", crf_s, 0);
    av_opt_set(o->venc->priv_data, "preset", "veryfast", 0);
    int r = avcodec_open2(o->venc, codec, NULL);
    if (r < 0)
        return av_fail(err, "opening the H.264 encoder", r);
    o->vs->time_base = o->venc->time_base;
    o->vs->avg_frame_rate = rate;
    if ((r = avcodec_parameters_from_context(o->vs->codecpar, o->venc)) < 0)
        return av_fail(err, "H.264 stream", r);
    o->sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    return o->sws ? LTX2_OK : ltx2_err(err, LTX2_ERR_OOM, "out of memory (colour conversion)");
}

static ltx2_status open_audio(mp4_out *o, const io_clip *c, ltx2_error *err)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "this FFmpeg has no AAC encoder");
    o->as = avformat_new_stream(o->fmt, NULL);
    o->aenc = avcodec_alloc_context3(codec);
    if (!o->as || !o->aenc)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    o->aenc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    o->aenc->sample_rate = c->sample_rate;
    o->aenc->bit_rate = 192000;
    av_channel_layout_default(&o->aenc->ch_layout, c->channels);
    o->aenc->time_base = (AVRational){1, c->sample_rate};
    if (o->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        o->aenc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int r = avcodec_open2(o->aenc, codec, NULL);
    if (r < 0)
        return av_fail(err, "opening the AAC encoder", r);
    o->as->time_base = o->aenc->time_base;
    return (r = avcodec_parameters_from_context(o->as->codecpar, o->aenc)) < 0 ? av_fail(err, "AAC stream", r)
                                                                             : LTX2_OK;
}

static ltx2_status write_video(mp4_out *o, const io_clip *c, int w, int h, const volatile int32_t *cancel,
                               ltx2_error *err)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    if (!rgb)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    ltx2_status st = LTX2_OK;
    for (int64_t i = 0; i < c->n_frames && !st; i++) {
        if (cancel && *cancel) {
            st = LTX2_CANCELLED;
            break;
        }
        const float *src = c->frames + (size_t)i * c->height * c->width * 3;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w * 3; x++)
                rgb[(size_t)y * w * 3 + x] = io_to_u8(src[(size_t)y * c->width * 3 + x]);
        int r = av_frame_make_writable(o->frame);
        if (r < 0) {
            st = av_fail(err, "video frame", r);
            break;
        }
        const uint8_t *planes[1] = {rgb};
        const int strides[1] = {w * 3};
        sws_scale(o->sws, planes, strides, 0, h, o->frame->data, o->frame->linesize);
        o->frame->pts = i;
        st = encode(o, o->venc, o->vs, o->frame, err);
    }
    free(rgb);
    return st ? st : encode(o, o->venc, o->vs, NULL, err);
}

static ltx2_status write_audio(mp4_out *o, const io_clip *c, ltx2_error *err)
{
    const int fs = o->aenc->frame_size > 0 ? o->aenc->frame_size : 1024;
    ltx2_status st = LTX2_OK;
    for (int64_t s = 0; s < c->samples && !st; s += fs) {
        const int n = (int)(c->samples - s < fs ? c->samples - s : fs);
        AVFrame *f = av_frame_alloc();
        if (!f)
            return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
        f->nb_samples = n;
        f->format = AV_SAMPLE_FMT_FLTP;
        f->sample_rate = c->sample_rate;
        av_channel_layout_copy(&f->ch_layout, &o->aenc->ch_layout);
        int r = av_frame_get_buffer(f, 0);
        if (r < 0) {
            av_frame_free(&f);
            return av_fail(err, "audio frame", r);
        }
        for (int ch = 0; ch < c->channels; ch++)
            memcpy(f->data[ch], c->audio + (size_t)ch * c->samples + s, (size_t)n * sizeof(float));
        f->pts = s;
        st = encode(o, o->aenc, o->as, f, err);
        av_frame_free(&f);
    }
    return st ? st : encode(o, o->aenc, o->as, NULL, err);
}

static ltx2_status mux(mp4_out *o, FILE *f, const io_clip *c, int crf, const volatile int32_t *cancel,
                       ltx2_error *err)
{
    const int w = c->width & ~1, h = c->height & ~1;
    if (w < 2 || h < 2 || c->n_frames < 1 || !(c->fps > 0.0))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "a video needs frames of at least 2x2 pixels and fps > 0");
    int r = avformat_alloc_output_context2(&o->fmt, NULL, "mp4", NULL);
    if (r < 0)
        return av_fail(err, "MP4 muxer", r);
    unsigned char *buf = av_malloc(1 << 16);
    o->io = buf ? avio_alloc_context(buf, 1 << 16, 1, f, NULL, file_write, file_seek) : NULL;
    if (!o->io) {
        av_free(buf);
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    }
    o->fmt->pb = o->io;
    ltx2_status st = open_video(o, c, w, h, crf, err);
    if (!st && c->audio && c->channels > 0 && c->samples > 0)
        st = open_audio(o, c, err);
    if (st)
        return st;
    o->frame = av_frame_alloc();
    o->pkt = av_packet_alloc();
    if (!o->frame || !o->pkt)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    o->frame->format = AV_PIX_FMT_YUV420P;
    o->frame->width = w;
    o->frame->height = h;
    if ((r = av_frame_get_buffer(o->frame, 0)) < 0)
        return av_fail(err, "video frame", r);
    if ((r = avformat_write_header(o->fmt, NULL)) < 0)
        return av_fail(err, "MP4 header", r);
    if ((st = write_video(o, c, w, h, cancel, err)) || (o->aenc && (st = write_audio(o, c, err))))
        return st;
    if ((r = av_write_trailer(o->fmt)) < 0)
        return av_fail(err, "MP4 trailer", r);
    avio_flush(o->io);
    return o->io->error < 0 ? av_fail(err, "writing the MP4", o->io->error) : LTX2_OK;
}

ltx2_status io_mp4_write(const char *path, const io_clip *c, int crf, const volatile int32_t *cancel,
                         ltx2_error *err)
{
    io_av_quiet();
    io_tmp tmp;
    ltx2_status st = io_tmp_open(&tmp, path, err);
    if (st)
        return st;
    mp4_out o = {0};
    st = mux(&o, tmp.f, c, crf, cancel, err);
    sws_freeContext(o.sws);
    av_frame_free(&o.frame);
    av_packet_free(&o.pkt);
    avcodec_free_context(&o.venc);
    avcodec_free_context(&o.aenc);
    if (o.io) {
        av_freep(&o.io->buffer);
        avio_context_free(&o.io);
    }
    avformat_free_context(o.fmt);
    return io_tmp_close(&tmp, st, err);
}
