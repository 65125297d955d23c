/* host-sim — a standalone host for the LTX-2 node plugin: runs ComfyUI API prompt
 * graphs, lists the nodes and prints the manifest. It knows the plugin only
 * through the public header and the table ltx2_plugin_entry returns.
 *
 * Exit status: 0 success, 1 a node failed (or a mapped model file changed under
 * the run: SIGBUS), 2 usage / graph / validation error, 128 + the signal when
 * cancelled (130 SIGINT, 143 SIGTERM, 129 SIGHUP). Every failure prints exactly one
 * "error: ..." line, a cancel one "cancelled: ..." line. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "exec.h"
#include "files.h"
#include "graph.h"
#include "loader.h"
#include "manifest.h"
#include "prompt_errors.h"
#include "prompt_source.h"
#include "sigbus.h"
#include "device.h"
#include "serve.h"

enum { EXIT_NODE_FAILED = 1, EXIT_USAGE = 2 };

static const char usage[] =
    "usage:\n"
    "  host-sim run GRAPH.json [--var NAME=VALUE]... [--events FILE] [--plugin PATH] [--threads N]\n"
    "                          [--bypass CLASS]... [--models DIR] [--input DIR] [--output DIR]\n"
    "                          [--device cpu|cuda|cuda:N] [--vram-budget SIZE] [--quiet] [--verbose]\n"
    "  host-sim convert WORKFLOW.json [--bypass CLASS]... [--plugin PATH] [-o FILE]\n"
    "  host-sim list [--plugin PATH]\n"
    "  host-sim manifest [--plugin PATH] [-o FILE]\n"
    "  host-sim serve [--listen 127.0.0.1:8188] [--models DIR] [--input DIR] [--output DIR] [--temp DIR]\n"
    "                 [--front-end-root DIR] [--bypass CLASS]... [--plugin PATH] [--device ...] [--verbose]\n"
    "The plugin is --plugin PATH, else $LTX2_PLUGIN, else libltx2nodes.so in $LTX2_PLUGIN_PATH folders,\n"
    "beside host-sim, in ../lib or in the install prefix's lib/ltx2.\n"
    "--device defaults to the GPU when one is usable, else the CPU; --vram-budget caps the device memory\n"
    "the plugin may use (16G, 8G, 1.5G, 512M or bytes; default: all free memory): a transformer whose\n"
    "weights do not fit streams its blocks from host memory, a run that cannot fit is refused up front.\n";

typedef struct cli {
    const char *cmd;
    const char *graph;
    const char *events;
    const char *plugin;
    const char *out;
    int threads;
    int quiet, verbose, help;
    const char *device; /* --device, NULL = default */
    uint64_t vram_budget;
    hs_device dev; /* what --device resolved to */
    hs_var *vars;
    size_t n_vars;
    const char **bypass; /* --bypass CLASS, repeatable */
    size_t n_bypass;
    const char *models, *input, *output; /* ComfyUI-style folders */
    const char *listen, *temp, *front_end_root; /* serve */
} cli;

