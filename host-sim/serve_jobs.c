/* serve_jobs.c — ComfyUI's jobs API, which the current frontend reads for its queue
 * and history panels: one list over the running prompt, the waiting ones and the
 * history, each job {id, status, create_time, ..., outputs_count, preview_output}. */
#include "serve_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static json_object *message(json_object *h, const char *type, int last)
{
    json_object *st, *msgs, *found = NULL;
    if (!json_object_object_get_ex(h, "status", &st) || !json_object_object_get_ex(st, "messages", &msgs))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(msgs); i++) {
        json_object *pair = json_object_array_get_idx(msgs, i);
        if (!type || !strcmp(json_object_get_string(json_object_array_get_idx(pair, 0)), type)) {
            found = json_object_array_get_idx(pair, 1);
            if (!last)
                break;
        }
    }
    return found;
}

static json_object *timestamp(json_object *data)
{
    json_object *t;
    return data && json_object_object_get_ex(data, "timestamp", &t) ? json_object_get(t) : NULL;
}

/* Counts file outputs; the first previewable one becomes preview_output. */
static void outputs_summary(json_object *job, json_object *outputs)
{
    int n = 0, previewable = 0;
    json_object *preview = NULL;
    json_object_object_foreach(outputs, node, ui)
    {
        json_object_object_foreach(ui, key, list)
        {
            if (!json_object_is_type(list, json_type_array) || !strcmp(key, "animated"))
                continue;
            int media = !strcmp(key, "images") || !strcmp(key, "video") || !strcmp(key, "audio");
            for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *f = json_object_array_get_idx(list, i);
                if (!json_object_is_type(f, json_type_object))
                    continue;
                n++;
                previewable += media;
                if (media && !preview && json_object_deep_copy(f, &preview, NULL) == 0) {
                    json_object_object_add(preview, "nodeId", json_object_new_string(node));
                    json_object_object_add(preview, "mediaType", json_object_new_string(key));
                }
            }
        }
    }
    json_object_object_add(job, "outputs_count", json_object_new_int(n));
    json_object_object_add(job, "previewable_outputs_count", json_object_new_int(previewable));
    json_object_object_add(job, "preview_output", preview);
}

static json_object *base_job(const char *id, const char *status, long long create_ms, long long priority)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_string(id));
    json_object_object_add(j, "status", json_object_new_string(status));
    json_object_object_add(j, "create_time", json_object_new_int64(create_ms));
    json_object_object_add(j, "priority", json_object_new_int64(priority));
    json_object_object_add(j, "workflow_id", NULL);
    return j;
}

static json_object *queued_job(const hs_job *q, const char *status, int detail)
{
    json_object *j = base_job(q->prompt_id, status, q->create_ms, q->number);
    json_object_object_add(j, "execution_start_time", NULL);
    json_object_object_add(j, "outputs_count", NULL);
    json_object_object_add(j, "previewable_outputs_count", NULL);
    if (detail) {
        json_object *w = json_object_new_object();
        json_object_object_add(w, "prompt", json_object_get(json_object_array_get_idx(q->entry, 2)));
        json_object_object_add(w, "extra_data", json_object_get(json_object_array_get_idx(q->entry, 3)));
        json_object_object_add(j, "workflow", w);
    }
    return j;
}

