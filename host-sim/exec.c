/* exec.c — the libuv executor. Nodes run one at a time (in plan order) on the
 * worker pool so the loop stays free for signals and progress; the plugin's own
 * thread pool provides the parallelism inside a node. */
#include "exec.h"
#include "output_files.h"
#include "sigbus.h"

#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

typedef struct runner {
    ltx2_exec_ctx ctx; /* first: the plugin's ctx pointer is the runner */
    const ltx2_plugin *p;
    hs_graph *g;
    const hs_plan *plan;
    const hs_run_opts *o;
    hs_diag *d;

    uv_loop_t loop;
    uv_work_t work;
    uv_async_t async;
    uv_signal_t sig, sig_term, sig_hup;
    volatile int32_t own_cancel;
    volatile int32_t *cancel; /* own_cancel, or the caller's (o->cancel) */
    int signals;         /* stop signals handled here (no o->cancel) */
    int sigints;         /* cancel signals received (INT, TERM or HUP) */
    int signum;          /* the first of them */
    uint64_t cancel_wall_ns, cancel_cpu_ns; /* when the cancel was requested */

    void **inst;         /* per node (planned ones) */
    ltx2_value **outs;   /* per node: n_outputs values owned by the host */
    uint32_t **pending;  /* per node/slot: consumers still to run */
    json_object *executed;

    size_t step;
    size_t cur;          /* node index running */
    ltx2_value *inputs;  /* inputs of the running node */
    uint64_t t_start, t_node;

    /* written by the worker, read after the work completes */
    ltx2_status st;
    int err_set;
    ltx2_status err_code;
    char err_input[128];
    char err_msg[768];

    /* progress: worker -> loop */
    uv_mutex_t mu;
    double pv, pmax;
    char phase[64];
    int pdirty;
    int bar_shown;
    uint64_t last_progress;

    int result;
} runner;

static const char *status_name(ltx2_status s)
{
    switch (s) {
    case LTX2_OK: return "LTX2_OK";
    case LTX2_CANCELLED: return "LTX2_CANCELLED";
    case LTX2_ERR_FAILED: return "LTX2_ERR_FAILED";
    case LTX2_ERR_BAD_INPUT: return "LTX2_ERR_BAD_INPUT";
    case LTX2_ERR_OOM: return "LTX2_ERR_OOM";
    case LTX2_ERR_IO: return "LTX2_ERR_IO";
    case LTX2_ERR_UNSUPPORTED: return "LTX2_ERR_UNSUPPORTED";
    case LTX2_ERR_VERSION: return "LTX2_ERR_VERSION";
    case LTX2_ERR_INTERNAL: return "LTX2_ERR_INTERNAL";
    default: return "LTX2_ERR_UNKNOWN";
    }
}

void hs_block_stop_signals(int block)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
}

static uint64_t process_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static hs_node *cur_node(runner *r) { return &r->g->nodes[r->cur]; }

/* ---------------------------------------------------------------- plugin services (worker thread) */
static ltx2_status ctx_progress(ltx2_exec_ctx *ctx, double value, double max, const char *phase)
{
    runner *r = (runner *)ctx;
    uv_mutex_lock(&r->mu);
    r->pv = value;
    r->pmax = max;
    snprintf(r->phase, sizeof r->phase, "%s", phase ? phase : "");
    r->pdirty = 1;
    uv_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    return __atomic_load_n(r->cancel, __ATOMIC_RELAXED) ? LTX2_CANCELLED : LTX2_OK;
}

static void ctx_log(ltx2_exec_ctx *ctx, int32_t level, const char *message)
{
    runner *r = (runner *)ctx;
    if (level < LTX2_LOG_WARN && !r->o->verbose)
        return;
    static const char *const names[] = {"debug", "info", "warning", "error"};
    fprintf(stderr, "%snode %s (%s): %s: %s\n", r->o->tty ? "\r\033[K" : "", ctx->node_id, ctx->class_type,
            names[level < 0 ? 0 : level > 3 ? 3 : level], message ? message : "");
}

