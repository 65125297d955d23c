/* abi_devices.c — the ABI 1.2 device functions seen from a host: struct layout of the
 * appended fields, a 1.1-sized host still loading, CPU tensors through
 * tensor_create_on / tensor_copy_to / tensor_read, a missing CUDA backend refused with
 * its reason, and (gpu) device tensors round-tripping through a CUDA device. */
#include "abi_devices.h"

#include <stdio.h>
#include <string.h>

#define CHECK(cond, ...)                                            \
    do {                                                            \
        if (!(cond)) {                                              \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
            fprintf(stderr, __VA_ARGS__);                           \
            fputc('\n', stderr);                                    \
            fails++;                                                \
        }                                                           \
    } while (0)

static ltx2_plugin *load_sized(uint32_t host_size, uint16_t minor)
{
    ltx2_host_api api = {.struct_size = host_size, .abi_major = LTX2_ABI_MAJOR, .abi_minor = minor,
                         .host_name = "abi_test", .host_version = "1", .num_threads = 1};
    ltx2_plugin *p = NULL;
    char err[256];
    return ltx2_plugin_entry(&api, &p, err, sizeof err) == LTX2_OK ? p : NULL;
}

int abi_test_layout(void)
{
    int fails = 0;
    CHECK(LTX2_ABI_MINOR >= 2, "ABI minor %u", LTX2_ABI_MINOR);
    /* appended fields sit after every 1.1 field */
    CHECK(offsetof(ltx2_tensor_desc, device_index) >= offsetof(ltx2_tensor_desc, data) + sizeof(void *),
          "tensor_desc.device_index not appended");
    CHECK(offsetof(ltx2_exec_ctx, device) >= offsetof(ltx2_exec_ctx, outputs_wanted) + 8, "ctx.device not appended");
    CHECK(offsetof(ltx2_host_api, vram_budget) >= offsetof(ltx2_host_api, log) + sizeof(void *),
          "host.vram_budget not appended");
    CHECK(offsetof(ltx2_exec_ctx, vram_budget) >= offsetof(ltx2_exec_ctx, stream) + sizeof(void *),
          "ctx.vram_budget not appended");
    CHECK(offsetof(ltx2_device_info, residency) >= offsetof(ltx2_device_info, peak_bytes) + 8,
          "device_info.residency not appended");
    CHECK(offsetof(ltx2_plugin, device_count) >= offsetof(ltx2_plugin, value_release) + sizeof(void *),
          "plugin.device_count not appended");

    /* a 1.1 host: its struct ends before vram_budget */
    ltx2_plugin *p = load_sized((uint32_t)offsetof(ltx2_host_api, vram_budget), 1);
    CHECK(p != NULL, "1.1-sized host refused");
    if (p) {
        CHECK(p->abi_minor == LTX2_ABI_MINOR && LTX2_HAS_FIELD(p, ltx2_plugin, tensor_read),
              "1.2 table missing (minor %u, size %u)", p->abi_minor, p->struct_size);
        p->unload(p);
    }
    return fails;
}