static int fail(const char *fmt, const char *a, const char *b)
{
    fputs("error: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static int parse_cli(int argc, char **argv, cli *c)
{
    memset(c, 0, sizeof *c);
    if (argc < 2)
        return fail("%s%smissing command (run, convert, list, manifest or serve); see host-sim --help", "", "");
    c->cmd = argv[1];
    c->vars = calloc((size_t)argc, sizeof *c->vars);
    c->bypass = calloc((size_t)argc, sizeof *c->bypass);
    if (!c->vars || !c->bypass)
        return fail("%s%sout of memory", "", "");
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "--var") || !strcmp(a, "--events") || !strcmp(a, "--plugin") ||
                    !strcmp(a, "--threads") || !strcmp(a, "-o") || !strcmp(a, "--bypass") ||
                    !strcmp(a, "--models") || !strcmp(a, "--input") || !strcmp(a, "--output") ||
                    !strcmp(a, "--device") || !strcmp(a, "--vram-budget") || !strcmp(a, "--listen") ||
                    !strcmp(a, "--temp") || !strcmp(a, "--front-end-root");
        if (takes && !next)
            return fail("option %s needs a value%s", a, "");
        if (!strcmp(a, "--var")) {
            const char *eq = strchr(next, '=');
            if (!eq || eq == next)
                return fail("--var takes NAME=VALUE, got '%s'%s", next, "");
            /* the NAME part is terminated in place: argv is ours to edit */
            argv[i + 1][eq - next] = 0;
            c->vars[c->n_vars++] = (hs_var){.name = next, .value = eq + 1};
        } else if (!strcmp(a, "--bypass")) {
            c->bypass[c->n_bypass++] = next;
        } else if (!strcmp(a, "--models")) {
            c->models = next;
        } else if (!strcmp(a, "--input")) {
            c->input = next;
        } else if (!strcmp(a, "--output")) {
            c->output = next;
        } else if (!strcmp(a, "--listen")) {
            c->listen = next;
        } else if (!strcmp(a, "--temp")) {
            c->temp = next;
        } else if (!strcmp(a, "--front-end-root")) {
            c->front_end_root = next;
        } else if (!strcmp(a, "--device")) {
            c->device = next;
        } else if (!strcmp(a, "--vram-budget")) {
            if (hs_parse_size(next, &c->vram_budget))
                return fail("--vram-budget takes a size such as 16G, 1.5G, 512M or a number of bytes, got '%s'%s",
                            next, "");
        } else if (!strcmp(a, "--events")) {
            c->events = next;
        } else if (!strcmp(a, "--plugin")) {
            c->plugin = next;
        } else if (!strcmp(a, "-o")) {
            c->out = next;
        } else if (!strcmp(a, "--threads")) {
            char *end;
            long v = strtol(next, &end, 10);
            if (*end || v < 0 || v > 4096)
                return fail("--threads takes a count >= 0, got '%s'%s", next, "");
            c->threads = (int)v;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            c->quiet = 1;
            continue;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            c->verbose = 1;
            continue;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { /* "host-sim serve --help" */
            c->help = 1;
            continue;
        } else if (a[0] == '-' && a[1]) {
            return fail("unknown option %s%s", a, "");
        } else if (!c->graph) {
            c->graph = a;
            continue;
        } else {
            return fail("unexpected argument '%s'%s", a, "");
        }
        i++;
    }
    return 0;
}

static void print_warning(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "warning: %s\n", line);
}

static void print_diag(const hs_diag *d)
{
    char line[1200];
    fprintf(stderr, "error: %s\n", hs_diag_line(d, line, sizeof line));
}

/* A validation failure as an execution_error event (x_ltx.phase = "validation"). */
static void emit_validation_error(hs_events *ev, const hs_diag *d)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "node_id", d->node_id[0] ? json_object_new_string(d->node_id) : NULL);
    json_object_object_add(data, "node_type", d->class_type[0] ? json_object_new_string(d->class_type) : NULL);
    json_object_object_add(data, "executed", json_object_new_array());
    json_object_object_add(data, "exception_message", json_object_new_string(d->message));
    json_object_object_add(data, "exception_type", json_object_new_string(d->type));
    json_object_object_add(data, "traceback", json_object_new_array());
    json_object_object_add(data, "input", d->input[0] ? json_object_new_string(d->input) : NULL);
    json_object *x = json_object_new_object();
    json_object_object_add(x, "phase", json_object_new_string("validation"));
    json_object_object_add(data, "x_ltx", x);
    hs_event(ev, "execution_error", data);
}

/* A UI workflow becomes the API prompt the editor would queue; --bypass applies
 * to both formats. Replaces *text; on failure prints the error and frees it. Files
 * missing from the model/input folders go to *missing_out when given (run reports them
 * with every other validation error, in one pass), else they fail here. */
static int prepare_prompt(const cli *c, hs_plugin *hp, char **text, size_t *len, int pretty,
                          hs_diags *missing_out)
{
    hs_convert_opts o = {.types = hp->p->node_types, .n_types = hp->p->n_node_types, .bypass = c->bypass,
                         .n_bypass = c->n_bypass, .warn = pretty ? print_warning : NULL};
    /* run leaves unknown classes to validation, which names their packages */
    hs_folders folders = {.models = c->models, .input = c->input, .output = c->output};
    hs_diags missing = {0};
    o.folders = &folders;
    o.folder_errors = &missing;
    char err[1024];
    int was_ui;
    char *api = hs_prompt_text(*text, *len, &o, pretty, &was_ui, err, sizeof err);
    free(*text);
    *text = api;
    if (!api)
        return fail("cannot convert the UI workflow %s: %s", c->graph, err);
    *len = strlen(api);
    if (missing_out) {
        *missing_out = missing;
        return 0;
    }
    for (size_t i = 0; i < missing.n; i++)
        print_diag(&missing.v[i]);
    int rc = missing.n ? EXIT_USAGE : 0;
    hs_diags_free(&missing);
    if (rc) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

static int cmd_convert(const cli *c, hs_plugin *hp)
{
    if (!c->graph)
        return fail("%s%sconvert needs a WORKFLOW.json", "", "");
    char err[1024];
    size_t len = 0;
    char *text = hs_read_file(c->graph, "workflow", HS_GRAPH_MAX_BYTES, &len, err, sizeof err);
    if (!text)
        return fail("%s%s", err, "");
    if (prepare_prompt(c, hp, &text, &len, 1, NULL))
        return EXIT_USAGE;
    int rc = 0;
    if (c->out) { /* atomic, and never onto a device, FIFO or link (as the manifest) */
        char werr[1200];
        size_t n = strlen(text);
        char *line = malloc(n + 2);
        if (!line || (memcpy(line, text, n), line[n] = '\n', line[n + 1] = 0,
                      hs_write_file(c->out, "API prompt", line, werr, sizeof werr)))
            rc = fail("%s%s", line ? werr : "out of memory", "");
        free(line);
    } else if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
        rc = fail("cannot write stdout: %s%s", strerror(errno), "");
    }
    free(text);
    return rc;
}