static void ctx_set_error(ltx2_exec_ctx *ctx, ltx2_status code, const char *input_name, const char *message)
{
    runner *r = (runner *)ctx;
    if (r->err_set)
        return; /* the first cause is the one to report */
    r->err_set = 1;
    r->err_code = code;
    snprintf(r->err_input, sizeof r->err_input, "%s", input_name ? input_name : "");
    snprintf(r->err_msg, sizeof r->err_msg, "%s", message ? message : "");
}

/* ---------------------------------------------------------------- display */
static void clear_bar(runner *r)
{
    if (r->bar_shown) {
        fputs("\r\033[K", stderr);
        r->bar_shown = 0;
    }
}

static void draw_bar(runner *r, double v, double max, const char *phase)
{
    if (!r->o->tty)
        return;
    hs_node *n = cur_node(r);
    char bar[21];
    double frac = max > 0 ? v / max : 0;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    int fill = (int)(frac * 20);
    for (int i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = 0;
    fprintf(stderr, "\r\033[K[%zu/%zu] node %s %s [%s] %.4g/%.4g %3.0f%% %s", r->step + 1, r->plan->n, n->id,
            n->class_type, bar, v, max, frac * 100.0, phase ? phase : "");
    fflush(stderr);
    r->bar_shown = 1;
}

/* force: write even if the last progress event is very recent (end of a node). */
static void flush_progress(runner *r, int force)
{
    uint64_t now = uv_hrtime();
    if (!force && now - r->last_progress < 50000000u)
        return; /* at most 20 events a second; the rest is coalesced */
    uv_mutex_lock(&r->mu);
    int dirty = r->pdirty;
    double v = r->pv, max = r->pmax;
    char phase[64];
    memcpy(phase, r->phase, sizeof phase);
    r->pdirty = 0;
    uv_mutex_unlock(&r->mu);
    if (!dirty)
        return;
    r->last_progress = now;
    hs_node *n = cur_node(r);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "node", json_object_new_string(n->id));
    json_object_object_add(data, "value", hs_json_num(v));
    json_object_object_add(data, "max", hs_json_num(max));
    json_object *x = json_object_new_object();
    json_object_object_add(x, "phase", json_object_new_string(phase));
    json_object_object_add(data, "x_ltx", x);
    hs_event(r->o->events, "progress", data);
    draw_bar(r, v, max, phase);
}

static void on_async(uv_async_t *h) { flush_progress(h->data, 0); }

/* ---------------------------------------------------------------- output summaries */
static json_object *value_json(const ltx2_plugin *p, const ltx2_value *v, int depth)
{
    json_object *j = json_object_new_object();
    switch (v->kind) {
    case LTX2_V_INT:
        json_object_object_add(j, "kind", json_object_new_string("int"));
        json_object_object_add(j, "value", json_object_new_int64(v->u.i));
        break;
    case LTX2_V_FLOAT:
        json_object_object_add(j, "kind", json_object_new_string("float"));
        json_object_object_add(j, "value", json_object_new_double(v->u.f));
        break;
    case LTX2_V_BOOL:
        json_object_object_add(j, "kind", json_object_new_string("bool"));
        json_object_object_add(j, "value", json_object_new_boolean(v->u.b));
        break;
    case LTX2_V_STRING:
        json_object_object_add(j, "kind", json_object_new_string("string"));
        json_object_object_add(j, "value", json_object_new_string(v->u.s ? v->u.s : ""));
        break;
    case LTX2_V_TENSOR: {
        ltx2_tensor_desc td = {.struct_size = sizeof td};
        p->tensor_describe(v->u.t, &td);
        static const char *const dt[] = {"F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32", "U8"};
        json_object_object_add(j, "kind", json_object_new_string("tensor"));
        json_object_object_add(j, "dtype", json_object_new_string(td.dtype >= 0 && td.dtype < LTX2_DTYPE_COUNT ? dt[td.dtype] : "?"));
        json_object *shape = json_object_new_array();
        for (int i = 0; i < td.ndim && i < LTX2_MAX_DIMS; i++)
            json_object_array_add(shape, json_object_new_int64(td.shape[i]));
        json_object_object_add(j, "shape", shape);
        break;
    }
    case LTX2_V_OBJECT: {
        json_object_object_add(j, "kind", json_object_new_string("object"));
        json_object_object_add(j, "object_type", json_object_new_string(p->object_type(v->u.o)));
        uint32_t n = p->object_count(v->u.o);
        json_object_object_add(j, "count", json_object_new_int64(n));
        if (depth < 1) {
            json_object *entries = json_object_new_object();
            for (uint32_t i = 0; i < n && i < 64; i++) {
                const char *key = NULL;
                ltx2_value ev = {0};
                if (p->object_entry(v->u.o, i, &key, &ev) == LTX2_OK && key)
                    json_object_object_add(entries, key, value_json(p, &ev, depth + 1));
            }
            json_object_object_add(j, "entries", entries);
        }
        break;
    }
    default:
        json_object_object_add(j, "kind", json_object_new_string("none"));
    }
    return j;
}

