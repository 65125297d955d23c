/* serve_http.c — answers written through libwebsockets: headers at once, the body
 * in chunks as the socket drains; query arguments. */
#include "serve_int.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 65536 };

int hs_http_send(hs_conn *c, int status, const char *mime, const char *body, size_t len)
{
    unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    free(c->resp);
    c->resp = malloc(LWS_PRE + (len ? len : 1));
    if (!c->resp)
        return -1;
    memcpy(c->resp + LWS_PRE, body, len);
    c->resp_len = len;
    c->resp_off = 0;
    static const char nocache[] = "no-cache";
    if (lws_add_http_common_headers(c->wsi, (unsigned)status, mime, len, &p, end) ||
        lws_add_http_header_by_name(c->wsi, (const unsigned char *)"cache-control:", (const unsigned char *)nocache,
                                    (int)sizeof nocache - 1, &p, end) ||
        (c->too_big && lws_add_http_header_by_token(c->wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                                    &p, end)) ||
        lws_finalize_write_http_header(c->wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(c->wsi);
    return 0;
}

int hs_http_writable(hs_conn *c)
{
    if (!c->resp)
        return 0;
    size_t n = c->resp_len - c->resp_off;
    int last = n <= CHUNK;
    if (!last)
        n = CHUNK;
    /* the LWS_PRE bytes before each chunk are headroom or data already sent */
    if (lws_write(c->wsi, (unsigned char *)c->resp + LWS_PRE + c->resp_off, n,
                  last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    c->resp_off += n;
    if (!last) {
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    free(c->resp);
    c->resp = NULL;
    if (c->too_big)
        return -1; /* the refused body is not read: close */
    return lws_http_transaction_completed(c->wsi) ? -1 : 0;
}

int hs_http_json(hs_conn *c, int status, json_object *body)
{
    const char *t = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                         : NULL;
    int rc = t ? hs_http_send(c, status, "application/json", t, strlen(t))
               : hs_http_send(c, 500, "text/plain", "out of memory", 13);
    json_object_put(body);
    return rc;
}

int hs_http_error(hs_conn *c, int status, const char *type, const char *message)
{
    json_object *b = json_object_new_object(), *e = json_object_new_object();
    json_object_object_add(e, "type", json_object_new_string(type));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_object_add(e, "details", json_object_new_string(""));
    json_object_object_add(e, "extra_info", json_object_new_object());
    json_object_object_add(b, "error", e);
    json_object_object_add(b, "node_errors", json_object_new_object());
    return hs_http_json(c, status, b);
}

static const char *mime_of(const char *path)
{
    static const char *const table[][2] = {
        {".html", "text/html"}, {".js", "text/javascript"}, {".mjs", "text/javascript"},
        {".css", "text/css"}, {".json", "application/json"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".webp", "image/webp"},
        {".gif", "image/gif"}, {".svg", "image/svg+xml"}, {".ico", "image/x-icon"},
        {".mp4", "video/mp4"}, {".webm", "video/webm"}, {".wav", "audio/wav"},
        {".flac", "audio/flac"}, {".mp3", "audio/mpeg"}, {".woff", "font/woff"},
        {".woff2", "font/woff2"}, {".ttf", "font/ttf"}, {".txt", "text/plain"},
        {".map", "application/json"}, {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof table / sizeof *table; i++)
        if (!strcasecmp(dot, table[i][0]))
            return table[i][1];
    return "application/octet-stream";
}

int hs_http_file(hs_conn *c, const char *path)
{
    int n = lws_serve_http_file(c->wsi, path, mime_of(path), NULL, 0);
    if (n < 0)
        return -1;
    if (n > 0)
        return lws_http_transaction_completed(c->wsi) ? -1 : 0;
    return 0;
}

int hs_http_arg(hs_conn *c, const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    char frag[2048];
    for (int i = 0; i < 256; i++) {
        int n = lws_hdr_copy_fragment(c->wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            return -1;
        if (!strncmp(frag, name, nl) && frag[nl] == '=') {
            snprintf(buf, size, "%s", frag + nl + 1);
            return 0;
        }
    }
    return -1;
}
