/* tiny_config.h — JSON texts of the tiny model set (caller frees). */
#ifndef LTX2_TINY_CONFIG_H
#define LTX2_TINY_CONFIG_H
#include "tiny_dims.h"

char *tiny_checkpoint_config(const tiny_dims *d);
char *tiny_upscaler_config(const tiny_dims *d, int temporal);
char *tiny_gemma_config(const tiny_dims *d);

#endif