/* ---------------------------------------------------------------- scheduling */
static void finish(runner *r, int result)
{
    r->result = result;
    clear_bar(r);
    uv_close((uv_handle_t *)&r->async, NULL);
    if (!r->signals)
        return;
    uv_close((uv_handle_t *)&r->sig, NULL);
    uv_close((uv_handle_t *)&r->sig_term, NULL);
    uv_close((uv_handle_t *)&r->sig_hup, NULL);
}

static const char *signal_name(int signum)
{
    return signum == SIGTERM ? "SIGTERM" : signum == SIGHUP ? "SIGHUP" : "SIGINT";
}

static void interrupted(runner *r, const hs_node *n)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "node_id", n ? json_object_new_string(n->id) : NULL);
    json_object_object_add(data, "node_type", n ? json_object_new_string(n->class_type) : NULL);
    json_object_object_add(data, "executed", json_object_get(r->executed));
    hs_event(r->o->events, "execution_interrupted", data);
    const char *why = hs_sigbus_file() ? "a mapped file changed" : r->signals ? signal_name(r->signum) : "request";
    if (n)
        hs_diag_set(r->d, n->id, n->class_type, NULL, "execution_interrupted", "interrupted by %s", why);
    else
        hs_diag_set(r->d, NULL, NULL, NULL, "execution_interrupted", "interrupted by %s", why);
    finish(r, HS_RUN_CANCELLED);
}

/* execution_error event from r->d (ComfyUI fields plus the input at fault). */
static void emit_error(runner *r, const char *exception_type)
{
    const hs_diag *d = r->d;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "node_id", d->node_id[0] ? json_object_new_string(d->node_id) : NULL);
    json_object_object_add(data, "node_type", d->class_type[0] ? json_object_new_string(d->class_type) : NULL);
    json_object_object_add(data, "executed", json_object_get(r->executed));
    json_object_object_add(data, "exception_message", json_object_new_string(d->message));
    json_object_object_add(data, "exception_type", json_object_new_string(exception_type));
    json_object_object_add(data, "traceback", json_object_new_array());
    json_object_object_add(data, "input", d->input[0] ? json_object_new_string(d->input) : NULL);
    hs_event(r->o->events, "execution_error", data);
}

static void work_cb(uv_work_t *req)
{
    runner *r = req->data;
    hs_node *n = cur_node(r);
    r->st = n->type->execute(r->inst[r->cur], &r->ctx, r->inputs, r->outs[r->cur]);
}

static void start_next(runner *r);

static void release_slot(runner *r, size_t node, uint32_t slot)
{
    if (r->outs[node][slot].kind != LTX2_V_NONE)
        r->p->value_release(&r->outs[node][slot]);
}

