/* device.c — host-sim's device choice through the plugin's ABI 1.2 device functions. */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_parse_size(const char *s, uint64_t *out)
{
    /* digits [. digits] [K|M|G|T [B|iB] | B]: strict, so "16 G", "0x10", "1e9", "-1" and
     * "nan" are refused rather than read as something else */
    const char *p = s;
    uint64_t whole = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    uint64_t frac = 0, frac_div = 1;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        for (; *p >= '0' && *p <= '9'; p++)
            if (frac_div < 1000000000ull) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_div *= 10;
            }
    }
    if (!digits)
        return -1;
    int shift = 0;
    const char *units = "KMGT", *u = *p ? strchr(units, *p == 'k' ? 'K' : *p) : NULL;
    if (u && *p) {
        shift = 10 * (int)(u - units + 1);
        p++;
        if (!strcmp(p, "B") || !strcmp(p, "iB"))
            p += strlen(p);
    } else if (!strcmp(p, "B")) {
        p++;
    }
    if (*p)
        return -1;
    if (shift && whole > (UINT64_MAX >> shift))
        return -1;
    const uint64_t unit = (uint64_t)1 << shift;
    if (frac && unit == 1) /* fractional bytes */
        return -1;
    const uint64_t v = (whole << shift) + (uint64_t)((double)frac / (double)frac_div * (double)unit);
    if (v == 0) /* 0 means "no budget" to the plugin: a typo, not a request */
        return -1;
    *out = v;
    return 0;
}

static int has_devices(const ltx2_plugin *p)
{
    return LTX2_HAS_FIELD(p, ltx2_plugin, tensor_read);
}

int hs_device_pick(ltx2_plugin *p, const char *spec, hs_device *out, char *err, size_t err_size)
{
    *out = (hs_device){LTX2_DEVICE_CPU, 0};
    if (spec && !strcmp(spec, "cpu"))
        return 0;
    int explicit = spec != NULL;
    if (spec && strncmp(spec, "cuda", 4)) {
        snprintf(err, err_size, "--device takes cpu, cuda or cuda:N, got '%s'", spec);
        return -1;
    }
    int index = 0;
    if (spec && spec[4]) {
        char *end;
        long v = spec[4] == ':' ? strtol(spec + 5, &end, 10) : -1;
        if (v < 0 || v > 1024 || spec[5] == 0 || *end) {
            snprintf(err, err_size, "--device takes cpu, cuda or cuda:N, got '%s'", spec);
            return -1;
        }
        index = (int)v;
    }
    if (!has_devices(p)) {
        if (!explicit)
            return 0;
        snprintf(err, err_size, "--device %s: the plugin speaks ABI %u.%u, without devices", spec, p->abi_major,
                 p->abi_minor);
        return -1;
    }
    ltx2_device_info info = {.struct_size = sizeof info};
    char why[512] = "";
    if (p->device_info(p, LTX2_DEVICE_CUDA, index, &info, why, sizeof why) != LTX2_OK) {
        if (!explicit)
            return 0; /* the default falls back to the CPU */
        snprintf(err, err_size, "--device %s: %s", spec, why[0] ? why : "not usable");
        return -1;
    }
    *out = (hs_device){LTX2_DEVICE_CUDA, index};
    return 0;
}

const char *hs_device_str(ltx2_plugin *p, hs_device dev, char *buf, size_t size)
{
    if (dev.device == LTX2_DEVICE_CPU) {
        snprintf(buf, size, "cpu");
        return buf;
    }
    ltx2_device_info info = {.struct_size = sizeof info};
    if (p->device_info(p, dev.device, dev.index, &info, NULL, 0) != LTX2_OK)
        snprintf(info.name, sizeof info.name, "?");
    snprintf(buf, size, "cuda:%d (%s)", (int)dev.index, info.name);
    return buf;
}
