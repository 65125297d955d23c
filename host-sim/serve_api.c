/* serve_api.c — ComfyUI's endpoints, with and without the /api prefix (ComfyUI
 * serves both): object_info from the manifest (file inputs become combos of their
 * folder's files), prompt/queue/interrupt/history, view/upload, and what the
 * frontend reads at start (system_stats, users, settings, userdata, ...). */
#include "serve_int.h"
#include "folders.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

/* A file input as ComfyUI lists it: a combo of the files in its folder(s). */
static void file_combo(hs_server *s, json_object *port, const char *kind)
{
    hs_folders f = {.models = s->models[0] ? s->models : NULL, .input = s->input, .output = s->output};
    char dirs[2][4096];
    size_t n = hs_folder_dirs(&f, kind, dirs);
    json_object *files = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *l = hs_folder_list(dirs[i], strcmp(kind, "input") != 0);
        for (size_t k = 0; k < json_object_array_length(l); k++)
            json_object_array_add(files, json_object_get(json_object_array_get_idx(l, k)));
        json_object_put(l);
    }
    json_object *opts = json_object_array_get_idx(port, 1);
    json_object_array_put_idx(port, 0, json_object_new_string("COMBO"));
    json_object_object_del(opts, "default"); /* "" is no option: the editor takes the first file */
    json_object_object_add(opts, "options", files);
}

static json_object *object_info(hs_server *s, const char *only)
{
    json_object *all = NULL;
    if (json_object_deep_copy(s->nodes, &all, NULL) || !all)
        return NULL;
    const ltx2_plugin *p = s->hp->p;
    for (size_t i = 0; i < p->n_node_types; i++) {
        const ltx2_node_type *t = p->node_types[i];
        json_object *node, *input, *group, *port;
        if (!t || !json_object_object_get_ex(all, t->class_type, &node) ||
            !json_object_object_get_ex(node, "input", &input))
            continue;
        for (uint32_t k = 0; k < t->n_inputs; k++) {
            const char *kind = hs_input_folder_kind(t, k);
            const char *g = (t->inputs[k].flags & LTX2_PORT_OPTIONAL) ? "optional" : "required";
            if ((t->inputs[k].flags & LTX2_PORT_FILE) && kind && json_object_object_get_ex(input, g, &group) &&
                json_object_object_get_ex(group, t->inputs[k].name, &port))
                file_combo(s, port, kind);
        }
    }
    if (!only)
        return all;
    json_object *one = json_object_new_object(), *node;
    if (json_object_object_get_ex(all, only, &node))
        json_object_object_add(one, only, json_object_get(node));
    json_object_put(all);
    return one;
}

static json_object *system_stats(hs_server *s)
{
    struct sysinfo si;
    json_object *r = json_object_new_object(), *sys = json_object_new_object(), *devs = json_object_new_array(),
                *dev = json_object_new_object(), *argv = json_object_new_array();
    long long total = 0, avail = 0;
    if (!sysinfo(&si)) {
        total = (long long)si.totalram * si.mem_unit;
        avail = (long long)(si.freeram + si.bufferram) * si.mem_unit;
    }
    json_object_object_add(sys, "os", json_object_new_string("posix"));
    json_object_object_add(sys, "ram_total", json_object_new_int64(total));
    json_object_object_add(sys, "ram_free", json_object_new_int64(avail));
    json_object_object_add(sys, "comfyui_version", json_object_new_string("0.3.75"));
    json_object_object_add(sys, "python_version", json_object_new_string("none (host-sim, C)"));
    json_object_object_add(sys, "pytorch_version", json_object_new_string("none"));
    json_object_object_add(sys, "embedded_python", json_object_new_boolean(0));
    json_object_object_add(sys, "argv", argv);
    ltx2_device_info info = {.struct_size = sizeof info};
    int gpu = s->o->device != LTX2_DEVICE_CPU &&
              s->hp->p->device_info(s->hp->p, s->o->device, s->o->device_index, &info, NULL, 0) == LTX2_OK;
    json_object_object_add(dev, "name", json_object_new_string(gpu ? info.name : "cpu"));
    json_object_object_add(dev, "type", json_object_new_string(gpu ? "cuda" : "cpu"));
    json_object_object_add(dev, "index", json_object_new_int(gpu ? (int)s->o->device_index : 0));
    json_object_object_add(dev, "vram_total", json_object_new_int64(gpu ? (int64_t)info.total_bytes : total));
    json_object_object_add(dev, "vram_free", json_object_new_int64(gpu ? (int64_t)(info.budget_bytes - info.in_use_bytes) : avail));
    json_object_object_add(dev, "torch_vram_total", json_object_new_int64(0));
    json_object_object_add(dev, "torch_vram_free", json_object_new_int64(0));
    json_object_array_add(devs, dev);
    json_object_object_add(r, "system", sys);
    json_object_object_add(r, "devices", devs);
    return r;
}

