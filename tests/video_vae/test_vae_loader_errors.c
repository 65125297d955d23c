/* Missing or misshapen weights are errors naming the key (the reference silently skips
 * them). Writes edited copies of the plain decoder / spatial upsampler fixture files
 * (same data, edited header) to a temp folder. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "upscaler/upscaler_model.h"
#include "video_vae/vae_model.h"

static int failures;

/* Copies src to dst with tensor `key` removed (shape == NULL) or given a new shape of
 * the same element count. */
static int edit_copy(const char *src, const char *dst, const char *key, const char *shape_json)
{
    FILE *f = fopen(src, "rb");
    if (!f) return 0;
    uint64_t n;
    if (fread(&n, 8, 1, f) != 1) return fclose(f), 0;
    char *hdr = malloc(n + 1);
    if (fread(hdr, 1, n, f) != n) return free(hdr), fclose(f), 0;
    hdr[n] = 0;
    json_object *h = json_tokener_parse(hdr);
    free(hdr);
    if (!h) return fclose(f), 0;
    if (!shape_json) {
        json_object_object_del(h, key);
    } else {
        json_object *t = NULL;
        if (!json_object_object_get_ex(h, key, &t)) return json_object_put(h), fclose(f), 0;
        json_object_object_add(t, "shape", json_tokener_parse(shape_json));
    }
    const char *txt = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN);
    uint64_t m = strlen(txt), pad = (8 - m % 8) % 8, mm = m + pad;
    FILE *o = fopen(dst, "wb");
    int ok = o != NULL;
    if (ok) {
        fwrite(&mm, 8, 1, o);
        fwrite(txt, 1, m, o);
        for (uint64_t i = 0; i < pad; i++) fputc(' ', o);
        char buf[65536];
        size_t r;
        while ((r = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, r, o);
        fclose(o);
    }
    json_object_put(h);
    fclose(f);
    return ok;
}

static void expect_vae_error(const char *dir, const char *tmp, const char *key, const char *shape)
{
    char src[1024], dst[1200];
    snprintf(src, sizeof src, "%s/video_vae_decoder_plain.weights.safetensors", dir);
    snprintf(dst, sizeof dst, "%s/edited_vae.safetensors", tmp);
    if (!edit_copy(src, dst, key, shape)) {
        printf("FAIL: could not write %s\n", dst);
        failures++;
        return;
    }
    ltx2_store *s = ltx2_store_new();
    ltx2_checkpoint *ck = NULL;
    ltx2_video_vae *v = NULL;
    ltx2_error err = {0};
    ltx2_status st = ltx2_checkpoint_open(s, dst, &ck, &err);
    if (st == LTX2_OK) st = ltx2_video_vae_build(ck, &v, &err);
    int ok = st != LTX2_OK && !v && strstr(err.msg, key);
    printf("%s %s %s: %s\n", ok ? "ok  " : "FAIL", shape ? "misshapen" : "missing", key, err.msg);
    failures += !ok;
    ltx2_video_vae_free(v);
    ltx2_checkpoint_release(ck);
    ltx2_store_free(s);
    unlink(dst);
}

static void expect_upscaler_error(const char *dir, const char *tmp, const char *key)
{
    char src[1024], dst[1200];
    snprintf(src, sizeof src, "%s/spatial_upsampler.weights.safetensors", dir);
    snprintf(dst, sizeof dst, "%s/edited_up.safetensors", tmp);
    if (!edit_copy(src, dst, key, NULL)) {
        printf("FAIL: could not write %s\n", dst);
        failures++;
        return;
    }
    ltx2_store *s = ltx2_store_new();
    ltx2_checkpoint *ck = NULL;
    ltx2_upscaler *u = NULL;
    ltx2_error err = {0};
    ltx2_status st = ltx2_checkpoint_open(s, dst, &ck, &err);
    if (st == LTX2_OK) st = ltx2_upscaler_build(ck, &u, &err);
    int ok = st != LTX2_OK && !u && strstr(err.msg, key);
    printf("%s upscaler missing %s: %s\n", ok ? "ok  " : "FAIL", key, err.msg);
    failures += !ok;
    ltx2_upscaler_free(u);
    ltx2_checkpoint_release(ck);
    ltx2_store_free(s);
    unlink(dst);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    char tmp[] = "/tmp/ltx2_vae_errXXXXXX";
    if (!mkdtemp(tmp)) return 2;
    expect_vae_error(argv[1], tmp, "vae.decoder.up_blocks.2.res_blocks.0.conv2.conv.weight", NULL);
    expect_vae_error(argv[1], tmp, "vae.decoder.conv_out.conv.bias", NULL);
    expect_vae_error(argv[1], tmp, "vae.per_channel_statistics.std-of-means", NULL);
    expect_vae_error(argv[1], tmp, "vae.decoder.up_blocks.3.conv.conv.weight", "[128,32,9,3,1]");
    expect_upscaler_error(argv[1], tmp, "post_upsample_res_blocks.3.norm2.bias");
    expect_upscaler_error(argv[1], tmp, "upsampler.0.weight");
    rmdir(tmp);
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
