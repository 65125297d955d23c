/* bench_main.c — ltx2-bench driver: options, timing, the table and the RATIO lines.
 *   ltx2-bench [--threads N] [--device cpu|cuda] [--only SUBSTRING]... [--torch TORCH_OUTPUT]
 * --device cuda runs the CUDA rows only (keys starting with "cuda"), --device cpu all others. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 128
#define MAX_ONLY 16

typedef struct brow {
    char key[64];
    double gflops;
} brow;

struct bench {
    kpool *pool;
    int threads;
    const char *only[MAX_ONLY];
    int n_only;
    const char *device; /* NULL: every row; "cpu" or "cuda": that device's rows */
    const char *torch;  /* --torch: tools/torch_ref_forward.py's output, or NULL */
    brow rows[MAX_ROWS];
    int n_rows;
    char ratios[MAX_ROWS][96];
    int n_ratios;
};

kpool *bench_pool(const bench *b) { return b->pool; }
int bench_threads(const bench *b) { return b->threads; }

int bench_selected(const bench *b, const char *key) {
    if (b->device && (strncmp(key, "cuda", 4) == 0) != (strcmp(b->device, "cuda") == 0)) return 0;
    if (b->n_only == 0) return 1;
    for (int i = 0; i < b->n_only; i++)
        if (strstr(key, b->only[i]) || strstr(b->only[i], key)) return 1;
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_time(bench_fn fn, void *arg, int reps, double max_seconds) {
    double t0 = now_s();
    fn(arg); /* warm-up: page faults, caches, thread wake-up */
    double spent = now_s() - t0, best = 1e30;
    for (int r = 0; r < reps; r++) {
        double s = now_s();
        fn(arg);
        double d = now_s() - s;
        if (d < best) best = d;
        spent += d;
        if (spent > max_seconds) break;
    }
    return best;
}

void bench_row(bench *b, const char *key, const char *label, double flop, double seconds, const char *note) {
    double gf = seconds > 0 ? flop / seconds * 1e-9 : 0.0;
    if (seconds > 0)
        printf("%-28s %-44s %10.2f ms %9.1f GFLOP/s  %s\n", key, label, seconds * 1e3, gf, note ? note : "");
    else
        printf("%-28s %-44s %13s %17s  %s\n", key, label, "-", "-", note ? note : "not run");
    fflush(stdout);
    if (b->n_rows < MAX_ROWS) {
        snprintf(b->rows[b->n_rows].key, sizeof b->rows[0].key, "%s", key);
        b->rows[b->n_rows].gflops = gf;
        b->n_rows++;
    }
}

double bench_rate(const bench *b, const char *key) {
    for (int i = 0; i < b->n_rows; i++)
        if (strcmp(b->rows[i].key, key) == 0) return b->rows[i].gflops;
    return 0.0;
}

void bench_ratio(bench *b, const char *name, double value) {
    if (b->n_ratios < MAX_ROWS) snprintf(b->ratios[b->n_ratios++], sizeof b->ratios[0], "RATIO %s %.3f", name, value);
}

double bench_torch_ms(const bench *b, const char *name) {
    FILE *f = b->torch ? fopen(b->torch, "r") : NULL;
    if (!f) return 0.0;
    char line[512], key[256];
    double ms = 0.0, med = 0.0, mn = 0.0;
    while (ms == 0.0 && fgets(line, sizeof line, f))
        if (sscanf(line, "TORCH %255s %lf ms (min %lf", key, &med, &mn) == 3 && strcmp(key, name) == 0) ms = mn;
    fclose(f);
    return ms;
}

void bench_fill(float *x, int64_t n, uint64_t seed) {
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
}

int main(int argc, char **argv) {
    static bench b; /* large: keep it off the stack */
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "cpu") == 0 || strcmp(argv[i + 1], "cuda") == 0)) b.device = argv[++i];
        else if (strcmp(argv[i], "--torch") == 0 && i + 1 < argc) b.torch = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc && b.n_only < MAX_ONLY) b.only[b.n_only++] = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--threads N] [--device cpu|cuda] [--only SUBSTRING]... [--torch TORCH_OUTPUT]\n", argv[0]);
            return 2;
        }
    }
    b.pool = kpool_create(threads);
    if (!b.pool) {
        fprintf(stderr, "ltx2-bench: cannot create the thread pool\n");
        return 1;
    }
    b.threads = kpool_threads(b.pool);
    time_t t = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&t));
    printf("ltx2-bench  %s  threads=%d  isa=%s\n", date, b.threads, k_isa_name(k_isa_best()));
    printf("%-28s %-44s %13s %17s  %s\n", "key", "what", "time", "rate", "note");
#define BENCH(x) bench_##x(&b);
#include "bench_list.h"
#undef BENCH
    for (int i = 0; i < b.n_ratios; i++) printf("%s\n", b.ratios[i]);
    kpool_destroy(b.pool);
    return 0;
}