static json_object *history(hs_server *s, const char *id, int max_items)
{
    if (id) {
        json_object *r = json_object_new_object(), *h;
        if (json_object_object_get_ex(s->history, id, &h))
            json_object_object_add(r, id, json_object_get(h));
        return r;
    }
    json_object *r = json_object_new_object();
    int n = json_object_object_length(s->history), skip = max_items > 0 && max_items < n ? n - max_items : 0;
    json_object_object_foreach(s->history, k, v)
    {
        if (skip-- > 0)
            continue;
        json_object_object_add(r, k, json_object_get(v));
    }
    return r;
}

static void history_delete(hs_server *s, json_object *req)
{
    json_object *v;
    if (json_object_object_get_ex(req, "clear", &v) && json_object_get_boolean(v)) {
        json_object_put(s->history);
        s->history = json_object_new_object();
    }
    if (json_object_object_get_ex(req, "delete", &v) && json_object_is_type(v, json_type_array))
        for (size_t i = 0; i < json_object_array_length(v); i++)
            json_object_object_del(s->history, json_object_get_string(json_object_array_get_idx(v, i)));
}

/* The request body as JSON; NULL (and a 400 sent) when malformed. Empty = {}. */
static json_object *body_json(hs_conn *c, int *answered)
{
    *answered = 0;
    if (!c->body_len)
        return json_object_new_object();
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        *answered = 1;
        hs_http_error(c, 500, "server_error", "out of memory");
        return NULL;
    }
    /* with its NUL: a bare literal body (`true`, `3`) then ends */
    json_object *j = json_tokener_parse_ex(tok, c->body, (int)c->body_len + 1);
    enum json_tokener_error e = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!j || e != json_tokener_success) {
        json_object_put(j);
        char msg[256];
        snprintf(msg, sizeof msg, "malformed JSON body: %s", json_tokener_error_desc(e));
        *answered = 1;
        hs_http_error(c, 400, "invalid_json", msg);
        return NULL;
    }
    return j;
}

static int is(const char *p, const char *route) { return !strcmp(p, route); }
static int under(const char *p, const char *prefix) { return !strncmp(p, prefix, strlen(prefix)); }

static int list_json(hs_conn *c, const char *text) { return hs_http_send(c, 200, "application/json", text, strlen(text)); }

static int handle_post(hs_conn *c, const char *p)
{
    hs_server *s = c->srv;
    if (is(p, "/upload/image"))
        return hs_upload(c);
    int answered;
    json_object *req = body_json(c, &answered), *reply = NULL;
    if (!req)
        return answered ? 0 : hs_http_error(c, 400, "invalid_json", "malformed JSON body");
    int rc;
    if (is(p, "/prompt")) {
        int bad = hs_queue_prompt(s, req, &reply);
        rc = hs_http_json(c, bad ? 400 : 200, reply);
    } else if (is(p, "/queue")) {
        hs_queue_delete(s, req);
        rc = hs_http_send(c, 200, "application/json", "{}", 2);
    } else if (is(p, "/interrupt")) {
        json_object *v;
        const char *id = json_object_object_get_ex(req, "prompt_id", &v) ? json_object_get_string(v) : NULL;
        hs_queue_interrupt(s, id);
        rc = hs_http_send(c, 200, "application/json", "{}", 2);
    } else if (is(p, "/history")) {
        history_delete(s, req);
        rc = hs_http_send(c, 200, "application/json", "{}", 2);
    } else if (is(p, "/settings")) {
        if (json_object_is_type(req, json_type_object)) {
            json_object_object_foreach(req, k, v) json_object_object_add(s->settings, k, json_object_get(v));
        }
        rc = hs_http_send(c, 200, "application/json", "{}", 2);
    } else if (under(p, "/settings/")) {
        json_object_object_add(s->settings, p + 10, json_object_get(req));
        rc = hs_http_send(c, 200, "application/json", "{}", 2);
    } else if (is(p, "/free") || under(p, "/userdata/")) {
        rc = hs_http_send(c, 200, "application/json", "{}", 2);
    } else {
        rc = hs_http_error(c, 404, "not_found", "no such endpoint");
    }
    json_object_put(req);
    return rc;
}

