/* conv_shape.c — the output length of a convolution: shared by the CPU kernels and the
 * CUDA module (which compiles this file, and dtype.c, into itself). */
#include "kernels.h"

int64_t k_conv_out_len(int64_t in, int k, int stride, int dilation, int pad0, int pad1)
{
    int64_t span = in + pad0 + pad1 - (int64_t)dilation * (k - 1) - 1;
    if (span < 0 || stride <= 0) return 0;
    return span / stride + 1;
}