static void after_cb(uv_work_t *req, int status)
{
    (void)status;
    runner *r = req->data;
    hs_node *n = cur_node(r);
    uint32_t no = n->type->n_outputs;
    flush_progress(r, 1);
    double secs = (double)(uv_hrtime() - r->t_node) / 1e9;
    int cancelled = __atomic_load_n(r->cancel, __ATOMIC_RELAXED);
    if (r->st != LTX2_OK) {
        for (uint32_t s = 0; s < no; s++) /* a failed node may have written some outputs */
            release_slot(r, r->cur, s);
        if (r->st == LTX2_CANCELLED || cancelled) {
            interrupted(r, n);
            return;
        }
        /* the node's own message names the problem; without one, the status does */
        if (r->err_set && r->err_msg[0])
            hs_diag_set(r->d, n->id, n->class_type, r->err_input, "", "%s", r->err_msg);
        else
            hs_diag_set(r->d, n->id, n->class_type, r->err_input, "", "execution failed (%s)",
                        status_name(r->st));
        emit_error(r, status_name(r->st));
        finish(r, HS_RUN_FAILED);
        return;
    }
    /* executed: summarise what came out */
    json_object *outs = json_object_new_array();
    for (uint32_t s = 0; s < no; s++) {
        json_object *vj = value_json(r->p, &r->outs[r->cur][s], 0);
        json_object_object_add(vj, "name", json_object_new_string(n->type->outputs[s].name));
        json_object_object_add(vj, "type", json_object_new_string(n->type->outputs[s].type));
        json_object_array_add(outs, vj);
    }
    json_object *data = json_object_new_object();
    json_object_object_add(data, "node", json_object_new_string(n->id));
    json_object_object_add(data, "display_node", json_object_new_string(n->id));
    /* ComfyUI sends executed for output nodes whose UI output is not empty (their files);
     * the others' summaries go out as x_ltx_executed */
    json_object *ui = (n->type->flags & LTX2_NODE_OUTPUT)
                          ? hs_output_ui(n, r->o->output_dir, hs_now_ms() - (long long)(secs * 1000))
                          : NULL;
    int is_output = 0;
    if (ui) {
        json_object_object_foreach(ui, k, v) {
            (void)k;
            is_output |= !json_object_is_type(v, json_type_array) || json_object_array_length(v) > 0;
        }
    }
    json_object_object_add(data, "output", is_output ? ui : NULL);
    if (!is_output)
        json_object_put(ui);
    json_object *x = json_object_new_object();
    json_object_object_add(x, "class_type", json_object_new_string(n->class_type));
    json_object_object_add(x, "wall_s", hs_json_num(secs));
    json_object_object_add(x, "outputs", outs);
    json_object_object_add(data, "x_ltx", x);
    hs_event(r->o->events, is_output ? "executed" : "x_ltx_executed", data);
    json_object_array_add(r->executed, json_object_new_string(n->id));
    clear_bar(r);
    if (r->o->report)
        fprintf(r->o->report, "node %s (%s): %.3f s\n", n->id, n->class_type, secs);

    /* release what nobody will read any more */
    for (uint32_t k = 0; k < n->type->n_inputs; k++)
        if (n->ports[k].kind == HS_IN_LINK) {
            size_t src = n->ports[k].src;
            uint32_t slot = n->ports[k].slot;
            if (r->pending[src][slot] > 0 && --r->pending[src][slot] == 0)
                release_slot(r, src, slot);
        }
    for (uint32_t s = 0; s < no; s++)
        if (r->pending[r->cur][s] == 0)
            release_slot(r, r->cur, s);
    r->step++;
    start_next(r);
}

