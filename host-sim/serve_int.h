/* serve_int.h — the server's state, shared by serve*.c (not a public API). All of
 * it is touched on the loop thread only, except the inbox (worker -> loop). */
#ifndef HS_SERVE_INT_H
#define HS_SERVE_INT_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "graph.h"
#include "serve.h"

struct json_object;
struct lws;
struct lws_context;
struct lws_spa;

/* Request limits: a prompt with its UI workflow is kilobytes to a few MiB. */
#define HS_SRV_MAX_JSON ((size_t)32 << 20)
#define HS_SRV_MAX_UPLOAD ((size_t)512 << 20)
#define HS_SRV_MAX_WS_BACKLOG ((size_t)64 << 20) /* unsent bytes before a client is dropped */
#define HS_SRV_MAX_HISTORY 10000
#define HS_SRV_MAX_QUEUE 100000

typedef struct hs_msg {
    struct hs_msg *next;
    size_t len;
    char text[]; /* LWS_PRE bytes of headroom precede the payload */
} hs_msg;

/* One queued prompt. */
typedef struct hs_job {
    struct hs_job *next;
    char prompt_id[80];
    char client_id[128];
    long long number;
    char *text;                  /* the API prompt text the graph was parsed from */
    hs_graph g;
    hs_plan plan;
    hs_diag d;
    struct json_object *entry;   /* [number, id, prompt, extra_data, outputs_to_execute] */
    long long create_ms;         /* when it was queued */
    int result;
} hs_job;

/* A websocket client or an HTTP request (libwebsockets' per-session data). */
typedef struct hs_conn {
    struct hs_conn *prev, *next; /* websocket clients */
    struct hs_server *srv;
    struct lws *wsi;
    int is_ws;
    char client_id[128];
    hs_msg *out_head, *out_tail; /* websocket: messages to send */
    size_t out_bytes;
    /* HTTP */
    int method;                  /* HS_GET, ... */
    char path[512];
    char *body;
    size_t body_len, body_cap, body_max;
    int too_big;
    struct lws_spa *spa;         /* multipart upload */
    char *file;                  /* upload contents */
    size_t file_len, file_cap;
    char file_name[256];
    int file_seen;
    char *resp;                  /* response body being written */
    size_t resp_len, resp_off;
} hs_conn;

enum { HS_GET = 1, HS_POST, HS_PUT, HS_DELETE, HS_OTHER };

typedef struct hs_server {
    hs_plugin *hp;
    const hs_serve_opts *o;
    char models[4096], input[4096], output[4096], temp[4096], front[4096]; /* absolute, "" = none */
    uv_loop_t loop;
    struct lws_context *ctx;
    uv_signal_t sig_int, sig_term;
    uv_async_t wake;             /* worker -> loop: events and job end */
    struct json_object *nodes;   /* the manifest's nodes (object_info without folder lists) */
    hs_conn *clients;            /* websocket clients */
    int stopping;

    /* queue (loop thread) */
    hs_job *pending;             /* sorted by number */
    size_t n_pending;
    hs_job *running;
    long long next_number;
    struct json_object *history; /* prompt_id -> entry, oldest first */
    struct json_object *settings;

    /* worker */
    uv_thread_t worker;
    int worker_started;
    volatile int32_t cancel;

    /* inbox: worker -> loop */
    uv_mutex_t mu;
    hs_msg *in_head, *in_tail;
    int job_done;
} hs_server;

/* serve_http.c: answers. Each returns 0, or -1 when the connection must close. */
int hs_http_send(hs_conn *c, int status, const char *mime, const char *body, size_t len);
int hs_http_json(hs_conn *c, int status, struct json_object *body); /* consumes body */
int hs_http_error(hs_conn *c, int status, const char *type, const char *message);
int hs_http_file(hs_conn *c, const char *path); /* a regular file, mime from its name */
/* The query argument `name` (URL-decoded by libwebsockets) into buf; 0 or -1 when absent. */
int hs_http_arg(hs_conn *c, const char *name, char *buf, size_t size);
/* Writes the next chunk of a pending response (on writable). */
int hs_http_writable(hs_conn *c);

/* serve_api.c: one request, after its body arrived. */
int hs_api_handle(hs_conn *c);

/* serve_queue.c */
int hs_queue_init(hs_server *s);
void hs_queue_free(hs_server *s);
/* Validates and queues; on success fills *reply, else *reply is the 400 body. 0 / -1. */
int hs_queue_prompt(hs_server *s, struct json_object *req, struct json_object **reply);
struct json_object *hs_queue_state(hs_server *s); /* GET /queue */
size_t hs_queue_remaining(const hs_server *s);
void hs_queue_delete(hs_server *s, struct json_object *req); /* POST /queue */
void hs_queue_interrupt(hs_server *s, const char *prompt_id); /* NULL = the running one */
void hs_queue_on_wake(uv_async_t *h);
/* Waits for the running prompt (cancelled) before shutdown. */
void hs_queue_stop(hs_server *s);

/* serve_jobs.c: ComfyUI's jobs API (GET /jobs, /jobs/{id}) over the queue and history. */
struct json_object *hs_jobs_list(hs_server *s, const char *statuses, long offset, long limit);
struct json_object *hs_job_detail(hs_server *s, const char *id); /* NULL: no such job */

/* serve_ws.c */
void hs_ws_open(hs_conn *c);
void hs_ws_close(hs_conn *c);
int hs_ws_writable(hs_conn *c);
/* Sends text to client_id's sockets, or to every client when client_id is NULL/"". */
void hs_ws_send(hs_server *s, const char *client_id, const char *text, size_t len);
void hs_ws_status(hs_server *s, const char *client_id); /* {"type":"status",...} */

/* serve_files.c */
/* The folder of a ComfyUI file type ("output", "input", "temp"), or NULL. */
const char *hs_srv_folder(const hs_server *s, const char *type);
/* base/subfolder/name if it stays inside base after symlinks; 0 or -1. */
int hs_confined_path(const char *base, const char *subfolder, const char *name, char *out, size_t size);
int hs_view(hs_conn *c);
int hs_upload(hs_conn *c);
int hs_static(hs_conn *c); /* the frontend's files */
struct json_object *hs_folder_list(const char *dir, int recursive); /* sorted relative file names */

#endif
