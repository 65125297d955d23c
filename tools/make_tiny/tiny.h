/* tiny.h — the tiny LTX-2 model generator: an in-memory tensor set with seeded
 * initialisers, a safetensors writer, and one builder per release component. */
#ifndef LTX2_TINY_H
#define LTX2_TINY_H
#include <stddef.h>
#include <stdint.h>

#define TINY_MAX_DIMS 5

typedef struct {
    char *name;
    int ndim;
    int64_t shape[TINY_MAX_DIMS];
    float *data; /* written as BF16, like the release files */
} tiny_tensor;

typedef struct {
    tiny_tensor *t;
    size_t n, cap;
    uint64_t seed;
    int failed; /* an allocation failed: the set is unusable */
} tiny_set;

/* SHAPE(a, b, ...) expands to "ndim, (int64_t[]){a, b, ...}". */
#define SHAPE(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__}

void tiny_set_init(tiny_set *s, uint64_t seed);
void tiny_set_free(tiny_set *s);

/* Uniform values of standard deviation gain/sqrt(fan_in); every tensor draws from its
 * own stream, seeded by (seed, name), so the values do not depend on the order. */
void tiny_weight(tiny_set *s, const char *name, double fan_in, double gain, int ndim, const int64_t *shape);
/* Uniform in [center - spread, center + spread]. */
void tiny_around(tiny_set *s, const char *name, double center, double spread, int ndim, const int64_t *shape);
/* 0, 1, 2, ... (the VAE's `channel` buffer). */
void tiny_arange(tiny_set *s, const char *name, int64_t n);

/* "<prefix>.weight" [out, in] (+ "<prefix>.bias" [out] when bias). */
void tiny_linear(tiny_set *s, const char *prefix, int64_t out, int64_t in, int bias);
/* Convolution "<prefix>.weight" [out, in, k...] + bias; dims = 1, 2 or 3. */
void tiny_conv(tiny_set *s, const char *prefix, int64_t out, int64_t in, int64_t k, int dims);

/* Writes tensors [from, to) of the set as a safetensors file (atomically: temp + rename).
 * meta: NULL-terminated key, value, key, value, ... list (may be NULL). Returns 0 or -1
 * with a message in msg. *bytes receives the data size when bytes is not NULL. */
int tiny_write(const tiny_set *s, size_t from, size_t to, const char *path, const char *const *meta, uint64_t *bytes,
               char *msg, size_t msg_len);

/* Component builders (dims in tiny_dims.h). */
typedef struct tiny_dims tiny_dims;
void tiny_build_transformer(tiny_set *s, const tiny_dims *d);
void tiny_build_text_parts(tiny_set *s, const tiny_dims *d); /* connectors + feature projection */
void tiny_build_video_vae(tiny_set *s, const tiny_dims *d);
void tiny_build_audio_vae(tiny_set *s, const tiny_dims *d);
void tiny_build_vocoder(tiny_set *s, const tiny_dims *d);
void tiny_build_upscaler(tiny_set *s, const tiny_dims *d, int temporal);
void tiny_build_gemma(tiny_set *s, const tiny_dims *d);        /* text model + vision tower */
void tiny_build_gemma_vision(tiny_set *s, const tiny_dims *d); /* SigLIP + projector */
void tiny_build_lora(tiny_set *s, const tiny_dims *d);

#endif
