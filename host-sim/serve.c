/* serve.c — `host-sim serve`: libwebsockets (HTTP/1.1 + websocket) on the libuv
 * loop, a callback that routes each request, and a clean stop on SIGINT/SIGTERM.
 * libwebsockets is Debian's maintained C server library with a libuv event-loop
 * plugin (libwebsockets-evlib-uv), so the server shares host-sim's loop and leaves
 * HTTP parsing, websocket framing and multipart decoding to it. */
#include "serve.h"
#include "serve_int.h"
#include "manifest.h"

#include <errno.h>
#include <json-c/json.h>
#include <libwebsockets.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int method_of(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return HS_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return HS_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
        return HS_PUT;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
        return HS_DELETE;
    return HS_OTHER;
}

/* As ComfyUI's default: a browser request whose Origin is not this server's Host
 * is refused, so a web page cannot drive the local server (no Origin: a script or
 * client, allowed). */
static int same_origin(struct lws *wsi)
{
    char origin[256] = "", host[256] = "";
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
        return 1;
    lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST);
    const char *o = strstr(origin, "://");
    return o && host[0] && !strcasecmp(o + 3, host);
}

static void reset_request(hs_conn *c)
{
    free(c->body);
    free(c->file);
    free(c->resp);
    if (c->spa)
        lws_spa_destroy(c->spa);
    c->body = c->file = c->resp = NULL;
    c->spa = NULL;
    c->body_len = c->body_cap = c->file_len = c->file_cap = c->resp_len = c->resp_off = 0;
    c->too_big = c->file_seen = 0;
    c->file_name[0] = 0;
}

/* Upload data from the multipart parser: the file kept in memory up to the limit. */
static int on_upload(void *data, const char *name, const char *filename, char *buf, int len,
                     enum lws_spa_fileupload_states state)
{
    hs_conn *c = data;
    if (strcmp(name, "image"))
        return 0;
    if (state == LWS_UFS_OPEN) {
        c->file_seen = 1;
        snprintf(c->file_name, sizeof c->file_name, "%s", filename ? filename : "");
        c->file_len = 0;
        return 0;
    }
    if ((state == LWS_UFS_CONTENT || state == LWS_UFS_FINAL_CONTENT) && len > 0) {
        if (c->file_len + (size_t)len > HS_SRV_MAX_UPLOAD) {
            c->too_big = 1;
            return -1;
        }
        if (c->file_len + (size_t)len > c->file_cap) {
            size_t cap = c->file_cap ? c->file_cap * 2 : 65536;
            while (cap < c->file_len + (size_t)len)
                cap *= 2;
            char *nb = realloc(c->file, cap);
            if (!nb)
                return -1;
            c->file = nb;
            c->file_cap = cap;
        }
        memcpy(c->file + c->file_len, buf, (size_t)len);
        c->file_len += (size_t)len;
    }
    return 0;
}

static const char *const upload_params[] = {"image", "overwrite", "subfolder", "type"};

static int begin_http(hs_conn *c, struct lws *wsi, const char *uri)
{
    reset_request(c);
    c->wsi = wsi;
    c->method = method_of(wsi);
    snprintf(c->path, sizeof c->path, "%s", uri ? uri : "/");
    if (!same_origin(wsi)) {
        c->too_big = 1; /* its body is not read: close after the answer */
        return hs_http_error(c, 403, "forbidden", "cross-origin request refused (Origin is not this server)");
    }
    if (c->method != HS_POST && c->method != HS_PUT)
        return hs_api_handle(c);
    char cl[32] = "";
    int has_len = lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
    int chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    const char *p = c->path + (strncmp(c->path, "/api/", 5) ? 0 : 4);
    int upload = !strcmp(p, "/upload/image");
    c->body_max = upload ? HS_SRV_MAX_UPLOAD + 65536 : HS_SRV_MAX_JSON;
    if (has_len && strtoull(cl, NULL, 10) > c->body_max) {
        c->too_big = 1; /* refused before reading it; the connection closes after the answer */
        return hs_http_error(c, 413, "request_too_large", "the request body is larger than the server accepts");
    }
    if ((!has_len || !strcmp(cl, "0")) && !chunked)
        return hs_api_handle(c); /* no body */
    if (upload) {
        char ct[128] = "";
        lws_hdr_copy(wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE);
        if (strncmp(ct, "multipart/form-data", 19))
            return hs_http_error(c, 400, "invalid_request", "upload/image takes multipart/form-data");
        lws_spa_create_info_t si = {.param_names = upload_params, .count_params = 4, .max_storage = 8192,
                                    .opt_cb = on_upload, .opt_data = c};
        c->spa = lws_spa_create_via_info(wsi, &si);
        if (!c->spa)
            return hs_http_error(c, 500, "server_error", "cannot parse the upload");
    }
    return 0;
}

