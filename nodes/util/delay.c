/* LTX2Delay: waits, reporting progress, then passes its optional input through.
 * It sleeps in short slices and asks the host after each, so a cancel request
 * is honoured within one slice; the cancel tests rely on it. */
#include <time.h>

#include "node.h"
#include "util/util.h"

#define SLICE_S 0.02

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ltx2_status delay_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    double seconds = ltx2_in_float(in, 0);
    double t0 = now_s();
    for (;;) {
        double done = now_s() - t0;
        if (done > seconds)
            done = seconds;
        if (ltx2_progress(ctx, done, seconds, "waiting") == LTX2_CANCELLED)
            return LTX2_CANCELLED;
        if (done >= seconds)
            break;
        double left = seconds - done < SLICE_S ? seconds - done : SLICE_S;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
    out[0] = ltx2_util_value_copy(&in[1]);
    if (in[1].kind == LTX2_V_STRING && out[0].kind == LTX2_V_NONE)
        return ltx2_fail(ctx, LTX2_ERR_OOM, "value", "out of memory copying the string");
    return LTX2_OK;
}

static const ltx2_port delay_in[] = {
    LTX2_PORT_FLOAT("seconds", 1.0, 0.0, 86400.0, 0.1, 0, "How long to wait."),
    LTX2_PORT("value", "*", LTX2_PORT_OPTIONAL, "Any value, passed through unchanged after the wait."),
};
static const ltx2_port delay_out[] = {LTX2_PORT("value", "*", 0, "The input value (nothing when unconnected).")};
const ltx2_node_type ltx2_node_delay =
    LTX2_NODE_TYPE("LTX2Delay", "Delay", "utils", LTX2_NODE_CANCELLABLE | LTX2_NODE_PROGRESS,
                   "Waits the given number of seconds (cancellable, with progress), then outputs its input. "
                   "Useful to test hosts and to order side effects.",
                   delay_in, delay_out, delay_execute);
