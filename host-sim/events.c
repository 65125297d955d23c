/* events.c — one JSON object per line, flushed at once so a reader (or a test
 * after a hard abort) sees every event that happened. */
#include "events.h"

#include <json-c/json.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

long long hs_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_object *hs_json_num(double v)
{
    if (!isfinite(v))
        return NULL;
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", v);
    return json_object_new_double_s(v, buf);
}

void hs_event(hs_events *ev, const char *type, json_object *data)
{
    if (!ev || (!ev->f && !ev->sink)) {
        json_object_put(data);
        return;
    }
    if (!data)
        data = json_object_new_object();
    json_object *line = json_object_new_object();
    if (!data || !line) {
        json_object_put(data);
        json_object_put(line);
        ev->lost++;
        return;
    }
    json_object_object_add(data, "prompt_id", json_object_new_string(ev->prompt_id ? ev->prompt_id : ""));
    json_object_object_add(data, "timestamp", json_object_new_int64(hs_now_ms()));
    json_object_object_add(line, "type", json_object_new_string(type));
    json_object_object_add(line, "data", data);
    const char *text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text && ev->sink)
        ev->sink(ev->sink_user, type, text);
    if (ev->f && (!text || fprintf(ev->f, "%s\n", text) < 0 || fflush(ev->f) != 0)) {
        if (!ev->write_errno)
            ev->write_errno = text ? errno : ENOMEM;
        ev->lost++;
    }
    json_object_put(line);
}

int hs_events_close(hs_events *ev, const char *path, char *msg, size_t msg_size)
{
    if (!ev->f)
        return 0;
    if (fclose(ev->f) != 0 && !ev->write_errno) {
        ev->write_errno = errno;
        ev->lost++;
    }
    ev->f = NULL;
    if (!ev->lost)
        return 0;
    snprintf(msg, msg_size, "%d event(s) could not be written to %s: %s", ev->lost, path,
             strerror(ev->write_errno ? ev->write_errno : ENOMEM));
    return -1;
}
