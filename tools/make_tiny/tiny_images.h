/* tiny_images.h — sample input pictures for the image examples. */
#ifndef LTX2_TINY_IMAGES_H
#define LTX2_TINY_IMAGES_H

/* Writes DIR/start.png and DIR/end.png (320 × 200 RGB). Returns 0 or -1. */
int tiny_write_images(const char *dir);

#endif
