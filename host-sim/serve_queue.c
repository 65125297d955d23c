/* serve_queue.c — the prompt queue: POST /prompt validates at once (every bad
 * node in node_errors, as ComfyUI), the valid prompt waits in number order and
 * runs alone on a worker thread through hs_run; its events come back to the loop
 * through the inbox, go to the prompt's websocket client and into /history. */
#include "serve_int.h"
#include "exec.h"
#include "prompt_errors.h"
#include "prompt_source.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int hs_queue_init(hs_server *s)
{
    s->history = json_object_new_object();
    s->settings = json_object_new_object();
    s->next_number = 0;
    return s->history && s->settings ? 0 : -1;
}

static void job_free(hs_job *j)
{
    if (!j)
        return;
    if (j->g.nodes) {
        hs_plan_free(&j->g, &j->plan);
        hs_graph_free(&j->g);
    }
    json_object_put(j->entry);
    free(j->text);
    free(j);
}

static void free_msgs(hs_msg *m)
{
    while (m) {
        hs_msg *n = m->next;
        free(m);
        m = n;
    }
}

void hs_queue_free(hs_server *s)
{
    while (s->pending) {
        hs_job *j = s->pending;
        s->pending = j->next;
        job_free(j);
    }
    job_free(s->running);
    s->running = NULL;
    free_msgs(s->in_head);
    s->in_head = s->in_tail = NULL;
    json_object_put(s->history);
    json_object_put(s->settings);
}

size_t hs_queue_remaining(const hs_server *s)
{
    return s->n_pending + (s->running ? 1 : 0);
}