static int handle_get(hs_conn *c, const char *p)
{
    hs_server *s = c->srv;
    char arg[64];
    if (is(p, "/object_info") || under(p, "/object_info/")) {
        json_object *r = object_info(s, p[12] ? p + 13 : NULL);
        return r ? hs_http_json(c, 200, r) : hs_http_error(c, 500, "server_error", "out of memory");
    }
    if (is(p, "/prompt")) {
        json_object *r = json_object_new_object(), *ei = json_object_new_object();
        json_object_object_add(ei, "queue_remaining", json_object_new_int64((int64_t)hs_queue_remaining(s)));
        json_object_object_add(r, "exec_info", ei);
        return hs_http_json(c, 200, r);
    }
    if (is(p, "/queue"))
        return hs_http_json(c, 200, hs_queue_state(s));
    if (is(p, "/history") || under(p, "/history/")) {
        int max = hs_http_arg(c, "max_items", arg, sizeof arg) ? 0 : atoi(arg);
        return hs_http_json(c, 200, history(s, p[8] ? p + 9 : NULL, max));
    }
    if (is(p, "/view"))
        return hs_view(c);
    if (is(p, "/jobs")) {
        char st[256] = "", off[32] = "0", lim[32] = "0";
        hs_http_arg(c, "status", st, sizeof st);
        hs_http_arg(c, "offset", off, sizeof off);
        hs_http_arg(c, "limit", lim, sizeof lim);
        return hs_http_json(c, 200, hs_jobs_list(s, st, atol(off), atol(lim)));
    }
    if (under(p, "/jobs/")) {
        json_object *j = hs_job_detail(s, p + 6);
        return j ? hs_http_json(c, 200, j) : hs_http_error(c, 404, "not_found", "no such job");
    }
    if (is(p, "/system_stats"))
        return hs_http_json(c, 200, system_stats(s));
    if (is(p, "/embeddings") || is(p, "/extensions") || is(p, "/userdata") || is(p, "/v2/userdata"))
        return list_json(c, "[]");
    if (is(p, "/users"))
        return list_json(c, "{\"storage\":\"server\",\"migrated\":true}");
    if (is(p, "/settings"))
        return hs_http_json(c, 200, json_object_get(s->settings));
    if (under(p, "/settings/")) {
        json_object *v = NULL;
        json_object_object_get_ex(s->settings, p + 10, &v);
        return hs_http_json(c, 200, v ? json_object_get(v) : json_object_new_null());
    }
    if (is(p, "/i18n") || is(p, "/features") || is(p, "/workflow_templates") || is(p, "/node_replacements") ||
        is(p, "/global_subgraphs") || is(p, "/templates/index_logo.json"))
        return list_json(c, "{}");
    if (is(p, "/experiment/models") || is(p, "/templates/index.json"))
        return list_json(c, "[]"); /* no model browser, no bundled templates */
    if (is(p, "/models"))
        return list_json(c, "[\"checkpoints\",\"loras\",\"text_encoders\",\"latent_upscale_models\",\"vae\"]");
    if (is(p, "/user.css") || is(p, "/userdata/user.css"))
        return hs_http_send(c, 200, "text/css", "", 0); /* no user styles */
    if (under(p, "/userdata/"))
        return hs_http_error(c, 404, "not_found", "no such user file"); /* as ComfyUI for a missing file */
    return -2; /* not an API path */
}

int hs_api_handle(hs_conn *c)
{
    const char *p = c->path;
    int api = under(p, "/api/");
    if (api)
        p += 4;
    if (c->method == HS_POST || c->method == HS_PUT)
        return handle_post(c, p);
    if (c->method != HS_GET)
        return hs_http_error(c, 405, "method_not_allowed", "method not allowed");
    int rc = handle_get(c, p);
    if (rc != -2)
        return rc;
    return api ? hs_http_error(c, 404, "not_found", "no such endpoint") : hs_static(c);
}
