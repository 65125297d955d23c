/* conv_shape.c — the output length of a convolution (and a transposed one): shared by the CPU kernels and the
 * CUDA module (which compiles this file, and dtype.c, into itself). */
#include "kernels.h"

int64_t k_conv_out_len(int64_t in, int k, int stride, int dilation, int pad0, int pad1)
{
    int64_t span = in + pad0 + pad1 - (int64_t)dilation * (k - 1) - 1;
    if (span < 0 || stride <= 0) return 0;
    return span / stride + 1;
}

int64_t k_conv_transpose1d_out_len(const kconvt1d *c)
{
    return (c->len - 1) * c->stride - 2 * (int64_t)c->pad + (int64_t)c->dilation * (c->k - 1) +
           c->output_padding + 1;
}
