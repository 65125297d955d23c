/* io_internal.h — what the I/O nodes share: atomic file writes (temp file in the
 * target folder, fsync, rename), the PNG, WAV and safetensors codecs, and the node
 * types listed by io_nodes.c. */
#ifndef LTX2_IO_INTERNAL_H
#define LTX2_IO_INTERNAL_H
#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "ltx2/ltx2_plugin.h"
#include "tensor.h"

/* ---- atomic writes ---- */
typedef struct io_tmp {
    char *final_path;
    char *tmp_path; /* NULL once renamed or discarded */
    FILE *f;        /* open while writing */
    int renamed;
    char *made_dir;  /* the topmost folder this write created (removed again on discard) */
} io_tmp;

/* Creates the missing folders above `path` (like mkdir -p of its dirname); *created
 * (when given) gets the topmost folder it made, malloc'd, or NULL. */
ltx2_status io_mkdirs_for(const char *path, char **created, ltx2_error *err);
/* Removes dir and its parents while they are empty, up to and including top. */
void io_rmdirs_up_to(const char *dir, const char *top);
/* A save destination must be absent or a regular file: renaming onto a device, a
 * FIFO or a symbolic link would replace it (run as root, /dev/null would become a
 * file). Refuses anything else with a message naming the path. */
ltx2_status io_check_target(const char *path, ltx2_error *err);
/* Checks final_path (io_check_target), creates a temp file beside it (creating
 * folders; the temp name is cut to fit NAME_MAX) and opens it for writing. */
ltx2_status io_tmp_open(io_tmp *t, const char *final_path, ltx2_error *err);
/* io_tmp_open, creating the missing folders only when make_dirs != 0. */
ltx2_status io_tmp_open_ex(io_tmp *t, const char *final_path, int make_dirs, ltx2_error *err);
/* Flushes, fsyncs and closes the temp file (it stays under its temp name). */
ltx2_status io_tmp_finish(io_tmp *t, ltx2_error *err);
/* Renames a finished temp file onto its final name. */
ltx2_status io_tmp_rename(io_tmp *t, ltx2_error *err);
/* finish + rename; on failure the temp file is removed. */
ltx2_status io_tmp_commit(io_tmp *t, ltx2_error *err);
/* The end of a single-file write: commit when st is LTX2_OK, else discard; returns
 * the resulting status. */
ltx2_status io_tmp_close(io_tmp *t, ltx2_status st, ltx2_error *err);
/* Removes the temp file (and the final file when `renamed` and undo != 0); frees. */
void io_tmp_discard(io_tmp *t, int undo_rename);
/* Commits a set of finished temps all together: renames every one, and on a failure
 * removes what was renamed and the remaining temps. Frees all of them. */
ltx2_status io_tmp_commit_all(io_tmp *t, size_t n, ltx2_error *err);

/* ---- codecs (write into an open FILE) ---- */
/* 8-bit RGB PNG from rgb[h][w][3]; optional tEXt pair (key NULL = none). */
ltx2_status io_png_write(FILE *f, const uint8_t *rgb, int w, int h, const char *text_key,
                         const char *text_value, ltx2_error *err);
/* Any PNG (palette, grey, alpha, 16-bit, interlaced) → f32 RGB [h][w][3] in [0,1], malloc'd. */
ltx2_status io_png_read(const char *path, float **rgb, int *w, int *h, ltx2_error *err);
/* 16-bit PCM WAV of c channels × n samples; channel k sample i at x[k*ld + i],
 * clipped to [-1, 1], ×32767 truncated toward zero. */
ltx2_status io_wav_write(FILE *f, const float *x, int64_t ld, int channels, int64_t n,
                         int sample_rate, ltx2_error *err);
/* A safetensors file of n contiguous CPU tensors (kept in their dtype) with an
 * optional flat string→string metadata JSON object (NULL or "{}" for none). */
ltx2_status io_st_write(FILE *f, const char *const *names, ltx2_tensor *const *tensors, size_t n,
                        const char *metadata_json, ltx2_error *err);

/* f32 in [0,1] → 8-bit with rounding (NaN → 0). */
static inline uint8_t io_to_u8(float x)
{
    if (!(x > 0.0f))
        return 0;
    if (x >= 1.0f)
        return 255;
    return (uint8_t)(x * 255.0f + 0.5f);
}

/* ---- node types ---- */
/* An output node without outputs (writers): default init/free, progress, cancellable. */
#define IO_WRITER_NODE_TYPE(class_, display_, desc_, inputs_, execute_) \
    {.struct_size = sizeof(ltx2_node_type), .node_version = 1, \
     .flags = LTX2_NODE_OUTPUT | LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE, \
     .class_type = (class_), .display_name = (display_), .category = "ltx2/io", \
     .description = (desc_), .inputs = (inputs_), .n_inputs = LTX2_COUNT(inputs_), \
     .outputs = NULL, .n_outputs = 0, .init = ltx2_node_init_default, .execute = (execute_), \
     .free = ltx2_node_free_default}

extern const ltx2_node_type ltx2_node_load_tensors;
extern const ltx2_node_type ltx2_node_save_tensors;
extern const ltx2_node_type ltx2_node_load_image;
extern const ltx2_node_type ltx2_node_save_image;
extern const ltx2_node_type ltx2_node_save_video_frames;
extern const ltx2_node_type ltx2_node_save_audio;

#endif
