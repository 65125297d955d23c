/* PNG round trip (LoadImage ∘ SaveImage within 1/255), SaveVideoFrames with its
 * contact sheet, 16-bit grey+alpha and palette PNGs normalised, cancellation and
 * failures leaving no file. */
#include <math.h>
#include <png.h>
#include <unistd.h>
#include "io_test_host.h"

static ltx2_tensor *random_image(const ltx2_plugin *p, int64_t F, int64_t H, int64_t W, unsigned seed)
{
    int64_t n = F * H * W * 3;
    float *x = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (float)((seed >> 8) & 0xffff) / 65535.0f * 1.2f - 0.1f; /* a little out of range */
    }
    ltx2_tensor *t = NULL;
    p->tensor_create(LTX2_F32, 4, (const int64_t[]){F, H, W, 3}, x, &t);
    free(x);
    return t;
}

static ltx2_tensor *load_png(const ltx2_plugin *p, const char *path)
{
    const ltx2_node_type *t = th_type(p, "LoadImage");
    test_ctx tc;
    th_ctx_init(&tc, "LoadImage");
    ltx2_value out[1] = {0};
    const char *names[] = {"image"};
    ltx2_value vals[] = {th_str(path)};
    ltx2_status st = th_run(p, t, &tc, names, vals, 1, out);
    CHECK(st == LTX2_OK && out[0].kind == LTX2_V_TENSOR, "LoadImage %s: %s", path, tc.err_msg);
    return st == LTX2_OK ? out[0].u.t : NULL;
}

/* Writes a PNG with libpng directly (colour type / depth under test). */
static void write_png(const char *path, int w, int h, int color, int depth, const uint8_t *rows_data,
                      size_t rowbytes, const png_color *palette, int n_palette)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, PNG_INTERLACE_ADAM7,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(png, info, palette, n_palette);
    png_write_info(png, info);
    png_set_interlace_handling(png);
    for (int pass = 0; pass < 7; pass++)
        for (int y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)(rows_data + (size_t)y * rowbytes));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

