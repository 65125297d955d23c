/* image_resize.h — resampling of IMAGE frames ([H][W][3] f32) as the reference's
 * image conditioning does it: bilinear, align_corners = false, no antialias. */
#ifndef LTX2_IMAGE_RESIZE_H
#define LTX2_IMAGE_RESIZE_H
#include <stdint.h>

typedef enum { LTX2_FIT_CROP, LTX2_FIT_PAD, LTX2_FIT_STRETCH } ltx2_fit_mode;

/* The size the frame is scaled to before cropping / padding to tw × th:
 * crop covers the target (scale = max, sizes rounded up), pad fits inside it
 * (scale = min, sizes rounded down, at least 1), stretch is the target itself. */
void ltx2_fit_size(int64_t w, int64_t h, int64_t tw, int64_t th, ltx2_fit_mode mode, int64_t *nw, int64_t *nh);

/* One frame src [h][w][3] → dst [th][tw][3]: scaled to nw × nh, centred with offsets
 * floor((n − t)/2) (crop) or padded with black around it (pad). */
void ltx2_resize_frame(const float *src, int64_t w, int64_t h, float *dst, int64_t tw, int64_t th, int64_t nw,
                       int64_t nh);

#endif
