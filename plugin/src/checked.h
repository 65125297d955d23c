/* checked.h — size arithmetic that cannot overflow silently. Use it wherever a size,
 * count or stride comes from a file or a user: each returns false (and leaves *out
 * unspecified) when the exact result does not fit. */
#ifndef LTX2_CHECKED_H
#define LTX2_CHECKED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool ltx2_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline bool ltx2_add_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool ltx2_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* a * b as an int (config products such as heads * head_dim). */
static inline bool ltx2_mul_int(int a, int b, int *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* The product of n non-negative dims, or false when one is negative or it overflows. */
static inline bool ltx2_product_i64(const int64_t *dims, int n, int64_t *out)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        if (dims[i] < 0 || !ltx2_mul_i64(p, dims[i], &p))
            return false;
    *out = p;
    return true;
}

#endif