static int cmd_run(const cli *c, hs_plugin *hp)
{
    if (!c->graph)
        return fail("%s%srun needs a GRAPH.json", "", "");
    char err[1024];
    size_t len = 0;
    char *text = hs_read_file(c->graph, "graph", HS_GRAPH_MAX_BYTES, &len, err, sizeof err);
    if (!text)
        return fail("%s%s", err, "");
    hs_diags all = {0}; /* validation errors: missing files, then every node's */
    if (prepare_prompt(c, hp, &text, &len, 0, &all))
        return EXIT_USAGE;
    hs_events ev = {0};
    if (c->events) {
        ev.f = fopen(c->events, "w");
        if (!ev.f) {
            free(text);
            return fail("cannot create events file %s: %s", c->events, strerror(errno));
        }
    }
    hs_graph g;
    hs_plan plan = {0};
    hs_diag d = {0};
    hs_vars vars = {.v = c->vars, .n = c->n_vars};
    int rc = EXIT_USAGE;
    char pid_buf[64];
    snprintf(pid_buf, sizeof pid_buf, "host-sim-%ld", (long)getpid());
    ev.prompt_id = pid_buf;
    if (hs_graph_parse(text, len, &g, &d)) {
        hs_diags_free(&all);
        hs_emit_prompt_error(&ev, NULL, &d, 1);
        emit_validation_error(&ev, &d);
        print_diag(&d);
        goto out_text;
    }
    if (g.prompt_id)
        ev.prompt_id = g.prompt_id;
    /* every invalid node is reported, one line each, as ComfyUI does */
    if (hs_graph_bind_all(&g, hp->p->node_types, hp->p->n_node_types, &vars, print_warning, NULL, &all) ||
        all.n) {
        hs_emit_prompt_error(&ev, &g, all.v, all.n);
        emit_validation_error(&ev, &all.v[0]);
        for (size_t i = 0; i < all.n; i++)
            print_diag(&all.v[i]);
        hs_diags_free(&all);
        goto out_graph;
    }
    if (hs_plan_build(&g, &plan, &d)) {
        hs_emit_prompt_error(&ev, &g, &d, 1);
        emit_validation_error(&ev, &d);
        print_diag(&d);
        goto out_graph;
    }
    hs_run_stats stats;
    hs_run_opts o = {.events = &ev, .tty = isatty(2), .verbose = c->verbose, .report = c->quiet ? NULL : stdout,
                     .stats = &stats, .output_dir = c->output, .device = c->dev.device,
                     .device_index = c->dev.index, .vram_budget = c->vram_budget};
    int res = hs_run(hp->p, &g, &plan, &o, &d);
    if (res == HS_RUN_OK) {
        rc = 0;
    } else if (res == HS_RUN_CANCELLED && hs_sigbus_file()) {
        fprintf(stderr, "error: %s was truncated or rewritten while mapped (bus error reading it); "
                        "the run was stopped and its outputs discarded\n", hs_sigbus_file());
        rc = EXIT_NODE_FAILED;
    } else if (res == HS_RUN_CANCELLED) {
        const char *by = stats.signum == SIGTERM ? " by SIGTERM" : stats.signum == SIGHUP ? " by SIGHUP" : "";
        if (d.node_id[0])
            fprintf(stderr, "cancelled%s: interrupted at node %s (%s)", by, d.node_id, d.class_type);
        else
            fprintf(stderr, "cancelled%s: interrupted before the next node", by);
        if (stats.cancel_wall_ms >= 0)
            fprintf(stderr, "; stopped %.0f ms after the request, %.0f ms of CPU time", stats.cancel_wall_ms,
                    stats.cancel_cpu_ms);
        fputc('\n', stderr);
        rc = 128 + (stats.signum ? stats.signum : SIGINT);
    } else {
        print_diag(&d);
        rc = EXIT_NODE_FAILED;
    }
    hs_plan_free(&g, &plan);
out_graph:
    ev.prompt_id = pid_buf; /* g.prompt_id goes away with g */
    hs_graph_free(&g);
out_text:
    if (hs_events_close(&ev, c->events, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", rc == 0 ? "error" : "warning", err);
        if (rc == 0)
            rc = EXIT_NODE_FAILED; /* the run worked, but whoever reads the events misses some */
    }
    free(text);
    return rc;
}

static int cmd_serve(const cli *c, hs_plugin *hp)
{
    hs_serve_opts o = {.listen = c->listen, .models = c->models, .input = c->input, .output = c->output,
                       .temp = c->temp, .front_end_root = c->front_end_root, .bypass = c->bypass,
                       .n_bypass = c->n_bypass, .device = c->dev.device, .device_index = c->dev.index,
                       .verbose = c->verbose};
#ifdef HS_HAVE_SERVE
    char err[1200];
    if (hs_serve(hp, &o, err, sizeof err))
        return fail("%s%s", err, "");
    return 0;
#else
    (void)o;
    (void)hp;
    return fail("%s%sthis host-sim was built without libwebsockets (libwebsockets-dev): serve is not available", "", "");
#endif
}

static int cmd_list(hs_plugin *hp)
{
    const ltx2_node_type **types = hs_sorted_types(hp->p);
    if (!types)
        return fail("%s%sout of memory", "", "");
    for (size_t i = 0; types[i]; i++)
        printf("%-32s %-20s %s\n", types[i]->class_type, types[i]->category ? types[i]->category : "",
               types[i]->display_name ? types[i]->display_name : "");
    free(types);
    return 0;
}

static int cmd_manifest(const cli *c, hs_plugin *hp)
{
    char *json = hs_manifest_json(hp->p);
    if (!json)
        return fail("%s%sout of memory", "", "");
    int rc = 0;
    if (c->out) {
        /* write beside the target and rename, so a failed run never leaves half a manifest */
        char err[1200];
        if (hs_write_file(c->out, "manifest", json, err, sizeof err))
            rc = fail("%s%s", err, "");
    } else {
        fputs(json, stdout);
    }
    free(json);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("host-sim 0.1.0 (LTX-2 plugin ABI %u.%u)\n", LTX2_ABI_MAJOR, LTX2_ABI_MINOR);
        return 0;
    }
    cli c;
    int rc = parse_cli(argc, argv, &c);
    if (rc || c.help) {
        if (c.help)
            fputs(usage, stdout);
        free(c.vars);
        free(c.bypass);
        return rc;
    }
    if (strcmp(c.cmd, "run") && strcmp(c.cmd, "list") && strcmp(c.cmd, "manifest") && strcmp(c.cmd, "convert") &&
        strcmp(c.cmd, "serve")) {
        free(c.vars);
        free(c.bypass);
        return fail("unknown command '%s'%s; see host-sim --help", c.cmd, "");
    }
    /* A run's stop signals wait (pending) until hs_run handles them: a Ctrl-C while the
     * plugin and its libraries load then cancels the run cleanly instead of killing the
     * process. Blocked before the plugin starts its threads, so they inherit the mask and
     * the signals reach the loop's thread only. */
    if (!strcmp(c.cmd, "run"))
        hs_block_stop_signals(1);
    hs_plugin hp;
    char err[1024];
    if (hs_plugin_load(&hp, c.plugin, c.threads, c.vram_budget, c.verbose, err, sizeof err)) {
        free(c.vars);
        free(c.bypass);
        return fail("%s%s", err, "");
    }
    int runs = !strcmp(c.cmd, "run") || !strcmp(c.cmd, "serve");
    if (runs && hs_device_pick(hp.p, c.device, &c.dev, err, sizeof err)) {
        hs_plugin_unload(&hp);
        free(c.vars);
        free(c.bypass);
        return fail("%s%s", err, ""); /* up front: a device that cannot run is a usage error */
    }
    if (runs && c.verbose) {
        char dev[384];
        fprintf(stderr, "device: %s\n", hs_device_str(hp.p, c.dev, dev, sizeof dev));
    }
    if (!strcmp(c.cmd, "run"))
        rc = cmd_run(&c, &hp);
    else if (!strcmp(c.cmd, "convert"))
        rc = cmd_convert(&c, &hp);
    else if (!strcmp(c.cmd, "serve"))
        rc = cmd_serve(&c, &hp);
    else if (!strcmp(c.cmd, "list"))
        rc = cmd_list(&hp);
    else
        rc = cmd_manifest(&c, &hp);
    hs_plugin_unload(&hp);
    free(c.vars);
    free(c.bypass);
    return rc;
}