static int on_body(hs_conn *c, const char *in, size_t len)
{
    if (c->too_big || c->resp)
        return 0;
    if (c->body_len + len > c->body_max) {
        c->too_big = 1;
        return hs_http_error(c, 413, "request_too_large", "the request body is larger than the server accepts");
    }
    if (c->spa) {
        c->body_len += len;
        if (lws_spa_process(c->spa, in, (int)len)) {
            if (c->too_big)
                return hs_http_error(c, 413, "request_too_large", "the upload is larger than the server accepts");
            return hs_http_error(c, 400, "invalid_request", "malformed multipart body");
        }
        return 0;
    }
    if (c->body_len + len + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap * 2 : 4096;
        while (cap < c->body_len + len + 1)
            cap *= 2;
        char *nb = realloc(c->body, cap);
        if (!nb)
            return hs_http_error(c, 500, "server_error", "out of memory");
        c->body = nb;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, in, len);
    c->body_len += len;
    c->body[c->body_len] = 0;
    return 0;
}

/* The /ws?clientId= upgrade: other paths are refused. */
static int filter_ws(hs_conn *c, struct lws *wsi)
{
    char uri[256] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || (strcmp(uri, "/ws") && strcmp(uri, "/api/ws")) ||
        !same_origin(wsi))
        return -1;
    reset_request(c); /* a keep-alive connection may have served requests before */
    memset(c, 0, sizeof *c);
    c->wsi = wsi;
    c->srv = lws_context_user(lws_get_context(wsi));
    if (hs_http_arg(c, "clientId", c->client_id, sizeof c->client_id))
        c->client_id[0] = 0;
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    hs_conn *c = user;
    if (c && !c->srv && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
        c->srv = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return begin_http(c, wsi, in);
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(c, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (c->too_big || c->resp)
            return 0;
        if (c->spa && lws_spa_finalize(c->spa))
            return hs_http_error(c, 400, "invalid_request", "malformed multipart body");
        return hs_api_handle(c);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return hs_http_writable(c);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c && !c->is_ws)
            reset_request(c);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_ws(c, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        hs_ws_open(c);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return hs_ws_writable(c);
    case LWS_CALLBACK_RECEIVE:
        return 0; /* clients' messages (feature flags) need no answer */
    case LWS_CALLBACK_CLOSED:
        hs_ws_close(c);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"comfy", callback, sizeof(hs_conn), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_stop(uv_signal_t *h, int signum)
{
    hs_server *s = h->data;
    (void)signum;
    if (s->stopping++)
        return;
    fprintf(stderr, "host-sim serve: stopping\n");
    hs_queue_stop(s); /* cancels the running prompt and waits for its worker */
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->wake, NULL);
    lws_context_destroy(s->ctx); /* closes its handles; lws clears s->ctx once it is gone */
}

/* --listen HOST:PORT (PORT 0: any free port, printed at start). */
static int parse_listen(const char *l, char *host, size_t hsize, int *port)
{
    const char *colon = strrchr(l, ':');
    if (!colon || colon == l || (size_t)(colon - l) >= hsize)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    snprintf(host, hsize, "%.*s", (int)(colon - l), l);
    if (host[0] == '[') { /* [::1] */
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            return -1;
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    *port = (int)p;
    return 0;
}

/* An absolute copy of a folder (given, else the fallback; none: ""), created when asked. */
static int folder(const char *given, const char *fallback, int create, char *out, size_t size, char *err,
                  size_t err_size)
{
    const char *d = given ? given : fallback;
    if (!d) {
        out[0] = 0;
        return 0;
    }
    if (create && mkdir(d, 0755) && errno != EEXIST) {
        snprintf(err, err_size, "cannot create folder %s: %s", d, strerror(errno));
        return -1;
    }
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(d, real) || stat(real, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "folder %s is not usable: %s", d, errno ? strerror(errno) : "not a directory");
        return -1;
    }
    snprintf(out, size, "%s", real);
    return 0;
}

static int load_nodes(hs_server *s)
{
    char *text = hs_manifest_json(s->hp->p);
    json_object *m = text ? json_tokener_parse(text) : NULL, *nodes;
    free(text);
    if (!m || !json_object_object_get_ex(m, "nodes", &nodes)) {
        json_object_put(m);
        return -1;
    }
    s->nodes = json_object_get(nodes);
    json_object_put(m);
    return 0;
}

int hs_serve(hs_plugin *hp, const hs_serve_opts *o, char *err, size_t err_size)
{
    char host[256];
    int port;
    if (parse_listen(o->listen ? o->listen : "127.0.0.1:8188", host, sizeof host, &port)) {
        snprintf(err, err_size, "--listen takes HOST:PORT (e.g. 127.0.0.1:8188), got '%s'", o->listen);
        return -1;
    }
    hs_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    s->hp = hp;
    s->o = o;
    int rc = -1;
    if (folder(o->models, "models", 1, s->models, sizeof s->models, err, err_size) ||
        folder(o->input, "input", 1, s->input, sizeof s->input, err, err_size) ||
        folder(o->output, "output", 1, s->output, sizeof s->output, err, err_size) ||
        folder(o->temp, "temp", 1, s->temp, sizeof s->temp, err, err_size) ||
        folder(o->front_end_root, NULL, 0, s->front, sizeof s->front, err, err_size))
        goto out;
    if (load_nodes(s) || hs_queue_init(s)) {
        snprintf(err, err_size, "out of memory");
        goto out;
    }
    if (uv_loop_init(&s->loop) || uv_mutex_init(&s->mu)) {
        snprintf(err, err_size, "cannot start the event loop");
        goto out_queue;
    }
    uv_async_init(&s->loop, &s->wake, hs_queue_on_wake);
    s->wake.data = s;
    uv_signal_init(&s->loop, &s->sig_int);
    uv_signal_init(&s->loop, &s->sig_term);
    s->sig_int.data = s->sig_term.data = s;
    uv_signal_start(&s->sig_int, on_stop, SIGINT);
    uv_signal_start(&s->sig_term, on_stop, SIGTERM);
    signal(SIGPIPE, SIG_IGN); /* a vanished client is an error value, not a death */

    lws_set_log_level(o->verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[] = {&s->loop};
    info.port = port;
    info.iface = host;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.foreign_loops = loops;
    info.user = s;
    info.pcontext = &s->ctx; /* on a foreign loop the context goes away in steps */
    info.max_http_header_data = 8192;
    info.timeout_secs = 30;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(err, err_size, "cannot listen on %s:%d (address in use, or libwebsockets' libuv plugin "
                 "libwebsockets-evlib-uv missing)", host, port);
        uv_close((uv_handle_t *)&s->sig_int, NULL);
        uv_close((uv_handle_t *)&s->sig_term, NULL);
        uv_close((uv_handle_t *)&s->wake, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        goto out_loop;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(s->ctx, "default");
    int bound = vh ? lws_get_vhost_listen_port(vh) : port;
    printf("host-sim serve: listening on http://%s%s%s:%d\n", strchr(host, ':') ? "[" : "", host,
           strchr(host, ':') ? "]" : "", bound);
    fflush(stdout);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (s->ctx) { /* the last step of its destruction, with the loop stopped */
        lws_context_destroy(s->ctx);
        uv_run(&s->loop, UV_RUN_DEFAULT);
    }
    rc = 0;
out_loop:
    if (uv_loop_close(&s->loop) == UV_EBUSY)
        fprintf(stderr, "warning: event loop closed with handles open\n");
    uv_mutex_destroy(&s->mu);
out_queue:
    hs_queue_free(s);
out:
    json_object_put(s->nodes);
    free(s);
    return rc;
}
