/* serve.h — `host-sim serve`: a ComfyUI-compatible HTTP + websocket server
 * (libwebsockets on host-sim's libuv loop) that queues prompts and runs them one
 * at a time with the executor of `host-sim run`. */
#ifndef HS_SERVE_H
#define HS_SERVE_H
#include <stddef.h>
#include <stdint.h>
#include "loader.h"

typedef struct hs_serve_opts {
    const char *listen;         /* "HOST:PORT", default 127.0.0.1:8188 */
    const char *models, *input, *output, *temp; /* ComfyUI's folders */
    const char *front_end_root; /* static frontend served at /, NULL = none */
    const char *const *bypass;  /* --bypass classes, applied to every prompt */
    size_t n_bypass;
    int32_t device, device_index;
    int verbose;
} hs_serve_opts;

/* Serves until SIGINT/SIGTERM. Returns 0, or -1 with one line in err (cannot listen,
 * bad --listen, no folder). */
int hs_serve(hs_plugin *hp, const hs_serve_opts *o, char *err, size_t err_size);

#endif
