/* bench.h — what a row group of ltx2-bench sees (see bench_list.h to register one). */
#ifndef LTX2_BENCH_H
#define LTX2_BENCH_H

#include "kernels.h"

typedef struct bench bench;

kpool *bench_pool(const bench *b);
int bench_threads(const bench *b);
/* 1 when no --only was given, or key contains an --only string, or an --only string
 * contains key (so a group name such as "gemm" is selected by "gemm_f32_n4096"). */
int bench_selected(const bench *b, const char *key);

/* Best (minimum) wall time in seconds of fn(arg) over reps runs after one warm-up run;
 * stops early once max_seconds of runs were spent (at least one timed run). */
typedef void (*bench_fn)(void *arg);
double bench_time(bench_fn fn, void *arg, int reps, double max_seconds);

/* One table row: key (stable id, used by ratios), human label, flop count per run,
 * seconds per run (<= 0: not run; note says why). */
void bench_row(bench *b, const char *key, const char *label, double flop, double seconds, const char *note);
/* GFLOP/s of a row recorded earlier in this run; 0 when absent. */
double bench_rate(const bench *b, const char *key);
/* A headline `RATIO name value` line printed after the table. */
void bench_ratio(bench *b, const char *name, double value);

/* The official PyTorch forward's best time in ms for a `TORCH name ...` line of the
 * --torch file (tools/torch_ref_forward.py's output); 0 when there is none. */
double bench_torch_ms(const bench *b, const char *name);

/* deterministic uniform [-1, 1) fill */
void bench_fill(float *x, int64_t n, uint64_t seed);

/* An op of a timed row: a failure ends the bench with its status. */
#define BENCH_OK(call)                                                                      \
    do {                                                                                    \
        kstatus bok_ = (call);                                                              \
        if (bok_ != KS_OK) {                                                                \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, k_status_name(bok_)); \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

#define BENCH(x) void bench_##x(bench *b);
#include "bench_list.h"
#undef BENCH

#endif
