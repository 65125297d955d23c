/* compare_example DIR_A DIR_B FRAMES MAX_MEAN_ABS MAX_ABS MAX_AUDIO_REL_L2
 *
 * Two runs of one example graph (the CPU and the GPU, same seed) against each other:
 * every frame DIR/frames/frame_<i>.png (8-bit RGB) — the mean absolute difference over
 * all frames and the largest single difference, in 8-bit levels — and DIR/audio.wav —
 * the relative L2 distance of the 16-bit samples. Prints the three numbers; exit 0 when
 * each is within its bound. */
#include "example_files.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s DIR_A DIR_B FRAMES MAX_MEAN_ABS MAX_ABS MAX_AUDIO_REL_L2\n", argv[0]);
        return 2;
    }
    const int frames = atoi(argv[3]);
    const double max_mean = atof(argv[4]), max_abs = atof(argv[5]), max_rel = atof(argv[6]);
    double sum = 0, count = 0;
    int worst = 0, bad = 0;
    for (int i = 1; i <= frames; i++) {
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s/frames/frame_%05d.png", argv[1], i);
        snprintf(pb, sizeof pb, "%s/frames/frame_%05d.png", argv[2], i);
        unsigned char *a = NULL, *b = NULL;
        int wa, ha, wb, hb;
        if (ex_read_png(pa, &a, &wa, &ha) || ex_read_png(pb, &b, &wb, &hb) || wa != wb || ha != hb) {
            fprintf(stderr, "FAIL: frame %d missing, unreadable or of different sizes (%s, %s)\n", i, pa, pb);
            bad = 1;
        } else {
            for (size_t k = 0; k < (size_t)wa * (size_t)ha * 3; k++) {
                int d = abs((int)a[k] - (int)b[k]);
                sum += d;
                worst = d > worst ? d : worst;
            }
            count += (double)wa * ha * 3;
        }
        free(a);
        free(b);
    }
    char wa_path[4096], wb_path[4096];
    snprintf(wa_path, sizeof wa_path, "%s/audio.wav", argv[1]);
    snprintf(wb_path, sizeof wb_path, "%s/audio.wav", argv[2]);
    ex_wav ia, ib;
    int16_t *sa = NULL, *sb = NULL;
    const char *why = ex_read_wav(wa_path, &ia, &sa);
    if (!why) why = ex_read_wav(wb_path, &ib, &sb);
    double rel = INFINITY;
    if (why || ia.data_bytes != ib.data_bytes || ia.bits != 16 || ib.bits != 16) {
        fprintf(stderr, "FAIL: audio %s\n", why ? why : "of different formats or lengths");
        bad = 1;
    } else {
        double num = 0, den = 0;
        for (uint32_t k = 0; k < ia.data_bytes / 2; k++) {
            double d = (double)sa[k] - sb[k];
            num += d * d;
            den += (double)sa[k] * sa[k];
        }
        rel = den > 0 ? sqrt(num / den) : sqrt(num);
    }
    free(sa);
    free(sb);
    const double mean = count > 0 ? sum / count : INFINITY;
    printf("frames: mean |diff| %.4f levels (bound %g), max %d (bound %g); audio rel L2 %.3g (bound %g)\n", mean,
           max_mean, worst, max_abs, rel, max_rel);
    if (bad || !(mean <= max_mean) || worst > max_abs || !(rel <= max_rel)) {
        fprintf(stderr, "FAIL: %s and %s differ beyond the bounds\n", argv[1], argv[2]);
        return 1;
    }
    return 0;
}