static json_object *history_job(const char *id, json_object *h, int detail)
{
    json_object *st, *ss, *x, *ct, *prompt, *outputs;
    const char *status = "failed";
    if (json_object_object_get_ex(h, "status", &st) && json_object_object_get_ex(st, "status_str", &ss) &&
        !strcmp(json_object_get_string(ss), "success"))
        status = "completed";
    else if (message(h, "execution_interrupted", 0))
        status = "cancelled";
    else if (json_object_object_get_ex(h, "status", &st) && json_object_object_get_ex(st, "status_str", &ss) &&
             !strcmp(json_object_get_string(ss), "running"))
        status = "in_progress";
    long long create = json_object_object_get_ex(h, "x_ltx", &x) && json_object_object_get_ex(x, "create_time", &ct)
                           ? json_object_get_int64(ct)
                           : 0;
    json_object_object_get_ex(h, "prompt", &prompt);
    json_object *j = base_job(id, status, create, json_object_get_int64(json_object_array_get_idx(prompt, 0)));
    json_object_object_add(j, "execution_start_time", timestamp(message(h, "execution_start", 0)));
    json_object_object_add(j, "execution_end_time", timestamp(message(h, NULL, 1)));
    if (json_object_object_get_ex(h, "outputs", &outputs))
        outputs_summary(j, outputs);
    json_object *err = message(h, "execution_error", 0), *nid;
    if (err && json_object_object_get_ex(err, "node_id", &nid) && json_object_is_type(nid, json_type_string))
        json_object_object_add(j, "execution_error", json_object_get(err));
    if (detail) {
        json_object *w = json_object_new_object();
        json_object_object_add(w, "prompt", json_object_get(json_object_array_get_idx(prompt, 2)));
        json_object_object_add(w, "extra_data", json_object_get(json_object_array_get_idx(prompt, 3)));
        json_object_object_add(j, "workflow", w);
        json_object_object_add(j, "outputs", json_object_get(outputs));
    }
    return j;
}

static int wanted(const char *statuses, const char *status)
{
    if (!statuses || !*statuses)
        return 1;
    size_t n = strlen(status);
    for (const char *p = statuses; (p = strstr(p, status)); p += n)
        if ((p == statuses || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

json_object *hs_jobs_list(hs_server *s, const char *statuses, long offset, long limit)
{
    json_object *all = json_object_new_array();
    if (s->running && wanted(statuses, "in_progress"))
        json_object_array_add(all, queued_job(s->running, "in_progress", 0));
    for (hs_job *q = s->pending; q; q = q->next)
        if (wanted(statuses, "pending"))
            json_object_array_add(all, queued_job(q, "pending", 0));
    /* history newest first (it is kept oldest first) */
    size_t n = (size_t)json_object_object_length(s->history), k = 0;
    json_object **hist = calloc(n ? n : 1, sizeof *hist);
    json_object_object_foreach(s->history, id, h)
    {
        if (hist && (!s->running || strcmp(id, s->running->prompt_id)))
            hist[k++] = history_job(id, h, 0);
    }
    while (hist && k--) {
        json_object *st;
        json_object_object_get_ex(hist[k], "status", &st);
        if (wanted(statuses, json_object_get_string(st)))
            json_object_array_add(all, hist[k]);
        else
            json_object_put(hist[k]);
    }
    free(hist);
    long total = (long)json_object_array_length(all);
    if (offset < 0)
        offset = 0;
    if (limit <= 0)
        limit = total;
    json_object *page = json_object_new_array();
    for (long i = offset; i < total && i < offset + limit; i++)
        json_object_array_add(page, json_object_get(json_object_array_get_idx(all, (size_t)i)));
    json_object_put(all);
    json_object *r = json_object_new_object(), *pg = json_object_new_object();
    json_object_object_add(pg, "offset", json_object_new_int64(offset));
    json_object_object_add(pg, "limit", json_object_new_int64(limit));
    json_object_object_add(pg, "total", json_object_new_int64(total));
    json_object_object_add(pg, "has_more", json_object_new_boolean(offset + limit < total));
    json_object_object_add(r, "jobs", page);
    json_object_object_add(r, "pagination", pg);
    return r;
}

json_object *hs_job_detail(hs_server *s, const char *id)
{
    json_object *h;
    if (s->running && !strcmp(s->running->prompt_id, id))
        return queued_job(s->running, "in_progress", 1);
    for (hs_job *q = s->pending; q; q = q->next)
        if (!strcmp(q->prompt_id, id))
            return queued_job(q, "pending", 1);
    return json_object_object_get_ex(s->history, id, &h) ? history_job(id, h, 1) : NULL;
}
