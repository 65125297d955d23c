/* Latent geometry from a checkpoint's config: a tiny checkpoint whose config gives other
 * VAE compressions and another audio front end yields a transformer config whose
 * positions, audio latent count and token sequences follow that geometry; a config
 * without the keys means the LTX-2 geometry; invalid values are refused naming the key. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_internal.h"
#include "sampler/latent.h"
#include "store/store.h"
#include "transformer/transformer.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

/* The transformer config of a one-tensor checkpoint with config metadata `config`. */
static ltx2_status dit_config_of(const char *config, ltx2_dit_config *cfg, ltx2_error *err)
{
    char path[] = "/tmp/ltx2_geom_XXXXXX";
    const int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) return ltx2_err(err, LTX2_ERR_IO, "cannot create %s", path);
    json_object *meta = json_object_new_object();
    json_object_object_add(meta, "config", json_object_new_string(config));
    ltx2_tensor *w = ltx2_tensor_zeros(LTX2_F32, 2, (const int64_t[]){4, 4});
    const char *name = LTX2_DIT_PREFIX "patchify_proj.weight";
    ltx2_status s = io_st_write(f, &name, &w, 1, json_object_to_json_string(meta), err);
    fclose(f);
    ltx2_tensor_release(w);
    json_object_put(meta);
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *ck = NULL;
    bool present = false;
    if (s == LTX2_OK) s = ltx2_checkpoint_open(store, path, &ck, err);
    if (s == LTX2_OK) s = ltx2_dit_config_read(ck, cfg, &present, err);
    if (s == LTX2_OK && !present) s = ltx2_err(err, LTX2_ERR_BAD_INPUT, "no transformer");
    ltx2_checkpoint_release(ck);
    ltx2_store_free(store);
    unlink(path);
    return s;
}

/* Video positions of a 2x2x2 grid at fps 1 follow the scales of g. */
static void check_video_positions(const ltx2_latent_geom *g)
{
    float pos[3 * 8 * 2];
    ltx2_dit_video_positions(g, 2, 2, 2, 1.0, false, pos);
    const int64_t last = 7; /* token (1, 1, 1) */
    CHECK(pos[2 * last] == (float)g->scale_t && pos[2 * last + 1] == (float)(2 * g->scale_t), "time bounds");
    CHECK(pos[16 + 2 * last] == (float)g->scale_s && pos[16 + 2 * last + 1] == (float)(2 * g->scale_s),
          "y bounds %g %g (scale %d)", pos[16 + 2 * last], pos[16 + 2 * last + 1], g->scale_s);
    CHECK(pos[32 + 2 * last + 1] == (float)(2 * g->scale_s), "x bound");
}

static void check_audio_positions(const ltx2_latent_geom *g)
{
    float pos[2 * 3];
    ltx2_dit_audio_positions(g, 3, pos);
    const double sec = (double)g->audio_hop / g->audio_rate;
    CHECK(pos[0] == 0.0f, "first audio token starts at 0");
    for (int i = 0; i < 3; i++)
        CHECK(fabs(pos[2 * i + 1] - ((i + 1) * g->audio_down + 1 - g->audio_down) * sec) < 1e-6,
              "audio token %d ends at %g", i, pos[2 * i + 1]);
}

static void check_refused(const char *config, const char *key)
{
    ltx2_dit_config cfg;
    ltx2_error err = {0};
    const ltx2_status s = dit_config_of(config, &cfg, &err);
    CHECK(s == LTX2_ERR_BAD_INPUT && strstr(err.msg, key), "%s: status %d, '%s' does not name %s", config, s,
          err.msg, key);
}