int main(void)
{
    ltx2_plugin *p = th_load();
    if (!p)
        return 1;
    char dir[] = "/tmp/ltx2_io_imageXXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char prefix[512], path[600];

    /* SaveImage → LoadImage, into folders that do not exist yet. */
    ltx2_tensor *img = random_image(p, 2, 5, 7, 1);
    snprintf(prefix, sizeof prefix, "%s/a/b/frame", dir);
    {
        test_ctx tc;
        th_ctx_init(&tc, "SaveImage");
        const char *names[] = {"images", "filename_prefix"};
        ltx2_value vals[] = {{.kind = LTX2_V_TENSOR, .u.t = img}, th_str(prefix)};
        ltx2_status st = th_run(p, th_type(p, "SaveImage"), &tc, names, vals, 2, NULL);
        CHECK(st == LTX2_OK, "SaveImage: %s", tc.err_msg);
    }
    ltx2_tensor_desc d = {.struct_size = sizeof d};
    p->tensor_describe(img, &d);
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s_%05d.png", prefix, k + 1);
        ltx2_tensor *back = load_png(p, path);
        if (!back)
            continue;
        ltx2_tensor_desc b = {.struct_size = sizeof b};
        p->tensor_describe(back, &b);
        CHECK(b.ndim == 4 && b.shape[0] == 1 && b.shape[1] == 5 && b.shape[2] == 7 && b.shape[3] == 3,
              "loaded shape");
        const float *src = (const float *)d.data + k * 5 * 7 * 3, *got = b.data;
        double worst = 0;
        for (int i = 0; i < 5 * 7 * 3; i++) {
            float want = src[i] < 0 ? 0 : src[i] > 1 ? 1 : src[i];
            worst = fmax(worst, fabs(got[i] - want));
        }
        CHECK(worst <= 0.5 / 255 + 1e-6, "frame %d: round trip error %g > 1/510", k, worst);
        p->tensor_release(back);
    }
    snprintf(path, sizeof path, "%s/a/b", dir);
    CHECK(th_count_files(path, NULL) == 2 && th_count_files(path, ".tmp") == 0,
          "exactly the two frames in %s", path);

    /* SaveVideoFrames: frames + contact sheet (3 frames → 2x2 grid of 7x5 thumbs). */
    ltx2_tensor *vid = random_image(p, 3, 5, 7, 2);
    snprintf(prefix, sizeof prefix, "%s/v/clip", dir);
    {
        test_ctx tc;
        th_ctx_init(&tc, "SaveVideoFrames");
        const char *names[] = {"images", "filename_prefix", "fps"};
        ltx2_value vals[] = {{.kind = LTX2_V_TENSOR, .u.t = vid}, th_str(prefix),
                             {.kind = LTX2_V_FLOAT, .u.f = 24.0}};
        ltx2_status st = th_run(p, th_type(p, "SaveVideoFrames"), &tc, names, vals, 3, NULL);
        CHECK(st == LTX2_OK, "SaveVideoFrames: %s", tc.err_msg);
        snprintf(path, sizeof path, "%s_contact.png", prefix);
        ltx2_tensor *sheet = load_png(p, path);
        if (sheet) {
            ltx2_tensor_desc s = {.struct_size = sizeof s}, v = {.struct_size = sizeof v};
            p->tensor_describe(sheet, &s);
            p->tensor_describe(vid, &v);
            CHECK(s.shape[1] == 10 && s.shape[2] == 14, "contact sheet %lldx%lld", (long long)s.shape[2],
                  (long long)s.shape[1]);
            /* Frame 2 sits bottom-left at full scale. */
            const float *f2 = (const float *)v.data + 2 * 5 * 7 * 3, *sp = s.data;
            float want = f2[(4 * 7 + 6) * 3 + 1];
            want = want < 0 ? 0 : want > 1 ? 1 : want;
            CHECK(fabsf(sp[((5 + 4) * 14 + 6) * 3 + 1] - want) <= 0.5f / 255 + 1e-6f, "sheet pixel");
            p->tensor_release(sheet);
        }
        snprintf(path, sizeof path, "%s/v", dir);
        CHECK(th_count_files(path, NULL) == 4, "3 frames + contact sheet");
    }

    /* Cancelled after the first frame: no file at all. */
    snprintf(prefix, sizeof prefix, "%s/cancel/clip", dir);
    {
        test_ctx tc;
        th_ctx_init(&tc, "SaveVideoFrames");
        tc.cancel_after = 2;
        const char *names[] = {"images", "filename_prefix"};
        ltx2_value vals[] = {{.kind = LTX2_V_TENSOR, .u.t = vid}, th_str(prefix)};
        ltx2_status st = th_run(p, th_type(p, "SaveVideoFrames"), &tc, names, vals, 2, NULL);
        CHECK(st == LTX2_CANCELLED, "cancel: status %d", st);
        snprintf(path, sizeof path, "%s/cancel", dir);
        CHECK(th_count_files(path, NULL) == 0, "cancelled run left files in %s", path);
    }

    /* A prefix whose folder is a file: error names filename_prefix, nothing written. */
    snprintf(path, sizeof path, "%s/blocker", dir);
    FILE *bf = fopen(path, "w");
    if (bf)
        fclose(bf);
    snprintf(prefix, sizeof prefix, "%s/blocker/x", dir);
    {
        test_ctx tc;
        th_ctx_init(&tc, "SaveImage");
        const char *names[] = {"images", "filename_prefix"};
        ltx2_value vals[] = {{.kind = LTX2_V_TENSOR, .u.t = img}, th_str(prefix)};
        ltx2_status st = th_run(p, th_type(p, "SaveImage"), &tc, names, vals, 2, NULL);
        CHECK(st != LTX2_OK && !strcmp(tc.err_input, "filename_prefix"), "blocked prefix: %d %s %s", st,
              tc.err_input, tc.err_msg);
    }

    /* Other colour types: 16-bit grey + alpha (Adam7), 2-bit palette. */
    {
        uint8_t ga[3][4 * 4]; /* 3 rows x 4 px x (gray16, alpha16) */
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++) {
                unsigned g = (unsigned)(x * 20000 + y * 1000);
                uint8_t *px = &ga[y][x * 4];
                px[0] = (uint8_t)(g >> 8), px[1] = (uint8_t)g, px[2] = 0x12, px[3] = 0x34;
            }
        snprintf(path, sizeof path, "%s/ga16.png", dir);
        write_png(path, 4, 3, PNG_COLOR_TYPE_GRAY_ALPHA, 16, &ga[0][0], 16, NULL, 0);
        ltx2_tensor *t = load_png(p, path);
        if (t) {
            ltx2_tensor_desc b = {.struct_size = sizeof b};
            p->tensor_describe(t, &b);
            const float *v = b.data;
            float want = (float)(3 * 20000 + 2 * 1000) / 65535.0f;
            CHECK(b.shape[1] == 3 && b.shape[2] == 4 && fabsf(v[(2 * 4 + 3) * 3 + 2] - want) < 1e-6f,
                  "gray16 pixel %g vs %g", (double)v[(2 * 4 + 3) * 3 + 2], (double)want);
            p->tensor_release(t);
        }
        png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 128, 0}, {10, 20, 30}};
        uint8_t rows[2][1] = {{0x1b}, {0xe4}}; /* 2-bit indices 0,1,2,3 and 3,2,1,0 */
        snprintf(path, sizeof path, "%s/pal.png", dir);
        write_png(path, 4, 2, PNG_COLOR_TYPE_PALETTE, 2, &rows[0][0], 1, pal, 4);
        t = load_png(p, path);
        if (t) {
            ltx2_tensor_desc b = {.struct_size = sizeof b};
            p->tensor_describe(t, &b);
            const float *v = b.data;
            CHECK(fabsf(v[3 * 3 + 2] - 30.0f / 255) < 1e-6f && fabsf(v[(4 + 1) * 3 + 1] - 128.0f / 255) < 1e-6f,
                  "palette pixels");
            p->tensor_release(t);
        }
    }

    /* Missing file: the error names `image`. */
    {
        test_ctx tc;
        th_ctx_init(&tc, "LoadImage");
        ltx2_value out[1] = {0};
        const char *names[] = {"image"};
        snprintf(path, sizeof path, "%s/nope.png", dir);
        ltx2_value vals[] = {th_str(path)};
        ltx2_status st = th_run(p, th_type(p, "LoadImage"), &tc, names, vals, 1, out);
        CHECK(st != LTX2_OK && !strcmp(tc.err_input, "image") && strstr(tc.err_msg, "nope.png"),
              "missing image: %s %s", tc.err_input, tc.err_msg);
    }

    p->tensor_release(img);
    p->tensor_release(vid);
    p->unload(p);
    th_rmtree(dir);
    printf("%d failures\n", g_failures);
    return g_failures ? 1 : 0;
}