static void new_uuid(char *out, size_t size)
{
    unsigned char b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) { /* never on Linux; still distinct ids */
        unsigned long long t = uv_hrtime();
        memcpy(b, &t, sizeof t);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---------------------------------------------------------------- worker (its own thread) */
static void sink(void *user, const char *type, const char *line)
{
    hs_server *s = user;
    (void)type;
    size_t len = strlen(line);
    hs_msg *m = malloc(sizeof *m + len + 1) /* + the NUL the loop adds */;
    if (!m)
        return;
    m->next = NULL;
    m->len = len;
    memcpy(m->text, line, len);
    uv_mutex_lock(&s->mu);
    if (s->in_tail)
        s->in_tail->next = m;
    else
        s->in_head = m;
    s->in_tail = m;
    uv_mutex_unlock(&s->mu);
    uv_async_send(&s->wake);
}

static void worker_main(void *arg)
{
    hs_server *s = arg;
    hs_job *j = s->running;
    hs_events ev = {.prompt_id = j->prompt_id, .sink = sink, .sink_user = s};
    hs_run_opts ro = {.events = &ev, .verbose = s->o->verbose, .output_dir = s->output, .device = s->o->device,
                      .device_index = s->o->device_index, .cancel = &s->cancel};
    j->result = hs_run(s->hp->p, &j->g, &j->plan, &ro, &j->d);
    uv_mutex_lock(&s->mu);
    s->job_done = 1;
    uv_mutex_unlock(&s->mu);
    uv_async_send(&s->wake);
}

/* ---------------------------------------------------------------- loop side */
static void start_next(hs_server *s)
{
    if (s->running || s->stopping || !s->pending)
        return;
    hs_job *j = s->pending;
    s->pending = j->next;
    s->n_pending--;
    j->next = NULL;
    s->running = j;
    __atomic_store_n(&s->cancel, 0, __ATOMIC_RELAXED);
    if (uv_thread_create(&s->worker, worker_main, s)) {
        fprintf(stderr, "error: cannot start a worker thread for prompt %s\n", j->prompt_id);
        s->running = NULL;
        job_free(j);
        return;
    }
    s->worker_started = 1;
}

/* The history entry of the running job, made on its first event. */
static json_object *history_entry(hs_server *s, hs_job *j)
{
    json_object *h;
    if (json_object_object_get_ex(s->history, j->prompt_id, &h))
        return h;
    while (json_object_object_length(s->history) >= HS_SRV_MAX_HISTORY) {
        struct json_object_iterator it = json_object_iter_begin(s->history);
        char oldest[128];
        snprintf(oldest, sizeof oldest, "%s", json_object_iter_peek_name(&it));
        json_object_object_del(s->history, oldest);
    }
    h = json_object_new_object();
    json_object *status = json_object_new_object();
    json_object_object_add(h, "prompt", json_object_get(j->entry));
    json_object_object_add(h, "outputs", json_object_new_object());
    json_object_object_add(status, "status_str", json_object_new_string("running"));
    json_object_object_add(status, "completed", json_object_new_boolean(0));
    json_object_object_add(status, "messages", json_object_new_array());
    json_object_object_add(h, "status", status);
    json_object_object_add(h, "meta", json_object_new_object());
    json_object *x = json_object_new_object(); /* for the jobs API */
    json_object_object_add(x, "create_time", json_object_new_int64(j->create_ms));
    json_object_object_add(h, "x_ltx", x);
    json_object_object_add(s->history, j->prompt_id, h);
    return h;
}

/* Keeps what /history reports: outputs of `executed`, the status messages. */
static void record(hs_server *s, hs_job *j, const char *text, size_t len)
{
    json_object *m = json_tokener_parse(text), *type, *data;
    (void)len;
    if (!m || !json_object_object_get_ex(m, "type", &type) || !json_object_object_get_ex(m, "data", &data)) {
        json_object_put(m);
        return;
    }
    const char *t = json_object_get_string(type);
    json_object *h = history_entry(s, j), *x;
    if (!strcmp(t, "executed")) {
        json_object *node, *out, *outputs, *meta;
        if (json_object_object_get_ex(data, "node", &node) && json_object_object_get_ex(data, "output", &out) &&
            json_object_object_get_ex(h, "outputs", &outputs) && json_object_object_get_ex(h, "meta", &meta)) {
            const char *id = json_object_get_string(node);
            json_object_object_add(outputs, id, json_object_get(out));
            json_object *mi = json_object_new_object();
            json_object_object_add(mi, "node_id", json_object_new_string(id));
            json_object_object_add(mi, "display_node", json_object_new_string(id));
            json_object_object_add(mi, "parent_node", NULL);
            json_object_object_add(mi, "real_node_id", json_object_new_string(id));
            json_object_object_add(meta, id, mi);
        }
    } else if (!strncmp(t, "execution_", 10) && json_object_object_get_ex(h, "status", &x)) {
        json_object *msgs, *pair = json_object_new_array();
        json_object_object_get_ex(x, "messages", &msgs);
        json_object_array_add(pair, json_object_new_string(t));
        json_object_array_add(pair, json_object_get(data));
        json_object_array_add(msgs, pair);
    }
    json_object_put(m);
}

static void finish_job(hs_server *s)
{
    hs_job *j = s->running;
    json_object *h = history_entry(s, j), *st;
    if (json_object_object_get_ex(h, "status", &st)) {
        json_object_object_add(st, "status_str", json_object_new_string(j->result == HS_RUN_OK ? "success" : "error"));
        json_object_object_add(st, "completed", json_object_new_boolean(j->result == HS_RUN_OK));
    }
    if (j->result == HS_RUN_FAILED)
        fprintf(stderr, "prompt %s failed: node %s (%s): %s\n", j->prompt_id, j->d.node_id, j->d.class_type,
                j->d.message);
    job_free(j);
    s->running = NULL;
}

void hs_queue_on_wake(uv_async_t *h)
{
    hs_server *s = h->data;
    uv_mutex_lock(&s->mu);
    hs_msg *m = s->in_head;
    s->in_head = s->in_tail = NULL;
    int done = s->job_done;
    s->job_done = 0;
    uv_mutex_unlock(&s->mu);
    for (hs_msg *k = m; k && s->running; k = k->next) {
        k->text[k->len] = 0; /* room was allocated */
        record(s, s->running, k->text, k->len);
        /* ComfyUI's frontend reports unknown message types as errors: host-sim's own
         * x_ltx_* events stay off the websocket (host-sim run --events has them) */
        if (strncmp(k->text, "{\"type\":\"x_ltx", 14))
            hs_ws_send(s, s->running->client_id, k->text, k->len);
    }
    free_msgs(m);
    if (done && s->running) {
        uv_thread_join(&s->worker);
        s->worker_started = 0;
        finish_job(s);
        start_next(s);
        hs_ws_status(s, NULL);
    }
}

void hs_queue_stop(hs_server *s)
{
    s->stopping = 1;
    __atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
    if (s->worker_started) {
        uv_thread_join(&s->worker);
        s->worker_started = 0;
    }
}

void hs_queue_interrupt(hs_server *s, const char *prompt_id)
{
    if (s->running && (!prompt_id || !strcmp(prompt_id, s->running->prompt_id)))
        __atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
}

json_object *hs_queue_state(hs_server *s)
{
    json_object *r = json_object_new_object(), *run = json_object_new_array(), *pend = json_object_new_array();
    if (s->running)
        json_object_array_add(run, json_object_get(s->running->entry));
    for (hs_job *j = s->pending; j; j = j->next)
        json_object_array_add(pend, json_object_get(j->entry));
    json_object_object_add(r, "queue_running", run);
    json_object_object_add(r, "queue_pending", pend);
    return r;
}

void hs_queue_delete(hs_server *s, json_object *req)
{
    json_object *v;
    int clear = json_object_object_get_ex(req, "clear", &v) && json_object_get_boolean(v);
    json_object *del = NULL;
    json_object_object_get_ex(req, "delete", &del);
    for (hs_job **pp = &s->pending; *pp;) {
        hs_job *j = *pp;
        int drop = clear;
        for (size_t i = 0; !drop && del && json_object_is_type(del, json_type_array) && i < json_object_array_length(del); i++)
            drop = !strcmp(json_object_get_string(json_object_array_get_idx(del, i)), j->prompt_id);
        if (drop) {
            *pp = j->next;
            s->n_pending--;
            job_free(j);
        } else {
            pp = &j->next;
        }
    }
    hs_ws_status(s, NULL);
}

static json_object *no_prompt(const char *type, const char *message)
{
    hs_diag d = {0};
    snprintf(d.type, sizeof d.type, "%s", type);
    snprintf(d.message, sizeof d.message, "%s", message);
    return hs_prompt_error_body(NULL, &d, 1);
}

/* Converts (a UI workflow too), resolves folders, parses, binds every node, plans. */
static int check(hs_server *s, hs_job *j, json_object *prompt, json_object **reply)
{
    const ltx2_plugin *p = s->hp->p;
    hs_folders f = {.models = s->models[0] ? s->models : NULL, .input = s->input, .output = s->output, .confine = 1};
    hs_diags all = {0};
    hs_convert_opts co = {.types = p->node_types, .n_types = p->n_node_types, .bypass = s->o->bypass,
                          .n_bypass = s->o->n_bypass, .folders = &f, .folder_errors = &all};
    const char *text = json_object_to_json_string_ext(prompt, JSON_C_TO_STRING_PLAIN);
    char err[1024];
    int was_ui;
    j->text = text ? hs_prompt_text(text, strlen(text), &co, 0, &was_ui, err, sizeof err) : NULL;
    if (!j->text) {
        hs_diags_free(&all);
        *reply = no_prompt("invalid_prompt", text ? err : "out of memory");
        return -1;
    }
    hs_diag d = {0};
    if (hs_graph_parse(j->text, strlen(j->text), &j->g, &d)) {
        hs_diags_free(&all);
        *reply = hs_prompt_error_body(NULL, &d, 1);
        return -1;
    }
    hs_vars none = {0};
    if (hs_graph_bind_all(&j->g, p->node_types, p->n_node_types, &none, NULL, NULL, &all) || all.n) {
        *reply = hs_prompt_error_body(&j->g, all.v, all.n);
        hs_diags_free(&all);
        return -1;
    }
    if (hs_plan_build(&j->g, &j->plan, &d)) {
        *reply = hs_prompt_error_body(&j->g, &d, 1);
        return -1;
    }
    return 0;
}

/* A prompt_id already queued, running or in the history. */
static int known_id(const hs_server *s, const char *id)
{
    if (s->running && !strcmp(s->running->prompt_id, id))
        return 1;
    for (const hs_job *q = s->pending; q; q = q->next)
        if (!strcmp(q->prompt_id, id))
            return 1;
    return json_object_object_get_ex(s->history, id, NULL);
}

static void insert(hs_server *s, hs_job *j)
{
    hs_job **pp = &s->pending;
    while (*pp && (*pp)->number <= j->number)
        pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    s->n_pending++;
}

int hs_queue_prompt(hs_server *s, json_object *req, json_object **reply)
{
    json_object *prompt, *v;
    if (!json_object_is_type(req, json_type_object) || !json_object_object_get_ex(req, "prompt", &prompt) ||
        !json_object_is_type(prompt, json_type_object)) {
        *reply = no_prompt("no_prompt", "No prompt provided");
        return -1;
    }
    if (hs_queue_remaining(s) >= HS_SRV_MAX_QUEUE) {
        *reply = no_prompt("queue_full", "The queue is full");
        return -1;
    }
    hs_job *j = calloc(1, sizeof *j);
    if (!j) {
        *reply = no_prompt("server_error", "out of memory");
        return -1;
    }
    if (json_object_object_get_ex(req, "client_id", &v) && json_object_is_type(v, json_type_string))
        snprintf(j->client_id, sizeof j->client_id, "%s", json_object_get_string(v));
    const char *pid = json_object_object_get_ex(req, "prompt_id", &v) && json_object_is_type(v, json_type_string)
                          ? json_object_get_string(v)
                          : NULL;
    if (pid && (!*pid || strlen(pid) >= sizeof j->prompt_id || known_id(s, pid))) {
        free(j);
        *reply = no_prompt("invalid_prompt", "prompt_id must be a new id of at most 79 characters");
        return -1;
    }
    if (pid)
        snprintf(j->prompt_id, sizeof j->prompt_id, "%s", pid);
    else
        new_uuid(j->prompt_id, sizeof j->prompt_id);
    if (check(s, j, prompt, reply)) {
        job_free(j);
        return -1;
    }
    if (json_object_object_get_ex(req, "number", &v) && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        j->number = (long long)json_object_get_double(v);
    else if (json_object_object_get_ex(req, "front", &v) && json_object_get_boolean(v))
        j->number = -s->next_number;
    else
        j->number = s->next_number;
    s->next_number++;
    j->create_ms = hs_now_ms();
    json_object *extra = NULL, *outs = json_object_new_array();
    if (json_object_object_get_ex(req, "extra_data", &v) && json_object_is_type(v, json_type_object))
        extra = json_object_get(v);
    else
        extra = json_object_new_object();
    json_object_object_add(extra, "client_id", json_object_new_string(j->client_id));
    for (size_t i = 0; i < j->g.n_nodes; i++)
        if (j->g.nodes[i].type && (j->g.nodes[i].type->flags & LTX2_NODE_OUTPUT))
            json_object_array_add(outs, json_object_new_string(j->g.nodes[i].id));
    j->entry = json_object_new_array();
    json_object_array_add(j->entry, json_object_new_int64(j->number));
    json_object_array_add(j->entry, json_object_new_string(j->prompt_id));
    json_object_array_add(j->entry, json_object_get(prompt));
    json_object_array_add(j->entry, extra);
    json_object_array_add(j->entry, outs);
    insert(s, j);
    *reply = json_object_new_object();
    json_object_object_add(*reply, "prompt_id", json_object_new_string(j->prompt_id));
    json_object_object_add(*reply, "number", json_object_new_int64(j->number));
    json_object_object_add(*reply, "node_errors", json_object_new_object());
    start_next(s);
    hs_ws_status(s, NULL);
    return 0;
}
