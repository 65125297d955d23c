/* Hostile and careless paths (issue 16): writers refuse devices, FIFOs and links
 * (/dev/null stays a device when run as root); inputs that are FIFOs or devices are
 * refused without blocking (a hang here is the ctest timeout); a PNG declaring a
 * huge image is refused before decoding; stale frames of a longer save go; more
 * frames than the open-file limit; reserved tensor names; a 250-byte file name;
 * folders created for a failed save go again. */
#include <errno.h>
#include <png.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_test_host.h"
#include "object.h"
#include "tensor.h"
#include "text/spm_shim.h"

static ltx2_tensor *frames(int64_t f, int64_t h, int64_t w)
{
    ltx2_tensor *t = ltx2_tensor_new(LTX2_F32, 4, (const int64_t[]){f, h, w, 3});
    for (int64_t i = 0; t && i < f * h * w * 3; i++)
        ltx2_tensor_f32(t)[i] = (float)(i % 7) / 7.0f;
    return t;
}

static ltx2_status save_frames(ltx2_plugin *p, ltx2_tensor *img, const char *prefix, test_ctx *tc)
{
    th_ctx_init(tc, "SaveVideoFrames");
    const char *names[] = {"images", "filename_prefix"};
    ltx2_value vals[] = {{.kind = LTX2_V_TENSOR, .u.t = img}, th_str(prefix)};
    return th_run(p, th_type(p, "SaveVideoFrames"), tc, names, vals, 2, NULL);
}

static ltx2_status save_tensor(ltx2_plugin *p, const char *path, const char *name, ltx2_tensor *t,
                               test_ctx *tc)
{
    th_ctx_init(tc, "SaveTensors");
    const char *names[] = {"path", "name_1", "value_1"};
    ltx2_value vals[] = {th_str(path), th_str(name), {.kind = LTX2_V_TENSOR, .u.t = t}};
    return th_run(p, th_type(p, "SaveTensors"), tc, names, vals, 3, NULL);
}

static ltx2_status load_one(ltx2_plugin *p, const char *class_type, const char *input,
                            const char *path, test_ctx *tc)
{
    th_ctx_init(tc, class_type);
    ltx2_value out[2] = {0};
    const char *names[] = {input};
    ltx2_value vals[] = {th_str(path)};
    ltx2_status st = th_run(p, th_type(p, class_type), tc, names, vals, 1, out);
    for (int i = 0; i < 2; i++)
        if (out[i].kind == LTX2_V_TENSOR)
            ltx2_tensor_release(out[i].u.t);
        else if (out[i].kind == LTX2_V_OBJECT)
            ltx2_object_release(out[i].u.o);
    return st;
}

/* A 1-bit grey PNG of w x h zero pixels: a few KB that would decode to w*h*12 bytes. */
static int write_bomb(const char *path, uint32_t w, uint32_t h)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *row = calloc(w / 8 + 1, 1);
    int ok = f && png && info && row && !setjmp(png_jmpbuf(png));
    if (ok) {
        png_init_io(png, f);
        png_set_IHDR(png, info, w, h, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, row);
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(&png, &info);
    free(row);
    if (f)
        fclose(f);
    return ok;
}

static int is_char_device(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISCHR(sb.st_mode);
}

