/* Stable index sort and element comparisons (sort.h). */
#include "sort.h"

#include <math.h>
#include <string.h>

/* Runs this short are sorted by insertion, which beats merging them. */
#define SORT_RUN 16

static void insertion_sort(int64_t *idx, int64_t n, sort_cmp_fn cmp, const void *ctx)
{
    for (int64_t i = 1; i < n; i++) {
        int64_t x = idx[i], j = i;
        while (j > 0 && cmp(ctx, idx[j - 1], x) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

void sort_indices(int64_t *idx, int64_t *tmp, int64_t n, sort_cmp_fn cmp, const void *ctx)
{
    int64_t *src = idx, *dst = tmp;

    for (int64_t lo = 0; lo < n; lo += SORT_RUN)
        insertion_sort(idx + lo, n - lo < SORT_RUN ? n - lo : SORT_RUN, cmp, ctx);
    /* Bottom-up merges, ping-ponging between idx and tmp. */
    for (int64_t width = SORT_RUN; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n;
            int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp(ctx, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        int64_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != idx)
        memcpy(idx, src, (size_t)n * sizeof *idx);
}

#define SORT_CMP_INT(name, type)                                                                   \
    static int name(const void *a, const void *b)                                                  \
    {                                                                                              \
        type x = *(const type *)a, y = *(const type *)b;                                           \
        return (x > y) - (x < y);                                                                  \
    }

/* NaN after every number and equal to NaN, so the order is total. */
#define SORT_CMP_FLOAT(name, type)                                                                 \
    static int name(const void *a, const void *b)                                                  \
    {                                                                                              \
        type x = *(const type *)a, y = *(const type *)b;                                           \
        if (isnan(x) || isnan(y))                                                                  \
            return isnan(x) - isnan(y);                                                            \
        return (x > y) - (x < y);                                                                  \
    }

SORT_CMP_FLOAT(cmp_float, float)
SORT_CMP_FLOAT(cmp_double, double)
SORT_CMP_INT(cmp_int8, int8_t)
SORT_CMP_INT(cmp_uint8, uint8_t)
SORT_CMP_INT(cmp_int16, int16_t)
SORT_CMP_INT(cmp_uint16, uint16_t)
SORT_CMP_INT(cmp_int32, int32_t)
SORT_CMP_INT(cmp_uint32, uint32_t)
SORT_CMP_INT(cmp_int64, int64_t)
SORT_CMP_INT(cmp_uint64, uint64_t)

sort_elem_cmp_fn sort_elem_cmp(dtype_t t)
{
    switch (t) {
    case DTYPE_FLOAT:
        return cmp_float;
    case DTYPE_DOUBLE:
        return cmp_double;
    case DTYPE_INT8:
        return cmp_int8;
    case DTYPE_UINT8:
    case DTYPE_BOOL:
        return cmp_uint8;
    case DTYPE_INT16:
        return cmp_int16;
    case DTYPE_UINT16:
        return cmp_uint16;
    case DTYPE_INT32:
        return cmp_int32;
    case DTYPE_UINT32:
        return cmp_uint32;
    case DTYPE_INT64:
        return cmp_int64;
    case DTYPE_UINT64:
        return cmp_uint64;
    default:
        return NULL;
    }
}
