/* exec.h — running a validated plan on libuv: each node's execute() on the
 * worker pool, progress marshalled to the loop, SIGINT as cooperative cancel. */
#ifndef HS_EXEC_H
#define HS_EXEC_H
#include <stdio.h>
#include "events.h"
#include "graph.h"

/* What a run measured about itself (filled by hs_run when given). */
typedef struct hs_run_stats {
    /* From the cancel request (first SIGINT) to the end of the run: wall-clock time,
     * and the process's CPU time (all threads) — the work done after the request,
     * which machine load does not inflate. Negative when no cancel was requested. */
    double cancel_wall_ms, cancel_cpu_ms;
    int signum; /* the signal that cancelled the run (SIGINT, SIGTERM, SIGHUP), 0 if none */
} hs_run_stats;

typedef struct hs_run_opts {
    hs_events *events;
    int tty;       /* draw a progress bar on stderr */
    int verbose;   /* plugin info/debug logs on stderr */
    FILE *report;  /* per-node and total wall time, peak RSS (NULL = none) */
    hs_run_stats *stats; /* NULL = not wanted */
    const char *output_dir; /* --output: files of `executed` are relative to it (NULL = none) */
    int32_t device, device_index; /* --device: ltx2_device and ordinal for every node's ctx */
    uint64_t vram_budget;         /* --vram-budget for every node's ctx (0 = none) */
    /* NULL: SIGINT/SIGTERM/SIGHUP cancel the run (host-sim run). Else the caller's flag
     * (the server's interrupt), set from any thread; no signal is handled. */
    volatile int32_t *cancel;
} hs_run_opts;

enum hs_run_result { HS_RUN_OK = 0, HS_RUN_FAILED = 1, HS_RUN_CANCELLED = 2 };

/* Blocks (1) or unblocks (0) SIGINT, SIGTERM and SIGHUP in the calling thread (and in
 * threads it creates later). `run` blocks them before loading the plugin; hs_run
 * unblocks them once its handlers are installed. */
void hs_block_stop_signals(int block);

/* Returns an hs_run_result; on HS_RUN_FAILED d holds the error (node, class,
 * input), on HS_RUN_CANCELLED d names the node that was interrupted. */
int hs_run(const ltx2_plugin *plugin, hs_graph *g, const hs_plan *plan, const hs_run_opts *o, hs_diag *d);

#endif
