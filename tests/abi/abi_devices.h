/* abi_devices.h — the ABI 1.2 device cases of abi_test (abi_devices.c). */
#ifndef ABI_DEVICES_H
#define ABI_DEVICES_H
#include "ltx2/ltx2_plugin.h"

int abi_test_layout(void);
int abi_test_devices_cpu(void);
int abi_test_devices_gpu(void); /* 77 without a usable GPU */

#endif
