/* serve_ws.c — websocket clients: ComfyUI's JSON messages queued per client and
 * written as the socket drains. A client that stops reading is dropped once its
 * backlog passes HS_SRV_MAX_WS_BACKLOG, so memory stays bounded. */
#include "serve_int.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

static void push(hs_conn *c, const char *text, size_t len)
{
    if (c->out_bytes + len > HS_SRV_MAX_WS_BACKLOG) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    hs_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return;
    m->next = NULL;
    m->len = len;
    memcpy(m->text + LWS_PRE, text, len);
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    c->out_bytes += len;
    lws_callback_on_writable(c->wsi);
}

void hs_ws_send(hs_server *s, const char *client_id, const char *text, size_t len)
{
    for (hs_conn *c = s->clients; c; c = c->next)
        if (!client_id || !client_id[0] || !strcmp(c->client_id, client_id))
            push(c, text, len);
}

void hs_ws_status(hs_server *s, const char *client_id)
{
    json_object *m = json_object_new_object(), *d = json_object_new_object(), *st = json_object_new_object(),
                *ei = json_object_new_object();
    json_object_object_add(ei, "queue_remaining", json_object_new_int64((int64_t)hs_queue_remaining(s)));
    json_object_object_add(st, "exec_info", ei);
    json_object_object_add(d, "status", st);
    if (client_id)
        json_object_object_add(d, "sid", json_object_new_string(client_id));
    json_object_object_add(m, "type", json_object_new_string("status"));
    json_object_object_add(m, "data", d);
    const char *t = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
    if (t)
        hs_ws_send(s, client_id, t, strlen(t));
    json_object_put(m);
}

void hs_ws_open(hs_conn *c)
{
    hs_server *s = c->srv;
    c->is_ws = 1;
    if (!c->client_id[0]) /* ComfyUI names a client without an id */
        snprintf(c->client_id, sizeof c->client_id, "%016llx%08x", (unsigned long long)uv_hrtime(),
                 (unsigned)(uintptr_t)c);
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    hs_ws_status(s, c->client_id);
}

void hs_ws_close(hs_conn *c)
{
    if (!c || !c->is_ws)
        return;
    hs_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else if (s->clients == c)
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    while (c->out_head) {
        hs_msg *m = c->out_head;
        c->out_head = m->next;
        free(m);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
    c->is_ws = 0;
}

int hs_ws_writable(hs_conn *c)
{
    hs_msg *m = c->out_head;
    if (!m)
        return 0;
    if (lws_write(c->wsi, (unsigned char *)m->text + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
        return -1;
    c->out_head = m->next;
    if (!c->out_head)
        c->out_tail = NULL;
    c->out_bytes -= m->len;
    free(m);
    if (c->out_head)
        lws_callback_on_writable(c->wsi);
    return 0;
}