static void start_next(runner *r)
{
    /* a cancel that arrives after the last node finished changes nothing */
    if (r->step < r->plan->n && __atomic_load_n(r->cancel, __ATOMIC_RELAXED)) {
        interrupted(r, &r->g->nodes[r->plan->order[r->step]]);
        return;
    }
    if (r->step == r->plan->n) {
        json_object *data = json_object_new_object();
        json_object_object_add(data, "node", NULL);
        hs_event(r->o->events, "executing", data);
        hs_event(r->o->events, "execution_success", NULL);
        finish(r, HS_RUN_OK);
        return;
    }
    r->cur = r->plan->order[r->step];
    hs_node *n = cur_node(r);
    for (uint32_t k = 0; k < n->type->n_inputs; k++) {
        const hs_bound *b = &n->ports[k];
        if (b->kind == HS_IN_LINK) {
            r->inputs[k] = r->outs[b->src][b->slot]; /* borrowed */
            /* a number from a link meets the same min/max as a literal would */
            const ltx2_value *v = &r->inputs[k];
            if ((v->kind == LTX2_V_INT || v->kind == LTX2_V_FLOAT) &&
                hs_check_range(n, &n->type->inputs[k], v, r->d)) {
                emit_error(r, r->d->type);
                finish(r, HS_RUN_FAILED);
                return;
            }
        } else if (b->kind == HS_IN_LITERAL)
            r->inputs[k] = b->value;
        else
            r->inputs[k] = (ltx2_value){.kind = LTX2_V_NONE};
    }
    r->err_set = 0;
    r->err_input[0] = r->err_msg[0] = 0;
    r->ctx.node_id = n->id;
    r->ctx.class_type = n->class_type;
    r->ctx.outputs_wanted = 0;
    for (uint32_t k = 0; k < n->type->n_outputs; k++)
        if (k >= 64 || (r->plan->consumers[r->cur] && r->plan->consumers[r->cur][k]))
            r->ctx.outputs_wanted |= k < 64 ? (uint64_t)1 << k : 0;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "node", json_object_new_string(n->id));
    json_object_object_add(data, "display_node", json_object_new_string(n->id));
    hs_event(r->o->events, "executing", data);
    draw_bar(r, 0, 0, "");
    r->t_node = uv_hrtime();
    r->work.data = r;
    int rc = uv_queue_work(&r->loop, &r->work, work_cb, after_cb);
    if (rc) {
        hs_diag_set(r->d, n->id, n->class_type, NULL, "", "cannot queue work: %s", uv_strerror(rc));
        finish(r, HS_RUN_FAILED);
    }
}

/* SIGINT, SIGTERM and SIGHUP all cancel: nodes stop at their next check and
 * writers remove their temp files. A second one aborts at once. */
static void on_sigint(uv_signal_t *h, int signum)
{
    runner *r = h->data;
    if (++r->sigints >= 2) {
        static const char msg[] = "\nhost-sim: aborted (second signal)\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(128 + r->signum);
    }
    r->signum = signum;
    r->cancel_wall_ns = uv_hrtime();
    r->cancel_cpu_ns = process_cpu_ns();
    __atomic_store_n(r->cancel, 1, __ATOMIC_RELAXED);
    if (r->o->tty) {
        clear_bar(r);
        fputs("cancelling (Ctrl-C again to abort)...\n", stderr);
    }
}

/* ---------------------------------------------------------------- entry */
static int init_instances(runner *r)
{
    for (size_t k = 0; k < r->plan->n; k++) {
        size_t i = r->plan->order[k];
        hs_node *n = &r->g->nodes[i];
        uint32_t no = n->type->n_outputs;
        r->outs[i] = calloc(no ? no : 1, sizeof **r->outs);
        r->pending[i] = calloc(no ? no : 1, sizeof **r->pending);
        if (!r->outs[i] || !r->pending[i])
            return hs_diag_set(r->d, n->id, n->class_type, NULL, "", "out of memory");
        memcpy(r->pending[i], r->plan->consumers[i], no * sizeof **r->pending);
        ltx2_status st = n->type->init ? n->type->init(r->p, n->type, &r->inst[i]) : LTX2_OK;
        if (st != LTX2_OK)
            return hs_diag_set(r->d, n->id, n->class_type, NULL, "", "the node failed to initialise (%s)",
                               status_name(st));
    }
    return 0;
}

static void cleanup(runner *r)
{
    for (size_t i = 0; i < r->g->n_nodes; i++) {
        hs_node *n = &r->g->nodes[i];
        if (r->outs && r->outs[i]) {
            for (uint32_t s = 0; s < n->type->n_outputs; s++)
                release_slot(r, i, s);
            free(r->outs[i]);
        }
        if (r->pending)
            free(r->pending[i]);
        if (r->inst && r->inst[i] && n->type->free)
            n->type->free(r->inst[i]);
    }
    free(r->outs);
    free(r->pending);
    free(r->inst);
    free(r->inputs);
    json_object_put(r->executed);
}

