/* device_api.h — the ABI 1.2 device functions of the public table (device_api.c). */
#ifndef LTX2_DEVICE_API_H
#define LTX2_DEVICE_API_H
#include "ltx2/ltx2_plugin.h"

int32_t ltx2_api_device_count(ltx2_plugin *plugin, int32_t device);
ltx2_status ltx2_api_device_info(ltx2_plugin *plugin, int32_t device, int32_t device_index,
                                 ltx2_device_info *out, char *error, size_t error_size);
ltx2_status ltx2_api_tensor_create_on(ltx2_plugin *plugin, int32_t device, int32_t device_index, int32_t dtype,
                                      int32_t ndim, const int64_t *shape, const void *data, ltx2_tensor **out);
ltx2_status ltx2_api_tensor_copy_to(ltx2_plugin *plugin, ltx2_tensor *t, int32_t device, int32_t device_index,
                                    ltx2_tensor **out);
ltx2_status ltx2_api_tensor_read(ltx2_plugin *plugin, ltx2_tensor *t, void *dst, size_t dst_size);

#endif
