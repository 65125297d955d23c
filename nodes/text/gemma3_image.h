/* gemma3_image.h — an image as Gemma 3's processor prepares it for the vision tower:
 * 8-bit RGB, resized to size × size with Pillow's bilinear filter (antialiased when
 * shrinking, 8-bit fixed-point passes, horizontal then vertical), scaled to [0, 1] and
 * normalised with mean 0.5 / std 0.5, channels first. */
#ifndef LTX2_TEXT_GEMMA3_IMAGE_H
#define LTX2_TEXT_GEMMA3_IMAGE_H
#include <stdint.h>
#include "error.h"

/* A ComfyUI IMAGE frame (f32 in [0, 1]) as 8 bits, truncating like numpy's astype(uint8)
 * of x * 255 (values outside [0, 1] are clamped first). */
void ltx2_image_to_u8(const float *src, int64_t n, uint8_t *dst);

/* rgb [h][w][3] → out [3][size][size]. */
ltx2_status ltx2_gemma3_image_prep(const uint8_t *rgb, int64_t w, int64_t h, int64_t size, float *out,
                                   ltx2_error *err);

#endif
