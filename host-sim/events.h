/* events.h — NDJSON event stream named as ComfyUI's websocket messages
 * ({"type": ..., "data": {..., "timestamp": ms}}), written from the loop thread. */
#ifndef HS_EVENTS_H
#define HS_EVENTS_H
#include <stdio.h>

struct json_object;

typedef struct hs_events {
    FILE *f; /* NULL: events are dropped */
    const char *prompt_id;
} hs_events;

/* Milliseconds since the Unix epoch. */
long long hs_now_ms(void);
/* A JSON number with 6 significant digits (timings, progress); null when not finite. */
struct json_object *hs_json_num(double v);
/* Adds prompt_id and timestamp to data (consumed; NULL = empty) and writes one line. */
void hs_event(hs_events *ev, const char *type, struct json_object *data);

#endif