int main(void)
{
    const ltx2_latent_geom def = LTX2_LATENT_GEOM_DEFAULT;
    ltx2_dit_config cfg;
    ltx2_error err = {0};

    /* No VAE sections: the LTX-2 geometry; its audio latent rate is 25 per second. */
    CHECK(dit_config_of("{\"transformer\": {}}", &cfg, &err) == LTX2_OK, "%s", err.msg);
    CHECK(ltx2_latent_geom_equal(&cfg.geom, &def), "defaults");
    CHECK(ltx2_latent_geom_audio_fps(&def) == 16000.0 / 160.0 / 4.0, "25 audio latents per second");

    /* The release block lists (spec §1) give the same geometry as the defaults. */
    CHECK(dit_config_of("{\"transformer\": {}, \"vae\": {\"patch_size\": 4, \"encoder_blocks\": ["
                        "[\"res_x\", {\"num_layers\": 4}], [\"compress_space_res\", {\"multiplier\": 2}],"
                        "[\"res_x\", {\"num_layers\": 6}], [\"compress_time_res\", {\"multiplier\": 2}],"
                        "[\"res_x\", {\"num_layers\": 6}], [\"compress_all_res\", {\"multiplier\": 2}],"
                        "[\"res_x\", {\"num_layers\": 2}], [\"compress_all_res\", {\"multiplier\": 2}]]},"
                        "\"audio_vae\": {\"model\": {\"params\": {\"sampling_rate\": 16000, \"ddconfig\":"
                        "{\"ch_mult\": [1, 2, 4]}}}, \"preprocessing\": {\"stft\": {\"hop_length\": 160}}}}",
                        &cfg, &err) == LTX2_OK, "%s", err.msg);
    CHECK(ltx2_latent_geom_equal(&cfg.geom, &def), "release config: %d %d %d %d %d", cfg.geom.scale_t,
          cfg.geom.scale_s, cfg.geom.audio_rate, cfg.geom.audio_hop, cfg.geom.audio_down);

    /* Another geometry: patch 2, one space and one time x2 (decoder names), 24 kHz, hop
     * 320, two audio levels. */
    CHECK(dit_config_of("{\"transformer\": {}, \"vae\": {\"patch_size\": 2, \"decoder_blocks\": ["
                        "[\"res_x\", {\"num_layers\": 1}], [\"compress_space\", {\"multiplier\": 1}],"
                        "[\"compress_time\", {\"multiplier\": 1}]]},"
                        "\"audio_vae\": {\"model\": {\"params\": {\"sampling_rate\": 24000, \"ddconfig\":"
                        "{\"ch_mult\": [1, 2]}}}, \"preprocessing\": {\"stft\": {\"hop_length\": 320}}}}",
                        &cfg, &err) == LTX2_OK, "%s", err.msg);
    const ltx2_latent_geom g = cfg.geom;
    CHECK(g.scale_t == 2 && g.scale_s == 2 * 2 && g.audio_rate == 24000 && g.audio_hop == 320 &&
              g.audio_down == 2, "edited: %d %d %d %d %d", g.scale_t, g.scale_s, g.audio_rate, g.audio_hop,
          g.audio_down);
    check_video_positions(&g);
    check_video_positions(&def);
    check_audio_positions(&g);
    check_audio_positions(&def);
    /* 121 frames at 24 fps: round(121 / 24 * 24000 / 320 / 2) audio latent frames. */
    CHECK(ltx2_audio_latent_frames(121, 24.0, &g) == (int64_t)nearbyint(121.0 / 24.0 * 37.5),
          "audio latent count at 37.5/s: %lld", (long long)ltx2_audio_latent_frames(121, 24.0, &g));
    CHECK(ltx2_audio_latent_frames(121, 24.0, &g) != ltx2_audio_latent_frames(121, 24.0, &def),
          "the count follows the geometry");

    /* A LATENT records its geometry; the sequence positions use the one given. */
    ltx2_object *lat = ltx2_object_new("LATENT");
    ltx2_tensor *v = ltx2_tensor_zeros(LTX2_F32, 5, (const int64_t[]){1, 2, 2, 2, 2});
    ltx2_object_set_tensor(lat, LTX2_LAT_VIDEO, v);
    ltx2_tensor_release(v);
    ltx2_object_set_float(lat, LTX2_LAT_FPS, 1.0);
    ltx2_latent_geom back;
    CHECK(ltx2_latent_geom_of(lat, &def, &back, &err) == LTX2_OK && ltx2_latent_geom_equal(&back, &def),
          "no record: the fallback");
    CHECK(ltx2_latent_geom_record(lat, &g) == LTX2_OK, "record");
    CHECK(ltx2_latent_geom_of(lat, &def, &back, &err) == LTX2_OK && ltx2_latent_geom_equal(&back, &g),
          "recorded geometry read back");
    const kctx kc = kctx_default(NULL);
    ltx2_seq s = {0};
    CHECK(ltx2_seq_video(&kc, lat, &g, &s, &err) == LTX2_OK, "%s", err.msg);
    if (s.pos) /* causal: the last token's x bound is 2 cells of scale_s */
        CHECK(s.pos[4 * s.n + 2 * (s.n - 1) + 1] == (float)(2 * g.scale_s), "sequence x bound %g",
              s.pos[4 * s.n + 2 * (s.n - 1) + 1]);
    ltx2_seq_free(&s);
    ltx2_object_set_int(lat, "geom_audio_hop", 0);
    CHECK(ltx2_latent_geom_of(lat, &def, &back, &err) == LTX2_ERR_BAD_INPUT && strstr(err.msg, "geom_audio_hop"),
          "bad record refused: %s", err.msg);
    ltx2_object_release(lat);

    /* Invalid values: 0, negative, huge, wrong type; each refused naming its key. */
    check_refused("{\"transformer\": {}, \"vae\": {\"patch_size\": 0}}", "vae.patch_size");
    check_refused("{\"transformer\": {}, \"vae\": {\"patch_size\": -4}}", "vae.patch_size");
    check_refused("{\"transformer\": {}, \"vae\": {\"patch_size\": 4000000000}}", "vae.patch_size");
    check_refused("{\"transformer\": {}, \"vae\": {\"encoder_blocks\": [17]}}", "vae.encoder_blocks[0]");
    check_refused("{\"transformer\": {}, \"audio_vae\": {\"model\": {\"params\": {\"sampling_rate\": 0}}}}",
                  "audio_vae.model.params.sampling_rate");
    check_refused("{\"transformer\": {}, \"audio_vae\": {\"model\": {\"params\": {\"sampling_rate\": 1e12}}}}",
                  "audio_vae.model.params.sampling_rate");
    check_refused("{\"transformer\": {}, \"audio_vae\": {\"preprocessing\": {\"stft\": {\"hop_length\": -160}}}}",
                  "audio_vae.preprocessing.stft.hop_length");
    check_refused("{\"transformer\": {}, \"audio_vae\": {\"preprocessing\": {\"stft\": {\"hop_length\": \"x\"}}}}",
                  "audio_vae.preprocessing.stft.hop_length");
    check_refused("{\"transformer\": {}, \"audio_vae\": {\"model\": {\"params\": {\"ddconfig\": "
                  "{\"ch_mult\": []}}}}}",
                  "audio_vae.model.params.ddconfig.ch_mult");

    if (failures) printf("%d failure(s)\n", failures);
    else printf("geometry: ok\n");
    return failures ? 1 : 0;
}
