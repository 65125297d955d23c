/* events.h — NDJSON event stream named as ComfyUI's websocket messages
 * ({"type": ..., "data": {..., "timestamp": ms}}), written from the loop thread. */
#ifndef HS_EVENTS_H
#define HS_EVENTS_H
#include <stdio.h>

struct json_object;

typedef struct hs_events {
    FILE *f; /* NULL: events are dropped */
    const char *prompt_id;
    int write_errno; /* the first write error (a full disk): reported at the end, 0 if none */
    int lost;        /* events not written (write or out-of-memory failures) */
    /* also handed each event line (the server's websocket fan-out; may be NULL);
     * called on the thread that emits the event */
    void (*sink)(void *user, const char *type, const char *line);
    void *sink_user;
} hs_events;

/* Milliseconds since the Unix epoch. */
long long hs_now_ms(void);
/* A JSON number with 6 significant digits (timings, progress); null when not finite. */
struct json_object *hs_json_num(double v);
/* Adds prompt_id and timestamp to data (consumed; NULL = empty) and writes one line. */
void hs_event(hs_events *ev, const char *type, struct json_object *data);
/* Closes the stream; returns 0, or -1 when any event was lost (msg says why). */
int hs_events_close(hs_events *ev, const char *path, char *msg, size_t msg_size);

#endif
