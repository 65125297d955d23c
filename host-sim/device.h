/* device.h — host-sim's --device and --vram-budget: parsing and picking the device. */
#ifndef HS_DEVICE_H
#define HS_DEVICE_H
#include <stddef.h>
#include <stdint.h>
#include "ltx2/ltx2_plugin.h"

typedef struct hs_device {
    int32_t device; /* ltx2_device */
    int32_t index;
} hs_device;

/* "16G", "1.5G", "512M", "8GiB", "1024" (bytes): digits with an optional fraction and
 * K/M/G/T (powers of 1024; B or iB may follow; a plain number is bytes and whole).
 * 0 on success, -1 for anything else, for 0 and past 2^64. */
int hs_parse_size(const char *s, uint64_t *out);
/* spec: "cpu", "cuda", "cuda:N", or NULL for the default (the GPU when one is usable,
 * else the CPU). An explicit CUDA request the plugin cannot open fails: -1 with the
 * reason in err. */
int hs_device_pick(ltx2_plugin *p, const char *spec, hs_device *out, char *err, size_t err_size);
/* "cpu" / "cuda:0 (NVIDIA H100 ...)" into buf. */
const char *hs_device_str(ltx2_plugin *p, hs_device dev, char *buf, size_t size);

#endif