static int round_trip(ltx2_plugin *p, int32_t device, int32_t index)
{
    int fails = 0;
    float src[6] = {1, -2, 3.5f, 4, 5, -6.25f};
    int64_t shape[2] = {2, 3};
    ltx2_tensor *t = NULL, *back = NULL, *zero = NULL;
    ltx2_status st = p->tensor_create_on(p, device, index, LTX2_F32, 2, shape, src, &t);
    CHECK(st == LTX2_OK && t, "tensor_create_on(%d:%d): %d", (int)device, (int)index, (int)st);
    if (!t)
        return fails;
    ltx2_tensor_desc d = {.struct_size = sizeof d};
    p->tensor_describe(t, &d);
    CHECK(d.device == device && d.device_index == index && d.ndim == 2 && d.shape[1] == 3,
          "described as %d:%d ndim %d", (int)d.device, (int)d.device_index, (int)d.ndim);
    float got[6] = {0};
    CHECK(p->tensor_read(p, t, got, sizeof got) == LTX2_OK && !memcmp(got, src, sizeof src), "tensor_read differs");
    CHECK(p->tensor_read(p, t, got, sizeof got - 1) == LTX2_ERR_BAD_INPUT, "short buffer accepted");
    st = p->tensor_copy_to(p, t, LTX2_DEVICE_CPU, 0, &back);
    CHECK(st == LTX2_OK && back, "copy to the CPU: %d", (int)st);
    if (back) {
        p->tensor_describe(back, &d);
        CHECK(d.device == LTX2_DEVICE_CPU && !memcmp(d.data, src, sizeof src), "CPU copy differs");
        p->tensor_release(back);
    }
    st = p->tensor_create_on(p, device, index, LTX2_F32, 2, shape, NULL, &zero);
    CHECK(st == LTX2_OK && zero, "zeroed tensor_create_on: %d", (int)st);
    if (zero) {
        CHECK(p->tensor_read(p, zero, got, sizeof got) == LTX2_OK && got[0] == 0 && got[5] == 0, "not zeroed");
        p->tensor_release(zero);
    }
    p->tensor_release(t);
    return fails;
}

int abi_test_devices_cpu(void)
{
    int fails = 0;
    ltx2_plugin *p = load_sized(sizeof(ltx2_host_api), LTX2_ABI_MINOR);
    CHECK(p != NULL, "plugin refused");
    if (!p)
        return fails;
    CHECK(p->device_count(p, LTX2_DEVICE_CPU) == 1, "CPU count");
    fails += round_trip(p, LTX2_DEVICE_CPU, 0);
    /* run with LTX2_CUDA_MODULE pointing nowhere: no backend, a clear reason */
    CHECK(p->device_count(p, LTX2_DEVICE_CUDA) == 0, "CUDA devices without the module");
    ltx2_device_info info = {.struct_size = sizeof info};
    char why[512] = "";
    ltx2_status st = p->device_info(p, LTX2_DEVICE_CUDA, 0, &info, why, sizeof why);
    CHECK(st == LTX2_ERR_UNSUPPORTED && strstr(why, "CUDA backend not available: "), "device_info: %d '%s'",
          (int)st, why);
    printf("cuda refused: %s\n", why);
    ltx2_tensor *t = NULL;
    int64_t shape[1] = {4};
    st = p->tensor_create_on(p, LTX2_DEVICE_CUDA, 0, LTX2_F32, 1, shape, NULL, &t);
    CHECK(st == LTX2_ERR_UNSUPPORTED && !t, "device tensor without a backend: %d", (int)st);
    p->unload(p);
    return fails;
}

int abi_test_devices_gpu(void)
{
    int fails = 0;
    ltx2_plugin *p = load_sized(sizeof(ltx2_host_api), LTX2_ABI_MINOR);
    CHECK(p != NULL, "plugin refused");
    if (!p)
        return fails;
    if (p->device_count(p, LTX2_DEVICE_CUDA) == 0) {
        p->unload(p);
        printf("skipped: no usable CUDA device\n");
        return 77;
    }
    ltx2_device_info info = {.struct_size = sizeof info};
    CHECK(p->device_info(p, LTX2_DEVICE_CUDA, 0, &info, NULL, 0) == LTX2_OK && info.name[0] && info.total_bytes,
          "device_info");
    fails += round_trip(p, LTX2_DEVICE_CUDA, 0);
    CHECK(p->device_info(p, LTX2_DEVICE_CUDA, 0, &info, NULL, 0) == LTX2_OK && info.peak_bytes >= 24 &&
              info.in_use_bytes == 0,
          "peak %llu, in use %llu after release", (unsigned long long)info.peak_bytes,
          (unsigned long long)info.in_use_bytes);
    printf("%s: peak %llu bytes\n", info.name, (unsigned long long)info.peak_bytes);
    p->unload(p);
    return fails;
}
