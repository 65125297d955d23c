/* check_events — validates a host-sim --events NDJSON file.
 *
 *   check_events FILE success|interrupted|error [--node ID] [--progress ID]
 *
 * Every line must be {"type", "data": {prompt_id, timestamp}} with timestamps not
 * going back; the stream starts with execution_start; each `executing` node is
 * followed by its own progress events (0 <= value <= max) and then `executed` (output nodes, with an output object) or `x_ltx_executed` (the others, output null);
 * the stream ends as MODE says (execution_success after executing{node:null};
 * execution_interrupted / execution_error naming --node when given).
 * --progress ID: that node must have sent at least one progress event.
 * Prints the ids of the executed nodes in order, space-separated. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                            \
    do {                                            \
        if (!(cond)) {                              \
            fprintf(stderr, "check_events: " __VA_ARGS__); \
            fputc('\n', stderr);                    \
            fails++;                                \
        }                                           \
    } while (0)

static const char *str_of(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: check_events FILE success|interrupted|error [--node ID] [--progress ID]\n");
        return 2;
    }
    const char *mode = argv[2], *want_node = NULL, *want_progress = NULL;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--node"))
            want_node = argv[i + 1];
        else if (!strcmp(argv[i], "--progress"))
            want_progress = argv[i + 1];
    }
    int fails = 0, printed = 0;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char line[1 << 16];
    long long last_ts = 0;
    int n = 0, progress_seen = 0, null_executing = 0;
    char running[128] = "", last_type[64] = "";
    json_object *last = NULL;
    while (fgets(line, sizeof line, f)) {
        json_object *ev = json_tokener_parse(line);
        n++;
        CHECK(ev && json_object_is_type(ev, json_type_object), "line %d is not a JSON object", n);
        if (!ev || !json_object_is_type(ev, json_type_object)) {
            json_object_put(ev);
            continue;
        }
        const char *type = str_of(ev, "type");
        json_object *data = NULL;
        json_object_object_get_ex(ev, "data", &data);
        CHECK(type && data && json_object_is_type(data, json_type_object), "line %d lacks type/data", n);
        if (!type || !data || !json_object_is_type(data, json_type_object)) {
            json_object_put(ev);
            continue;
        }
        json_object *ts;
        CHECK(json_object_object_get_ex(data, "timestamp", &ts) && json_object_is_type(ts, json_type_int),
              "line %d (%s) has no integer timestamp", n, type);
        long long t = json_object_get_int64(ts);
        CHECK(t >= last_ts, "line %d (%s): timestamp goes back", n, type);
        last_ts = t;
        CHECK(str_of(data, "prompt_id") != NULL, "line %d (%s) has no prompt_id", n, type);
        if (n == 1)
            CHECK(!strcmp(type, "execution_start"), "first event is %s, not execution_start", type);
        if (!strcmp(type, "executing")) {
            const char *node = str_of(data, "node");
            CHECK(!running[0], "executing before node %s was executed", running);
            if (node)
                snprintf(running, sizeof running, "%s", node);
            else
                null_executing = 1;
        } else if (!strcmp(type, "progress")) {
            const char *node = str_of(data, "node");
            CHECK(node && !strcmp(node, running), "progress for node %s while %s runs", node ? node : "?", running);
            json_object *v, *m;
            if (json_object_object_get_ex(data, "value", &v) && json_object_object_get_ex(data, "max", &m)) {
                double vv = json_object_get_double(v), mm = json_object_get_double(m);
                CHECK(vv >= 0 && (mm <= 0 || vv <= mm + 1e-9), "progress %g/%g out of range", vv, mm);
            } else {
                CHECK(0, "progress without value/max");
            }
            if (want_progress && node && !strcmp(node, want_progress))
                progress_seen = 1;
        } else if (!strcmp(type, "executed") || !strcmp(type, "x_ltx_executed")) {
            /* executed (output nodes) carries their files; x_ltx_executed (the others) none */
            json_object *out = NULL;
            json_object_object_get_ex(data, "output", &out);
            CHECK(!strcmp(type, "executed") ? json_object_is_type(out, json_type_object) : out == NULL,
                  "%s with a wrong output field", type);
            const char *node = str_of(data, "node");
            CHECK(node && !strcmp(node, running), "executed %s while %s runs", node ? node : "?", running);
            if (node)
                printf("%s%s", printed++ ? " " : "", node);
            running[0] = 0;
        }
        snprintf(last_type, sizeof last_type, "%s", type);
        json_object_put(last);
        last = ev;
    }
    fclose(f);
    printf("\n");
    CHECK(n > 0, "no events");
    const char *want_last = !strcmp(mode, "success") ? "execution_success"
                            : !strcmp(mode, "interrupted") ? "execution_interrupted"
                                                            : "execution_error";
    CHECK(!strcmp(last_type, want_last), "last event is %s, expected %s", last_type, want_last);
    if (!strcmp(mode, "success"))
        CHECK(null_executing, "no executing{node: null} before execution_success");
    if (want_node && last) {
        json_object *data = NULL;
        json_object_object_get_ex(last, "data", &data);
        const char *node = data ? str_of(data, "node_id") : NULL;
        CHECK(node && !strcmp(node, want_node), "last event names node %s, expected %s", node ? node : "null",
              want_node);
    }
    if (want_progress)
        CHECK(progress_seen, "no progress event from node %s", want_progress);
    json_object_put(last);
    return fails ? 1 : 0;
}
