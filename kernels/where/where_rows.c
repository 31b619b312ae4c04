/* where_rows.c - the row kernels of Where, by element size (Where only moves bits). */
#include "where.h"

#include <assert.h>

/* A condition byte is true when nonzero. */
#define DEFINE_WHERE_ROWS(bits)                                                                    \
    static void where_vvv_##bits(void *out, const void *const *in, int64_t n, const void *ctx)     \
    {                                                                                              \
        const uint8_t *c = in[0];                                                                  \
        const uint##bits##_t *x = in[1], *y = in[2];                                               \
        uint##bits##_t *o = out;                                                                   \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = c[i] ? x[i] : y[i];                                                             \
    }                                                                                              \
    static void where_step_##bits(void *out, const void *const *in, int64_t n, const void *ctx)    \
    {                                                                                              \
        const int *step = ctx;                                                                     \
        const uint8_t *c = in[0];                                                                  \
        const uint##bits##_t *x = in[1], *y = in[2];                                               \
        uint##bits##_t *o = out;                                                                   \
        for (int64_t i = 0; i < n; i++, c += step[0], x += step[1], y += step[2])                  \
            o[i] = *c ? *x : *y;                                                                   \
    }
DEFINE_WHERE_ROWS(8)
DEFINE_WHERE_ROWS(16)
DEFINE_WHERE_ROWS(32)
DEFINE_WHERE_ROWS(64)

bcast_row_fn where_row(size_t elem_size, bool all_advance)
{
    switch (elem_size) {
    case 1:
        return all_advance ? where_vvv_8 : where_step_8;
    case 2:
        return all_advance ? where_vvv_16 : where_step_16;
    case 4:
        return all_advance ? where_vvv_32 : where_step_32;
    default:
        assert(elem_size == 8);
        return all_advance ? where_vvv_64 : where_step_64;
    }
}
