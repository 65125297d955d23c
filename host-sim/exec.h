/* exec.h — running a validated plan on libuv: each node's execute() on the
 * worker pool, progress marshalled to the loop, SIGINT as cooperative cancel. */
#ifndef HS_EXEC_H
#define HS_EXEC_H
#include <stdio.h>
#include "events.h"
#include "graph.h"

typedef struct hs_run_opts {
    hs_events *events;
    int tty;       /* draw a progress bar on stderr */
    int verbose;   /* plugin info/debug logs on stderr */
    FILE *report;  /* per-node and total wall time, peak RSS (NULL = none) */
} hs_run_opts;

enum hs_run_result { HS_RUN_OK = 0, HS_RUN_FAILED = 1, HS_RUN_CANCELLED = 2 };

/* Returns an hs_run_result; on HS_RUN_FAILED d holds the error (node, class,
 * input), on HS_RUN_CANCELLED d names the node that was interrupted. */
int hs_run(const ltx2_plugin *plugin, hs_graph *g, const hs_plan *plan, const hs_run_opts *o, hs_diag *d);

#endif
