/* geometry.h — the latent geometry of a checkpoint's VAEs: how many pixel frames and
 * pixels one video latent cell covers, and how audio latent frames map to seconds.
 * Read once from the checkpoint's `config` (sections "vae" and "audio_vae") by the
 * loaders; a LATENT records the geometry it was made with. */
#ifndef LTX2_COMMON_GEOMETRY_H
#define LTX2_COMMON_GEOMETRY_H
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "object.h"

struct json_object;

typedef struct ltx2_latent_geom {
    int scale_t;    /* pixel frames per latent frame: vae time strides (8) */
    int scale_s;    /* pixels per latent cell: vae patch_size x space strides (32) */
    int audio_rate; /* mel front end sample rate, Hz (16000) */
    int audio_hop;  /* STFT hop, samples per mel frame (160) */
    int audio_down; /* mel frames per audio latent frame: 2^(levels - 1) (4) */
} ltx2_latent_geom;

/* The LTX-2 release geometry: what a config without the keys means. */
#define LTX2_LATENT_GEOM_DEFAULT ((ltx2_latent_geom){8, 32, 16000, 160, 4})

/* Reads the geometry from a checkpoint's config root (NULL: the defaults). A key the
 * config lacks takes its default; a present one out of range is refused naming it. */
ltx2_status ltx2_latent_geom_read(struct json_object *root, ltx2_latent_geom *g, ltx2_error *err);

/* Strides (time, height, width) of a video VAE block named compress_{time,space,all}
 * (with "_res" for encoder blocks when res_suffix); false for any other name. */
bool ltx2_vae_block_stride(const char *name, bool res_suffix, int *st, int *sh, int *sw);

bool ltx2_latent_geom_equal(const ltx2_latent_geom *a, const ltx2_latent_geom *b);

/* Audio latent frames per second: audio_rate / (audio_hop * audio_down). */
double ltx2_latent_geom_audio_fps(const ltx2_latent_geom *g);

/* LATENT metadata: records g as int entries / reads them back (fallback when the
 * LATENT records none; a partial or out-of-range record is refused naming the key). */
ltx2_status ltx2_latent_geom_record(ltx2_object *lat, const ltx2_latent_geom *g);
ltx2_status ltx2_latent_geom_of(const ltx2_object *lat, const ltx2_latent_geom *fallback, ltx2_latent_geom *g,
                                ltx2_error *err);

#endif