int hs_run(const ltx2_plugin *plugin, hs_graph *g, const hs_plan *plan, const hs_run_opts *o, hs_diag *d)
{
    runner *r = calloc(1, sizeof *r);
    if (!r) {
        hs_diag_set(d, NULL, NULL, NULL, "", "out of memory");
        return HS_RUN_FAILED;
    }
    r->p = plugin;
    r->g = g;
    r->plan = plan;
    r->o = o;
    r->d = d;
    r->cancel = o->cancel ? o->cancel : &r->own_cancel;
    r->signals = !o->cancel;
    r->ctx = (ltx2_exec_ctx){.struct_size = sizeof(ltx2_exec_ctx), .host_data = r,
                             .cancel_flag = r->cancel, .progress = ctx_progress, .log = ctx_log,
                             .set_error = ctx_set_error, .device = o->device,
                             .device_index = o->device_index, .vram_budget = o->vram_budget};
    uint32_t max_in = 1;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].type->n_inputs > max_in)
            max_in = g->nodes[i].type->n_inputs;
    size_t nn = g->n_nodes ? g->n_nodes : 1;
    r->inst = calloc(nn, sizeof *r->inst);
    r->outs = calloc(nn, sizeof *r->outs);
    r->pending = calloc(nn, sizeof *r->pending);
    r->inputs = calloc(max_in, sizeof *r->inputs);
    r->executed = json_object_new_array();
    int result = HS_RUN_FAILED;
    if (!r->inst || !r->outs || !r->pending || !r->inputs || !r->executed) {
        hs_diag_set(d, NULL, NULL, NULL, "", "out of memory");
        goto done;
    }
    r->t_start = uv_hrtime();
    hs_event(o->events, "execution_start", NULL);
    json_object *cached = json_object_new_object();
    json_object_object_add(cached, "nodes", json_object_new_array());
    hs_event(o->events, "execution_cached", cached);
    if (init_instances(r)) {
        emit_error(r, "LTX2_ERR_FAILED");
        goto done;
    }
    if (uv_loop_init(&r->loop) || uv_mutex_init(&r->mu)) {
        hs_diag_set(d, NULL, NULL, NULL, "", "cannot start the event loop");
        goto done;
    }
    uv_async_init(&r->loop, &r->async, on_async);
    r->async.data = r;
    if (r->signals) {
        uv_signal_init(&r->loop, &r->sig);
        r->sig.data = r;
        uv_signal_start(&r->sig, on_sigint, SIGINT);
        uv_signal_init(&r->loop, &r->sig_term);
        r->sig_term.data = r;
        uv_signal_start(&r->sig_term, on_sigint, SIGTERM);
        uv_signal_init(&r->loop, &r->sig_hup);
        r->sig_hup.data = r;
        uv_signal_start(&r->sig_hup, on_sigint, SIGHUP);
        hs_block_stop_signals(0); /* handled from here on (a pending one cancels at once) */
    }
    hs_sigbus_guard(r->cancel);
    start_next(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    hs_sigbus_guard(NULL);
    uv_loop_close(&r->loop);
    uv_mutex_destroy(&r->mu);
    result = r->result;
    if (o->stats) {
        o->stats->cancel_wall_ms = o->stats->cancel_cpu_ms = -1;
        o->stats->signum = r->signum;
        if (r->sigints) {
            o->stats->cancel_wall_ms = (double)(uv_hrtime() - r->cancel_wall_ns) / 1e6;
            o->stats->cancel_cpu_ms = (double)(process_cpu_ns() - r->cancel_cpu_ns) / 1e6;
        }
    }
    if (o->report) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(o->report, "total: %.3f s, peak RSS %.1f MiB", (double)(uv_hrtime() - r->t_start) / 1e9,
                (double)ru.ru_maxrss / 1024.0);
        ltx2_device_info info = {.struct_size = sizeof info};
        if (o->device != LTX2_DEVICE_CPU &&
            r->p->device_info((ltx2_plugin *)r->p, o->device, o->device_index, &info, NULL, 0) == LTX2_OK)
        {
            fprintf(o->report, ", device cuda:%d %s, peak device memory %.1f MiB", (int)o->device_index, info.name,
                    (double)info.peak_bytes / 1048576.0);
            if (LTX2_HAS_FIELD(&info, ltx2_device_info, residency) && info.residency[0])
                fprintf(o->report, ", %s", info.residency);
        }
        else
            fprintf(o->report, ", device cpu");
        fputc('\n', o->report);
    }
done:
    cleanup(r);
    free(r);
    return result;
}