int main(void)
{
    ltx2_plugin *p = th_load();
    if (!p)
        return 1;
    char dir[] = "/tmp/ltx2_io_hostileXXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char path[1024], prefix[1024];
    test_ctx tc;
    ltx2_tensor *small = ltx2_tensor_new(LTX2_F32, 1, (const int64_t[]){4});
    for (int i = 0; i < 4; i++)
        ltx2_tensor_f32(small)[i] = (float)i;

    /* ---- writers onto special files ---- */
    if (geteuid() == 0) { /* only root could replace /dev/null */
        CHECK(save_tensor(p, "/dev/null", "x", small, &tc) == LTX2_ERR_BAD_INPUT &&
                  strstr(tc.err_msg, "character device"),
              "SaveTensors onto /dev/null: %s", tc.err_msg);
        CHECK(is_char_device("/dev/null"), "/dev/null is no longer a device");
        th_ctx_init(&tc, "LTX2SaveText");
        const char *names[] = {"value", "path"};
        ltx2_value vals[] = {th_str("hi"), th_str("/dev/null")};
        CHECK(th_run(p, th_type(p, "LTX2SaveText"), &tc, names, vals, 2, NULL) != LTX2_OK &&
                  !strcmp(tc.err_input, "path"),
              "SaveText onto /dev/null: %s", tc.err_msg);
        CHECK(is_char_device("/dev/null"), "/dev/null is no longer a device");
    }
    snprintf(path, sizeof path, "%s/pipe.safetensors", dir);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    CHECK(save_tensor(p, path, "x", small, &tc) != LTX2_OK && strstr(tc.err_msg, "FIFO"),
          "SaveTensors onto a FIFO: %s", tc.err_msg);
    /* the same FIFO as an input: refused at once, not a blocked open() */
    CHECK(load_one(p, "LoadTensors", "path", path, &tc) != LTX2_OK && strstr(tc.err_msg, "FIFO") &&
              !strcmp(tc.err_input, "path"),
          "LoadTensors of a FIFO: %s", tc.err_msg);
    snprintf(path, sizeof path, "%s/pipe.png", dir);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    CHECK(load_one(p, "LoadImage", "image", path, &tc) != LTX2_OK && strstr(tc.err_msg, "FIFO"),
          "LoadImage of a FIFO: %s", tc.err_msg);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    CHECK(load_one(p, "LoadTensors", "path", path, &tc) != LTX2_OK && strstr(tc.err_msg, "FIFO"),
          "index given as a FIFO: %s", tc.err_msg);
    CHECK(load_one(p, "LoadTensors", "path", "/dev/zero", &tc) != LTX2_OK &&
              strstr(tc.err_msg, "character device"),
          "LoadTensors of /dev/zero: %s", tc.err_msg);

    /* the tokenizer: a device, a FIFO or a file far too large is refused before reading */
    {
        char msg[256] = "";
        CHECK(!ltx2_spm_load("/dev/zero", msg, sizeof msg) && strstr(msg, "character device"),
              "tokenizer /dev/zero: %s", msg);
        snprintf(path, sizeof path, "%s/pipe.model", dir);
        CHECK(mkfifo(path, 0600) == 0, "mkfifo");
        CHECK(!ltx2_spm_load(path, msg, sizeof msg) && strstr(msg, "FIFO"), "tokenizer FIFO: %s", msg);
        snprintf(path, sizeof path, "%s/huge.model", dir); /* sparse: no disk used */
        FILE *hf = fopen(path, "wb");
        CHECK(hf && ftruncate(fileno(hf), (off_t)1 << 32) == 0, "sparse file");
        if (hf)
            fclose(hf);
        CHECK(!ltx2_spm_load(path, msg, sizeof msg) && strstr(msg, "limit"), "4 GiB tokenizer: %s", msg);
        unlink(path);
    }

    /* a symbolic link destination is refused, its target untouched */
    snprintf(path, sizeof path, "%s/real.safetensors", dir);
    CHECK(save_tensor(p, path, "x", small, &tc) == LTX2_OK, "plain save: %s", tc.err_msg);
    snprintf(prefix, sizeof prefix, "%s/link.safetensors", dir);
    CHECK(symlink(path, prefix) == 0, "symlink");
    CHECK(save_tensor(p, prefix, "y", small, &tc) != LTX2_OK && strstr(tc.err_msg, "symbolic link"),
          "SaveTensors onto a symlink: %s", tc.err_msg);
    struct stat sb;
    CHECK(lstat(prefix, &sb) == 0 && S_ISLNK(sb.st_mode), "the link was replaced");

    /* ---- reserved names (LoadTensors refuses them) ---- */
    snprintf(path, sizeof path, "%s/reserved.safetensors", dir);
    const char *reserved[] = {"__metadata__", "__x", ""};
    for (int i = 0; i < 3; i++) {
        ltx2_object *bag = ltx2_object_new("TENSORS");
        ltx2_object_set_tensor(bag, reserved[i], small);
        th_ctx_init(&tc, "SaveTensors");
        const char *names[] = {"path", "tensors"};
        ltx2_value vals[] = {th_str(path), {.kind = LTX2_V_OBJECT, .u.o = bag}};
        ltx2_status st = th_run(p, th_type(p, "SaveTensors"), &tc, names, vals, 2, NULL);
        CHECK(st == LTX2_ERR_BAD_INPUT && strstr(tc.err_msg, "reserved"), "name '%s': %d %s",
              reserved[i], st, tc.err_msg);
        ltx2_object_release(bag);
    }
    CHECK(save_tensor(p, path, "__y", small, &tc) != LTX2_OK, "name_1 '__y' accepted");
    CHECK(access(path, F_OK) != 0, "a file with a reserved name was written");
    CHECK(save_tensor(p, path, "_ok", small, &tc) == LTX2_OK &&
              load_one(p, "LoadTensors", "path", path, &tc) == LTX2_OK,
          "'_ok' round trip: %s", tc.err_msg);

    /* ---- a legal 250-byte file name (the temp suffix must not push it past NAME_MAX) ---- */
    char base[251];
    memset(base, 'n', 250);
    memcpy(base + 250 - 12, ".safetensors", 12);
    base[250] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, base);
    CHECK(save_tensor(p, path, "x", small, &tc) == LTX2_OK && access(path, F_OK) == 0,
          "250-byte name: %s", tc.err_msg);

    /* ---- PNG bomb: 16384 x 16384 declared in a few KB ---- */
    snprintf(path, sizeof path, "%s/bomb.png", dir);
    CHECK(write_bomb(path, 16384, 16384), "writing the bomb");
    CHECK(load_one(p, "LoadImage", "image", path, &tc) == LTX2_ERR_UNSUPPORTED &&
              strstr(tc.err_msg, "LTX2_MAX_IMAGE_PIXELS"),
          "PNG bomb: %s", tc.err_msg);
    snprintf(path, sizeof path, "%s/small.png", dir);
    CHECK(write_bomb(path, 64, 64), "writing a small png");
    setenv("LTX2_MAX_IMAGE_PIXELS", "4000", 1);
    CHECK(load_one(p, "LoadImage", "image", path, &tc) == LTX2_ERR_UNSUPPORTED, "limit lowered: %s",
          tc.err_msg);
    setenv("LTX2_MAX_IMAGE_PIXELS", "4096", 1);
    CHECK(load_one(p, "LoadImage", "image", path, &tc) == LTX2_OK, "limit met: %s", tc.err_msg);
    unsetenv("LTX2_MAX_IMAGE_PIXELS");

    /* ---- stale frames: 5 frames, then 3 under the same prefix → exactly 3 ---- */
    snprintf(prefix, sizeof prefix, "%s/clip/f", dir);
    ltx2_tensor *five = frames(5, 4, 4), *three = frames(3, 4, 4);
    CHECK(save_frames(p, five, prefix, &tc) == LTX2_OK, "5 frames: %s", tc.err_msg);
    snprintf(path, sizeof path, "%s/clip/other_00009.png", dir); /* another prefix: kept */
    FILE *keep = fopen(path, "w");
    if (keep)
        fclose(keep);
    CHECK(save_frames(p, three, prefix, &tc) == LTX2_OK, "3 frames: %s", tc.err_msg);
    snprintf(path, sizeof path, "%s/clip", dir);
    CHECK(th_count_files(path, "f_0000") == 3 && th_count_files(path, "f_contact") == 1 &&
              th_count_files(path, "other_") == 1 && th_count_files(path, NULL) == 5,
          "after the shorter save: %d frames, %d files", th_count_files(path, "f_0000"),
          th_count_files(path, NULL));
    snprintf(path, sizeof path, "%s/clip/f_00004.png", dir);
    CHECK(access(path, F_OK) != 0, "stale frame 4 left behind");

    /* ---- more frames than the open-file limit ---- */
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = 24;
    ltx2_tensor *many = frames(64, 2, 2);
    snprintf(prefix, sizeof prefix, "%s/many/f", dir);
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit");
    ltx2_status st = save_frames(p, many, prefix, &tc);
    setrlimit(RLIMIT_NOFILE, &old);
    snprintf(path, sizeof path, "%s/many", dir);
    CHECK(st == LTX2_OK && th_count_files(path, ".png") == 65, "64 frames with 24 fds: %s (%d files)",
          tc.err_msg, th_count_files(path, NULL));

    /* ---- a failed save removes the folders it created ---- */
    snprintf(prefix, sizeof prefix, "%s/new/deeper/f", dir);
    th_ctx_init(&tc, "SaveVideoFrames");
    tc.cancel_after = 2;
    {
        const char *names[] = {"images", "filename_prefix"};
        ltx2_value vals[] = {{.kind = LTX2_V_TENSOR, .u.t = five}, th_str(prefix)};
        st = th_run(p, th_type(p, "SaveVideoFrames"), &tc, names, vals, 2, NULL);
    }
    snprintf(path, sizeof path, "%s/new", dir);
    CHECK(st == LTX2_CANCELLED && access(path, F_OK) != 0, "cancelled save left %s behind", path);

    ltx2_tensor_release(five);
    ltx2_tensor_release(three);
    ltx2_tensor_release(many);
    ltx2_tensor_release(small);
    th_rmtree(dir);
    p->unload(p);
    if (g_failures)
        fprintf(stderr, "%d check(s) failed\n", g_failures);
    return g_failures ? 1 : 0;
}
